// Running a template's host commands: see command.hpp.
#include "template/command.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

#include "template/template.hpp"
#include "util/strings.hpp"

namespace corral::tmpl {

namespace {

// The command a step runs now (0: none), for interrupt_running_step(), and
// whether an interruption came (perhaps before that command was forked).
volatile std::sig_atomic_t running_child = 0;
volatile std::sig_atomic_t interrupt_requested = 0;

}  // namespace

Result<void> run_command(const std::vector<std::string>& argv, const CommandOptions& options) {
  std::vector<char*> cargv;
  for (const std::string& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  std::string command = join(argv, " ");
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) return Error::system("pipe", "", errno);
  // The ending signals wait while the child is forked: the child must not
  // run the caller's handler (it would swallow the SIGTERM that
  // interrupt_running_step sends it), and the parent's handler must see
  // the child's pid.
  sigset_t ending, old_mask;
  sigemptyset(&ending);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&ending, sig);
  ::sigprocmask(SIG_BLOCK, &ending, &old_mask);
  pid_t pid = ::fork();
  if (pid < 0) {
    int err = errno;
    ::sigprocmask(SIG_SETMASK, &old_mask, nullptr);
    ::close(pipefd[0]);
    ::close(pipefd[1]);
    return Error::system("fork for", command, err);
  }
  if (pid == 0) {
    // Only async-signal-safe calls from here on. The pipe closes on exec,
    // so the parent reads nothing when exec succeeded. The caller's
    // handlers of the ending signals would keep this process alive; a
    // SIGTERM sent meanwhile is delivered once they are gone.
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::signal(sig, SIG_DFL);
    ::sigprocmask(SIG_SETMASK, &old_mask, nullptr);
    ::close(pipefd[0]);
    // In a mount namespace of its own (a slave of the host's) when corral
    // may make one: what the command mounts (debootstrap mounts /proc in
    // the new rootfs) is never seen by the host, and goes with it even
    // when it is killed.
    if (::unshare(CLONE_NEWNS) == 0) ::mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr);
    int report[2] = {0, 0};
    if (options.stderr_fd >= 0 && ::dup2(options.stderr_fd, STDERR_FILENO) < 0) report[0] = 4;
    else if (options.cwd >= 0 && ::fchdir(options.cwd) != 0) report[0] = 1;
    else if (options.chroot_into && (::chroot(".") != 0 || ::chdir("/") != 0)) report[0] = 2;
    else {
      ::execvp(cargv[0], cargv.data());
      report[0] = 3;
    }
    report[1] = errno;
    ssize_t ignored = ::write(pipefd[1], report, sizeof report);
    (void)ignored;
    ::_exit(127);
  }
  ::close(pipefd[1]);
  running_child = pid;
  ::sigprocmask(SIG_SETMASK, &old_mask, nullptr);
  if (interrupt_requested) ::kill(pid, SIGTERM);  // the signal came before the fork
  int report[2] = {0, 0};
  ssize_t n;
  do n = ::read(pipefd[0], report, sizeof report);
  while (n < 0 && errno == EINTR);
  ::close(pipefd[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  running_child = 0;
  if (n == static_cast<ssize_t>(sizeof report)) {
    const char* what = report[0] == 1   ? "enter the directory for"
                       : report[0] == 2 ? "chroot for"
                       : report[0] == 4 ? "redirect the standard error of"
                                        : "execute";
    return Error::system(what, command, report[1]);
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  std::string how = WIFEXITED(status) ? "exited with status " + std::to_string(WEXITSTATUS(status))
                                      : "was killed by signal " + std::to_string(WTERMSIG(status));
  return Error(Error::Kind::system, "`" + command + "` " + how);
}

Result<std::string> read_all(int fd, const std::string& what, bool from_start) {
  std::string text;
  char buf[8192];
  off_t off = 0;
  for (;;) {
    ssize_t n = from_start ? ::pread(fd, buf, sizeof buf, off) : ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::system("read", what, errno);
    if (n == 0) return text;
    text.append(buf, static_cast<size_t>(n));
    off += n;
  }
}

void interrupt_running_step() {
  interrupt_requested = 1;
  if (pid_t pid = running_child; pid > 0) ::kill(pid, SIGTERM);
}

}  // namespace corral::tmpl
