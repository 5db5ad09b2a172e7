// probe_host(): the facts about this host that a Plan depends on (cgroup
// layout and hierarchies, namespaces the kernel has, the last capability),
// read once per start and passed to make_plan, which stays pure.
#include <sys/statfs.h>
#include <linux/magic.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <string>

#include "exec/cgroup.hpp"
#include "exec/plan.hpp"
#include "exec/plan_util.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace corral::exec {

using namespace plan_util;

// ---- probing the host -------------------------------------------------------------------------------------

namespace {

/// mountinfo escapes blanks and backslashes as \ooo.
std::string unescape_mountinfo(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' && s[i + 2] <= '7' &&
        s[i + 3] >= '0' && s[i + 3] <= '7') {
      out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::vector<ProcCgroupLine> read_cgroup_file(const std::string& path) {
  std::optional<std::string> text = try_read_text_file(path);
  return text ? parse_proc_cgroup(*text) : std::vector<ProcCgroupLine>();
}

/// The path of the hierarchy that `controllers` identify (all of them in
/// the mount's super options), or of the unified line.
std::optional<std::string> base_of(const std::vector<ProcCgroupLine>& lines, const std::vector<std::string>& superopts,
                                   bool unified, std::vector<std::string>* controllers) {
  for (const ProcCgroupLine& l : lines) {
    if (unified != l.controllers.empty()) continue;
    bool all = true;
    for (const std::string& ctl : l.controllers)
      if (std::find(superopts.begin(), superopts.end(), ctl) == superopts.end()) all = false;
    if (!all) continue;
    if (controllers && !unified) *controllers = l.controllers;
    return l.path;
  }
  return std::nullopt;
}

std::string prune_init_scope(std::string path) {
  constexpr std::string_view scope = "/init.scope";
  if (path.size() >= scope.size() && path.compare(path.size() - scope.size(), scope.size(), scope) == 0)
    path.resize(path.size() - scope.size());
  return path.empty() ? "/" : path;
}

}  // namespace

HostFacts probe_host() {
  HostFacts h;
  struct statfs sfs {};
  if (::statfs(kCgroupRoot, &sfs) == 0) {
    struct statfs u {};
    if (static_cast<unsigned long>(sfs.f_type) == CGROUP2_SUPER_MAGIC)
      h.cgroup_layout = CgroupLayout::unified;
    else if (::statfs("/sys/fs/cgroup/unified", &u) == 0 && static_cast<unsigned long>(u.f_type) == CGROUP2_SUPER_MAGIC)
      h.cgroup_layout = CgroupLayout::hybrid;
    else
      h.cgroup_layout = CgroupLayout::legacy;
  }
  std::vector<ProcCgroupLine> init_lines = read_cgroup_file("/proc/1/cgroup");
  std::vector<ProcCgroupLine> self_lines = read_cgroup_file("/proc/self/cgroup");
  if (init_lines.empty()) init_lines = self_lines;
  if (std::optional<std::string> info = try_read_text_file("/proc/self/mountinfo")) {
    for (std::string_view line : split(*info, '\n')) {
      // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS
      std::vector<std::string_view> f = split_blanks(line);
      auto dash = std::find(f.begin(), f.end(), "-");
      if (f.size() < 5 || dash == f.end() || f.end() - dash < 4) continue;
      std::string_view fstype = dash[1];
      if (fstype != "cgroup" && fstype != "cgroup2") continue;
      std::string mountpoint = unescape_mountinfo(f[4]);
      if (!has_prefix_path(mountpoint, kCgroupRoot)) continue;
      CgroupHierarchy ch;
      ch.unified = fstype == "cgroup2";
      ch.mount_dir = mountpoint.substr(std::string_view(kCgroupRoot).size());
      while (!ch.mount_dir.empty() && ch.mount_dir.front() == '/') ch.mount_dir.erase(0, 1);
      std::vector<std::string> superopts;
      for (std::string_view o : split(dash[3], ',')) superopts.emplace_back(o);
      std::vector<std::string> controllers;
      std::optional<std::string> base = base_of(init_lines, superopts, ch.unified, &controllers);
      std::optional<std::string> self = base_of(self_lines, superopts, ch.unified, nullptr);
      if (!ch.unified && !base) continue;  // a hierarchy nobody is in (named, unused)
      ch.base = prune_init_scope(base.value_or("/"));
      ch.self_base = self.value_or("/");
      if (ch.unified) {
        if (std::optional<std::string> ctl = try_read_text_file(mountpoint + "/cgroup.controllers")) {
          std::replace(ctl->begin(), ctl->end(), '\n', ' ');
          for (std::string_view name : split_blanks(*ctl)) ch.controllers.emplace_back(name);
        }
      } else {
        ch.controllers = controllers;
      }
      h.cgroup_hierarchies.push_back(std::move(ch));
    }
  }
  if (std::optional<std::string> last = try_read_text_file("/proc/sys/kernel/cap_last_cap")) {
    try {
      h.cap_last_cap = std::stoi(*last);
    } catch (const std::exception&) {
      // keep the default
    }
  }
  h.cgroup_namespaces = ::access("/proc/self/ns/cgroup", F_OK) == 0;
  h.time_namespaces = ::access("/proc/self/ns/time", F_OK) == 0;
  h.default_rootfs_mount_exists = ::access(default_rootfs_mount().c_str(), F_OK) == 0;
  return h;
}

}  // namespace corral::exec
