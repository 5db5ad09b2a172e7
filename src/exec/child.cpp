#include "exec/child.hpp"

#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "exec/hooks.hpp"
#include "exec/message.hpp"
#include "exec/mounts.hpp"

extern char** environ;

namespace corral::exec {

namespace {

class Child {
 public:
  explicit Child(const ChildSetup& s) : s_(s), plan_(*s.plan) {}

  [[noreturn]] void main() {
    ::close(s_.parent_sync);
    // The container must not outlive its monitor (spec §5.3 row 1).
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    devnull_.reset(::open("/dev/null", O_RDWR | O_CLOEXEC));
    // Kept open through the setup: /proc/self/ns/NAME, opened through it
    // at exec, is the namespace this process is in by then, whatever is
    // mounted on /proc in the container (see announce_exec).
    if (plan_.has_teardown_hooks()) ns_dir_.reset(::open("/proc/self/ns", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    // Into the payload cgroups before anything else, unless the plan defers
    // it (EnterCgroups): in particular before joining a shared user
    // namespace, which takes away the right to, and before the cgroup
    // namespace is made, whose root is the cgroup it is made in. A failure
    // is reported when the monitor first listens.
    const Step* enter = plan_.find("enter-cgroups");
    Result<void> in_cgroup;
    if (enter && !std::get<EnterCgroups>(enter->data).wait_for_v1) in_cgroup = enter_cgroups();
    for (const auto& [fd, flag] : s_.share_fds) {
      if (::setns(fd, flag) != 0) fail(-1, Error::system("join a shared namespace", fd_path(fd), errno));
    }
    for (;;) {
      bool eof = false;
      Result<SyncMessage> m = recv_sync(s_.sync, &eof);
      if (!m || eof) ::_exit(1);  // the monitor is gone
      if (m.value().kind == SyncKind::trees) {
        keep_idmapped_trees(m.value());
        continue;
      }
      if (m.value().kind != SyncKind::go) ::_exit(1);
      if (!in_cgroup) fail(-1, std::move(in_cgroup.error()));
      size_t i = static_cast<size_t>(m.value().step);
      for (; i < plan_.steps.size() && plan_.steps[i].actor == Actor::child; ++i) {
        Result<void> r = run_step(plan_.steps[i]);
        if (!r) fail(static_cast<int32_t>(i), std::move(r.error()));
      }
      Result<void> r = send_sync(s_.sync, SyncKind::at, static_cast<int32_t>(i));
      if (!r) ::_exit(1);
    }
  }

 private:
  [[noreturn]] void fail(int32_t step, Error e) {
    if (step >= 0) e.wrap("step " + plan_.steps[static_cast<size_t>(step)].name);
    send_sync(s_.sync, SyncKind::error, step, e.sys_errno(), e.render());
    ::_exit(1);
  }

  const std::string& root() const { return plan_.rootfs_mount; }

  /// The monitor's id-mapped trees (see SyncKind::trees).
  void keep_idmapped_trees(SyncMessage& m) {
    size_t next_fd = 0;
    for (char made : m.text) {
      if (made == '1' && next_fd < m.fds.size())
        idmapped_.fds.push_back(std::move(m.fds[next_fd++]));
      else
        idmapped_.fds.emplace_back();
    }
  }

  Result<void> run_step(const Step& step) {
    return std::visit([&](const auto& data) { return do_step(step, data); }, step.data);
  }

  Result<void> do_step(const Step&, const RunHooks& h) {
    EnvList env = plan_.hook_env;
    return run_hooks(h, env, plan_.hook_version1);
  }

  Result<void> do_step(const Step&, const BecomeNsRoot& b) {
    if (::setgroups(0, nullptr) != 0) return Error::system("drop supplementary groups", "", errno);
    if (::setresgid(b.gid, b.gid, b.gid) != 0)
      return Error::system("setresgid " + std::to_string(b.gid) + " in the container's user namespace", "", errno);
    if (::setresuid(b.uid, b.uid, b.uid) != 0)
      return Error::system("setresuid " + std::to_string(b.uid) + " in the container's user namespace", "", errno);
    // A change of ids clears the parent-death signal and makes the process
    // undumpable, which would give its /proc files to the host's root,
    // out of reach of the container's.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::prctl(PR_SET_DUMPABLE, 1);
    return {};
  }

  Result<void> enter_cgroups() {
    return s_.cgroups ? s_.cgroups->enter_payload_self(s_.born_in_unified_cgroup) : Result<void>();
  }

  Result<void> do_step(const Step&, const EnterCgroups& e) {
    if (!e.wait_for_v1) return {};  // done as soon as this process existed (main)
    bool eof = false;
    Result<SyncMessage> m = recv_sync(s_.sync, &eof);
    if (!m || eof) ::_exit(1);  // the monitor is gone, or failed and kills this process
    if (m.value().kind != SyncKind::cgroups)
      return Error(Error::Kind::internal, "expected the monitor's word that the v1 payload cgroups exist");
    CORRAL_TRY(enter_cgroups());
    // The monitor enters its own cgroups only now: its move in the unified
    // hierarchy may wait for an RCU grace period with the kernel's cgroup
    // lock held, which would hold up this process's moves.
    return send_sync(s_.sync, SyncKind::entered, 0);
  }

  Result<void> do_step(const Step&, const UnshareNamespaces& u) {
    if (::unshare(static_cast<int>(u.flags)) != 0) return Error::system("unshare", "", errno);
    if (u.flags & CLONE_NEWTIME) {
      std::string offsets = "monotonic " + std::to_string(u.monotonic.seconds) + " " +
                            std::to_string(u.monotonic.nanoseconds) + "\nboottime " +
                            std::to_string(u.boot.seconds) + " " + std::to_string(u.boot.nanoseconds) + "\n";
      UniqueFd f(::open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC));
      if (!f || ::write(f.get(), offsets.data(), offsets.size()) < 0)
        return Error::system("write", "/proc/self/timens_offsets", errno);
    }
    return {};
  }

  Result<void> do_step(const Step&, const MountRootfs& r) {
    if (plan_.namespaces & CLONE_NEWNS) CORRAL_TRY(make_mounts_private(root()));
    Result<void> mounted = mount_rootfs(r, &idmapped_);
    const Step* idmaps = plan_.find("write-idmaps");
    if (!mounted && mounted.error().sys_errno() == EACCES && idmaps) {
      // The usual cause: a container directory made before lxc.idmap was set.
      const auto& maps = std::get<WriteIdMaps>(idmaps->data);
      return Error(Error::Kind::system,
                   mounted.error().render() + " (the container's root is host uid " +
                       std::to_string(maps.root_host_uid) + ": every directory above the rootfs must let it " +
                       "through; corral create gives LXCPATH/NAME to it when the config has lxc.idmap)");
    }
    return mounted;
  }

  Result<void> do_step(const Step&, const SetHostname& h) {
    if (::sethostname(h.hostname.data(), h.hostname.size()) != 0)
      return Error::system("sethostname '" + h.hostname + "'", "", errno);
    return {};
  }

  Result<void> do_step(const Step&, const CreateSessionKeyring&) {
    // Errors are ignored, as LXC does: keyrings may be unavailable.
    ::syscall(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, nullptr);
    return {};
  }

  Result<void> do_step(const Step&, const SetupNetwork& n) {
    if (!n.loopback_up) return {};
    UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    struct ifreq ifr {};
    std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
    if (!sock || ::ioctl(sock.get(), SIOCGIFFLAGS, &ifr) != 0) return Error::system("read the flags of", "lo", errno);
    ifr.ifr_flags |= IFF_UP;
    if (::ioctl(sock.get(), SIOCSIFFLAGS, &ifr) != 0) return Error::system("bring up", "lo", errno);
    return {};
  }

  Result<void> do_step(const Step&, const Mounts& m) { return run_mount_ops(m, root()); }
  Result<void> do_step(const Step&, const MountEntries& m) { return mount_entries(m, root(), &idmapped_); }
  Result<void> do_step(const Step&, const CreateDevNodes& d) { return create_dev_nodes(d, root()); }
  Result<void> do_step(const Step&, const CreateDevSymlinks& d) { return create_dev_symlinks(d, root()); }

  Result<void> do_step(const Step&, const SetupConsole& c) {
    if (c.from_host_devpts && s_.host_console) {
      // The monitor opened the pty in the host's mount namespace; a bind
      // mount needs it opened from this one, by its name in /dev/pts.
      from_host_console_ = true;
      char name[64];
      if (::ptsname_r(s_.host_console->master.get(), name, sizeof name) != 0)
        return Error::system("find the console pty's name", "", errno);
      Pty here;
      here.slave.reset(::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC));
      if (!here.slave) return Error::system("open the console pty", name, errno);
      return bind_pty(here, root(), c.target, c.dir_target);
    }
    Result<Pty> p = open_pty(root(), root() + "/dev/pts/ptmx");
    if (!p) return std::move(p.error());
    CORRAL_TRY(bind_pty(p.value(), root(), c.target, c.dir_target));
    // The monitor keeps the slave open as well as the master: a pty whose
    // slave nobody holds reports a hang-up (before init has opened
    // /dev/console, say), and the monitor would stop reading it.
    CORRAL_TRY(send_sync(s_.sync, SyncKind::fds, 0, 0, "console", {p.value().master.get(), p.value().slave.get()}));
    console_ = std::move(p.value());
    return {};
  }

