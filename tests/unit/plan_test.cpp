// Config -> Plan, rule by rule: namespaces, mount order and targets, the
// proc/sys/cgroup automounts, capabilities, limits, cgroups, init. Host
// facts are fakes, so nothing here depends on the machine.
#include "exec/plan.hpp"

#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <map>

#include "config/loader.hpp"

using namespace corral;
using namespace corral::exec;

namespace {

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

HostFacts hybrid_host() {
  HostFacts h;
  h.cgroup_layout = CgroupLayout::hybrid;
  for (const char* c : {"cpu", "memory", "devices", "pids"}) h.cgroup_hierarchies.push_back({c, false, {c}, "/", "/"});
  h.cgroup_hierarchies.push_back({"systemd", false, {"name=systemd"}, "/", "/"});
  h.cgroup_hierarchies.push_back({"unified", true, {}, "/", "/"});
  h.cap_last_cap = 40;
  return h;
}

HostFacts unified_host() {
  HostFacts h;
  h.cgroup_layout = CgroupLayout::unified;
  h.cgroup_hierarchies.push_back({"", true, {"cpu", "memory", "pids"}, "/", "/"});
  h.cap_last_cap = 40;
  return h;
}

HostFacts legacy_host() {
  HostFacts h = hybrid_host();
  h.cgroup_layout = CgroupLayout::legacy;
  h.cgroup_hierarchies.pop_back();
  return h;
}

config::Config load(const std::string& text) {
  config::LoadResult r = config::load_text(text, "t.conf");
  EXPECT_TRUE(r.ok()) << r.render();
  return std::move(r.config);
}

PlanOptions options(HostFacts host = hybrid_host()) {
  PlanOptions o;
  o.name = "c1";
  o.host = std::move(host);
  o.read_file = [](const std::string& path) -> Result<std::string> { return Error::io("cannot read", path, ENOENT); };
  return o;
}

Plan plan_of(const std::string& text, const PlanOptions& o = options()) {
  Result<Plan> p = make_plan(load(text), o);
  if (!p) {
    ADD_FAILURE() << p.error().render();
    return Plan{};
  }
  return std::move(p).value();
}

std::string error_of(const std::string& text, const PlanOptions& o = options()) {
  Result<Plan> p = make_plan(load(text), o);
  if (p) {
    ADD_FAILURE() << "expected an error; the plan is:\n" << describe(p.value());
    return "";
  }
  return p.error().render();
}

/// A copy of the data of a step (the plan is often a temporary).
template <class T>
T data(const Plan& p, std::string_view step) {
  const Step* s = p.find(step);
  if (!s) throw std::runtime_error("no step " + std::string(step) + " in:\n" + describe(p));
  return std::get<T>(s->data);
}

std::vector<std::string> step_names(const Plan& p) {
  std::vector<std::string> names;
  for (const Step& s : p.steps) names.push_back(s.name);
  return names;
}

std::vector<std::string> warnings(const Plan& p) {
  std::vector<std::string> out;
  for (const PlanWarning& w : p.warnings) out.push_back((w.where.empty() ? "" : w.where + ": ") + w.message);
  return out;
}

NsHow how(const Plan& p, config::Namespace ns) {
  for (const NamespaceSetup& s : data<CloneInit>(p, "clone").namespaces)
    if (s.ns == ns) return s.how;
  return NsHow::host;
}

/// "kind target" of each op, with the rootfs mount shortened to R.
std::vector<std::string> ops(const Mounts& m, const std::string& root = "/r") {
  std::vector<std::string> out;
  static const char* kinds[] = {"mount",  "bind",  "remount", "move",       "unmount",
                                "detach", "mkdir", "mkdir_p", "create_file"};
  auto shorten = [&](std::string s) {
    if (!root.empty() && s.rfind(root, 0) == 0) s = "R" + s.substr(root.size());
    return s;
  };
  for (const MountOp& o : m.ops) {
    std::string s = std::string(kinds[static_cast<int>(o.kind)]) + " ";
    if (!o.source.empty()) s += shorten(o.source) + " -> ";
    s += shorten(o.target);
    if (o.flags) s += " " + mount_flag_names(o.flags);
    out.push_back(s);
  }
  return out;
}

const std::string kRootfs = "lxc.rootfs.path = dir:/var/lib/lxc/c1/rootfs\nlxc.rootfs.mount = /r\n";

// ---- namespaces ------------------------------------------------------------------------

TEST(PlanNamespaces, DefaultWithoutIdmap) {
  Plan p = plan_of(kRootfs);
  const CloneInit& c = data<CloneInit>(p, "clone");
  EXPECT_EQ(c.clone_flags,
            static_cast<unsigned long>(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET));
  EXPECT_EQ(how(p, config::Namespace::user), NsHow::host);
  EXPECT_EQ(how(p, config::Namespace::time), NsHow::host);
  // Not a pure cgroup2 host: the child unshares its cgroup namespace.
  EXPECT_EQ(how(p, config::Namespace::cgroup), NsHow::unshare);
  EXPECT_EQ(data<UnshareNamespaces>(p, "unshare-namespaces").flags, static_cast<unsigned long>(CLONE_NEWCGROUP));
  EXPECT_EQ(p.namespaces, c.clone_flags | CLONE_NEWCGROUP);
  EXPECT_EQ(p.find("write-idmaps"), nullptr);
}

TEST(PlanNamespaces, UnifiedHostClonesTheCgroupNamespace) {
  Plan p = plan_of(kRootfs, options(unified_host()));
  EXPECT_TRUE(data<CloneInit>(p, "clone").clone_flags & CLONE_NEWCGROUP);
  EXPECT_EQ(p.find("unshare-namespaces"), nullptr);
}

TEST(PlanNamespaces, IdmapAddsUserAndDefersNet) {
  Plan p = plan_of(kRootfs + "lxc.idmap = u 0 100000 65536\nlxc.idmap = g 0 100000 65536\n");
  EXPECT_EQ(how(p, config::Namespace::user), NsHow::clone);
  EXPECT_EQ(how(p, config::Namespace::net), NsHow::unshare);
  const UnshareNamespaces& u = data<UnshareNamespaces>(p, "unshare-namespaces");
  EXPECT_TRUE(u.net_after_idmap);
  EXPECT_EQ(u.flags, static_cast<unsigned long>(CLONE_NEWNET | CLONE_NEWCGROUP));
  const WriteIdMaps& w = data<WriteIdMaps>(p, "write-idmaps");
  ASSERT_EQ(w.uid.size(), 1u);
  ASSERT_EQ(w.gid.size(), 1u);
  EXPECT_EQ(w.uid[0].host_id, 100000u);
  EXPECT_EQ(w.root_host_uid, 100000u);
  EXPECT_EQ(w.root_host_gid, 100000u);
  const BecomeNsRoot& b = data<BecomeNsRoot>(p, "become-ns-root");
  EXPECT_EQ(b.uid, 0u);
  EXPECT_EQ(b.gid, 0u);
  // The maps are written right after the clone (and the child's move into
  // its cgroups, which it makes as host root); the child becomes root in
  // its namespace before it unshares the others, which it then owns.
  std::vector<std::string> names = step_names(p);
  auto at = [&](const char* name) { return std::find(names.begin(), names.end(), name) - names.begin(); };
  EXPECT_EQ(at("enter-cgroups"), at("clone") + 1);
  EXPECT_EQ(at("write-idmaps"), at("clone") + 2);
  EXPECT_FALSE(data<EnterCgroups>(p, "enter-cgroups").wait_for_v1);
  EXPECT_LT(at("become-ns-root"), at("unshare-namespaces"));
}

TEST(PlanNamespaces, NetOnlyWhenSomeDeviceIsNotNone) {
  EXPECT_EQ(how(plan_of(kRootfs + "lxc.net.0.type = none\n"), config::Namespace::net), NsHow::host);
  EXPECT_EQ(how(plan_of(kRootfs + "lxc.net.0.type = empty\n"), config::Namespace::net), NsHow::clone);
  EXPECT_EQ(how(plan_of(kRootfs + "lxc.net.0.type = none\nlxc.net.1.type = veth\nlxc.net.1.link = br0\n"),
                config::Namespace::net),
            NsHow::clone);
  EXPECT_EQ(how(plan_of(kRootfs), config::Namespace::net), NsHow::clone);  // no lxc.net: only lo
}

TEST(PlanNamespaces, NoCgroupNamespacesOnTheKernel) {
  PlanOptions o = options();
  o.host.cgroup_namespaces = false;
  Plan p = plan_of(kRootfs, o);
  EXPECT_EQ(how(p, config::Namespace::cgroup), NsHow::host);
  EXPECT_FALSE(p.namespaces & CLONE_NEWCGROUP);
  EXPECT_NE(error_of(kRootfs + "lxc.namespace.clone = mnt cgroup\n", o).find("the kernel has no cgroup namespaces"),
            std::string::npos);
}

TEST(PlanNamespaces, TimeOffsetsAddTheTimeNamespace) {
  Plan p = plan_of(kRootfs + "lxc.time.offset.boot = 10s\nlxc.time.offset.monotonic = 5ms\n");
  EXPECT_EQ(how(p, config::Namespace::time), NsHow::unshare);
  const UnshareNamespaces& u = data<UnshareNamespaces>(p, "unshare-namespaces");
  EXPECT_TRUE(u.flags & CLONE_NEWTIME);
  EXPECT_EQ(u.boot.seconds, 10);
  EXPECT_EQ(u.monotonic.nanoseconds, 5000000);
}

TEST(PlanNamespaces, KeepClonesEverythingElseIncludingUserAndTime) {
  Plan p = plan_of(kRootfs + "lxc.namespace.keep = net user\n");
  EXPECT_EQ(how(p, config::Namespace::net), NsHow::host);
  EXPECT_EQ(how(p, config::Namespace::user), NsHow::host);
  EXPECT_EQ(how(p, config::Namespace::time), NsHow::unshare);
  EXPECT_EQ(p.namespaces, static_cast<unsigned long>(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC |
                                                     CLONE_NEWCGROUP | CLONE_NEWTIME));
}

TEST(PlanNamespaces, CloneListIsExact) {
  Plan p = plan_of(kRootfs + "lxc.namespace.clone = mnt pid\n");
  EXPECT_EQ(p.namespaces, static_cast<unsigned long>(CLONE_NEWNS | CLONE_NEWPID));
}

TEST(PlanNamespaces, ShareRemovesTheNamespace) {
  Plan p = plan_of(kRootfs + "lxc.namespace.share.net = other\nlxc.namespace.share.uts = 1234\nlxc.uts.name = x\n");
  EXPECT_EQ(how(p, config::Namespace::net), NsHow::share);
  EXPECT_FALSE(p.namespaces & (CLONE_NEWNET | CLONE_NEWUTS));
  for (const NamespaceSetup& s : data<CloneInit>(p, "clone").namespaces)
    if (s.ns == config::Namespace::net) {
      EXPECT_EQ(s.share_with, "other");
    }
  // A shared UTS namespace keeps its host name.
  EXPECT_EQ(p.find("set-hostname"), nullptr);
  EXPECT_TRUE(p.warnings.empty());
}

TEST(PlanNamespaces, KeepingTimeWithOffsetsIsAnError) {
  EXPECT_EQ(error_of(kRootfs + "lxc.time.offset.boot = 1s\nlxc.namespace.keep = time\n"),
            "t.conf:3:1: lxc.time.offset.* needs a new time namespace, but lxc.namespace.keep keeps the host's");
}

TEST(PlanNamespaces, OffsetsWithoutTimeNamespaceWarn) {
  Plan p = plan_of(kRootfs + "lxc.time.offset.boot = 1s\nlxc.namespace.clone = mnt\n");
  EXPECT_EQ(warnings(p), std::vector<std::string>{
                             "t.conf:3:1: the container gets no time namespace, so its time offsets are ignored"});
}

TEST(PlanNamespaces, UserNamespaceWithoutIdmapWarns) {
  Plan p = plan_of(kRootfs + "lxc.namespace.keep = net\n");
  EXPECT_EQ(how(p, config::Namespace::user), NsHow::clone);
  EXPECT_EQ(warnings(p), std::vector<std::string>{"t.conf:3:1: a user namespace without lxc.idmap: every process of "
                                                  "the container runs as the overflow user"});
  EXPECT_EQ(p.find("write-idmaps"), nullptr);
}

TEST(PlanNamespaces, HostnameIsNotSetInTheHostsUtsNamespace) {
  Plan p = plan_of(kRootfs + "lxc.uts.name = box\nlxc.namespace.keep = uts user\n");
  EXPECT_EQ(p.find("set-hostname"), nullptr);
  ASSERT_EQ(p.warnings.size(), 1u);
  EXPECT_EQ(p.warnings[0].where, "t.conf:3:1");
  EXPECT_EQ(data<SetHostname>(plan_of(kRootfs + "lxc.uts.name = box\n"), "set-hostname").hostname, "box");
}

// ---- order of the steps ----------------------------------------------------------------------

TEST(PlanOrder, FullSequence) {
  PlanOptions o = options();
  o.read_file = [](const std::string&) -> Result<std::string> { return std::string("tmpfs tmp tmpfs rw 0 0\n"); };
  Plan p = plan_of(kRootfs + R"(lxc.uts.name = c1
lxc.idmap = u 0 100000 65536
lxc.idmap = g 0 100000 65536
lxc.mount.auto = proc:mixed sys:mixed cgroup:mixed
lxc.mount.fstab = /f
lxc.mount.entry = /srv srv none bind,create=dir 0 0
lxc.mount.entry = /data data none bind,idmap=container,create=dir 0 0
lxc.cgroup.memory.limit_in_bytes = 1G
lxc.cgroup.devices.deny = a
lxc.proc.oom_score_adj = 10
lxc.prlimit.nofile = 1024
lxc.pty.max = 10
lxc.tty.max = 2
lxc.arch = x86_64
lxc.sysctl.kernel.msgmax = 1
lxc.cap.drop = sys_time
lxc.no_new_privs = 1
lxc.seccomp.profile = /p
lxc.hook.pre-start = /h
lxc.hook.pre-mount = /h
lxc.hook.mount = /h
lxc.hook.autodev = /h
lxc.hook.start = /h
lxc.hook.start-host = /h
lxc.hook.stop = /h
lxc.hook.post-stop = /h
lxc.hook.clone = /h
)",
                   o);
  EXPECT_EQ(step_names(p),
            (std::vector<std::string>{"hook-pre-start",    "create-cgroups",      "clone",
                                      "enter-cgroups",
                                      "write-idmaps",      "prepare-idmapped-mounts", "set-cgroup-limits",
                                      "become-ns-root",    "unshare-namespaces",
                                      "write-proc",        "set-rlimits",         "hook-pre-mount",
                                      "mount-rootfs",      "set-hostname",        "create-session-keyring",
                                      "mount-dev",         "mount-proc",          "mount-sys",
                                      "mount-fstab",       "mount-entries",       "mount-idmapped",
                                      "mount-cgroup",      "hook-mount",          "hook-autodev",
                                      "create-dev-nodes",  "mount-devpts",        "setup-console",
                                      "setup-ttys",        "create-dev-symlinks", "pivot-root",
                                      "set-boot-id",       "set-personality",     "set-sysctls",
                                      "drop-capabilities", "set-no-new-privs",    "load-seccomp",
                                      "hook-start",        "set-cgroup-devices",  "hook-start-host",
                                      "exec-init",         "hook-stop",           "hook-post-stop"}));
  EXPECT_EQ(p.find("hook-pre-start")->actor, Actor::monitor);
  EXPECT_EQ(p.find("hook-start")->actor, Actor::child);
  EXPECT_EQ(p.find("hook-start-host")->actor, Actor::monitor);
  EXPECT_EQ(p.find("hook-post-stop")->actor, Actor::teardown);
}

