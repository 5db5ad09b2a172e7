// Config -> Plan. Each builder below adds the steps of one concern, in the
// order LXC 5.0.2 performs them (spec/runtime.md §5.2-§5.4); the order of
// the calls in make_plan is the order of the steps.
#include "exec/plan.hpp"

#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>

#include "config/loader.hpp"
#include "config/values.hpp"
#include "exec/plan_util.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace corral::exec {

namespace plan_util {

const std::string& default_rootfs_mount() {
  static const std::string path = config::Config{}.rootfs_mount.value.value_or("/");
  return path;
}

std::string join(std::string_view a, std::string_view b) {
  while (!b.empty() && b.front() == '/') b.remove_prefix(1);
  std::string out(a);
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  if (b.empty()) return out.empty() ? "/" : out;
  if (out.empty() || out.back() != '/') out += '/';
  out += b;
  return out;
}

bool has_prefix_path(std::string_view path, std::string_view prefix) {
  if (prefix.empty() || path.substr(0, prefix.size()) != prefix) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '/' || prefix.back() == '/';
}

bool gateway_set(const config::Gateway& g) { return g.is_auto || g.is_dev || !g.address.empty(); }

}  // namespace plan_util

namespace {

using namespace plan_util;

using config::Config;
using config::Namespace;
using config::Origin;

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

constexpr uint64_t kAutodevDefaultSize = 500000;
constexpr unsigned long kCgroupFsFlags = MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RELATIME;

bool is_set(Origin o) { return o.file != 0 || o.line != 0; }

/// Everything make_plan needs while it builds the steps.
struct Ctx {
  Ctx(const Config& c, const PlanOptions& o, Plan& p) : cfg(c), opt(o), plan(p) {}

  const Config& cfg;
  const PlanOptions& opt;
  Plan& plan;

  bool has_rootfs = false;
  std::string root;             // the rootfs mount point, "" without a rootfs
  std::string payload_cgroup;   // for the cgroup automounts
  unsigned long new_ns = 0;     // every namespace the container gets
  std::vector<bool> keep_caps;  // indexed by capability, 0..cap_last_cap

  std::string where(Origin o) const { return is_set(o) ? cfg.sources.describe(o) : std::string(); }

  Error error(Origin o, std::string message) const {
    SourceLoc loc;
    if (const config::SourceFile* f = cfg.sources.get(o.file)) loc = SourceLoc{f->path, o.line, o.col};
    return Error::config(std::move(message), std::move(loc));
  }
  void warn(Origin o, std::string message) { plan.warnings.push_back({where(o), std::move(message)}); }
  void warn(std::string where_text, std::string message) {
    plan.warnings.push_back({std::move(where_text), std::move(message)});
  }

  /// lxc_wants_cap(): the container keeps `cap` in its bounding set.
  bool keeps(int cap) const { return cap >= 0 && static_cast<size_t>(cap) < keep_caps.size() && keep_caps[cap]; }

  /// A path inside the container, seen from the child before pivot_root.
  std::string in_root(std::string_view path) const { return join(root.empty() ? "/" : root, path); }

