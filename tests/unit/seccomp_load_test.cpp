// Seccomp filters compiled from LXC policies (src/exec/seccomp.cpp) and loaded
// into forked children on the real kernel: each child runs raw system calls
// under the filter and reports through its exit status.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "config/seccomp_policy.hpp"
#include "exec/seccomp.hpp"

namespace {

using corral::exec::compile_seccomp;
using corral::exec::compile_seccomp_file;
using corral::exec::load_seccomp;
using corral::exec::SeccompProgram;

constexpr const char* kCommonPolicy = "/usr/share/lxc/config/common.seccomp";
constexpr int kLoadFailed = 200;
constexpr int kTrapHandled = 77;

/// The child's pid, taken before its filter is loaded.
pid_t g_child_pid = 0;

/// Ends a child without the sanitizers' _exit hook, which makes system calls
/// (sigaltstack, mmap) that a strict filter refuses.
[[noreturn]] void child_exit(int code) {
  syscall(SYS_exit_group, code);
  __builtin_unreachable();
}

/// The errno of a raw system call, 0 when it succeeded.
int err_of(long rc) { return rc == -1 ? errno : 0; }

/// A body returns 0 when every check held, else the number of the first that failed.
#define CHECK_OR_RETURN(n, cond) \
  do {                           \
    if (!(cond)) return (n);     \
  } while (0)

struct Outcome {
  bool exited = false;
  int code = -1;    // exit status, when exited
  int signal = 0;   // the signal that killed it, otherwise
  std::string str() const {
    return exited ? "exited with " + std::to_string(code) : "killed by signal " + std::to_string(signal);
  }
};

/// Forks; the child loads `program` (none: runs unfiltered) and exits with
/// what `body` returns. Core dumps are off so a SIGSYS kill leaves no file.
Outcome run_child(const SeccompProgram* program, const std::function<int()>& body) {
  pid_t pid = fork();
  if (pid < 0) return Outcome{};
  if (pid == 0) {
    alarm(10);  // never outlive a stuck test
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    g_child_pid = static_cast<pid_t>(syscall(SYS_getpid));
    if (program && !load_seccomp(*program)) child_exit(kLoadFailed);
    child_exit(body());
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  Outcome o;
  o.exited = WIFEXITED(status);
  o.code = o.exited ? WEXITSTATUS(status) : -1;
  o.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  return o;
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/corral-seccomp-XXXXXX";
    if (mkdtemp(tmpl)) path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string write(const std::string& name, const std::string& text) const {
    std::string file = path_ + "/" + name;
    std::ofstream(file, std::ios::binary) << text;
    return file;
  }

 private:
  std::string path_;
};

class SeccompLoad : public ::testing::Test {
 protected:
  void SetUp() override {
    // LXC loads without no_new_privs, which needs CAP_SYS_ADMIN.
    if (geteuid() != 0) GTEST_SKIP() << "loading a filter without no_new_privs needs root";
    ASSERT_FALSE(dir_.path().empty());
  }

  SeccompProgram compile(const std::string& text) {
    std::string file = dir_.write("policy" + std::to_string(++files_), text);
    auto program = compile_seccomp_file(file);
    EXPECT_TRUE(program.ok()) << (program.ok() ? "" : program.error().render());
    return program.ok() ? std::move(program.value()) : SeccompProgram{};
  }

  TempDir dir_;
  int files_ = 0;
};

TEST_F(SeccompLoad, DenylistRuleFailsOnlyThatCall) {
  SeccompProgram p = compile("2\ndenylist\nmkdir errno 1\n");
  ASSERT_FALSE(p.filter.empty());
  std::string denied = dir_.path() + "/denied";
  std::string allowed = dir_.path() + "/allowed";
  Outcome o = run_child(&p, [&] {
    CHECK_OR_RETURN(1, syscall(SYS_getpid) == g_child_pid);
    CHECK_OR_RETURN(2, err_of(syscall(SYS_mkdir, denied.c_str(), 0700)) == EPERM);
    // mkdirat is another system call: the denylist leaves it alone.
    CHECK_OR_RETURN(3, err_of(syscall(SYS_mkdirat, AT_FDCWD, allowed.c_str(), 0700)) == 0);
    // LXC turns off libseccomp's automatic no_new_privs.
    CHECK_OR_RETURN(4, prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 0);
    return 0;
  });
  EXPECT_TRUE(o.exited && o.code == 0) << o.str();
  EXPECT_FALSE(std::filesystem::exists(denied));
  EXPECT_TRUE(std::filesystem::is_directory(allowed));

  // Unfiltered, the same mkdir succeeds: the check above can fail.
  Outcome plain = run_child(nullptr, [&] { return err_of(syscall(SYS_mkdir, denied.c_str(), 0700)); });
  EXPECT_TRUE(plain.exited && plain.code == 0) << plain.str();
}

TEST_F(SeccompLoad, AllowlistDefaultErrno) {
  // Memory and signal calls stay allowed: the sanitizers' runtime may need
  // them at any moment in the child (an ENOSYS there ends it with status 1).
  SeccompProgram p = compile(
      "2\nallowlist errno 38\nexit_group\nexit\ngetpid\nrt_sigreturn\nmmap\nmunmap\nmprotect\nmadvise\nbrk\n"
      "sigaltstack\nrt_sigprocmask\nrt_sigaction\nwrite\nfutex\nsched_yield\n");
  std::string path = dir_.path() + "/never";
  Outcome o = run_child(&p, [&] {
    CHECK_OR_RETURN(1, syscall(SYS_getpid) == g_child_pid);
    CHECK_OR_RETURN(2, err_of(syscall(SYS_getppid)) == ENOSYS);
    CHECK_OR_RETURN(3, err_of(syscall(SYS_mkdirat, AT_FDCWD, path.c_str(), 0700)) == ENOSYS);
    CHECK_OR_RETURN(4, err_of(syscall(SYS_uname, nullptr)) == ENOSYS);
    return 0;
  });
  EXPECT_TRUE(o.exited && o.code == 0) << o.str();
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST_F(SeccompLoad, ArgumentComparisonsMatchOnlyTheirCalls) {
  SeccompProgram p = compile(
      "2\ndenylist\n"
      "reject_force_umount\n"
      "personality errno 42 [0,0xffffffff,SCMP_CMP_EQ]\n"
      "dup errno 33 [0,1000,>=]\n"
      "kill errno 7 [0,1,==][1,0,==]\n");
  std::string missing = dir_.path() + "/not-mounted";
  Outcome o = run_child(&p, [&] {
    // personality(0xffffffff) only queries; personality(PER_LINUX) is allowed.
    CHECK_OR_RETURN(1, err_of(syscall(SYS_personality, 0xffffffffUL)) == ENOMSG);
    CHECK_OR_RETURN(2, err_of(syscall(SYS_personality, 0UL)) == 0);
    // '>=': fd 1000 and up are refused by the filter, 999 by the kernel.
    CHECK_OR_RETURN(3, err_of(syscall(SYS_dup, 1000)) == EDOM);
    CHECK_OR_RETURN(4, err_of(syscall(SYS_dup, 5000)) == EDOM);
    CHECK_OR_RETURN(5, err_of(syscall(SYS_dup, 999)) == EBADF);
    long fd = syscall(SYS_dup, 2);
    CHECK_OR_RETURN(6, fd >= 0);
    close(static_cast<int>(fd));
    // Two groups must both hold: kill(1, 0) matches, kill(self, 0) does not.
    CHECK_OR_RETURN(7, err_of(syscall(SYS_kill, 1, 0)) == E2BIG);
    CHECK_OR_RETURN(8, err_of(syscall(SYS_kill, g_child_pid, 0)) == 0);
    // reject_force_umount: (flags & MNT_FORCE) == MNT_FORCE, whatever else is set.
    CHECK_OR_RETURN(9, err_of(syscall(SYS_umount2, missing.c_str(), MNT_FORCE)) == EACCES);
    CHECK_OR_RETURN(10, err_of(syscall(SYS_umount2, missing.c_str(), MNT_FORCE | MNT_DETACH)) == EACCES);
    CHECK_OR_RETURN(11, err_of(syscall(SYS_umount2, missing.c_str(), MNT_DETACH)) == ENOENT);
    return 0;
  });
  EXPECT_TRUE(o.exited && o.code == 0) << o.str();
}

void exit_on_sigsys(int) { child_exit(kTrapHandled); }

TEST_F(SeccompLoad, KillActionKillsWithSigsys) {
  // A rule without an action gets 'kill' in a denylist.
  SeccompProgram p = compile("2\ndenylist\ngetppid\n");
  Outcome o = run_child(&p, [] {
    signal(SIGSYS, exit_on_sigsys);  // kill cannot be caught
    CHECK_OR_RETURN(1, syscall(SYS_getpid) == g_child_pid);
    syscall(SYS_getppid);
    return 2;
  });
  EXPECT_TRUE(!o.exited && o.signal == SIGSYS) << o.str();
}

TEST_F(SeccompLoad, TrapActionRaisesCatchableSigsys) {
  SeccompProgram p = compile("2\ndenylist\ngetppid trap\n");
  Outcome o = run_child(&p, [] {
    signal(SIGSYS, exit_on_sigsys);
    syscall(SYS_getppid);
    return 2;
  });
  EXPECT_TRUE(o.exited && o.code == kTrapHandled) << o.str();
}

TEST_F(SeccompLoad, Version1AllowlistKillsTheRest) {
  std::string text = "1\nallowlist\n" + std::to_string(SYS_exit_group) + "\n" + std::to_string(SYS_getpid) + "\n" +
                     std::to_string(SYS_rt_sigreturn) + "\n";
  SeccompProgram p = compile(text);
  Outcome o = run_child(&p, [] {
    CHECK_OR_RETURN(1, syscall(SYS_getpid) == g_child_pid);
    syscall(SYS_getppid);
    return 2;
  });
  EXPECT_TRUE(!o.exited && o.signal == SIGSYS) << o.str();
}

TEST_F(SeccompLoad, LxcCommonPolicy) {
  if (!std::filesystem::exists(kCommonPolicy)) GTEST_SKIP() << kCommonPolicy << " is not installed";
  auto compiled = compile_seccomp_file(kCommonPolicy);
  ASSERT_TRUE(compiled.ok()) << compiled.error().render();
  const SeccompProgram& p = compiled.value();
  std::string missing = dir_.path() + "/not-mounted";
  std::string made = dir_.path() + "/made";
  // What the filter refuses, with arguments the kernel itself rejects
  // harmlessly (no module and no kexec image is touched).
  auto denied_calls = [&] {
    CHECK_OR_RETURN(1, err_of(syscall(SYS_open_by_handle_at, -1, nullptr, 0)) == EPERM);
    CHECK_OR_RETURN(2, err_of(syscall(SYS_delete_module, "corral_no_such_module", O_NONBLOCK)) == EPERM);
    CHECK_OR_RETURN(3, err_of(syscall(SYS_kexec_load, 0UL, 1000UL, nullptr, 0UL)) == EPERM);
    CHECK_OR_RETURN(4, err_of(syscall(SYS_init_module, nullptr, 0UL, "")) == EPERM);
    CHECK_OR_RETURN(5, err_of(syscall(SYS_finit_module, -1, "", 0)) == EPERM);
    CHECK_OR_RETURN(6, err_of(syscall(SYS_umount2, missing.c_str(), MNT_FORCE)) == EACCES);
    return 0;
  };
  Outcome o = run_child(&p, [&] {
    if (int failed = denied_calls()) return failed;
    CHECK_OR_RETURN(10, syscall(SYS_getpid) == g_child_pid);
    int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    CHECK_OR_RETURN(11, fd >= 0);
    CHECK_OR_RETURN(12, write(fd, "x", 1) == 1);
    close(fd);
    CHECK_OR_RETURN(13, mkdir(made.c_str(), 0700) == 0);
    CHECK_OR_RETURN(14, err_of(syscall(SYS_umount2, missing.c_str(), 0)) == ENOENT);
    return 0;
  });
  EXPECT_TRUE(o.exited && o.code == 0) << o.str();
  EXPECT_TRUE(std::filesystem::is_directory(made));

  // Unfiltered, as root, the first two fail otherwise: the checks can fail.
  Outcome plain = run_child(nullptr, denied_calls);
  EXPECT_TRUE(plain.exited && plain.code == 1) << plain.str();
  Outcome plain2 = run_child(nullptr, [] {
    return err_of(syscall(SYS_delete_module, "corral_no_such_module", O_NONBLOCK)) == EPERM ? 1 : 0;
  });
  EXPECT_TRUE(plain2.exited && plain2.code == 0) << plain2.str();
}

#if defined(__x86_64__)
// The i386 ABI from a 64-bit process: seccomp sees AUDIT_ARCH_I386.
long int80(long nr, long arg1) {
  long ret;
  asm volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(arg1) : "memory", "rcx", "r8", "r9", "r10", "r11");
  return ret;
}
constexpr long kI386Getpid = 20;
constexpr long kI386Mkdir = 39;
constexpr long kX32Bit = 0x40000000;

/// A body of raw calls on the i386 and x32 ABIs under "mkdir errno 1".
int compat_calls(bool with_i386) {
  if (with_i386) {
    CHECK_OR_RETURN(1, int80(kI386Mkdir, 0) == -EPERM);
    CHECK_OR_RETURN(2, int80(kI386Getpid, 0) == g_child_pid);
  }
  // x32 mkdir: refused by the filter before the kernel looks at the ABI.
  CHECK_OR_RETURN(3, err_of(syscall(kX32Bit | SYS_mkdir, nullptr, 0700)) == EPERM);
  // x32 getpid: allowed, so the kernel answers (ENOSYS without CONFIG_X86_X32_ABI).
  long pid = syscall(kX32Bit | SYS_getpid);
  CHECK_OR_RETURN(4, pid == g_child_pid || (pid == -1 && errno == ENOSYS));
  CHECK_OR_RETURN(5, err_of(syscall(SYS_mkdir, nullptr, 0700)) == EPERM);
  return 0;
}

TEST_F(SeccompLoad, CompatAbisGetTheSameRules) {
  if (seccomp_arch_native() != SCMP_ARCH_X86_64) GTEST_SKIP() << "needs an x86_64 host";
  // Without a filter, i386 getpid works unless the kernel lacks ia32 emulation.
  Outcome probe = run_child(nullptr, [] { return int80(kI386Getpid, 0) == g_child_pid ? 0 : 1; });
  bool with_i386 = probe.exited && probe.code == 0;
  if (with_i386) {
    Outcome plain = run_child(nullptr, [] { return int80(kI386Mkdir, 0) == -EFAULT ? 0 : 1; });
    EXPECT_TRUE(plain.exited && plain.code == 0) << plain.str();
  }

  corral::config::Diagnostics diags;
  corral::config::SourceTable sources;
  auto policy = corral::config::parse_seccomp_policy("2\ndenylist\nmkdir errno 1\n", "compat.seccomp", diags, sources);
  ASSERT_EQ(diags.error_count(), 0u) << diags.render(sources);
  ASSERT_EQ(policy.arches.size(), 3u);

  auto merged = compile_seccomp(policy, &sources);
  ASSERT_TRUE(merged.ok()) << merged.error().render();
  Outcome o = run_child(&merged.value(), [&] { return compat_calls(with_i386); });
  EXPECT_TRUE(o.exited && o.code == 0) << o.str() << (with_i386 ? "" : " (i386 not checked: no ia32 emulation)");

  // The native ABI alone: the i386 and x32 calls hit libseccomp's bad-arch kill.
  corral::config::SeccompPolicy native = policy;
  native.arches = {SCMP_ARCH_X86_64};
  for (auto& r : native.rules) r.arches = {SCMP_ARCH_X86_64};
  auto only_native = compile_seccomp(native);
  ASSERT_TRUE(only_native.ok()) << only_native.error().render();
  Outcome x32 = run_child(&only_native.value(), [] { return static_cast<int>(syscall(kX32Bit | SYS_getpid) & 0); });
  EXPECT_TRUE(!x32.exited && x32.signal == SIGSYS) << x32.str();
  if (with_i386) {
    Outcome i386 = run_child(&only_native.value(), [] { return static_cast<int>(int80(kI386Getpid, 0) & 0); });
    EXPECT_TRUE(!i386.exited && i386.signal == SIGSYS) << i386.str();
  }
}
#endif

TEST_F(SeccompLoad, CompileIsDeterministic) {
  SeccompProgram a = compile("2\ndenylist\nmkdir errno 1\nioctl errno 1 [1,0x5412,==]\n");
  SeccompProgram b = compile("2\ndenylist\nmkdir errno 1\nioctl errno 1 [1,0x5412,==]\n");
  ASSERT_FALSE(a.filter.empty());
  ASSERT_EQ(a.filter.size(), b.filter.size());
  EXPECT_EQ(std::memcmp(a.filter.data(), b.filter.data(), a.filter.size() * sizeof(a.filter[0])), 0);
}

TEST(SeccompLoadErrors, NotifyRuleRefused) {
  if (seccomp_api_get() < 5) GTEST_SKIP() << "libseccomp offers 'notify' only with seccomp user notification";
  TempDir dir;
  std::string file = dir.write("notify.seccomp", "2\ndenylist\nmkdir errno 1\n# comment\nmount notify\n");
  auto r = compile_seccomp_file(file);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().render(), file +
                                    ":5:1: rule 'mount' uses the action 'notify', which needs a seccomp notify proxy "
                                    "(lxc.seccomp.notify.proxy): corral does not implement one");

  // Without the source table, the line is still named.
  corral::config::Diagnostics diags;
  corral::config::SourceTable sources;
  auto policy = corral::config::parse_seccomp_policy("2\ndenylist\nmount notify\n", "p", diags, sources);
  ASSERT_EQ(diags.error_count(), 0u) << diags.render(sources);
  auto bare = compile_seccomp(policy);
  ASSERT_FALSE(bare.ok());
  EXPECT_EQ(bare.error().render(),
            "rule 'mount' at line 3 uses the action 'notify', which needs a seccomp notify proxy "
            "(lxc.seccomp.notify.proxy): corral does not implement one");
}

TEST(SeccompLoadErrors, NotifyDefaultRefused) {
  corral::config::SeccompPolicy policy;
  policy.version = 2;
  policy.type = corral::config::SeccompListType::allowlist;
  policy.default_action.kind = corral::config::SeccompAction::Kind::notify;
  policy.arches = {seccomp_arch_native()};
  auto r = compile_seccomp(policy);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().render(),
            "the policy's default action is 'notify', which needs a seccomp notify proxy "
            "(lxc.seccomp.notify.proxy): corral does not implement one");
}