TEST(PlanOrder, MinimalConfig) {
  Plan p = plan_of("");
  EXPECT_EQ(step_names(p),
            (std::vector<std::string>{"create-cgroups", "clone", "mount-rootfs", "create-session-keyring",
                                      "mount-dev", "enter-cgroups", "unshare-namespaces", "create-dev-nodes",
                                      "setup-console", "create-dev-symlinks", "set-boot-id", "exec-init"}));
  EXPECT_TRUE(data<MountRootfs>(p, "mount-rootfs").host_root);
  EXPECT_EQ(p.rootfs_mount, "");
}

// On a host with v1 hierarchies, init moves into its cgroups (and makes its
// cgroup namespace) after the mounts that do not care, so that the monitor
// can make the v1 payload cgroups meanwhile.
TEST(PlanCgroupEntry, DeferredPastTheFirstMountsOnAHostWithV1) {
  const std::string conf = kRootfs + "lxc.uts.name = c\nlxc.autodev = 1\nlxc.mount.auto = proc:mixed sys:mixed\n";
  for (const HostFacts& host : {hybrid_host(), legacy_host()}) {
    Plan p = plan_of(conf, options(host));
    std::vector<std::string> names = step_names(p);
    ASSERT_GE(names.size(), 10u);
    EXPECT_EQ(std::vector<std::string>(names.begin() + 1, names.begin() + 10),
              (std::vector<std::string>{"clone", "mount-rootfs", "set-hostname", "create-session-keyring", "mount-dev",
                                        "mount-proc", "mount-sys", "enter-cgroups", "unshare-namespaces"}));
    EXPECT_TRUE(data<EnterCgroups>(p, "enter-cgroups").wait_for_v1);
    EXPECT_TRUE(data<CreateCgroups>(p, "create-cgroups").v1_payload_after_clone);
  }
}