  void add(std::string name, Actor actor, StepData data) {
    plan.steps.push_back(Step{std::move(name), actor, std::move(data)});
  }
};

Result<std::string> read_from_disk(const std::string& path) { return read_text_file(path); }

// ---- rootfs and capabilities (needed by the other builders) -------------------------

std::optional<Error> resolve_rootfs(Ctx& c) {
  const Config& cfg = c.cfg;
  c.has_rootfs = !cfg.rootfs_path.value.empty();
  if (!c.has_rootfs) return std::nullopt;
  const std::string& type = cfg.rootfs_type.value;
  bool overlay = type == "overlay" || type == "overlayfs";
  // Without LXC's mount point the rootfs is mounted on itself (for an
  // overlay, on its lower directory).
  std::string self = overlay ? cfg.rootfs_path.value.substr(0, cfg.rootfs_path.value.find(':')) : cfg.rootfs_path.value;
  c.root = cfg.rootfs_mount.value.value_or(c.opt.host.default_rootfs_mount_exists ? default_rootfs_mount() : self);
  if (!type.empty() && type != "dir" && type != "btrfs" && !overlay) {
    return c.error(cfg.rootfs_type.origin,
                   "lxc.rootfs.path: storage type '" + type +
                       "' is not supported: corral mounts directories ('dir', 'btrfs') and overlays ('overlay') only");
  }
  if (overlay && cfg.rootfs_path.value.find(':') == std::string::npos) {
    return c.error(cfg.rootfs_path.origin, "lxc.rootfs.path: an overlay rootfs is written overlay:LOWER:UPPER");
  }
  return std::nullopt;
}

void resolve_caps(Ctx& c) {
  int last = c.opt.host.cap_last_cap;
  const Config& cfg = c.cfg;
  c.keep_caps.assign(last >= 0 ? static_cast<size_t>(last) + 1 : 0, cfg.cap_mode != config::CapMode::keep);
  for (const auto& item : cfg.caps) {
    int cap = item.value.cap;
    if (cap < 0 || cap > last) continue;
    c.keep_caps[cap] = cfg.cap_mode == config::CapMode::keep;
  }
}

// ---- namespaces ---------------------------------------------------------------------------

bool wants_time_offsets(const Config& cfg) {
  return cfg.time_offset_boot.seconds || cfg.time_offset_boot.nanoseconds || cfg.time_offset_monotonic.seconds ||
         cfg.time_offset_monotonic.nanoseconds;
}

Origin time_offset_origin(const Config& cfg) {
  for (const config::TimeOffset* t : {&cfg.time_offset_boot, &cfg.time_offset_monotonic}) {
    if (t->seconds) return t->seconds_origin;
    if (t->nanoseconds) return t->nanoseconds_origin;
  }
  return {};
}

/// lxc_requests_empty_network(): there are network devices and all are `none`.
bool only_none_network(const Config& cfg) {
  if (cfg.net.empty()) return false;
  for (const auto& [index, dev] : cfg.net)
    if (dev.type != config::NetType::none) return false;
  return true;
}

/// resolve_clone_flags() of start.c, then where each namespace comes from.
std::optional<Error> plan_namespaces(Ctx& c, CloneInit& clone, UnshareNamespaces& unshare) {
  const Config& cfg = c.cfg;
  const HostFacts& host = c.opt.host;
  uint32_t keep = cfg.namespace_keep.value;
  uint32_t listed = cfg.namespace_clone.value;
  bool timens = wants_time_offsets(cfg);
  bool user_new = false;

  for (const NamespaceInfo& info : namespaces()) {
    uint32_t bit = 1u << static_cast<unsigned>(info.ns);
    NamespaceSetup s{info.ns, NsHow::host, "", ""};
    bool wanted = false;
    if (keep) {
      wanted = !(keep & bit);
      s.reason = wanted ? "not in lxc.namespace.keep" : "kept by lxc.namespace.keep";
    } else if (listed) {
      wanted = (listed & bit) != 0;
      s.reason = wanted ? "listed in lxc.namespace.clone" : "not in lxc.namespace.clone";
    } else {
      wanted = true;
      s.reason = "default";
      if (info.ns == Namespace::user && cfg.idmaps.empty()) wanted = false, s.reason = "no lxc.idmap";
      if (info.ns == Namespace::net && only_none_network(cfg)) wanted = false, s.reason = "every lxc.net is 'none'";
      if (info.ns == Namespace::cgroup && !host.cgroup_namespaces)
        wanted = false, s.reason = "the kernel has no cgroup namespaces";
      if (info.ns == Namespace::time && !timens) wanted = false, s.reason = "no lxc.time.offset";
    }
    const auto& share = cfg.namespace_share[static_cast<size_t>(info.ns)];
    if (share.value) {
      wanted = false;
      s.how = NsHow::share;
      s.share_with = *share.value;
      s.reason = "lxc.namespace.share." + std::string(info.name);
    }
    if (wanted) {
      if (info.ns == Namespace::cgroup && !host.cgroup_namespaces)
        return c.error(keep ? cfg.namespace_keep.origin : cfg.namespace_clone.origin,
                       "a cgroup namespace is requested, but the kernel has no cgroup namespaces");
      if (info.ns == Namespace::time && !host.time_namespaces)
        return c.error(keep     ? cfg.namespace_keep.origin
                       : listed ? cfg.namespace_clone.origin
                                : time_offset_origin(cfg),
                       "a time namespace is requested, but the kernel has no time namespaces");
      c.new_ns |= info.clone_flag;
      s.how = NsHow::clone;
      if (info.ns == Namespace::user) user_new = true;
    }
    clone.namespaces.push_back(std::move(s));
  }

  if (timens && keep && (keep & (1u << static_cast<unsigned>(Namespace::time)))) {
    return c.error(time_offset_origin(cfg),
                   "lxc.time.offset.* needs a new time namespace, but lxc.namespace.keep keeps the host's");
  }
  if (timens && !(c.new_ns & CLONE_NEWTIME))
    c.warn(time_offset_origin(cfg), "the container gets no time namespace, so its time offsets are ignored");
  if (user_new && cfg.idmaps.empty())
    c.warn(keep ? cfg.namespace_keep.origin : cfg.namespace_clone.origin,
           "a user namespace without lxc.idmap: every process of the container runs as the overflow user");

  // Which of the new namespaces the child creates itself (spec/runtime.md §5.3).
  for (NamespaceSetup& s : clone.namespaces) {
    if (s.how != NsHow::clone) continue;
    const NamespaceInfo& info = namespace_info(s.ns);
    bool later = false;
    if (s.ns == Namespace::net && user_new) {
      later = true;  // after the id maps, so that the netns belongs to the new userns
      unshare.net_after_idmap = true;
      s.reason += "; unshared after the id maps are written";
    } else if (s.ns == Namespace::cgroup && host.cgroup_layout != CgroupLayout::unified) {
      later = true;  // once the child is in its payload cgroup
      s.reason += "; unshared once the child is in its cgroup";
    } else if (s.ns == Namespace::time) {
      later = true;
      s.reason += "; unshared by the child, which writes the offsets";
    }
    if (later) {
      s.how = NsHow::unshare;
      unshare.flags |= info.clone_flag;
    } else {
      clone.clone_flags |= info.clone_flag;
    }
  }
  if (unshare.flags & CLONE_NEWTIME) {
    unshare.boot = cfg.time_offset_boot;
    unshare.monotonic = cfg.time_offset_monotonic;
  }
  return std::nullopt;
}

// ---- cgroups ------------------------------------------------------------------------------

std::optional<Error> plan_cgroup_dirs(Ctx& c, CreateCgroups& cg) {
  const Config& cfg = c.cfg;
  const auto& dir = cfg.cgroup_dir;
  const auto& container = cfg.cgroup_dir_container;
  const auto& monitor = cfg.cgroup_dir_monitor;
  const auto& inner = cfg.cgroup_dir_container_inner;
  if (dir.value && (container.value || monitor.value || inner.value)) {
    Origin o = container.value ? container.origin : monitor.value ? monitor.origin : inner.origin;
    return c.error(o,
                   "lxc.cgroup.dir cannot be combined with lxc.cgroup.dir.container, .monitor or "
                   ".container.inner (lxc.cgroup.dir is set at " +
                       cfg.sources.describe(dir.origin) + ")");
  }
  if (container.value.has_value() != monitor.value.has_value()) {
    Origin o = container.value ? container.origin : monitor.origin;
    return c.error(o, "lxc.cgroup.dir.container and lxc.cgroup.dir.monitor must be set together");
  }
  const std::string& name = c.opt.name;
  if (monitor.value) {
    cg.monitor = *monitor.value;
    cg.monitor_retry = false;
  } else if (dir.value) {
    cg.monitor = *dir.value + "/lxc.monitor." + name;
  } else {
    cg.monitor = "lxc.monitor." + name;
  }
  if (container.value) {
    cg.payload = *container.value;
    cg.payload_retry = false;
    if (inner.value) cg.payload_inner = *container.value + "/" + *inner.value;
  } else if (dir.value) {
    cg.payload = *dir.value + "/lxc.payload." + name;
  } else {
    cg.payload = "lxc.payload." + name;
  }
  if (inner.value && !container.value)
    c.warn(inner.origin, "lxc.cgroup.dir.container.inner has no effect without lxc.cgroup.dir.container");
  cg.pivot = cfg.cgroup_dir_monitor_pivot.value.value_or("lxc.pivot");
  cg.relative = cfg.cgroup_relative.value;
  c.payload_cgroup = cg.payload;
  return std::nullopt;
}

bool is_devices_file(std::string_view file) { return file.substr(0, 7) == "devices"; }

/// The cgroup writes of one version, split into limits (applied while the
/// child waits) and device rules (applied last, before init runs).
std::optional<Error> plan_cgroup_limits(Ctx& c, SetCgroupLimits& limits, SetCgroupLimits& devices) {
  const Config& cfg = c.cfg;
  const HostFacts& host = c.opt.host;
  limits.version = devices.version = 0;
  devices.device_rules = true;
  bool unified = host.cgroup_layout == CgroupLayout::unified;
  if (!cfg.cgroup_v1.empty() && unified) {
    c.warn(cfg.cgroup_v1.front().origin, "lxc.cgroup.* is ignored: the host has only the unified cgroup2 hierarchy");
  }
  if (!cfg.cgroup_v2.empty() && !unified) {
    c.warn(cfg.cgroup_v2.front().origin, std::string("lxc.cgroup2.* is ignored: the host's cgroup layout is ") +
                                             layout_name(host.cgroup_layout) +
                                             ", and LXC applies cgroup2 settings only on a pure cgroup2 host");
  }
  if (!unified && !cfg.cgroup_v1.empty()) {
    limits.version = devices.version = 1;
    std::vector<CgroupWrite> memsw;
    for (const auto& item : cfg.cgroup_v1) {
      const config::Named& n = item.value;
      std::string controller = n.name.substr(0, n.name.find('.'));
      bool found = false;
      for (const CgroupHierarchy& h : host.cgroup_hierarchies)
        if (!h.unified && std::find(h.controllers.begin(), h.controllers.end(), controller) != h.controllers.end())
          found = true;
      if (!found) {
        return c.error(item.origin, "lxc.cgroup." + n.name + ": no cgroup v1 hierarchy of this host has the '" +
                                        controller + "' controller");
      }
      CgroupWrite w{n.name, n.value, c.where(item.origin)};
      if (is_devices_file(n.name))
        devices.writes.push_back(std::move(w));
      else if (n.name == "memory.memsw.limit_in_bytes")
        memsw.push_back(std::move(w));  // after memory limits
      else
        limits.writes.push_back(std::move(w));
    }
    for (CgroupWrite& w : memsw) limits.writes.push_back(std::move(w));
  } else if (unified && !cfg.cgroup_v2.empty()) {
    limits.version = devices.version = 2;
    for (const auto& item : cfg.cgroup_v2) {
      CgroupWrite w{item.value.name, item.value.value, c.where(item.origin)};
      if (is_devices_file(item.value.name))
        devices.writes.push_back(std::move(w));
      else
        limits.writes.push_back(std::move(w));
    }
  }
  return std::nullopt;
}

// ---- processes: id maps, /proc writes, limits -----------------------------------------------

/// "u 0 100000 65536": an lxc.idmap value, for messages.
std::string as_written(const config::IdMap& m) {
  return std::string(1, m.type) + " " + std::to_string(m.ns_id) + " " + std::to_string(m.host_id) + " " +
         std::to_string(m.range);
}

/// lxc.idmap as the kernel will take it: LXC only parses the lines and
/// leaves the rest to the write of uid_map, which fails with a bare EINVAL;
/// here each reason is an error at its line.
std::optional<Error> plan_idmaps(Ctx& c, WriteIdMaps& w, BecomeNsRoot& root) {
  const Config& cfg = c.cfg;
  constexpr uint64_t kIdLimit = uint64_t{1} << 32;  // ids are 32 bits; (uid_t)-1 is never valid
  for (const auto& item : cfg.idmaps) {
    const config::IdMap& m = item.value;
    std::string line = as_written(m);
    if (m.range == 0) return c.error(item.origin, "lxc.idmap '" + line + "': the range is 0 (the kernel refuses it)");
    if (m.ns_id + m.range >= kIdLimit || m.host_id + m.range >= kIdLimit || m.ns_id + m.range < m.ns_id ||
        m.host_id + m.range < m.host_id)
      return c.error(item.origin, "lxc.idmap '" + line + "': the ids do not fit in 32 bits (at most 4294967294)");
    std::vector<config::IdMap>& same = m.type == 'u' ? w.uid : w.gid;
    for (const config::IdMap& o : same) {
      bool ns_overlap = m.ns_id < o.ns_id + o.range && o.ns_id < m.ns_id + m.range;
      bool host_overlap = m.host_id < o.host_id + o.range && o.host_id < m.host_id + m.range;
      if (ns_overlap || host_overlap)
        return c.error(item.origin, "lxc.idmap '" + line + "' overlaps the earlier '" + as_written(o) + "' in its " +
                                        (ns_overlap ? "container" : "host") + " ids (the kernel refuses it)");
    }
    same.push_back(m);
  }
  Origin first = cfg.idmaps.front().origin;
  // LXC's child becomes the container's root, or lxc.init.uid/gid when
  // root is not mapped (spec/runtime.md §5.3 row 2).
  auto pick = [&](const std::vector<config::IdMap>& maps, const char* kind, uint32_t init_id, const char* init_key,
                  uint32_t& ns_id, uint32_t& host_id) -> std::optional<Error> {
    if (maps.empty())
      return c.error(first, std::string("lxc.idmap has no '") + kind[0] + "' line: the container's " + kind +
                                "s would all be unmapped");
    std::optional<uint64_t> h = host_id_of(maps, 0);
    ns_id = 0;
    if (!h) {
      ns_id = init_id;
      h = host_id_of(maps, init_id);
    }
    if (!h)
      return c.error(first, std::string("lxc.idmap maps neither ") + kind + " 0 nor " + init_key + " (" +
                                std::to_string(init_id) + "): the container has no " + kind + " to start as");
    host_id = static_cast<uint32_t>(*h);
    return std::nullopt;
  };
  if (auto e = pick(w.uid, "uid", cfg.init_uid.value, "lxc.init.uid", root.uid, w.root_host_uid)) return e;
  if (auto e = pick(w.gid, "gid", cfg.init_gid.value, "lxc.init.gid", root.gid, w.root_host_gid)) return e;
  return std::nullopt;
}

void plan_proc_writes(Ctx& c, WriteProc& out) {
  for (const auto& item : c.cfg.procs) out.writes.push_back({item.value.name, item.value.value, c.where(item.origin)});
}

std::optional<Error> plan_rlimits(Ctx& c, SetRlimits& out) {
  for (const config::Prlimit& p : c.cfg.prlimits) {
    Rlimit r{p.resource, -1, p.soft, p.hard, c.where(p.origin)};
    if (const RlimitInfo* info = find_rlimit(p.resource)) {
      r.resource = info->resource;
    } else if (!p.resource.empty() && p.resource.find_first_not_of("0123456789") == std::string::npos &&
               p.resource.size() < 4) {
      r.resource = std::stoi(p.resource);
      if (r.resource >= rlimit_count()) {
        return c.error(p.origin, "lxc.prlimit." + p.resource + ": resource number " + p.resource +
                                     " is not known to the kernel (the last is " + std::to_string(rlimit_count() - 1) +
                                     ")");
      }
    } else {
      std::string message = p.resource.empty()
                                ? "lxc.prlimit.: missing the resource name"
                                : "lxc.prlimit." + p.resource + ": unknown resource '" + p.resource + "'";
      std::vector<std::string_view> names;
      for (const RlimitInfo& info : rlimits()) names.push_back(info.name);
      if (!p.resource.empty()) {
        if (auto m = closest_match(to_lower(p.resource), names, 2))
          message += " (did you mean '" + std::string(*m) + "'?)";
      }
      return c.error(p.origin, message);
    }
    out.limits.push_back(std::move(r));
  }
  return std::nullopt;
}

// ---- mounts -----------------------------------------------------------------------------------------

MountOp op(MountOp::Kind kind, std::string source, std::string target, std::string fstype, unsigned long flags,
           std::string data = {}, bool skip_if_missing = false) {
  MountOp o;
  o.kind = kind;
  o.source = std::move(source);
  o.target = std::move(target);
  o.fstype = std::move(fstype);
  o.flags = flags;
  o.data = std::move(data);
  o.skip_if_missing = skip_if_missing;
  return o;
}

MountOp mkdir_op(std::string target, mode_t mode, MountOp::Kind kind = MountOp::Kind::mkdir) {
  MountOp o;
  o.kind = kind;
  o.target = std::move(target);
  o.mode = mode;
  return o;
}

MountOp detach_op(std::string target) {
  MountOp o;
  o.kind = MountOp::Kind::detach;
  o.target = std::move(target);
  return o;
}

std::optional<Error> plan_rootfs(Ctx& c, MountRootfs& r) {
  const Config& cfg = c.cfg;
  if (!c.has_rootfs) {
    r.host_root = true;
    r.target = "/";
    r.propagation = MS_SLAVE | MS_REC;
    return std::nullopt;
  }
  r.source = cfg.rootfs_path.value;
  r.target = c.root;
  r.storage = cfg.rootfs_type.value.empty() ? "dir" : cfg.rootfs_type.value;
  if (r.storage == "overlay" || r.storage == "overlayfs") {
    // LXC's overlay storage: LOWER:UPPER, the work directory beside UPPER.
    r.storage = "overlay";
    size_t colon = r.source.find(':');
    r.upper = r.source.substr(colon + 1);
    r.source.resize(colon);
    r.work = r.upper.substr(0, r.upper.rfind('/') + 1) + "olwork";
  }
  r.flags = MS_BIND | MS_REC;
  const std::string& options = cfg.rootfs_options.value;
  if (options.empty()) return std::nullopt;
  if (options.find_first_of(" \t\\") != std::string::npos) {
    return c.error(cfg.rootfs_options.origin,
                   "lxc.rootfs.options: blanks and backslashes are not supported in the rootfs options");
  }
  // The options mean what they mean in a mount entry (spec §4); `bind`
  // makes the entry a valid bind line and is removed again below.
  std::vector<config::ValueError> warnings;
  config::MountEntry e;
  try {
    e = config::parse_mount_entry("/ / none bind," + options, &warnings);
  } catch (const config::ValueError& err) {
    return c.error(cfg.rootfs_options.origin, "lxc.rootfs.options: " + err.message);
  }
  for (const config::ValueError& w : warnings) c.warn(cfg.rootfs_options.origin, "lxc.rootfs.options: " + w.message);
  r.flags |= e.flags;
  r.propagation = e.propagation;
  r.data = e.data;
  r.idmap = e.idmap;
  r.remount = (r.flags & MS_RDONLY) != 0;
  if (!r.idmap.empty() && cfg.idmaps.empty()) {
    return c.error(cfg.rootfs_options.origin,
                   "lxc.rootfs.options: an idmapped rootfs ('idmap=" + r.idmap + "') needs lxc.idmap");
  }
  return std::nullopt;
}

std::optional<Error> plan_autodev(Ctx& c, Mounts& m) {
  int64_t size = c.cfg.autodev_tmpfs_size.value;
  if (size < 0) return c.error(c.cfg.autodev_tmpfs_size.origin, "lxc.autodev.tmpfs.size: the size cannot be negative");
  uint64_t bytes = size == 0 ? kAutodevDefaultSize : static_cast<uint64_t>(size);
  std::string dev = c.in_root("dev");
  m.ops.push_back(mkdir_op(dev, 0755));
  m.ops.push_back(op(MountOp::Kind::mount, "none", dev, "tmpfs", 0, "size=" + std::to_string(bytes) + ",mode=755"));
  m.ops.push_back(mkdir_op(join(dev, "pts"), 0755));
  return std::nullopt;
}

/// lxc.mount.auto proc:* (the default_mounts table of conf.c).
Mounts plan_proc(Ctx& c) {
  Mounts m;
  std::string proc = c.in_root("proc");
  if (c.has_rootfs) m.ops.push_back(detach_op(proc));
  m.ops.push_back(mkdir_op(proc, 0755));
  const unsigned long flags = MS_NODEV | MS_NOEXEC | MS_NOSUID;
  m.ops.push_back(op(MountOp::Kind::mount, "proc", proc, "proc", flags, "", true));
  if (c.cfg.mount_auto.proc == "proc:rw") return m;
  // proc:mixed: /proc/sys read-only except /proc/sys/net (with CAP_NET_ADMIN),
  // /proc/sysrq-trigger read-only. /proc/tty holds /proc/sys/net meanwhile.
  bool net_admin = c.keeps(CAP_NET_ADMIN);
  std::string sys = join(proc, "sys"), net = join(sys, "net"), tty = join(proc, "tty");
  std::string sysrq = join(proc, "sysrq-trigger");
  if (net_admin) m.ops.push_back(op(MountOp::Kind::bind, net, tty, "", 0, "", true));
  m.ops.push_back(op(MountOp::Kind::bind, sys, sys, "", 0, "", true));
  m.ops.push_back(op(MountOp::Kind::remount, "", sys, "", MS_BIND | MS_RDONLY, "", true));
  if (net_admin) m.ops.push_back(op(MountOp::Kind::move, tty, net, "", 0, "", true));
  m.ops.push_back(op(MountOp::Kind::bind, sysrq, sysrq, "", 0, "", true));
  m.ops.push_back(op(MountOp::Kind::remount, "", sysrq, "", MS_BIND | MS_RDONLY, "", true));
  if (!net_admin) m.note = "CAP_NET_ADMIN is dropped, so `/proc/sys/net` stays read-only too";
  return m;
}

/// lxc.mount.auto sys:*.
Mounts plan_sys(Ctx& c) {
  Mounts m;
  std::string sys = c.in_root("sys");
  if (c.has_rootfs) m.ops.push_back(detach_op(sys));
  m.ops.push_back(mkdir_op(sys, 0755));
  const std::string& token = c.cfg.mount_auto.sys;
  if (token == "sys:rw") {
    m.ops.push_back(op(MountOp::Kind::mount, "sysfs", sys, "sysfs", 0, "", true));
  } else if (token == "sys:ro") {
    m.ops.push_back(op(MountOp::Kind::mount, "sysfs", sys, "sysfs", MS_RDONLY, "", true));
  } else {
    // sys:mixed: /sys read-only but for a writable devices/virtual/net.
    // LXC stages a writable sysfs on /proc/sys, binds its
    // devices/virtual/net onto the read-only /sys and unmounts the stage;
    // that unmount waits for an RCU grace period (0.05-0.5 ms here, on
    // the start's critical path). The same mounts without it: a writable
    // sysfs, its devices/virtual/net bound onto itself, then the /sys
    // mount alone made read-only.
    const unsigned long flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
    std::string net = join(sys, "devices/virtual/net");
    m.ops.push_back(op(MountOp::Kind::mount, "sysfs", sys, "sysfs", flags, "", true));
    m.ops.push_back(op(MountOp::Kind::bind, net, net, "", 0, "", true));
    m.ops.push_back(op(MountOp::Kind::remount, "", sys, "", MS_BIND | MS_RDONLY | flags, "", true));
  }
  return m;
}

/// lxc.mount.auto cgroup* (cgfsng_mount of cgroups/cgfsng.c).
std::optional<Error> plan_cgroup_mount(Ctx& c, Mounts& m) {
  const Config& cfg = c.cfg;
  const HostFacts& host = c.opt.host;
  std::string token = cfg.mount_auto.cgroup;
  Origin at = cfg.mount_auto.origin;
  bool force = false;
  if (token.size() > 6 && token.compare(token.size() - 6, 6, ":force") == 0) {
    force = true;
    token.resize(token.size() - 6);
  }
  bool v2 = token.rfind("cgroup2", 0) == 0;
  bool full = token.rfind("cgroup-full", 0) == 0;
  std::string mode;
  if (size_t colon = token.find(':'); colon != std::string::npos) mode = token.substr(colon + 1);
  bool sys_admin = c.keeps(CAP_SYS_ADMIN);
  if (mode.empty()) mode = v2 ? "rw" : sys_admin ? "rw" : "mixed";
  bool unified_host = host.cgroup_layout == CgroupLayout::unified;
  // cgroup2 and cgroup2:ro mount even for an init that could mount
  // cgroups itself (seen with LXC 5.0.2).
  if (!force) force = !sys_admin || unified_host || v2;
  bool in_cgns = host.cgroup_namespaces && (c.new_ns & CLONE_NEWCGROUP);
  if (in_cgns && !force) {
    m.note =
        "nothing to mount: the container has its own cgroup namespace and keeps CAP_SYS_ADMIN, so its init "
        "mounts the cgroups it wants";
    return std::nullopt;
  }
  std::string cgroot = c.in_root("sys/fs/cgroup");
  bool ro = mode == "ro";

  if (unified_host || v2) {
    auto unified = std::find_if(host.cgroup_hierarchies.begin(), host.cgroup_hierarchies.end(),
                                [](const CgroupHierarchy& h) { return h.unified; });
    if (unified == host.cgroup_hierarchies.end())
      return c.error(at, "lxc.mount.auto: '" + cfg.mount_auto.cgroup +
                             "' needs the unified cgroup2 hierarchy, which "
                             "is not mounted on this host");
    if (!in_cgns)
      return c.error(at, "lxc.mount.auto: '" + cfg.mount_auto.cgroup +
                             "' mounts cgroup2, which needs a cgroup "
                             "namespace, but the container does not get one");
    m.ops.push_back(op(MountOp::Kind::mount, "none", cgroot, "cgroup2", kCgroupFsFlags | (ro ? MS_RDONLY : 0)));
    return std::nullopt;
  }

  // Legacy or hybrid host: a tmpfs with one directory per hierarchy.
  m.ops.push_back(op(MountOp::Kind::mount, "none", cgroot, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME,
                     "size=10240k,mode=755"));
  for (const CgroupHierarchy& h : host.cgroup_hierarchies) {
    std::string hmnt = join(cgroot, h.mount_dir);
    m.ops.push_back(mkdir_op(hmnt, 0000));
    auto fs_mount = [&] {
      std::string data = h.unified ? "" : corral::join(h.controllers, ",");
      // Source "none", as LXC's (it shows in mountinfo).
      m.ops.push_back(op(MountOp::Kind::mount, "none", hmnt, h.unified ? "cgroup2" : "cgroup",
                         kCgroupFsFlags | (ro ? MS_RDONLY : 0), data));
    };
    if ((in_cgns && force) || full) {
      fs_mount();
      continue;
    }
    // cgroup:{ro,rw,mixed} without a cgroup namespace: only the container's
    // own cgroup is visible, bound from the host.
    const std::string& base = c.cfg.cgroup_relative.value ? h.self_base : h.base;
    std::string own = join(join(hmnt, base), c.payload_cgroup);
    std::string host_own = join(join(join(kCgroupRoot, h.mount_dir), base), c.payload_cgroup);
    m.ops.push_back(mkdir_op(own, 0755, MountOp::Kind::mkdir_p));
    if (ro || mode == "mixed") {
      m.ops.push_back(op(MountOp::Kind::bind, hmnt, hmnt, "", 0));
      m.ops.push_back(op(MountOp::Kind::remount, "", hmnt, "", MS_BIND | MS_RDONLY));
    }
    m.ops.push_back(op(MountOp::Kind::bind, host_own, own, "", ro ? MS_RDONLY : 0));
    if (ro) m.ops.push_back(op(MountOp::Kind::remount, "", own, "", MS_BIND | MS_RDONLY));
  }
  return std::nullopt;
}

/// Where a mount line's target lands (spec §5); nullopt when LXC skips it.
std::optional<std::string> resolve_target(const Ctx& c, std::string_view dir, bool idmapped) {
  if (idmapped || !c.has_rootfs) {
    // idmap= targets are always taken relative to the rootfs (or to /).
    if (!c.has_rootfs) return dir.empty() || dir.front() != '/' ? join("/", dir) : std::string(dir);
    return join(c.root, dir);
  }
  if (dir.empty() || dir.front() != '/') return join(c.root, dir);
  std::string lxcpath = c.opt.lxcpath;
  while (lxcpath.size() > 1 && lxcpath.back() == '/') lxcpath.pop_back();
  for (std::string prefix : {join(join(lxcpath, c.opt.name), "rootfs"), c.cfg.rootfs_path.value}) {
    if (has_prefix_path(dir, prefix)) return join(c.root, dir.substr(prefix.size()));
  }
  return std::nullopt;
}

/// Resolves one decoded line into `out` (first pass) and `idmapped`
/// (second pass). `from` names the source of the line for messages.
void add_mount_line(Ctx& c, config::MountEntry e, const std::string& from, const std::string& where,
                    std::vector<PlannedMount>& out, std::vector<PlannedMount>& idmapped) {
  bool is_idmapped = !e.idmap.empty();
  std::optional<std::string> target = resolve_target(c, e.target, is_idmapped);
  if (!target) {
    c.warn(where, from + ": target `" + e.target + "` is not inside the container's rootfs (`" +
                      c.cfg.rootfs_path.value + "`), so the entry is skipped");
    return;
  }
  if (is_idmapped && c.has_rootfs && !e.target.empty() && e.target.front() == '/') {
    c.warn(where, from + ": the target of an 'idmap=' entry is always taken relative to the rootfs, so `" + e.target +
                      "` becomes `" + *target + "`");
  }
  PlannedMount p;
  p.from = from;
  p.where = where;
  p.target = *target;
  p.source = e.relative ? join(c.has_rootfs ? c.root : "/", e.source) : e.source;
  // With `dev` the remount clears a nodev that the source has (spec §4.5).
  p.remount = e.is_bind() && ((e.flags & ~(MS_BIND | MS_REC)) != 0 || (e.clear_flags & MS_NODEV) != 0);
  p.entry = std::move(e);
  if (is_idmapped) {
    if (p.entry.create_dir || p.entry.create_file) {
      PlannedMount create = p;
      create.create_only = true;
      out.push_back(std::move(create));
    }
    idmapped.push_back(std::move(p));
    return;
  }
  out.push_back(std::move(p));
}

/// Why an `idmap=` line cannot be mounted, if it cannot.
const char* idmap_refusal(const Ctx& c, const config::MountEntry& e) {
  if (e.idmap.empty()) return nullptr;
  // `idmap=container` maps through the container's own user namespace.
  if (e.idmap == "container" && !(c.new_ns & CLONE_NEWUSER))
    return "'idmap=container' needs a user namespace (lxc.idmap)";
  if (e.relative)
    return "'relative' with 'idmap=' is not supported by corral yet: the monitor id-maps the source from the host, "
           "where the rootfs is not mounted";
  return nullptr;
}

/// The lines of lxc.mount.fstab: the first pass into `out`, the idmap=
/// lines into `idmapped` (make_plan puts them after the entries' ones).
std::optional<Error> plan_fstab(Ctx& c, MountEntries& out, std::vector<PlannedMount>& idmapped) {
  const auto& fstab = c.cfg.mount_fstab;
  if (fstab.value.empty()) return std::nullopt;
  Result<std::string> text = c.opt.read_file ? c.opt.read_file(fstab.value) : read_from_disk(fstab.value);
  if (!text) {
    Error e = c.error(fstab.origin,
                      "lxc.mount.fstab: cannot read `" + fstab.value + "`: " + std::strerror(text.error().sys_errno()));
    return e;
  }
  config::Diagnostics diags;
  config::SourceTable sources;
  std::vector<config::MountEntry> entries = config::parse_fstab(text.value(), fstab.value, diags, sources);
  for (const config::Diagnostic& d : diags.items()) {
    if (d.severity == config::Severity::error) {
      SourceLoc loc{fstab.value, d.origin.line, d.origin.col};
      Error e = Error::config(d.message, loc);
      e.wrap("lxc.mount.fstab (set at " + c.cfg.sources.describe(fstab.origin) + ")");
      return e;
    }
    c.warn(sources.describe(d.origin), d.message);
  }
  for (config::MountEntry& e : entries) {
    std::string where_text = sources.describe(e.origin);
    if (const char* refusal = idmap_refusal(c, e)) {
      Error err = Error::config(refusal, SourceLoc{fstab.value, e.origin.line, e.origin.col});
      err.wrap("lxc.mount.fstab (set at " + c.cfg.sources.describe(fstab.origin) + ")");
      return err;
    }
    add_mount_line(c, std::move(e), "lxc.mount.fstab", where_text, out.mounts, idmapped);
  }
  return std::nullopt;
}

std::optional<Error> plan_entries(Ctx& c, MountEntries& out, std::vector<PlannedMount>& idmapped) {
  const Config& cfg = c.cfg;
  for (const auto& item : cfg.mount_entries) {
    if (config::mount_entry_is_comment(item.value)) continue;  // a no-op for LXC too
    std::vector<config::ValueError> warnings;
    config::MountEntry e;
    try {
      e = config::parse_mount_entry(item.value, &warnings);
    } catch (const config::ValueError& err) {
      return c.error(item.origin, "lxc.mount.entry: " + err.message);
    }
    for (const config::ValueError& w : warnings) c.warn(item.origin, "lxc.mount.entry: " + w.message);
    e.origin = item.origin;
    if (const char* refusal = idmap_refusal(c, e)) return c.error(item.origin, std::string("lxc.mount.entry: ") + refusal);
    add_mount_line(c, std::move(e), "lxc.mount.entry", c.where(item.origin), out.mounts, idmapped);
  }
  // Lines LXC appends to the entries itself: the AppArmor nesting helpers,
  // then the shmounts tunnel.
  struct Extra {
    std::string line;
    Origin origin;
    std::string from;
  };
  std::vector<Extra> extra;
  if (cfg.apparmor_allow_nesting.value) {
    Origin o = cfg.apparmor_allow_nesting.origin;
    extra.push_back({"proc dev/.lxc/proc proc create=dir,optional 0 0", o, "lxc.apparmor.allow_nesting"});
    extra.push_back({"sys dev/.lxc/sys sysfs create=dir,optional 0 0", o, "lxc.apparmor.allow_nesting"});
  }
  if (!cfg.mount_auto.shmounts_host.empty()) {
    std::string cont = cfg.mount_auto.shmounts_container;
    while (!cont.empty() && cont.front() == '/') cont.erase(0, 1);
    // Written as a mount line: blanks and backslashes of the paths escaped.
    auto escaped = [](const std::string& s) {
      std::string o;
      for (char ch : s) {
        if (ch == ' ')
          o += "\\040";
        else if (ch == '\t')
          o += "\\011";
        else if (ch == '\\')
          o += "\\134";
        else
          o += ch;
      }
      return o;
    };
    extra.push_back({escaped(cfg.mount_auto.shmounts_host) + " " + escaped(cont) + " none bind,create=dir 0 0",
                     cfg.mount_auto.origin, "lxc.mount.auto"});
  }
  for (Extra& x : extra) {
    config::MountEntry e = config::parse_mount_entry(x.line);
    e.origin = x.origin;
    add_mount_line(c, std::move(e), x.from, c.where(x.origin), out.mounts, idmapped);
  }
  return std::nullopt;
}

Mounts plan_devpts(Ctx& c) {
  Mounts m;
  uint64_t max = uint64_t{c.cfg.pty_max.value} + c.cfg.tty_max.value;
  std::string pts = c.in_root("dev/pts"), ptmx = c.in_root("dev/ptmx");
  m.ops.push_back(detach_op(pts));
  m.ops.push_back(mkdir_op(pts, 0755));
  m.ops.push_back(op(MountOp::Kind::mount, "devpts", pts, "devpts", MS_NOSUID | MS_NOEXEC,
                     "gid=5,newinstance,ptmxmode=0666,mode=0620,max=" + std::to_string(max)));
  MountOp file = mkdir_op(ptmx, 0000, MountOp::Kind::create_file);
  m.ops.push_back(file);
  m.ops.push_back(op(MountOp::Kind::bind, join(pts, "ptmx"), ptmx, "", 0));
  m.note = "without 'gid=5' when the kernel refuses it; `dev/ptmx` becomes a symlink to `pts/ptmx` when the bind fails";
  return m;
}

// ---- init: command, environment ------------------------------------------------------------------

std::optional<Error> plan_exec(Ctx& c, ExecInit& x) {
  const Config& cfg = c.cfg;
  bool execute = c.opt.mode == RunMode::execute;
  x.shim = execute;
  if (!c.opt.command.empty()) {
    x.argv = c.opt.command;
  } else if (execute) {
    bool unterminated = false;
    x.argv = split_quoted(cfg.execute_cmd.value, &unterminated);
    if (unterminated)
      c.warn(cfg.execute_cmd.origin, "lxc.execute.cmd: an unterminated quote: LXC drops the quoted word");
    if (x.argv.empty())
      return Error::usage("no command to execute: give one on the command line or set lxc.execute.cmd");
  } else if (!cfg.init_cmd.value.empty()) {
    for (std::string_view w : split(cfg.init_cmd.value, ' '))
      if (!w.empty()) x.argv.emplace_back(w);
    if (x.argv.empty()) return c.error(cfg.init_cmd.origin, "lxc.init.cmd: the command is only blanks");
  } else {
    x.argv = {"/sbin/init"};
  }
  x.uid = cfg.init_uid.value;
  x.gid = cfg.init_gid.value;
  for (const auto& g : cfg.init_groups) x.groups.push_back(g.value);
  x.drop_groups = x.groups.empty() && cfg.idmaps.empty() && c.keeps(CAP_SETGID);
  x.cwd = cfg.init_cwd.value.empty() ? "/" : cfg.init_cwd.value;

  // clearenv(), then setenv() of every lxc.environment entry (a later one
  // replaces an earlier one in place), then container=lxc.
  EnvList env;
  for (const auto& item : cfg.environment) {
    size_t eq = item.value.find('=');
    std::string name = item.value.substr(0, eq);
    if (name.empty()) return c.error(item.origin, "lxc.environment: '" + item.value + "' has an empty variable name");
    set_env(env, name, eq == std::string::npos ? "" : item.value.substr(eq + 1));
  }
  c.plan.container_env = env;
  set_env(env, "container", "lxc");
  for (const auto& [name, value] : env) x.env.push_back(name + "=" + value);
  return std::nullopt;
}

// ---- hooks --------------------------------------------------------------------------------------------

void add_hooks(Ctx& c, config::HookType type, Actor actor) {
  const auto& list = c.cfg.hooks[static_cast<size_t>(type)];
  if (list.empty()) return;
  RunHooks h{type, {}};
  for (const auto& item : list)
    h.commands.push_back(hook_command(item.value, c.opt.name, type, c.plan.hook_version1, c.where(item.origin)));
  c.add("hook-" + std::string(config::kHookNames[static_cast<size_t>(type)]), actor, std::move(h));
}

/// The variables every hook gets, destroy hooks included: the names and
/// paths, and the console.
void plan_hook_paths(Ctx& c) {
  const Config& cfg = c.cfg;
  auto& env = c.plan.hook_env;
  env.emplace_back("LXC_NAME", c.opt.name);
  if (!c.opt.config_file.empty()) env.emplace_back("LXC_CONFIG_FILE", c.opt.config_file);
  env.emplace_back("LXC_ROOTFS_MOUNT", c.has_rootfs ? c.root : cfg.rootfs_mount.value.value_or(default_rootfs_mount()));
  if (c.has_rootfs) env.emplace_back("LXC_ROOTFS_PATH", cfg.rootfs_path.value);
  if (!cfg.console_path.value.empty()) env.emplace_back("LXC_CONSOLE", cfg.console_path.value);
  if (!cfg.console_logfile.value.empty()) env.emplace_back("LXC_CONSOLE_LOGPATH", cfg.console_logfile.value);
}

/// Those of the hooks of a start (spec/runtime.md §5.2 step 1).
void plan_hook_env(Ctx& c) {
  const Config& cfg = c.cfg;
  auto& env = c.plan.hook_env;
  plan_hook_paths(c);
  if (c.opt.host.cgroup_namespaces) env.emplace_back("LXC_CGNS_AWARE", "1");
  // lxc.log.level, else the tool's -l, else LXC's default priority, ERROR.
  int level = cfg.log_level.value >= 0 ? cfg.log_level.value : c.opt.log_level >= 0 ? c.opt.log_level : 5;
  env.emplace_back("LXC_LOG_LEVEL", config::log_level_name(level));
  env.emplace_back("LXC_HOOK_VERSION", c.plan.hook_version1 ? "1" : "0");
}

// ---- network devices (spec/runtime.md §6.3) ------------------------------------------------------------


/// "aa:bb:cc:dd:ee:ff", as the kernel takes it.
bool valid_hwaddr(std::string_view v) {
  if (v.size() != 17) return false;
  for (size_t i = 0; i < v.size(); ++i) {
    bool colon = i % 3 == 2;
    if (colon ? v[i] != ':' : !std::isxdigit(static_cast<unsigned char>(v[i]))) return false;
  }
  return true;
}

std::optional<Error> plan_net_device(Ctx& c, uint32_t index, const config::NetDev& d, NetDevice& n) {
  const std::string prefix = "lxc.net." + std::to_string(index) + ".";
  auto origin_of = [&](std::string_view sub) {
    auto it = d.origins.find(sub);
    return it == d.origins.end() ? d.type_origin : it->second;
  };
  auto refuse = [&](std::string_view sub, std::string message) {
    return c.error(origin_of(sub), prefix + std::string(sub) + ": " + message);
  };
  n.index = index;
  n.type = d.type;
  n.type_name = config::get_item(c.cfg, prefix + "type").value_or("?");
  n.where = c.where(d.type_origin);
  for (const auto& [sub, origin] : d.origins) n.where_keys.emplace_back(sub, c.where(origin));

  switch (d.type) {
    case config::NetType::veth:
      if (d.veth_mode != "bridge")
        return refuse("veth.mode", d.veth_mode.empty() ? "the mode is empty, which LXC cannot start"
                                                       : "mode 'router' is not supported yet: corral attaches the "
                                                         "host end to a bridge (lxc.net.N.link) or to nothing");
      if ((d.veth_vlan_id || !d.veth_vlan_tagged.empty()) && d.link.empty())
        return refuse(d.veth_vlan_id ? "veth.vlan.id" : "veth.vlan.tagged.id",
                      "VLANs are set on the port of a bridge: this interface has no lxc.net.N.link");
      break;
    case config::NetType::macvlan:
      if (d.macvlan_mode.empty()) return refuse("macvlan.mode", "the mode is empty, which LXC cannot start");
      break;
    case config::NetType::ipvlan:
      if (d.ipvlan_mode.empty()) return refuse("ipvlan.mode", "the mode is empty, which LXC cannot start");
      if (d.ipvlan_isolation != "bridge")
        return refuse("ipvlan.isolation", "only 'bridge' (the kernel's default) is supported: libnl cannot set '" +
                                              d.ipvlan_isolation + "'");
      break;
    case config::NetType::invalid:
      return c.error(d.type_origin, prefix + "type is empty: LXC cannot start such an interface either");
    default: break;
  }
  if (d.l2proxy) return refuse("l2proxy", "proxy ARP and NDP entries for the addresses are not supported yet");
  bool needs_link = d.type == config::NetType::macvlan || d.type == config::NetType::ipvlan ||
                    d.type == config::NetType::vlan || d.type == config::NetType::phys;
  if (needs_link && d.link.empty())
    return c.error(d.type_origin, prefix + "type '" + n.type_name + "' needs " + prefix + "link: the " +
                                      (d.type == config::NetType::phys ? "host interface to move in" : "parent interface"));

  n.link = d.link;
  n.name = !d.name.empty() ? d.name : d.type == config::NetType::phys ? d.link : "eth%d";
  n.veth_pair = d.veth_pair;
  if (!d.hwaddr.empty()) {
    if (!valid_hwaddr(d.hwaddr))
      return refuse("hwaddr", "'" + d.hwaddr + "' is not a MAC address of the form aa:bb:cc:dd:ee:ff");
    n.hwaddr = d.hwaddr;
  }
  if (!d.mtu.empty()) {
    try {
      n.mtu = config::parse_uint(d.mtu);  // lxc_safe_uint, as LXC reads it at start
    } catch (const config::ValueError&) {
      n.mtu = 0;
    }
    if (n.mtu == 0) return refuse("mtu", "'" + d.mtu + "' is not an MTU (a positive number)");
  }
  n.up = d.up;
  for (const auto& a : d.ipv4) n.ipv4.push_back(a.value);
  for (const auto& a : d.ipv6) n.ipv6.push_back(a.value);
  for (int family : {4, 6}) {
    const config::Gateway& g = family == 4 ? d.ipv4_gateway : d.ipv6_gateway;
    if (!gateway_set(g)) continue;
    std::string sub = family == 4 ? "ipv4.gateway" : "ipv6.gateway";
    bool has_address = family == 4 ? !d.ipv4.empty() : !d.ipv6.empty();
    if (!d.up) return c.error(g.origin, prefix + sub + ": a gateway needs the interface up (" + prefix + "flags = up)");
    if (!has_address)
      return c.error(g.origin, prefix + sub + ": a gateway needs an address on the interface (" + prefix + "ipv" +
                                   std::to_string(family) + ".address)");
    if (g.is_auto && !g.is_dev &&
        (d.link.empty() || (d.type != config::NetType::veth && d.type != config::NetType::macvlan)))
      return c.error(g.origin, prefix + sub + ": 'auto' takes the address of the host's " + prefix +
                                   "link, so it needs a veth or macvlan interface with a link");
  }
  n.ipv4_gateway = d.ipv4_gateway;
  n.ipv6_gateway = d.ipv6_gateway;
  for (const auto& r : d.veth_ipv4_routes) n.veth_ipv4_routes.push_back(r.value);
  for (const auto& r : d.veth_ipv6_routes) n.veth_ipv6_routes.push_back(r.value);
  n.vlan_untagged = d.veth_vlan_id;
  for (const auto& v : d.veth_vlan_tagged) n.vlan_tagged.push_back(v.value);
  n.rx_queues = static_cast<uint32_t>(d.veth_n_rxqueues.value_or(0));
  n.tx_queues = static_cast<uint32_t>(d.veth_n_txqueues.value_or(0));
  n.macvlan_mode = d.macvlan_mode;
  n.ipvlan_mode = d.ipvlan_mode;
  n.vlan_id = d.vlan_id;
  if (!d.script_up.empty()) {
    n.script_up = d.script_up;
    n.where_script_up = c.where(origin_of("script.up"));
  }
  if (!d.script_down.empty()) {
    n.script_down = d.script_down;
    n.where_script_down = c.where(origin_of("script.down"));
  }
  return std::nullopt;
}

/// The devices the monitor makes (every lxc.net.N but empty and none).
std::optional<Error> plan_network(Ctx& c, CreateNetDevices& out) {
  for (const auto& [index, d] : c.cfg.net) {
    if (d.type == config::NetType::none) continue;
    // An empty interface is only lo: the monitor has nothing to make but
    // its scripts to run.
    if (d.type == config::NetType::empty && d.script_up.empty() && d.script_down.empty()) continue;
    if (!(c.new_ns & CLONE_NEWNET)) {
      c.warn(d.type_origin, "lxc.net." + std::to_string(index) +
                                " is ignored: the container does not get a network namespace of its own");
      continue;
    }
    NetDevice n;
    if (auto e = plan_net_device(c, index, d, n)) return e;
    out.devices.push_back(std::move(n));
  }
  return std::nullopt;
}

// ---- the rest of the child's setup ------------------------------------------------------------------

SetupConsole plan_console(Ctx& c) {
  const Config& cfg = c.cfg;
  SetupConsole s;
  s.host_path = cfg.console_path.value;
  s.from_host_devpts = cfg.pty_max.value <= 1;
  s.target = c.in_root("dev/console");
  if (!cfg.tty_dir.value.empty()) s.dir_target = c.in_root("dev/" + cfg.tty_dir.value + "/console");
  s.logfile = cfg.console_logfile.value;
  s.rotate = cfg.console_rotate.value;
  s.buffer_size = cfg.console_buffer_size.value;
  return s;
}

SetupTtys plan_ttys(Ctx& c) {
  const Config& cfg = c.cfg;
  SetupTtys t;
  t.count = cfg.tty_max.value;
  t.dir = cfg.tty_dir.value;
  t.bind = c.opt.mode == RunMode::start;
  for (uint32_t i = 1; i <= t.count; ++i) {
    std::string tty = "tty" + std::to_string(i);
    if (t.dir.empty()) {
      t.targets.push_back(c.in_root("dev/" + tty));
    } else {
      t.targets.push_back(c.in_root("dev/" + t.dir + "/" + tty));
      t.symlinks.emplace_back(c.in_root("dev/" + tty), t.dir + "/" + tty);
    }
  }
  return t;
}

DropCapabilities plan_caps(Ctx& c) {
  const Config& cfg = c.cfg;
  int last = c.opt.host.cap_last_cap;
  DropCapabilities d{cfg.cap_mode, {}, last};
  if (cfg.cap_mode == config::CapMode::keep) {
    for (int cap = 0; cap <= last; ++cap)
      if (!c.keeps(cap)) d.drop.push_back(cap);
    for (const auto& item : cfg.caps) {
      if (item.value.cap > last)
        c.warn(item.origin, "lxc.cap.keep: '" + item.value.text + "' is above the kernel's last capability (" +
                                std::to_string(last) + "), so there is nothing to keep");
    }
    return d;
  }
  for (const auto& item : cfg.caps) {
    int cap = item.value.cap;
    if (cap > last) {
      c.warn(item.origin, "lxc.cap.drop: '" + item.value.text + "' is above the kernel's last capability (" +
                              std::to_string(last) + "), so there is nothing to drop");
      continue;
    }
    if (std::find(d.drop.begin(), d.drop.end(), cap) == d.drop.end()) d.drop.push_back(cap);
  }
  return d;
}

Signals plan_signals(const Config& cfg) {
  Signals s;
  s.halt_default = cfg.signal_halt.value == 0;
  s.halt = s.halt_default ? SIGPWR : cfg.signal_halt.value;
  s.reboot = cfg.signal_reboot.value ? cfg.signal_reboot.value : SIGINT;
  s.stop = cfg.signal_stop.value ? cfg.signal_stop.value : SIGKILL;
  s.monitor_death = cfg.monitor_signal_pdeath.value;
  return s;
}

/// The trees the monitor id-maps, in the order the child attaches them.
std::optional<Error> plan_idmapped_trees(Ctx& c, const MountRootfs& rootfs, const std::vector<PlannedMount>& lines,
                                         PrepareIdmappedMounts& out) {
  if (!rootfs.idmap.empty()) {
    if (rootfs.storage == "overlay")
      return c.error(c.cfg.rootfs_options.origin,
                     "lxc.rootfs.options: 'idmap=' on an overlay rootfs is not supported by corral yet");
    out.trees.push_back({rootfs.source, true, rootfs.flags & ~(MS_BIND | MS_REC), rootfs.idmap, false,
                         "lxc.rootfs.options"});
  }
  for (const PlannedMount& pm : lines) {
    out.trees.push_back({pm.source, (pm.entry.flags & MS_REC) != 0, pm.entry.flags & ~(MS_BIND | MS_REC | MS_REMOUNT),
                         pm.entry.idmap, pm.entry.optional, pm.from + " at " + pm.where});
  }
  return std::nullopt;
}

/// On a host with v1 hierarchies, moving init's cgroup entry (and the
/// cgroup namespace made right after it) past the first steps that do not
/// care which cgroup init is in lets the monitor make the v1 payload
/// cgroups after the clone, while init mounts, instead of before it: about
/// 0.3 ms less before init exists. Only when nothing but those steps would be
/// passed: no monitor step, no hook, no other namespace unshared.
void defer_cgroup_entry(Plan& plan) {
  const bool has_v1 = std::any_of(plan.host.cgroup_hierarchies.begin(), plan.host.cgroup_hierarchies.end(),
                                  [](const CgroupHierarchy& h) { return !h.unified; });
  if (!has_v1) return;
  auto clone = std::find_if(plan.steps.begin(), plan.steps.end(), [](const Step& s) { return s.name == "clone"; });
  if (clone == plan.steps.end() || clone + 1 == plan.steps.end() || clone[1].name != "enter-cgroups") return;
  auto moved_end = clone + 2;  // what moves: enter-cgroups, and the cgroup namespace's unshare
  if (moved_end != plan.steps.end() && moved_end->name == "unshare-namespaces") {
    if (std::get<UnshareNamespaces>(moved_end->data).flags != CLONE_NEWCGROUP) return;
    ++moved_end;
  }
  static constexpr std::string_view kIndifferent[] = {"mount-rootfs", "set-hostname", "create-session-keyring",
                                                      "mount-dev",    "mount-proc",   "mount-sys"};
  auto passed_end = moved_end;
  while (passed_end != plan.steps.end() && passed_end->actor == Actor::child &&
         std::find(std::begin(kIndifferent), std::end(kIndifferent), passed_end->name) != std::end(kIndifferent))
    ++passed_end;
  if (passed_end == moved_end) return;
  std::get<EnterCgroups>(clone[1].data).wait_for_v1 = true;
  for (Step& s : plan.steps)
    if (auto* cg = std::get_if<CreateCgroups>(&s.data)) cg->v1_payload_after_clone = true;
  std::rotate(clone + 1, moved_end, passed_end);
}

}  // namespace

