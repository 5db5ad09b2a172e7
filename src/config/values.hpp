// LXC's value conventions (spec/config-language.md §9): C-style numbers,
// booleans, simplified paths, signals and byte sizes. Each parser throws
// ValueError with a message that says what was expected.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace corral::config {

/// Thrown by value parsers and key setters; the loader turns it into a
/// diagnostic. `offset`/`length` select the offending part of the value
/// (length 0: the whole value).
struct ValueError {
  explicit ValueError(std::string m, uint32_t off = 0, uint32_t len = 0, std::vector<std::string> n = {})
      : message(std::move(m)), offset(off), length(len), notes(std::move(n)) {}
  std::string message;
  uint32_t offset = 0;
  uint32_t length = 0;
  std::vector<std::string> notes;
};

[[noreturn]] void fail(std::string message);

/// strtoul base 0 (0x hex, 0 octal), leading whitespace and '+' allowed,
/// no '-', no trailing garbage, at most 2^32-1.
uint32_t parse_uint(std::string_view s);
/// The same with strtol, within INT32 range.
int32_t parse_int(std::string_view s);
/// strtoull base 0, 64 bits, no '-'.
uint64_t parse_u64(std::string_view s);
/// strtoll base 0, 64 bits.
int64_t parse_i64(std::string_view s);
/// A uint that must be 0 or 1.
bool parse_bool(std::string_view s);

/// `//` -> `/`, `/./` removed, trailing `/` dropped, leading `./` removed;
/// `..` is kept. Fails at 4096 bytes or more.
std::string simplify_path(std::string_view s);

/// A signal: a number starting with a digit (C base 0, below 2^31), or
/// SIGNAME / SIGRTMIN+n / SIGRTMAX-n (0 <= n <= 30), case-insensitive.
int32_t parse_signal(std::string_view s);

/// Console sizes: `auto` or N[ ]{KB,MB,GB}; rounded up to a page, then to a
/// power of two (so 0 is 4096). A one-letter suffix is ignored, as in LXC;
/// `ignored_letter` (when given) tells whether that happened.
uint64_t parse_console_size(std::string_view s, bool* ignored_letter = nullptr);

/// Log levels: 0-8 or TRACE ... FATAL (case-insensitive).
int parse_log_level(std::string_view s);
const char* log_level_name(int level);  // "NOTSET" for -1

/// lxc.net.N.hwaddr: every 'x'/'X' becomes a random hex digit, the one at
/// position 1 even so that "xx:..." is unicast (also what lxc-create writes).
std::string expand_hwaddr(std::string_view v);

}  // namespace corral::config