  Result<void> do_step(const Step&, const SetupTtys& t) {
    Result<std::vector<Pty>> ttys = setup_ttys(t, root());
    if (!ttys) return std::move(ttys.error());
    std::vector<int> masters;
    for (const Pty& p : ttys.value()) masters.push_back(p.master.get());
    if (!masters.empty()) CORRAL_TRY(send_sync(s_.sync, SyncKind::fds, 0, 0, "ttys", masters));
    return {};  // the slaves stay open only through their bind mounts
  }

  Result<void> do_step(const Step&, const PivotRoot& p) { return pivot_into(p); }
  Result<void> do_step(const Step&, const SetBootId& b) { return set_boot_id(b); }

  Result<void> do_step(const Step&, const SetPersonality& p) {
    if (::personality(p.persona) < 0) return Error::system("personality for lxc.arch '" + p.arch + "'", "", errno);
    return {};
  }

  Result<void> do_step(const Step&, const SetSysctls& s) {
    for (const Sysctl& sc : s.sysctls) {
      UniqueFd f(::open(sc.path.c_str(), O_WRONLY | O_CLOEXEC));
      if (!f || ::write(f.get(), sc.value.data(), sc.value.size()) < 0) {
        Error e = Error::system("write '" + sc.value + "' to", sc.path, errno);
        e.wrap("lxc.sysctl." + sc.key + " at " + sc.where);
        return e;
      }
    }
    return {};
  }