const char* layout_name(CgroupLayout l) {
  switch (l) {
    case CgroupLayout::legacy:
      return "legacy";
    case CgroupLayout::hybrid:
      return "hybrid";
    case CgroupLayout::unified:
      return "unified";
  }
  return "unknown";
}

const Step* Plan::find(std::string_view step_name) const {
  for (const Step& s : steps)
    if (s.name == step_name) return &s;
  return nullptr;
}

bool Plan::has_teardown_hooks() const {
  return std::any_of(steps.begin(), steps.end(), [](const Step& s) {
    return s.actor == Actor::teardown && std::holds_alternative<RunHooks>(s.data);
  });
}

bool Plan::monitor_cgroup_can_wait() const {
  const CreateCgroups* cgroups = nullptr;
  for (const Step& s : steps) {
    if (const auto* cg = std::get_if<CreateCgroups>(&s.data)) {
      if (!cg->monitor_retry) return false;
      cgroups = cg;
    }
    if (cgroups && s.actor != Actor::child && std::holds_alternative<RunHooks>(s.data)) return false;
    if (const auto* net = std::get_if<CreateNetDevices>(&s.data))
      for (const NetDevice& d : net->devices)
        if (!d.script_up.empty() || !d.script_down.empty()) return false;
  }
  return cgroups != nullptr;
}

