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

/// What the monitor prepared before clone; the child gets a copy of it with
/// its memory.
struct ChildSetup {
  const Plan* plan = nullptr;
  int sync = -1;                    // the child's end of the sync pair
  int parent_sync = -1;             // the monitor's end, closed by the child
  sigset_t original_mask;           // restored before init runs
  const SeccompProgram* seccomp = nullptr;
  const Pty* host_console = nullptr;  // a console pty from the host's devpts (lxc.pty.max <= 1)
  bool daemon = false;
  std::vector<std::pair<int, int>> share_fds;  // (fd of /proc/PID/ns/X, CLONE_NEW*) to setns, user first
  ContainerCgroups* cgroups = nullptr;         // init moves itself into the payload first thing
  bool born_in_unified_cgroup = false;         // clone3 put it into the cgroup2 payload already
};

/// Never returns: execs init, or _exits after reporting an error.
[[noreturn]] void run_child(const ChildSetup& setup);

/// Runs argv as pid 2 under a minimal init (spec §10): reaps every child,
/// forwards signals to the command, exits with its status. Used by execute.
[[noreturn]] void run_init_shim(const ExecInit& exec, int sync_fd);

}  // namespace corral::exec
