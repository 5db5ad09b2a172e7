// The kernel's vocabulary as data: namespaces with their clone flags and
// /proc/PID/ns names, resource limits, capabilities (names from libcap),
// mount flags, signals, the device nodes and /dev symlinks a container gets.
// Nothing here touches the system.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "config/config.hpp"

namespace corral::exec {

// ---- namespaces ---------------------------------------------------------------
struct NamespaceInfo {
  config::Namespace ns;
  std::string_view name;       // as lxc.namespace.* spells it
  unsigned long clone_flag;    // CLONE_NEW*
  std::string_view flag_name;  // "CLONE_NEWNS", ...
  std::string_view proc_name;  // the file under /proc/PID/ns/
};

/// All eight, in LXC's fixed order: user mnt pid uts ipc net cgroup time.
std::span<const NamespaceInfo> namespaces();
const NamespaceInfo& namespace_info(config::Namespace ns);
/// "CLONE_NEWNS|CLONE_NEWPID|..." in LXC's order; "0" for none.
std::string clone_flag_names(unsigned long flags);

// ---- resource limits -----------------------------------------------------------
struct RlimitInfo {
  std::string_view name;  // as lxc.prlimit.NAME spells it
  int resource;           // RLIMIT_*
  std::string_view constant;
};
std::span<const RlimitInfo> rlimits();
/// A resource by lxc.prlimit name; nullptr when unknown.
const RlimitInfo* find_rlimit(std::string_view name);
/// How many resources the kernel knows (RLIMIT_NLIMITS).
int rlimit_count();

// ---- capabilities ------------------------------------------------------------------
/// libcap's name of a capability ("cap_sys_admin"), or its number as text
/// when libcap does not know it.
std::string cap_name(int cap);

// ---- mounts ------------------------------------------------------------------------------
/// "NOSUID|NODEV|..." for MS_* flags (without the MS_ prefix); "0" for none.
std::string mount_flag_names(unsigned long flags);

struct DevNode {
  std::string_view name;  // under /dev
  unsigned major;
  unsigned minor;
  mode_t mode;  // permission bits of the created node (after LXC's umask)
};
/// The nodes created in an autodev /dev, in LXC's order.
std::span<const DevNode> autodev_nodes();

struct DevSymlink {
  std::string_view name;    // under /dev
  std::string_view target;  // what the link points to
};
/// /dev/fd, /dev/stdin, /dev/stdout, /dev/stderr.
std::span<const DevSymlink> dev_symlinks();

// ---- signals ---------------------------------------------------------------------------------
/// "SIGPWR", "SIGRTMIN+3", or the number as text for one without a name.
std::string signal_name(int sig);

// ---- personalities ------------------------------------------------------------------------------
/// The personality(2) value for a canonical lxc.arch ("i686" or "x86_64").
std::optional<unsigned long> personality_for(std::string_view arch);

}  // namespace corral::exec
