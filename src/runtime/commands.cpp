#include "runtime/commands.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>

namespace corral::runtime {

namespace {

constexpr const char* kStateNames[kStateCount] = {"STOPPED",  "STARTING", "RUNNING", "STOPPING",
                                                  "ABORTING", "FREEZING", "FROZEN",  "THAWED"};

socklen_t abstract_address(const std::string& name, sockaddr_un& addr) {
  std::memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  size_t len = std::min(name.size(), sizeof(addr.sun_path) - 1);
  std::memcpy(addr.sun_path + 1, name.data(), len);
  return static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + len);
}

}  // namespace

const char* state_name(State s) {
  int i = static_cast<int>(s);
  return i >= 0 && i < kStateCount ? kStateNames[i] : "UNKNOWN";
}

std::optional<State> parse_state(std::string_view name) {
  for (int i = 0; i < kStateCount; ++i)
    if (name == kStateNames[i]) return static_cast<State>(i);
  return std::nullopt;
}

bool read_full(int fd, void* buf, size_t n) {
  char* p = static_cast<char*>(buf);
  while (n > 0) {
    ssize_t r = ::read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

bool write_full(int fd, const void* buf, size_t n) {
  const char* p = static_cast<const char*>(buf);
  while (n > 0) {
    ssize_t r = ::send(fd, p, n, MSG_NOSIGNAL);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

Result<Client> Client::connect_abstract(const std::string& name) {
  Client c;
  c.fd_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!c.fd_) return Error::system("socket", "", errno);
  sockaddr_un addr;
  socklen_t len = abstract_address(name, addr);
  if (::connect(c.fd_.get(), reinterpret_cast<sockaddr*>(&addr), len) != 0)
    return Error::system("connect to the monitor", "@" + name, errno);
  return c;
}

Result<Client> Client::connect(const ContainerPaths& paths) { return connect_abstract(paths.command_socket()); }

bool not_running(const Error& e) { return e.sys_errno() == ECONNREFUSED || e.sys_errno() == ENOENT; }

Result<Reply> Client::call(Cmd cmd, uint64_t slot, std::string_view data) {
  WireRequest req{static_cast<int32_t>(cmd), static_cast<int32_t>(data.size()), slot};
  // The header goes with SCM_CREDENTIALS, as LXC's client sends it.
  struct iovec iov {&req, sizeof req};
  struct msghdr msg {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(struct ucred))];
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_CREDENTIALS;
  c->cmsg_len = CMSG_LEN(sizeof(struct ucred));
  struct ucred cred {::getpid(), ::geteuid(), ::getegid()};
  std::memcpy(CMSG_DATA(c), &cred, sizeof cred);
  while (::sendmsg(fd_.get(), &msg, MSG_NOSIGNAL) < 0) {
    if (errno != EINTR) return Error::system("send a command to the monitor", "", errno);
  }
  if (!data.empty() && !write_full(fd_.get(), data.data(), data.size()))
    return Error::system("send a command to the monitor", "", errno);

  Reply reply;
  WireResponse rsp{};
  ssize_t n = recv_with_fds(fd_.get(), &rsp, sizeof rsp, &reply.fds, MSG_WAITALL);
  if (n < 0) return Error::system("read the monitor's answer", "", errno);
  if (n == 0) {
    reply.closed = true;
    return reply;
  }
  if (static_cast<size_t>(n) < sizeof rsp && !read_full(fd_.get(), reinterpret_cast<char*>(&rsp) + n, sizeof rsp - n))
    return Error::system("read the monitor's answer", "", EPROTO);
  reply.ret = rsp.ret;
  reply.slot = rsp.slot;
  if (rsp.datalen > 0) {
    reply.data.resize(static_cast<size_t>(rsp.datalen));
    if (!read_full(fd_.get(), reply.data.data(), reply.data.size()))
      return Error::system("read the monitor's answer", "", EPROTO);
  }
  return reply;
}

State query_state(const ContainerPaths& paths) {
  Result<Client> c = Client::connect(paths);
  if (!c) return State::stopped;
  Result<Reply> r = c.value().call(Cmd::get_state);
  if (!r || r.value().closed || r.value().ret < 0) return State::stopped;
  return static_cast<State>(r.value().slot);
}

std::optional<std::string> query_config_item(const ContainerPaths& paths, const std::string& key) {
  Result<Client> c = Client::connect(paths);
  if (!c) return std::nullopt;
  Result<Reply> r = c.value().call(Cmd::get_config_item, 0, key + '\0');
  if (!r || r.value().closed || r.value().ret < 0) return std::nullopt;
  return r.value().text();
}

std::optional<pid_t> query_init_pid(const ContainerPaths& paths) {
  Result<Client> c = Client::connect(paths);
  if (!c) return std::nullopt;
  Result<Reply> r = c.value().call(Cmd::get_init_pid);
  if (!r || r.value().closed || r.value().ret < 0) return std::nullopt;
  return static_cast<pid_t>(r.value().slot);
}

Result<UniqueFd> listen_command_socket(const ContainerPaths& paths) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return Error::system("socket", "", errno);
  sockaddr_un addr;
  socklen_t len = abstract_address(paths.command_socket(), addr);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), len) != 0)
    return Error::system("bind the command socket", "@" + paths.command_socket(), errno);
  if (::listen(fd.get(), 100) != 0) return Error::system("listen", "@" + paths.command_socket(), errno);
  return fd;
}

bool stop_hard(const ContainerPaths& paths) {
  Result<Client> c = Client::connect(paths);
  if (!c) return not_running(c.error());
  Result<Reply> r = c.value().call(Cmd::stop);
  if (!r) return false;
  if (!r.value().closed && r.value().ret < 0) return false;
  // The monitor closes the connection once the container is gone.
  char byte;
  for (;;) {
    ssize_t n = ::read(c.value().fd(), &byte, 1);
    if (n == 0 || (n < 0 && errno != EINTR)) break;
  }
  return true;
}

}  // namespace corral::runtime
