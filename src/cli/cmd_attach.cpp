// lxc-attach / `corral attach` (spec/cli.md §3, runtime.md §11): run a
// command in a running container, through a pty when the caller is on a
// terminal, and exit with the command's status.
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <fstream>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/container_args.hpp"
#include "config/loader.hpp"
#include "exec/attach.hpp"
#include "exec/cgroup.hpp"
#include "exec/devices.hpp"
#include "runtime/commands.hpp"
#include "util/strings.hpp"

namespace corral::cli {

namespace {

uint64_t cap_bounding_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.compare(0, 7, "CapBnd:") == 0) return std::stoull(line.substr(7), nullptr, 16);
  return ~0ULL;
}

/// The first of fds 1, 2 and 0 that is a terminal: where the pty's output
/// goes (the caller's terminal, whichever of its fds still shows it).
int caller_terminal() {
  for (int fd : {1, 2, 0})
    if (::isatty(fd)) return fd;
  return -1;
}

/// Copies between the caller's terminal and the pty until the transient
/// process ends; returns its wait status. Input is read only when stdin
/// is the terminal (the command reads a piped stdin itself). `log` (-L)
/// gets the pty's output.
int proxy_and_wait(pid_t transient, int master, int log) {
  struct termios saved {};
  bool raw = ::tcgetattr(0, &saved) == 0;
  if (raw) {
    struct termios t = saved;
    ::cfmakeraw(&t);
    t.c_oflag |= OPOST;
    ::tcsetattr(0, TCSAFLUSH, &t);
  }
  int terminal = caller_terminal();
  struct winsize ws {};
  if (terminal >= 0 && ::ioctl(terminal, TIOCGWINSZ, &ws) == 0) ::ioctl(master, TIOCSWINSZ, &ws);
  auto copy_out = [&](const char* buf, ssize_t got) {
    if (::write(terminal, buf, static_cast<size_t>(got)) < 0) {
    }
    if (log >= 0 && ::write(log, buf, static_cast<size_t>(got)) < 0) {
    }
  };
  // A descriptor that has ended is left out (-1): poll would report its
  // hang-up again at once, and the loop would spin.
  struct pollfd p[2] = {{master, POLLIN, 0}, {::isatty(0) ? 0 : -1, POLLIN, 0}};
  int status = 0;
  for (;;) {
    int n = ::poll(p, 2, 100);
    if (n > 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR))) {
      char buf[8192];
      ssize_t got = ::read(master, buf, sizeof buf);
      if (got > 0) copy_out(buf, got);
      else if (got == 0 || errno != EINTR) p[0].fd = -1;  // every slave closed (EIO)
    }
    if (n > 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
      char buf[4096];
      ssize_t got = ::read(0, buf, sizeof buf);
      if (got > 0) {
        if (::write(master, buf, static_cast<size_t>(got)) < 0) {
        }
      } else if (got == 0 || errno != EINTR) {
        p[1].fd = -1;
      }
    }
    pid_t done = ::waitpid(transient, &status, WNOHANG);
    if (done == transient) break;
  }
  // What the command wrote last.
  ::fcntl(master, F_SETFL, ::fcntl(master, F_GETFL) | O_NONBLOCK);
  char buf[8192];
  ssize_t got;
  while ((got = ::read(master, buf, sizeof buf)) > 0) copy_out(buf, got);
  if (raw) ::tcsetattr(0, TCSAFLUSH, &saved);
  return status;
}

}  // namespace

