#include "exec/container.hpp"

#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <utility>

#include "exec/child.hpp"
#include "exec/hooks.hpp"
#include "exec/message.hpp"
#include "exec/mounts.hpp"
#include "config/loader.hpp"
#include "exec/seccomp.hpp"
#include "util/clone_vm.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace corral::exec {

/// What lives only while start() runs.
struct Container::Setup {
  const StartOptions* options = nullptr;
  UniqueFd sync;           // the monitor's end
  UniqueFd child_sync;     // the child's end, closed after clone
  std::optional<SeccompProgram> seccomp;
  Pty host_console;
  std::vector<UniqueFd> share_fds;
  std::vector<std::pair<int, int>> share_list;
  UniqueFd pid_ns_for_child;  // lxc.namespace.share.pid: the monitor joins it for the clone only
  // Made once init runs its first steps (unless made before the start),
  // and entered then too, or once init is in its own (EnterCgroups).
  const CreateCgroups* monitor_to_make = nullptr;
  const CreateCgroups* monitor_to_enter = nullptr;
  // The v1 payload (CreateCgroups::v1_payload_after_clone): made then too,
  // while init mounts (the batch, freed with Setup: init runs alone by then).
  const CreateCgroups* v1_payload = nullptr;
  std::optional<ContainerCgroups::PayloadV1Batch> v1_batch;
  ChildSetup child;       // the child reads it from here: see clone_child
  UniqueFd shim_file;     // execute's init shim, for the child to exec
  std::string shim_path;  // its name in /proc, when the seccomp policy denies execveat
  std::string shim_mask;  // its last argument: the command's signal mask
};

namespace {

Result<void> write_file(const std::string& path, const std::string& value) {
  UniqueFd f(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!f) return Error::system("open", path, errno);
  if (::write(f.get(), value.data(), value.size()) < 0) return Error::system("write '" + value + "' to", path, errno);
  return {};
}

std::string id_map_text(const std::vector<config::IdMap>& maps) {
  std::string text;
  for (const config::IdMap& m : maps)
    text += std::to_string(m.ns_id) + " " + std::to_string(m.host_id) + " " + std::to_string(m.range) + "\n";
  return text;
}

}  // namespace

Result<void> check_supported(const config::Config& cfg, const Plan& plan) {
  if ((plan.namespaces & CLONE_NEWUSER) && cfg.idmaps.empty()) {
    // Every id would be unmapped: the container could not make a file.
    return Error::config(
        "lxc.namespace.clone/keep asks for a new user namespace, but there is no lxc.idmap to map ids into it");
  }
  return {};
}

Result<std::unique_ptr<Container>> Container::start(const Plan& plan, const StartOptions& options) {
  std::unique_ptr<Container> c(new Container(plan));
  Result<void> r = c->run(options);
  if (!r) {
    c->abort_start();
    return std::move(r.error());
  }
  return c;
}

Result<void> Container::run(const StartOptions& options) {
  Setup s;
  s.options = &options;
  Result<void> r = run_steps(s);
  if (!r) {
    keep_child_namespaces();  // on the monitor's turn: the child waits, or has ended
    end_child(s);
  }
  return r;
}

void Container::end_child(Setup& s) {
  // A failed start: the child waits for a message, has failed and waits
  // for this end to close, or (a failed v1 batch) still runs. Closing the
  // socket ends its wait; it frees what it allocated and exits, and only
  // then may the monitor go on (the two share their memory). One that does
  // not exit within 5 s is killed.
  s.sync.reset();
  if (!pidfd_) return;
  struct pollfd p {pidfd_.get(), POLLIN, 0};
  int n;
  while ((n = ::poll(&p, 1, 5000)) < 0 && errno == EINTR) {
  }
  if (n == 0) ::syscall(SYS_pidfd_send_signal, pidfd_.get(), SIGKILL, nullptr, 0);
  siginfo_t info{};
  ::waitid(P_PIDFD, static_cast<id_t>(pidfd_.get()), &info, WEXITED | WNOWAIT);
}

