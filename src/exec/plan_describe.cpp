// describe(): the Plan as `corral start --dry-run` prints it, one block per
// step, in the words of spec/runtime.md; golden tests compare it exactly.
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include <cstdio>
#include <string>

#include "exec/plan.hpp"
#include "exec/plan_util.hpp"
#include "util/strings.hpp"

namespace corral::exec {

using namespace plan_util;

// ---- describe ------------------------------------------------------------------------------------------

namespace {

std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    if (ch == '\n')
      out += "\\n";
    else if (ch == '\t')
      out += "\\t";
    else
      out += ch;
  }
  return out + "\"";
}

std::string bt(std::string_view path) { return "`" + std::string(path) + "`"; }

std::string octal(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode));
  return buf;
}

std::string limit_text(uint64_t v) { return v == RLIM_INFINITY ? "unlimited" : std::to_string(v); }

std::string signal_text(int sig) { return signal_name(sig) + " (" + std::to_string(sig) + ")"; }

std::string at(const std::string& where) { return where.empty() ? "" : "  [" + where + "]"; }

std::string describe_op(const MountOp& o) {
  using K = MountOp::Kind;
  std::string s;
  switch (o.kind) {
    case K::mount:
      s = "mount " + o.source + " on " + bt(o.target) + " type " + o.fstype + " flags " + mount_flag_names(o.flags);
      if (!o.data.empty()) s += " data " + quoted(o.data);
      break;
    case K::bind:
      s = "bind " + bt(o.source) + " on " + bt(o.target);
      if (o.flags) s += " flags " + mount_flag_names(o.flags);
      break;
    case K::remount:
      s = "remount " + bt(o.target) + " flags " + mount_flag_names(MS_REMOUNT | o.flags);
      break;
    case K::move:
      s = "move " + bt(o.source) + " to " + bt(o.target);
      break;
    case K::unmount:
      s = "unmount " + bt(o.target);
      break;
    case K::detach:
      s = "detach " + bt(o.target) + " if mounted";
      break;
    case K::mkdir:
      s = "mkdir " + bt(o.target) + " mode " + octal(o.mode);
      break;
    case K::mkdir_p:
      s = "mkdir -p " + bt(o.target) + " mode " + octal(o.mode);
      break;
    case K::create_file:
      s = "create empty file " + bt(o.target) + " mode " + octal(o.mode);
      break;
  }
  if (o.skip_if_missing) s += " (skipped if missing)";
  return s;
}

std::string describe_mount(const PlannedMount& p) {
  const config::MountEntry& e = p.entry;
  std::string s = p.create_only ? "create only " : "";
  s += e.is_bind() ? "bind " + bt(p.source) : "mount " + p.source;
  s += " on " + bt(p.target) + " type " + (e.fstype.empty() ? "\"\"" : e.fstype);
  s += " flags " + mount_flag_names(e.flags);
  if (e.clear_flags) s += " clear " + mount_flag_names(e.clear_flags);
  if (!e.data.empty()) s += " data " + quoted(e.data);
  if (e.create_dir) s += " create=dir";
  if (e.create_file) s += " create=file";
  if (e.optional) s += " optional";
  if (!e.idmap.empty()) s += " idmap=" + e.idmap;
  if (p.remount && !p.create_only) s += ", then remount with the flags";
  if (e.propagation && !p.create_only) s += ", then propagation " + mount_flag_names(e.propagation);
  return s + "  [" + p.from + (p.where.empty() ? "" : " " + p.where) + "]";
}

struct Describer {
  std::vector<std::string>& lines;
  const Plan& plan;

  void line(std::string s) { lines.push_back(std::move(s)); }

