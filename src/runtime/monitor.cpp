#include "runtime/monitor.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <map>
#include <memory>

#include "config/loader.hpp"
#include "exec/container.hpp"
#include "runtime/commands.hpp"
#include "runtime/janitor.hpp"
#include "util/proctitle.hpp"
#include "util/resident.hpp"

namespace corral::runtime {

namespace {

/// N of the key lxc.net.N.veth.pair (N in decimal digits), else nullopt.
std::optional<uint32_t> veth_pair_index(std::string_view key) {
  constexpr std::string_view head = "lxc.net.", tail = ".veth.pair";
  if (key.size() <= head.size() + tail.size() || key.substr(0, head.size()) != head ||
      key.substr(key.size() - tail.size()) != tail)
    return std::nullopt;
  std::string_view digits = key.substr(head.size(), key.size() - head.size() - tail.size());
  uint32_t n = 0;
  for (char ch : digits) {
    if (ch < '0' || ch > '9' || n > 100000000) return std::nullopt;
    n = n * 10 + static_cast<uint32_t>(ch - '0');
  }
  return n;
}

/// One message from the daemonized monitor to the waiting tool.
struct StartReport {
  int32_t state;
  char error[4000];
};

void close_inherited_fds(const std::vector<int>& keep) {
  std::vector<int> fds;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (struct dirent* e = ::readdir(d)) {
      if (e->d_name[0] == '.') continue;
      int fd = std::atoi(e->d_name);
      if (fd > 2 && fd != ::dirfd(d)) fds.push_back(fd);
    }
    ::closedir(d);
  }
  for (int fd : fds)
    if (std::find(keep.begin(), keep.end(), fd) == keep.end()) ::close(fd);
}

/// How long a container runs before its foreground monitor settles: one
/// that was not born in its cgroup makes and enters it (exec::StartOptions::
/// monitor_cgroup_later), and it gives back the start's code pages
/// (release_program_pages). A command that ends sooner pays neither that
/// work nor the unified move's grace period. A daemon monitor gives its
/// pages back as soon as the start is reported: nobody waits on it then.
constexpr std::chrono::milliseconds kSettleDelay{50};

class Monitor {
 public:
  /// `monitor_cgroup_made`: see exec::StartOptions; used by the first
  /// start only (a reboot makes its monitor cgroup the usual way). Its
  /// maker guards it until the janitor exists: `handover` gets a byte then.
  Monitor(LaunchRequest& r, UniqueFd listener, const exec::ContainerCgroups* monitor_cgroup_made = nullptr,
          UniqueFd handover = {})
      : r_(r),
        listener_(std::move(listener)),
        monitor_cgroup_made_(monitor_cgroup_made),
        handover_(std::move(handover)) {}

  /// Runs the container to its end. `on_started` is called once with the
  /// start's outcome (RUNNING, or ABORTING and the error).
  Result<int> run(const std::function<void(State, const Error*)>& on_started) {
    sigset_t mask;
    sigfillset(&mask);
    for (int sig : {SIGBUS, SIGILL, SIGSEGV, SIGWINCH}) sigdelset(&mask, sig);
    sigset_t old;
    ::sigprocmask(SIG_BLOCK, &mask, &old);
    sigaddset(&mask, SIGWINCH);
    ::sigprocmask(SIG_BLOCK, &mask, nullptr);
    sigfd_.reset(::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));

