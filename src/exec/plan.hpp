// From a validated Config to a Plan: the ordered, fully resolved steps that
// start a container, in LXC 5.0.2's order (spec/runtime.md §5,
// spec/fstab-and-mount-entries.md). Making a plan changes nothing on the
// system: make_plan is pure (host facts come in through PlanOptions, files
// are read through a reader), so `corral start --dry-run` can print it and
// tests can check it without root.
#pragma once

#include <sched.h>

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "config/config.hpp"
#include "config/fstab.hpp"
#include "exec/tables.hpp"
#include "util/error.hpp"

namespace corral::exec {

// ---- what the host offers ----------------------------------------------------------
enum class CgroupLayout : uint8_t {
  legacy,   // only cgroup v1 hierarchies
  hybrid,   // v1 hierarchies plus cgroup2 at /sys/fs/cgroup/unified
  unified,  // cgroup2 at /sys/fs/cgroup only
};
const char* layout_name(CgroupLayout l);

struct CgroupHierarchy {
  std::string mount_dir;                 // below /sys/fs/cgroup ("cpu", "unified"); "" for a pure cgroup2 host
  bool unified = false;                  // a cgroup2 hierarchy
  std::vector<std::string> controllers;  // v1: "cpu", "name=systemd"; v2: the enabled controllers
  std::string base = "/";                // init's cgroup in it (/proc/1/cgroup, without init.scope): LXC's root
  std::string self_base = "/";           // the caller's cgroup (/proc/self/cgroup): used with lxc.cgroup.relative
};

struct HostFacts {
  CgroupLayout cgroup_layout = CgroupLayout::unified;
  std::vector<CgroupHierarchy> cgroup_hierarchies;
  int cap_last_cap = 40;
  bool cgroup_namespaces = true;  // /proc/self/ns/cgroup exists
  bool time_namespaces = true;    // /proc/self/ns/time exists
  /// LXC's rootfs mount point (lxc.rootfs.mount's default) exists. When it
  /// does not (LXC is not installed), the rootfs is bound onto itself and
  /// that is the container's root.
  bool default_rootfs_mount_exists = true;
};

/// Reads the host facts (statfs of /sys/fs/cgroup, /proc/self/mountinfo,
/// /proc/self/cgroup, /proc/sys/kernel/cap_last_cap, /proc/self/ns). Only
/// reads; a fact that cannot be read keeps its default.
HostFacts probe_host();

// ---- what to plan -----------------------------------------------------------------------
enum class RunMode : uint8_t { start, execute };

struct PlanOptions {
  std::string name;  // the container name
  std::string lxcpath = "/var/lib/lxc";
  std::string config_file;           // exported to hooks as LXC_CONFIG_FILE ("" = not exported)
  std::vector<std::string> command;  // argv to run; empty: from lxc.init.cmd / lxc.execute.cmd
  RunMode mode = RunMode::start;     // execute: pid 1 is corral's init shim running `command`
  /// The tool's -l as a level (0 TRACE .. 8 FATAL), -1 without one: the
  /// hooks' LXC_LOG_LEVEL when lxc.log.level does not set it.
  int log_level = -1;
  HostFacts host;
  /// Reads a file that the config names (lxc.mount.fstab); the default
  /// (empty) reads it from disk.
  std::function<Result<std::string>(const std::string& path)> read_file;
};

// ---- the steps ------------------------------------------------------------------------------
/// The process that performs a step.
enum class Actor : uint8_t {
  monitor,   // the monitor, in the host's namespaces
  child,     // the container's init-to-be, in the new namespaces
  teardown,  // the monitor, after the container has exited
};

struct HookCommand {
  std::string value;  // as written in lxc.hook.TYPE
  std::string shell;  // what runs as `/bin/sh -c SHELL`
  std::string where;  // file:line:col of the hook line
};
struct RunHooks {
  config::HookType type{};
  std::vector<HookCommand> commands;
};

/// One lxc.hook.TYPE line as LXC runs it: `exec VALUE`, followed for
/// version 0 hooks by the arguments `NAME lxc TYPE`.
HookCommand hook_command(const std::string& value, const std::string& container, config::HookType type,
                         bool version1, std::string where);

struct CreateCgroups {
  std::string monitor;  // relative to each hierarchy's base (or to the root with lxc.cgroup.relative = 0)
  std::string payload;
  std::string payload_inner;  // lxc.cgroup.dir.container.inner: where init is placed; "" = the payload cgroup
  std::string pivot;          // where the monitor moves before removing the cgroups
  bool monitor_retry = true;  // on a name clash, try NAME-1 ... NAME-999 (not for explicit lxc.cgroup.dir.*)
  bool payload_retry = true;
  bool relative = false;  // lxc.cgroup.relative
  // Only the unified payload cgroup is made before the clone (init is born
  // in it); the v1 ones, whose names are checked free now, come right
  // after it, while init mounts its file systems (see EnterCgroups).
  bool v1_payload_after_clone = false;
};

enum class NsHow : uint8_t {
  host,     // the container stays in the monitor's namespace
  clone,    // created by clone(2)
  unshare,  // created by the child with unshare(2) (see UnshareNamespaces)
  share,    // joined: lxc.namespace.share.NS
};
struct NamespaceSetup {
  config::Namespace ns{};
  NsHow how = NsHow::host;
  std::string share_with;  // lxc.namespace.share.NS value
  std::string reason;      // why, in a few words
};
struct CloneInit {
  unsigned long clone_flags = 0;  // passed to clone(2)
  std::vector<NamespaceSetup> namespaces;
};

/// lxc.idmap, written by the monitor (root) straight into /proc/PID/uid_map
/// and gid_map; the container's cgroups are then given to its root.
struct WriteIdMaps {
  std::vector<config::IdMap> uid;  // in config order
  std::vector<config::IdMap> gid;
  uint32_t root_host_uid = 0;  // the host ids of BecomeNsRoot's ids: the owner of the container's cgroups
  uint32_t root_host_gid = 0;
};

/// The child, once its id maps exist: no supplementary groups, and the ids
/// of the container's root (or lxc.init.uid/gid when 0 is not mapped), so
/// that what it makes is owned by mapped ids.
struct BecomeNsRoot {
  uint32_t uid = 0;  // in the container's user namespace
  uint32_t gid = 0;
};

/// One id-mapped mount (`idmap=` of a mount line or of lxc.rootfs.options):
/// the monitor, which has the privilege the kernel asks for, clones the
/// source as a detached tree and maps its ids through a user namespace;
/// the child attaches the tree where the line says.
struct IdmappedTree {
  std::string source;       // host path
  bool recursive = false;   // rbind (and the rootfs)
  unsigned long flags = 0;  // MS_RDONLY, MS_NOSUID, ...: set with mount_setattr(2) along with the id map
  std::string userns;       // "container", or the path of a user namespace file
  bool optional = false;    // a failure leaves this tree out instead of failing the start
  std::string what;         // "lxc.rootfs.options" or "lxc.mount.entry at FILE:LINE:COL", for errors
};
/// Sent to the child in plan order: the rootfs first, then mount-idmapped's lines.
struct PrepareIdmappedMounts {
  std::vector<IdmappedTree> trees;
};

/// Init moves itself into its payload cgroups (it was born in the unified
/// one, so only v1 is left): before its cgroup namespace is made, whose root
/// is the cgroup it is made in. When the monitor makes the v1 payload after
/// the clone (CreateCgroups::v1_payload_after_clone), init first waits for
/// its word that they exist.
struct EnterCgroups {
  bool wait_for_v1 = false;
};

struct UnshareNamespaces {
  unsigned long flags = 0;  // unshare(2) by the child, after the id maps exist
  bool net_after_idmap = false;
  config::TimeOffset boot;  // written to /proc/self/timens_offsets when CLONE_NEWTIME is set
  config::TimeOffset monotonic;
};

struct CgroupWrite {
  std::string file;  // "memory.limit_in_bytes"
  std::string value;
  std::string where;
};
struct SetCgroupLimits {
  int version = 2;            // 1: lxc.cgroup.*, 2: lxc.cgroup2.*
  bool device_rules = false;  // devices.*: v1 files written last, or the v2 device program
  std::vector<CgroupWrite> writes;
};

struct ProcWrite {
  std::string file;  // written as /proc/PID/FILE
  std::string value;
  std::string where;
};
struct WriteProc {
  std::vector<ProcWrite> writes;
};

struct Rlimit {
  std::string name;   // as written after lxc.prlimit.
  int resource = -1;  // RLIMIT_*
  uint64_t soft = 0;  // RLIM_INFINITY for unlimited
  uint64_t hard = 0;
  std::string where;
};
struct SetRlimits {
  std::vector<Rlimit> limits;  // prlimit(2) on the child, in config order
};

struct MountRootfs {
  bool host_root = false;   // no lxc.rootfs.path: the host's / (made rslave) is the container's root
  std::string source;       // lxc.rootfs.path without the storage type
  std::string target;       // lxc.rootfs.mount
  std::string storage;      // "dir" or "btrfs": both are recursive bind mounts; "overlay": source is the lower dir
  std::string upper, work;  // overlay: the upper and work directories (made if missing)
  unsigned long flags = 0;  // MS_BIND|MS_REC plus the flags of lxc.rootfs.options
  unsigned long propagation = 0;
  std::string data;
  std::string idmap;     // idmap= of lxc.rootfs.options
  bool remount = false;  // a second bind remount applies RDONLY
};

struct SetHostname {
  std::string hostname;
};

struct CreateSessionKeyring {};

/// The network inside the container's namespace, once the monitor has made
/// its devices: LXC brings `lo` up when any lxc.net.N has flags = up.
struct SetupNetwork {
  bool loopback_up = false;
};

/// One lxc.net.N that the monitor realises in the container's network
/// namespace before the child sets itself up (spec/runtime.md §6.3, §5.4
/// step 6). Modes are kept as written; exec/net maps them to the kernel's.
struct NetDevice {
  uint32_t index = 0;
  config::NetType type{};
  std::string type_name;  // "veth", ...
  std::string where;      // file:line:col of lxc.net.N.type
  std::string link;       // veth: the bridge ("" = none); macvlan, ipvlan, vlan: the parent; phys: the device
  std::string name;       // in the container; "eth%d" lets the kernel pick (phys: the link's name)
  std::string veth_pair;  // the host end; "" = veth + 6 random characters
  std::string hwaddr;     // "" = the kernel's choice
  uint32_t mtu = 0;       // 0 = the kernel's (veth: the bridge's)
  bool up = false;
  std::vector<config::Ipv4Address> ipv4;
  std::vector<config::Ipv6Address> ipv6;
  config::Gateway ipv4_gateway;  // used only when up and with an address
  config::Gateway ipv6_gateway;
  std::vector<std::string> veth_ipv4_routes;  // on the host, through the host end
  std::vector<std::string> veth_ipv6_routes;
  uint32_t rx_queues = 0, tx_queues = 0;  // veth; 0 = the kernel's
  std::optional<int32_t> vlan_untagged;   // veth.vlan.id: the port's PVID; -1 = none; unset = the bridge's default
  std::vector<uint16_t> vlan_tagged;      // veth.vlan.tagged.id
  std::string macvlan_mode;               // private, vepa, bridge, passthru
  std::string ipvlan_mode;                // l2, l3, l3s
  uint16_t vlan_id = 0;
  std::string script_up, script_down;  // what runs as `/bin/sh -c`
  std::string where_script_up, where_script_down;
  /// file:line:col of each subkey that was set ("link", "name", ...), for errors.
  std::vector<std::pair<std::string, std::string>> where_keys;

