// The container's cgroups as LXC 5.0.2's cgfsng driver makes them: a monitor
// and a payload cgroup in every hierarchy, the lxc.cgroup.* / lxc.cgroup2.*
// limits, the freezer, the numbers lxc-info -S prints, and the teardown
// (spec/runtime.md §3, §5.2 step 6, §5.3 rows 2 and 6, §8.2 step 5, §12).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "exec/plan.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

namespace corral::exec {

/// One line of /proc/PID/cgroup, "ID:CONTROLLERS:PATH".
struct ProcCgroupLine {
  std::vector<std::string> controllers;  // empty for the cgroup2 line "0::PATH"
  std::string path;
};
std::vector<ProcCgroupLine> parse_proc_cgroup(std::string_view text);

/// Moves `pid` into the cgroup directory `dir` (its cgroup.procs): 0 or
/// the errno.
int join_cgroup(const std::string& dir, pid_t pid);

/// LXC's leaf for attached processes in cgroup2 (cgroup_attach_leaf): a
/// cgroup whose children have controllers enabled may hold no process
/// (once the container's init has delegated, as systemd does), so an
/// attached process goes to `.lxc` below the payload (made when missing),
/// else, as LXC's, to the payload itself, and when that is busy to the first
/// `.lxc-N` that takes it. A leaf it makes gets the payload's owner (a
/// container with lxc.idmap manages it). 0 or the errno.
int join_unified_leaf(const std::string& payload, pid_t pid);

/// The container's cgroup directories in every hierarchy of the host. Plain
/// paths only (no fds), so the object moves and copies freely; the destructor
/// removes nothing: tearing down is destroy()'s job.
class ContainerCgroups {
 public:
  /// What lxc-info -S prints; a value is absent when its file cannot be read
  /// (LXC then prints no line).
  struct Stats {
    std::optional<uint64_t> cpu_ns;        // cpuacct.usage; v2: cpu.stat usage_usec * 1000
    std::optional<uint64_t> blkio_bytes;   // last "Total" of blkio.throttle.io_service_bytes; v2: io.stat rbytes+wbytes
    std::optional<uint64_t> memory_bytes;  // memory.usage_in_bytes; v2: memory.current
    std::optional<uint64_t> kmem_bytes;    // memory.kmem.usage_in_bytes; v2: "kernel" of memory.stat
    std::optional<uint64_t> swap_bytes;    // "swap" of memory.stat (v1 with swap accounting)
  };

  ContainerCgroups() = default;

  /// Creates the payload cgroup (and payload_inner below it), then the
  /// monitor cgroup, each in every hierarchy. A name that exists in any
  /// hierarchy is retried as NAME-1 ... NAME-999 (when the step allows it),
  /// with one suffix for all hierarchies. v1 cpuset: the first new level
  /// gets cpuset.cpus/mems from its parent and clone_children=1. Pure
  /// cgroup2: the base and every cgroup between it and init's cgroup enable
  /// the base's controllers for their children. On failure nothing created
  /// here is left behind.
  static Result<ContainerCgroups> create(const HostFacts& host, const CreateCgroups& step);
  /// The two halves of create(): the payload cgroup alone (what init needs
  /// at clone time), and later the monitor cgroup, which the runtime makes
  /// while init is setting itself up.
  static Result<ContainerCgroups> create_payload(const HostFacts& host, const CreateCgroups& step);
  Result<void> create_monitor(const CreateCgroups& step);
  /// The other order, for a monitor that is cloned straight into the
  /// unified part of its cgroup (CLONE_INTO_CGROUP: no move, so no RCU
  /// grace period, see enter_monitor_self): the monitor cgroup alone, then
  /// add_payload() in the monitor once the plan gets there. On failure,
  /// add_payload removes only what it made.
  static Result<ContainerCgroups> create_monitor_first(const HostFacts& host, const CreateCgroups& step);
  Result<void> add_payload(const CreateCgroups& step);
  /// With CreateCgroups::v1_payload_after_clone, create_payload() and
  /// add_payload() make the payload in the unified hierarchy only, after
  /// checking that its name is free in the v1 ones; this makes it there
  /// (cpuset initialised, payload_inner below it), under the name chosen
  /// then. On failure it removes what it made and leaves the v1 payload out
  /// of destroy(): whatever holds the name now is not this container's.
  Result<void> add_payload_v1(const CreateCgroups& step);
  /// add_payload_v1 in three parts, for a monitor whose init runs meanwhile
  /// in the same memory (exec/container.cpp): prepare (allocates; none for
  /// a nested payload or payload_inner, which add_payload_v1 makes), run
  /// (raw system calls only: no heap, no errno) and finish (records what
  /// was made; when all of it was, allocates and frees nothing, provided
  /// nothing changed this object since prepare).
  struct PayloadV1Batch {
    struct Op {
      std::string path;
      std::string value;   // written to `path` (a cpuset file, clone_children)
      bool mkdir = false;  // or: `path` is made
    };
    std::vector<Op> ops;
    size_t done = 0;  // ops that succeeded, in order
    int err = 0;      // errno of ops[done], when it failed
    /// Runs the ops in order up to the first failure.
    void run();
  };
  Result<std::optional<PayloadV1Batch>> prepare_payload_v1(const CreateCgroups& step);
  Result<void> finish_payload_v1(PayloadV1Batch& batch);
  /// The calling process was born in the unified monitor cgroup: destroy()
  /// moves it back out, as after enter_monitor_self().
  void born_in_monitor();
  /// Whether the calling process is the one in the monitor cgroup.
  bool caller_in_monitor() const;
  /// Removes every directory create*() made (a start that failed before
  /// anything ran in them).
  void undo_creation();
  /// The object as text without newlines or NULs (each field as
  /// "LENGTH:BYTES"), for the janitor that outlives a killed monitor as a
  /// new program (runtime/janitor.hpp); from_text() reads it back, and
  /// refuses anything else. What the calling process entered is left out:
  /// the reader is another process.
  std::string to_text() const;
  static std::optional<ContainerCgroups> from_text(std::string_view text);