  Result<void> do_step(const Step&, const DropCapabilities& d) {
    for (int cap : d.drop) {
      if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
        return Error::system("drop capability " + cap_name(cap) + " from the bounding set", "", errno);
    }
    return {};
  }

  Result<void> do_step(const Step&, const SetNoNewPrivs&) {
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return Error::system("set no_new_privs", "", errno);
    return {};
  }

  Result<void> do_step(const Step&, const LoadSeccomp& l) {
    if (!s_.seccomp) return Error(Error::Kind::internal, "seccomp policy `" + l.profile + "` was not compiled");
    Result<void> r = load_seccomp(*s_.seccomp);
    if (!r) r.error().wrap("lxc.seccomp.profile `" + l.profile + "`");
    return r;
  }

  /// init's fds 0-2 (spec §5.5).
  Result<void> set_stdio(bool execute) {
    int console = console_.slave ? console_.slave.get()
                  : (from_host_console_ && s_.host_console) ? s_.host_console->slave.get()
                                                            : -1;
    for (int fd = 0; fd < 3; ++fd) {
      int to = -1;
      if (execute) {
        if (console >= 0 && ::isatty(fd)) to = console;
      } else if (s_.daemon) {
        to = (console >= 0 && !from_host_console_) ? console : devnull_.get();
      } else if (console >= 0) {
        to = console;
      }
      if (to >= 0 && ::dup2(to, fd) < 0) return Error::system("set up the standard descriptors", "", errno);
    }
    return {};
  }