    state_ = State::starting;
    exec::StartOptions opts;
    opts.daemon = r_.daemon;
    opts.init_signal_mask = &old;
    opts.resolve_share = [this](const std::string& value) -> Result<pid_t> {
      if (!value.empty() && value.find_first_not_of("0123456789") == std::string::npos)
        return static_cast<pid_t>(std::stol(value));
      std::optional<pid_t> pid = query_init_pid(ContainerPaths{r_.paths.lxcpath, value});
      if (!pid) return Error::usage("lxc.namespace.share: container '" + value + "' is not running");
      return *pid;
    };
    // The janitor exists from the moment there is something to clean up.
    opts.on_payload_cgroups = [this](const exec::ContainerCgroups& cg) {
      spawn_janitor(cg);
      if (handover_ && ::write(handover_.get(), "j", 1) < 0) {
      }
      handover_.reset();
    };
    opts.on_monitor_cgroup = [this](const exec::ContainerCgroups& cg) { publish_to_janitor(cg); };
    opts.warn = [this](const std::string& w) {
      if (!r_.daemon) std::fprintf(stderr, "%s: %s: %s\n", r_.prog.c_str(), r_.paths.name.c_str(), w.c_str());
    };
    opts.monitor_cgroup_made = monitor_cgroup_made_;
    opts.monitor_cgroup_later = r_.plan.monitor_cgroup_can_wait();
    if (Result<void> device = open_console_device(); !device) {
      if (monitor_cgroup_made_) exec::ContainerCgroups(*monitor_cgroup_made_).destroy();
      set_state(State::aborting);
      on_started(State::aborting, &device.error());
      ::sigprocmask(SIG_SETMASK, &old, nullptr);
      return std::move(device.error());
    }
    bool first_start = true;
    for (;;) {
      Result<std::unique_ptr<exec::Container>> started = exec::Container::start(r_.plan, opts);
      opts.monitor_cgroup_made = nullptr;  // the container has taken it over
      if (!started) {
        janitor_.dismiss();  // the failed start undid everything itself
        set_state(State::aborting);
        if (first_start) {
          on_started(State::aborting, &started.error());
        } else {
          report(started.error());  // a reboot that failed to start again
          set_state(State::stopped);
          clients_.clear();
        }
        ::sigprocmask(SIG_SETMASK, &old, nullptr);
        return std::move(started.error());
      }
      container_ = std::move(started.value());
      set_state(State::running);
      if (first_start) {
        on_started(State::running, nullptr);
        open_console_log();
      }
      if (r_.daemon) release_program_pages();
      first_start = false;
      start_console_peer();

      int status = loop();

      // Init killed by SIGHUP is how the kernel ends a pid namespace whose
      // init called reboot(2): the container is started again in this
      // monitor, unless tearing down failed (spec/runtime.md §8.2).
      bool reboot = WIFSIGNALED(status) && WTERMSIG(status) == SIGHUP;
      stop_console_peer();
      set_state(State::stopping);
      exec::Container::Teardown teardown;
      teardown.target = reboot ? "reboot" : "stop";
      teardown.cgroups_gone = [this] { janitor_.unpublish(); };
      if (!reboot) teardown.stopped = [this] { stop_for_clients(); };
      Result<void> fin = container_->finish(teardown);
      if (!fin) report(fin.error());
      if (reboot && (fin || teardown.only_stop_hooks_failed)) {
        janitor_.dismiss(container_->take_mount_namespace());
        // The ptys a client holds go with the container; its other
        // clients (state, stop) wait on across the reboot.
        for (auto it = clients_.begin(); it != clients_.end();)
          it = it->second->tty != -2 ? clients_.erase(it) : std::next(it);
        container_.reset();
        set_state(State::starting);
        continue;
      }
      if (reboot) stop_for_clients();  // a reboot that its post-stop hooks or teardown cancelled
      ::sigprocmask(SIG_SETMASK, &old, nullptr);
      return status;
    }
  }

 private:
  /// Makes and enters the monitor cgroup the start left to the runtime
  /// (kSettleDelay); the janitor learns of it in between.
  Result<void> join_monitor_cgroup() {
    CORRAL_TRY(container_->make_due_monitor_cgroup());
    exec::ContainerCgroups* cgroups = container_->cgroups();
    if (!cgroups || cgroups->monitor_name().empty()) return {};
    publish_to_janitor(*cgroups);
    Result<void> entered = cgroups->enter_monitor_self(false);
    if (!entered) entered.error().wrap("moving the monitor into its cgroup");
    return entered;
  }

  /// The container is STOPPED for its clients, before the post-stop hooks
  /// as with LXC (spec §8.2 step 6), so that a hook may ask for its state
  /// or start it again: the mounts are gone (the janitor drops the mount
  /// namespace as it exits; a daemon's stop waits for that, as LXC's
  /// returns once its mounts are gone: a block device under the rootfs is
  /// free then; a foreground monitor does not wait, 0.1-0.3 ms of an
  /// execute, see docs/lxc-differences.md), the waiters are told, stop
  /// clients see their connection close, and new clients find no socket.
  void stop_for_clients() {
    janitor_.dismiss(container_->take_mount_namespace());
    if (r_.daemon) janitor_.wait_dismissed();
    set_state(State::stopped);
    clients_.clear();
    listener_.reset();
  }