  /// Finds a running container's cgroups from its init pid
  /// (/proc/PID/cgroup): in each hierarchy the payload is the last path
  /// component named lxc.payload.* (init may sit in a sub-cgroup it made),
  /// else init's own cgroup. Refuses cgroups at or above the base.
  static Result<ContainerCgroups> for_pid(const HostFacts& host, pid_t init_pid);

  /// Writes `pid` to cgroup.procs of the monitor cgroup in every hierarchy.
  Result<void> enter_monitor(pid_t pid);
  /// Same for the payload cgroup (payload_inner when set).
  Result<void> enter_payload(pid_t pid);

  // Moving the calling process itself. Writing a pid to cgroup.procs takes
  // the kernel's global threadgroup lock, whose first writer after a quiet
  // spell waits for an RCU grace period (6 to 12 ms here, longer than the
  // rest of a start, and which holds the global cgroup_mutex, so that no
  // other process can make, remove or enter a cgroup meanwhile). On v1 a
  // single-threaded caller writes "0" to `tasks` instead, which moves only
  // the calling thread and skips that lock; the unified hierarchy has no
  // such file and still goes through cgroup.procs, unless `skip_unified`:
  // the caller was cloned into it, or enters it later (below). A caller
  // with more than one thread is moved through cgroup.procs everywhere.
  Result<void> enter_monitor_self(bool skip_unified);
  Result<void> enter_payload_self(bool skip_unified);
  /// Back to the cgroup the caller of create() was in (the monitor at
  /// teardown; a helper it forked that must not keep the monitor cgroup busy).
  Result<void> leave_monitor_self();
  /// An O_PATH fd on init's cgroup in the unified hierarchy, for clone3's
  /// CLONE_INTO_CGROUP (none without a unified hierarchy).
  UniqueFd open_unified_init_dir() const;
  /// The same on the unified monitor cgroup, and on the cgroup the caller
  /// of create*() was in (for a helper that must stay out of the monitor
  /// cgroup).
  UniqueFd open_unified_monitor_dir() const;
  UniqueFd open_unified_origin_dir() const;

  /// Writes the limits into the payload cgroup. Version 1: `<ctrl>.<file>`
  /// goes to the hierarchy that has <ctrl>; cpuset.* also to payload_inner;
  /// devices.allow with a device path is turned into "TYPE MAJ:MIN ACCESS".
  /// Version 2: plain files into the unified payload cgroup; devices.*
  /// rules become one BPF device program attached there (LXC's
  /// cgroup2_devices.c, same rule semantics). For device rules of v1,
  /// EACCES and EPERM are only warnings, appended to `warnings` (LXC's
  /// SYSWARN). Errors carry the key, the value and its `where`.
  Result<void> apply(const SetCgroupLimits& limits, std::vector<std::string>* warnings);

  /// Freezes the payload: v1 freezer.state = FROZEN, polled until the
  /// kernel reports FROZEN; cgroup2 (no v1 freezer) cgroup.freeze = 1, then
  /// waits for "frozen 1" in cgroup.events. timeout_ms < 0: wait forever, as
  /// LXC does.
  Result<void> freeze(int timeout_ms = -1);
  /// The reverse: THAWED / cgroup.freeze = 0, waiting for the kernel.
  Result<void> thaw(int timeout_ms = -1);
  /// The freezer state read from the files now.
  bool frozen() const;

