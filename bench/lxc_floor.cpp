// The least a start doing LXC's work can cost on this host: the system calls
// of `lxc-execute -n NAME -- /bin/true` on bench/compare_start.sh's config,
// as corral makes them (strace), and nothing else: no config, no plan, no
// messages, no init shim, no error reporting beyond an exit status.
// bench/compare_start.sh times it beside corral, LXC and unshare, so that the
// distance between corral and what the kernel work itself costs is measured,
// not guessed.
//
//   cgroups: lxc.payload.NAME and lxc.monitor.NAME in every hierarchy (v1
//            cpuset initialised), the monitor in its cgroup, init cloned into
//            the cgroup2 payload and entering the v1 ones, all removed after;
//   clone:   mnt, pid, uts, ipc, net namespaces, then cgroup's;
//   child:   rootfs bound on MOUNTPOINT, hostname, /dev tmpfs with the six
//            nodes, pts dir, console pty bound, fd symlinks, proc with
//            /proc/sys read-only, sysfs read-only, pivot_root, the four
//            capabilities of the config dropped, exec /bin/true as pid 1.
//   --shim:  instead, pid 1 is the least init the issue asks for: it forks
//            /bin/true, waits for it and exits with its status.
//   --no-monitor-cgroup: without lxc.monitor.NAME, as corral runs a
//            container that ends within 50 ms (StartOptions::
//            monitor_cgroup_later): the floor of corral's own work.
//   --tool-work DIR: also the least system calls of what the runtime issue
//            asks of the tool besides the container itself: read the
//            config DIR/config, take the container's lock (DIR/lock), serve
//            a command socket (abstract, bound and listening), keep a
//            watcher that would clean up after a SIGKILL (a process sharing
//            this one's memory, blocked on a socket until dismissed), and
//            learn from init that the command started (a channel init
//            closes once it has), so that a failure could be reported.
//   --lxc-mounts: the mounts as LXC makes them for this config, where the
//            floor above takes a shorter way to the same view: proc:mixed's
//            seven operations (/proc/sys read-only with /proc/sys/net
//            writable, /proc/sysrq-trigger read-only when present), sys:mixed's
//            three (sysfs with devices/virtual/net writable), each auto-mount
//            target detached first, / made rshared after the pivot, and the
//            container's boot id (16 random bytes in /dev/.lxc-boot-id,
//            bound read-only on /proc/sys/kernel/random/boot_id).
//   --exec-shim PATH: pid 1 is a program of its own, as it must be once
//            the container's processes can see it (/proc/1/exe must not be
//            the tool's binary, nor pid 1's memory the tool's): the child
//            opens PATH before the pivot and execs it, with every signal
//            blocked, as "init /bin/true MASK" (corral's freestanding shim,
//            build/corral-init-shim, takes these arguments).
//
// usage: lxc_floor ROOTFS MOUNTPOINT NAME [--shim] [--no-monitor-cgroup]
//                  [--tool-work DIR] [--lxc-mounts] [--exec-shim PATH]
//        (root; exit status is /bin/true's)
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/sched.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include <linux/capability.h>

namespace {

struct Hierarchy {
  std::string dir;  // /sys/fs/cgroup/<name>
  bool unified;
  bool cpuset;
};

// Undoes what the parent made (its cgroups) when it fails half-way.
void (*g_cleanup)() = nullptr;
std::vector<std::string> g_made;  // the cgroups made, in order
pid_t g_child = 0;

[[noreturn]] void die(const char* what, const std::string& path) {
  std::fprintf(stderr, "lxc_floor: %s %s: %s\n", what, path.c_str(), std::strerror(errno));
  if (g_cleanup) g_cleanup();
  std::_Exit(125);
}

bool try_put(const std::string& path, const std::string& value) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  bool ok = fd >= 0 && ::write(fd, value.data(), value.size()) >= 0;
  if (fd >= 0) ::close(fd);
  return ok;
}

void put(const std::string& path, const std::string& value) {
  if (!try_put(path, value)) die("write", path);
}

