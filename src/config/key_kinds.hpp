// Generic setters and getters for the common value kinds, bound to a Config
// member at compile time. Sections of the key table (keys_*.cpp) use these
// and write custom functions only for odd keys.
#pragma once

#include <string>

#include "config/keys.hpp"
#include "config/values.hpp"

namespace corral::config::kinds {

template <auto Member>
auto& field(Config& c) {
  return c.*Member;
}

// ---- bool: 0 or 1; an empty value resets to `Reset` -----------------------
template <auto Member, bool Reset = false>
void set_bool(SetContext& c, const KeyRef&, std::string_view v) {
  auto& s = c.cfg.*Member;
  s.value = v.empty() ? Reset : parse_bool(v);
  s.origin = c.origin;
}
template <auto Member>
std::optional<std::string> get_bool(const Config& cfg, const KeyRef&) {
  return std::string((cfg.*Member).value ? "1" : "0");
}

// ---- unsigned / signed 32-bit numbers; empty resets to 0 -------------------
template <auto Member>
void set_uint(SetContext& c, const KeyRef&, std::string_view v) {
  auto& s = c.cfg.*Member;
  s.value = v.empty() ? 0 : parse_uint(v);
  s.origin = c.origin;
}
template <auto Member>
void set_int(SetContext& c, const KeyRef&, std::string_view v) {
  auto& s = c.cfg.*Member;
  s.value = v.empty() ? 0 : parse_int(v);
  s.origin = c.origin;
}
template <auto Member>
std::optional<std::string> get_number(const Config& cfg, const KeyRef&) {
  return std::to_string((cfg.*Member).value);
}

// ---- strings stored as written; empty unsets --------------------------------
template <auto Member>
void set_string(SetContext& c, const KeyRef&, std::string_view v) {
  auto& s = c.cfg.*Member;
  s.value = std::string(v);
  s.origin = c.origin;
}
template <auto Member>
std::optional<std::string> get_string(const Config& cfg, const KeyRef&) {
  return (cfg.*Member).value;
}

// ---- paths: simplified; empty unsets ------------------------------------------
template <auto Member>
void set_path(SetContext& c, const KeyRef&, std::string_view v) {
  auto& s = c.cfg.*Member;
  s.value = v.empty() ? std::string() : simplify_path(v);
  s.origin = c.origin;
}

// ---- optional strings: unset prints "(null)" in LXC, "" here ------------------
template <auto Member>
std::optional<std::string> get_optional(const Config& cfg, const KeyRef&) {
  const auto& s = cfg.*Member;
  return s.value ? *s.value : std::string();
}

// ---- signals -----------------------------------------------------------------------
template <auto Member>
void set_signal(SetContext& c, const KeyRef&, std::string_view v) {
  auto& s = c.cfg.*Member;
  s.value = v.empty() ? 0 : parse_signal(v);
  s.origin = c.origin;
}

// ---- lists of strings: each line appends, empty clears -----------------------------
template <auto Member>
void set_string_list(SetContext& c, const KeyRef&, std::string_view v) {
  auto& list = c.cfg.*Member;
  if (v.empty()) {
    list.clear();
    return;
  }
  list.push_back({std::string(v), c.origin});
}
/// Every item followed by a newline, as LXC's get_config_item does.
template <auto Member>
std::optional<std::string> get_string_list(const Config& cfg, const KeyRef&) {
  std::string out;
  for (const auto& item : cfg.*Member) {
    out += item.value;
    out += '\n';
  }
  return out;
}

}  // namespace corral::config::kinds