TEST(PlanCgroupEntry, RightAfterTheCloneOtherwise) {
  auto entered_at_once = [](const Plan& p) {
    std::vector<std::string> names = step_names(p);
    auto clone = std::find(names.begin(), names.end(), "clone");
    return clone != names.end() && clone + 1 != names.end() && clone[1] == "enter-cgroups" &&
           !data<EnterCgroups>(p, "enter-cgroups").wait_for_v1 &&
           !data<CreateCgroups>(p, "create-cgroups").v1_payload_after_clone;
  };
  // Nothing to make after the clone on a pure cgroup2 host.
  EXPECT_TRUE(entered_at_once(plan_of(kRootfs, options(unified_host()))));
  // A joined user namespace would take away the right to enter cgroups.
  EXPECT_TRUE(entered_at_once(plan_of(kRootfs + "lxc.namespace.share.user = other\n")));
  // Not past a hook, a monitor step (the veth pair), or another namespace.
  EXPECT_TRUE(entered_at_once(plan_of(kRootfs + "lxc.hook.pre-mount = /h\n")));
  EXPECT_TRUE(entered_at_once(plan_of(kRootfs + "lxc.net.0.type = veth\nlxc.net.0.link = br0\n")));
  EXPECT_TRUE(entered_at_once(plan_of(kRootfs + "lxc.time.offset.boot = 1s\n")));
  EXPECT_TRUE(entered_at_once(plan_of(kRootfs + "lxc.cgroup.memory.limit_in_bytes = 1G\n")));
  EXPECT_TRUE(entered_at_once(plan_of(kRootfs + "lxc.idmap = u 0 100000 65536\nlxc.idmap = g 0 100000 65536\n")));
  // Without a cgroup namespace nothing follows it, but the mounts are still passed.
  EXPECT_FALSE(entered_at_once(plan_of(kRootfs + "lxc.namespace.clone = mnt pid uts ipc net\n")));
}

TEST(PlanOrder, AutodevOffDropsDevSteps) {
  Plan p = plan_of(kRootfs + "lxc.autodev = 0\nlxc.hook.autodev = /h\n");
  EXPECT_EQ(p.find("mount-dev"), nullptr);
  EXPECT_EQ(p.find("hook-autodev"), nullptr);
  EXPECT_EQ(p.find("create-dev-nodes"), nullptr);
  EXPECT_EQ(p.find("set-boot-id"), nullptr);
}

TEST(PlanOrder, MountLinesFstabEntriesHelpersShmountsThenIdmapped) {
  PlanOptions o = options();
  o.read_file = [](const std::string& path) -> Result<std::string> {
    EXPECT_EQ(path, "/etc/c1.fstab");
    return std::string("/a a none bind 0 0\n/fi fi none bind,idmap=container 0 0\n");
  };
  Plan p = plan_of(kRootfs + R"(lxc.idmap = u 0 100000 65536
lxc.idmap = g 0 100000 65536
lxc.mount.fstab = /etc/c1.fstab
lxc.mount.entry = /b b none bind 0 0
lxc.mount.entry = /ei ei none bind,idmap=container,create=dir 0 0
lxc.mount.entry = # a comment is nothing
lxc.apparmor.allow_nesting = 1
lxc.mount.auto = shmounts:/srv/sh
)",
                   o);
  auto targets = [](const MountEntries& m) {
    std::vector<std::string> t;
    for (const PlannedMount& pm : m.mounts) t.push_back(pm.target + (pm.create_only ? " (create)" : ""));
    return t;
  };
  EXPECT_EQ(targets(data<MountEntries>(p, "mount-fstab")), std::vector<std::string>{"/r/a"});
  EXPECT_EQ(targets(data<MountEntries>(p, "mount-entries")),
            (std::vector<std::string>{"/r/b", "/r/ei (create)", "/r/dev/.lxc/proc", "/r/dev/.lxc/sys",
                                      "/r/dev/.lxc-mounts"}));
  EXPECT_EQ(targets(data<MountEntries>(p, "mount-idmapped")), (std::vector<std::string>{"/r/ei", "/r/fi"}));
  const MountEntries& e = data<MountEntries>(p, "mount-entries");
  EXPECT_EQ(e.mounts[0].where, "t.conf:6:1");
  EXPECT_EQ(e.mounts[2].from, "lxc.apparmor.allow_nesting");
  EXPECT_TRUE(e.mounts[2].entry.optional);
  EXPECT_EQ(e.mounts[4].from, "lxc.mount.auto");
  EXPECT_EQ(e.mounts[4].source, "/srv/sh");
  EXPECT_TRUE(e.mounts[4].entry.create_dir);
  EXPECT_EQ(data<MountEntries>(p, "mount-fstab").mounts[0].where, "/etc/c1.fstab:1:1");
  EXPECT_EQ(data<PivotRoot>(p, "pivot-root").rslave_after, "/dev/.lxc-mounts");
}

// ---- mount targets (spec §5) --------------------------------------------------------------------

std::vector<std::string> entry_targets(const std::string& text, const PlanOptions& o = options()) {
  Plan p = plan_of(text, o);
  std::vector<std::string> t;
  if (const Step* s = p.find("mount-entries"))
    for (const PlannedMount& m : std::get<MountEntries>(s->data).mounts) t.push_back(m.target);
  return t;
}

TEST(PlanTargets, RelativeTargetsGoUnderTheRootfsMount) {
  EXPECT_EQ(entry_targets(kRootfs + "lxc.mount.entry = tmpfs run tmpfs rw 0 0\n"), std::vector<std::string>{"/r/run"});
  EXPECT_EQ(entry_targets("lxc.rootfs.path = /x\nlxc.mount.entry = tmpfs run/a tmpfs rw 0 0\n"),
            std::vector<std::string>{"/usr/lib/x86_64-linux-gnu/lxc/rootfs/run/a"});
}

TEST(PlanTargets, AbsoluteTargetUnderLxcpathNameRootfs) {
  EXPECT_EQ(entry_targets(kRootfs + "lxc.mount.entry = /s /var/lib/lxc/c1/rootfs/srv/x none bind 0 0\n"),
            std::vector<std::string>{"/r/srv/x"});
  PlanOptions o = options();
  o.lxcpath = "/ct/";
  // The rootfs lives elsewhere, but the target names <lxcpath>/<name>/rootfs.
  EXPECT_EQ(entry_targets("lxc.rootfs.path = /images/c1\nlxc.rootfs.mount = /r\n"
                          "lxc.mount.entry = /s /ct/c1/rootfs/srv none bind 0 0\n",
                          o),
            std::vector<std::string>{"/r/srv"});
}

TEST(PlanTargets, AbsoluteTargetUnderRootfsPath) {
  EXPECT_EQ(entry_targets("lxc.rootfs.path = /images/c1\nlxc.rootfs.mount = /r\n"
                          "lxc.mount.entry = /s /images/c1/srv none bind 0 0\n"
                          "lxc.mount.entry = /s /images/c1 none bind 0 0\n"),
            (std::vector<std::string>{"/r/srv", "/r"}));
}

TEST(PlanTargets, AbsoluteTargetOutsideIsSkippedWithAWarning) {
  Plan p = plan_of(kRootfs +
                   "lxc.mount.entry = /s /srv none bind 0 0\n"
                   "lxc.mount.entry = /s /var/lib/lxc/c1/rootfs2/x none bind 0 0\n");
  EXPECT_EQ(p.find("mount-entries"), nullptr);
  EXPECT_EQ(warnings(p),
            (std::vector<std::string>{
                "t.conf:3:1: lxc.mount.entry: target `/srv` is not inside the container's rootfs "
                "(`/var/lib/lxc/c1/rootfs`), so the entry is skipped",
                "t.conf:4:1: lxc.mount.entry: target `/var/lib/lxc/c1/rootfs2/x` is not inside the container's rootfs "
                "(`/var/lib/lxc/c1/rootfs`), so the entry is skipped"}));
}