Result<void> Container::run_steps(Setup& s) {
  const StartOptions& options = *s.options;
  if (options.monitor_cgroup_made) cgroups_ = *options.monitor_cgroup_made;  // from here on, finish() removes it
  size_t i = 0;
  const size_t n = plan_.steps.size();
  while (i < n) {
    const Step& step = plan_.steps[i];
    if (step.actor == Actor::teardown) break;
    if (step.actor == Actor::monitor) {
      Result<void> r = run_monitor_step(i, s);
      if (!r) {
        r.error().wrap("step " + step.name);
        return r;
      }
      ++i;
      continue;
    }
    // The child runs from here up to the next monitor step. It shares this
    // process's memory until it execs (clone_child), so the two take
    // turns: the monitor does its part first (its own cgroup: made, and
    // entered unless the child must enter its v1 payload first), then
    // sends `go` and waits until the child stops at a monitor step, asks
    // something and waits for the `ack`, fails, or execs. One exception:
    // the v1 payload is made while the child mounts, with raw system calls
    // that touch neither the heap nor errno (PayloadV1Batch).
    CORRAL_TRY(make_monitor_cgroup(s));
    const CreateCgroups* v1_payload = std::exchange(s.v1_payload, nullptr);
    if (v1_payload) {
      Result<std::optional<ContainerCgroups::PayloadV1Batch>> batch = cgroups_->prepare_payload_v1(*v1_payload);
      Result<void> r;
      if (!batch)
        r = std::move(batch.error());
      else if (batch.value())
        s.v1_batch = std::move(batch.value());
      else
        r = cgroups_->add_payload_v1(*v1_payload);  // nested: made now, in the monitor's turn
      if (!r) {
        r.error().wrap("step create-cgroups");
        return r;
      }
    }
    // Without a v1 batch the monitor enters its own cgroups now: after
    // `go` the child runs and the monitor may not touch the heap.
    if (!v1_payload) CORRAL_TRY(enter_monitor_cgroup(s));
    CORRAL_TRY(send_sync(s.sync.get(), SyncKind::go, static_cast<int32_t>(i)));
    if (v1_payload && s.v1_batch) {
      // Nothing here may allocate or free (the batch goes with Setup).
      s.v1_batch->run();
      if (s.v1_batch->done != s.v1_batch->ops.size()) end_child(s);  // its turn ends before the error is made
      Result<void> r = cgroups_->finish_payload_v1(*s.v1_batch);
      if (!r) {
        r.error().wrap("step create-cgroups");
        return r;
      }
    }
    // The child enters the v1 payload once it has mounted (enter-cgroups)
    // and says so; the monitor enters its own cgroups then, in a turn of
    // its own. When the word cannot be sent, the child has ended already
    // (its error is queued for the loop below).
    if (v1_payload && !send_sync(s.sync.get(), SyncKind::cgroups, monitor_cgroup_to_enter(s) ? 1 : 0))
      CORRAL_TRY(enter_monitor_cgroup(s));
    bool exec_announced = false;
    bool at_monitor_step = false;
    while (!at_monitor_step) {
      // A message the monitor acts on is acknowledged only once the
      // monitor is done with it, its memory freed included: with the `ack`
      // the child's turn comes back. Without one the child goes on at once,
      // and what the monitor does up to its next receive touches nothing on
      // the heap (see message.hpp).
      bool acknowledge = false;
      {
        bool eof = false;
        Result<SyncMessage> m = recv_sync(s.sync.get(), &eof);
        if (!m) return std::move(m.error());
        SyncMessage& msg = m.value();
        if (eof) {
          // After the exec announcement, end-of-file means init was exec'd
          // (the child's end is close-on-exec); before it, the child died.
          if (exec_announced) {
            // Init's memory is its own now: its stack here can go, and the
            // console the child read from the setup is the monitor's.
            init_stack_ = ChildStack();
            if (s.host_console.master) console_ = std::move(s.host_console);
            return {};
          }
          siginfo_t info{};
          ::waitid(P_PIDFD, static_cast<id_t>(pidfd_.get()), &info, WEXITED | WNOWAIT);
          return Error(Error::Kind::system, "the container's setup process died before init ran (" +
                                                std::string(info.si_code == CLD_EXITED ? "exit status " : "signal ") +
                                                std::to_string(info.si_status) + ")");
        }
        switch (msg.kind) {
          case SyncKind::entered:
            if (monitor_cgroup_to_enter(s)) {
              CORRAL_TRY(enter_monitor_cgroup(s));
              acknowledge = true;
            }
            break;
          case SyncKind::exec:
            exec_announced = true;
            if (!msg.fds.empty()) {
              keep_namespaces(msg);
              acknowledge = true;
            }
            break;
          case SyncKind::error:
            return Error(Error::Kind::system, msg.text);
          case SyncKind::fds:
            if (msg.text == "console" && msg.fds.size() == 2) {
              console_.master = std::move(msg.fds[0]);
              console_.slave = std::move(msg.fds[1]);
            }
            if (msg.text == "ttys") {
              for (UniqueFd& fd : msg.fds) {
                Pty p;
                p.master = std::move(fd);
                ttys_.push_back(std::move(p));
              }
            }
            acknowledge = true;
            break;
          case SyncKind::at:
            i = static_cast<size_t>(msg.step);
            at_monitor_step = true;
            break;
          default:
            return Error(Error::Kind::internal, "unexpected message from the container's setup process");
        }
      }
      if (acknowledge) CORRAL_TRY(send_sync(s.sync.get(), SyncKind::ack, 0));
    }
  }
  return {};
}

