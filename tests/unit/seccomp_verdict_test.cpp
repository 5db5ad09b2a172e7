// seccomp_verdict (src/exec/seccomp.cpp): a compiled filter asked what it
// answers for one system call, as the kernel would run it. The policies are
// those seccomp_load_test.cpp loads into the real kernel, so the expected
// verdicts here are the ones the kernel gave there.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mount.h>
#include <sys/syscall.h>

#include <cerrno>
#include <initializer_list>
#include <string>

#include "config/seccomp_policy.hpp"
#include "exec/seccomp.hpp"

namespace {

using corral::exec::SeccompProgram;
using corral::exec::seccomp_allows;
using corral::exec::seccomp_call;
using corral::exec::seccomp_verdict;

SeccompProgram compile(const std::string& text) {
  corral::config::Diagnostics diags;
  corral::config::SourceTable sources;
  auto policy = corral::config::parse_seccomp_policy(text, "verdict.seccomp", diags, sources);
  EXPECT_EQ(diags.error_count(), 0u) << diags.render(sources);
  auto program = corral::exec::compile_seccomp(policy, &sources);
  EXPECT_TRUE(program.ok()) << (program.ok() ? "" : program.error().render());
  return program.ok() ? std::move(program.value()) : SeccompProgram{};
}

constexpr uint32_t errno_verdict(int e) { return SECCOMP_RET_ERRNO | static_cast<uint32_t>(e); }

TEST(SeccompVerdict, DenylistNamesOnlyItsCall) {
  SeccompProgram p = compile("2\ndenylist\nmkdir errno 1\n");
  EXPECT_EQ(seccomp_verdict(p, seccomp_call(SYS_mkdir)), errno_verdict(EPERM));
  EXPECT_EQ(seccomp_verdict(p, seccomp_call(SYS_mkdirat)), SECCOMP_RET_ALLOW);
  EXPECT_TRUE(seccomp_allows(seccomp_verdict(p, seccomp_call(SYS_execveat))));
  EXPECT_FALSE(seccomp_allows(seccomp_verdict(p, seccomp_call(SYS_mkdir))));
}

TEST(SeccompVerdict, AllowlistDefault) {
  SeccompProgram p = compile("2\nallowlist errno 38\nexit_group\ngetpid\nexecve\n");
  EXPECT_EQ(seccomp_verdict(p, seccomp_call(SYS_getpid)), SECCOMP_RET_ALLOW);
  EXPECT_EQ(seccomp_verdict(p, seccomp_call(SYS_execve)), SECCOMP_RET_ALLOW);
  EXPECT_EQ(seccomp_verdict(p, seccomp_call(SYS_getppid)), errno_verdict(ENOSYS));
  EXPECT_EQ(seccomp_verdict(p, seccomp_call(SYS_execveat)), errno_verdict(ENOSYS));
}

TEST(SeccompVerdict, KillAction) {
  // A denylist rule without an action kills (SCMP_ACT_KILL: the thread).
  SeccompProgram p = compile("2\ndenylist\nexecveat\n");
  uint32_t v = seccomp_verdict(p, seccomp_call(SYS_execveat, {3, 0, 0, 0, AT_EMPTY_PATH}));
  EXPECT_EQ(v & SECCOMP_RET_ACTION_FULL, SECCOMP_RET_KILL_THREAD);
  EXPECT_FALSE(seccomp_allows(v));
  EXPECT_TRUE(seccomp_allows(seccomp_verdict(p, seccomp_call(SYS_execve))));
}

TEST(SeccompVerdict, ArgumentComparisons) {
  SeccompProgram p = compile(
      "2\ndenylist\n"
      "reject_force_umount\n"
      "personality errno 42 [0,0xffffffff,SCMP_CMP_EQ]\n"
      "dup errno 33 [0,1000,>=]\n"
      "kill errno 7 [0,1,==][1,0,==]\n"
      "execveat errno 1 [4,0x1000,SCMP_CMP_MASKED_EQ,0x1000]\n");
  EXPECT_EQ(seccomp_verdict(p, seccomp_call(SYS_personality, {0xffffffff})), errno_verdict(ENOMSG));
  EXPECT_EQ(seccomp_verdict(p, seccomp_call(SYS_personality, {0})), SECCOMP_RET_ALLOW);
  EXPECT_EQ(seccomp_verdict(p, seccomp_call(SYS_dup, {1000})), errno_verdict(EDOM));
  EXPECT_EQ(seccomp_verdict(p, seccomp_call(SYS_dup, {5000})), errno_verdict(EDOM));
  EXPECT_EQ(seccomp_verdict(p, seccomp_call(SYS_dup, {999})), SECCOMP_RET_ALLOW);
  // The high half of a 64-bit argument counts too.
  EXPECT_EQ(seccomp_verdict(p, seccomp_call(SYS_dup, {uint64_t{1} << 32})), errno_verdict(EDOM));
  EXPECT_EQ(seccomp_verdict(p, seccomp_call(SYS_kill, {1, 0})), errno_verdict(E2BIG));
  EXPECT_EQ(seccomp_verdict(p, seccomp_call(SYS_kill, {1, 9})), SECCOMP_RET_ALLOW);
  EXPECT_EQ(seccomp_verdict(p, seccomp_call(SYS_umount2, {0, MNT_FORCE | MNT_DETACH})), errno_verdict(EACCES));
  EXPECT_EQ(seccomp_verdict(p, seccomp_call(SYS_umount2, {0, MNT_DETACH})), SECCOMP_RET_ALLOW);
  // execveat with AT_EMPTY_PATH (0x1000) in its flags, the shim's way, only.
  EXPECT_EQ(seccomp_verdict(p, seccomp_call(SYS_execveat, {3, 0, 0, 0, AT_EMPTY_PATH})), errno_verdict(EPERM));
  EXPECT_EQ(seccomp_verdict(p, seccomp_call(SYS_execveat, {3, 0, 0, 0, 0})), SECCOMP_RET_ALLOW);
}

#if defined(__x86_64__)
TEST(SeccompVerdict, OtherAbis) {
  SeccompProgram p = compile("2\ndenylist\nmkdir errno 1\n");
  constexpr int kI386Mkdir = 39, kI386Getpid = 20, kX32Bit = 0x40000000;
  EXPECT_EQ(seccomp_verdict(p, seccomp_call(kI386Mkdir, {}, AUDIT_ARCH_I386)), errno_verdict(EPERM));
  EXPECT_EQ(seccomp_verdict(p, seccomp_call(kI386Getpid, {}, AUDIT_ARCH_I386)), SECCOMP_RET_ALLOW);
  EXPECT_EQ(seccomp_verdict(p, seccomp_call(kX32Bit | SYS_mkdir)), errno_verdict(EPERM));
  EXPECT_EQ(seccomp_verdict(p, seccomp_call(kX32Bit | SYS_getpid)), SECCOMP_RET_ALLOW);
  // An ABI the filter does not cover gets libseccomp's bad-arch kill.
  uint32_t v = seccomp_verdict(p, seccomp_call(SYS_getpid, {}, AUDIT_ARCH_AARCH64));
  EXPECT_FALSE(seccomp_allows(v));
}
#endif

TEST(SeccompVerdict, LxcCommonPolicy) {
  auto compiled = corral::exec::compile_seccomp_file("/usr/share/lxc/config/common.seccomp");
  if (!compiled.ok()) GTEST_SKIP() << compiled.error().render();
  const SeccompProgram& p = compiled.value();
  EXPECT_EQ(seccomp_verdict(p, seccomp_call(SYS_open_by_handle_at)), errno_verdict(EPERM));
  EXPECT_EQ(seccomp_verdict(p, seccomp_call(SYS_kexec_load)), errno_verdict(EPERM));
  EXPECT_EQ(seccomp_verdict(p, seccomp_call(SYS_umount2, {0, MNT_FORCE})), errno_verdict(EACCES));
  EXPECT_EQ(seccomp_verdict(p, seccomp_call(SYS_execveat, {3, 0, 0, 0, AT_EMPTY_PATH})), SECCOMP_RET_ALLOW);
  EXPECT_EQ(seccomp_verdict(p, seccomp_call(SYS_execve)), SECCOMP_RET_ALLOW);
}

// Hand-written programs: the instructions libseccomp does not emit.
SeccompProgram program(std::initializer_list<struct sock_filter> code) { return SeccompProgram{{code}}; }

TEST(SeccompVerdict, ScratchMemoryAndRegisters) {
  SeccompProgram p = program({
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),  // A = nr
      BPF_STMT(BPF_ST, 3),                                                  // M[3] = nr
      BPF_STMT(BPF_LDX | BPF_W | BPF_IMM, 10),                               // X = 10
      BPF_STMT(BPF_ALU | BPF_MUL | BPF_X, 0),                                // A = nr * 10
      BPF_STMT(BPF_MISC | BPF_TAX, 0),                                       // X = A
      BPF_STMT(BPF_LD | BPF_MEM, 3),                                         // A = nr
      BPF_STMT(BPF_ALU | BPF_ADD | BPF_X, 0),                                // A = nr * 11
      BPF_STMT(BPF_ALU | BPF_AND | BPF_K, SECCOMP_RET_DATA),
      BPF_STMT(BPF_ALU | BPF_OR | BPF_K, SECCOMP_RET_ERRNO),
      BPF_STMT(BPF_RET | BPF_A, 0),
  });
  EXPECT_EQ(seccomp_verdict(p, seccomp_call(3)), errno_verdict(33));
  EXPECT_EQ(seccomp_verdict(p, seccomp_call(0)), errno_verdict(0));
}

