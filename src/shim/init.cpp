// corral's init for execute (spec/runtime.md §10), as its own tiny program:
// pid 1 of the container runs the command as its child, forwards signals to
// it, reaps every orphan, and exits with the command's status.
//
// Freestanding: no libc, raw system calls only, a few pages in all. Init
// shares the monitor's memory until it execs (exec/container.cpp), and
// pid 1 must have a memory and a command line of its own ("init", as
// LXC's shim titles itself), so init execs this program; corral carries
// it inside itself and hands it over in a memfd (exec/init_shim.cpp).
//
// argv: "init" COMMAND [ARG...] MASK, MASK being the command's signal mask
// (16 hex digits; the shim starts with every signal blocked); the
// environment is the command's.
#include <asm/ioctls.h>
#include <asm/signal.h>
#include <asm/termbits.h>
#include <linux/errno.h>
#include <linux/fcntl.h>
#include <linux/prctl.h>
#include <linux/sched.h>
#include <linux/signalfd.h>
#include <linux/wait.h>

#include "util/exec_path.hpp"
#include "util/raw_syscall.hpp"

// The command starts as a vforked child (util/clone_vm.hpp has the same).
extern "C" long corral_clone3_run(struct clone_args* args, unsigned long size, int (*fn)(void*), void* arg);
#include "util/clone3_run.inc"

using corral::raw_syscall;

