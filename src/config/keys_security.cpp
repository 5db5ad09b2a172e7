// Key table, security section: capabilities, namespaces and time offsets,
// AppArmor, SELinux, seccomp, no_new_privs, the session keyring and core
// scheduling.
#include <sys/prctl.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>

#include "config/key_kinds.hpp"
#include "config/keys.hpp"
#include "util/strings.hpp"

namespace corral::config {

namespace {

using namespace kinds;

uint32_t offset_in(std::string_view whole, std::string_view part) {
  return static_cast<uint32_t>(part.data() - whole.data());
}
uint32_t size_of(std::string_view s) { return static_cast<uint32_t>(s.size()); }

/// How far a misspelling may be from a name and still be suggested: short
/// names need a close match, or every junk word would get a suggestion.
unsigned spelling_slack(std::string_view word) { return word.size() <= 4 ? 1 : word.size() <= 6 ? 2 : 3; }

// ---- capabilities -------------------------------------------------------------
struct CapName {
  std::string_view name;
  int number;
};
// LXC's own table (conf.c caps_opt): lower-case, without "CAP_".
constexpr CapName kCapNames[] = {
    {"chown", 0},             {"dac_override", 1},     {"dac_read_search", 2},  {"fowner", 3},
    {"fsetid", 4},            {"kill", 5},             {"setgid", 6},           {"setuid", 7},
    {"setpcap", 8},           {"linux_immutable", 9},  {"net_bind_service", 10}, {"net_broadcast", 11},
    {"net_admin", 12},        {"net_raw", 13},         {"ipc_lock", 14},        {"ipc_owner", 15},
    {"sys_module", 16},       {"sys_rawio", 17},       {"sys_chroot", 18},      {"sys_ptrace", 19},
    {"sys_pacct", 20},        {"sys_admin", 21},       {"sys_boot", 22},        {"sys_nice", 23},
    {"sys_resource", 24},     {"sys_time", 25},        {"sys_tty_config", 26},  {"mknod", 27},
    {"lease", 28},            {"audit_write", 29},     {"audit_control", 30},   {"setfcap", 31},
    {"mac_override", 32},     {"mac_admin", 33},       {"syslog", 34},          {"wake_alarm", 35},
    {"block_suspend", 36},    {"audit_read", 37},      {"perfmon", 38},         {"bpf", 39},
    {"checkpoint_restore", 40},
};

constexpr const char* kCapLastCapFile = "/proc/sys/kernel/cap_last_cap";

/// The highest capability the running kernel knows, as LXC determines it:
/// /proc/sys/kernel/cap_last_cap, or probing the bounding set when that
/// file cannot be read.
int host_last_cap() {
  static const int last = [] {
    std::ifstream in(kCapLastCapFile);
    int n = -1;
    if (in >> n && n >= 0) return n;
    int cap = 0;
    while (::prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0) ++cap;
    return cap - 1;
  }();
  return last;
}

std::vector<std::string_view> cap_names() {
  std::vector<std::string_view> names;
  for (const CapName& c : kCapNames) names.push_back(c.name);
  return names;
}

/// The capability number of one token of lxc.cap.drop/keep (not `none`),
/// or a ValueError that points at the token inside `value`.
int parse_cap_token(std::string_view value, std::string_view tok, bool keep) {
  uint32_t at = offset_in(value, tok);
  uint32_t len = size_of(tok);
  for (const CapName& c : kCapNames)
    if (c.name == tok) return c.number;
  if (tok == "none") {
    throw ValueError{"'none' is only valid in lxc.cap.keep", at, len,
                     {"to drop every capability write 'lxc.cap.keep = none'"}};
  }
  char first = tok.front();
  if ((first >= '0' && first <= '9') || first == '+' || first == '-') {
    uint32_t n = 0;
    try {
      n = parse_uint(tok);
    } catch (const ValueError& e) {
      ValueError bad{"invalid capability number '" + std::string(tok) + "'", at, len, {e.message}};
      if (first == '0' && tok.find_first_of("89") != std::string_view::npos)
        bad.notes.push_back("a leading 0 makes the number octal");
      throw bad;
    }
    int last = host_last_cap();
    if (n > static_cast<uint32_t>(last)) {
      throw ValueError{"capability number " + std::string(tok) + " is above the last capability of the running kernel (" +
                           std::to_string(last) + ")",
                       at, len, {"the kernel's last capability is read from `" + std::string(kCapLastCapFile) + "`"}};
    }
    return static_cast<int>(n);
  }
  ValueError e{"unknown capability '" + std::string(tok) + "'", at, len};
  std::string lower = to_lower(tok);
  std::string_view bare = lower;
  if (bare.substr(0, 4) == "cap_") bare = bare.substr(4);
  std::vector<std::string_view> names = cap_names();
  if (bare != tok) {
    // CAP_SYS_ADMIN, SYS_ADMIN, cap_sys_admin: the libcap spellings.
    for (std::string_view n : names) {
      if (n == bare) {
        e.notes.push_back("did you mean '" + std::string(n) + "'?");
        e.notes.push_back("capabilities are written in lower case without the 'CAP_' prefix");
        throw e;
      }
    }
  }
  if (auto m = closest_match(bare, names, spelling_slack(bare))) e.notes.push_back("did you mean '" + std::string(*m) + "'?");
  if (tok.find(',') != std::string_view::npos) e.notes.push_back("separate capabilities with blanks, not commas");
  if (keep) e.notes.push_back("besides capability names and numbers, lxc.cap.keep accepts 'none'");
  throw e;
}

/// A note that says where the other key of a conflicting pair was set.
std::string set_at(const SetContext& c, Origin o, std::string_view key) {
  if (o.file == 0 && o.line == 0) return "'" + std::string(key) + "' was set before";
  return "'" + std::string(key) + "' was set at " + c.cfg.sources.describe(o);
}

template <CapMode Mode>
void set_caps(SetContext& c, const KeyRef&, std::string_view v) {
  constexpr bool keep = Mode == CapMode::keep;
  constexpr std::string_view other = keep ? "lxc.cap.drop" : "lxc.cap.keep";
  Config& cfg = c.cfg;
  if (v.empty()) {
    // Either key clears the shared list and the mode.
    cfg.caps.clear();
    cfg.cap_mode = CapMode::none;
    cfg.cap_mode_origin = c.origin;
    return;
  }
  if (cfg.cap_mode != CapMode::none && cfg.cap_mode != Mode) {
    throw ValueError{"cannot be combined with " + std::string(other) + ", which is already set (the two keys share one list)",
                     0, 0,
                     {set_at(c, cfg.cap_mode_origin, other),
                      "write '" + std::string(other) + " =' first to clear the list, or use only one of the two keys"}};
  }
  // Check every token before changing anything.
  std::vector<std::string_view> tokens = split_blanks(v);
  std::vector<int> numbers;
  for (std::string_view tok : tokens) numbers.push_back(keep && tok == "none" ? -1 : parse_cap_token(v, tok, keep));
  cfg.cap_mode = Mode;
  cfg.cap_mode_origin = c.origin;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (numbers[i] < 0) {
      cfg.caps.clear();  // `none` drops what came before it, on this line too
      continue;
    }
    cfg.caps.push_back({CapToken{std::string(tokens[i]), numbers[i]}, c.origin});
  }
}

/// drop and keep read back the same list, tokens as written.
std::optional<std::string> get_caps(const Config& cfg, const KeyRef&) {
  std::string out;
  for (const auto& t : cfg.caps) {
    out += t.value.text;
    out += '\n';
  }
  return out;
}

template <CapMode Mode>
void show_caps(const Config& cfg, const KeySpec& k, std::string& out) {
  if (cfg.cap_mode != Mode) return;
  std::vector<std::string> tokens;
  for (const auto& t : cfg.caps) tokens.push_back(t.value.text);
  // keep mode with an empty list: every capability is dropped.
  show_line(out, k.name, tokens.empty() ? std::string("none") : join(tokens, " "));
}

// ---- namespaces -------------------------------------------------------------------
std::vector<std::string_view> namespace_names() {
  return std::vector<std::string_view>(kNamespaceNames.begin(), kNamespaceNames.end());
}

std::string namespace_list() {
  return join(std::vector<std::string>(kNamespaceNames.begin(), kNamespaceNames.end()), ", ");
}

/// A suggestion for a misspelled or long-form namespace name, if any.
std::optional<std::string> namespace_suggestion(std::string_view word) {
  std::string lower = to_lower(word);
  if (lower == "mount") return std::string("mnt");
  if (lower == "network") return std::string("net");
  for (const char* n : kNamespaceNames)
    if (lower == n) return std::string(n);
  if (auto m = closest_match(lower, namespace_names(), spelling_slack(lower))) return std::string(*m);
  return std::nullopt;
}

/// The index of a namespace name, case-insensitive (as lxc.namespace.clone
/// and .keep take them), or -1.
int namespace_index(std::string_view name) {
  std::string lower = to_lower(name);
  for (size_t i = 0; i < kNamespaceNames.size(); ++i)
    if (lower == kNamespaceNames[i]) return static_cast<int>(i);
  return -1;
}

template <auto Member, auto Other>
void set_namespaces(SetContext& c, const KeyRef& k, std::string_view v) {
  auto& s = c.cfg.*Member;
  if (v.empty()) {
    s = {0, c.origin};
    return;
  }
  const auto& other = c.cfg.*Other;
  if (other.value != 0) {
    std::string_view other_key = k.spec->name == "lxc.namespace.clone" ? "lxc.namespace.keep" : "lxc.namespace.clone";
    throw ValueError{"cannot be combined with " + std::string(other_key) + ", which is already set", 0, 0,
                     {set_at(c, other.origin, other_key),
                      "write '" + std::string(other_key) + " =' first to clear it, or use only one of the two keys"}};
  }
  uint32_t bits = 0;
  for (std::string_view tok : split_blanks(v)) {
    int i = namespace_index(tok);
    if (i < 0) {
      ValueError e{"unknown namespace '" + std::string(tok) + "' (expected one of " + namespace_list() + ")",
                   offset_in(v, tok), size_of(tok)};
      if (tok.find(',') != std::string_view::npos) e.notes.push_back("separate namespaces with blanks, not commas");
      else if (auto m = namespace_suggestion(tok)) e.notes.push_back("did you mean '" + *m + "'?");
      throw e;
    }
    bits |= 1u << i;
  }
  s = {s.value | bits, c.origin};  // lines add up
}

/// Every namespace in LXC's fixed order, each followed by a newline.
template <auto Member>
std::optional<std::string> get_namespaces(const Config& cfg, const KeyRef&) {
  std::string out;
  for (size_t i = 0; i < kNamespaceNames.size(); ++i) {
    if ((cfg.*Member).value & (1u << i)) {
      out += kNamespaceNames[i];
      out += '\n';
    }
  }
  return out;
}

template <auto Member>
void show_namespaces(const Config& cfg, const KeySpec& k, std::string& out) {
  std::vector<std::string> names;
  for (size_t i = 0; i < kNamespaceNames.size(); ++i)
    if ((cfg.*Member).value & (1u << i)) names.emplace_back(kNamespaceNames[i]);
  if (!names.empty()) show_line(out, k.name, join(names, " "));
}

/// lxc.namespace.share.NS: NS is exact and lower-case, even for an empty value.
size_t share_index(const KeyRef& k) {
  for (size_t i = 0; i < kNamespaceNames.size(); ++i)
    if (k.suffix == kNamespaceNames[i]) return i;
  std::string prefix(k.spec->prefix);
  std::string message = k.suffix.empty()
                            ? "missing the namespace after '" + prefix + ".'"
                            : "unknown namespace '" + std::string(k.suffix) + "'";
  ValueError e{message + " (expected one of " + namespace_list() + ")"};
  if (auto m = namespace_suggestion(k.suffix); m && !k.suffix.empty())
    e.notes.push_back("did you mean '" + prefix + "." + *m + "'?");
  throw e;
}

void set_namespace_share(SetContext& c, const KeyRef& k, std::string_view v) {
  auto& s = c.cfg.namespace_share[share_index(k)];
  s.origin = c.origin;
  if (v.empty()) s.value.reset();
  else s.value = std::string(v);  // a pid, a container name or a path: checked at start
}

/// Unset reads back as "" here; LXC prints "(null)".
std::optional<std::string> get_namespace_share(const Config& cfg, const KeyRef& k) {
  for (size_t i = 0; i < kNamespaceNames.size(); ++i) {
    if (k.suffix == kNamespaceNames[i]) {
      const auto& s = cfg.namespace_share[i];
      return s.value ? *s.value : std::string();
    }
  }
  return std::nullopt;
}

void show_namespace_share(const Config& cfg, const KeySpec& k, std::string& out) {
  for (size_t i = 0; i < kNamespaceNames.size(); ++i) {
    const auto& s = cfg.namespace_share[i];
    if (s.value) show_line(out, std::string(k.prefix) + "." + kNamespaceNames[i], *s.value);
  }
}

// ---- time namespace offsets ---------------------------------------------------------
struct TimeUnit {
  std::string_view name;
  int64_t factor;
  bool seconds;  // true: the seconds slot; false: the nanoseconds slot
};
constexpr TimeUnit kTimeUnits[] = {{"h", 3600, true},     {"m", 60, true},    {"s", 1, true},
                                   {"ms", 1000000, false}, {"us", 1000, false}, {"ns", 1, false}};
constexpr std::string_view kTimeUnitList = "h, m, s, ms, us or ns";

bool is_trim_blank(char ch) { return ch == ' ' || ch == '\t' || ch == '\n'; }

/// LXC: strtoll base 10, then at most two bytes of unit (blanks included),
/// trimmed and compared case-sensitively. h/m/s go into the seconds slot,
/// ms/us/ns into the nanoseconds slot; each replaces its slot only.
void set_time_offset(TimeOffset& t, const Origin& origin, std::string_view v) {
  std::string buf(v);
  const char* p = buf.c_str();
  char* end = nullptr;
  errno = 0;
  long long n = std::strtoll(p, &end, 10);
  if (end == p) {
    throw ValueError{"expected a whole number followed by a unit (" + std::string(kTimeUnitList) + "), got '" + buf +
                     "'"};
  }
  auto num_len = static_cast<uint32_t>(end - p);
  if (errno == ERANGE) throw ValueError{"'" + std::string(v.substr(0, num_len)) + "' is out of range for a 64-bit number", 0, num_len};
  std::string_view rest = v.substr(num_len);
  std::string_view unit = rest;
  while (!unit.empty() && is_trim_blank(unit.front())) unit.remove_prefix(1);
  while (!unit.empty() && is_trim_blank(unit.back())) unit.remove_suffix(1);
  if (rest.empty() || unit.empty()) {
    throw ValueError{"missing the unit after '" + std::string(v.substr(0, num_len)) + "'", 0, 0,
                     {"write for example '" + std::string(trim_blanks(v)) + "s'; units are " + std::string(kTimeUnitList)}};
  }
  uint32_t rest_at = num_len;
  const TimeUnit* found = nullptr;
  for (const TimeUnit& u : kTimeUnits)
    if (u.name == unit) found = &u;
  if (!found) {
    ValueError e{"unknown unit '" + std::string(unit) + "' (expected " + std::string(kTimeUnitList) + ")", rest_at,
                 size_of(rest)};
    if (unit.front() == '.' || unit.front() == ',') {
      e.message = "the offset must be a whole number";
      e.notes.push_back("use a smaller unit, for example '1500ms' for 1.5 seconds");
    } else if (unit.front() == 'x' || unit.front() == 'X') {
      e.message = "the offset is a decimal number; hexadecimal is not accepted";
    } else {
      std::string lower = to_lower(unit);
      for (const TimeUnit& u : kTimeUnits)
        if (u.name == lower) e.notes.push_back("units are case-sensitive: did you mean '" + lower + "'?");
      if (lower == "sec" || lower == "secs") e.notes.push_back("did you mean 's'?");
      if (lower == "min") e.notes.push_back("did you mean 'm'?");
      if (lower == "d") e.notes.push_back("there is no day unit; write for example '24h' for one day");
    }
    throw e;
  }
  if (rest.size() > 2) {
    // LXC keeps at most two bytes after the number: "5 s" works, "5 ms" not.
    throw ValueError{"no blank is allowed between the number and a two-letter unit", rest_at, size_of(rest),
                     {"write '" + std::string(v.substr(0, num_len)) + std::string(unit) + "'"}};
  }
  int64_t value = 0;
  bool overflow = __builtin_mul_overflow(static_cast<int64_t>(n), found->factor, &value);
  if (n < 0 && found->factor != 1) {
    // LXC 5.0.2's overflow check treats every negative value in these units
    // as an overflow; only s and ns take negative offsets.
    std::string_view slot_unit = found->seconds ? "s" : "ns";
    ValueError e{"a negative offset must be written in " + std::string(slot_unit) + " (LXC rejects negative values in " +
                 std::string(unit) + ")"};
    if (!overflow) e.notes.push_back("write '" + std::to_string(value) + std::string(slot_unit) + "'");
    throw e;
  }
  if (overflow) {
    throw ValueError{"'" + std::string(v) + "' is out of range: the offset must fit in a 64-bit number of " +
                     (found->seconds ? "seconds" : "nanoseconds")};
  }
  if (found->seconds) {
    t.seconds = value;
    t.seconds_origin = origin;
  } else {
    t.nanoseconds = value;
    t.nanoseconds_origin = origin;
  }
}

template <auto Member>
void set_time(SetContext& c, const KeyRef&, std::string_view v) {
  TimeOffset& t = c.cfg.*Member;
  if (v.empty()) {
    t = TimeOffset{0, 0, c.origin, c.origin};
    return;
  }
  set_time_offset(t, c.origin, v);
}

/// LXC prints only the seconds slot when it is set, else the nanoseconds
/// slot; boot has a blank before the unit, monotonic has none.
template <auto Member, bool Blank>
std::optional<std::string> get_time(const Config& cfg, const KeyRef&) {
  const TimeOffset& t = cfg.*Member;
  std::string sep = Blank ? " " : "";
  if (t.seconds != 0) return std::to_string(t.seconds) + sep + "s\n";
  return std::to_string(t.nanoseconds) + sep + "ns\n";
}

/// Both slots, so that a reload gives the same offset.
template <auto Member>
void show_time(const Config& cfg, const KeySpec& k, std::string& out) {
  const TimeOffset& t = cfg.*Member;
  if (t.seconds != 0) show_line(out, k.name, std::to_string(t.seconds) + "s");
  if (t.nanoseconds != 0) show_line(out, k.name, std::to_string(t.nanoseconds) + "ns");
}

// ---- seccomp notification proxy -----------------------------------------------------
// sun_path is 108 bytes with the terminating NUL; for an abstract socket
// the '@' becomes the leading NUL.
constexpr size_t kMaxSocketAddress = 107;

void set_notify_proxy(SetContext& c, const KeyRef& k, std::string_view v) {
  if (!v.empty()) {
    constexpr std::string_view scheme = "unix:";
    if (v.substr(0, scheme.size()) != scheme) {
      ValueError e{"expected 'unix:/PATH' or 'unix:@NAME'"};
      if (to_lower(v.substr(0, scheme.size())) == scheme) {
        e.notes.push_back("the 'unix:' prefix is lower-case");
      } else if (v.front() == '/' || v.front() == '@') {
        e.notes.push_back("did you mean 'unix:" + std::string(v) + "'?");
      }
      throw e;
    }
    std::string_view addr = v.substr(scheme.size());
    auto at = size_of(scheme);
    if (addr.empty()) throw ValueError{"missing the socket address after 'unix:'"};
    if (addr == "@") throw ValueError{"missing the name of the abstract socket after 'unix:@'", at, 1};
    if (addr.front() != '/' && addr.front() != '@') {
      throw ValueError{"the socket must be an absolute path ('unix:/PATH') or an abstract name ('unix:@NAME')", at,
                       size_of(addr)};
    }
    if (addr.size() > kMaxSocketAddress) {
      throw ValueError{"the socket address is " + std::to_string(addr.size()) + " bytes long; at most " +
                           std::to_string(kMaxSocketAddress) + " fit in a unix socket address",
                       at, size_of(addr)};
    }
  }
  set_string<&Config::seccomp_notify_proxy>(c, k, v);  // as written; empty unsets
}

/// The path without 'unix:', and an abstract name without its '@'.
std::optional<std::string> get_notify_proxy(const Config& cfg, const KeyRef&) {
  std::string_view v = cfg.seccomp_notify_proxy.value;
  if (v.substr(0, 5) == "unix:") v.remove_prefix(5);
  if (!v.empty() && v.front() == '@') v.remove_prefix(1);
  return std::string(v);
}

void show_notify_proxy(const Config& cfg, const KeySpec& k, std::string& out) {
  if (!cfg.seccomp_notify_proxy.value.empty()) show_line(out, k.name, cfg.seccomp_notify_proxy.value);
}

#define K(name, kind, summary, example, set, get) \
  KeySpec { name, KeyShape::exact, KeyKind::kind, section, summary, example, set, get }

}  // namespace