  Stats stats() const;

  /// Kills what is left in the payload (SIGKILL to every process of the
  /// tree, thawing it so that frozen tasks die, repeated until the tree is
  /// empty, bounded), removes the payload tree bottom-up, moves whatever is
  /// in the monitor cgroup (the calling monitor) to the pivot cgroup,
  /// removes the monitor tree and then the pivot if this call made it and
  /// it is empty (LXC leaves its pivot; it is shared). Best
  /// effort: every step runs, the first error is returned. After a
  /// complete run further calls do nothing.
  Result<void> destroy();
  /// How long destroy() keeps killing what is left in the payload.
  static constexpr std::chrono::milliseconds kKillTimeout{10000};

  /// Gives the container's cgroups (the payload, and the inner one init
  /// runs in) to the host ids of its root, as LXC does for a container with
  /// lxc.idmap: the directory and the files that delegate it, so that its
  /// init can make cgroups below and move its processes there.
  Result<void> delegate_to(uid_t uid, gid_t gid);

  /// The payload (limit) cgroup in each hierarchy, in HostFacts order.
  std::vector<std::string> payload_dirs() const;
  /// The payload cgroup in the unified hierarchy; "" without one.
  std::string unified_payload_dir() const;
  /// Where init is placed: payload_inner when set, else the payload.
  std::vector<std::string> init_dirs() const;
  /// The monitor cgroup in each hierarchy; empty for an object from for_pid.
  std::vector<std::string> monitor_dirs() const;
  /// The names chosen below each base, with the retry suffix ("" if unknown).
  const std::string& monitor_name() const { return monitor_name_; }
  const std::string& payload_name() const { return payload_name_; }

 private:
  struct Hierarchy {
    std::string base_dir;  // /sys/fs/cgroup/<mount_dir><base>
    bool unified = false;
    std::vector<std::string> controllers;
    std::string monitor;  // absolute paths; "" = none
    std::string payload;
    std::string inner;  // payload_inner; "" = the payload itself
    std::string origin;  // the caller's cgroup before it entered the monitor cgroup
    /// Where init is placed: payload_inner when set, else the payload.
    const std::string& init_dir() const { return inner.empty() ? payload : inner; }
  };

  /// The hierarchies and names, checked; nothing made yet.
  static Result<ContainerCgroups> for_host(const HostFacts& host, const CreateCgroups& step);
  // Which hierarchies an operation touches; create_everywhere() with
  // unified_only also checks the name free in the v1 ones.
  enum class Where { all, unified_only, v1_only };
  Result<std::string> create_everywhere(const std::vector<std::string>& parts, const std::string& name, bool retry,
                                        const std::vector<std::string>& inner_parts, std::vector<std::string>* made,
                                        Where where = Where::all);
  const Hierarchy* find_controller(const std::string& controller) const;
  /// The v1 payload could not be made: forgets it (what holds its name now
  /// is not this container's) and says so around `e`.
  Error v1_payload_failed(Error e);
  void adopt_monitor(const std::string& name);
  // destroy()'s two halves.
  Result<void> destroy_payload();
  Result<void> destroy_monitor();
  const Hierarchy* unified() const;
  Result<void> enter(pid_t pid, bool monitor);
  enum class Target { monitor, payload, origin };
  Result<void> move_self(Target to, Where where);
  Result<void> kill_payload();
  Result<void> set_freezer(bool freeze, int timeout_ms);

  CgroupLayout layout_ = CgroupLayout::unified;
  std::vector<Hierarchy> hierarchies_;
  std::string monitor_name_;
  std::string payload_name_;
  std::string pivot_name_;
  bool payload_destroyed_ = false;
  bool monitor_destroyed_ = false;
  pid_t in_monitor_ = 0;  // the process in the monitor cgroup (enter_monitor_self, born_in_monitor)
  std::vector<std::string> made_;  // every directory create*() made, in order
};

/// clone3(2) like fork(2), plus `flags`; the child is born in the cgroup2
/// directory `cgroup_fd` when that is valid (CLONE_INTO_CGROUP: no move, so
/// none of the waits of ContainerCgroups::enter_monitor_self). `pidfd`, when
/// not null, receives a pidfd of the child (CLONE_PIDFD). No fork handlers
/// run: the caller must be single-threaded.
pid_t clone_into_cgroup(unsigned long flags, int* pidfd, int cgroup_fd);

/// Every cgroup named lxc.monitor.*, lxc.payload.* or lxc.pivot directly
/// below each hierarchy's base (and the caller's cgroup, for
/// lxc.cgroup.relative), as absolute paths: what a container run leaves.
std::vector<std::string> list_lxc_cgroups(const HostFacts& host);

}  // namespace corral::exec
