#include "exec/child.hpp"

#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "exec/hooks.hpp"
#include "exec/message.hpp"
#include "exec/mounts.hpp"
#include "util/exec_path.hpp"
#include "util/raw_syscall.hpp"

namespace corral::exec {

namespace {

/// How the child's part ends. Filled on the child's stack, so that all the
/// child allocated from the heap it shares with the monitor can be freed
/// before the monitor takes its turn again (run_child).
struct ChildEnd {
  bool exec = false;  // ready to exec init: the exec-init step ran up to it
  bool failed = false;
  int32_t step = -1;
  int32_t err = 0;
  size_t len = 0;
  char text[kMaxSyncText];

  void fail(const Plan& plan, int32_t at, Error e) {
    if (at >= 0) e.wrap("step " + plan.steps[static_cast<size_t>(at)].name);
    std::string rendered = e.render();
    failed = true;
    step = at;
    err = e.sys_errno();
    len = std::min(rendered.size(), sizeof text);
    std::memcpy(text, rendered.data(), len);
  }
};

class Child {
 public:
  explicit Child(const ChildSetup& s) : s_(s), plan_(*s.plan) {}

  /// Runs the child's steps as the monitor says; returns when init is to be
  /// exec'd, on a failure, or when the monitor is gone (`end` says which).
  void main(ChildEnd* end) {
    // Until its first turn the monitor runs too: raw system calls only
    // (errno is the monitor's as well), and nothing from the heap.
    raw_syscall(__NR_close, s_.parent_sync);
    // The container must not outlive its monitor (spec §5.3 row 1).
    raw_syscall(__NR_prctl, PR_SET_PDEATHSIG, SIGKILL);
    devnull_.reset(static_cast<int>(std::max(-1L, raw_syscall(__NR_openat, AT_FDCWD, reinterpret_cast<long>("/dev/null"),
                                                              O_RDWR | O_CLOEXEC))));
    // Kept open through the setup: /proc/self/ns/NAME, opened through it
    // at exec, is the namespace this process is in by then, whatever is
    // mounted on /proc in the container (see announce_exec).
    if (plan_.has_teardown_hooks())
      ns_dir_.reset(static_cast<int>(std::max(-1L, raw_syscall(__NR_openat, AT_FDCWD, reinterpret_cast<long>("/proc/self/ns"),
                                                               O_RDONLY | O_DIRECTORY | O_CLOEXEC))));
    // A first turn of its own (ChildSetup::first_turn()) when something must
    // come before the monitor's next steps: into the payload cgroups before
    // anything else, unless the plan defers it (EnterCgroups), in particular
    // before joining a shared user namespace, which takes away the right to,
    // before the monitor writes the id maps, and before the cgroup namespace
    // is made, whose root is the cgroup it is made in.
    if (s_.first_turn()) {
      if (s_.enters_cgroups_first) {
        Result<void> in = enter_cgroups();
        if (!in) return end->fail(plan_, -1, std::move(in.error()));
      }
      for (const auto& [fd, flag] : s_.share_fds) {
        if (::setns(fd, flag) != 0)
          return end->fail(plan_, -1, Error::system("join a shared namespace", fd_path(fd), errno));
      }
      if (!send_sync(s_.sync, SyncKind::ack, 0)) return;
    }
    for (;;) {
      size_t i = 0;
      {
        bool eof = false;
        Result<SyncMessage> m = recv_sync(s_.sync, &eof);
        if (!m || eof) return;  // the monitor is gone, or ends this process
        if (m.value().kind == SyncKind::trees) {
          keep_idmapped_trees(m.value());
          m = Result<SyncMessage>(SyncMessage{});  // freed before the monitor's turn comes back
          if (!send_sync(s_.sync, SyncKind::ack, 0)) return;
          continue;
        }
        if (m.value().kind != SyncKind::go) return;
        i = static_cast<size_t>(m.value().step);
      }
      for (; i < plan_.steps.size() && plan_.steps[i].actor == Actor::child; ++i) {
        Result<void> r = run_step(plan_.steps[i]);
        if (!r) return end->fail(plan_, static_cast<int32_t>(i), std::move(r.error()));
        if (exec_ready_) {
          end->exec = true;
          end->step = static_cast<int32_t>(i);
          return;
        }
      }
      if (!send_sync(s_.sync, SyncKind::at, static_cast<int32_t>(i))) return;
    }
  }