Result<void> Container::wait_for_ack(Setup& s) {
  bool eof = false;
  Result<SyncMessage> m = recv_sync(s.sync.get(), &eof);
  if (!m) return std::move(m.error());
  if (eof) return Error(Error::Kind::system, "the container's setup process died before init ran");
  if (m.value().kind == SyncKind::error) return Error(Error::Kind::system, m.value().text);
  if (m.value().kind != SyncKind::ack)
    return Error(Error::Kind::internal, "unexpected message from the container's setup process");
  return {};
}

Result<void> Container::make_monitor_cgroup(Setup& s) {
  // Made after the clone, before the child's first step: nothing the child
  // does depends on it. A monitor born in the unified part
  // (StartOptions::monitor_cgroup_made) has it already.
  const CreateCgroups* monitor = std::exchange(s.monitor_to_make, nullptr);
  if (!monitor || s.options->monitor_cgroup_made) return {};
  if (s.options->monitor_cgroup_later) {
    monitor_cgroup_due_ = monitor;
    return {};
  }
  Result<void> r = cgroups_->create_monitor(*monitor);
  if (!r) return std::move(r.error().wrap("step create-cgroups"));
  if (s.options->on_monitor_cgroup) s.options->on_monitor_cgroup(*cgroups_);
  return {};
}

bool Container::monitor_cgroup_to_enter(const Setup& s) const {
  return s.monitor_to_enter && !monitor_cgroup_due();
}

Result<void> Container::enter_monitor_cgroup(Setup& s) {
  // Entering cgroup2 can wait for an RCU grace period with the kernel's
  // cgroup lock held (see ContainerCgroups::enter_monitor_self). A monitor
  // born in the unified part has only v1 left to enter; one whose cgroup
  // is made later (StartOptions::monitor_cgroup_later) enters it then.
  if (!monitor_cgroup_to_enter(s)) return {};
  s.monitor_to_enter = nullptr;
  Result<void> r = cgroups_->enter_monitor_self(s.options->monitor_cgroup_made != nullptr);
  if (!r) r.error().wrap("step create-cgroups");
  return r;
}

Result<void> Container::make_due_monitor_cgroup() {
  const CreateCgroups* monitor = std::exchange(monitor_cgroup_due_, nullptr);
  if (!monitor || !cgroups_) return {};
  return cgroups_->create_monitor(*monitor);
}