TEST(PlanTargets, WithoutRootfsTargetsAreHostPaths) {
  EXPECT_EQ(entry_targets("lxc.mount.entry = tmpfs run tmpfs rw 0 0\nlxc.mount.entry = tmpfs /mnt/x tmpfs rw 0 0\n"),
            (std::vector<std::string>{"/run", "/mnt/x"}));
}

TEST(PlanTargets, RelativeSourceAndIdmappedTarget) {
  Plan p = plan_of(kRootfs +
                   "lxc.idmap = u 0 1000 1\nlxc.idmap = g 0 1000 1\n"
                   "lxc.mount.entry = etc/a etc/b none bind,relative 0 0\n"
                   "lxc.mount.entry = /data /opt/app none bind,idmap=container 0 0\n");
  EXPECT_EQ(data<MountEntries>(p, "mount-entries").mounts[0].source, "/r/etc/a");
  PlannedMount idm = data<MountEntries>(p, "mount-idmapped").mounts[0];  // a copy: data() returns one
  EXPECT_EQ(idm.target, "/r/opt/app");  // always relative to the rootfs
  EXPECT_EQ(idm.source, "/data");
}

TEST(PlanTargets, BindRemountOnlyWithExtraFlags) {
  Plan p = plan_of(kRootfs +
                   "lxc.mount.entry = /a a none bind 0 0\nlxc.mount.entry = /b b none rbind,ro 0 0\n"
                   "lxc.mount.entry = tmpfs t tmpfs ro 0 0\n");
  const auto& m = data<MountEntries>(p, "mount-entries").mounts;
  EXPECT_FALSE(m[0].remount);
  EXPECT_TRUE(m[1].remount);
  EXPECT_FALSE(m[2].remount);
}

TEST(PlanTargets, BadEntriesAndIdmapsWithoutUserns) {
  EXPECT_EQ(error_of(kRootfs + "lxc.mount.entry = onlyone\n"),
            "t.conf:3:1: lxc.mount.entry: expected the mount target (field 2): a mount line reads 'SOURCE TARGET "
            "TYPE OPTIONS [FREQ [PASSNO]]'");
  EXPECT_EQ(error_of(kRootfs + "lxc.mount.entry = /d d none bind,idmap=container 0 0\n"),
            "t.conf:3:1: lxc.mount.entry: 'idmap=container' needs a user namespace (lxc.idmap)");
}

TEST(PlanTargets, FstabErrorsNameTheFstabLine) {
  PlanOptions o = options();
  o.read_file = [](const std::string&) -> Result<std::string> { return std::string("# ok\n/a a auto bind 0 0\n"); };
  std::string e = error_of(kRootfs + "lxc.mount.fstab = /etc/f\n", o);
  EXPECT_EQ(e.substr(0, 52), "lxc.mount.fstab (set at t.conf:3:1): /etc/f:2:6: fil") << e;
  o.read_file = [](const std::string&) -> Result<std::string> {
    return std::string("/d d none bind,idmap=container 0 0\n");
  };
  EXPECT_EQ(error_of(kRootfs + "lxc.mount.fstab = /etc/f\n", o),
            "lxc.mount.fstab (set at t.conf:3:1): /etc/f:1:1: 'idmap=container' needs a user namespace (lxc.idmap)");
  EXPECT_EQ(error_of(kRootfs + "lxc.mount.fstab = /etc/missing\n"),
            "t.conf:3:1: lxc.mount.fstab: cannot read `/etc/missing`: No such file or directory");
}

// ---- proc, sys, dev, devpts ---------------------------------------------------------------------

TEST(PlanAutomounts, ProcMixedWithNetAdmin) {
  Plan p = plan_of(kRootfs + "lxc.mount.auto = proc\n");
  EXPECT_EQ(ops(data<Mounts>(p, "mount-proc")),
            (std::vector<std::string>{"detach R/proc", "mkdir R/proc", "mount proc -> R/proc NOSUID|NODEV|NOEXEC",
                                      "bind R/proc/sys/net -> R/proc/tty", "bind R/proc/sys -> R/proc/sys",
                                      "remount R/proc/sys RDONLY|BIND", "move R/proc/tty -> R/proc/sys/net",
                                      "bind R/proc/sysrq-trigger -> R/proc/sysrq-trigger",
                                      "remount R/proc/sysrq-trigger RDONLY|BIND"}));
  for (const MountOp& o : data<Mounts>(p, "mount-proc").ops)
    if (o.kind != MountOp::Kind::detach && o.kind != MountOp::Kind::mkdir) {
      EXPECT_TRUE(o.skip_if_missing);
    }
}

TEST(PlanAutomounts, ProcMixedWithoutNetAdmin) {
  Plan p = plan_of(kRootfs + "lxc.mount.auto = proc:mixed\nlxc.cap.drop = net_admin\n");
  EXPECT_EQ(ops(data<Mounts>(p, "mount-proc")),
            (std::vector<std::string>{"detach R/proc", "mkdir R/proc", "mount proc -> R/proc NOSUID|NODEV|NOEXEC",
                                      "bind R/proc/sys -> R/proc/sys", "remount R/proc/sys RDONLY|BIND",
                                      "bind R/proc/sysrq-trigger -> R/proc/sysrq-trigger",
                                      "remount R/proc/sysrq-trigger RDONLY|BIND"}));
  // keep without net_admin: dropped too
  Plan k = plan_of(kRootfs + "lxc.mount.auto = proc:mixed\nlxc.cap.keep = sys_admin\n");
  EXPECT_EQ(ops(data<Mounts>(k, "mount-proc")).size(), 7u);
}

TEST(PlanAutomounts, ProcRwAndNoRootfs) {
  EXPECT_EQ(ops(data<Mounts>(plan_of(kRootfs + "lxc.mount.auto = proc:rw\n"), "mount-proc")),
            (std::vector<std::string>{"detach R/proc", "mkdir R/proc", "mount proc -> R/proc NOSUID|NODEV|NOEXEC"}));
  EXPECT_EQ(ops(data<Mounts>(plan_of("lxc.mount.auto = proc:rw\n"), "mount-proc"), ""),
            (std::vector<std::string>{"mkdir /proc", "mount proc -> /proc NOSUID|NODEV|NOEXEC"}));
}

TEST(PlanAutomounts, SysVariants) {
  EXPECT_EQ(ops(data<Mounts>(plan_of(kRootfs + "lxc.mount.auto = sys\n"), "mount-sys")),
            (std::vector<std::string>{"detach R/sys", "mkdir R/sys", "mount sysfs -> R/sys NOSUID|NODEV|NOEXEC",
                                      "bind R/sys/devices/virtual/net -> R/sys/devices/virtual/net",
                                      "remount R/sys RDONLY|NOSUID|NODEV|NOEXEC|BIND"}));
  EXPECT_EQ(ops(data<Mounts>(plan_of(kRootfs + "lxc.mount.auto = sys:ro\n"), "mount-sys")),
            (std::vector<std::string>{"detach R/sys", "mkdir R/sys", "mount sysfs -> R/sys RDONLY"}));
  EXPECT_EQ(ops(data<Mounts>(plan_of(kRootfs + "lxc.mount.auto = sys:rw\n"), "mount-sys")),
            (std::vector<std::string>{"detach R/sys", "mkdir R/sys", "mount sysfs -> R/sys"}));
}

TEST(PlanAutomounts, DevTmpfsAndNodes) {
  Plan p = plan_of(kRootfs + "lxc.autodev.tmpfs.size = 1000000\n");
  const Mounts& dev = data<Mounts>(p, "mount-dev");
  EXPECT_EQ(ops(dev), (std::vector<std::string>{"mkdir R/dev", "mount none -> R/dev", "mkdir R/dev/pts"}));
  EXPECT_EQ(dev.ops[1].data, "size=1000000,mode=755");
  EXPECT_EQ(data<Mounts>(plan_of(kRootfs), "mount-dev").ops[1].data, "size=500000,mode=755");
  const CreateDevNodes& n = data<CreateDevNodes>(p, "create-dev-nodes");
  std::vector<std::string> nodes;
  for (const DevNode& d : n.nodes)
    nodes.push_back(std::string(d.name) + " " + std::to_string(d.major) + ":" + std::to_string(d.minor));
  EXPECT_EQ(nodes,
            (std::vector<std::string>{"full 1:7", "null 1:3", "random 1:8", "tty 5:0", "urandom 1:9", "zero 1:5"}));
  EXPECT_EQ(n.dev_dir, "/r/dev");
}