 private:
  const std::string& root() const { return plan_.rootfs_mount; }

  /// The monitor closed its end: it is gone, or ends this start.
  static Error monitor_gone() { return Error(Error::Kind::system, "the monitor ended the start"); }

  /// Waits for the monitor to have handled this process's last message: the
  /// two share their memory, and take turns (see container.cpp).
  Result<void> wait_ack() {
    bool eof = false;
    Result<SyncMessage> m = recv_sync(s_.sync, &eof);
    if (!m) return std::move(m.error());
    if (eof) return monitor_gone();
    if (m.value().kind != SyncKind::ack)
      return Error(Error::Kind::internal, "expected the monitor's acknowledgement, got message " +
                                              std::to_string(static_cast<int>(m.value().kind)));
    return {};
  }

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
    // As in LXC's child: lxc.environment from before the setup on, and
    // container_ttys once the ttys exist (spec §9).
    EnvList env = plan_.hook_env;
    for (const auto& [name, value] : plan_.container_env) set_env(env, name, value);
    if (!tty_names_.empty()) set_env(env, "container_ttys", tty_names_);
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
    if (!m) return std::move(m.error());
    if (eof) return monitor_gone();
    if (m.value().kind != SyncKind::cgroups)
      return Error(Error::Kind::internal, "expected the monitor's word that the v1 payload cgroups exist");
    CORRAL_TRY(enter_cgroups());
    // The monitor enters its own cgroups only now: its move in the unified
    // hierarchy may wait for an RCU grace period with the kernel's cgroup
    // lock held, which would hold up this process's moves. It takes a turn
    // for that (and acknowledges) only when it has cgroups to enter (the
    // step of its word).
    CORRAL_TRY(send_sync(s_.sync, SyncKind::entered, 0));
    return m.value().step ? wait_ack() : Result<void>();
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
    // (Named: freed after the `ack`, in this process's turn.)
    const std::vector<int> handed{p.value().master.get(), p.value().slave.get()};
    CORRAL_TRY(send_sync(s_.sync, SyncKind::fds, 0, 0, "console", handed));
    CORRAL_TRY(wait_ack());
    console_ = std::move(p.value());
    return {};
  }

