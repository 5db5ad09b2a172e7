// Lookup over the key table: exact names through a hash map built once,
// lxc.net.N.* and the prefix families by structure (not by table order),
// and did-you-mean / legacy-name notes for keys that are not there.
#include <algorithm>
#include <charconv>
#include <unordered_map>

#include "config/keys.hpp"
#include "util/strings.hpp"

namespace corral::config {

const std::vector<KeySpec>& all_keys() {
  static const std::vector<KeySpec> keys = [] {
    std::vector<KeySpec> out;
    add_general_keys(out);
    add_security_keys(out);
    add_family_keys(out);
    add_net_keys(out);
    return out;
  }();
  return keys;
}

const Config& fresh_config() {
  static const Config cfg;
  return cfg;
}

namespace {

constexpr std::string_view kNetPrefix = "lxc.net.";
constexpr std::string_view kNetPattern = "lxc.net.[i].";

struct Index {
  std::unordered_map<std::string_view, const KeySpec*> exact;
  std::unordered_map<std::string_view, const KeySpec*> net_sub;  // "type" -> spec
  const KeySpec* net_device = nullptr;                            // lxc.net.[i]
  std::vector<const KeySpec*> families;                           // longest prefix first
  std::vector<std::string_view> names;                            // for did-you-mean
  std::vector<std::string_view> net_names;                        // subkey names
};

const Index& index() {
  static const Index idx = [] {
    Index i;
    for (const KeySpec& k : all_keys()) {
      switch (k.shape) {
        case KeyShape::exact:
          i.exact.emplace(k.name, &k);
          i.names.push_back(k.name);
          break;
        case KeyShape::net:
          if (k.name.size() > kNetPattern.size()) {
            std::string_view sub = k.name.substr(kNetPattern.size());
            i.net_sub.emplace(sub, &k);
            i.net_names.push_back(sub);
          } else {
            i.net_device = &k;
          }
          break;
        case KeyShape::family:
          i.families.push_back(&k);
          break;
      }
    }
    // lxc.cgroup2 must be tried before lxc.cgroup: longest prefix first.
    std::sort(i.families.begin(), i.families.end(),
              [](const KeySpec* a, const KeySpec* b) { return a->prefix.size() > b->prefix.size(); });
    return i;
  }();
  return idx;
}

struct Legacy {
  std::string_view old_name;
  std::string_view replacement;  // empty: the key was removed
  bool prefix;                   // old_name is a prefix (lxc.network.*)
};

// LXC 2.x names that 5.0 rejects, and what replaces them.
constexpr Legacy kLegacy[] = {
    {"lxc.network", "lxc.net.N.* (for example lxc.network.ipv4 became lxc.net.N.ipv4.address)", true},
    {"lxc.rootfs.backend", "", false},
    {"lxc.rootfs", "lxc.rootfs.path", false},
    {"lxc.pivotdir", "", false},
    {"lxc.kmsg", "", false},
    {"lxc.utsname", "lxc.uts.name", false},
    {"lxc.id_map", "lxc.idmap", false},
    {"lxc.aa_profile", "lxc.apparmor.profile", false},
    {"lxc.aa_allow_incomplete", "lxc.apparmor.allow_incomplete", false},
    {"lxc.se_context", "lxc.selinux.context", false},
    {"lxc.tty", "lxc.tty.max", false},
    {"lxc.pts", "lxc.pty.max", false},
    {"lxc.devttydir", "lxc.tty.dir", false},
    {"lxc.loglevel", "lxc.log.level", false},
    {"lxc.logfile", "lxc.log.file", false},
    {"lxc.syslog", "lxc.log.syslog", false},
    {"lxc.init_cmd", "lxc.init.cmd", false},
    {"lxc.init_uid", "lxc.init.uid", false},
    {"lxc.init_gid", "lxc.init.gid", false},
    {"lxc.seccomp", "lxc.seccomp.profile", false},
    {"lxc.console", "lxc.console.path", false},
    {"lxc.console.logpath", "lxc.console.logfile", false},
    {"lxc.haltsignal", "lxc.signal.halt", false},
    {"lxc.rebootsignal", "lxc.signal.reboot", false},
    {"lxc.stopsignal", "lxc.signal.stop", false},
    {"lxc.limit", "lxc.prlimit.*", true},
    {"lxc.mount", "lxc.mount.fstab", false},
    {"lxc.lxcpath", "lxc.conf(5), the system configuration", false},
    {"lxc.default_config", "lxc.conf(5), the system configuration", false},
    {"lxc.bdev", "lxc.conf(5), the system configuration", true},
};

bool is_prefix_of(std::string_view prefix, std::string_view key) {
  return key.substr(0, prefix.size()) == prefix &&
         (key.size() == prefix.size() || key[prefix.size()] == '.');
}

void explain_unknown(std::string_view key, Lookup& out) {
  out.error = "unknown key '" + std::string(key) + "'";
  for (const Legacy& l : kLegacy) {
    if (l.prefix ? is_prefix_of(l.old_name, key) : key == l.old_name) {
      if (l.replacement.empty()) {
        out.notes.push_back("'" + std::string(l.old_name) + "' was removed in LXC 3.0; delete the line");
      } else if (l.replacement.find("conf(5)") != std::string_view::npos) {
        out.notes.push_back("'" + std::string(l.old_name) + "' belongs in " + std::string(l.replacement) +
                            ", not in a container configuration");
      } else {
        out.notes.push_back("'" + std::string(l.old_name) + "' is the LXC 2.x name; LXC 3.0 and later use " +
                            std::string(l.replacement));
      }
      return;
    }
  }
  const Index& idx = index();
  if (key.substr(0, kNetPrefix.size()) == kNetPrefix) {
    // lxc.net.0.tpye: suggest among the subkeys, keeping the index.
    size_t dot = key.find('.', kNetPrefix.size());
    std::string_view sub = key.substr(dot == std::string_view::npos ? kNetPrefix.size() : dot + 1);
    if (idx.net_sub.count(sub)) {
      // lxc.net.type, lxc.net.x.type: the subkey is fine, the index is not.
      out.notes.push_back("write a decimal interface index, as in 'lxc.net.0." + std::string(sub) + "'");
    } else if (dot != std::string_view::npos) {
      if (auto m = closest_match(key.substr(dot + 1), idx.net_names, 2)) {
        out.notes.push_back("did you mean '" + std::string(key.substr(0, dot + 1)) + std::string(*m) + "'?");
      }
    }
    return;
  }
  std::vector<std::string_view> candidates = idx.names;
  if (auto m = closest_match(key, candidates, 3)) out.notes.push_back("did you mean '" + std::string(*m) + "'?");
}

}  // namespace

Lookup lookup_key(std::string_view key) {
  const Index& idx = index();
  Lookup out;
  out.ref.text = key;
  if (auto it = idx.exact.find(key); it != idx.exact.end()) {
    out.ref.spec = it->second;
    return out;
  }
  if (key.substr(0, kNetPrefix.size()) == kNetPrefix) {
    // lxc.net.<digits>[.<sub>]: leading zeros are fine, the index must stay
    // below INT_MAX as in LXC.
    std::string_view rest = key.substr(kNetPrefix.size());
    size_t digits = 0;
    while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') ++digits;
    uint64_t n = 0;
    bool valid = digits > 0;
    for (size_t i = 0; i < digits && valid; ++i) {
      n = n * 10 + static_cast<uint64_t>(rest[i] - '0');
      valid = n < 2147483647u;
    }
    if (valid) {
      out.ref.net_index = static_cast<uint32_t>(n);
      if (digits == rest.size()) {
        out.ref.spec = idx.net_device;
        return out;
      }
      if (rest[digits] == '.') {
        if (auto it = idx.net_sub.find(rest.substr(digits + 1)); it != idx.net_sub.end()) {
          out.ref.spec = it->second;
          return out;
        }
      }
    } else if (digits > 0) {
      out.error = "network interface index in '" + std::string(key) + "' must be below 2147483647";
      return out;
    }
    explain_unknown(key, out);
    return out;
  }
  for (const KeySpec* f : idx.families) {
    if (key.substr(0, f->prefix.size()) == f->prefix && key.size() > f->prefix.size() &&
        key[f->prefix.size()] == '.') {
      out.ref.spec = f;
      out.ref.suffix = key.substr(f->prefix.size() + 1);
      return out;
    }
  }
  explain_unknown(key, out);
  return out;
}

std::string quote_value(std::string_view v) {
  bool needs = !v.empty() && (is_blank(v.front()) || is_blank(v.back()));
  if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) needs = true;
  // Only the outer pair of quotes is ever stripped, so wrapping in '"' is
  // always safe.
  return needs ? "\"" + std::string(v) + "\"" : std::string(v);
}

void show_line(std::string& out, std::string_view key, std::string_view value) {
  out += key;
  if (value.empty()) {
    out += " =\n";
    return;
  }
  out += " = ";
  out += quote_value(value);
  out += '\n';
}

}  // namespace corral::config
