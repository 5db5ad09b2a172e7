#include "exec/attach.hpp"

#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "exec/cgroup.hpp"
#include "exec/container.hpp"
#include "util/strings.hpp"

extern char** environ;

namespace corral::exec {

namespace {

constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

[[noreturn]] void die(const std::string& prog, const std::string& message, int status = 1) {
  std::fprintf(stderr, "%s: %s\n", prog.c_str(), message.c_str());
  std::fflush(stderr);
  ::_exit(status);
}

/// The id a command attaches as when -u/-g are not given: 0, unless the
/// joined user namespace does not map 0 (lxc.idmap without root); then the
/// id init runs as, as LXC does. `map` is /proc/self/uid_map or gid_map,
/// `field` "Uid:" or "Gid:" of init's /proc/1/status, read from inside.
uint32_t default_attach_id(const char* map, const char* field) {
  std::ifstream maps(map);
  uint64_t inside = 0, outside = 0, count = 0;
  while (maps >> inside >> outside >> count)
    if (inside == 0 && count > 0) return 0;
  std::ifstream status("/proc/1/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind(field, 0) == 0) return static_cast<uint32_t>(std::strtoul(line.c_str() + std::strlen(field), nullptr, 10));
  return 0;
}

/// The login shell of `uid` in the (now joined) container's /etc/passwd.
std::string shell_of(uid_t uid) {
  std::ifstream in("/etc/passwd");
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string_view> f = split(line, ':');
    if (f.size() >= 7 && f[2] == std::to_string(uid) && !f[6].empty()) return std::string(f[6]);
  }
  return "/bin/sh";
}

std::vector<std::string> build_env(const AttachTarget& t, const AttachOptions& o) {
  std::vector<std::pair<std::string, std::string>> env;
  auto set = [&](const std::string& kv) {
    size_t eq = kv.find('=');
    std::string name = kv.substr(0, eq), value = eq == std::string::npos ? "" : kv.substr(eq + 1);
    for (auto& [n, v] : env)
      if (n == name) {
        v = value;
        return;
      }
    env.emplace_back(name, value);
  };
  for (char** e = environ; e && *e; ++e) {
    std::string kv = *e;
    std::string name = kv.substr(0, kv.find('='));
    if (!o.clear_env || std::find(o.keep_vars.begin(), o.keep_vars.end(), name) != o.keep_vars.end()) set(kv);
  }
  if (o.clear_env && std::find(o.keep_vars.begin(), o.keep_vars.end(), "PATH") == o.keep_vars.end())
    set(std::string("PATH=") + kDefaultPath);
  set("container=lxc");
  for (const std::string& kv : t.environment) set(kv);
  for (const std::string& kv : o.set_vars) {
    // -v NAME without '=' removes NAME: LXC hands it to putenv(3).
    if (kv.find('=') == std::string::npos)
      std::erase_if(env, [&](const auto& e) { return e.first == kv; });
    else
      set(kv);
  }
  std::vector<std::string> out;
  for (const auto& [n, v] : env) out.push_back(n + "=" + v);
  return out;
}

/// The attached process: never returns.
[[noreturn]] void become_command(const AttachTarget& t, const AttachOptions& o, const std::string& prog,
                                 std::vector<std::string> env) {
  for (int fd = 0; fd < 3; ++fd)
    if (o.stdio[fd] != fd && ::dup2(o.stdio[fd], fd) < 0) die(prog, "failed to set up stdio: " + std::string(std::strerror(errno)));
  ::setsid();
  for (int fd = 0; fd < 3; ++fd)  // the pty, on whichever fds it was given
    if (::isatty(fd)) {
      ::ioctl(fd, TIOCSCTTY, 0);
      break;
    }
  if (o.drop_caps) {
    for (int cap = 0; cap < 64; ++cap) {
      if (t.cap_bounding & (1ULL << cap)) continue;
      if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
        die(prog, "failed to drop capability " + std::to_string(cap) + ": " + std::strerror(errno));
    }
  }
  uid_t uid = o.uid ? *o.uid : default_attach_id("/proc/self/uid_map", "Uid:");
  gid_t gid = o.gid ? *o.gid : default_attach_id("/proc/self/gid_map", "Gid:");
  if (::setgroups(0, nullptr) != 0 && errno != EPERM) die(prog, std::string("failed to drop groups: ") + std::strerror(errno));
  if (t.no_new_privs && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    die(prog, std::string("failed to set no_new_privs: ") + std::strerror(errno));
  if (t.seccomp) {
    Result<void> r = load_seccomp(*t.seccomp);
    if (!r) die(prog, r.error().render());
  }
  if (::setgid(gid) != 0) die(prog, "failed to switch to gid " + std::to_string(gid) + ": " + std::strerror(errno));
  if (::setuid(uid) != 0) die(prog, "failed to switch to uid " + std::to_string(uid) + ": " + std::strerror(errno));
  std::vector<std::string> argv = o.argv.empty() ? std::vector<std::string>{shell_of(uid)} : o.argv;
  std::vector<char*> av;
  for (std::string& a : argv) av.push_back(a.data());
  av.push_back(nullptr);
  std::vector<char*> ev;
  for (std::string& e : env) ev.push_back(e.data());
  ev.push_back(nullptr);
  environ = ev.data();
  ::execvp(av[0], av.data());
  int err = errno;
  die(prog, "Failed to exec \"" + argv[0] + "\": " + std::strerror(err), err == ENOENT ? 127 : 126);
}

}  // namespace

std::optional<unsigned long> parse_attach_namespaces(const std::string& list) {
  static const std::pair<const char*, unsigned long> kNames[] = {
      {"MOUNT", CLONE_NEWNS},    {"PID", CLONE_NEWPID},  {"UTSNAME", CLONE_NEWUTS}, {"IPC", CLONE_NEWIPC},
      {"USER", CLONE_NEWUSER},   {"NETWORK", CLONE_NEWNET}, {"CGROUP", CLONE_NEWCGROUP}, {"TIME", CLONE_NEWTIME},
      {"mnt", CLONE_NEWNS},      {"pid", CLONE_NEWPID},  {"uts", CLONE_NEWUTS},     {"ipc", CLONE_NEWIPC},
      {"user", CLONE_NEWUSER},   {"net", CLONE_NEWNET},  {"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME}};
  unsigned long flags = 0;
  for (std::string_view name : split(list, '|')) {
    bool found = false;
    for (const auto& [n, f] : kNames)
      if (name == n) flags |= f, found = true;
    if (!found) return std::nullopt;
  }
  return flags;
}

Result<pid_t> spawn_attached(const AttachTarget& t, const AttachOptions& o, const std::string& prog) {
  unsigned long flags = o.namespaces ? o.namespaces & t.clone_flags : t.clone_flags;
  if (!o.join_cgroup) flags &= ~static_cast<unsigned long>(CLONE_NEWCGROUP);
  std::vector<std::string> env = build_env(t, o);
  std::string cwd;
  if (char* c = ::getcwd(nullptr, 0)) {
    cwd = c;
    std::free(c);
  }
  pid_t transient = ::fork();
  if (transient < 0) return Error::system("fork", "", errno);
  if (transient > 0) return transient;

  // The transient process: cgroup, limits, then namespaces, then the
  // command (which inherits the first two).
  if (o.join_cgroup) {
    for (const std::string& dir : t.cgroup_dirs)
      if (int e = join_cgroup(dir, ::getpid()))
        die(prog, "failed to join the container's cgroup `" + dir + "`: " + std::strerror(e));
    if (!t.unified_cgroup_dir.empty())
      if (int e = join_unified_leaf(t.unified_cgroup_dir, ::getpid()))
        die(prog, "failed to join the container's cgroup `" + t.unified_cgroup_dir + "`: " + std::strerror(e));
  }
  for (Result<void> r : {apply_rlimits(t.settings.rlimits, ::getpid()), apply_proc_writes(t.settings.proc, ::getpid())})
    if (!r) die(prog, r.error().render());
  if (::setns(t.init_pidfd, static_cast<int>(flags)) != 0)
    die(prog, std::string("failed to enter the container's namespaces: ") + std::strerror(errno));
  if (o.remount_sys_proc && !(flags & CLONE_NEWNS)) {
    if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_SLAVE | MS_REC, nullptr) != 0)
      die(prog, std::string("failed to unshare the mount namespace for -R: ") + std::strerror(errno));
    ::umount2("/proc", MNT_DETACH);
    ::umount2("/sys", MNT_DETACH);
    if (::mount("proc", "/proc", "proc", 0, nullptr) != 0 || ::mount("sysfs", "/sys", "sysfs", 0, nullptr) != 0)
      die(prog, std::string("failed to remount /proc and /sys: ") + std::strerror(errno));
  }
  // Silently, as LXC (which only logs it at WARN): attaching from a
  // directory the container lacks is the common case.
  if ((cwd.empty() || ::chdir(cwd.c_str()) != 0) && ::chdir("/") != 0)
    die(prog, std::string("failed to change directory to /: ") + std::strerror(errno));
  pid_t child = ::fork();
  if (child < 0) die(prog, std::string("fork: ") + std::strerror(errno));
  if (child == 0) become_command(t, o, prog, std::move(env));
  for (int fd = 0; fd < 3; ++fd)
    if (o.stdio[fd] != fd) ::close(o.stdio[fd]);
  // ^C reaches the command; this process only relays its status.
  ::signal(SIGINT, SIG_IGN);
  ::signal(SIGQUIT, SIG_IGN);
  int st = 0;
  while (::waitpid(child, &st, 0) < 0) {
    if (errno != EINTR) ::_exit(1);
  }
  ::_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
}

}  // namespace corral::exec