  /// "lxc.net.0.link 'br0' (at FILE:LINE:COL)": how errors name a subkey.
  std::string describe_key(std::string_view sub, std::string_view value) const;
};
struct CreateNetDevices {
  std::vector<NetDevice> devices;
};

/// One mount(2)-level operation of an automatic mount.
struct MountOp {
  enum class Kind : uint8_t {
    mount,        // mount(source, target, fstype, flags, data)
    bind,         // mount(source, target, NULL, MS_BIND | flags, NULL)
    remount,      // mount(NULL, target, NULL, MS_REMOUNT | flags, NULL)
    move,         // mount(source, target, NULL, MS_MOVE, NULL)
    unmount,      // umount2(target, MNT_DETACH): failure is fatal
    detach,       // umount2(target, MNT_DETACH): failure ignored
    mkdir,        // mkdir(target, mode): an existing directory is fine
    mkdir_p,      // mkdir -p target with mode
    create_file,  // an empty regular file (mode), if absent
  };
  Kind kind = Kind::mount;
  std::string source;
  std::string target;
  std::string fstype;
  unsigned long flags = 0;
  std::string data;
  mode_t mode = 0;
  bool skip_if_missing = false;  // ENOENT (missing source or target): skipped silently
};
struct Mounts {
  std::vector<MountOp> ops;
  std::string note;  // why nothing or something special happens
};

/// One mount line (fstab, lxc.mount.entry, or one LXC adds itself).
struct PlannedMount {
  std::string from;          // "lxc.mount.entry", "lxc.mount.fstab", "lxc.apparmor.allow_nesting", "lxc.mount.auto"
  std::string where;         // file:line:col of the line
  config::MountEntry entry;  // decoded fields and options
  std::string source;        // resolved source (host path for binds)
  std::string target;        // resolved mount point (host path, below the rootfs mount)
  bool create_only = false;  // an idmap= entry in the first pass: only create= is done
  bool remount = false;      // bind/rbind with more flags or `dev`: remounted with them (plus the source's locked flags)
};
struct MountEntries {
  std::vector<PlannedMount> mounts;
};

struct CreateDevNodes {
  std::string dev_dir;  // the container's /dev, seen from the child before pivot_root
  std::vector<DevNode> nodes;
};

struct SetupConsole {
  std::string host_path;          // lxc.console.path: a host device the monitor connects the pty to; "" = none
  bool from_host_devpts = false;  // the pty comes from the host's /dev/ptmx (lxc.pty.max <= 1)
  std::string target;             // the container's /dev/console (host path before pivot_root)
  std::string dir_target;         // with lxc.tty.dir: the pty is bound here first, then onto target
  std::string logfile;
  bool rotate = false;
  uint64_t buffer_size = 0;
};

struct SetupTtys {
  uint32_t count = 0;
  std::string dir;                   // lxc.tty.dir
  bool bind = true;                  // false in execute mode: allocated, not bound to /dev/ttyN
  std::vector<std::string> targets;  // where pty K is bound (host paths before pivot_root)
  std::vector<std::pair<std::string, std::string>> symlinks;  // with lxc.tty.dir: /dev/ttyN -> DIR/ttyN
};

struct CreateDevSymlinks {
  std::string dev_dir;
  std::vector<DevSymlink> links;  // created only where nothing exists yet
};

struct PivotRoot {
  std::string new_root;
  std::string rslave_after;  // shmounts: this container path becomes an rslave mount afterwards
};

struct SetBootId {
  std::string file;    // container path of the file with a fresh random UUID (0444)
  std::string target;  // container path it is bound over, read-only
};

struct SetPersonality {
  std::string arch;
  unsigned long persona = 0;
};

struct Sysctl {
  std::string key;
  std::string path;  // /proc/sys/..., inside the container
  std::string value;
  std::string where;
};
struct SetSysctls {
  std::vector<Sysctl> sysctls;
};

struct DropCapabilities {
  config::CapMode mode = config::CapMode::none;
  std::vector<int> drop;  // PR_CAPBSET_DROP each, in this order
  int last_cap = 0;
};

struct SetNoNewPrivs {};

struct LoadSeccomp {
  std::string profile;  // the policy file; compiled before clone by the runner
  bool allow_nesting = false;
  std::string notify_proxy;
  std::string notify_cookie;
  std::string where;
};

struct ExecInit {
  std::vector<std::string> argv;
  bool shim = false;  // execute mode: corral's init shim is pid 1 and runs argv
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> groups;  // setgroups(2) when not empty
  bool drop_groups = false;      // setgroups(0) (no lxc.init.groups, no id map, CAP_SETGID kept)
  std::string cwd = "/";
  std::vector<std::string> env;  // NAME=VALUE, exactly the init's environment
};

using StepData =
    std::variant<RunHooks, CreateCgroups, CloneInit, WriteIdMaps, BecomeNsRoot, PrepareIdmappedMounts, EnterCgroups, UnshareNamespaces, SetCgroupLimits, WriteProc,
                 SetRlimits, CreateNetDevices, MountRootfs, SetHostname, CreateSessionKeyring, SetupNetwork, Mounts,
                 MountEntries, CreateDevNodes,
                 SetupConsole, SetupTtys, CreateDevSymlinks, PivotRoot, SetBootId, SetPersonality, SetSysctls,
                 DropCapabilities, SetNoNewPrivs, LoadSeccomp, ExecInit>;

struct Step {
  std::string name;  // kebab-case: "mount-proc", "drop-capabilities", ...
  Actor actor = Actor::child;
  StepData data;
};

struct PlanWarning {
  std::string where;  // file:line:col, or "" when no line is to blame
  std::string message;
};

struct Signals {
  int halt = 0;              // SIGPWR unless lxc.signal.halt
  bool halt_default = true;  // the built-in choice: SIGRTMIN+3 instead when init blocks SIGPWR (systemd)
  int reboot = 0;            // SIGINT unless lxc.signal.reboot
  int stop = 0;              // SIGKILL unless lxc.signal.stop
  int monitor_death = 0;     // lxc.monitor.signal.pdeath; 0 = none
};

/// The namespaces the teardown hooks get (LXC_<NAME>_NS, and the stop
/// hooks' arguments of version 0), in LXC's order and names (spec §8.2).
inline constexpr std::pair<const char*, unsigned long> kHookNamespaces[] = {
    {"mnt", CLONE_NEWNS},  {"pid", CLONE_NEWPID}, {"uts", CLONE_NEWUTS},
    {"ipc", CLONE_NEWIPC}, {"net", CLONE_NEWNET}, {"cgroup", CLONE_NEWCGROUP}};

/// NAME, VALUE pairs of an environment, in order.
using EnvList = std::vector<std::pair<std::string, std::string>>;
/// setenv(NAME, VALUE, 1) on the list: replaces NAME in place, or appends.
void set_env(EnvList& env, const std::string& name, const std::string& value);

struct Plan {
  std::string name;
  std::string lxcpath;
  RunMode mode = RunMode::start;
  HostFacts host;
  std::string rootfs_mount;      // "" when the container uses the host's /
  unsigned long namespaces = 0;  // every new namespace (clone and unshare), as GET_CLONE_FLAGS reports it
  bool hook_version1 = false;
  bool ephemeral = false;  // lxc.ephemeral: LXCPATH/NAME goes when the container stops (not on a reboot)
  EnvList hook_env;  // exported to every hook
  /// lxc.environment, in the environment of the hooks the child runs (as
  /// LXC sets it in its child before the setup; spec/runtime.md §9).
  EnvList container_env;
  Signals signals;
  std::vector<Step> steps;
  std::vector<PlanWarning> warnings;

