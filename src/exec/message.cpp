#include "exec/message.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace corral::exec {

namespace {

struct Header {
  int32_t kind;
  int32_t step;
  int32_t err;
  uint32_t len;
};

constexpr size_t kMaxText = 8192;
constexpr size_t kMaxFds = 64;

}  // namespace

Result<void> send_sync(int sock, SyncKind kind, int32_t step, int32_t err, const std::string& text,
                       const std::vector<int>& fds) {
  char buf[sizeof(Header) + kMaxText];
  size_t len = std::min(text.size(), kMaxText);
  Header h{static_cast<int32_t>(kind), step, err, static_cast<uint32_t>(len)};
  std::memcpy(buf, &h, sizeof h);
  std::memcpy(buf + sizeof h, text.data(), len);
  struct iovec iov {buf, sizeof h + len};
  struct msghdr msg {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)];
  if (!fds.empty()) {
    if (fds.size() > kMaxFds) return Error(Error::Kind::internal, "too many file descriptors for one message");
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  }
  while (::sendmsg(sock, &msg, MSG_NOSIGNAL) < 0) {
    if (errno != EINTR) return Error::system("send to the container's setup process", "", errno);
  }
  return {};
}

Result<SyncMessage> recv_sync(int sock, bool* eof) {
  *eof = false;
  char buf[sizeof(Header) + kMaxText];
  struct iovec iov {buf, sizeof buf};
  struct msghdr msg {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)];
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  // ECONNRESET: the peer exited with a message of ours unread (a child that
  // failed before it read the monitor's SyncKind::cgroups). The kernel
  // reports that once; what the peer sent before is still queued.
  while ((n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC)) < 0) {
    if (errno != EINTR && errno != ECONNRESET)
      return Error::system("receive from the container's setup process", "", errno);
  }
  SyncMessage m;
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      m.fds.emplace_back(fd);
    }
  }
  if (n == 0) {
    *eof = true;
    return m;
  }
  if (static_cast<size_t>(n) < sizeof(Header)) return Error(Error::Kind::internal, "short message from the container's setup process");
  Header h;
  std::memcpy(&h, buf, sizeof h);
  m.kind = static_cast<SyncKind>(h.kind);
  m.step = h.step;
  m.err = h.err;
  m.text.assign(buf + sizeof h, std::min<size_t>(h.len, static_cast<size_t>(n) - sizeof h));
  return m;
}

}  // namespace corral::exec