  /// An error after the start: printed by a foreground monitor (a daemon
  /// has nobody to tell).
  void report(const Error& e) {
    if (!r_.daemon) std::fprintf(stderr, "%s: %s: %s\n", r_.prog.c_str(), r_.paths.name.c_str(), e.render().c_str());
    if (r_.log_error) r_.log_error(e.render());
  }

  struct ClientConn {
    UniqueFd fd;
    bool state_client = false;
    bool wanted[kStateCount] = {};
    int tty = -2;          // the tty this client holds (0 = console), -2 = none
    bool allowed = false;  // root or the monitor's user (SO_PEERCRED at accept)
    std::string in;        // what it sent of a request not yet complete
  };
  /// Connections of other users wait only for their request, to be told
  /// EPERM; beyond this many, new ones are closed at once.
  static constexpr size_t kMaxRefusedClients = 16;

  void set_state(State s) {
    state_ = s == State::thawed ? State::running : s;
    for (auto it = clients_.begin(); it != clients_.end();) {
      ClientConn& c = *it->second;
      if (c.state_client && c.wanted[static_cast<int>(s)]) {
        WireStateMsg msg{};
        msg.type = 0;
        std::strncpy(msg.name, r_.paths.name.c_str(), sizeof msg.name - 1);
        msg.value = static_cast<int32_t>(s);
        write_full(c.fd.get(), &msg, sizeof msg);
        // The client being served (a state client that asked for a
        // freeze, say) is dropped by on_client once answered.
        if (it->first == serving_) {
          c.state_client = false;
          ++it;
          continue;
        }
        it = clients_.erase(it);
        continue;
      }
      ++it;
    }
  }

  /// The janitor (runtime/janitor.hpp) starts as soon as the container's
  /// payload cgroups exist, before the clone, so that a monitor killed
  /// (SIGKILL) at any point of the start or the run leaves no cgroup behind
  /// (init and the setup process die with the monitor: they have a
  /// parent-death signal; network devices go with the network namespace).
  /// A monitor born in its cgroup (launch, daemon mode) has the janitor
  /// born back in the monitor's original cgroup, so that it never keeps the
  /// monitor cgroup busy. Without a janitor (it could not start) the start
  /// goes on, as LXC's does, which has none.
  void spawn_janitor(const exec::ContainerCgroups& cgroups) {
    UniqueFd origin;
    if (cgroups.caller_in_monitor()) origin = cgroups.open_unified_origin_dir();
    Result<void> spawned = janitor_.spawn(r_.paths.name, origin ? origin.get() : -1);
    if (!spawned) {
      report(spawned.error());
      return;
    }
    publish_to_janitor(cgroups);
  }
  void publish_to_janitor(const exec::ContainerCgroups& cgroups) {
    if (Result<void> r = janitor_.publish(cgroups); !r) report(r.error());
  }