void add_security_keys(std::vector<KeySpec>& out) {
  std::string_view section = "capabilities";
  KeySpec drop = K("lxc.cap.drop", tokens, "capabilities to drop (lower-case names without CAP_, or numbers)",
                   "sys_module mac_admin", set_caps<CapMode::drop>, get_caps);
  drop.show = show_caps<CapMode::drop>;
  out.push_back(drop);
  KeySpec keep = K("lxc.cap.keep", tokens, "the only capabilities to keep; none drops them all", "sys_admin net_admin",
                   set_caps<CapMode::keep>, get_caps);
  keep.show = show_caps<CapMode::keep>;
  out.push_back(keep);

  section = "namespaces";
  KeySpec clone = K("lxc.namespace.clone", tokens,
                    "the namespaces to create: user, mnt, pid, uts, ipc, net, cgroup, time", "user mnt pid",
                    (set_namespaces<&Config::namespace_clone, &Config::namespace_keep>),
                    get_namespaces<&Config::namespace_clone>);
  clone.show = show_namespaces<&Config::namespace_clone>;
  out.push_back(clone);
  KeySpec nskeep = K("lxc.namespace.keep", tokens, "namespaces to inherit from the caller; all others are created",
                     "net user", (set_namespaces<&Config::namespace_keep, &Config::namespace_clone>),
                     get_namespaces<&Config::namespace_keep>);
  nskeep.show = show_namespaces<&Config::namespace_keep>;
  out.push_back(nskeep);
  KeySpec share{"lxc.namespace.share.[ns]", KeyShape::family, KeyKind::scalar, section,
                "join this namespace of another container or process: a pid, a name, lxcpath/name or an ns file path",
                "1234", set_namespace_share, get_namespace_share, show_namespace_share};
  share.prefix = "lxc.namespace.share";
  out.push_back(share);
  KeySpec boot = K("lxc.time.offset.boot", scalar, "offset of the boot clock in a new time namespace: N{h,m,s,ms,us,ns}",
                   "-3600s", set_time<&Config::time_offset_boot>, (get_time<&Config::time_offset_boot, true>));
  boot.show = show_time<&Config::time_offset_boot>;
  out.push_back(boot);
  KeySpec mono = K("lxc.time.offset.monotonic", scalar,
                   "offset of the monotonic clock in a new time namespace: N{h,m,s,ms,us,ns}", "500ms",
                   set_time<&Config::time_offset_monotonic>, (get_time<&Config::time_offset_monotonic, false>));
  mono.show = show_time<&Config::time_offset_monotonic>;
  out.push_back(mono);

  section = "security";
  out.push_back(K("lxc.apparmor.profile", scalar, "the AppArmor profile: a name, generated, unconfined or unchanged",
                  "generated", set_string<&Config::apparmor_profile>, get_string<&Config::apparmor_profile>));
  out.push_back(K("lxc.apparmor.allow_incomplete", scalar,
                  "1 to start even when the kernel lacks AppArmor mount restrictions", "1",
                  (set_bool<&Config::apparmor_allow_incomplete>), get_bool<&Config::apparmor_allow_incomplete>));
  out.push_back(K("lxc.apparmor.allow_nesting", scalar,
                  "1 to let the generated profile run nested containers (adds /dev/.lxc/proc and /dev/.lxc/sys)", "1",
                  (set_bool<&Config::apparmor_allow_nesting>), get_bool<&Config::apparmor_allow_nesting>));
  out.push_back(K("lxc.apparmor.raw", list, "a raw AppArmor rule appended to the generated profile", "mount fstype=nfs,",
                  set_string_list<&Config::apparmor_raw>, get_string_list<&Config::apparmor_raw>));
  out.push_back(K("lxc.selinux.context", scalar, "the SELinux context the container runs under",
                  "system_u:system_r:lxc_t:s0:c22", set_string<&Config::selinux_context>,
                  get_string<&Config::selinux_context>));
  out.push_back(K("lxc.selinux.context.keyring", scalar, "the SELinux context of the container's session keyring",
                  "system_u:system_r:lxc_t:s0:c22", set_string<&Config::selinux_context_keyring>,
                  get_string<&Config::selinux_context_keyring>));
  out.push_back(K("lxc.seccomp.profile", scalar, "a seccomp policy file loaded before init runs",
                  "/usr/share/lxc/config/common.seccomp", set_path<&Config::seccomp_profile>,
                  get_string<&Config::seccomp_profile>));
  out.push_back(K("lxc.seccomp.allow_nesting", scalar, "1 to let the container load seccomp filters of its own", "1",
                  (set_bool<&Config::seccomp_allow_nesting>), get_bool<&Config::seccomp_allow_nesting>));
  KeySpec proxy = K("lxc.seccomp.notify.proxy", scalar,
                    "the socket that receives seccomp notifications: unix:/PATH or unix:@ABSTRACT",
                    "unix:/run/seccomp-agent.sock", set_notify_proxy, get_notify_proxy);
  proxy.show = show_notify_proxy;
  out.push_back(proxy);
  out.push_back(K("lxc.seccomp.notify.cookie", scalar, "a string sent with every seccomp notification", "c1-cookie",
                  set_string<&Config::seccomp_notify_cookie>, get_string<&Config::seccomp_notify_cookie>));
  out.push_back(K("lxc.no_new_privs", scalar, "1 to set PR_SET_NO_NEW_PRIVS before init runs", "1",
                  (set_bool<&Config::no_new_privs>), get_bool<&Config::no_new_privs>));
  out.push_back(K("lxc.keyring.session", scalar,
                  "1 to keep the caller's session keyring, 0 to create a new one (the LXC man page says the reverse)",
                  "1", (set_bool<&Config::keyring_session>), get_bool<&Config::keyring_session>));
  out.push_back(K("lxc.sched.core", scalar, "1 to put the container in its own core-scheduling domain", "1",
                  (set_bool<&Config::sched_core>), get_bool<&Config::sched_core>));
}

}  // namespace corral::config
