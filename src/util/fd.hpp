// File descriptors with an owner (closed exactly once, movable, never
// copied), and passing them over unix sockets.
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <cstddef>
#include <utility>
#include <vector>

namespace corral {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) reset(std::exchange(o.fd_, -1));
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  explicit operator bool() const { return valid(); }
  /// Gives up ownership.
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

/// Passing descriptors over a unix socket (SCM_RIGHTS). send_with_fds
/// sends `len` bytes and `fds` in one sendmsg (MSG_NOSIGNAL, EINTR retried)
/// and returns 0 or the errno. recv_with_fds is one recvmsg (EINTR
/// retried, `flags` added to MSG_CMSG_CLOEXEC) that appends the descriptors
/// received to `fds` (or closes them, `fds` null: none were expected); it
/// returns recvmsg's result, -1 with errno set.
int send_with_fds(int sock, const void* data, size_t len, const std::vector<int>& fds);
ssize_t recv_with_fds(int sock, void* buf, size_t len, std::vector<UniqueFd>* fds, int flags = 0);

}  // namespace corral
