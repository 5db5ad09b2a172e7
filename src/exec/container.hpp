// Running a plan (spec/runtime.md §5): the monitor's side. Container::start
// walks the plan's steps in order: monitor steps run here, child steps run
// in the cloned child (src/exec/child.cpp), which reports back before each
// monitor step; start returns once init has exec'd. finish() is the end of
// the container (§8.2): stop hooks, cgroups removed, post-stop hooks.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "exec/cgroup.hpp"
#include "exec/devices.hpp"
#include "exec/net.hpp"
#include "exec/plan.hpp"
#include "util/clone_vm.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

namespace corral::exec {

struct SyncMessage;

/// lxc.proc.* and lxc.prlimit.* applied to a process: to init by the
/// start's monitor, to an attached process by attach (spec §11 step 4).
Result<void> apply_proc_writes(const WriteProc& proc, pid_t pid);
Result<void> apply_rlimits(const SetRlimits& limits, pid_t pid);

struct StartOptions {
  /// Daemon: init's stdio is /dev/null or the console pty; foreground: the
  /// tool's stdio or the console pty the monitor proxies (spec §5.5).
  bool daemon = false;
  /// The pid whose namespaces a lxc.namespace.share.NS value names: a
  /// number, or a container name resolved by the runtime (its init pid).
  std::function<Result<pid_t>(const std::string& value)> resolve_share;
  /// Extra warnings (cgroup devices files refused) go here.
  std::function<void(const std::string&)> warn;
  /// The signal mask init starts with (the tool's own, from before the
  /// monitor blocked everything); nullptr: an empty mask.
  const sigset_t* init_signal_mask = nullptr;
  /// Called once the container's cgroups exist (the payload, before the
  /// clone), and again once the monitor cgroup exists,
  /// unless it was made before the start (monitor_cgroup_made, then already
  /// in the first call): the runtime's janitor must know what to remove
  /// should the monitor die.
  std::function<void(const ContainerCgroups&)> on_payload_cgroups;
  std::function<void(const ContainerCgroups&)> on_monitor_cgroup;
  /// A monitor cgroup made before the start (ContainerCgroups::
  /// create_monitor_first) whose unified part the monitor was born in. The
  /// start takes it over: the payload is added beside it, the monitor
  /// enters only its v1 parts, and finish() removes it with the rest. Only
  /// for a plan whose first step is create-cgroups.
  const ContainerCgroups* monitor_cgroup_made = nullptr;
  /// A monitor not born in its cgroup (not monitor_cgroup_made) neither
  /// makes nor enters that cgroup during the start: the caller does both
  /// later, if at all (Container::monitor_cgroup_due). Moving into the
  /// unified part waits for an RCU grace period (6 to 12 ms here) when no
  /// other move came just before, longer than a whole start, and making,
  /// entering, leaving and removing the cgroup in every hierarchy takes
  /// 40 operations under the kernel's cgroup mutex, about a seventh of a
  /// short start; the runtime makes them once the container has run for a
  /// while, where Plan::monitor_cgroup_can_wait.
  bool monitor_cgroup_later = false;
};

/// What this corral cannot run, refused before anything is touched: a new
/// user namespace without lxc.idmap.
Result<void> check_supported(const config::Config& cfg, const Plan& plan);

class Container {
 public:
  /// Runs every step before exec-init; returns once init runs. On a failure
  /// the child is killed and everything made so far is undone (§8.3); the
  /// error names the step.
  static Result<std::unique_ptr<Container>> start(const Plan& plan, const StartOptions& options);

  Container(const Container&) = delete;
  Container& operator=(const Container&) = delete;
  /// Kills init and cleans up if finish() was not called.
  ~Container();