TEST(PlanAutomounts, DevptsMaxIsPtyPlusTty) {
  Plan p = plan_of(kRootfs + "lxc.pty.max = 10\nlxc.tty.max = 4\n");
  const Mounts& m = data<Mounts>(p, "mount-devpts");
  EXPECT_EQ(m.ops[2].data, "gid=5,newinstance,ptmxmode=0666,mode=0620,max=14");
  EXPECT_EQ(m.ops[2].flags, static_cast<unsigned long>(MS_NOSUID | MS_NOEXEC));
  EXPECT_EQ(plan_of(kRootfs).find("mount-devpts"), nullptr);
  EXPECT_NE(plan_of(kRootfs + "lxc.tty.max = 1\n").find("mount-devpts"), nullptr);
}

TEST(PlanAutomounts, DevptsOnlyForTtysIsUnmountedOnceTheyExist) {
  Plan p = plan_of(kRootfs + "lxc.tty.max = 2\n");  // lxc.pty.max 0
  EXPECT_EQ(ops(data<Mounts>(p, "unmount-devpts")), std::vector<std::string>{"unmount R/dev/pts"});
  EXPECT_LT(p.find("setup-ttys"), p.find("unmount-devpts"));
  EXPECT_EQ(plan_of(kRootfs + "lxc.tty.max = 2\nlxc.pty.max = 1\n").find("unmount-devpts"), nullptr);
}

TEST(PlanAutomounts, TtysBoundOnlyInStartMode) {
  Plan p = plan_of(kRootfs + "lxc.tty.max = 2\nlxc.tty.dir = lxc\n");
  const SetupTtys& t = data<SetupTtys>(p, "setup-ttys");
  EXPECT_TRUE(t.bind);
  EXPECT_EQ(t.targets, (std::vector<std::string>{"/r/dev/lxc/tty1", "/r/dev/lxc/tty2"}));
  EXPECT_EQ(t.symlinks[1], std::make_pair(std::string("/r/dev/tty2"), std::string("lxc/tty2")));
  PlanOptions o = options();
  o.mode = RunMode::execute;
  o.command = {"/bin/true"};
  EXPECT_FALSE(data<SetupTtys>(plan_of(kRootfs + "lxc.tty.max = 2\n", o), "setup-ttys").bind);
}

// ---- cgroup automounts -------------------------------------------------------------------------------

TEST(PlanCgroupMount, NothingWithCgroupNamespaceAndSysAdmin) {
  const Mounts& m = data<Mounts>(plan_of(kRootfs + "lxc.mount.auto = cgroup:mixed\n"), "mount-cgroup");
  EXPECT_TRUE(m.ops.empty());
  EXPECT_NE(m.note.find("nothing to mount"), std::string::npos);
}

TEST(PlanCgroupMount, ForcedInCgroupNamespaceMountsEachHierarchy) {
  // Without CAP_SYS_ADMIN the mount is forced.
  Plan p = plan_of(kRootfs + "lxc.mount.auto = cgroup\nlxc.cap.drop = sys_admin\n");
  std::vector<std::string> o = ops(data<Mounts>(p, "mount-cgroup"));
  ASSERT_EQ(o.size(), 13u);
  EXPECT_EQ(o[0], "mount none -> R/sys/fs/cgroup NOSUID|NODEV|NOEXEC|RELATIME");
  EXPECT_EQ(o[1], "mkdir R/sys/fs/cgroup/cpu");
  EXPECT_EQ(o[2], "mount none -> R/sys/fs/cgroup/cpu NOSUID|NODEV|NOEXEC|RELATIME");
  EXPECT_EQ(o[12], "mount none -> R/sys/fs/cgroup/unified NOSUID|NODEV|NOEXEC|RELATIME");
  EXPECT_EQ(data<Mounts>(p, "mount-cgroup").ops[10].data, "name=systemd");
}

TEST(PlanCgroupMount, WithoutCgroupNamespaceBindsTheOwnCgroup) {
  Plan p = plan_of(kRootfs + "lxc.mount.auto = cgroup:ro\nlxc.namespace.keep = cgroup user time\n");
  std::vector<std::string> o = ops(data<Mounts>(p, "mount-cgroup"));
  ASSERT_GE(o.size(), 7u);
  EXPECT_EQ(std::vector<std::string>(o.begin() + 1, o.begin() + 8),
            (std::vector<std::string>{
                "mkdir R/sys/fs/cgroup/cpu", "mkdir_p R/sys/fs/cgroup/cpu/lxc.payload.c1",
                "bind R/sys/fs/cgroup/cpu -> R/sys/fs/cgroup/cpu", "remount R/sys/fs/cgroup/cpu RDONLY|BIND",
                "bind /sys/fs/cgroup/cpu/lxc.payload.c1 -> R/sys/fs/cgroup/cpu/lxc.payload.c1 RDONLY",
                "remount R/sys/fs/cgroup/cpu/lxc.payload.c1 RDONLY|BIND", "mkdir R/sys/fs/cgroup/memory"}));
  // rw: only the own cgroup, writable
  Plan rw = plan_of(kRootfs + "lxc.mount.auto = cgroup:rw\nlxc.namespace.keep = cgroup user time\n");
  std::vector<std::string> r = ops(data<Mounts>(rw, "mount-cgroup"));
  EXPECT_EQ(std::vector<std::string>(r.begin() + 1, r.begin() + 4),
            (std::vector<std::string>{"mkdir R/sys/fs/cgroup/cpu", "mkdir_p R/sys/fs/cgroup/cpu/lxc.payload.c1",
                                      "bind /sys/fs/cgroup/cpu/lxc.payload.c1 -> R/sys/fs/cgroup/cpu/lxc.payload.c1"}));
}

TEST(PlanCgroupMount, UnifiedHost) {
  Plan p = plan_of(kRootfs + "lxc.mount.auto = cgroup:ro\n", options(unified_host()));
  EXPECT_EQ(ops(data<Mounts>(p, "mount-cgroup")),
            std::vector<std::string>{"mount none -> R/sys/fs/cgroup RDONLY|NOSUID|NODEV|NOEXEC|RELATIME"});
  Plan mixed = plan_of(kRootfs + "lxc.mount.auto = cgroup:mixed\n", options(unified_host()));
  EXPECT_EQ(ops(data<Mounts>(mixed, "mount-cgroup")),
            std::vector<std::string>{"mount none -> R/sys/fs/cgroup NOSUID|NODEV|NOEXEC|RELATIME"});
  EXPECT_EQ(error_of(kRootfs + "lxc.mount.auto = cgroup\nlxc.namespace.keep = cgroup\n", options(unified_host())),
            "t.conf:3:1: lxc.mount.auto: 'cgroup' mounts cgroup2, which needs a cgroup namespace, but the container "
            "does not get one");
}

TEST(PlanCgroupMount, Cgroup2TokenMountsEvenWithSysAdmin) {
  // Unlike cgroup:*, cgroup2 and cgroup2:ro are mounted for an init that
  // keeps CAP_SYS_ADMIN in its cgroup namespace too, as by LXC 5.0.2.
  EXPECT_EQ(ops(data<Mounts>(plan_of(kRootfs + "lxc.mount.auto = cgroup2\n"), "mount-cgroup")),
            std::vector<std::string>{"mount none -> R/sys/fs/cgroup NOSUID|NODEV|NOEXEC|RELATIME"});
  EXPECT_EQ(ops(data<Mounts>(plan_of(kRootfs + "lxc.mount.auto = cgroup2:ro\n"), "mount-cgroup")),
            std::vector<std::string>{"mount none -> R/sys/fs/cgroup RDONLY|NOSUID|NODEV|NOEXEC|RELATIME"});
}

TEST(PlanCgroupMount, Cgroup2TokenNeedsTheUnifiedHierarchy) {
  Plan p = plan_of(kRootfs + "lxc.mount.auto = cgroup2:force\n");  // hybrid: /sys/fs/cgroup/unified
  EXPECT_EQ(ops(data<Mounts>(p, "mount-cgroup")),
            std::vector<std::string>{"mount none -> R/sys/fs/cgroup NOSUID|NODEV|NOEXEC|RELATIME"});
  EXPECT_EQ(error_of(kRootfs + "lxc.mount.auto = cgroup2:force\n", options(legacy_host())),
            "t.conf:3:1: lxc.mount.auto: 'cgroup2:force' needs the unified cgroup2 hierarchy, which is not mounted on "
            "this host");
}