Result<void> Container::run_monitor_step(size_t index, Setup& s) {
  const Step& step = plan_.steps[index];
  if (const auto* h = std::get_if<RunHooks>(&step.data)) {
    EnvList env = plan_.hook_env;
    if (pid_ > 0) env.emplace_back("LXC_PID", std::to_string(pid_));
    return run_hooks(*h, env, plan_.hook_version1);
  }
  if (const auto* cg = std::get_if<CreateCgroups>(&step.data)) {
    // Only the payload now: the monitor cgroup is made while init sets
    // itself up (run), which takes it off the start's critical path.
    if (s.options->monitor_cgroup_made) {
      CORRAL_TRY(cgroups_->add_payload(*cg));
    } else {
      Result<ContainerCgroups> made = ContainerCgroups::create_payload(plan_.host, *cg);
      if (!made) return std::move(made.error());
      cgroups_ = std::move(made.value());
    }
    s.monitor_to_make = s.monitor_to_enter = cg;
    if (cg->v1_payload_after_clone) s.v1_payload = cg;
    if (s.options->on_payload_cgroups) s.options->on_payload_cgroups(*cgroups_);
    return {};
  }
  if (std::holds_alternative<CloneInit>(step.data)) return clone_child(index, s);
  if (const auto* maps = std::get_if<WriteIdMaps>(&step.data)) {
    std::string proc = "/proc/" + std::to_string(pid_);
    if (!maps->uid.empty()) CORRAL_TRY(write_file(proc + "/uid_map", id_map_text(maps->uid)));
    if (!maps->gid.empty()) CORRAL_TRY(write_file(proc + "/gid_map", id_map_text(maps->gid)));
    if (cgroups_) CORRAL_TRY(cgroups_->delegate_to(maps->root_host_uid, maps->root_host_gid));
    return {};
  }
  if (const auto* prepare = std::get_if<PrepareIdmappedMounts>(&step.data)) {
    // Sent in chunks that fit one message (see SyncKind::trees).
    constexpr size_t kPerMessage = 32;
    std::vector<UniqueFd> chunk;
    std::string made;
    auto flush = [&]() -> Result<void> {
      std::vector<int> raw;
      for (const UniqueFd& fd : chunk) raw.push_back(fd.get());
      Result<void> sent = send_sync(s.sync.get(), SyncKind::trees, static_cast<int32_t>(index), 0, made, raw);
      chunk.clear();
      made.clear();
      if (!sent) return sent;
      return wait_for_ack(s);  // the child keeps them: its turn
    };
    for (const IdmappedTree& tree : prepare->trees) {
      Result<UniqueFd> fd = make_idmapped_tree(tree, pid_);
      if (!fd && !tree.optional) return std::move(fd.error().wrap(tree.what));
      made += fd ? '1' : '0';
      if (fd) chunk.push_back(std::move(fd.value()));
      if (made.size() == kPerMessage) CORRAL_TRY(flush());
    }
    if (!made.empty()) CORRAL_TRY(flush());
    return {};
  }
  if (const auto* limits = std::get_if<SetCgroupLimits>(&step.data)) {
    std::vector<std::string> warnings;
    Result<void> r = cgroups_->apply(*limits, &warnings);
    if (s.options->warn)
      for (const std::string& w : warnings) s.options->warn(w);
    return r;
  }
  if (const auto* net = std::get_if<CreateNetDevices>(&step.data)) {
    EnvList env = plan_.hook_env;
    env.emplace_back("LXC_PID", std::to_string(pid_));
    network_.emplace(plan_.name, std::move(env), plan_.hook_version1);
    return network_->create(*net, pid_);
  }
  if (const auto* proc = std::get_if<WriteProc>(&step.data)) return apply_proc_writes(*proc, pid_);
  if (const auto* rl = std::get_if<SetRlimits>(&step.data)) return apply_rlimits(*rl, pid_);
  return Error(Error::Kind::internal, "step " + step.name + " is not the monitor's");
}

