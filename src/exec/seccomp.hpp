// Seccomp: a parsed LXC policy (config/seccomp_policy.hpp) compiled into a
// BPF program the way LXC 5.0.2 builds its filter, and that program loaded.
// Compiling happens in the monitor before clone; the child only loads.
#pragma once

#include <linux/filter.h>
#include <linux/seccomp.h>

#include <cstdint>
#include <initializer_list>

#include <string>
#include <vector>

#include "config/diagnostics.hpp"
#include "config/seccomp_policy.hpp"
#include "util/error.hpp"

namespace corral::exec {

struct SeccompProgram {
  std::vector<struct sock_filter> filter;  // the BPF program, ready for SECCOMP_SET_MODE_FILTER
};

/// Compiles a parsed policy as LXC does with libseccomp: one context per ABI
/// (the native one, plus one per compat ABI of policy.arches), all made with
/// the policy's default action and SCMP_FLTATR_CTL_NNP off (loading must not
/// set no_new_privs); each rule is added to the contexts of the ABIs it lists,
/// with its argument comparisons; the compat contexts are merged into the
/// native one and the result is exported with seccomp_export_bpf.
/// Policies that use the action 'notify' are refused: corral has no seccomp
/// notify proxy. `sources` (the table the policy was parsed with) lets errors
/// name the rule's file:line:col; without it they give the line only.
Result<SeccompProgram> compile_seccomp(const config::SeccompPolicy& policy,
                                       const config::SourceTable* sources = nullptr);

/// Reads, parses and compiles a policy file; parse errors are rendered into
/// the message. Every error names the file.
Result<SeccompProgram> compile_seccomp_file(const std::string& path);

/// What the filter answers for one system call: the SECCOMP_RET_* action
/// with its data, found by running the program over `call` as the kernel
/// runs a classic BPF seccomp filter. A program the kernel would refuse
/// (an unknown instruction, a jump or load out of bounds) answers
/// SECCOMP_RET_KILL_PROCESS. Allocates nothing.
uint32_t seccomp_verdict(const SeccompProgram& program, const struct seccomp_data& call);

/// The verdict lets the system call run (SECCOMP_RET_ALLOW or _LOG).
bool seccomp_allows(uint32_t verdict);

/// A system call as a filter sees it: number, arguments, ABI (the native
/// one unless given).
struct seccomp_data seccomp_call(int nr, std::initializer_list<uint64_t> args = {}, uint32_t arch = 0);

/// Loads the filter into the calling thread (seccomp(2) SECCOMP_SET_MODE_FILTER
/// without flags, prctl(PR_SET_SECCOMP) on kernels without seccomp(2)). The
/// caller has CAP_SYS_ADMIN or has set no_new_privs. Allocates nothing, even
/// on failure, so it is safe in a child forked from a threaded process.
Result<void> load_seccomp(const SeccompProgram& program);

}  // namespace corral::exec