  Result<void> do_step(const Step&, const SetupTtys& t) {
    Result<std::vector<Pty>> ttys = setup_ttys(t, root());
    if (!ttys) return std::move(ttys.error());
    std::vector<int> masters;
    for (const Pty& p : ttys.value()) {
      masters.push_back(p.master.get());
      unsigned int n = 0;
      if (t.bind && ::ioctl(p.master.get(), TIOCGPTN, &n) == 0)
        tty_names_ += (tty_names_.empty() ? "pts/" : " pts/") + std::to_string(n);
    }
    if (!masters.empty()) {
      CORRAL_TRY(send_sync(s_.sync, SyncKind::fds, 0, 0, "ttys", masters));
      CORRAL_TRY(wait_ack());
    }
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

  /// The container's console, when it is init's stdio, becomes init's
  /// user's (group kept, mode 0700, as LXC makes it), so that an init of
  /// lxc.init.uid can reopen it. LXC does this to every stdio file but
  /// /dev/null, the caller's own terminal, files and devices included;
  /// corral only to the console it made (docs/lxc-differences.md). Best
  /// effort, as LXC's: a failure is no error.
  void give_console_to(uid_t uid) {
    int console = stdio_console();
    struct stat con {};
    if (console < 0 || ::fstat(console, &con) != 0) return;
    for (int fd = 0; fd < 3; ++fd) {
      struct stat st {};
      if (::fstat(fd, &st) != 0 || st.st_rdev != con.st_rdev || st.st_ino != con.st_ino) continue;
      if (con.st_uid == uid || ::fchown(console, uid, static_cast<gid_t>(-1)) == 0) ::fchmod(console, 0700);
      return;
    }
  }

  /// The pty that stands for the container's console, or -1.
  int stdio_console() const {
    return console_.slave ? console_.slave.get()
           : (from_host_console_ && s_.host_console) ? s_.host_console->slave.get()
                                                      : -1;
  }

  /// init's fds 0-2 (spec §5.5).
  Result<void> set_stdio(bool execute) {
    int console = stdio_console();
    // A daemon's init without a console gets the container's /dev/null,
    // as LXC's (its /proc/1/fd show /dev/null); the host's, opened at the
    // clone, when the container has none.
    UniqueFd null;
    if (!execute && s_.daemon && (console < 0 || from_host_console_)) {
      null.reset(::open("/dev/null", O_RDWR | O_CLOEXEC | O_NOFOLLOW));
      struct stat st {};
      if (null && (::fstat(null.get(), &st) != 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))) null.reset();
    }
    int devnull = null ? null.get() : devnull_.get();
    for (int fd = 0; fd < 3; ++fd) {
      int to = -1;
      if (execute) {
        if (console >= 0 && ::isatty(fd)) to = console;
      } else if (s_.daemon) {
        to = (console >= 0 && !from_host_console_) ? console : devnull;
      } else if (console >= 0) {
        to = console;
      }
      if (to >= 0 && ::dup2(to, fd) < 0) return Error::system("set up the standard descriptors", "", errno);
    }
    return {};
  }

  Result<void> do_step(const Step&, const ExecInit& x) {
    CORRAL_TRY(set_stdio(x.shim));
    // A session of its own and no controlling terminal, as LXC's init: the
    // console is init's stdio, not its terminal. Under execute the shim
    // gives the command the terminal (it takes it in a session of its own,
    // which it could not while pid 1 held it).
    ::setsid();
    // Before the change of ids, as LXC: a directory only root may enter is
    // still init's cwd.
    if (::chdir(x.cwd.c_str()) != 0) return Error::system("chdir (lxc.init.cwd)", x.cwd, errno);
    if (!x.groups.empty()) {
      std::vector<gid_t> groups(x.groups.begin(), x.groups.end());
      if (::setgroups(groups.size(), groups.data()) != 0) return Error::system("setgroups (lxc.init.groups)", "", errno);
    } else if (x.drop_groups && ::setgroups(0, nullptr) != 0) {
      return Error::system("drop supplementary groups", "", errno);
    }
    give_console_to(x.uid);
    if (::setgid(x.gid) != 0) return Error::system("setgid " + std::to_string(x.gid), "", errno);
    if (::setuid(x.uid) != 0) return Error::system("setuid " + std::to_string(x.uid), "", errno);
    ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    // The shim restores it for the command; until then no signal may end
    // pid 1 before it handles them.
    if (!x.shim) sigprocmask(SIG_SETMASK, &s_.original_mask, nullptr);
    // lxc.monitor.signal.pdeath (SIGKILL unless set; 0: none). Set again
    // after the ids: a change of ids clears it, and LXC's own init would
    // then outlive a killed monitor.
    ::prctl(PR_SET_PDEATHSIG, plan_.signals.monitor_death);
    // The monitor takes a turn (and acknowledges) only to keep namespaces;
    // otherwise it just waits for this process's exec (the end-of-file of
    // its close-on-exec socket) or its error. run_child execs once the
    // Child is gone.
    CORRAL_TRY(announce_exec());
    exec_ready_ = true;
    return {};
  }

