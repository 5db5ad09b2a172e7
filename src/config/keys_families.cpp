// Key table, families section: cgroup settings and directories, hooks, and
// the prefix families lxc.prlimit.*, lxc.sysctl.* and lxc.proc.*
// (spec/config-keys.md "Cgroups", "Hooks", "Prefix families";
// spec/config-language.md §3, §4, §7).
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "config/key_kinds.hpp"
#include "config/keys.hpp"
#include "util/strings.hpp"

namespace corral::config {

namespace {

using namespace kinds;

void show_nothing(const Config&, const KeySpec&, std::string&) {}

/// A bare family key (`lxc.sysctl`, `lxc.hook`, ...) only takes an empty
/// value, which clears the whole family.
void require_empty(std::string_view value, std::string_view family, std::string_view placeholder,
                   std::string_view clears) {
  if (value.empty()) return;
  std::string f(family);
  throw ValueError{"only an empty value is allowed, which removes " + std::string(clears), 0, 0,
                   {"to set one, write '" + f + "." + std::string(placeholder) + " = VALUE'"}};
}

/// A family key written with nothing after the dot (`lxc.sysctl. = 1`).
[[noreturn]] void missing_suffix(const KeyRef& k, std::string_view what, std::string_view placeholder) {
  std::string prefix(k.spec->prefix);
  throw ValueError{"missing the " + std::string(what) + " after '" + prefix + ".'", 0, 0,
                   {"write '" + prefix + "." + std::string(placeholder) + " = VALUE'"}};
}

// ---- maps and multimaps of (name, value): sysctl, proc, cgroup, cgroup2 -----
/// `Replace`: a map (the same name replaces the value in place); otherwise a
/// multimap (the same name appends another entry). An empty value removes
/// every entry of that name; the empty name is only allowed then.
template <auto Member, bool Replace>
void set_named(SetContext& c, const KeyRef& k, std::string_view v, std::string_view what,
               std::string_view placeholder) {
  auto& list = c.cfg.*Member;
  if constexpr (Replace) {
    if (v.empty()) return list.erase(k.suffix);
    if (k.suffix.empty()) missing_suffix(k, what, placeholder);
    list.set(k.suffix, v, c.origin);
  } else {
    if (v.empty()) {
      std::erase_if(list, [&](const Item<Named>& i) { return i.value.name == k.suffix; });
      return;
    }
    if (k.suffix.empty()) missing_suffix(k, what, placeholder);
    list.push_back({Named{std::string(k.suffix), std::string(v)}, c.origin});
  }
}

/// A specific key: the values of its entries, each followed by '\n' when
/// `NewlineEach` (cgroups) or by nothing (lxc.sysctl.*, lxc.proc.*: LXC
/// concatenates them). The bare family key: `prefix.name = value` lines.
template <auto Member, bool NewlineEach>
std::optional<std::string> get_named(const Config& cfg, const KeyRef& k) {
  std::string out;
  if (k.spec->shape != KeyShape::family) {
    for (const auto& item : cfg.*Member) {
      out += std::string(k.spec->name) + "." + item.value.name + " = " + item.value.value + "\n";
    }
    return out;
  }
  for (const auto& item : cfg.*Member) {
    if (item.value.name != k.suffix) continue;
    out += item.value.value;
    if (NewlineEach) out += '\n';
  }
  return out;
}

template <auto Member>
void show_named(const Config& cfg, const KeySpec& k, std::string& out) {
  for (const auto& item : cfg.*Member) show_line(out, std::string(k.prefix) + "." + item.value.name, item.value.value);
}

void set_sysctl(SetContext& c, const KeyRef& k, std::string_view v) {
  set_named<&Config::sysctls, true>(c, k, v, "sysctl name", "NAME");
}
void set_sysctl_all(SetContext& c, const KeyRef&, std::string_view v) {
  require_empty(v, "lxc.sysctl", "NAME", "every sysctl");
  c.cfg.sysctls.clear();
}
void set_proc(SetContext& c, const KeyRef& k, std::string_view v) {
  set_named<&Config::procs, false>(c, k, v, "file name", "FILE");
}
void set_proc_all(SetContext& c, const KeyRef&, std::string_view v) {
  require_empty(v, "lxc.proc", "FILE", "every lxc.proc entry");
  c.cfg.procs.clear();
}
void set_cgroup_v1(SetContext& c, const KeyRef& k, std::string_view v) {
  set_named<&Config::cgroup_v1, false>(c, k, v, "cgroup file name", "FILE");
}
void set_cgroup_v1_all(SetContext& c, const KeyRef&, std::string_view v) {
  require_empty(v, "lxc.cgroup", "FILE", "every cgroup v1 setting");
  c.cfg.cgroup_v1.clear();
}
void set_cgroup_v2(SetContext& c, const KeyRef& k, std::string_view v) {
  set_named<&Config::cgroup_v2, false>(c, k, v, "cgroup file name", "FILE");
}
void set_cgroup_v2_all(SetContext& c, const KeyRef&, std::string_view v) {
  require_empty(v, "lxc.cgroup2", "FILE", "every cgroup2 setting");
  c.cfg.cgroup_v2.clear();
}

// ---- cgroup directories ----------------------------------------------------
/// lxc.cgroup.dir and friends: relative, no "..", simplified.
template <auto Member>
void set_cgroup_path(SetContext& c, const KeyRef&, std::string_view v) {
  auto& s = c.cfg.*Member;
  if (v.empty()) {
    s = {std::nullopt, c.origin};
    return;
  }
  if (v.front() == '/') fail("the path must be relative to the cgroup root, not absolute");
  if (size_t at = v.find(".."); at != std::string_view::npos) {
    throw ValueError{"the path must not contain '..'", static_cast<uint32_t>(at), 2};
  }
  s = {simplify_path(v), c.origin};
}

void set_cgroup_inner(SetContext& c, const KeyRef&, std::string_view v) {
  auto& s = c.cfg.cgroup_dir_container_inner;
  if (v.empty()) {
    s = {std::nullopt, c.origin};
    return;
  }
  if (v.find('/') != std::string_view::npos || v == "." || v == "..") {
    fail("expected a single directory name (no '/', not '.' or '..')");
  }
  s = {std::string(v), c.origin};
}

// ---- hooks ------------------------------------------------------------------------
template <HookType T>
void set_hook(SetContext& c, const KeyRef&, std::string_view v) {
  auto& list = c.cfg.hooks[static_cast<size_t>(T)];
  if (v.empty()) {
    list.clear();
    return;
  }
  list.push_back({std::string(v), c.origin});
}
template <HookType T>
std::optional<std::string> get_hook(const Config& cfg, const KeyRef&) {
  std::string out;
  for (const auto& item : cfg.hooks[static_cast<size_t>(T)]) {
    out += item.value;
    out += '\n';
  }
  return out;
}
void set_hook_all(SetContext& c, const KeyRef&, std::string_view v) {
  require_empty(v, "lxc.hook", "TYPE", "the hooks of every type");
  for (auto& list : c.cfg.hooks) list.clear();
}

// ---- prlimit ------------------------------------------------------------------------
constexpr uint64_t kUnlimited = ~uint64_t{0};  // RLIM_INFINITY

constexpr std::string_view kResources[] = {"as",     "core",     "cpu",   "data",   "fsize",  "locks",
                                           "memlock", "msgqueue", "nice",  "nofile", "nproc",  "rss",
                                           "rtprio", "rttime",   "sigpending", "stack"};

/// The text of the field that starts at `from`: up to the next ':' or the
/// end, without surrounding blanks.
std::pair<uint32_t, uint32_t> field_at(const std::string& s, size_t from) {
  size_t end = s.find(':', from);
  if (end == std::string::npos) end = s.size();
  while (from < end && std::isspace(static_cast<unsigned char>(s[from]))) ++from;
  while (end > from && std::isspace(static_cast<unsigned char>(s[end - 1]))) --end;
  return {static_cast<uint32_t>(from), static_cast<uint32_t>(end - from)};
}

[[noreturn]] void bad_limit(const std::string& s, size_t from) {
  auto [at, len] = field_at(s, from);
  std::string text = s.substr(at, len);
  ValueError e{"limit '" + text + "' is not a decimal number or 'unlimited'", at, len};
  if (to_lower(text) == "unlimited") e.notes.push_back("write 'unlimited' in lower case");
  else if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
    e.notes.push_back("prlimit values are read in base 10 only");
  e.notes.push_back("expected SOFT[:HARD], for example '1024:4096' or 'unlimited'");
  throw e;
}

/// A negative limit other than -1, remembered for a warning once the whole
/// value has been read.
struct Wrapped {
  size_t at;
  size_t length;
  uint64_t value;
};

/// One limit, exactly as LXC reads it: the word `unlimited`, or strtoull
/// base 10 (blanks and a sign allowed; "-1" wraps to unlimited). Nothing
/// at all reads as 0. Advances `pos` past what was read.
uint64_t read_limit(const std::string& s, size_t& pos, std::vector<Wrapped>& wrapped) {
  if (s.compare(pos, 9, "unlimited") == 0) {
    pos += 9;
    return kUnlimited;
  }
  const char* start = s.c_str() + pos;
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(start, &end, 10);
  size_t stop = static_cast<size_t>(end - s.c_str());
  if (errno == ERANGE) {
    auto [at, len] = field_at(s, pos);
    throw ValueError{"limit '" + s.substr(at, len) + "' is out of range (at most 18446744073709551615)", at, len,
                     {"write 'unlimited' for no limit"}};
  }
  size_t digits = pos;
  while (digits < stop && std::isspace(static_cast<unsigned char>(s[digits]))) ++digits;
  if (digits < stop && s[digits] == '-' && v != kUnlimited && v != 0) wrapped.push_back({digits, stop - digits, v});
  pos = stop;
  return v;
}

std::string format_limit(const Prlimit& p) {
  auto one = [](uint64_t v) { return v == kUnlimited ? std::string("unlimited") : std::to_string(v); };
  return p.soft == p.hard ? one(p.soft) : one(p.soft) + ":" + one(p.hard);
}

void set_prlimit(SetContext& c, const KeyRef& k, std::string_view v) {
  auto& list = c.cfg.prlimits;
  if (v.empty()) {
    std::erase_if(list, [&](const Prlimit& p) { return p.resource == k.suffix; });
    return;
  }
  std::string s(v);
  auto is_space = [&](size_t i) { return i < s.size() && std::isspace(static_cast<unsigned char>(s[i])); };
  size_t pos = 0;
  Prlimit p{std::string(k.suffix), 0, 0, c.origin};
  std::vector<Wrapped> wrapped;
  p.soft = read_limit(s, pos, wrapped);
  while (is_space(pos)) ++pos;
  if (pos < s.size() && s[pos] != ':') bad_limit(s, 0);
  p.hard = p.soft;  // a single value sets both
  if (pos < s.size()) {
    ++pos;  // the ':'
    while (is_space(pos)) ++pos;
    if (pos < s.size()) {
      size_t hard_start = pos;
      p.hard = read_limit(s, pos, wrapped);
      while (is_space(pos)) ++pos;
      if (pos < s.size()) {
        if (s[pos] == ':') {
          throw ValueError{"too many ':': expected SOFT[:HARD]", static_cast<uint32_t>(pos),
                           static_cast<uint32_t>(s.size() - pos)};
        }
        bad_limit(s, hard_start);
      }
    }
  }

  for (const Wrapped& w : wrapped) {
    c.warn("'" + s.substr(w.at, w.length) + "' wraps around to " + std::to_string(w.value) +
               "; only -1 (unlimited) makes sense as a negative limit",
           static_cast<uint32_t>(w.at), static_cast<uint32_t>(w.length));
  }
  // LXC checks the resource only when the container starts.
  std::string_view res = k.suffix;
  bool numeric = !res.empty() && res.find_first_not_of("0123456789") == std::string_view::npos;
  bool known = numeric;
  for (std::string_view r : kResources) known = known || r == res;
  if (res.empty()) {
    c.warn("no resource name after 'lxc.prlimit.'; LXC accepts this line but the container fails to start", 0, 0);
  } else if (!known) {
    std::string msg = "unknown resource '" + std::string(res) + "'";
    std::vector<std::string_view> names(std::begin(kResources), std::end(kResources));
    if (auto m = closest_match(to_lower(res), names, 2)) msg += " (did you mean '" + std::string(*m) + "'?)";
    c.warn(msg + "; LXC accepts it here but the container fails to start", 0, 0);
  }

  for (Prlimit& old : list) {
    if (old.resource == p.resource) {
      old = p;  // keeps its position
      return;
    }
  }
  list.push_back(std::move(p));
}
std::optional<std::string> get_prlimit(const Config& cfg, const KeyRef& k) {
  std::string out;
  bool all = k.spec->shape != KeyShape::family;
  for (const Prlimit& p : cfg.prlimits) {
    if (all) out += "lxc.prlimit." + p.resource + " = " + format_limit(p) + "\n";
    else if (p.resource == k.suffix) out += format_limit(p);
  }
  return out;
}
void show_prlimit(const Config& cfg, const KeySpec&, std::string& out) {
  for (const Prlimit& p : cfg.prlimits) show_line(out, "lxc.prlimit." + p.resource, format_limit(p));
}
void set_prlimit_all(SetContext& c, const KeyRef&, std::string_view v) {
  require_empty(v, "lxc.prlimit", "RESOURCE", "every resource limit");
  c.cfg.prlimits.clear();
}

#define K(name, kind, summary, example, set, get) \
  KeySpec { name, KeyShape::exact, KeyKind::kind, section, summary, example, set, get }

KeySpec family(std::string_view name, std::string_view prefix, KeyKind kind, std::string_view section,
               std::string_view summary, std::string_view example, SetFn set, GetFn get, ShowFn show) {
  KeySpec k{name, KeyShape::family, kind, section, summary, example, set, get, show};
  k.prefix = prefix;
  return k;
}

KeySpec bare(KeySpec k) {
  k.show = show_nothing;  // the family key prints the entries
  return k;
}

}  // namespace

void add_family_keys(std::vector<KeySpec>& out) {
  std::string_view section = "cgroups";
  out.push_back(family("lxc.cgroup.[file]", "lxc.cgroup", KeyKind::multimap, section,
                       "write VALUE to this cgroup v1 file at start (ignored on a pure cgroup2 host)", "512M",
                       set_cgroup_v1, get_named<&Config::cgroup_v1, true>, show_named<&Config::cgroup_v1>));
  out.push_back(bare(K("lxc.cgroup", special, "only empty: removes every lxc.cgroup.* setting", "", set_cgroup_v1_all,
                       (get_named<&Config::cgroup_v1, true>))));
  out.push_back(family("lxc.cgroup2.[file]", "lxc.cgroup2", KeyKind::multimap, section,
                       "write VALUE to this cgroup2 file at start; devices.allow/deny become a device program",
                       "512M", set_cgroup_v2, get_named<&Config::cgroup_v2, true>, show_named<&Config::cgroup_v2>));
  out.push_back(bare(K("lxc.cgroup2", special, "only empty: removes every lxc.cgroup2.* setting", "",
                       set_cgroup_v2_all, (get_named<&Config::cgroup_v2, true>))));
  out.push_back(K("lxc.cgroup.dir", scalar, "the container's cgroup path, relative to the cgroup root", "lxc.payload/c1",
                  set_cgroup_path<&Config::cgroup_dir>, get_optional<&Config::cgroup_dir>));
  out.push_back(K("lxc.cgroup.dir.container", scalar, "the container's cgroup path (set together with dir.monitor)",
                  "lxc.payload/c1", set_cgroup_path<&Config::cgroup_dir_container>,
                  get_optional<&Config::cgroup_dir_container>));
  out.push_back(K("lxc.cgroup.dir.monitor", scalar, "the monitor's cgroup path (set together with dir.container)",
                  "lxc.monitor/c1", set_cgroup_path<&Config::cgroup_dir_monitor>,
                  get_optional<&Config::cgroup_dir_monitor>));
  out.push_back(K("lxc.cgroup.dir.monitor.pivot", scalar, "the cgroup the monitor moves to before it cleans up",
                  "lxc.pivot", set_cgroup_path<&Config::cgroup_dir_monitor_pivot>,
                  get_optional<&Config::cgroup_dir_monitor_pivot>));
  out.push_back(K("lxc.cgroup.dir.container.inner", scalar,
                  "a directory inside the container's cgroup that the payload is put into", "payload",
                  set_cgroup_inner, get_optional<&Config::cgroup_dir_container_inner>));
  out.push_back(K("lxc.cgroup.relative", scalar, "1 to place the container relative to the caller's own cgroup", "1",
                  (set_bool<&Config::cgroup_relative>), get_bool<&Config::cgroup_relative>));

  section = "hooks";
  out.push_back(K("lxc.hook.version", scalar, "hook calling convention: 0 (arguments) or 1 (LXC_HOOK_* variables)", "1",
                  (set_bool<&Config::hook_version>), get_bool<&Config::hook_version>));
  out.push_back(K("lxc.hook.pre-start", list, "run on the host before the container's ttys, consoles and mounts are set up",
                  "/usr/local/bin/prepare", set_hook<HookType::pre_start>, get_hook<HookType::pre_start>));
  out.push_back(K("lxc.hook.pre-mount", list, "run in the container's mount namespace before the rootfs is mounted",
                  "/usr/local/bin/premount", set_hook<HookType::pre_mount>, get_hook<HookType::pre_mount>));
  out.push_back(K("lxc.hook.mount", list, "run in the container's namespaces after the mounts are done, before pivot_root",
                  "/usr/share/lxc/hooks/mountcgroups", set_hook<HookType::mount>, get_hook<HookType::mount>));
  out.push_back(K("lxc.hook.autodev", list, "run after the mount hooks when lxc.autodev is 1, before pivot_root",
                  "/usr/local/bin/mknodes", set_hook<HookType::autodev>, get_hook<HookType::autodev>));
  out.push_back(K("lxc.hook.start", list, "run inside the container just before init is executed",
                  "/usr/local/bin/inside", set_hook<HookType::start>, get_hook<HookType::start>));
  out.push_back(K("lxc.hook.start-host", list, "run on the host after the container's setup, before init starts",
                  "/usr/local/bin/host-setup", set_hook<HookType::start_host>, get_hook<HookType::start_host>));
  out.push_back(K("lxc.hook.stop", list, "run on the host, with the container's namespaces, after the container has shut down",
                  "/usr/local/bin/on-stop", set_hook<HookType::stop>, get_hook<HookType::stop>));
  out.push_back(K("lxc.hook.post-stop", list, "run on the host after the container has stopped",
                  "/usr/local/bin/cleanup", set_hook<HookType::post_stop>, get_hook<HookType::post_stop>));
  out.push_back(K("lxc.hook.clone", list, "run when the container is cloned to a new one",
                  "/usr/share/lxc/hooks/clonehostname", set_hook<HookType::clone>, get_hook<HookType::clone>));
  out.push_back(K("lxc.hook.destroy", list, "run when the container is destroyed", "/usr/local/bin/on-destroy",
                  set_hook<HookType::destroy>, get_hook<HookType::destroy>));
  out.push_back(bare(K("lxc.hook", special, "only empty: removes the hooks of every type", "", set_hook_all, nullptr)));

  section = "families";
  out.push_back(family("lxc.prlimit.[resource]", "lxc.prlimit", KeyKind::map, section,
                       "resource limit of the container: SOFT[:HARD], each a number or unlimited", "1024:4096",
                       set_prlimit, get_prlimit, show_prlimit));
  out.push_back(bare(K("lxc.prlimit", special, "only empty: removes every lxc.prlimit.* setting", "", set_prlimit_all,
                       get_prlimit)));
  out.push_back(family("lxc.sysctl.[name]", "lxc.sysctl", KeyKind::map, section,
                       "set this kernel parameter (dots or slashes) in the container's namespaces", "1", set_sysctl,
                       get_named<&Config::sysctls, false>, show_named<&Config::sysctls>));
  out.push_back(bare(K("lxc.sysctl", special, "only empty: removes every lxc.sysctl.* setting", "", set_sysctl_all,
                       (get_named<&Config::sysctls, false>))));
  out.push_back(family("lxc.proc.[file]", "lxc.proc", KeyKind::multimap, section,
                       "write VALUE to /proc/PID/FILE of the container's init", "-500", set_proc,
                       get_named<&Config::procs, false>, show_named<&Config::procs>));
  out.push_back(bare(K("lxc.proc", special, "only empty: removes every lxc.proc.* setting", "", set_proc_all,
                       (get_named<&Config::procs, false>))));
}

}  // namespace corral::config