  /// The first step with this name, or nullptr.
  const Step* find(std::string_view step_name) const;
  /// Whether stop or post-stop hooks run at the end: they are given the
  /// container's namespaces, which the monitor then keeps from the start.
  bool has_teardown_hooks() const;
  /// Whether a monitor may make and enter its cgroup after the start
  /// (StartOptions::monitor_cgroup_later) without anyone seeing a
  /// difference from LXC, which does both before: the plan has cgroups, the
  /// monitor cgroup has LXC's retried name (so making it cannot fail on a
  /// name taken; an explicit lxc.cgroup.dir.monitor that exists fails the
  /// start), and the monitor runs no command of the user's once the cgroups
  /// exist (start-host, stop or post-stop hooks, network scripts), which
  /// LXC runs in the monitor cgroup.
  bool monitor_cgroup_can_wait() const;
};

/// Turns a validated configuration into a plan. Errors (what LXC would only
/// find at start) carry the file:line:col of the line to blame.
Result<Plan> make_plan(const config::Config& cfg, const PlanOptions& options);

/// What an attached process takes from the container's configuration
/// besides its namespaces (spec/runtime.md §11 step 4): lxc.prlimit.* and
/// lxc.proc.*, as the start applies them to init.
struct ProcessSettings {
  SetRlimits rlimits;
  WriteProc proc;
};
Result<ProcessSettings> plan_process_settings(const config::Config& cfg);

/// lxc.hook.destroy as lxc-destroy runs them, before the storage goes: the
/// commands with LXC's arguments and the hook environment (spec/runtime.md
/// §9). `plan.steps` holds one RunHooks step, or none without hooks.
Result<Plan> plan_destroy_hooks(const config::Config& cfg, const PlanOptions& options);

/// The plan as text, one step per block: what `--dry-run` prints.
std::string describe(const Plan& plan);

/// lxc.execute.cmd's splitting: blanks separate words; a word that starts
/// with ' or " runs to the same quote (no escapes); an unterminated quoted
/// word is dropped, as in LXC (`unterminated` is set then).
std::vector<std::string> split_quoted(std::string_view cmd, bool* unterminated = nullptr);

}  // namespace corral::exec