  pid_t init_pid() const { return pid_; }
  int init_pidfd() const { return pidfd_.get(); }
  /// The console pty's master (-1 without a console) and the ttys' masters.
  int console_master() const { return console_.master.get(); }
  const std::vector<Pty>& ttys() const { return ttys_; }
  ContainerCgroups* cgroups() { return cgroups_ ? &*cgroups_ : nullptr; }
  /// With StartOptions::monitor_cgroup_later: whether the monitor cgroup
  /// is still to be made, and making it (its name is then
  /// cgroups()->monitor_name(); the caller tells whoever removes it should
  /// the monitor die, then enters it with cgroups()->enter_monitor_self).
  /// finish() removes it with the rest.
  bool monitor_cgroup_due() const { return monitor_cgroup_due_ != nullptr; }
  Result<void> make_due_monitor_cgroup();
  const Network* network() const { return network_ ? &*network_ : nullptr; }
  const Plan& plan() const { return plan_; }

  /// What finish() tells its caller between its steps, and how it went.
  struct Teardown {
    /// The hooks' LXC_TARGET: "stop", or "reboot" when the monitor starts
    /// the container again afterwards.
    const char* target = "stop";
    /// Once every cgroup is removed: from then on their names are anybody's.
    std::function<void()> cgroups_gone;
    /// Right before the post-stop hooks, where LXC closes the command
    /// socket and the container is STOPPED for its clients (§8.2 step 6).
    std::function<void()> stopped;
    /// Out: finish() failed in stop hooks alone, which (unlike a post-stop
    /// hook or the teardown itself) does not cancel a reboot.
    bool only_stop_hooks_failed = false;
  };

  /// After init has been reaped: stop hooks, cgroups removed, post-stop
  /// hooks (§8.2 steps 4-6); the first error.
  Result<void> finish(Teardown& teardown);
  Result<void> finish() {
    Teardown stop;
    return finish(stop);
  }

  /// The container's mount namespace, held from the clone on: init's exit
  /// then leaves its mount tree standing, and whoever closes this fd takes
  /// it down (an RCU grace period and every mount of the container). The
  /// runtime hands it to its janitor, whose exit pays that instead of the
  /// monitor's wait for init. Invalid when the container shares the
  /// host's mount namespace, or once taken; closed with the Container.
  UniqueFd take_mount_namespace() { return std::move(mount_ns_); }

 private:
  explicit Container(const Plan& plan) : plan_(plan) {}
  struct Setup;
  Result<void> run(const StartOptions& options);
  Result<void> run_steps(Setup& s);
  void end_child(Setup& s);
  Result<void> wait_for_ack(Setup& s);
  Result<void> prepare_init_exec(Setup& s);
  Result<void> choose_shim_exec(Setup& s);
  bool monitor_cgroup_to_enter(const Setup& s) const;
  Result<void> make_monitor_cgroup(Setup& s);
  Result<void> enter_monitor_cgroup(Setup& s);
  Result<void> run_monitor_step(size_t index, Setup& s);
  Result<void> clone_child(size_t index, Setup& s);
  void abort_start();
  /// Keeps the namespaces the exec announcement carries (SyncKind::exec).
  void keep_namespaces(SyncMessage& announced);
  /// At a failed start, before the setup process is let go: its
  /// namespaces, for the teardown hooks.
  void keep_child_namespaces();

  const Plan& plan_;
  pid_t pid_ = -1;
  UniqueFd pidfd_;
  // Init's stack while it shares this process's memory (clone_child);
  // released once init has exec'd, or by ~Container, which ends init first.
  ChildStack init_stack_;
  static constexpr size_t kInitStackSize = 1024 * 1024;
  UniqueFd mount_ns_;  // see take_mount_namespace()
  Pty console_;
  std::vector<Pty> ttys_;
  std::optional<ContainerCgroups> cgroups_;
  /// The container's namespaces ("mnt", fd), kept for the stop hooks.
  std::vector<std::pair<std::string, UniqueFd>> namespace_fds_;
  std::optional<Network> network_;  // lxc.net devices made by the monitor
  bool finished_ = false;
  const CreateCgroups* monitor_cgroup_due_ = nullptr;  // see monitor_cgroup_due()
};

}  // namespace corral::exec
