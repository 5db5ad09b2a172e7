// LXC seccomp policy files (`lxc.seccomp.profile`, spec/seccomp-policy.md):
// parsed into a typed policy, with syscall names resolved by libseccomp and
// every rule checked the way libseccomp checks it when LXC adds it.
//
// Compiling the policy into BPF is left to the runtime; `rules` lists exactly
// what LXC would add, in order, on the host the policy was parsed for.
#pragma once

#include <seccomp.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/diagnostics.hpp"

namespace corral::config {

enum class SeccompListType : uint8_t { allowlist, denylist };

struct SeccompAction {
  enum class Kind : uint8_t { kill, errno_, allow, trap, notify };
  Kind kind = Kind::kill;
  uint16_t errno_value = 0;  // for errno: the number cut to 16 bits, as SCMP_ACT_ERRNO does

  /// The libseccomp action (SCMP_ACT_*).
  uint32_t scmp() const;
  /// "kill", "errno 1", ...
  std::string str() const;
  bool operator==(const SeccompAction&) const = default;
};

enum class SeccompCompare : uint8_t { ne, lt, le, eq, ge, gt, masked_eq };

/// One argument group `[INDEX,VALUE,OP(,MASK)]`: masked_eq means
/// `(arg & mask) == value`; the mask is unused by the other operators.
struct SeccompArgCmp {
  Origin origin;  // the '[' of the group
  uint32_t index = 0;
  SeccompCompare op = SeccompCompare::eq;
  uint64_t value = 0;
  uint64_t mask = 0;
};

struct SeccompRule {
  Origin origin;
  std::string section;  // the '[arch]' section it is in, as written without brackets; "" before any
  std::string name;     // the system call (version 1: the number as written)
  bool reject_force_umount = false;  // `reject_force_umount`: name is "umount2", action errno 13, one group
  SeccompAction action;
  bool explicit_action = false;
  std::vector<SeccompArgCmp> args;
  int nr = 0;                    // native syscall number; negative for a pseudo number (not on the native ABI)
  std::vector<uint32_t> arches;  // SCMP_ARCH_* of the ABIs LXC adds the rule to
};

struct SeccompPolicy {
  int version = 0;
  SeccompListType type = SeccompListType::allowlist;
  SeccompAction default_action;  // the filter's: what a system call without a rule gets
  SeccompAction rule_default;    // what a rule without an action gets
  bool wants_notify = false;     // a used rule has the action 'notify' (LXC then asks for a listener)
  std::string machine;           // the host the sections were chosen for (`uname -m`)
  std::vector<uint32_t> arches;  // SCMP_ARCH_* the filter covers, native first
  std::vector<SeccompRule> rules;
};

/// The host whose sections are used (spec §8); `machine` is `uname -m`.
/// Syscall names are always resolved for libseccomp's native ABI, so a
/// `machine` of another architecture family than this build is only good
/// for testing which sections are used.
struct SeccompHost {
  std::string machine;
  /// The CPU time libseccomp may take to add one rule before the add counts
  /// as one it never finishes (a real add takes well under a millisecond);
  /// the fuzzer shortens it.
  std::chrono::microseconds add_budget = std::chrono::seconds(1);
  static SeccompHost current();
};

/// Parses a policy. `file_name` is added to `sources`; errors and warnings
/// go to `diags` (every line is checked, not only up to the first error).
/// The result is meaningful only when no error was added.
SeccompPolicy parse_seccomp_policy(std::string_view text, const std::string& file_name, Diagnostics& diags,
                                   SourceTable& sources, const SeccompHost& host = SeccompHost::current());

/// The rule's argument groups as libseccomp comparisons, as LXC adds them.
std::vector<scmp_arg_cmp> scmp_arg_cmps(const SeccompRule& rule);

/// "x86_64", "x86", ... for an SCMP_ARCH_* value.
std::string seccomp_arch_name(uint32_t arch);

/// A canonical dump: header lines, then one line per rule.
std::string describe(const SeccompPolicy& p);

}  // namespace corral::config