std::string get(const std::string& path) {
  char buf[256];
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  ssize_t n = fd < 0 ? -1 : ::read(fd, buf, sizeof buf);
  if (n < 0) die("read", path);
  ::close(fd);
  while (n > 0 && buf[n - 1] == '\n') --n;
  return std::string(buf, static_cast<size_t>(n));
}

// What `probe_host` finds, reduced to the mount points (not timed apart:
// corral reads mountinfo and two cgroup files for the same).
std::vector<Hierarchy> hierarchies() {
  std::vector<Hierarchy> out;
  struct statfs top {};
  if (::statfs("/sys/fs/cgroup", &top) == 0 && top.f_type == CGROUP2_SUPER_MAGIC)
    return {{"/sys/fs/cgroup", true, false}};
  for (const char* name :
       {"cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids", "systemd", "unified"}) {
    std::string dir = std::string("/sys/fs/cgroup/") + name;
    struct statfs fs {};
    if (::statfs(dir.c_str(), &fs) != 0) continue;
    if (fs.f_type != CGROUP_SUPER_MAGIC && fs.f_type != CGROUP2_SUPER_MAGIC) continue;
    out.push_back({dir, fs.f_type == CGROUP2_SUPER_MAGIC, std::strcmp(name, "cpuset") == 0});
  }
  return out;
}

void make_cgroups(const std::vector<Hierarchy>& hs, const std::string& name) {
  for (const Hierarchy& h : hs) {
    std::string dir = h.dir + "/" + name;
    if (::mkdir(dir.c_str(), 0755) != 0) die("mkdir", dir);
    g_made.push_back(dir);
    if (h.cpuset) {
      put(dir + "/cpuset.cpus", get(h.dir + "/cpuset.cpus"));
      put(dir + "/cpuset.mems", get(h.dir + "/cpuset.mems"));
      put(dir + "/cgroup.clone_children", "1");
    }
  }
}

// The calling process into `name` below every hierarchy ("" = the root):
// "0" to v1's tasks, the pid to cgroup2's cgroup.procs (unless born there).
void enter(const std::vector<Hierarchy>& hs, const std::string& name, bool skip_unified) {
  for (const Hierarchy& h : hs) {
    if (h.unified && skip_unified) continue;
    std::string dir = name.empty() ? h.dir : h.dir + "/" + name;
    std::string file = h.unified ? dir + "/cgroup.procs" : dir + "/tasks";
    if (!try_put(file, h.unified ? std::to_string(::getpid()) : "0") && !name.empty()) die("write", file);
  }
}

void remove_cgroups(const std::vector<Hierarchy>& hs, const std::string& name) {
  for (const Hierarchy& h : hs) ::rmdir((h.dir + "/" + name).c_str());
}

void mount_or_die(const char* src, const std::string& target, const char* type, unsigned long flags,
                  const char* data = nullptr) {
  if (::mount(src, target.c_str(), type, flags, data) != 0) die("mount", target);
}

// --tool-work: the watcher, sharing the tool's memory, waits for its
// goodbye (or the end of the tool) on a socket and exits. Only a system
// call, as it shares the tool's libc state.
int watch(void* sock) {
  char byte;
  ::syscall(SYS_read, static_cast<int>(reinterpret_cast<intptr_t>(sock)), &byte, 1);
  ::syscall(SYS_exit, 0);
  return 0;
}

// --tool-work: what the tool does around the container; undone by ~ToolWork.
struct ToolWork {
  int lock = -1, commands = -1, watcher = -1;
  pid_t watcher_pid = -1;

