// The janitor: what removes a container's cgroups when its monitor is
// killed (SIGKILL) at any point of the start or the run.
//
// While the monitor lives, the janitor is a watcher process that shares the
// monitor's memory (clone3 with CLONE_VM) and blocks on a socket. It costs
// no copy of the monitor's address space: making and tearing one down
// (page tables, copy-on-write faults afterwards in the monitor) cost more
// than a millisecond of a short start on hosts whose page tables are
// virtualised. Sharing that memory, the watcher may not call into libc (the
// monitor's errno, malloc state and thread pointer are its too): it makes
// raw system calls only, on a stack of its own.
//
// - The monitor publishes what to remove (ContainerCgroups::to_text) into a
//   block the two share, again whenever it changes.
// - Its goodbye (dismiss) hands over the container's mount namespace, which
//   the watcher closes as it exits: the mount tree is taken down there
//   rather than on the monitor's way out.
// - At end-of-file without a goodbye the monitor is gone; the watcher then
//   executes corral again as `[corral janitor] NAME`, a program of its own
//   (janitor_main), which removes the cgroups last published, killing what
//   is left in them.
#pragma once

#include <sys/types.h>

#include <string>

#include "exec/cgroup.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

namespace corral::runtime {

class Janitor {
 public:
  Janitor() = default;
  ~Janitor() { dismiss(); }
  Janitor(const Janitor&) = delete;
  Janitor& operator=(const Janitor&) = delete;

  /// Starts the watcher for container `name` (a dismissed one is reaped
  /// first). `cgroup_fd` >= 0: it is born in that cgroup2 directory, so that
  /// it never keeps the monitor cgroup busy. `program`: what it executes
  /// once the monitor is gone (corral itself; tests give the built binary).
  Result<void> spawn(const std::string& name, int cgroup_fd, const char* program = "/proc/self/exe");
  /// What the janitor removes should the monitor die from now on.
  Result<void> publish(const exec::ContainerCgroups& cgroups);
  /// Nothing any more: the monitor removed them, and the names may be a
  /// new start's (a monitor killed in its post-stop hooks must not have its
  /// janitor remove a restarted container's cgroups).
  void unpublish();
  /// The goodbye: the watcher exits, closing `mount_ns` as it goes. Not
  /// waited for (reaped by the next spawn, else it goes with the monitor).
  void dismiss(UniqueFd mount_ns = UniqueFd());
  /// Waits until the dismissed watcher is gone, and with it the container's
  /// mount tree (whose last reference it held): the stop is over then. One
  /// that is not gone within `timeout_ms` (stopped by a signal, say) is not
  /// waited for.
  void wait_dismissed(int timeout_ms = 500);
  /// The watcher's pid; -1 when there is none.
  pid_t pid() const { return pid_; }

  struct Shared;  // the block the monitor and the watcher share

 private:
  Shared* shared_ = nullptr;  // mapped by the first spawn, never unmapped
  pid_t pid_ = -1;
  pid_t dismissed_ = -1;
  UniqueFd sock_;
};

/// `corral __janitor TEXT`, as the watcher executes it: removes the cgroups
/// TEXT names (ContainerCgroups::to_text). Returns the exit status: 0 when
/// everything went, 1 when something was left, 2 when TEXT is not such a
/// text (then nothing is touched).
int janitor_main(const char* text);

/// The verb janitor_main answers to; not a command for users.
inline constexpr const char* kJanitorVerb = "__janitor";

}  // namespace corral::runtime
