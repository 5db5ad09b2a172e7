#include "runtime/janitor.hpp"

#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstring>
#include <new>
#include <optional>
#include <utility>
#include <vector>

#include "util/clone_vm.hpp"
#include "util/raw_syscall.hpp"

namespace corral::runtime {

namespace {

constexpr size_t kTextMax = 32 * 1024;  // a ContainerCgroups text; about 3 KiB with 10 hierarchies
constexpr size_t kStackSize = 64 * 1024;
constexpr size_t kPage = 4096;

}  // namespace

// Written by the monitor only; read by the watcher only once the monitor is
// gone (its end of the socket closed), so the two never run over it at the
// same time. A monitor killed while publishing leaves the slot published
// before whole: `published` changes only after the other slot is written.
// The arrays are left uninitialised: the block is fresh anonymous memory
// (zeros), and writing 64 KiB of zeros would fault in pages never used.
struct Janitor::Shared {
  std::atomic<int> published{-1};  // the slot of text to remove; -1: nothing yet
  int sock = -1;                   // the watcher's end
  char program[PATH_MAX];
  char title[256];
  char* argv[4];
  char text[2][kTextMax];
};

namespace {


// The watcher. Raw system calls only, no libc, no sanitizer hooks: the
// monitor's memory and thread pointer are its own too (see janitor.hpp).
__attribute__((no_sanitize("address", "undefined"))) int watch(void* arg) {
  auto* shared = static_cast<Janitor::Shared*>(arg);
  const long sock = shared->sock;
  // Only the socket stays open: the command socket would keep the container
  // "running" for its clients, the tool's stdio a reader of its output
  // waiting.
  if (sock > 3) raw_syscall(SYS_close_range, 3, sock - 1, 0);
  raw_syscall(SYS_close_range, sock + 1, ~0U, 0);
  static const char kNull[] = "/dev/null";
  long null = raw_syscall(SYS_openat, AT_FDCWD, reinterpret_cast<long>(kNull), O_RDWR);
  for (long fd = 0; null >= 0 && fd < 3; ++fd)
    if (fd != null) raw_syscall(SYS_dup3, null, fd, 0);
  if (null > 2) raw_syscall(SYS_close, null);
  static const char kName[] = "corral-janitor";
  raw_syscall(SYS_prctl, PR_SET_NAME, reinterpret_cast<long>(kName));
  for (;;) {
    // Filled field by field: a compiler may turn `= {}` into a memset
    // call, which a sanitizer build intercepts.
    char data[16];
    alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    struct iovec iov;
    iov.iov_base = data;
    iov.iov_len = sizeof data;
    struct msghdr msg;
    msg.msg_name = nullptr;
    msg.msg_namelen = 0;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    msg.msg_flags = 0;
    long n = raw_syscall(SYS_recvmsg, sock, reinterpret_cast<long>(&msg), MSG_CMSG_CLOEXEC);
    if (n == -EINTR) continue;
    if (n <= 0) break;  // end-of-file without a goodbye: the monitor is gone
    for (long i = 0; i < n; ++i)
      if (data[i] == 'x') raw_syscall(SYS_exit_group, 0);  // the goodbye; a namespace sent goes with us
  }
  int slot = shared->published.load(std::memory_order_acquire);
  if (slot < 0 || slot > 1) raw_syscall(SYS_exit_group, 0);  // nothing was made yet
  shared->argv[0] = shared->title;
  shared->argv[1] = const_cast<char*>(kJanitorVerb);
  shared->argv[2] = shared->text[slot];
  shared->argv[3] = nullptr;
  static char* const kNoEnv[] = {nullptr};
  raw_syscall(SYS_execve, reinterpret_cast<long>(shared->program), reinterpret_cast<long>(shared->argv),
              reinterpret_cast<long>(kNoEnv));
  raw_syscall(SYS_exit_group, 127);
  return 127;
}

// One block per process, never unmapped: a watcher may outlive the Janitor
// object (and the monitor). A guard page below the watcher's stack.
struct Block {
  Janitor::Shared* shared = nullptr;
  char* stack = nullptr;
};

Result<Block> shared_block() {
  static Block block;
  if (block.shared) return block;
  constexpr size_t shared_size = (sizeof(Janitor::Shared) + kPage - 1) / kPage * kPage;
  void* map = ::mmap(nullptr, kPage + kStackSize + shared_size, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (map == MAP_FAILED) return Error::system("map the janitor's memory", "", errno);
  char* base = static_cast<char*>(map);
  if (::mprotect(base, kPage, PROT_NONE) != 0) {
    int e = errno;
    ::munmap(map, kPage + kStackSize + shared_size);
    return Error::system("guard the janitor's stack", "", e);
  }
  block.stack = base + kPage;
  block.shared = new (base + kPage + kStackSize) Janitor::Shared;
  return block;
}

void copy_string(char* to, size_t size, const std::string& from) {
  size_t n = std::min(from.size(), size - 1);
  std::memcpy(to, from.data(), n);
  to[n] = '\0';
}

}  // namespace

Result<void> Janitor::spawn(const std::string& name, int cgroup_fd, const char* program) {
  dismiss();
  if (dismissed_ > 0) ::waitpid(std::exchange(dismissed_, -1), nullptr, 0);
  Result<Block> block = shared_block();
  if (!block) return std::move(block.error());
  shared_ = block.value().shared;
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
    return Error::system("make the janitor's socket", "", errno);
  shared_->published.store(-1, std::memory_order_relaxed);
  shared_->sock = pair[0];
  copy_string(shared_->program, sizeof shared_->program, program);
  copy_string(shared_->title, sizeof shared_->title, "[corral janitor] " + name);

  struct clone_args args {};
  args.flags = CLONE_VM | (cgroup_fd >= 0 ? CLONE_INTO_CGROUP : 0);
  args.exit_signal = SIGCHLD;
  args.stack = reinterpret_cast<uint64_t>(block.value().stack);
  args.stack_size = kStackSize;
  args.cgroup = cgroup_fd >= 0 ? static_cast<uint64_t>(cgroup_fd) : 0;
  long pid = corral_clone3_run(&args, sizeof args, watch, shared_);
  ::close(pair[0]);
  if (pid < 0) {
    ::close(pair[1]);
    return Error::system("start the janitor", "", static_cast<int>(-pid));
  }
  sock_.reset(pair[1]);
  pid_ = static_cast<pid_t>(pid);
  return {};
}

Result<void> Janitor::publish(const exec::ContainerCgroups& cgroups) {
  if (pid_ <= 0) return {};
  std::string text = cgroups.to_text();
  if (text.size() >= kTextMax)
    return Error(Error::Kind::system, "the container's cgroups take " + std::to_string(text.size()) +
                                          " bytes to describe, more than the janitor holds");
  int slot = shared_->published.load(std::memory_order_relaxed) == 0 ? 1 : 0;
  std::memcpy(shared_->text[slot], text.c_str(), text.size() + 1);
  shared_->published.store(slot, std::memory_order_release);
  return {};
}

void Janitor::unpublish() {
  if (pid_ > 0) shared_->published.store(-1, std::memory_order_release);
}

void Janitor::dismiss(UniqueFd mount_ns) {
  if (pid_ <= 0) return;
  std::vector<int> fds;
  if (mount_ns) fds.push_back(mount_ns.get());
  send_with_fds(sock_.get(), "x", 1, fds);
  sock_.reset();
  dismissed_ = std::exchange(pid_, -1);
}

void Janitor::wait_dismissed(int timeout_ms) {
  if (dismissed_ <= 0) return;
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, dismissed_, 0)));
  struct pollfd p {pidfd.get(), POLLIN, 0};
  if (!pidfd || ::poll(&p, 1, timeout_ms) != 1) return;  // stopped, say: reaped later
  if (::waitpid(dismissed_, nullptr, WNOHANG) == dismissed_) dismissed_ = -1;
}

int janitor_main(const char* text) {
  std::optional<exec::ContainerCgroups> cgroups = exec::ContainerCgroups::from_text(text ? text : "");
  if (!cgroups) return 2;
  return cgroups->destroy() ? 0 : 1;
}

}  // namespace corral::runtime