TEST(SeccompLoadErrors, UnreadableFileNamed) {
  TempDir dir;
  std::string missing = dir.path() + "/no-such.seccomp";
  auto r = compile_seccomp_file(missing);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().render(), "cannot read seccomp policy `" + missing + "`: No such file or directory");

  auto d = compile_seccomp_file(dir.path());
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().render(), "cannot read seccomp policy `" + dir.path() + "`: Is a directory");
}

TEST(SeccompLoadErrors, ParseErrorsRenderedWithTheFile) {
  TempDir dir;
  std::string file = dir.write("bad.seccomp", "2\ndenylist\nmkdir errno 1\nread allow\n");
  auto r = compile_seccomp_file(file);
  ASSERT_FALSE(r.ok());
  std::string msg = r.error().render();
  EXPECT_EQ(msg.rfind("invalid seccomp policy `" + file + "`:\n" + file + ":4:6: error: ", 0), 0u) << msg;
  EXPECT_NE(msg.find(" 4 | read allow"), std::string::npos) << msg;
}

TEST(SeccompLoadErrors, RuleForAnUncoveredAbi) {
  corral::config::Diagnostics diags;
  corral::config::SourceTable sources;
  auto policy = corral::config::parse_seccomp_policy("2\ndenylist\nmkdir errno 1\n", "p.seccomp", diags, sources);
  ASSERT_EQ(diags.error_count(), 0u) << diags.render(sources);
  policy.arches = {seccomp_arch_native()};
  policy.rules[0].arches = {seccomp_arch_native() == SCMP_ARCH_X86_64 ? SCMP_ARCH_X86 : SCMP_ARCH_X86_64};
  auto r = compile_seccomp(policy, &sources);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().render(), "p.seccomp:3:1: rule 'mkdir' is for the ABI " +
                                    corral::config::seccomp_arch_name(policy.rules[0].arches[0]) +
                                    ", which the policy's filter does not cover");

  corral::config::SeccompPolicy empty;
  auto e = compile_seccomp(empty);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().render(), "the seccomp policy covers no ABI");
}

TEST(SeccompLoadErrors, LoadRefusesAnInvalidProgram) {
  // A filter that does not end in a return is refused by the kernel's checker.
  SeccompProgram bad;
  bad.filter.push_back(sock_filter{static_cast<uint16_t>(BPF_LD | BPF_W | BPF_ABS), 0, 0, 0});
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    alarm(10);
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);  // so that the checker, not the privilege check, answers
    auto r = load_seccomp(bad);
    bool refused = !r.ok() && r.error().sys_errno() == EINVAL;
    child_exit(refused && r.error().render() == "load seccomp: Invalid argument" ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

}  // namespace