Result<void> apply_proc_writes(const WriteProc& proc, pid_t pid) {
  for (const ProcWrite& w : proc.writes) {
    Result<void> r = write_file("/proc/" + std::to_string(pid) + "/" + w.file, w.value);
    if (!r) {
      r.error().wrap("lxc.proc." + w.file + " at " + w.where);
      return r;
    }
  }
  return {};
}

Result<void> apply_rlimits(const SetRlimits& limits, pid_t pid) {
  for (const Rlimit& l : limits.limits) {
    struct rlimit lim {l.soft, l.hard};
    if (::prlimit(pid, static_cast<__rlimit_resource>(l.resource), &lim, nullptr) != 0) {
      Error e = Error::system("prlimit", "", errno);
      e.wrap("lxc.prlimit." + l.name + " at " + l.where);
      return e;
    }
  }
  return {};
}

Result<void> Container::prepare_init_exec(Setup& s) {
  // Ready before the clone: init may not allocate once the monitor runs
  // again (ChildSetup::exec_argv).
  ChildSetup& cs = s.child;
  const Step* exec = plan_.find("exec-init");
  if (!exec) return {};
  const auto& x = std::get<ExecInit>(exec->data);
  static char kShimTitle[] = "init";
  if (x.shim) {
    Result<UniqueFd> shim = init_shim_file();
    if (!shim) return std::move(shim.error());
    s.shim_file = std::move(shim.value());
    cs.shim_file = s.shim_file.get();
    // The shim starts with every signal still blocked (none may end it
    // before it handles them) and gives the command this mask, its last
    // argument.
    uint64_t mask = 0;
    for (int sig = 1; sig <= 64; ++sig)
      if (sigismember(&cs.original_mask, sig) == 1) mask |= uint64_t{1} << (sig - 1);
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(mask));
    s.shim_mask = hex;
    cs.exec_argv.push_back(kShimTitle);
  }
  for (const std::string& a : x.argv) cs.exec_argv.push_back(const_cast<char*>(a.c_str()));
  if (x.shim) cs.exec_argv.push_back(s.shim_mask.data());
  cs.exec_argv.push_back(nullptr);
  for (const std::string& e : x.env) cs.exec_envp.push_back(const_cast<char*>(e.c_str()));
  cs.exec_envp.push_back(nullptr);
  if (x.shim && s.seccomp) return choose_shim_exec(s);
  return {};
}

Result<void> Container::choose_shim_exec(Setup& s) {
  // The policy is loaded just before the exec: ask it, as the kernel will,
  // whether it lets execveat run the shim from its descriptor. If not (LXC's
  // own shim is exec'd by path, so a policy may well deny execveat alone),
  // execve the descriptor's name in the container's /proc.
  ChildSetup& cs = s.child;
  auto allowed = [&](const struct seccomp_data& call) { return seccomp_allows(seccomp_verdict(*s.seccomp, call)); };
  const auto argv = reinterpret_cast<uintptr_t>(cs.exec_argv.data());
  const auto envp = reinterpret_cast<uintptr_t>(cs.exec_envp.data());
  if (allowed(seccomp_call(__NR_execveat, {static_cast<uint64_t>(cs.shim_file), reinterpret_cast<uintptr_t>(kEmptyPath),
                                           argv, envp, AT_EMPTY_PATH})))
    return {};
  s.shim_path = "/proc/self/fd/" + std::to_string(cs.shim_file);
  if (!allowed(seccomp_call(__NR_execve, {reinterpret_cast<uintptr_t>(s.shim_path.c_str()), argv, envp}))) {
    const std::string& profile = std::get<LoadSeccomp>(plan_.find("load-seccomp")->data).profile;
    return Error::config("lxc.seccomp.profile `" + profile +
                         "` denies both execveat and execve: execute's init shim cannot be started");
  }
  cs.shim_path = s.shim_path.c_str();
  return {};
}

