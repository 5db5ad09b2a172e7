#include "exec/tables.hpp"

#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/resource.h>

#include <array>

namespace corral::exec {

namespace {

using config::Namespace;

// CLONE_NEWTIME is missing from older libc headers.
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

constexpr std::array<NamespaceInfo, 8> kNamespaces = {{
    {Namespace::user, "user", CLONE_NEWUSER, "CLONE_NEWUSER", "user"},
    {Namespace::mnt, "mnt", CLONE_NEWNS, "CLONE_NEWNS", "mnt"},
    {Namespace::pid, "pid", CLONE_NEWPID, "CLONE_NEWPID", "pid"},
    {Namespace::uts, "uts", CLONE_NEWUTS, "CLONE_NEWUTS", "uts"},
    {Namespace::ipc, "ipc", CLONE_NEWIPC, "CLONE_NEWIPC", "ipc"},
    {Namespace::net, "net", CLONE_NEWNET, "CLONE_NEWNET", "net"},
    {Namespace::cgroup, "cgroup", CLONE_NEWCGROUP, "CLONE_NEWCGROUP", "cgroup"},
    {Namespace::time, "time", CLONE_NEWTIME, "CLONE_NEWTIME", "time"},
}};

// LXC's limit_opt table (conf.c), same names and order.
constexpr std::array<RlimitInfo, 16> kRlimits = {{
    {"as", RLIMIT_AS, "RLIMIT_AS"},
    {"core", RLIMIT_CORE, "RLIMIT_CORE"},
    {"cpu", RLIMIT_CPU, "RLIMIT_CPU"},
    {"data", RLIMIT_DATA, "RLIMIT_DATA"},
    {"fsize", RLIMIT_FSIZE, "RLIMIT_FSIZE"},
    {"locks", RLIMIT_LOCKS, "RLIMIT_LOCKS"},
    {"memlock", RLIMIT_MEMLOCK, "RLIMIT_MEMLOCK"},
    {"msgqueue", RLIMIT_MSGQUEUE, "RLIMIT_MSGQUEUE"},
    {"nice", RLIMIT_NICE, "RLIMIT_NICE"},
    {"nofile", RLIMIT_NOFILE, "RLIMIT_NOFILE"},
    {"nproc", RLIMIT_NPROC, "RLIMIT_NPROC"},
    {"rss", RLIMIT_RSS, "RLIMIT_RSS"},
    {"rtprio", RLIMIT_RTPRIO, "RLIMIT_RTPRIO"},
    {"rttime", RLIMIT_RTTIME, "RLIMIT_RTTIME"},
    {"sigpending", RLIMIT_SIGPENDING, "RLIMIT_SIGPENDING"},
    {"stack", RLIMIT_STACK, "RLIMIT_STACK"},
}};

struct FlagName {
  unsigned long flag;
  std::string_view name;
};

constexpr std::array<FlagName, 21> kMountFlags = {{
    {MS_RDONLY, "RDONLY"},
    {MS_NOSUID, "NOSUID"},
    {MS_NODEV, "NODEV"},
    {MS_NOEXEC, "NOEXEC"},
    {MS_SYNCHRONOUS, "SYNCHRONOUS"},
    {MS_REMOUNT, "REMOUNT"},
    {MS_MANDLOCK, "MANDLOCK"},
    {MS_DIRSYNC, "DIRSYNC"},
    {MS_NOATIME, "NOATIME"},
    {MS_NODIRATIME, "NODIRATIME"},
    {MS_BIND, "BIND"},
    {MS_MOVE, "MOVE"},
    {MS_REC, "REC"},
    {MS_UNBINDABLE, "UNBINDABLE"},
    {MS_PRIVATE, "PRIVATE"},
    {MS_SLAVE, "SLAVE"},
    {MS_SHARED, "SHARED"},
    {MS_RELATIME, "RELATIME"},
    {MS_STRICTATIME, "STRICTATIME"},
    {MS_LAZYTIME, "LAZYTIME"},
    {MS_SILENT, "SILENT"},
}};

// lxc_devices[] in conf.c: S_IFCHR | 0777 created under umask 0111.
constexpr std::array<DevNode, 6> kDevNodes = {{
    {"full", 1, 7, 0666},
    {"null", 1, 3, 0666},
    {"random", 1, 8, 0666},
    {"tty", 5, 0, 0666},
    {"urandom", 1, 9, 0666},
    {"zero", 1, 5, 0666},
}};

constexpr std::array<DevSymlink, 4> kDevSymlinks = {{
    {"fd", "/proc/self/fd"},
    {"stdin", "/proc/self/fd/0"},
    {"stdout", "/proc/self/fd/1"},
    {"stderr", "/proc/self/fd/2"},
}};

}  // namespace

std::span<const NamespaceInfo> namespaces() { return kNamespaces; }

const NamespaceInfo& namespace_info(config::Namespace ns) { return kNamespaces[static_cast<size_t>(ns)]; }

std::string clone_flag_names(unsigned long flags) {
  std::string out;
  for (const NamespaceInfo& n : kNamespaces) {
    if (!(flags & n.clone_flag)) continue;
    if (!out.empty()) out += '|';
    out += n.flag_name;
  }
  return out.empty() ? "0" : out;
}

std::span<const RlimitInfo> rlimits() { return kRlimits; }

const RlimitInfo* find_rlimit(std::string_view name) {
  for (const RlimitInfo& r : kRlimits)
    if (r.name == name) return &r;
  return nullptr;
}

int rlimit_count() { return RLIMIT_NLIMITS; }

std::string cap_name(int cap) {
  char* name = ::cap_to_name(static_cast<cap_value_t>(cap));
  if (!name) return std::to_string(cap);
  std::string out(name);
  ::cap_free(name);
  return out;
}

std::string mount_flag_names(unsigned long flags) {
  std::string out;
  for (const FlagName& f : kMountFlags) {
    if (!(flags & f.flag)) continue;
    if (!out.empty()) out += '|';
    out += f.name;
  }
  return out.empty() ? "0" : out;
}

std::span<const DevNode> autodev_nodes() { return kDevNodes; }

std::span<const DevSymlink> dev_symlinks() { return kDevSymlinks; }

std::string signal_name(int sig) {
  if (sig >= SIGRTMIN && sig <= SIGRTMAX) {
    // SIGRTMIN+n for the lower half, SIGRTMAX-n for the upper half, as
    // kill -l prints them.
    int from_min = sig - SIGRTMIN;
    int from_max = SIGRTMAX - sig;
    if (from_min == 0) return "SIGRTMIN";
    if (from_max == 0) return "SIGRTMAX";
    if (from_min <= from_max) return "SIGRTMIN+" + std::to_string(from_min);
    return "SIGRTMAX-" + std::to_string(from_max);
  }
  if (const char* abbrev = ::sigabbrev_np(sig)) return std::string("SIG") + abbrev;
  return std::to_string(sig);
}

std::optional<unsigned long> personality_for(std::string_view arch) {
  if (arch == "i686") return PER_LINUX32;
  if (arch == "x86_64") return PER_LINUX;
  return std::nullopt;
}

}  // namespace corral::exec