  /// Tells the monitor that init is about to be exec'd, handing it the
  /// container's new namespaces in LXC's order and names (spec §8.2 step 3)
  /// for the teardown hooks, if there are any: sent now, while this process
  /// lives, they stay valid however fast init exits. (Without hooks nobody
  /// holds them, and the container's mounts go with its last process.)
  Result<void> announce_exec() {
    std::string names;
    std::vector<UniqueFd> held;
    std::vector<int> fds;
    for (const auto& [name, flag] : kHookNamespaces) {
      if (!(plan_.namespaces & flag) || !ns_dir_) continue;
      UniqueFd fd(::openat(ns_dir_.get(), name, O_RDONLY | O_CLOEXEC));
      if (!fd) continue;
      names += (names.empty() ? "" : ",") + std::string(name);
      fds.push_back(fd.get());
      held.push_back(std::move(fd));
    }
    CORRAL_TRY(send_sync(s_.sync, SyncKind::exec, 0, 0, names, fds));
    // With namespaces the monitor takes a turn: what is allocated here is
    // freed after its `ack`, not while it receives them.
    return fds.empty() ? Result<void>() : wait_ack();
  }

  // Monitor steps never reach the child.
  template <class T>
  Result<void> do_step(const Step& step, const T&) {
    return Error(Error::Kind::internal, "step " + step.name + " is not the child's");
  }

  const ChildSetup& s_;
  const Plan& plan_;
  UniqueFd devnull_;
  std::string tty_names_;  // "pts/1 pts/2": the ttys bound to /dev/ttyN, for container_ttys
  UniqueFd ns_dir_;  // /proc/self/ns, opened before pivot_root
  Pty console_;
  bool from_host_console_ = false;
  IdmappedFds idmapped_;
  bool exec_ready_ = false;
};

}  // namespace

int run_child(const ChildSetup& setup) {
  // This process shares the monitor's memory until it execs: whatever it
  // allocated is freed (the Child's scope) before the monitor's turn
  // comes again, which is at the exec or at the error message.
  ChildEnd end;
  Child(setup).main(&end);
  if (end.exec) {
    const auto& x = std::get<ExecInit>(setup.plan->steps[static_cast<size_t>(end.step)].data);
    long error = 0;
    if (x.shim && setup.shim_path) {
      error = -raw_syscall(__NR_execve, reinterpret_cast<long>(setup.shim_path),
                           reinterpret_cast<long>(setup.exec_argv.data()),
                           reinterpret_cast<long>(setup.exec_envp.data()));
      end.fail(*setup.plan, end.step,
               Error::system("exec the init shim by its name in /proc (the seccomp policy denies execveat)",
                             setup.shim_path, static_cast<int>(error)));
    } else if (x.shim) {
      error = -raw_syscall(__NR_execveat, setup.shim_file, reinterpret_cast<long>(kEmptyPath),
                           reinterpret_cast<long>(setup.exec_argv.data()),
                           reinterpret_cast<long>(setup.exec_envp.data()), AT_EMPTY_PATH);
      end.fail(*setup.plan, end.step, Error::system("exec the init shim", "", static_cast<int>(error)));
    } else {
      error = exec_searching_path(setup.exec_argv.data(), setup.exec_envp.data());
      end.fail(*setup.plan, end.step, Error::system("exec init", x.argv[0], static_cast<int>(error)));
    }
  }
  if (end.failed && send_sync(setup.sync, SyncKind::error, end.step, end.err, std::string_view(end.text, end.len))) {
    // Alive, in its namespaces, until the monitor lets go (closes its
    // end): it takes them for the teardown hooks of the failed start
    // meanwhile (Container::keep_child_namespaces). Raw system calls: the
    // monitor runs again.
    char byte;
    long n;
    while ((n = raw_syscall(__NR_read, setup.sync, reinterpret_cast<long>(&byte), 1)) > 0 || n == -EINTR) {
    }
  }
  return 1;
}

}  // namespace corral::exec