Result<void> Container::clone_child(size_t index, Setup& s) {
  const auto& clone = std::get<CloneInit>(plan_.steps[index].data);
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0)
    return Error::system("socketpair", "", errno);
  s.sync.reset(pair[0]);
  s.child_sync.reset(pair[1]);

  // Work that can fail is done before the clone: the child only loads.
  if (const Step* seccomp = plan_.find("load-seccomp")) {
    const auto& l = std::get<LoadSeccomp>(seccomp->data);
    Result<SeccompProgram> prog = compile_seccomp_file(l.profile);
    if (!prog) return std::move(prog.error());
    s.seccomp = std::move(prog.value());
  }
  if (const Step* console = plan_.find("setup-console")) {
    if (std::get<SetupConsole>(console->data).from_host_devpts) {
      Result<Pty> p = open_pty("", "/dev/ptmx");
      if (!p) return std::move(p.error());
      s.host_console = std::move(p.value());
      // The child opens it by name as the container's root (LXC's
      // lxc_terminal_map_ids()).
      if (const Step* maps = plan_.find("write-idmaps")) {
        const auto& w = std::get<WriteIdMaps>(maps->data);
        if (::fchown(s.host_console.slave.get(), w.root_host_uid, w.root_host_gid) != 0)
          return Error::system("give the console pty to the container's root", "", errno);
      }
    }
  }
  for (const NamespaceSetup& ns : clone.namespaces) {
    if (ns.how != NsHow::share) continue;
    if (!s.options->resolve_share)
      return Error::usage("lxc.namespace.share." + std::string(namespace_info(ns.ns).name) + " needs a runtime");
    Result<pid_t> target = s.options->resolve_share(ns.share_with);
    if (!target) return std::move(target.error());
    const NamespaceInfo& info = namespace_info(ns.ns);
    std::string path = "/proc/" + std::to_string(target.value()) + "/ns/" + std::string(info.proc_name);
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return Error::system("open the namespace to share", path, errno);
    if (info.clone_flag == CLONE_NEWPID) {
      s.pid_ns_for_child = std::move(fd);
    } else if (info.clone_flag == CLONE_NEWUSER) {
      s.share_list.insert(s.share_list.begin(), {fd.get(), CLONE_NEWUSER});
      s.share_fds.push_back(std::move(fd));
    } else {
      s.share_list.emplace_back(fd.get(), static_cast<int>(info.clone_flag));
      s.share_fds.push_back(std::move(fd));
    }
  }

  ChildSetup& cs = s.child;
  cs.plan = &plan_;
  cs.sync = s.child_sync.get();
  cs.parent_sync = s.sync.get();
  cs.seccomp = s.seccomp ? &*s.seccomp : nullptr;
  cs.host_console = s.host_console.master ? &s.host_console : nullptr;
  cs.daemon = s.options->daemon;
  cs.share_fds = s.share_list;

  if (s.options->init_signal_mask)
    cs.original_mask = *s.options->init_signal_mask;
  else
    sigemptyset(&cs.original_mask);
  CORRAL_TRY(prepare_init_exec(s));
  // Init shares this process's memory (CLONE_VM) until it execs, as a
  // vforked child would, but the two run in turns (see run): copying the
  // monitor's page tables for init and faulting its pages in again on both
  // sides, then tearing the copy down at init's exit, was the largest cost
  // of a start. Init runs on a stack of its own, kept until it has exec'd.
  Result<ChildStack> stack = ChildStack::map(kInitStackSize, "the container's init");
  if (!stack) return std::move(stack.error());
  init_stack_ = std::move(stack.value());

  // Signals stay blocked across the clone so none is handled by the
  // monitor's handlers in init; init restores the mask before it execs.
  sigset_t all, monitor_mask;
  sigfillset(&all);
  ::sigprocmask(SIG_BLOCK, &all, &monitor_mask);
  UniqueFd own_pid_ns;
  if (s.pid_ns_for_child) {
    own_pid_ns.reset(::open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC));
    if (::setns(s.pid_ns_for_child.get(), CLONE_NEWPID) != 0) {
      ::sigprocmask(SIG_SETMASK, &monitor_mask, nullptr);
      return Error::system("join the pid namespace to share", "", errno);
    }
  }
  // Init is born in its cgroup2 cgroup and moves itself into the v1 ones
  // (see ContainerCgroups::enter_monitor_self); a kernel that refuses
  // CLONE_INTO_CGROUP gets a plain clone and init moves itself there too.
  UniqueFd into_cgroup = cgroups_ ? cgroups_->open_unified_init_dir() : UniqueFd();
  cs.cgroups = cgroups_ ? &*cgroups_ : nullptr;
  cs.born_in_unified_cgroup = into_cgroup.valid();
  const Step* enter = plan_.find("enter-cgroups");
  cs.enters_cgroups_first = cgroups_ && enter && !std::get<EnterCgroups>(enter->data).wait_for_v1;
  int pidfd = -1;
  auto clone_init = [&](int cgroup_fd) {
    struct clone_args args {};
    args.flags = clone.clone_flags | CLONE_VM | CLONE_PIDFD | (cgroup_fd >= 0 ? CLONE_INTO_CGROUP : 0);
    args.pidfd = reinterpret_cast<uint64_t>(&pidfd);
    args.exit_signal = SIGCHLD;
    args.stack = reinterpret_cast<uint64_t>(init_stack_.base());
    args.stack_size = init_stack_.size();
    args.cgroup = cgroup_fd >= 0 ? static_cast<uint64_t>(cgroup_fd) : 0;
    auto child_main = [](void* setup) { return run_child(*static_cast<const ChildSetup*>(setup)); };
    return corral_clone3_run(&args, sizeof args, child_main, &cs);
  };
  long pid = clone_init(into_cgroup.get());
  if (pid < 0 && into_cgroup && pid != -ENOMEM && pid != -EAGAIN) {
    cs.born_in_unified_cgroup = false;
    pid = clone_init(-1);
  }
  if (own_pid_ns) ::setns(own_pid_ns.get(), CLONE_NEWPID);
  ::sigprocmask(SIG_SETMASK, &monitor_mask, nullptr);
  if (pid < 0) return Error::system("clone the container's init (" + clone_flag_names(clone.clone_flags) + ")", "",
                                    static_cast<int>(-pid));
  pid_ = static_cast<pid_t>(pid);
  pidfd_.reset(pidfd);
  s.child_sync.reset();
  // The child enters its cgroups and joins shared namespaces first, if it
  // has to (Child::main).
  if (cs.first_turn()) CORRAL_TRY(wait_for_ack(s));
  // Init is this process's child and not reaped: the pid is still its own.
  if (clone.clone_flags & CLONE_NEWNS)
    mount_ns_.reset(::open(("/proc/" + std::to_string(pid) + "/ns/mnt").c_str(), O_RDONLY | O_CLOEXEC));
  return {};
}