  void operator()(const RunHooks& h) {
    for (const HookCommand& cmd : h.commands) line("/bin/sh -c " + quoted(cmd.shell) + at(cmd.where));
    if (plan.hook_version1)
      line(std::string("with LXC_HOOK_TYPE=") + config::kHookNames[static_cast<size_t>(h.type)] +
           " LXC_HOOK_SECTION=lxc");
  }
  void operator()(const CreateCgroups& c) {
    auto retry = [](bool r) { return r ? " (or NAME-1 ... NAME-999 when taken)" : ""; };
    line("monitor cgroup " + c.monitor + retry(c.monitor_retry));
    line("payload cgroup " + c.payload + retry(c.payload_retry));
    if (!c.payload_inner.empty()) line("init placed in " + c.payload_inner);
    line("pivot cgroup " + c.pivot);
    line(c.relative ? "relative to the caller's cgroup" : "relative to init's cgroup");
    if (c.v1_payload_after_clone)
      line("the payload now in the unified hierarchy only; in the v1 ones once init is cloned, while it mounts");
  }
  void operator()(const CloneInit& c) {
    line("clone flags " + clone_flag_names(c.clone_flags));
    for (const NamespaceSetup& s : c.namespaces) {
      std::string how;
      switch (s.how) {
        case NsHow::host:
          how = "host's";
          break;
        case NsHow::clone:
          how = "new";
          break;
        case NsHow::unshare:
          how = "new";
          break;
        case NsHow::share:
          how = "shared with " + quoted(s.share_with);
          break;
      }
      line(std::string(namespace_info(s.ns).name) + ": " + how + " (" + s.reason + ")");
    }
  }
  void operator()(const WriteIdMaps& w) {
    for (const config::IdMap& m : w.uid)
      line("uid_map " + std::to_string(m.ns_id) + " " + std::to_string(m.host_id) + " " + std::to_string(m.range));
    for (const config::IdMap& m : w.gid)
      line("gid_map " + std::to_string(m.ns_id) + " " + std::to_string(m.host_id) + " " + std::to_string(m.range));
    line("written by the monitor, as root (no newuidmap); the container's cgroups then belong to host uid " +
         std::to_string(w.root_host_uid) + " gid " + std::to_string(w.root_host_gid));
  }
  void operator()(const PrepareIdmappedMounts& p) {
    for (const IdmappedTree& t : p.trees) {
      std::string s = (t.recursive ? "clone the tree at " : "clone the mount at ") + bt(t.source) + ", map its ids through " +
                      (t.userns == "container" ? std::string("the container's user namespace") : bt(t.userns));
      if (t.flags) s += ", flags " + mount_flag_names(t.flags);
      if (t.optional) s += " (optional)";
      line(s + "  [" + t.what + "]");
    }
  }
  void operator()(const BecomeNsRoot& b) {
    line("drop supplementary groups; setresgid " + std::to_string(b.gid) + ", setresuid " + std::to_string(b.uid) +
         " in the new user namespace");
  }
  void operator()(const EnterCgroups& e) {
    line(std::string(e.wait_for_v1 ? "once the monitor has made the v1 ones" : "as soon as init exists") +
         ", move into the payload cgroup of every hierarchy it was not born in");
    if (e.wait_for_v1) line("then tell the monitor, which enters its own cgroup no sooner");
  }
  void operator()(const UnshareNamespaces& u) {
    line("unshare " + clone_flag_names(u.flags));
    if (u.flags & CLONE_NEWTIME) {
      auto offset = [](const config::TimeOffset& t) {
        return std::to_string(t.seconds) + "s " + std::to_string(t.nanoseconds) + "ns";
      };
      line("timens_offsets boottime " + offset(u.boot) + ", monotonic " + offset(u.monotonic));
    }
  }
  void operator()(const SetCgroupLimits& l) {
    std::string prefix = l.version == 1 ? "lxc.cgroup." : "lxc.cgroup2.";
    bool program = l.device_rules && l.version == 2;
    for (const CgroupWrite& w : l.writes)
      line((program ? "device rule " : "write ") + w.file + " = " + quoted(w.value) + at(w.where));
    if (program)
      line("the device rules become one cgroup2 device program");
    else if (l.device_rules)
      line("EACCES or EPERM from a devices file is only a warning");
  }
  void operator()(const WriteProc& w) {
    for (const ProcWrite& p : w.writes) line("write /proc/PID/" + p.file + " = " + quoted(p.value) + at(p.where));
  }
  void operator()(const SetRlimits& r) {
    for (const Rlimit& l : r.limits) {
      const RlimitInfo* info = find_rlimit(l.name);
      std::string constant = info ? std::string(info->constant) : "resource " + std::to_string(l.resource);
      line(constant + " soft " + limit_text(l.soft) + " hard " + limit_text(l.hard) + at(l.where));
    }
  }
  void operator()(const MountRootfs& r) {
    if (r.host_root) {
      line("no lxc.rootfs.path: the host's / becomes the container's root, made " + mount_flag_names(r.propagation));
      return;
    }
    std::string s =
        r.storage == "overlay"
            ? "overlay of " + bt(r.source) + " (lower) and " + bt(r.upper) + " (upper, work " + bt(r.work) + ") on " +
                  bt(r.target) + " flags " + mount_flag_names(r.flags & ~(MS_BIND | MS_REC))
            : "bind " + bt(r.source) + " on " + bt(r.target) + " (" + r.storage + ") flags " + mount_flag_names(r.flags);
    if (!r.data.empty()) s += " data " + quoted(r.data);
    if (!r.idmap.empty()) s += " idmap=" + r.idmap;
    line(s);
    if (r.remount) line("remount " + bt(r.target) + " flags " + mount_flag_names(r.flags | MS_REMOUNT));
    if (r.propagation) line("propagation " + mount_flag_names(r.propagation));
  }
  void operator()(const SetHostname& h) { line("sethostname " + quoted(h.hostname)); }
  void operator()(const CreateSessionKeyring&) { line("join a new anonymous session keyring (errors ignored)"); }
  void operator()(const CreateNetDevices& n) {
    for (const NetDevice& d : n.devices) {
      std::string s = "lxc.net." + std::to_string(d.index) + ": " + d.type_name;
      if (d.type == config::NetType::veth) {
        s += " pair, host end " + (d.veth_pair.empty() ? std::string("veth + 6 random characters") : bt(d.veth_pair));
        s += d.link.empty() ? ", on no bridge" : ", on the bridge " + bt(d.link);
      } else if (d.type == config::NetType::phys) {
        s += " device " + bt(d.link) + " moved in";
      } else if (d.type == config::NetType::empty) {
        line(s + ": only the loopback, nothing to make; its scripts run" + at(d.where));
        if (!d.script_up.empty()) line("  script.up " + quoted(d.script_up) + at(d.where_script_up));
        if (!d.script_down.empty()) line("  script.down " + quoted(d.script_down) + at(d.where_script_down));
        continue;
      } else {
        s += " on " + bt(d.link);
        if (!d.macvlan_mode.empty() && d.type == config::NetType::macvlan) s += " mode " + d.macvlan_mode;
        if (d.type == config::NetType::ipvlan) s += " mode " + d.ipvlan_mode;
        if (d.type == config::NetType::vlan) s += " id " + std::to_string(d.vlan_id);
      }
      s += "; named " + bt(d.name) + " inside";
      if (!d.hwaddr.empty()) s += ", hwaddr " + d.hwaddr;
      if (d.mtu) s += ", mtu " + std::to_string(d.mtu);
      if (d.up) s += ", up";
      line(s + at(d.where));
      for (const auto& a : d.ipv4) line("  address " + a.address + "/" + std::to_string(a.prefix));
      for (const auto& a : d.ipv6) line("  address " + a.address + "/" + std::to_string(a.prefix));
      for (const config::Gateway* g : {&d.ipv4_gateway, &d.ipv6_gateway}) {
        if (gateway_set(*g)) line("  default route " + (g->is_dev ? std::string("through the device") : g->is_auto ? "via the link's address" : "via " + g->address));
      }
      if (d.vlan_untagged)
        line(*d.vlan_untagged < 0 ? std::string("  bridge port without the default untagged VLAN")
                                  : "  bridge port untagged VLAN (PVID) " + std::to_string(*d.vlan_untagged));
      for (uint16_t v : d.vlan_tagged) line("  bridge port tagged VLAN " + std::to_string(v));
      for (const auto& r : d.veth_ipv4_routes) line("  host route " + r + " through the host end");
      for (const auto& r : d.veth_ipv6_routes) line("  host route " + r + " through the host end");
      if (!d.script_up.empty()) line("  script.up " + quoted(d.script_up) + at(d.where_script_up));
      if (!d.script_down.empty()) line("  script.down " + quoted(d.script_down) + at(d.where_script_down));
    }
  }
  void operator()(const SetupNetwork& n) {
    if (n.loopback_up) line("bring the loopback interface 'lo' up");
  }
  void operator()(const Mounts& m) {
    for (const MountOp& o : m.ops) line(describe_op(o));
    if (!m.note.empty()) line(m.note);
  }
  void operator()(const MountEntries& m) {
    for (const PlannedMount& p : m.mounts) line(describe_mount(p));
  }
  void operator()(const CreateDevNodes& d) {
    for (const DevNode& n : d.nodes) {
      line("mknod " + bt(join(d.dev_dir, n.name)) + " c " + std::to_string(n.major) + ":" + std::to_string(n.minor) +
           " mode " + octal(n.mode));
    }
    line("where mknod is not permitted: empty files with the host's nodes bound on them");
  }
  void operator()(const SetupConsole& s) {
    std::string from = s.from_host_devpts ? std::string("a new pty of the host's devpts")
                                          : std::string("a new pty of the container's devpts");
    if (!s.dir_target.empty())
      line("bind " + from + " on " + bt(s.dir_target) + ", then that on " + bt(s.target));
    else
      line("bind " + from + " on " + bt(s.target));
    if (!s.host_path.empty()) line("the monitor connects its other end to " + bt(s.host_path));
    if (!s.logfile.empty()) line("log to " + bt(s.logfile) + (s.rotate ? " (rotated)" : ""));
    if (s.buffer_size) line("ring buffer " + std::to_string(s.buffer_size) + " bytes");
  }
  void operator()(const SetupTtys& t) {
    if (!t.bind) {
      line(std::to_string(t.count) + " ttys allocated from the container's devpts, not bound (execute)");
      return;
    }
    for (size_t i = 0; i < t.targets.size(); ++i) line("bind pty " + std::to_string(i + 1) + " on " + bt(t.targets[i]));
    for (const auto& [link, target] : t.symlinks) line("symlink " + bt(link) + " -> " + target);
  }
  void operator()(const CreateDevSymlinks& d) {
    for (const DevSymlink& l : d.links)
      line("symlink " + bt(join(d.dev_dir, l.name)) + " -> " + std::string(l.target) + " if absent");
  }
  void operator()(const PivotRoot& p) {
    line("pivot_root into " + bt(p.new_root) + ", detach the old root, make / rshared");
    if (!p.rslave_after.empty()) line("make " + bt(p.rslave_after) + " " + mount_flag_names(MS_SLAVE | MS_REC));
  }
  void operator()(const SetBootId& b) {
    line("write a random uuid to " + bt(b.file) + ", bind it read-only on " + bt(b.target));
  }
  void operator()(const SetPersonality& p) {
    line("personality " + std::string(p.persona == 0 ? "PER_LINUX" : "PER_LINUX32") + " (" + p.arch + ")");
  }
  void operator()(const SetSysctls& s) {
    for (const Sysctl& x : s.sysctls) line("write " + bt(x.path) + " = " + quoted(x.value) + at(x.where));
  }
  void operator()(const DropCapabilities& d) {
    std::string mode = d.mode == config::CapMode::keep ? "lxc.cap.keep" : "lxc.cap.drop";
    std::vector<std::string> names;
    for (int cap : d.drop) names.push_back(cap_name(cap));
    line("bounding set drop (" + mode + ", last capability " + std::to_string(d.last_cap) +
         "): " + (names.empty() ? std::string("nothing") : corral::join(names, " ")));
  }
  void operator()(const SetNoNewPrivs&) { line("prctl PR_SET_NO_NEW_PRIVS 1"); }
  void operator()(const LoadSeccomp& l) {
    line("policy " + bt(l.profile) + at(l.where));
    if (l.allow_nesting) line("allow nesting");
    if (!l.notify_proxy.empty()) line("notify proxy " + quoted(l.notify_proxy));
    if (!l.notify_cookie.empty()) line("notify cookie " + quoted(l.notify_cookie));
  }
  void operator()(const ExecInit& x) {
    std::vector<std::string> argv;
    for (const std::string& a : x.argv) argv.push_back(quoted(a));
    line(std::string(x.shim ? "init shim runs " : "exec ") + corral::join(argv, " "));
    std::string ids = "uid " + std::to_string(x.uid) + " gid " + std::to_string(x.gid);
    if (!x.groups.empty()) {
      std::vector<std::string> g;
      for (uint32_t id : x.groups) g.push_back(std::to_string(id));
      ids += " groups " + corral::join(g, ",");
    } else if (x.drop_groups) {
      ids += " groups dropped";
    }
    line(ids + " cwd " + bt(x.cwd));
    for (const std::string& e : x.env) line("env " + quoted(e));
  }
};