std::vector<std::string> split_quoted(std::string_view cmd, bool* unterminated) {
  std::vector<std::string> words;
  char state = ' ';
  size_t start = 0;
  auto space = [](char ch) { return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\v' || ch == '\f' || ch == '\r'; };
  for (size_t i = 0; i < cmd.size(); ++i) {
    char ch = cmd[i];
    if (state == ' ') {
      if (space(ch)) continue;
      start = i;
      state = (ch == '"' || ch == '\'') ? ch : 'a';
    } else if (state == 'a') {
      if (space(ch)) {
        words.emplace_back(cmd.substr(start, i - start));
        state = ' ';
      }
    } else if (ch == state) {
      words.emplace_back(cmd.substr(start + 1, i - start - 1));
      state = ' ';
    }
  }
  if (state == 'a') words.emplace_back(cmd.substr(start));
  if (unterminated) *unterminated = state == '"' || state == '\'';
  return words;
}

HookCommand hook_command(const std::string& value, const std::string& container, config::HookType type,
                         bool version1, std::string where) {
  std::string shell = "exec " + value;
  if (!version1) shell += " " + container + " lxc " + config::kHookNames[static_cast<size_t>(type)];
  return HookCommand{value, std::move(shell), std::move(where)};
}

Result<Plan> plan_destroy_hooks(const config::Config& cfg, const PlanOptions& options) {
  Plan plan;
  plan.name = options.name;
  plan.lxcpath = options.lxcpath;
  plan.hook_version1 = cfg.hook_version.value;
  Ctx c(cfg, options, plan);
  if (std::optional<Error> e = resolve_rootfs(c)) return *e;
  plan_hook_paths(c);  // LXC's destroy hooks get nothing else
  add_hooks(c, config::HookType::destroy, Actor::teardown);
  return plan;
}

void set_env(EnvList& env, const std::string& name, const std::string& value) {
  for (auto& kv : env) {
    if (kv.first == name) {
      kv.second = value;
      return;
    }
  }
  env.emplace_back(name, value);
}

Result<ProcessSettings> plan_process_settings(const config::Config& cfg) {
  Plan plan;
  PlanOptions options;
  Ctx c{cfg, options, plan};
  ProcessSettings out;
  if (auto e = plan_rlimits(c, out.rlimits)) return *e;
  plan_proc_writes(c, out.proc);
  return out;
}

Result<Plan> make_plan(const config::Config& cfg, const PlanOptions& options) {
  Plan plan;
  plan.name = options.name;
  plan.lxcpath = options.lxcpath;
  plan.mode = options.mode;
  plan.host = options.host;
  plan.hook_version1 = cfg.hook_version.value;
  plan.ephemeral = cfg.ephemeral.value;
  plan.signals = plan_signals(cfg);
  Ctx c{cfg, options, plan};
  if (options.name.empty()) return Error::usage("the container needs a name");

  if (auto e = resolve_rootfs(c)) return *e;
  plan.rootfs_mount = c.root;
  resolve_caps(c);

  // Everything that can fail is decided before the first step runs.
  CreateCgroups cgroups;
  if (auto e = plan_cgroup_dirs(c, cgroups)) return *e;
  CloneInit clone;
  UnshareNamespaces unshare;
  if (auto e = plan_namespaces(c, clone, unshare)) return *e;
  plan.namespaces = c.new_ns;
  SetCgroupLimits limits, devices;
  if (auto e = plan_cgroup_limits(c, limits, devices)) return *e;
  SetRlimits rlimits;
  if (auto e = plan_rlimits(c, rlimits)) return *e;
  WriteIdMaps idmaps;
  BecomeNsRoot ns_root;
  if (!cfg.idmaps.empty() && (c.new_ns & CLONE_NEWUSER))
    if (auto e = plan_idmaps(c, idmaps, ns_root)) return *e;
  MountRootfs rootfs;
  if (auto e = plan_rootfs(c, rootfs)) return *e;
  std::vector<PlannedMount> idmapped;
  MountEntries fstab_mounts, entry_mounts;
  std::vector<PlannedMount> fstab_idmapped;
  if (auto e = plan_fstab(c, fstab_mounts, fstab_idmapped)) return *e;
  if (auto e = plan_entries(c, entry_mounts, idmapped)) return *e;
  for (PlannedMount& p : fstab_idmapped) idmapped.push_back(std::move(p));  // entries first, then the fstab
  PrepareIdmappedMounts idmapped_trees;
  if (auto e = plan_idmapped_trees(c, rootfs, idmapped, idmapped_trees)) return *e;
  ExecInit exec;
  if (auto e = plan_exec(c, exec)) return *e;
  if (!(c.new_ns & CLONE_NEWNS))
    c.warn(cfg.namespace_keep.origin,
           "the container shares the host's mount namespace: every mount is made on the host");
  plan_hook_env(c);

  // ---- monitor, before the container exists
  add_hooks(c, config::HookType::pre_start, Actor::monitor);
  c.add("create-cgroups", Actor::monitor, std::move(cgroups));
  const bool joins_namespaces = std::any_of(clone.namespaces.begin(), clone.namespaces.end(),
                                            [](const NamespaceSetup& ns) { return ns.how == NsHow::share; });
  c.add("clone", Actor::monitor, std::move(clone));
  // Done by the child as soon as it exists, unless defer_cgroup_entry()
  // finds a later place for it.
  c.add("enter-cgroups", Actor::child, EnterCgroups{});
  if (!cfg.idmaps.empty() && (c.new_ns & CLONE_NEWUSER)) {
    c.add("write-idmaps", Actor::monitor, std::move(idmaps));
  }
  // After the maps: the trees may be mapped through the container's namespace.
  if (!idmapped_trees.trees.empty()) c.add("prepare-idmapped-mounts", Actor::monitor, std::move(idmapped_trees));
  // cgroup limits except devices, while the child waits
  if (!limits.writes.empty()) c.add("set-cgroup-limits", Actor::monitor, std::move(limits));
  if (!cfg.idmaps.empty() && (c.new_ns & CLONE_NEWUSER)) c.add("become-ns-root", Actor::child, ns_root);
  if (unshare.flags) c.add("unshare-namespaces", Actor::child, std::move(unshare));
  CreateNetDevices net;
  if (auto e = plan_network(c, net)) return *e;
  if (!net.devices.empty()) c.add("create-net-devices", Actor::monitor, std::move(net));
  if (!cfg.procs.empty()) {
    WriteProc w;
    plan_proc_writes(c, w);
    c.add("write-proc", Actor::monitor, std::move(w));
  }
  if (!rlimits.limits.empty()) c.add("set-rlimits", Actor::monitor, std::move(rlimits));

  // ---- child: lxc_setup(), in its new namespaces
  add_hooks(c, config::HookType::pre_mount, Actor::child);
  c.add("mount-rootfs", Actor::child, std::move(rootfs));
  if (!cfg.uts_name.value.empty()) {
    if (cfg.namespace_share[static_cast<size_t>(Namespace::uts)].value) {
      // LXC leaves a shared UTS namespace alone.
    } else if (!(c.new_ns & CLONE_NEWUTS)) {
      c.warn(cfg.uts_name.origin,
             "lxc.uts.name is ignored: the container shares the host's UTS namespace, and "
             "setting it would rename the host");
    } else {
      c.add("set-hostname", Actor::child, SetHostname{cfg.uts_name.value});
    }
  }
  if (!cfg.keyring_session.value) c.add("create-session-keyring", Actor::child, CreateSessionKeyring{});
  if (c.new_ns & CLONE_NEWNET) {
    // LXC brings lo up along with the first interface that goes up.
    bool up = std::any_of(cfg.net.begin(), cfg.net.end(),
                          [](const auto& kv) { return kv.second.type != config::NetType::none && kv.second.up; });
    if (up) c.add("setup-network", Actor::child, SetupNetwork{true});
  }
  if (cfg.autodev.value) {
    Mounts dev;
    if (auto e = plan_autodev(c, dev)) return *e;
    c.add("mount-dev", Actor::child, std::move(dev));
  }
  if (!cfg.mount_auto.proc.empty()) c.add("mount-proc", Actor::child, plan_proc(c));
  if (!cfg.mount_auto.sys.empty()) c.add("mount-sys", Actor::child, plan_sys(c));
  if (!fstab_mounts.mounts.empty()) c.add("mount-fstab", Actor::child, std::move(fstab_mounts));
  if (!entry_mounts.mounts.empty()) c.add("mount-entries", Actor::child, std::move(entry_mounts));
  if (!idmapped.empty()) c.add("mount-idmapped", Actor::child, MountEntries{std::move(idmapped)});
  if (!cfg.mount_auto.cgroup.empty()) {
    Mounts cg;
    if (auto e = plan_cgroup_mount(c, cg)) return *e;
    c.add("mount-cgroup", Actor::child, std::move(cg));
  }
  add_hooks(c, config::HookType::mount, Actor::child);
  if (cfg.autodev.value) {
    add_hooks(c, config::HookType::autodev, Actor::child);
    CreateDevNodes nodes{c.in_root("dev"), {}};
    for (const DevNode& n : autodev_nodes()) nodes.nodes.push_back(n);
    c.add("create-dev-nodes", Actor::child, std::move(nodes));
  }
  if (uint64_t{cfg.pty_max.value} + cfg.tty_max.value > 0) c.add("mount-devpts", Actor::child, plan_devpts(c));
  if (cfg.console_path.value != "none") c.add("setup-console", Actor::child, plan_console(c));
  if (cfg.tty_max.value > 0 && c.has_rootfs) c.add("setup-ttys", Actor::child, plan_ttys(c));
  if (cfg.pty_max.value == 0 && cfg.tty_max.value > 0 && c.has_rootfs) {
    // The instance served the ttys only: their binds keep it alive, and
    // the container gets no /dev/pts to open more (spec §5.4 step 15).
    Mounts m;
    m.ops.push_back(op(MountOp::Kind::unmount, "", c.in_root("dev/pts"), "", 0));
    m.note = "lxc.pty.max is 0: the devpts instance made for the ttys is not left mounted";
    c.add("unmount-devpts", Actor::child, std::move(m));
  }
  {
    CreateDevSymlinks links{c.in_root("dev"), {}};
    for (const DevSymlink& l : dev_symlinks()) links.links.push_back(l);
    c.add("create-dev-symlinks", Actor::child, std::move(links));
  }
  if (c.has_rootfs) {
    std::string shmount = cfg.mount_auto.shmounts_host.empty() ? "" : cfg.mount_auto.shmounts_container;
    c.add("pivot-root", Actor::child, PivotRoot{c.root, shmount});
  }
  if (cfg.autodev.value)
    c.add("set-boot-id", Actor::child, SetBootId{"/dev/.lxc-boot-id", "/proc/sys/kernel/random/boot_id"});
  if (!cfg.arch.value.empty()) {
    if (std::optional<unsigned long> p = personality_for(cfg.arch.value))
      c.add("set-personality", Actor::child, SetPersonality{cfg.arch.value, *p});
  }
  if (!cfg.sysctls.empty()) {
    SetSysctls s;
    for (const auto& item : cfg.sysctls) {
      std::string rel = item.value.name;
      std::replace(rel.begin(), rel.end(), '.', '/');
      s.sysctls.push_back({item.value.name, join("/proc/sys", rel), item.value.value, c.where(item.origin)});
    }
    c.add("set-sysctls", Actor::child, std::move(s));
  }
  if (cfg.cap_mode != config::CapMode::none) c.add("drop-capabilities", Actor::child, plan_caps(c));

  // ---- child, after lxc_setup(): no_new_privs, then seccomp, then the start
  // hooks, which LXC already runs under the seccomp filter
  if (cfg.no_new_privs.value) c.add("set-no-new-privs", Actor::child, SetNoNewPrivs{});
  if (!cfg.seccomp_profile.value.empty()) {
    c.add("load-seccomp", Actor::child,
          LoadSeccomp{cfg.seccomp_profile.value, cfg.seccomp_allow_nesting.value, cfg.seccomp_notify_proxy.value,
                      cfg.seccomp_notify_cookie.value, c.where(cfg.seccomp_profile.origin)});
  }
  add_hooks(c, config::HookType::start, Actor::child);
  // ---- monitor: device limits last, then the start-host hooks
  if (!devices.writes.empty()) c.add("set-cgroup-devices", Actor::monitor, std::move(devices));
  add_hooks(c, config::HookType::start_host, Actor::monitor);
  c.add("exec-init", Actor::child, std::move(exec));
  // ---- after the container has exited
  add_hooks(c, config::HookType::stop, Actor::teardown);
  add_hooks(c, config::HookType::post_stop, Actor::teardown);
  // Not past a joined namespace: a joined user namespace takes away the
  // right to enter cgroups, so the child enters them before it joins.
  if (!joins_namespaces) defer_cgroup_entry(plan);
  return plan;
}

}  // namespace corral::exec