void Container::keep_namespaces(SyncMessage& announced) {
  size_t next = 0;
  for (std::string_view name : split(announced.text, ','))
    if (!name.empty() && next < announced.fds.size())
      namespace_fds_.emplace_back(std::string(name), std::move(announced.fds[next++]));
}

void Container::keep_child_namespaces() {
  // A failed start, the setup process waiting (for a message, or for the
  // monitor to let go after its error): its namespaces, for the stop and
  // post-stop hooks of the aborted start, as LXC gives them (spec §8.3);
  // at the exec it hands them over itself. One it would have unshared only
  // later (the network one under a user namespace, the cgroup one on a v1
  // host) is still the host's, and never handed to a hook as the
  // container's.
  if (!plan_.has_teardown_hooks() || !namespace_fds_.empty() || pid_ <= 0) return;
  for (const auto& [name, flag] : kHookNamespaces) {
    if (!(plan_.namespaces & flag)) continue;
    std::string path = "/proc/" + std::to_string(pid_) + "/ns/" + name;
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    struct stat theirs {}, ours {};
    if (!fd || ::fstat(fd.get(), &theirs) != 0) continue;
    if (::stat(("/proc/self/ns/" + std::string(name)).c_str(), &ours) == 0 && ours.st_dev == theirs.st_dev &&
        ours.st_ino == theirs.st_ino)
      continue;
    namespace_fds_.emplace_back(name, std::move(fd));
  }
}

