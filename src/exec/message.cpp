#include "exec/message.hpp"

#include <algorithm>
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

}  // namespace

Result<void> send_sync(int sock, SyncKind kind, int32_t step, int32_t err, std::string_view text,
                       const std::vector<int>& fds) {
  char buf[sizeof(Header) + kMaxSyncText];
  size_t len = std::min(text.size(), kMaxSyncText);
  Header h{static_cast<int32_t>(kind), step, err, static_cast<uint32_t>(len)};
  std::memcpy(buf, &h, sizeof h);
  if (len) std::memcpy(buf + sizeof h, text.data(), len);
  if (int e = send_with_fds(sock, buf, sizeof h + len, fds))
    return Error::system("send to the container's setup process", "", e);
  return {};
}

Result<SyncMessage> recv_sync(int sock, bool* eof) {
  *eof = false;
  char buf[sizeof(Header) + kMaxSyncText];
  SyncMessage m;
  ssize_t n;
  // ECONNRESET: the peer exited with a message of ours unread (a child that
  // failed before it read the monitor's SyncKind::cgroups). The kernel
  // reports that once; what the peer sent before is still queued.
  while ((n = recv_with_fds(sock, buf, sizeof buf, &m.fds)) < 0) {
    if (errno != ECONNRESET) return Error::system("receive from the container's setup process", "", errno);
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