const char* actor_name(Actor a) {
  switch (a) {
    case Actor::monitor:
      return "monitor";
    case Actor::child:
      return "child";
    case Actor::teardown:
      return "monitor, after exit";
  }
  return "";
}

}  // namespace

std::string describe(const Plan& plan) {
  std::string out = "plan for '" + plan.name + "' (" + (plan.mode == RunMode::execute ? "execute" : "start") + ") in " +
                    bt(plan.lxcpath) + "\n";
  const HostFacts& h = plan.host;
  std::vector<std::string> dirs;
  for (const CgroupHierarchy& ch : h.cgroup_hierarchies) dirs.push_back(ch.mount_dir.empty() ? "/" : ch.mount_dir);
  out += std::string("host: cgroup ") + layout_name(h.cgroup_layout) + " (" + corral::join(dirs, " ") +
         "), cap_last_cap " + std::to_string(h.cap_last_cap) + ", cgroup namespaces " +
         (h.cgroup_namespaces ? "yes" : "no") + ", time namespaces " + (h.time_namespaces ? "yes" : "no") + "\n";
  out += "rootfs: " + (plan.rootfs_mount.empty() ? std::string("the host's /") : bt(plan.rootfs_mount)) + "\n";
  out += "namespaces: " + clone_flag_names(plan.namespaces) + "\n";
  if (plan.ephemeral) out += "ephemeral: " + bt(plan.lxcpath + "/" + plan.name) + " is removed when the container stops\n";
  const Signals& s = plan.signals;
  out += "signals: halt " + signal_text(s.halt) + (s.halt_default ? " or SIGRTMIN+3 when init blocks it" : "") +
         ", reboot " + signal_text(s.reboot) + ", stop " + signal_text(s.stop) + ", on monitor death " +
         (s.monitor_death ? signal_text(s.monitor_death) : std::string("none")) + "\n";
  bool hooks = std::any_of(plan.steps.begin(), plan.steps.end(),
                           [](const Step& st) { return std::holds_alternative<RunHooks>(st.data); });
  if (hooks) {
    std::vector<std::string> env;
    for (const auto& [k, v] : plan.hook_env) env.push_back(k + "=" + v);
    out += "hook environment: " + corral::join(env, " ") + "\n";
  }
  for (const PlanWarning& w : plan.warnings)
    out += "warning: " + (w.where.empty() ? std::string() : w.where + ": ") + w.message + "\n";
  int n = 0;
  for (const Step& step : plan.steps) {
    char num[16];
    std::snprintf(num, sizeof num, "%2d", ++n);
    out += std::string(num) + ". " + step.name + " (" + actor_name(step.actor) + ")\n";
    std::vector<std::string> lines;
    std::visit(Describer{lines, plan}, step.data);
    for (const std::string& l : lines) out += "      " + l + "\n";
  }
  return out;
}

}  // namespace corral::exec