  explicit ToolWork(const std::string& dir, const std::string& name) {
    // The watcher first, so that it holds none of the files below (corral's
    // closes them): a lock it held could outlive this run.
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) die("socketpair", name);
    alignas(16) static char stack[16384];
    watcher_pid = ::clone(watch, stack + sizeof stack, CLONE_VM | SIGCHLD,
                          reinterpret_cast<void*>(static_cast<intptr_t>(pair[0])));
    if (watcher_pid < 0) die("clone", "watcher");
    ::close(pair[0]);
    watcher = pair[1];
    char buf[4096];
    int config = ::open((dir + "/config").c_str(), O_RDONLY | O_CLOEXEC);
    if (config < 0 || ::read(config, buf, sizeof buf) < 0) die("read", dir + "/config");
    ::close(config);
    lock = ::open((dir + "/lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    struct flock fl {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (lock < 0 || ::fcntl(lock, F_OFD_SETLK, &fl) != 0) die("lock", dir + "/lock");
    commands = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un addr {};
    addr.sun_family = AF_UNIX;
    std::string address = dir + "/command";  // abstract: the first byte stays 0
    std::memcpy(addr.sun_path + 1, address.data(), std::min(address.size(), sizeof addr.sun_path - 1));
    auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + address.size());
    if (commands < 0 || ::bind(commands, reinterpret_cast<sockaddr*>(&addr), len) != 0 || ::listen(commands, 8) != 0)
      die("serve", "@" + address);
  }
  ~ToolWork() {
    if (::write(watcher, "x", 1) != 1) std::perror("lxc_floor: dismiss the watcher");
    ::close(watcher);
    ::close(commands);
    ::close(lock);
  }
};

constexpr unsigned long kNoSuidDevExec = MS_NOSUID | MS_NODEV | MS_NOEXEC;

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

// --lxc-mounts: LXC's proc:mixed.
void mount_proc_mixed(const std::string& mnt) {
  const std::string proc = mnt + "/proc";
  ::umount2(proc.c_str(), MNT_DETACH);  // whatever the rootfs had there
  mount_or_die("proc", proc, "proc", kNoSuidDevExec);
  // /proc/sys/net stays writable: set aside on /proc/tty, moved back on top.
  mount_or_die((proc + "/sys/net").c_str(), proc + "/tty", nullptr, MS_BIND);
  mount_or_die((proc + "/sys").c_str(), proc + "/sys", nullptr, MS_BIND);
  mount_or_die(nullptr, proc + "/sys", nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | kNoSuidDevExec);
  mount_or_die((proc + "/tty").c_str(), proc + "/sys/net", nullptr, MS_MOVE);
  if (exists(proc + "/sysrq-trigger")) {
    mount_or_die((proc + "/sysrq-trigger").c_str(), proc + "/sysrq-trigger", nullptr, MS_BIND);
    mount_or_die(nullptr, proc + "/sysrq-trigger", nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY);
  }
}

// --lxc-mounts: LXC's sys:mixed.
void mount_sys_mixed(const std::string& mnt) {
  const std::string sys = mnt + "/sys";
  ::umount2(sys.c_str(), MNT_DETACH);
  mount_or_die("sysfs", sys, "sysfs", kNoSuidDevExec);
  mount_or_die((sys + "/devices/virtual/net").c_str(), sys + "/devices/virtual/net", nullptr, MS_BIND);
  mount_or_die(nullptr, sys, nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | kNoSuidDevExec);
}

// --lxc-mounts: the container's own boot id, after the pivot.
void set_boot_id() {
  const char* target = "/proc/sys/kernel/random/boot_id";
  unsigned char r[16];
  int rnd = ::open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (rnd < 0 || ::read(rnd, r, sizeof r) != static_cast<ssize_t>(sizeof r)) die("read", "/dev/urandom");
  ::close(rnd);
  char id[38];
  std::snprintf(id, sizeof id, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x\n", r[0], r[1],
                r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14], r[15]);
  int f = ::open("/dev/.lxc-boot-id", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0444);
  if (f < 0 || ::write(f, id, 37) != 37) die("write", "/dev/.lxc-boot-id");
  ::close(f);
  mount_or_die("/dev/.lxc-boot-id", target, nullptr, MS_BIND);
  mount_or_die(nullptr, target, nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | kNoSuidDevExec);
}

