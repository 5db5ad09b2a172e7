// corral's init for execute (spec/runtime.md §10): pid 1 of the container
// runs the command as its child, forwards signals to it, reaps every
// orphan, and exits with the command's status.
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "exec/child.hpp"
#include "util/proctitle.hpp"

extern char** environ;

namespace corral::exec {

void run_init_shim(const ExecInit& exec, int sync_fd) {
  sigset_t all;
  sigfillset(&all);
  sigdelset(&all, SIGILL);
  sigdelset(&all, SIGSEGV);
  sigdelset(&all, SIGBUS);
  sigset_t original;
  ::sigprocmask(SIG_SETMASK, &all, &original);
  int sfd = ::signalfd(-1, &all, SFD_CLOEXEC);

  std::vector<char*> argv;
  for (const std::string& a : exec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const std::string& e : exec.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  // The command starts with every signal at its default: exec resets
  // handlers, so only ignored signals need resetting (SigIgn of
  // /proc/self/status; every signal when that cannot be read), instead of
  // a sigaction(2) per signal.
  uint64_t ignored = ~uint64_t{0};
  if (int st = ::open("/proc/self/status", O_RDONLY | O_CLOEXEC); st >= 0) {
    char buf[2048];
    ssize_t n = ::read(st, buf, sizeof buf - 1);
    ::close(st);
    if (n > 0) {
      buf[n] = '\0';
      if (const char* p = std::strstr(buf, "\nSigIgn:")) ignored = std::strtoull(p + 9, nullptr, 16);
    }
  }

  // Titled before the command exists (with vfork the command would run
  // before the shim gets to it, and could see pid 1 under the old name).
  set_process_title("init");

  // vfork: the shim is a copy of the monitor, and copying its page tables
  // for a child that only execs cost more than the rest of this function.
  // The child touches nothing of the parent's but `environ`, which the
  // shim does not use again.
  pid_t cmd = ::vfork();
  if (cmd < 0) {
    std::fprintf(stderr, "init: fork: %s\n", std::strerror(errno));
    ::_exit(1);
  }
  if (cmd == 0) {
    for (int sig = 1; sig < NSIG && sig <= 64; ++sig)
      if (ignored & (uint64_t{1} << (sig - 1))) ::signal(sig, SIG_DFL);
    ::sigprocmask(SIG_SETMASK, &original, nullptr);
    ::setsid();
    if (::isatty(0)) ::ioctl(0, TIOCSCTTY, 0);
    environ = envp.data();
    ::execvp(argv[0], argv.data());
    // No stdio in a vforked child: its buffers are the parent's.
    const char* what = std::strerror(errno);
    for (const char* part : {"init: failed to exec '", static_cast<const char*>(argv[0]), "': ", what, "\n"})
      if (::write(2, part, std::strlen(part)) < 0) {
      }
    ::_exit(255);
  }
  // The command runs: the start succeeded. Closing the sync socket tells
  // the monitor so (as a successful exec of init would).
  ::close(sync_fd);
  // Nothing but stdio and the signalfd stays open in pid 1.
  if (sfd > 3) ::close_range(3, static_cast<unsigned>(sfd) - 1, 0);
  ::close_range(static_cast<unsigned>(sfd) + 1, ~0U, 0);

  int status = 0;
  bool have_status = false;
  bool shutting_down = false;
  for (;;) {
    struct signalfd_siginfo si {};
    ssize_t n = ::read(sfd, &si, sizeof si);
    if (n != static_cast<ssize_t>(sizeof si)) {
      if (n < 0 && errno == EINTR) continue;
      ::_exit(1);
    }
    int sig = static_cast<int>(si.ssi_signo);
    switch (sig) {
      case SIGCHLD:
        for (;;) {
          int st = 0;
          pid_t pid = ::waitpid(-1, &st, WNOHANG);
          if (pid > 0) {
            if (pid == cmd) {
              status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
              have_status = true;
            }
            if (shutting_down) ::alarm(1);
            continue;
          }
          if (pid < 0 && errno == ECHILD) ::_exit(have_status ? status : 1);
          break;
        }
        break;
      case SIGHUP:
        break;
      case SIGTERM:
      case SIGPWR:
        if (!shutting_down) {
          shutting_down = true;
          ::kill(-1, SIGTERM);
          ::alarm(1);
        }
        break;
      case SIGALRM:
        if (shutting_down) ::kill(-1, SIGKILL);
        break;
      default:
        ::kill(cmd, sig);
        break;
    }
  }
}

}  // namespace corral::exec