int lxc_attach_main(const std::string& prog, const std::vector<std::string>& args) {
  exec::AttachOptions o;
  std::string pty_log;
  bool elevated_all = false, bad = false;
  LxcTool tool{prog, "--name=NAME [-- COMMAND]", "Execute the specified COMMAND - enter the container NAME", {}, {}};
  tool.options = {{"elevated-privileges", 'e', optional_argument, "Use elevated privileges instead of those of the container"},
                  {"arch", 'a', required_argument, "Use ARCH for program instead of container's own architecture"},
                  {"namespaces", 's', required_argument, "Don't attach to all the namespaces of the container"},
                  {"remount-sys-proc", 'R', no_argument, "Remount /sys and /proc if not attaching to the mount namespace"},
                  {"keep-env", 0, no_argument, "Keep all current environment variables"},
                  {"clear-env", 0, no_argument, "Clear all environment variables before attaching"},
                  {"set-var", 'v', required_argument, "Set an additional variable that is seen by the attached program"},
                  {"keep-var", 0, required_argument, "Keep an additional environment variable"},
                  {"uid", 'u', required_argument, "Execute COMMAND with UID inside the container"},
                  {"gid", 'g', required_argument, "Execute COMMAND with GID inside the container"},
                  {"pty-log", 'L', required_argument, "Log pty output to FILE"},
                  {"rcfile", 'f', required_argument, "Load configuration file FILE"},
                  {"context", 'c', required_argument, "SELinux context to transition into"}};
  LxcCommon common;
  tool.on_option = [&](char s, const char* l, const char* arg) {
    std::string lname = l;
    if (s == 'e') {
      if (!arg) {
        elevated_all = true;
        return true;
      }
      for (std::string_view p : split(arg, '|')) {
        if (p == "CGROUP") o.join_cgroup = false;
        else if (p == "CAP") o.drop_caps = false;
        else if (p != "LSM") return false;
      }
    } else if (s == 's') {
      std::optional<unsigned long> ns = exec::parse_attach_namespaces(arg);
      if (!ns) return false;
      o.namespaces = *ns;
      elevated_all = true;
    } else if (s == 'a') {
      bad = true;  // reported below
    } else if (s == 'R') {
      o.remount_sys_proc = true;
    } else if (lname == "keep-env") {
      o.clear_env = false;
    } else if (lname == "clear-env") {
      o.clear_env = true;
    } else if (s == 'v') {
      o.set_vars.emplace_back(arg);
    } else if (lname == "keep-var") {
      o.keep_vars.emplace_back(arg);
    } else if (s == 'u' || s == 'g') {
      char* end = nullptr;
      unsigned long v = std::strtoul(arg, &end, 10);
      if (!*arg || *end) return false;
      if (s == 'u') o.uid = static_cast<uid_t>(v);
      else o.gid = static_cast<gid_t>(v);
    } else if (s == 'L') {
      pty_log = arg;
    } else if (s == 'f') {
      common.rcfile = arg;
    } else if (s == 'c') {
      bad = true;
    }
    return true;
  };
  if (std::optional<int> done = parse_lxc_args_named(tool, args, common)) return *done;
  Reporter out(prog, common);
  if (bad) {
    out.error("-a/--arch and -c/--context are not supported by corral: it sets no personality or SELinux context");
    return 1;
  }
  if (elevated_all) o.join_cgroup = false, o.drop_caps = false;
  o.argv = common.rest;

  runtime::ContainerPaths paths = container_paths(common);
  Result<runtime::Client> c = runtime::Client::connect(paths);
  if (!c) {
    out.error("Failed to get init pid");
    return 1;
  }
  Result<runtime::Reply> pidfd = c.value().call(runtime::Cmd::get_init_pidfd);
  std::optional<pid_t> pid = runtime::query_init_pid(paths);
  Result<runtime::Client> c2 = runtime::Client::connect(paths);
  Result<runtime::Reply> flags = c2 ? c2.value().call(runtime::Cmd::get_clone_flags) : Result<runtime::Reply>(c2.error());
  if (!pidfd || pidfd.value().fds.empty() || !pid || !flags) {
    out.error("Failed to get attach context");
    return 1;
  }
  exec::AttachTarget t;
  t.init_pid = *pid;
  t.init_pidfd = pidfd.value().fds[0].get();
  t.clone_flags = flags.value().slot;
  if (std::optional<std::string> env = runtime::query_config_item(paths, "lxc.environment"))
    for (std::string_view kv : split(*env, '\n'))
      if (!kv.empty()) t.environment.emplace_back(kv);
  t.no_new_privs = runtime::query_config_item(paths, "lxc.no_new_privs").value_or("0") == "1";
  if (std::optional<std::string> profile = runtime::query_config_item(paths, "lxc.seccomp.profile"); profile && !profile->empty()) {
    Result<exec::SeccompProgram> prog_ = exec::compile_seccomp_file(*profile);
    if (!prog_) {
      out.error(prog_.error().render());
      return 1;
    }
    t.seccomp = std::move(prog_.value());
  }
  t.cap_bounding = cap_bounding_of(*pid);
  if (o.join_cgroup) {
    Result<exec::ContainerCgroups> cg = exec::ContainerCgroups::for_pid(exec::probe_host(), *pid);
    if (cg) {
      t.unified_cgroup_dir = cg.value().unified_payload_dir();
      for (std::string& dir : cg.value().payload_dirs())
        if (dir != t.unified_cgroup_dir) t.cgroup_dirs.push_back(std::move(dir));
    }
  }
  // lxc.prlimit.* and lxc.proc.* of the running container, read back as
  // configuration lines and planned as the start plans them for init.
  std::string limits = runtime::query_config_item(paths, "lxc.prlimit").value_or("") +
                       runtime::query_config_item(paths, "lxc.proc").value_or("");
  if (!limits.empty()) {
    config::LoadResult loaded = config::load_text(limits, "the running container's lxc.prlimit and lxc.proc");
    if (!loaded.ok()) {
      out.error(loaded.render());
      return 1;
    }
    Result<exec::ProcessSettings> settings = exec::plan_process_settings(loaded.config);
    if (!settings) {
      out.error(settings.error().render());
      return 1;
    }
    t.settings = std::move(settings.value());
  }

  bool tty = ::isatty(0) || ::isatty(1) || ::isatty(2);
  std::optional<exec::Pty> pty;
  if (tty) {
    Result<exec::Pty> p = exec::open_pty("", "/dev/ptmx");
    if (!p) {
      out.error(p.error().render());
      return 1;
    }
    pty = std::move(p.value());
    // Only the descriptors that are terminals, as LXC's: a redirected or
    // piped one is the command's own.
    for (int fd = 0; fd < 3; ++fd)
      if (::isatty(fd)) o.stdio[fd] = pty->slave.get();
  }
  ::signal(SIGINT, SIG_IGN);
  ::signal(SIGQUIT, SIG_IGN);
  Result<pid_t> transient = exec::spawn_attached(t, o, prog);
  if (!transient) {
    out.error(transient.error().render());
    return 1;
  }
  int status = 0;
  if (pty) {
    pty->slave.reset();
    UniqueFd log;
    if (!pty_log.empty()) log.reset(::open(pty_log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
    status = proxy_and_wait(transient.value(), pty->master.get(), log.get());
  } else {
    while (::waitpid(transient.value(), &status, 0) < 0 && errno == EINTR) {
    }
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

}  // namespace corral::cli