namespace {

constexpr int kMaxSignal = 64;
using SigSet = unsigned long;  // the kernel's sigset_t for 64 signals

struct KernelSigaction {
  void (*handler)(int);
  unsigned long flags;
  void (*restorer)();
  SigSet mask;
};

unsigned long length(const char* s) {
  unsigned long n = 0;
  while (s[n]) ++n;
  return n;
}

bool starts_with(const char* s, const char* prefix) {
  for (; *prefix; ++s, ++prefix)
    if (*s != *prefix) return false;
  return true;
}

void say(const char* s) { raw_syscall(__NR_write, 2, reinterpret_cast<long>(s), static_cast<long>(length(s))); }

[[noreturn]] void exit_with(int status) {
  for (;;) raw_syscall(__NR_exit_group, status);
}

SigSet bit(int sig) { return SigSet{1} << (sig - 1); }

long set_mask(SigSet mask, SigSet* old) {
  return raw_syscall(__NR_rt_sigprocmask, SIG_SETMASK, reinterpret_cast<long>(&mask), reinterpret_cast<long>(old),
                     sizeof(SigSet));
}

// A signal set as /proc/PID/status shows one: 16 hex digits, then the end
// of the string or of the line.
bool parse_sigset(const char* hex, SigSet* set) {
  *set = 0;
  for (int digits = 0;; ++hex, ++digits) {
    if (*hex == '\0' || *hex == '\n') return digits == 16;
    int digit = (*hex >= '0' && *hex <= '9') ? *hex - '0' : (*hex >= 'a' && *hex <= 'f') ? *hex - 'a' + 10 : -1;
    if (digit < 0 || digits == 16) return false;
    *set = *set << 4 | static_cast<SigSet>(digit);
  }
}

// The signals this process ignores (inherited through exec), from SigIgn
// of /proc/self/status; all of them when that cannot be read.
SigSet ignored_signals() {
  long fd = raw_syscall(__NR_openat, AT_FDCWD, reinterpret_cast<long>("/proc/self/status"), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ~SigSet{0};
  char buf[2048];
  long n = raw_syscall(__NR_read, fd, reinterpret_cast<long>(buf), sizeof buf - 1);
  raw_syscall(__NR_close, fd);
  if (n <= 0) return ~SigSet{0};
  buf[n] = '\0';
  for (const char* p = buf; *p; ++p) {
    if (p != buf && p[-1] != '\n') continue;
    if (!starts_with(p, "SigIgn:")) continue;
    p += 7;
    while (*p == '\t' || *p == ' ') ++p;
    SigSet set;
    return parse_sigset(p, &set) ? set : ~SigSet{0};
  }
  return ~SigSet{0};
}

const char* describe(long error) {
  switch (error) {
    case ENOENT: return "No such file or directory";
    case EACCES: return "Permission denied";
    case ENOEXEC: return "Exec format error";
    case ENOTDIR: return "Not a directory";
    case ENOMEM: return "Cannot allocate memory";
    case E2BIG: return "Argument list too long";
    case ELOOP: return "Too many levels of symbolic links";
    case ETXTBSY: return "Text file busy";
    default: return "error";
  }
}

struct Command {
  char** argv;
  char** envp;
  SigSet ignored;
  SigSet original;
};

// The command's process: every signal at its default, the shim's mask
// undone, a session of its own with the console as its terminal. It shares
// the shim's memory until its exec (vfork), on a stack of its own.
int run_command(void* arg) {
  const Command& c = *static_cast<Command*>(arg);
  // exec resets caught signals; ignored ones stay ignored unless reset.
  KernelSigaction dfl{};
  for (int sig = 1; sig <= kMaxSignal; ++sig)
    if (c.ignored & bit(sig)) raw_syscall(__NR_rt_sigaction, sig, reinterpret_cast<long>(&dfl), 0, sizeof(SigSet));
  set_mask(c.original, nullptr);
  raw_syscall(__NR_setsid);
  struct termios t;
  if (raw_syscall(__NR_ioctl, 0, TCGETS, reinterpret_cast<long>(&t)) == 0) raw_syscall(__NR_ioctl, 0, TIOCSCTTY, 0);
  long error = corral::exec_searching_path(c.argv, c.envp);
  say("init: failed to exec '");
  say(c.argv[0]);
  say("': ");
  say(describe(error));
  say("\n");
  return 255;
}

alignas(16) char command_stack[64 * 1024];

// systemd's shutdown signal, SIGRTMIN+3 in the C library's numbering
// (which keeps 32 and 33 for itself): lxc-stop, LXC's too, sends it instead
// of SIGPWR to an init that blocks it, taking that init for systemd. So pid
// 1 does not block it but catches it, and forwards it to the command from
// the handler, as it forwards other signals.
constexpr int kSystemdShutdown = 37;
long command_pid = 0;

void forward_to_command(int sig) { raw_syscall(__NR_kill, command_pid, sig); }

extern "C" void shim_restore_after_signal();  // rt_sigreturn, below

void arm_alarm(long seconds) {
  long timer[4] = {0, 0, seconds, 0};  // struct itimerval: no interval, the value
  raw_syscall(__NR_setitimer, 0 /* ITIMER_REAL */, reinterpret_cast<long>(timer), 0);
}

[[noreturn]] void shim_main(long* stack) {
  long argc = stack[0];
  char** argv = reinterpret_cast<char**>(stack + 1);
  char** envp = argv + argc + 1;
  SigSet original = 0;
  if (argc < 3 || !parse_sigset(argv[argc - 1], &original)) {
    say("init: usage: init COMMAND [ARG...] MASK\n");
    exit_with(1);
  }
  // pid 1's command line is "init" alone, as LXC's shim titles itself. The
  // kernel shows a process's arguments only up to the first NUL once the
  // last byte of their area is no longer NUL (proc(5), as setproctitle
  // does): that byte ends MASK, which is not the command's. No privilege
  // needed. The name too: exec of a memfd names the process after the
  // descriptor.
  char* mask = argv[argc - 1];
  argv[argc - 1] = nullptr;
  mask[length(mask)] = '~';
  raw_syscall(__NR_prctl, PR_SET_NAME, reinterpret_cast<long>("init"));

  SigSet all = ~(bit(SIGILL) | bit(SIGSEGV) | bit(SIGBUS));
  set_mask(all, nullptr);
  long sfd = raw_syscall(__NR_signalfd4, -1, reinterpret_cast<long>(&all), sizeof(SigSet), O_CLOEXEC);
  if (sfd < 0) {
    say("init: signalfd failed\n");
    exit_with(1);
  }
  SigSet ignored = ignored_signals();

  Command command{argv + 1, envp, ignored, original};
  struct clone_args args {};
  args.flags = CLONE_VM | CLONE_VFORK;
  args.exit_signal = SIGCHLD;
  args.stack = reinterpret_cast<unsigned long>(command_stack);
  args.stack_size = sizeof command_stack;
  long cmd = corral_clone3_run(&args, sizeof args, run_command, &command);
  if (cmd < 0) {
    // The container's seccomp policy may refuse clone3 (a filter cannot see
    // its arguments, so policies often answer ENOSYS): fork with clone, as
    // LXC's shim does through libc.
    cmd = raw_syscall(__NR_clone, SIGCHLD, 0, 0, 0, 0);
    if (cmd == 0) exit_with(run_command(&command));
  }
  if (cmd < 0) {
    say("init: fork failed\n");
    exit_with(1);
  }
  command_pid = cmd;
  KernelSigaction forward{forward_to_command, SA_RESTORER, shim_restore_after_signal, 0};
  raw_syscall(__NR_rt_sigaction, kSystemdShutdown, reinterpret_cast<long>(&forward), 0, sizeof(SigSet));
  set_mask(all & ~bit(kSystemdShutdown), nullptr);  // one already pending is forwarded now
  // Nothing but stdio and the signalfd stays open in pid 1.
  if (sfd > 3) raw_syscall(__NR_close_range, 3, sfd - 1, 0);
  raw_syscall(__NR_close_range, sfd + 1, ~0U, 0);

  int status = 0;
  bool have_status = false;
  bool shutting_down = false;
  for (;;) {
    struct signalfd_siginfo si;
    long n = raw_syscall(__NR_read, sfd, reinterpret_cast<long>(&si), sizeof si);
    if (n == -EINTR) continue;
    if (n != sizeof si) exit_with(1);
    int sig = static_cast<int>(si.ssi_signo);
    switch (sig) {
      case SIGCHLD:
        for (;;) {
          int st = 0;
          long pid = raw_syscall(__NR_wait4, -1, reinterpret_cast<long>(&st), WNOHANG, 0);
          if (pid > 0) {
            if (pid == cmd) {
              status = (st & 0x7f) == 0 ? (st >> 8) & 0xff : 128 + (st & 0x7f);
              have_status = true;
            }
            if (shutting_down) arm_alarm(1);
            continue;
          }
          if (pid == -ECHILD) exit_with(have_status ? status : 1);
          break;
        }
        break;
      case SIGHUP:
        break;
      case SIGTERM:
      case SIGPWR:
        if (!shutting_down) {
          shutting_down = true;
          raw_syscall(__NR_kill, -1, SIGTERM);
          arm_alarm(1);
        }
        break;
      case SIGALRM:
        if (shutting_down) raw_syscall(__NR_kill, -1, SIGKILL);
        break;
      default:
        raw_syscall(__NR_kill, cmd, sig);
        break;
    }
  }
}

}  // namespace

// The compiler may call these for copies and zeroing; there is no libc.
extern "C" [[gnu::used]] void* memset(void* to, int c, unsigned long n) {
  volatile unsigned char* p = static_cast<unsigned char*>(to);
  while (n--) *p++ = static_cast<unsigned char>(c);
  return to;
}
extern "C" [[gnu::used]] void* memcpy(void* to, const void* from, unsigned long n) {
  volatile unsigned char* d = static_cast<unsigned char*>(to);
  const unsigned char* f = static_cast<const unsigned char*>(from);
  while (n--) *d++ = *f++;
  return to;
}

// The kernel enters here with the stack pointer at argc. A caught signal
// returns through shim_restore_after_signal (SA_RESTORER: no libc to
// provide it).
#if defined(__x86_64__)
asm(R"(
  .text
  .globl shim_restore_after_signal
  .type shim_restore_after_signal, @function
shim_restore_after_signal:
  mov $15, %eax
  syscall
  hlt
  .globl _start
  .type _start, @function
_start:
  xor %ebp, %ebp
  mov %rsp, %rdi
  and $-16, %rsp
  call shim_entry
  hlt
  .section .note.GNU-stack,"",@progbits
  .text
)");
#elif defined(__aarch64__)
asm(R"(
  .text
  .globl shim_restore_after_signal
  .type shim_restore_after_signal, %function
shim_restore_after_signal:
  mov x8, #139
  svc #0
  brk #0
  .globl _start
  .type _start, %function
_start:
  mov x29, xzr
  mov x30, xzr
  mov x0, sp
  bl shim_entry
  brk #0
  .section .note.GNU-stack,"",%progbits
  .text
)");
#endif

extern "C" [[noreturn]] void shim_entry(long* stack) { shim_main(stack); }