TEST(SeccompVerdict, JumpsAndLength) {
  SeccompProgram p = program({
      BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, sizeof(struct seccomp_data), 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[1])),
      BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x4, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
      BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, 100, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_LOG),
      BPF_STMT(BPF_JMP | BPF_JA, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  });
  EXPECT_EQ(seccomp_verdict(p, seccomp_call(1, {0, 4})), SECCOMP_RET_TRAP);
  EXPECT_EQ(seccomp_verdict(p, seccomp_call(1, {0, 129})), SECCOMP_RET_LOG);
  EXPECT_TRUE(seccomp_allows(SECCOMP_RET_LOG));
  EXPECT_EQ(seccomp_verdict(p, seccomp_call(1, {0, 99})), SECCOMP_RET_ALLOW);
}

TEST(SeccompVerdict, ProgramsTheKernelWouldRefuse) {
  // A jump past the end, a load outside seccomp_data, running off the end,
  // scratch memory out of range: no verdict but a kill.
  EXPECT_EQ(seccomp_verdict(program({BPF_STMT(BPF_JMP | BPF_JA, 5), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)}),
                            seccomp_call(0)),
            SECCOMP_RET_KILL_PROCESS);
  EXPECT_EQ(seccomp_verdict(program({BPF_STMT(BPF_LD | BPF_W | BPF_ABS, sizeof(struct seccomp_data)),
                                     BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)}),
                            seccomp_call(0)),
            SECCOMP_RET_KILL_PROCESS);
  EXPECT_EQ(seccomp_verdict(program({BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 2), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)}),
                            seccomp_call(0)),
            SECCOMP_RET_KILL_PROCESS);
  EXPECT_EQ(seccomp_verdict(program({BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0xfffffffc),
                                     BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)}),
                            seccomp_call(0)),
            SECCOMP_RET_KILL_PROCESS);
  EXPECT_EQ(seccomp_verdict(program({BPF_STMT(BPF_LD | BPF_W | BPF_IMM, 1)}), seccomp_call(0)), SECCOMP_RET_KILL_PROCESS);
  EXPECT_EQ(seccomp_verdict(program({BPF_STMT(BPF_ST, BPF_MEMWORDS), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)}),
                            seccomp_call(0)),
            SECCOMP_RET_KILL_PROCESS);
  EXPECT_EQ(seccomp_verdict(SeccompProgram{}, seccomp_call(0)), SECCOMP_RET_KILL_PROCESS);
  // Division by a zero X ends the filter with 0, the kernel's way.
  EXPECT_EQ(seccomp_verdict(program({BPF_STMT(BPF_LDX | BPF_W | BPF_IMM, 0), BPF_STMT(BPF_ALU | BPF_DIV | BPF_X, 0),
                                     BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)}),
                            seccomp_call(0)),
            0u);
}

}  // namespace
