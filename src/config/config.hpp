// The typed model of one container's configuration. Every field is filled
// by the key registry (keys_*.cpp) and remembers where its value came from.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/diagnostics.hpp"

namespace corral::config {

/// A single-valued setting. `origin.file == 0 && origin.line == 0` for a
/// value that was never written in a file.
template <class T>
struct Setting {
  T value{};
  Origin origin{};
};

template <class T>
struct Item {
  T value{};
  Origin origin{};
};

/// A deque rather than a vector: a config with tens of thousands of mount
/// entries grows its lists without reallocation copies or slack.
template <class T>
using List = std::deque<Item<T>>;

/// A (name, value) pair of a map or multimap family (lxc.sysctl.NAME, ...).
struct Named {
  std::string name;
  std::string value;
};

/// An insertion-ordered map of Named items (lxc.sysctl.*): setting a name
/// again replaces its value in place. The index keeps that constant-time,
/// so a config with many entries does not load in quadratic time.
class NamedMap {
 public:
  using const_iterator = List<Named>::const_iterator;
  const_iterator begin() const { return items_.begin(); }
  const_iterator end() const { return items_.end(); }
  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }

  void set(std::string_view name, std::string_view value, Origin origin) {
    if (std::optional<uint32_t> at = find(name)) {
      items_[*at].value.value = std::string(value);
      items_[*at].origin = origin;
      return;
    }
    items_.push_back({Named{std::string(name), std::string(value)}, origin});
    index_.emplace(hash(name), static_cast<uint32_t>(items_.size() - 1));
  }
  void erase(std::string_view name) {
    std::optional<uint32_t> at = find(name);
    if (!at) return;
    items_.erase(items_.begin() + static_cast<std::ptrdiff_t>(*at));
    index_.clear();
    for (size_t i = 0; i < items_.size(); ++i) index_.emplace(hash(items_[i].value.name), static_cast<uint32_t>(i));
  }
  void clear() {
    items_.clear();
    index_.clear();
  }

 private:
  static size_t hash(std::string_view name) { return std::hash<std::string_view>{}(name); }
  std::optional<uint32_t> find(std::string_view name) const {
    auto [first, last] = index_.equal_range(hash(name));
    for (auto it = first; it != last; ++it)
      if (items_[it->second].value.name == name) return it->second;
    return std::nullopt;
  }

  List<Named> items_;
  // hash of a name -> its position; the names themselves live in items_ only.
  std::unordered_multimap<size_t, uint32_t> index_;
};

// ---- namespaces ---------------------------------------------------------
/// LXC's fixed order, also used for printing.
enum class Namespace : uint8_t { user, mnt, pid, uts, ipc, net, cgroup, time };
inline constexpr std::array<const char*, 8> kNamespaceNames = {"user", "mnt", "pid", "uts",
                                                               "ipc",  "net", "cgroup", "time"};

// ---- capabilities --------------------------------------------------------
enum class CapMode : uint8_t { none, drop, keep };
struct CapToken {
  std::string text;  // as written: get returns tokens verbatim
  int cap = -1;      // capability number; -1 for `none`
};

// ---- mount.auto ------------------------------------------------------------
struct MountAuto {
  // Each group holds the token that selected it ("" when unset).
  std::string proc;     // proc:mixed | proc:rw
  std::string sys;      // sys:ro | sys:mixed | sys:rw
  std::string cgroup;   // cgroup[-full][:mode][:force] | cgroup2[:ro][:force]
  std::string shmounts_host;
  std::string shmounts_container;
  Origin origin{};
};

// ---- time namespace offsets ---------------------------------------------
struct TimeOffset {
  int64_t seconds = 0;
  int64_t nanoseconds = 0;
  Origin seconds_origin{};
  Origin nanoseconds_origin{};
};

// ---- id maps ---------------------------------------------------------------
struct IdMap {
  char type = 'u';  // 'u' or 'g'
  uint64_t ns_id = 0;
  uint64_t host_id = 0;
  uint64_t range = 0;
};

// ---- rlimits ---------------------------------------------------------------
struct Prlimit {
  std::string resource;
  uint64_t soft = 0;  // RLIM_INFINITY for unlimited
  uint64_t hard = 0;
  Origin origin{};
};

// ---- hooks -------------------------------------------------------------------
enum class HookType : uint8_t { pre_start, pre_mount, mount, autodev, start, start_host, stop, post_stop, clone, destroy };
inline constexpr std::array<const char*, 10> kHookNames = {"pre-start", "pre-mount", "mount",     "autodev", "start",
                                                           "start-host", "stop",     "post-stop", "clone",   "destroy"};

// ---- network -------------------------------------------------------------------
enum class NetType : uint8_t { empty, veth, macvlan, ipvlan, vlan, phys, none, invalid };

struct Ipv4Address {
  std::string address;   // dotted quad as written
  uint32_t prefix = 0;
  std::string broadcast; // as written, or "" when derived
};
struct Ipv6Address {
  std::string address;  // compressed form
  uint32_t prefix = 64;
};
/// `auto`, `dev` and an address are sticky flags, exactly as in LXC.
struct Gateway {
  bool is_auto = false;
  bool is_dev = false;
  std::string address;
  Origin origin{};
};

