#include "config/values.hpp"

#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <string>

#include "util/strings.hpp"

namespace corral::config {

void fail(std::string message) { throw ValueError{std::move(message)}; }

namespace {

// The C conversion functions need a terminated string; values are short.
template <class T, class Fn>
T convert(std::string_view s, Fn fn, const char* what) {
  std::string buf(s);
  const char* p = buf.c_str();
  char* end = nullptr;
  errno = 0;
  T v = fn(p, &end, 0);
  if (end == p || *end != '\0') fail(std::string("expected ") + what + ", got '" + buf + "'");
  if (errno == ERANGE) fail("'" + buf + "' is out of range for " + what);
  return v;
}

bool starts_negative(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return i < s.size() && s[i] == '-';
}

}  // namespace

uint32_t parse_uint(std::string_view s) {
  if (starts_negative(s)) fail("expected a non-negative number, got '" + std::string(s) + "'");
  unsigned long v = convert<unsigned long>(s, std::strtoul, "a number");
  if (v > UINT32_MAX) fail("'" + std::string(s) + "' is larger than 4294967295");
  return static_cast<uint32_t>(v);
}

int32_t parse_int(std::string_view s) {
  long v = convert<long>(s, std::strtol, "a number");
  if (v < INT32_MIN || v > INT32_MAX) fail("'" + std::string(s) + "' is out of range for a 32-bit number");
  return static_cast<int32_t>(v);
}

uint64_t parse_u64(std::string_view s) {
  if (starts_negative(s)) fail("expected a non-negative number, got '" + std::string(s) + "'");
  return convert<unsigned long long>(s, std::strtoull, "a number");
}

int64_t parse_i64(std::string_view s) { return convert<long long>(s, std::strtoll, "a number"); }

bool parse_bool(std::string_view s) {
  uint32_t v;
  try {
    v = parse_uint(s);
  } catch (const ValueError&) {
    fail("expected 0 or 1, got '" + std::string(s) + "'");
  }
  if (v > 1) fail("expected 0 or 1, got '" + std::string(s) + "'");
  return v == 1;
}

std::string simplify_path(std::string_view s) {
  // Component-wise, as LXC does: empty and "." components vanish, ".." stays.
  bool absolute = !s.empty() && s[0] == '/';
  std::string out = absolute ? "/" : "";
  for (std::string_view part : split(s, '/')) {
    if (part.empty() || part == ".") continue;
    if (!out.empty() && out.back() != '/') out += '/';
    out += part;
  }
  if (out.empty()) out = ".";
  if (out.size() >= 4096) fail("path is longer than 4095 bytes");
  return out;
}

namespace {

struct SignalName {
  const char* name;
  int number;
};
constexpr SignalName kSignals[] = {
    {"HUP", 1},     {"INT", 2},   {"QUIT", 3},   {"ILL", 4},     {"ABRT", 6},    {"FPE", 8},   {"KILL", 9},
    {"SEGV", 11},   {"PIPE", 13}, {"ALRM", 14},  {"TERM", 15},   {"USR1", 10},   {"USR2", 12}, {"CHLD", 17},
    {"CONT", 18},   {"STOP", 19}, {"TSTP", 20},  {"TTIN", 21},   {"TTOU", 22},   {"TRAP", 5},  {"IOT", 6},
    {"BUS", 7},     {"STKFLT", 16}, {"CLD", 17}, {"URG", 23},    {"XCPU", 24},   {"XFSZ", 25}, {"VTALRM", 26},
    {"PROF", 27},   {"WINCH", 28}, {"IO", 29},   {"POLL", 29},   {"PWR", 30},    {"SYS", 31},
};
constexpr int kRtMin = 34;
constexpr int kRtMax = 64;

}  // namespace

int32_t parse_signal(std::string_view s) {
  if (!s.empty() && (std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '+' || s[0] == ' ')) {
    return parse_int(s);
  }
  std::string up = std::string(s);
  for (char& c : up) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (up.rfind("SIG", 0) != 0) {
    fail("expected a signal number or a name with the SIG prefix (such as SIGTERM), got '" + std::string(s) + "'");
  }
  std::string_view name = std::string_view(up).substr(3);
  for (const SignalName& sig : kSignals)
    if (name == sig.name) return sig.number;
  for (const char* rt : {"RTMIN+", "RTMAX-"}) {
    if (name.rfind(rt, 0) == 0) {
      std::string_view n = name.substr(6);
      bool digits = !n.empty() && n.size() <= 2;
      for (char c : n) digits = digits && std::isdigit(static_cast<unsigned char>(c));
      int off = digits ? std::atoi(std::string(n).c_str()) : -1;
      if (off < 0 || off > 30) fail("real-time signal offset must be 0 to 30 in '" + std::string(s) + "'");
      return rt[5] == '+' ? kRtMin + off : kRtMax - off;
    }
  }
  fail("unknown signal '" + std::string(s) + "'");
}

uint64_t parse_console_size(std::string_view s) {
  if (s == "auto") return 131072;
  if (s.size() > 21) fail("size '" + std::string(s) + "' is too long");
  std::string buf(s);
  const char* p = buf.c_str();
  char* end = nullptr;
  errno = 0;
  long long n = std::strtoll(p, &end, 0);
  if (end == p || errno == ERANGE) fail("expected a size such as 64KB, got '" + buf + "'");
  if (n < 0) fail("size must not be negative: '" + buf + "'");
  std::string_view rest = trim_left_blanks(std::string_view(end));
  uint64_t mult = 1;
  if (rest.size() == 2) {
    std::string suf = to_lower(rest);
    if (suf == "kb") mult = 1024;
    else if (suf == "mb") mult = 1024 * 1024;
    else if (suf == "gb") mult = 1024ull * 1024 * 1024;
    else fail("unknown size suffix '" + std::string(rest) + "' (expected KB, MB or GB)");
  } else if (rest.size() > 2) {
    fail("unknown size suffix '" + std::string(rest) + "' (expected KB, MB or GB)");
  }
  // A single trailing letter is ignored, as LXC does (warned about by the key).
  uint64_t bytes = static_cast<uint64_t>(n) * mult;
  if (bytes == 0) return 0;
  if (bytes < 4096) bytes = 4096;
  uint64_t pow2 = 1;
  while (pow2 < bytes) pow2 <<= 1;
  return pow2;
}

namespace {
constexpr const char* kLogLevels[] = {"TRACE", "DEBUG", "INFO", "NOTICE", "WARN", "ERROR", "CRIT", "ALERT", "FATAL"};
}

int parse_log_level(std::string_view s) {
  if (!s.empty() && std::isdigit(static_cast<unsigned char>(s[0]))) {
    int32_t v = parse_int(s);
    if (v < 0 || v > 8) fail("log level must be 0 to 8, got '" + std::string(s) + "'");
    return v;
  }
  std::string up(s);
  for (char& c : up) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (int i = 0; i < 9; ++i)
    if (up == kLogLevels[i]) return i;
  fail("unknown log level '" + std::string(s) + "' (expected TRACE, DEBUG, INFO, NOTICE, WARN, ERROR, CRIT, ALERT or FATAL)");
}

const char* log_level_name(int level) { return level < 0 || level > 8 ? "NOTSET" : kLogLevels[level]; }

}  // namespace corral::config