  void open_console_log() {
    const exec::Step* step = r_.plan.find("setup-console");
    if (!step) return;
    const auto& c = std::get<exec::SetupConsole>(step->data);
    if (c.logfile.empty()) return;
    console_log_.reset(::open(c.logfile.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  }

  /// lxc.console.path naming a host device (not "none", not empty): the
  /// console's peer instead of the tool's terminal, in daemon mode too.
  const std::string& console_device_path() const {
    static const std::string none;
    const exec::Step* step = r_.plan.find("setup-console");
    return step ? std::get<exec::SetupConsole>(step->data).host_path : none;
  }
  /// Opened before the start, so that a device that cannot be opened fails
  /// it (as LXC's lxc_terminal_create does).
  Result<void> open_console_device() {
    const std::string& path = console_device_path();
    if (path.empty()) return {};
    console_device_.reset(::open(path.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!console_device_) return Error::system("open the console device (lxc.console.path)", path, errno);
    // As LXC: the console's peer is a terminal (a file or /dev/null is
    // what lxc.console.logfile and `none` are for).
    if (!::isatty(console_device_.get()))
      return Error::system("the console device (lxc.console.path) is not a terminal:", path, ENOTTY);
    return {};
  }

  /// Connects the console pty to its peer: the device of lxc.console.path,
  /// else the tool's terminal (foreground only). A terminal peer is put in
  /// raw mode, restored by stop_console_peer().
  void start_console_peer() {
    if (container_->console_master() < 0) return;
    if (console_device_) {
      peer_in_ = peer_out_ = console_device_.get();
    } else if (!r_.daemon && ::isatty(0)) {
      peer_in_ = 0;
      peer_out_ = 1;
    } else {
      return;
    }
    peer_raw_ = ::isatty(peer_in_) && ::tcgetattr(peer_in_, &saved_tio_) == 0;
    if (peer_raw_) {
      struct termios raw = saved_tio_;
      ::cfmakeraw(&raw);
      raw.c_oflag |= OPOST;  // keep output processing so lines end where they should
      ::tcsetattr(peer_in_, TCSAFLUSH, &raw);
      copy_winsize();
    }
  }
  void stop_console_peer() {
    if (peer_raw_) ::tcsetattr(peer_in_, TCSAFLUSH, &saved_tio_);
    peer_raw_ = false;
    peer_in_ = peer_out_ = -1;
  }
  void copy_winsize() {
    struct winsize ws {};
    if (peer_raw_ && ::ioctl(peer_in_, TIOCGWINSZ, &ws) == 0) ::ioctl(container_->console_master(), TIOCSWINSZ, &ws);
  }

  void add(int fd) {
    struct epoll_event ev {};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev);
  }
  void remove(int fd) { ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr); }

  bool console_taken() const {
    for (const auto& [fd, c] : clients_)
      if (c->tty == 0) return true;
    return false;
  }

  /// Returns init's wait status.
  int loop() {
    epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
    add(sigfd_.get());
    add(listener_.get());
    add(container_->init_pidfd());
    int console = container_->console_master();
    if (console >= 0 && !console_taken()) add(console);  // its holder reads it (see drop)
    if (peer_in_ >= 0) add(peer_in_);
    for (const auto& [fd, c] : clients_) add(fd);  // waiting since before a reboot
    bool join_cgroup = container_->monitor_cgroup_due();
    bool settle = join_cgroup || !r_.daemon;
    const auto settle_at = std::chrono::steady_clock::now() + kSettleDelay;
    for (;;) {
      int timeout = -1;
      if (settle) {
        auto left = std::chrono::ceil<std::chrono::milliseconds>(settle_at - std::chrono::steady_clock::now());
        timeout = static_cast<int>(std::max<long>(0, left.count()));
      }
      struct epoll_event events[16];
      int n = ::epoll_wait(epoll_.get(), events, 16, timeout);
      if (n < 0) {
        if (errno == EINTR) continue;
        break;
      }
      // Due whether or not the wait timed out: a busy console must not
      // put it off for ever.
      if (settle && std::chrono::steady_clock::now() >= settle_at) {
        settle = false;
        // The container runs on; the monitor stays where it is.
        if (join_cgroup)
          if (Result<void> joined = join_monitor_cgroup(); !joined) report(joined.error());
        if (!r_.daemon) release_program_pages();
      }
      for (int i = 0; i < n; ++i) {
        int fd = events[i].data.fd;
        if (fd == container_->init_pidfd()) {
          siginfo_t info{};
          if (::waitid(P_PIDFD, static_cast<id_t>(fd), &info, WEXITED | WNOHANG) == 0 && info.si_pid != 0) {
            drain_console();
            return info.si_code == CLD_EXITED ? W_EXITCODE(info.si_status, 0) : W_EXITCODE(0, info.si_status);
          }
        } else if (fd == sigfd_.get()) {
          on_signal();
        } else if (fd == listener_.get()) {
          // Non-blocking: a client that sends part of a request and waits
          // must not hold up the monitor (on_client keeps what came).
          int c = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
          if (c >= 0) {
            auto conn = std::make_unique<ClientConn>();
            conn->fd.reset(c);
            struct ucred peer {};
            socklen_t len = sizeof peer;
            conn->allowed = ::getsockopt(c, SOL_SOCKET, SO_PEERCRED, &peer, &len) == 0 &&
                            (peer.uid == 0 || peer.uid == ::geteuid());
            size_t refused = 0;
            for (const auto& [cfd, cc] : clients_) refused += cc->allowed ? 0 : 1;
            if (!conn->allowed && refused >= kMaxRefusedClients) continue;  // closed here
            add(c);
            clients_[c] = std::move(conn);
          }
        } else if (fd == console) {
          if (events[i].events & (EPOLLHUP | EPOLLERR) && !(events[i].events & EPOLLIN)) {
            remove(console);
            continue;
          }
          if (!console_taken()) pump_console();
        } else if (fd == peer_in_) {
          char buf[4096];
          ssize_t got = ::read(fd, buf, sizeof buf);
          if (got <= 0) {
            remove(fd);
            continue;
          }
          write_full_fd(console, buf, static_cast<size_t>(got));
        } else {
          on_client(fd);
        }
      }
    }
    return 0;
  }

  static void write_full_fd(int fd, const char* buf, size_t n) {
    while (n > 0) {
      ssize_t w = ::write(fd, buf, n);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return;
      buf += w;
      n -= static_cast<size_t>(w);
    }
  }

  void pump_console() {
    char buf[8192];
    ssize_t got = ::read(container_->console_master(), buf, sizeof buf);
    if (got <= 0) return;
    if (console_log_) write_full_fd(console_log_.get(), buf, static_cast<size_t>(got));
    if (peer_out_ >= 0) write_full_fd(peer_out_, buf, static_cast<size_t>(got));
  }
  void drain_console() {
    int console = container_->console_master();
    if (console < 0 || console_taken()) return;
    int flags = ::fcntl(console, F_GETFL);
    ::fcntl(console, F_SETFL, flags | O_NONBLOCK);
    for (int i = 0; i < 64; ++i) {
      char buf[8192];
      ssize_t got = ::read(console, buf, sizeof buf);
      if (got <= 0) break;
      if (console_log_) write_full_fd(console_log_.get(), buf, static_cast<size_t>(got));
      if (peer_out_ >= 0) write_full_fd(peer_out_, buf, static_cast<size_t>(got));
    }
  }

  void send_signal(int sig) { ::syscall(SYS_pidfd_send_signal, container_->init_pidfd(), sig, nullptr, 0); }

  void on_signal() {
    for (;;) {
      struct signalfd_siginfo si {};
      if (::read(sigfd_.get(), &si, sizeof si) != static_cast<ssize_t>(sizeof si)) return;
      int sig = static_cast<int>(si.ssi_signo);
      if (sig == SIGCHLD) continue;  // init's end arrives on its pidfd; hooks reap their own
      if (sig == SIGWINCH) {
        copy_winsize();
        continue;
      }
      send_signal(sig == SIGHUP ? SIGTERM : sig);
    }
  }

  void respond(ClientConn& c, int32_t ret, uint64_t slot, const std::string& data = {}, int pass_fd = -1) {
    WireResponse rsp{ret, static_cast<int32_t>(data.size()), slot};
    std::vector<int> fds;
    if (pass_fd >= 0) fds.push_back(pass_fd);
    send_with_fds(c.fd.get(), &rsp, sizeof rsp, fds);
    if (!data.empty()) write_full(c.fd.get(), data.data(), data.size());
  }

  void drop(int fd) {
    remove(fd);
    auto it = clients_.find(fd);
    bool held_console = it != clients_.end() && it->second->tty == 0;
    clients_.erase(fd);
    // The console is watched again once nobody holds it: while one does,
    // what the container writes waits for the holder, and a watched
    // console would wake the monitor for it without end.
    if (held_console && container_ && container_->console_master() >= 0) add(container_->console_master());
  }

  void on_client(int fd) {
    auto it = clients_.find(fd);
    if (it == clients_.end()) return;
    ClientConn& c = *it->second;
    // What the client sent so far; its end of file or an error ends it
    // (and frees a tty it held), once what it completed is answered.
    bool open = true;
    for (;;) {
      char buf[4096];
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n > 0) {
        c.in.append(buf, static_cast<size_t>(n));
        if (c.in.size() > sizeof(WireRequest) + kMaxRequestData) {
          open = false;  // more than any request waiting: not this protocol
          break;
        }
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      open = false;
      break;
    }
    while (c.in.size() >= sizeof(WireRequest)) {
      WireRequest req{};
      std::memcpy(&req, c.in.data(), sizeof req);
      if (req.datalen < 0 || static_cast<size_t>(req.datalen) > kMaxRequestData) {
        drop(fd);  // not this protocol
        return;
      }
      size_t size = sizeof req + static_cast<size_t>(req.datalen);
      if (c.in.size() < size) break;
      std::string data = c.in.substr(sizeof req, static_cast<size_t>(req.datalen));
      c.in.erase(0, size);
      if (!serve(fd, c, req, data)) return;  // dropped
    }
    if (!open) drop(fd);
  }

  /// Answers one request; false when the client was dropped.
  bool serve(int fd, ClientConn& c, const WireRequest& req, const std::string& data) {
    serving_ = fd;
    struct Served {
      int& serving;
      ~Served() { serving = -1; }
    } served{serving_};
    if (!c.allowed) {
      respond(c, -EPERM, 0);
      drop(fd);
      return false;
    }
    bool keep = false;
    switch (static_cast<Cmd>(req.cmd)) {
      case Cmd::get_state:
        respond(c, 0, static_cast<uint64_t>(state_));
        break;
      case Cmd::get_init_pid:
        respond(c, 0, static_cast<uint64_t>(container_->init_pid()));
        break;
      case Cmd::get_init_pidfd:
        respond(c, 0, 0, {}, container_->init_pidfd());
        break;
      case Cmd::get_clone_flags:
        respond(c, 0, r_.plan.namespaces);
        break;
      case Cmd::get_name:
        respond(c, 0, 0, r_.paths.name + std::string(1, '\0'));
        break;
      case Cmd::get_lxcpath:
        respond(c, 0, 0, r_.paths.lxcpath + std::string(1, '\0'));
        break;
      case Cmd::get_config_item: {
        std::string key = data.substr(0, data.find('\0'));
        std::optional<std::string> v = r_.config ? config::get_item(*r_.config, key) : std::nullopt;
        // A running veth answers with its host end, named at start when
        // lxc.net.N.veth.pair left it to chance (as LXC's does).
        if (v && v->empty() && container_ && container_->network())
          if (std::optional<uint32_t> index = veth_pair_index(key)) v = container_->network()->host_end(*index);
        // LXC answers an empty value with an error too (its clients rely
        // on that, e.g. lxc-attach for an unset lxc.arch).
        if (v && !v->empty())
          respond(c, 0, 0, *v + std::string(1, '\0'));
        else
          respond(c, -1, 0);
        break;
      }
      case Cmd::stop: {
        // No answer: the client waits for the connection to close, i.e.
        // for the container to be gone.
        if (exec::ContainerCgroups* cg = container_->cgroups(); cg && state_ == State::frozen) cg->thaw();
        send_signal(r_.plan.signals.stop);
        keep = true;
        break;
      }
      case Cmd::add_state_client: {
        int32_t states[kStateCount] = {};
        std::memcpy(states, data.data(), std::min(data.size(), sizeof states));
        // 1: this state, now or later; 2 (lxc-stop -r): the next time the
        // container gets there, even if it is there now.
        for (int i = 0; i < kStateCount; ++i) c.wanted[i] = states[i] != 0;
        if (states[static_cast<int>(state_)] == 1) {
          respond(c, 0, static_cast<uint64_t>(state_));
        } else {
          c.state_client = true;
          respond(c, 0, kStateCount);
          keep = true;
        }
        break;
      }
      case Cmd::freeze:
      case Cmd::unfreeze: {
        exec::ContainerCgroups* cg = container_->cgroups();
        bool freeze = static_cast<Cmd>(req.cmd) == Cmd::freeze;
        if (!cg) {
          respond(c, -ENOENT, 0);
          break;
        }
        set_state(freeze ? State::freezing : State::thawed);
        Result<void> r = freeze ? cg->freeze() : cg->thaw();
        if (r) set_state(freeze ? State::frozen : State::running);
        else set_state(State::running);
        respond(c, r ? 0 : -(r.error().sys_errno() ? r.error().sys_errno() : EIO), 0);
        break;
      }
      case Cmd::get_tty_fd: {
        int want = static_cast<int>(static_cast<int64_t>(req.slot));
        int fd_to_pass = -1;
        int number = -1;
        auto tty_busy = [&](int n) {
          for (const auto& [f, cc] : clients_)
            if (cc->tty == n) return true;
          return false;
        };
        const auto& ttys = container_->ttys();
        if (want == 0) {
          if (container_->console_master() >= 0 && !tty_busy(0)) {
            fd_to_pass = container_->console_master();
            number = 0;
          }
        } else if (want < 0) {
          for (size_t i = 0; i < ttys.size(); ++i) {
            if (!tty_busy(static_cast<int>(i) + 1)) {
              number = static_cast<int>(i) + 1;
              fd_to_pass = ttys[i].master.get();
              break;
            }
          }
        } else if (static_cast<size_t>(want) <= ttys.size() && !tty_busy(want)) {
          number = want;
          fd_to_pass = ttys[static_cast<size_t>(want) - 1].master.get();
        }
        if (fd_to_pass < 0) {
          respond(c, -EBADF, 0);
          break;
        }
        c.tty = number;
        if (number == 0) remove(fd_to_pass);  // the holder reads it now (see drop)
        respond(c, 0, static_cast<uint64_t>(number), {}, fd_to_pass);
        keep = true;
        break;
      }
      default:
        respond(c, -EINVAL, 0);
        break;
    }
    if (!keep) drop(fd);
    return keep;
  }

  LaunchRequest& r_;
  UniqueFd listener_;
  UniqueFd sigfd_;
  UniqueFd epoll_;
  UniqueFd console_log_;
  State state_ = State::stopped;
  std::unique_ptr<exec::Container> container_;
  std::map<int, std::unique_ptr<ClientConn>> clients_;
  int serving_ = -1;  // the client on_client answers: set_state leaves it to on_client
  struct termios saved_tio_ {};
  int peer_in_ = -1, peer_out_ = -1;  // the console's peer (start_console_peer), -1 = none
  bool peer_raw_ = false;             // the peer is a terminal put in raw mode
  UniqueFd console_device_;           // lxc.console.path's device
  const exec::ContainerCgroups* monitor_cgroup_made_;  // made before the monitor, which was born in it
  UniqueFd handover_;  // to the maker of monitor_cgroup_made_: "the janitor guards it now"
  Janitor janitor_;
};

Result<void> write_pidfile(const std::string& path) {
  if (path.empty()) return {};
  UniqueFd f(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!f) return Error::system("open the pidfile", path, errno);
  std::string text = std::to_string(::getpid());  // no newline, as LXC's
  if (::write(f.get(), text.data(), text.size()) < 0) return Error::system("write the pidfile", path, errno);
  return {};
}

}  // namespace