// ---- capabilities -----------------------------------------------------------------------------------

TEST(PlanCaps, DropInOrderWithoutDuplicates) {
  const DropCapabilities& d = data<DropCapabilities>(
      plan_of(kRootfs + "lxc.cap.drop = sys_time mknod\nlxc.cap.drop = 21 sys_time\n"), "drop-capabilities");
  EXPECT_EQ(d.mode, config::CapMode::drop);
  EXPECT_EQ(d.drop, (std::vector<int>{25, 27, 21}));
  EXPECT_EQ(cap_name(21), "cap_sys_admin");
}

TEST(PlanCaps, KeepDropsEverythingElseUpToLastCap) {
  PlanOptions o = options();
  o.host.cap_last_cap = 38;
  const DropCapabilities& d =
      data<DropCapabilities>(plan_of(kRootfs + "lxc.cap.keep = chown sys_admin\n", o), "drop-capabilities");
  EXPECT_EQ(d.drop.size(), 37u);
  EXPECT_EQ(d.drop.front(), 1);
  EXPECT_EQ(d.drop.back(), 38);
  EXPECT_EQ(std::count(d.drop.begin(), d.drop.end(), 21), 0);
  const DropCapabilities& none =
      data<DropCapabilities>(plan_of(kRootfs + "lxc.cap.keep = none\n", o), "drop-capabilities");
  EXPECT_EQ(none.drop.size(), 39u);
}

TEST(PlanCaps, AboveTheKernelsLastCap) {
  PlanOptions o = options();
  o.host.cap_last_cap = 39;
  Plan p = plan_of(kRootfs + "lxc.cap.drop = checkpoint_restore bpf\n", o);
  EXPECT_EQ(data<DropCapabilities>(p, "drop-capabilities").drop, std::vector<int>{39});
  EXPECT_EQ(warnings(p),
            std::vector<std::string>{"t.conf:3:1: lxc.cap.drop: 'checkpoint_restore' is above the kernel's "
                                     "last capability (39), so there is nothing to drop"});
  Plan k = plan_of(kRootfs + "lxc.cap.keep = checkpoint_restore\n", o);
  EXPECT_EQ(data<DropCapabilities>(k, "drop-capabilities").drop.size(), 40u);
  EXPECT_EQ(k.warnings.size(), 1u);
}

TEST(PlanCaps, NoCapKeyNoStep) { EXPECT_EQ(plan_of(kRootfs).find("drop-capabilities"), nullptr); }

// ---- limits, sysctls, /proc ---------------------------------------------------------------------------

TEST(PlanRlimits, NamesAndNumbers) {
  const SetRlimits& r = data<SetRlimits>(
      plan_of(kRootfs + "lxc.prlimit.nofile = 1024:4096\nlxc.prlimit.7 = unlimited\nlxc.prlimit.core = 0\n"),
      "set-rlimits");
  ASSERT_EQ(r.limits.size(), 3u);
  EXPECT_EQ(r.limits[0].resource, RLIMIT_NOFILE);
  EXPECT_EQ(r.limits[0].soft, 1024u);
  EXPECT_EQ(r.limits[0].hard, 4096u);
  EXPECT_EQ(r.limits[1].resource, 7);
  EXPECT_EQ(r.limits[1].soft, RLIM_INFINITY);
  EXPECT_EQ(r.limits[2].resource, RLIMIT_CORE);
  EXPECT_EQ(r.limits[2].where, "t.conf:5:1");
}

TEST(PlanRlimits, UnknownResourcesAreErrorsAtTheirLine) {
  EXPECT_EQ(error_of(kRootfs + "lxc.prlimit.nofle = 1\n"),
            "t.conf:3:1: lxc.prlimit.nofle: unknown resource 'nofle' (did you mean 'nofile'?)");
  EXPECT_EQ(error_of(kRootfs + "lxc.prlimit.99 = 1\n"),
            "t.conf:3:1: lxc.prlimit.99: resource number 99 is not known to the kernel (the last is 15)");
}

TEST(PlanSysctls, DotsBecomeSlashes) {
  const SetSysctls& s = data<SetSysctls>(
      plan_of(kRootfs + "lxc.sysctl.net.ipv4.ip_forward = 1\nlxc.sysctl.kernel/shmmax = 5\n"), "set-sysctls");
  ASSERT_EQ(s.sysctls.size(), 2u);
  EXPECT_EQ(s.sysctls[0].path, "/proc/sys/net/ipv4/ip_forward");
  EXPECT_EQ(s.sysctls[1].path, "/proc/sys/kernel/shmmax");
}

TEST(PlanProc, WritesInConfigOrder) {
  const WriteProc& w =
      data<WriteProc>(plan_of(kRootfs + "lxc.proc.oom_score_adj = 10\nlxc.proc.setgroups = deny\n"), "write-proc");
  ASSERT_EQ(w.writes.size(), 2u);
  EXPECT_EQ(w.writes[1].file, "setgroups");
  EXPECT_EQ(w.writes[1].value, "deny");
}

// ---- cgroups ---------------------------------------------------------------------------------------------

TEST(PlanCgroups, DirectoriesByDefaultAndFromKeys) {
  const CreateCgroups& d = data<CreateCgroups>(plan_of(kRootfs), "create-cgroups");
  EXPECT_EQ(d.monitor, "lxc.monitor.c1");
  EXPECT_EQ(d.payload, "lxc.payload.c1");
  EXPECT_EQ(d.pivot, "lxc.pivot");
  EXPECT_TRUE(d.payload_retry);
  const CreateCgroups& dir = data<CreateCgroups>(plan_of(kRootfs + "lxc.cgroup.dir = a/b\n"), "create-cgroups");
  EXPECT_EQ(dir.payload, "a/b/lxc.payload.c1");
  EXPECT_EQ(dir.monitor, "a/b/lxc.monitor.c1");
  const CreateCgroups& both =
      data<CreateCgroups>(plan_of(kRootfs + "lxc.cgroup.dir.container = ct\nlxc.cgroup.dir.monitor = mon\n"
                                            "lxc.cgroup.dir.container.inner = inner\n"),
                          "create-cgroups");
  EXPECT_EQ(both.payload, "ct");
  EXPECT_EQ(both.payload_inner, "ct/inner");
  EXPECT_FALSE(both.payload_retry);
  EXPECT_EQ(error_of(kRootfs + "lxc.cgroup.dir.container = ct\n"),
            "t.conf:3:1: lxc.cgroup.dir.container and lxc.cgroup.dir.monitor must be set together");
  EXPECT_EQ(error_of(kRootfs + "lxc.cgroup.dir = a\nlxc.cgroup.dir.monitor = m\nlxc.cgroup.dir.container = c\n"),
            "t.conf:5:1: lxc.cgroup.dir cannot be combined with lxc.cgroup.dir.container, .monitor or "
            ".container.inner (lxc.cgroup.dir is set at t.conf:3:1)");
}

TEST(PlanCgroups, V1OnHybridWithMemswLastAndDevicesSeparate) {
  Plan p = plan_of(kRootfs +
                   "lxc.cgroup.memory.memsw.limit_in_bytes = 2G\nlxc.cgroup.memory.limit_in_bytes = 1G\n"
                   "lxc.cgroup.devices.deny = a\nlxc.cgroup2.memory.max = 1G\n");
  const SetCgroupLimits& l = data<SetCgroupLimits>(p, "set-cgroup-limits");
  EXPECT_EQ(l.version, 1);
  ASSERT_EQ(l.writes.size(), 2u);
  EXPECT_EQ(l.writes[0].file, "memory.limit_in_bytes");
  EXPECT_EQ(l.writes[1].file, "memory.memsw.limit_in_bytes");
  const SetCgroupLimits& d = data<SetCgroupLimits>(p, "set-cgroup-devices");
  EXPECT_TRUE(d.device_rules);
  ASSERT_EQ(d.writes.size(), 1u);
  EXPECT_EQ(warnings(p), std::vector<std::string>{
                             "t.conf:6:1: lxc.cgroup2.* is ignored: the host's cgroup layout is hybrid, and LXC "
                             "applies cgroup2 settings only on a pure cgroup2 host"});
}

