// The key registry: one declarative table of every configuration key. It
// drives lookup, parsing (set), the canonical read-back (get, what LXC's
// get_config_item returns), printing (`config show`), the man page's key
// reference and did-you-mean.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "config/diagnostics.hpp"
#include "config/values.hpp"

namespace corral::config {

struct KeySpec;

/// A key as written, resolved against the registry.
struct KeyRef {
  const KeySpec* spec = nullptr;
  std::string_view text;    // the whole key as written
  uint32_t net_index = 0;   // for lxc.net.N.*
  std::string_view suffix;  // for prefix families: the part after "lxc.sysctl." etc.
};

/// What a setter may use besides the Config: where the value comes from, a
/// channel for warnings, and the include mechanism of the loader.
struct SetContext {
  Config& cfg;
  Origin origin;
  std::function<void(std::string message, uint32_t offset, uint32_t length)> warn;
  std::function<void(std::string_view path)> include;
};

using SetFn = void (*)(SetContext&, const KeyRef&, std::string_view value);
/// std::nullopt: the key cannot be read (LXC: "KEY invalid").
using GetFn = std::optional<std::string> (*)(const Config&, const KeyRef&);
/// Appends `key = value` lines that recreate this key's state; nullptr
/// means "print what get returns, one line per item, when it differs from
/// a fresh Config".
using ShowFn = void (*)(const Config&, const KeySpec&, std::string& out);

enum class KeyShape {
  exact,   // lxc.uts.name
  net,     // lxc.net.N.<sub>; `name` is written lxc.net.[i].<sub>
  family,  // a prefix family: lxc.sysctl.<name>; `prefix` holds "lxc.sysctl"
};

/// How repeated lines combine (config-language.md §4); for the docs.
enum class KeyKind { scalar, list, tokens, map, multimap, special };

struct KeySpec {
  std::string_view name;
  KeyShape shape = KeyShape::exact;
  KeyKind kind = KeyKind::scalar;
  std::string_view section;
  std::string_view summary;  // one line, for `config keys`
  std::string_view example;  // a valid value; tests round-trip it
  SetFn set = nullptr;
  GetFn get = nullptr;
  ShowFn show = nullptr;
  std::string_view prefix = {};  // family keys only
  bool empty_suffix_ok = false;  // lxc.prlimit. accepts an empty name
};

/// Every key, in the order of the man page and of `config show`.
const std::vector<KeySpec>& all_keys();

/// The result of looking a key up: a KeyRef, or a message and notes.
struct Lookup {
  KeyRef ref;
  std::string error;
  std::vector<std::string> notes;  // did-you-mean, legacy replacement
  bool ok() const { return ref.spec != nullptr; }
};
Lookup lookup_key(std::string_view key);

/// A Config as LXC creates it before reading any line.
const Config& fresh_config();

/// Wraps a value in double quotes when reading it back would otherwise
/// change it (outer blanks, or a matching pair of quotes).
std::string quote_value(std::string_view v);
void show_line(std::string& out, std::string_view key, std::string_view value);

// Sections of the table; each lives in keys_<section>.cpp.
void add_general_keys(std::vector<KeySpec>& out);
void add_security_keys(std::vector<KeySpec>& out);
void add_family_keys(std::vector<KeySpec>& out);
void add_net_keys(std::vector<KeySpec>& out);

}  // namespace corral::config