void Container::abort_start() {
  if (pidfd_) {
    ::syscall(SYS_pidfd_send_signal, pidfd_.get(), SIGKILL, nullptr, 0);
    siginfo_t info{};
    ::waitid(P_PIDFD, static_cast<id_t>(pidfd_.get()), &info, WEXITED);
  }
  // Teardown hooks run after an aborted start too (spec §8.3).
  finish();
}

Result<void> Container::finish(Teardown& t) {
  if (finished_) return {};
  finished_ = true;
  // Every step runs; the first failure is returned. Any but a stop hook's
  // cancels a reboot.
  Result<void> first;
  bool cancels_reboot = false;
  auto note = [&](Result<void> r, bool cancels) {
    if (r.ok()) return;
    if (first.ok()) first = std::move(r);
    cancels_reboot = cancels_reboot || cancels;
  };
  EnvList env = plan_.hook_env;
  if (pid_ > 0) env.emplace_back("LXC_PID", std::to_string(pid_));
  env.emplace_back("LXC_TARGET", t.target);
  // The namespaces as /proc/<monitor>/fd/N: in the environment of every
  // teardown hook, and as arguments of version 0 stop hooks.
  std::string ns_args;
  for (const auto& [name, fd] : namespace_fds_) {
    std::string path = "/proc/" + std::to_string(::getpid()) + "/fd/" + std::to_string(fd.get());
    std::string upper;
    for (char ch : name) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    env.emplace_back("LXC_" + upper + "_NS", path);
    ns_args += " " + name + ":" + path;
  }
  auto run_teardown_hooks = [&](config::HookType type) {
    for (const Step& step : plan_.steps) {
      const auto* hooks = std::get_if<RunHooks>(&step.data);
      if (!hooks || step.actor != Actor::teardown || hooks->type != type) continue;
      RunHooks h = *hooks;
      if (type == config::HookType::stop && !plan_.hook_version1)
        for (HookCommand& c : h.commands) c.shell += ns_args;
      note(run_hooks(h, env, plan_.hook_version1), type != config::HookType::stop);
    }
  };
  if (network_) {
    // Before the stop hooks, as LXC (spec/runtime.md §8.2 steps 2-3).
    note(network_->teardown(), true);
    network_.reset();
  }
  run_teardown_hooks(config::HookType::stop);
  if (cgroups_) {
    Result<void> r = cgroups_->destroy();
    if (r && t.cgroups_gone) t.cgroups_gone();
    note(std::move(r), true);
  }
  // The namespaces go before the post-stop hooks, as LXC's (which closes
  // them there): the mounts can go with the mount namespace's last holder
  // (the janitor), so a device under the rootfs is free for those hooks
  // and for the client told STOPPED. Their LXC_*_NS dangle, as LXC's.
  namespace_fds_.clear();
  if (t.stopped) t.stopped();
  run_teardown_hooks(config::HookType::post_stop);
  // lxc.ephemeral: the container goes with its stop, storage included (an
  // overlay's upper directory lives in it; its lower one is another's).
  if (plan_.ephemeral && std::string_view(t.target) != "reboot") {
    Result<void> r = remove_tree(plan_.lxcpath + "/" + plan_.name);
    if (!r) r.error().wrap("remove the ephemeral container");
    note(std::move(r), true);
  }
  t.only_stop_hooks_failed = !first.ok() && !cancels_reboot;
  return first;
}

Container::~Container() {
  if (finished_) return;
  if (pidfd_) {
    ::syscall(SYS_pidfd_send_signal, pidfd_.get(), SIGKILL, nullptr, 0);
    siginfo_t info{};
    ::waitid(P_PIDFD, static_cast<id_t>(pidfd_.get()), &info, WEXITED);
  }
  finish();
}

}  // namespace corral::exec