TEST(PlanCgroups, V2OnUnified) {
  Plan p = plan_of(kRootfs +
                       "lxc.cgroup.memory.limit_in_bytes = 1G\nlxc.cgroup2.memory.max = 1G\n"
                       "lxc.cgroup2.devices.allow = c 1:3 rwm\n",
                   options(unified_host()));
  const SetCgroupLimits& l = data<SetCgroupLimits>(p, "set-cgroup-limits");
  EXPECT_EQ(l.version, 2);
  ASSERT_EQ(l.writes.size(), 1u);
  EXPECT_EQ(l.writes[0].value, "1G");
  EXPECT_EQ(data<SetCgroupLimits>(p, "set-cgroup-devices").writes[0].value, "c 1:3 rwm");
  EXPECT_EQ(warnings(p), std::vector<std::string>{
                             "t.conf:3:1: lxc.cgroup.* is ignored: the host has only the unified cgroup2 hierarchy"});
}

TEST(PlanCgroups, UnknownV1Controller) {
  EXPECT_EQ(error_of(kRootfs + "lxc.cgroup.blkio.weight = 10\n"),
            "t.conf:3:1: lxc.cgroup.blkio.weight: no cgroup v1 hierarchy of this host has the 'blkio' controller");
}

// ---- rootfs -----------------------------------------------------------------------------------------------

TEST(PlanRootfs, OptionsSplitIntoFlagsAndData) {
  const MountRootfs& r =
      data<MountRootfs>(plan_of(kRootfs + "lxc.rootfs.options = ro,nodev,uid=5,rslave\n"), "mount-rootfs");
  EXPECT_EQ(r.source, "/var/lib/lxc/c1/rootfs");
  EXPECT_EQ(r.target, "/r");
  EXPECT_EQ(r.storage, "dir");
  EXPECT_EQ(r.flags, static_cast<unsigned long>(MS_BIND | MS_REC | MS_RDONLY | MS_NODEV));
  EXPECT_EQ(r.data, "uid=5");
  EXPECT_EQ(r.propagation, static_cast<unsigned long>(MS_SLAVE | MS_REC));
  EXPECT_TRUE(r.remount);
  EXPECT_FALSE(data<MountRootfs>(plan_of(kRootfs), "mount-rootfs").remount);
}

TEST(PlanRootfs, StorageAndIdmapErrors) {
  EXPECT_EQ(error_of("lxc.rootfs.path = zfs:/a\n"),
            "t.conf:1:1: lxc.rootfs.path: storage type 'zfs' is not supported: corral mounts directories ('dir', "
            "'btrfs') and overlays ('overlay') only");
  EXPECT_EQ(error_of("lxc.rootfs.path = overlay:/a\n"),
            "t.conf:1:1: lxc.rootfs.path: an overlay rootfs is written overlay:LOWER:UPPER");
  // LXC's overlay: LOWER:UPPER, the work directory beside UPPER.
  const MountRootfs& ovl = data<MountRootfs>(plan_of("lxc.rootfs.path = overlayfs:/base/rootfs:/c1/overlay/delta\n"),
                                             "mount-rootfs");
  EXPECT_EQ(ovl.storage, "overlay");
  EXPECT_EQ(ovl.source, "/base/rootfs");
  EXPECT_EQ(ovl.upper, "/c1/overlay/delta");
  EXPECT_EQ(ovl.work, "/c1/overlay/olwork");
  EXPECT_EQ(error_of(kRootfs + "lxc.rootfs.options = idmap=container\n"),
            "t.conf:3:1: lxc.rootfs.options: an idmapped rootfs ('idmap=container') needs lxc.idmap");
  EXPECT_EQ(data<MountRootfs>(plan_of("lxc.rootfs.path = btrfs:/b\n"), "mount-rootfs").storage, "btrfs");
}

// ---- init -----------------------------------------------------------------------------------------------------

TEST(PlanInit, CommandSources) {
  EXPECT_EQ(data<ExecInit>(plan_of(kRootfs), "exec-init").argv, std::vector<std::string>{"/sbin/init"});
  EXPECT_EQ(data<ExecInit>(plan_of(kRootfs + "lxc.init.cmd = /bin/sh  -c\t'x y'\n"), "exec-init").argv,
            (std::vector<std::string>{"/bin/sh", "-c\t'x", "y'"}));
  PlanOptions o = options();
  o.command = {"/bin/echo", "a b"};
  EXPECT_EQ(data<ExecInit>(plan_of(kRootfs + "lxc.init.cmd = /x\n", o), "exec-init").argv, o.command);
  o.command.clear();
  o.mode = RunMode::execute;
  const ExecInit& x =
      data<ExecInit>(plan_of(kRootfs + "lxc.execute.cmd = /bin/sh -c \"echo 'hi there'\"\n", o), "exec-init");
  EXPECT_TRUE(x.shim);
  EXPECT_EQ(x.argv, (std::vector<std::string>{"/bin/sh", "-c", "echo 'hi there'"}));
  EXPECT_EQ(error_of(kRootfs, o), "no command to execute: give one on the command line or set lxc.execute.cmd");
}

TEST(PlanInit, SplitQuotedLikeLxc) {
  bool open = false;
  EXPECT_EQ(split_quoted("  a  'b c'\t\"d\"e  f\"g\" ", &open),
            (std::vector<std::string>{"a", "b c", "d", "e", "f\"g\""}));
  EXPECT_FALSE(open);
  EXPECT_EQ(split_quoted("a 'b c", &open), std::vector<std::string>{"a"});
  EXPECT_TRUE(open);
  EXPECT_TRUE(split_quoted("").empty());
}

TEST(PlanInit, EnvironmentIsConfigPlusContainer) {
  const ExecInit& x = data<ExecInit>(
      plan_of(kRootfs + "lxc.environment = A=1\nlxc.environment = container=docker\nlxc.environment = B=x=y\n"
                        "lxc.environment = A=2\n"),
      "exec-init");
  EXPECT_EQ(x.env, (std::vector<std::string>{"A=2", "container=lxc", "B=x=y"}));
  EXPECT_EQ(data<ExecInit>(plan_of(kRootfs), "exec-init").env, std::vector<std::string>{"container=lxc"});
  EXPECT_EQ(error_of(kRootfs + "lxc.environment = =x\n"),
            "t.conf:3:1: lxc.environment: '=x' has an empty variable name");
}

TEST(PlanInit, IdsGroupsCwd) {
  const ExecInit& x = data<ExecInit>(
      plan_of(kRootfs + "lxc.init.uid = 1000\nlxc.init.gid = 100\nlxc.init.groups = 10,20\nlxc.init.cwd = /home\n"),
      "exec-init");
  EXPECT_EQ(x.uid, 1000u);
  EXPECT_EQ(x.gid, 100u);
  EXPECT_EQ(x.groups, (std::vector<uint32_t>{10, 20}));
  EXPECT_FALSE(x.drop_groups);
  EXPECT_EQ(x.cwd, "/home");
  const ExecInit& d = data<ExecInit>(plan_of(kRootfs), "exec-init");
  EXPECT_TRUE(d.drop_groups);
  EXPECT_EQ(d.cwd, "/");
  EXPECT_FALSE(data<ExecInit>(plan_of(kRootfs + "lxc.cap.drop = setgid\n"), "exec-init").drop_groups);
  EXPECT_FALSE(
      data<ExecInit>(plan_of(kRootfs + "lxc.idmap = u 0 1 1\nlxc.idmap = g 0 1 1\n"), "exec-init").drop_groups);
}

TEST(PlanInit, Signals) {
  Plan p = plan_of(kRootfs);
  EXPECT_EQ(p.signals.halt, SIGPWR);
  EXPECT_TRUE(p.signals.halt_default);
  EXPECT_EQ(p.signals.reboot, SIGINT);
  EXPECT_EQ(p.signals.stop, SIGKILL);
  EXPECT_EQ(p.signals.monitor_death, SIGKILL);
  Plan q = plan_of(kRootfs +
                   "lxc.signal.halt = SIGUSR1\nlxc.signal.reboot = SIGTERM\nlxc.signal.stop = 15\n"
                   "lxc.monitor.signal.pdeath =\n");
  EXPECT_EQ(q.signals.halt, SIGUSR1);
  EXPECT_FALSE(q.signals.halt_default);
  EXPECT_EQ(q.signals.reboot, SIGTERM);
  EXPECT_EQ(q.signals.stop, SIGTERM);
  EXPECT_EQ(q.signals.monitor_death, 0);
}

