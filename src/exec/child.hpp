// The child side of a start (spec/runtime.md §5.3, §5.4): cloned by the
// monitor into its new namespaces, it runs the plan's child steps when the
// monitor says so and ends by exec'ing init (or running the init shim).
#pragma once

#include <signal.h>

#include <vector>

#include "exec/cgroup.hpp"
#include "exec/devices.hpp"
#include "exec/plan.hpp"
#include "exec/seccomp.hpp"
#include "util/fd.hpp"

namespace corral::exec {

/// What the monitor prepared before clone. The child shares the monitor's
/// memory until it execs (CLONE_VM; see container.cpp): this stays the
/// monitor's, alive and unchanged until init has exec'd.
struct ChildSetup {
  const Plan* plan = nullptr;
  int sync = -1;                    // the child's end of the sync pair
  int parent_sync = -1;             // the monitor's end, closed by the child
  sigset_t original_mask;           // restored before init runs (by the shim, for execute)
  const SeccompProgram* seccomp = nullptr;
  const Pty* host_console = nullptr;  // a console pty from the host's devpts (lxc.pty.max <= 1)
  bool daemon = false;
  std::vector<std::pair<int, int>> share_fds;  // (fd of /proc/PID/ns/X, CLONE_NEW*) to setns, user first
  ContainerCgroups* cgroups = nullptr;         // init moves itself into the payload first thing
  bool born_in_unified_cgroup = false;         // clone3 put it into the cgroup2 payload already
  bool enters_cgroups_first = false;  // at once, not at a deferred EnterCgroups step
  /// The child moves first (cgroups, shared namespaces) and acknowledges.
  bool first_turn() const { return enters_cgroups_first || !share_fds.empty(); }
  // What init execs, ready before the clone: the child may not allocate
  // once the monitor runs again. For execute, the shim (shim_file) with
  // "init" COMMAND [ARG...]; otherwise the init command itself.
  std::vector<char*> exec_argv;  // null-terminated
  std::vector<char*> exec_envp;  // null-terminated
  int shim_file = -1;
  // Set when the seccomp policy would deny execveat on shim_file: the shim
  // is exec'd by this path instead, /proc/self/fd/N in the container.
  const char* shim_path = nullptr;
};

/// The empty path of the shim's execveat(fd, "", ..., AT_EMPTY_PATH).
inline constexpr char kEmptyPath[] = "";

/// Execs init, or reports an error and returns the exit status the child
/// ends with (the clone trampoline exits with it: no noreturn call here, for
/// AddressSanitizer, which would look for the monitor's stack).
int run_child(const ChildSetup& setup);

/// The init shim of execute (spec §10; src/shim/init.cpp) in a sealed,
/// read-only memfd, for init to exec as pid 1 with the argv "init" COMMAND
/// [ARG...] MASK: it runs the command as pid 2, forwards signals to it, reaps
/// every orphan and exits with the command's status.
Result<UniqueFd> init_shim_file();

}  // namespace corral::exec