  Result<void> do_step(const Step&, const ExecInit& x) {
    CORRAL_TRY(set_stdio(x.shim));
    ::setsid();
    if (::isatty(0)) ::ioctl(0, TIOCSCTTY, 0);
    if (!x.groups.empty()) {
      std::vector<gid_t> groups(x.groups.begin(), x.groups.end());
      if (::setgroups(groups.size(), groups.data()) != 0) return Error::system("setgroups (lxc.init.groups)", "", errno);
    } else if (x.drop_groups && ::setgroups(0, nullptr) != 0) {
      return Error::system("drop supplementary groups", "", errno);
    }
    if (::setgid(x.gid) != 0) return Error::system("setgid " + std::to_string(x.gid), "", errno);
    if (::setuid(x.uid) != 0) return Error::system("setuid " + std::to_string(x.uid), "", errno);
    if (::chdir(x.cwd.c_str()) != 0) return Error::system("chdir (lxc.init.cwd)", x.cwd, errno);
    ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    sigprocmask(SIG_SETMASK, &s_.original_mask, nullptr);
    if (plan_.signals.monitor_death && plan_.signals.monitor_death != SIGKILL)
      ::prctl(PR_SET_PDEATHSIG, plan_.signals.monitor_death);
    CORRAL_TRY(announce_exec());
    if (x.shim) run_init_shim(x, s_.sync);

    std::vector<char*> argv;
    for (const std::string& a : x.argv) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (const std::string& e : x.env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    environ = envp.data();
    ::execvp(argv[0], argv.data());
    return Error::system("exec init", x.argv[0], errno);
  }

  /// Tells the monitor that init is about to be exec'd, handing it the
  /// container's new namespaces in LXC's order and names (spec §8.2 step 3)
  /// for the teardown hooks, if there are any: sent now, while this process
  /// lives, they stay valid however fast init exits. (Without hooks nobody
  /// holds them, and the container's mounts go with its last process.)
  Result<void> announce_exec() {
    static const std::pair<const char*, unsigned long> kKept[] = {{"mnt", CLONE_NEWNS},  {"pid", CLONE_NEWPID},
                                                                  {"uts", CLONE_NEWUTS}, {"ipc", CLONE_NEWIPC},
                                                                  {"net", CLONE_NEWNET}, {"cgroup", CLONE_NEWCGROUP}};
    std::string names;
    std::vector<UniqueFd> held;
    std::vector<int> fds;
    for (const auto& [name, flag] : kKept) {
      if (!(plan_.namespaces & flag) || !ns_dir_) continue;
      UniqueFd fd(::openat(ns_dir_.get(), name, O_RDONLY | O_CLOEXEC));
      if (!fd) continue;
      names += (names.empty() ? "" : ",") + std::string(name);
      fds.push_back(fd.get());
      held.push_back(std::move(fd));
    }
    return send_sync(s_.sync, SyncKind::exec, 0, 0, names, fds);
  }

  // Monitor steps never reach the child.
  template <class T>
  Result<void> do_step(const Step& step, const T&) {
    return Error(Error::Kind::internal, "step " + step.name + " is not the child's");
  }

  const ChildSetup& s_;
  const Plan& plan_;
  UniqueFd devnull_;
  UniqueFd ns_dir_;  // /proc/self/ns, opened before pivot_root
  Pty console_;
  bool from_host_console_ = false;
  IdmappedFds idmapped_;
};

}  // namespace

void run_child(const ChildSetup& setup) {
  Child c(setup);
  c.main();
}

}  // namespace corral::exec