TEST(PlanInit, SecurityStepsComeLast) {
  Plan p = plan_of(kRootfs + "lxc.no_new_privs = 1\nlxc.seccomp.profile = /p.seccomp\nlxc.seccomp.allow_nesting = 1\n");
  const LoadSeccomp& s = data<LoadSeccomp>(p, "load-seccomp");
  EXPECT_EQ(s.profile, "/p.seccomp");
  EXPECT_TRUE(s.allow_nesting);
  std::vector<std::string> n = step_names(p);
  auto pos = [&](const char* s) { return std::find(n.begin(), n.end(), s) - n.begin(); };
  EXPECT_LT(pos("set-no-new-privs"), pos("load-seccomp"));
  EXPECT_EQ(pos("load-seccomp") + 1, pos("exec-init"));
}

// ---- hooks ------------------------------------------------------------------------------------------------------

TEST(PlanHooks, Version0And1) {
  Plan p = plan_of(kRootfs + "lxc.hook.mount = /bin/hook arg\n");
  const RunHooks& h = data<RunHooks>(p, "hook-mount");
  EXPECT_EQ(h.commands[0].shell, "exec /bin/hook arg c1 lxc mount");
  EXPECT_EQ(h.commands[0].where, "t.conf:3:1");
  Plan v1 = plan_of(kRootfs + "lxc.hook.version = 1\nlxc.hook.mount = /bin/hook arg\n");
  EXPECT_EQ(data<RunHooks>(v1, "hook-mount").commands[0].shell, "exec /bin/hook arg");
  std::map<std::string, std::string> env(v1.hook_env.begin(), v1.hook_env.end());
  EXPECT_EQ(env["LXC_HOOK_VERSION"], "1");
  EXPECT_EQ(env["LXC_NAME"], "c1");
  EXPECT_EQ(env["LXC_ROOTFS_PATH"], "/var/lib/lxc/c1/rootfs");
  EXPECT_EQ(env["LXC_ROOTFS_MOUNT"], "/r");
  EXPECT_EQ(env["LXC_LOG_LEVEL"], "ERROR");
  EXPECT_EQ(env.count("LXC_CONFIG_FILE"), 0u);
}

TEST(PlanHooks, LogLevelFromTheConfigElseTheToolsDashL) {
  auto level = [](const std::string& conf, int dash_l) {
    PlanOptions o = options();
    o.log_level = dash_l;
    Plan p = plan_of(kRootfs + conf, o);
    std::map<std::string, std::string> env(p.hook_env.begin(), p.hook_env.end());
    return env["LXC_LOG_LEVEL"];
  };
  EXPECT_EQ(level("", -1), "ERROR");
  EXPECT_EQ(level("", 1), "DEBUG");
  EXPECT_EQ(level("lxc.log.level = WARN\n", 1), "WARN");
}

TEST(PlanHooks, TeardownHooksAreStopAndPostStop) {
  EXPECT_FALSE(plan_of(kRootfs).has_teardown_hooks());
  EXPECT_FALSE(plan_of(kRootfs + "lxc.hook.pre-start = /bin/a\nlxc.hook.start-host = /bin/b\n").has_teardown_hooks());
  EXPECT_TRUE(plan_of(kRootfs + "lxc.hook.stop = /bin/a\n").has_teardown_hooks());
  EXPECT_TRUE(plan_of(kRootfs + "lxc.hook.post-stop = /bin/a\n").has_teardown_hooks());
}

TEST(PlanHooks, MonitorCgroupCanWaitUnlessSomeoneWouldSeeIt) {
  auto can_wait = [](const std::string& extra) { return plan_of(kRootfs + extra).monitor_cgroup_can_wait(); };
  EXPECT_TRUE(can_wait(""));
  EXPECT_TRUE(can_wait("lxc.cgroup.dir = outer\n"));
  // Hooks that run before the cgroups, or inside the container.
  EXPECT_TRUE(can_wait("lxc.hook.pre-start = /bin/a\n"));
  EXPECT_TRUE(can_wait("lxc.hook.mount = /bin/a\nlxc.hook.start = /bin/b\n"));
  // LXC runs these in the monitor cgroup.
  EXPECT_FALSE(can_wait("lxc.hook.start-host = /bin/a\n"));
  EXPECT_FALSE(can_wait("lxc.hook.stop = /bin/a\n"));
  EXPECT_FALSE(can_wait("lxc.hook.post-stop = /bin/a\n"));
  EXPECT_FALSE(can_wait("lxc.net.0.type = veth\nlxc.net.0.script.up = /bin/a\n"));
  EXPECT_FALSE(can_wait("lxc.net.0.type = veth\nlxc.net.0.script.down = /bin/a\n"));
  // An explicit name that exists fails LXC's start.
  EXPECT_FALSE(can_wait("lxc.cgroup.dir.monitor = m\nlxc.cgroup.dir.container = p\n"));
}

// ---- describe, tables, probing ---------------------------------------------------------------------------

TEST(PlanDescribe, NumberedStepsAndDeterministic) {
  std::string text = kRootfs + "lxc.mount.auto = proc sys cgroup\nlxc.cap.drop = sys_module\n";
  Plan p = plan_of(text);
  std::string d = describe(p);
  EXPECT_EQ(d, describe(plan_of(text)));
  EXPECT_NE(d.find(" 2. clone (monitor)\n      clone flags CLONE_NEWNS|CLONE_NEWPID|"), std::string::npos) << d;
  EXPECT_NE(d.find("bounding set drop (lxc.cap.drop, last capability 40): cap_sys_module\n"), std::string::npos) << d;
  EXPECT_EQ(d.substr(0, d.find('\n')), "plan for 'c1' (start) in `/var/lib/lxc`");
}

TEST(PlanTables, Vocabulary) {
  ASSERT_EQ(namespaces().size(), 8u);
  EXPECT_EQ(namespaces()[1].clone_flag, static_cast<unsigned long>(CLONE_NEWNS));
  EXPECT_EQ(namespace_info(config::Namespace::cgroup).proc_name, "cgroup");
  EXPECT_EQ(clone_flag_names(CLONE_NEWUSER | CLONE_NEWNET), "CLONE_NEWUSER|CLONE_NEWNET");
  EXPECT_EQ(clone_flag_names(0), "0");
  ASSERT_NE(find_rlimit("sigpending"), nullptr);
  EXPECT_EQ(find_rlimit("sigpending")->resource, RLIMIT_SIGPENDING);
  EXPECT_EQ(find_rlimit("files"), nullptr);
  EXPECT_EQ(signal_name(SIGPWR), "SIGPWR");
  EXPECT_EQ(signal_name(SIGRTMIN + 3), "SIGRTMIN+3");
  EXPECT_EQ(signal_name(SIGRTMAX - 1), "SIGRTMAX-1");
  EXPECT_EQ(mount_flag_names(MS_BIND | MS_REC | MS_RDONLY), "RDONLY|BIND|REC");
  EXPECT_EQ(cap_name(0), "cap_chown");
  EXPECT_EQ(personality_for("i686"), std::optional<unsigned long>(8));
  EXPECT_EQ(personality_for("arm"), std::nullopt);
  ASSERT_EQ(dev_symlinks().size(), 4u);
  EXPECT_EQ(dev_symlinks()[0].target, "/proc/self/fd");
}

TEST(PlanProbe, ReadsThisHost) {
  HostFacts h = probe_host();
  std::ifstream last("/proc/sys/kernel/cap_last_cap");
  int n = -1;
  if (last >> n) {
    EXPECT_EQ(h.cap_last_cap, n);
  }
  bool has_unified = std::any_of(h.cgroup_hierarchies.begin(), h.cgroup_hierarchies.end(),
                                 [](const CgroupHierarchy& c) { return c.unified; });
  if (h.cgroup_layout != CgroupLayout::legacy) {
    EXPECT_TRUE(has_unified);
  }
  if (h.cgroup_layout == CgroupLayout::unified) {
    EXPECT_EQ(h.cgroup_hierarchies.size(), 1u);
  }
  if (h.cgroup_layout == CgroupLayout::hybrid) {
    EXPECT_GT(h.cgroup_hierarchies.size(), 1u);
    for (const CgroupHierarchy& c : h.cgroup_hierarchies) {
      if (c.unified) {
        EXPECT_EQ(c.mount_dir, "unified");
      } else {
        EXPECT_FALSE(c.controllers.empty()) << c.mount_dir;
      }
    }
  }
  EXPECT_EQ(h.cgroup_namespaces, ::access("/proc/self/ns/cgroup", F_OK) == 0);
}

}  // namespace