Result<LaunchOutcome> launch(LaunchRequest& r) {
  LaunchOutcome out;
  // The disk lock (shared with LXC's tools, which take it for a moment too)
  // guards the check-and-bind; the bound command socket then keeps a second
  // start out for as long as the monitor lives.
  Result<UniqueFd> lock = lock_container(r.paths, true);
  if (!lock) return std::move(lock.error());
  Result<UniqueFd> listener = listen_command_socket(r.paths);
  lock.value().reset();
  if (!listener) {
    if (listener.error().sys_errno() == EADDRINUSE) {
      out.already_running = true;
      return out;
    }
    return std::move(listener.error());
  }

  // As LXC's lxc-start: a pidfile that cannot be made fails the start
  // before anything is started (the monitor writes it once it runs).
  if (!r.pidfile.empty() && !UniqueFd(::open(r.pidfile.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600)))
    return Error::system("Failed to ensure pidfile", r.pidfile, errno);
  // Removed whenever the tool returns, but from a daemon's successful start
  // (its monitor removes it as it exits). The forked processes leave by
  // _exit, past this.
  struct PidfileGuard {
    const std::string& path;
    bool keep = false;
    ~PidfileGuard() {
      if (!keep && !path.empty()) ::unlink(path.c_str());
    }
  } pidfile{r.pidfile};
  if (!r.daemon) {
    if (r.close_all_fds) close_inherited_fds({listener.value().get()});
    CORRAL_TRY(write_pidfile(r.pidfile));
    Monitor m(r, std::move(listener.value()));
    Result<int> status = m.run([](State, const Error*) {});
    if (!status) return std::move(status.error());
    out.init_status = status.value();
    return out;
  }

  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) return Error::system("socketpair", "", errno);
  UniqueFd tool_end(pair[0]), monitor_end(pair[1]);
  pid_t a = ::fork();
  if (a < 0) return Error::system("fork the monitor", "", errno);
  if (a == 0) {
    tool_end.reset();
    auto report = [&](State s, const Error* e) {
      StartReport rep{};
      rep.state = static_cast<int32_t>(s);
      if (e) std::strncpy(rep.error, e->render().c_str(), sizeof rep.error - 1);
      ::send(monitor_end.get(), &rep, sizeof rep, MSG_NOSIGNAL);
    };
    // The monitor is born in the unified part of its cgroup: moving it
    // there would wait for an RCU grace period (6 ms here; see
    // ContainerCgroups::enter_monitor_self). Not when hooks run before the
    // cgroups are made: they would run in it.
    std::optional<exec::ContainerCgroups> monitor_cgroup;
    UniqueFd monitor_dir;
    const exec::Step* first = r.plan.steps.empty() ? nullptr : &r.plan.steps.front();
    const auto* cgroups = first ? std::get_if<exec::CreateCgroups>(&first->data) : nullptr;
    if (cgroups && r.plan.host.cgroup_layout != exec::CgroupLayout::legacy) {
      Result<exec::ContainerCgroups> made = exec::ContainerCgroups::create_monitor_first(r.plan.host, *cgroups);
      if (!made) {
        report(State::aborting, &made.error().wrap("step " + first->name));
        ::_exit(1);
      }
      monitor_cgroup = std::move(made.value());
      monitor_dir = monitor_cgroup->open_unified_monitor_dir();
      if (!monitor_dir) {  // then the monitor makes and enters it itself, as in the foreground
        monitor_cgroup->undo_creation();
        monitor_cgroup.reset();
      }
    }
    // Until the monitor has forked its janitor, this process guards the
    // monitor cgroup: should the monitor die (SIGKILL) before, it removes it.
    int handover[2] = {-1, -1};
    if (monitor_cgroup && ::pipe2(handover, O_CLOEXEC) != 0) handover[0] = handover[1] = -1;
    UniqueFd handover_in(handover[0]), handover_out(handover[1]);
    pid_t b = monitor_dir ? exec::clone_into_cgroup(0, nullptr, monitor_dir.get()) : ::fork();
    if (b != 0) {
      if (b < 0 && monitor_cgroup) monitor_cgroup->undo_creation();
      if (b > 0 && handover_in) {
        handover_out.reset();
        monitor_end.reset();  // the tool sees the monitor's end alone
        char byte;
        ssize_t n;
        while ((n = ::read(handover_in.get(), &byte, 1)) < 0 && errno == EINTR) {
        }
        if (n != 1) {  // the monitor ended first (and left nothing in it)
          ::waitpid(b, nullptr, 0);
          monitor_cgroup->undo_creation();
        }
      }
      ::_exit(b < 0 ? 1 : 0);
    }
    handover_in.reset();
    if (monitor_cgroup) monitor_cgroup->born_in_monitor();
    monitor_dir.reset();
    // The monitor proper: detached from the tool's session and files.
    ::setsid();
    if (::chdir("/") != 0) ::_exit(1);
    int null = ::open("/dev/null", O_RDWR);
    if (null >= 0) {
      ::dup2(null, 0);
      ::dup2(null, 1);
      ::dup2(null, 2);
      if (null > 2) ::close(null);
    }
    close_inherited_fds({listener.value().get(), monitor_end.get(), handover_out.get()});
    set_process_title("[lxc monitor] " + r.paths.lxcpath + " " + r.paths.name);
    Result<void> pid_written = write_pidfile(r.pidfile);
    Monitor m(r, std::move(listener.value()), monitor_cgroup ? &*monitor_cgroup : nullptr, std::move(handover_out));
    Result<int> status = m.run([&](State s, const Error* e) {
      report(s, pid_written ? e : &pid_written.error());
      monitor_end.reset();
    });
    if (!r.pidfile.empty()) ::unlink(r.pidfile.c_str());
    ::_exit(status ? 0 : 1);
  }
  monitor_end.reset();
  listener.value().reset();
  int st = 0;
  while (::waitpid(a, &st, 0) < 0 && errno == EINTR) {
  }
  StartReport rep{};
  ssize_t n;
  while ((n = ::recv(tool_end.get(), &rep, sizeof rep, 0)) < 0 && errno == EINTR) {
  }
  if (n != static_cast<ssize_t>(sizeof rep))
    return Error(Error::Kind::system, "the monitor ended before the container started");
  if (static_cast<State>(rep.state) != State::running) {
    Error e(Error::Kind::system, rep.error[0] ? rep.error : "the container did not start");
    return e;
  }
  pidfile.keep = true;
  return out;
}

}  // namespace corral::runtime