struct NetDev {
  uint32_t index = 0;
  NetType type = NetType::empty;
  Origin type_origin{};
  bool up = false;
  std::string link;
  std::string name;
  std::string hwaddr;
  std::string mtu;
  bool l2proxy = false;
  List<Ipv4Address> ipv4;
  Gateway ipv4_gateway;
  List<Ipv6Address> ipv6;
  Gateway ipv6_gateway;
  std::string script_up;
  std::string script_down;
  // veth
  std::string veth_pair;
  std::string veth_mode = "bridge";
  List<std::string> veth_ipv4_routes;
  List<std::string> veth_ipv6_routes;
  std::optional<int32_t> veth_vlan_id;  // unset: no VLAN setup at start; -1 for `none`
  List<uint16_t> veth_vlan_tagged;
  std::optional<int32_t> veth_n_rxqueues;
  std::optional<int32_t> veth_n_txqueues;
  // macvlan / ipvlan / vlan
  std::string macvlan_mode;
  std::string ipvlan_mode;
  std::string ipvlan_isolation;
  uint16_t vlan_id = 0;
  /// Where each plain field was last set, by subkey name.
  std::map<std::string, Origin, std::less<>> origins;
};

// ---- the whole configuration ---------------------------------------------------
struct Config {
  SourceTable sources;

  // rootfs
  Setting<std::string> rootfs_path;   // path part, simplified
  Setting<std::string> rootfs_type;   // storage type prefix ("dir", "overlay", ...)
  Setting<std::optional<std::string>> rootfs_mount{std::string("/usr/lib/x86_64-linux-gnu/lxc/rootfs")};
  Setting<std::string> rootfs_options;
  Setting<bool> rootfs_managed{true};

  // mounts
  List<std::string> mount_entries;
  Setting<std::string> mount_fstab;
  MountAuto mount_auto;
  Setting<bool> autodev{true};
  Setting<int64_t> autodev_tmpfs_size;

  // uts, arch
  Setting<std::string> uts_name;
  Setting<std::string> arch;  // canonical: "", "i686" or "x86_64"

  // init, environment
  Setting<std::string> init_cmd;
  Setting<std::string> execute_cmd;
  Setting<std::string> init_cwd;
  Setting<uint32_t> init_uid;
  Setting<uint32_t> init_gid;
  List<uint32_t> init_groups;
  List<std::string> environment;  // NAME=VALUE

  // capabilities
  CapMode cap_mode = CapMode::none;
  Origin cap_mode_origin{};  // the line that last set cap_mode
  List<CapToken> caps;

  // namespaces
  Setting<uint32_t> namespace_clone;  // bit set over Namespace
  Setting<uint32_t> namespace_keep;
  std::array<Setting<std::optional<std::string>>, 8> namespace_share;
  TimeOffset time_offset_boot;
  TimeOffset time_offset_monotonic;

  // security
  Setting<std::string> apparmor_profile;
  Setting<bool> apparmor_allow_incomplete;
  Setting<bool> apparmor_allow_nesting;
  List<std::string> apparmor_raw;
  Setting<std::string> selinux_context;
  Setting<std::string> selinux_context_keyring;
  Setting<std::string> seccomp_profile;
  Setting<bool> seccomp_allow_nesting;
  Setting<std::string> seccomp_notify_proxy;  // "unix:..." as written
  Setting<std::string> seccomp_notify_cookie;
  Setting<bool> no_new_privs;
  Setting<bool> keyring_session;
  Setting<bool> sched_core;

  // cgroups
  List<Named> cgroup_v1;
  List<Named> cgroup_v2;
  Setting<std::optional<std::string>> cgroup_dir;
  Setting<std::optional<std::string>> cgroup_dir_container;
  Setting<std::optional<std::string>> cgroup_dir_monitor;
  Setting<std::optional<std::string>> cgroup_dir_monitor_pivot;
  Setting<std::optional<std::string>> cgroup_dir_container_inner;
  Setting<bool> cgroup_relative;

  // id maps
  List<IdMap> idmaps;

  // network, sorted by index
  std::map<uint32_t, NetDev> net;

  // console, tty, pty
  Setting<std::string> console_path;
  Setting<std::string> console_logfile;
  Setting<bool> console_rotate;
  Setting<uint64_t> console_size;
  Setting<uint64_t> console_buffer_size;
  Setting<uint32_t> tty_max;
  Setting<std::string> tty_dir;
  Setting<uint32_t> pty_max;

  // hooks
  std::array<List<std::string>, 10> hooks;
  Setting<bool> hook_version;

  // signals, monitor
  Setting<int32_t> signal_halt;
  Setting<int32_t> signal_reboot;
  Setting<int32_t> signal_stop;
  Setting<int32_t> monitor_signal_pdeath{9};
  Setting<uint32_t> monitor_unshare;

  // start, lifecycle
  Setting<bool> start_auto;
  Setting<uint32_t> start_delay;
  Setting<int32_t> start_order;
  List<std::string> groups;
  Setting<bool> ephemeral;

  // logging
  Setting<int> log_level{-1};  // -1 = NOTSET, else 0 (TRACE) .. 8 (FATAL)
  Setting<std::string> log_file;
  Setting<std::string> log_syslog;

  // prefix families
  std::vector<Prlimit> prlimits;
  NamedMap sysctls;
  List<Named> procs;
};

}  // namespace corral::config