[[noreturn]] void child(const std::vector<Hierarchy>& hs, const std::string& payload, const std::string& rootfs,
                        const std::string& mnt, const std::string& name, const std::string& console, bool shim,
                        bool lxc_mounts, const char* exec_shim, int started) {
  g_cleanup = nullptr;  // the parent's to do
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  enter(hs, payload, true);
  if (::unshare(CLONE_NEWCGROUP) != 0) die("unshare", "cgroup");
  mount_or_die(nullptr, "/", nullptr, MS_REC | MS_SLAVE);
  mount_or_die(rootfs.c_str(), mnt, nullptr, MS_BIND | MS_REC);
  if (::sethostname(name.data(), name.size()) != 0) die("sethostname", name);
  mount_or_die("none", mnt + "/dev", "tmpfs", 0, "size=500000,mode=755");
  ::mkdir((mnt + "/dev/pts").c_str(), 0755);
  if (lxc_mounts) {
    mount_proc_mixed(mnt);
    mount_sys_mixed(mnt);
  } else {
    mount_or_die("proc", mnt + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC);
    mount_or_die((mnt + "/proc/sys").c_str(), mnt + "/proc/sys", nullptr, MS_BIND);
    mount_or_die(nullptr, mnt + "/proc/sys", nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
    mount_or_die("sysfs", mnt + "/sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
  }
  ::umask(0);
  const struct {
    const char* name;
    unsigned major, minor;
  } nodes[] = {{"full", 1, 7}, {"null", 1, 3}, {"random", 1, 8}, {"tty", 5, 0}, {"urandom", 1, 9}, {"zero", 1, 5}};
  for (const auto& n : nodes) {
    std::string path = mnt + "/dev/" + n.name;
    if (::mknod(path.c_str(), S_IFCHR | 0666, makedev(n.major, n.minor)) != 0) die("mknod", path);
  }
  ::umask(022);
  int c = ::open((mnt + "/dev/console").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0);
  if (c < 0) die("create", mnt + "/dev/console");
  ::close(c);
  mount_or_die(console.c_str(), mnt + "/dev/console", nullptr, MS_BIND);
  for (const char* link : {"fd", "stdin", "stdout", "stderr"}) {
    std::string target = std::strcmp(link, "fd") == 0 ? "/proc/self/fd"
                         : std::strcmp(link, "stdin") == 0 ? "/proc/self/fd/0"
                         : std::strcmp(link, "stdout") == 0 ? "/proc/self/fd/1"
                                                            : "/proc/self/fd/2";
    if (::symlink(target.c_str(), (mnt + "/dev/" + link).c_str()) != 0) die("symlink", link);
  }
  int shim_fd = -1;
  if (exec_shim && (shim_fd = ::open(exec_shim, O_RDONLY | O_CLOEXEC)) < 0) die("open", exec_shim);
  if (::chdir(mnt.c_str()) != 0) die("chdir", mnt);
  if (::syscall(SYS_pivot_root, ".", ".") != 0) die("pivot_root", mnt);
  mount_or_die(nullptr, ".", nullptr, MS_REC | MS_SLAVE);
  if (::umount2(".", MNT_DETACH) != 0) die("umount", "old root");
  if (::chdir("/") != 0) die("chdir", "/");
  if (lxc_mounts) {
    mount_or_die(nullptr, "/", nullptr, MS_REC | MS_SHARED);
    set_boot_id();
  }
  for (int cap : {CAP_SYS_MODULE, CAP_MAC_ADMIN, CAP_MAC_OVERRIDE, CAP_SYS_TIME})
    if (::prctl(PR_CAPBSET_DROP, cap) != 0) die("drop capability", std::to_string(cap));
  ::setsid();
  char* argv[] = {const_cast<char*>("/bin/true"), nullptr};
  if (exec_shim) {
    sigset_t all;
    ::sigfillset(&all);
    ::sigprocmask(SIG_SETMASK, &all, nullptr);
    char* shim_argv[] = {const_cast<char*>("init"), argv[0], const_cast<char*>("0000000000000000"), nullptr};
    // `started` is close-on-exec: the tool learns of the start at this
    // exec, as corral's monitor does at init's.
    ::syscall(SYS_execveat, shim_fd, "", shim_argv, environ, AT_EMPTY_PATH);
    die("exec", exec_shim);
  }
  if (shim) {
    pid_t command = ::vfork();
    if (command == 0) {
      ::execv(argv[0], argv);
      ::_exit(127);
    }
    if (started >= 0) ::close(started);  // it runs (or failed: its status says)
    int status = 0;
    if (command < 0 || ::waitpid(command, &status, 0) != command) die("run", argv[0]);
    ::_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  }
  ::execv(argv[0], argv);
  die("exec", argv[0]);
}

}  // namespace

int main(int argc, char** argv) {
  bool shim = false, monitor_cgroup = true, lxc_mounts = false, usage = argc < 4;
  const char* tool_dir = nullptr;
  const char* exec_shim = nullptr;
  for (int i = 4; i < argc; ++i) {
    if (std::strcmp(argv[i], "--shim") == 0)
      shim = true;
    else if (std::strcmp(argv[i], "--no-monitor-cgroup") == 0)
      monitor_cgroup = false;
    else if (std::strcmp(argv[i], "--lxc-mounts") == 0)
      lxc_mounts = true;
    else if (std::strcmp(argv[i], "--exec-shim") == 0 && i + 1 < argc)
      exec_shim = argv[++i];
    else if (std::strcmp(argv[i], "--tool-work") == 0 && i + 1 < argc)
      tool_dir = argv[++i];
    else
      usage = true;
  }
  if (usage) {
    std::fprintf(stderr,
                 "usage: lxc_floor ROOTFS MOUNTPOINT NAME [--shim] [--no-monitor-cgroup] [--tool-work DIR] "
                 "[--lxc-mounts] [--exec-shim PATH]\n");
    return 2;
  }
  const std::string rootfs = argv[1], mnt = argv[2], name = argv[3];
  std::optional<ToolWork> tool;
  if (tool_dir) tool.emplace(tool_dir, name);
  const std::string payload = "lxc.payload." + name, monitor = "lxc.monitor." + name;
  static std::vector<Hierarchy> hs = hierarchies();
  g_cleanup = [] {
    if (g_child > 0) {
      ::kill(g_child, SIGKILL);
      ::waitpid(g_child, nullptr, 0);
    }
    enter(hs, "", false);  // back to the root, best effort
    for (auto it = g_made.rbegin(); it != g_made.rend(); ++it) ::rmdir(it->c_str());
  };

  make_cgroups(hs, payload);
  // The console: a pty whose other end the child binds on /dev/console.
  int master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0 || ::grantpt(master) != 0 || ::unlockpt(master) != 0) die("open", "a pty");
  const std::string console = ::ptsname(master);
  int into = -1;
  for (const Hierarchy& h : hs)
    if (h.unified) into = ::open((h.dir + "/" + payload).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);

  struct clone_args args {};
  args.flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET;
  if (into >= 0) {
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = static_cast<uint64_t>(into);
  }
  args.exit_signal = SIGCHLD;
  int started[2] = {-1, -1};  // --tool-work: init's end closes once the command runs
  if (tool && ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, started) != 0) die("socketpair", "init");
  pid_t pid = static_cast<pid_t>(::syscall(SYS_clone3, &args, sizeof args));
  if (pid < 0) die("clone3", "");
  if (pid == 0) child(hs, payload, rootfs, mnt, name, console, shim, lxc_mounts, exec_shim, started[1]);
  g_child = pid;
  if (tool) ::close(started[1]);

  // Meanwhile, as corral's monitor: its own cgroup.
  if (monitor_cgroup) {
    make_cgroups(hs, monitor);
    enter(hs, monitor, false);
  }

  if (tool) {
    char byte;
    while (::read(started[0], &byte, 1) > 0) {
    }
    ::close(started[0]);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  g_child = 0;
  remove_cgroups(hs, payload);
  if (monitor_cgroup) {
    enter(hs, "", false);
    remove_cgroups(hs, monitor);
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
