#include "config/values.hpp"

#include <sys/random.h>

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

// LXC's sig_num(): lxc_safe_uint (strtoul base 0) read into an int, so the
// value must stay below 2^31; -1 when the text is not a number, -2 when it
// is too large. The callers check that the text starts with a digit, which
// rules out blanks and signs.
int64_t signal_number(std::string_view digits) {
  uint32_t n;
  try {
    n = parse_uint(digits);
  } catch (const ValueError&) {
    return -1;
  }
  return n > INT32_MAX ? int64_t{-2} : int64_t{n};
}

bool starts_with_digit(std::string_view s) { return !s.empty() && std::isdigit(static_cast<unsigned char>(s[0])); }

[[noreturn]] void bad_signal(std::string_view s) {
  ValueError e{"expected a signal number or a name with the SIG prefix (such as SIGTERM), got '" + std::string(s) + "'"};
  if (!s.empty() && (s[0] == '-' || s[0] == '+' || std::isspace(static_cast<unsigned char>(s[0])))) {
    e.notes.push_back("a signal number starts with a digit: no sign and no blank before it");
  } else if (s.size() > 1 && s[0] == '0' && s[1] != 'x' && s[1] != 'X') {
    e.notes.push_back("a leading 0 makes the number octal");
  } else {
    std::string up(s);
    for (char& c : up) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    for (const SignalName& sig : kSignals)
      if (up == sig.name) e.notes.push_back("did you mean 'SIG" + up + "'?");
  }
  throw e;
}

}  // namespace

int32_t parse_signal(std::string_view s) {
  if (starts_with_digit(s)) {
    int64_t n = signal_number(s);
    if (n == -2) fail("signal number '" + std::string(s) + "' is larger than 2147483647");
    if (n < 0) bad_signal(s);
    return static_cast<int32_t>(n);
  }
  std::string up = std::string(s);
  for (char& c : up) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (up.rfind("SIG", 0) != 0) bad_signal(s);
  std::string_view name = std::string_view(up).substr(3);
  if (name.rfind("RT", 0) == 0) {
    // SIGRTMIN+n / SIGRTMAX-n; n is a C number (010 is 8, 0x1e is 30).
    for (const char* rt : {"RTMIN+", "RTMAX-"}) {
      if (name.rfind(rt, 0) != 0) continue;
      std::string_view n = s.substr(3 + 6);
      int64_t off = starts_with_digit(n) ? signal_number(n) : -1;
      if (off < 0 || off > kRtMax - kRtMin) fail("real-time signal offset must be 0 to 30 in '" + std::string(s) + "'");
      return static_cast<int32_t>(rt[5] == '+' ? kRtMin + off : kRtMax - off);
    }
    fail("expected SIGRTMIN+N or SIGRTMAX-N with N from 0 to 30, got '" + std::string(s) + "'");
  }
  for (const SignalName& sig : kSignals)
    if (name == sig.name) return sig.number;
  fail("unknown signal '" + std::string(s) + "'");
}

uint64_t parse_console_size(std::string_view s, bool* ignored_letter) {
  // LXC's parse_byte_size_string(), then rounded as set_config_console_size
  // does. The suffix is taken from the end of the text: a last character
  // that is a letter is a one-letter suffix (ignored), two letters are a
  // KB/MB/GB suffix; so "0x1f" is 1 and "0x1fff" an unknown suffix 'ff'.
  if (ignored_letter) *ignored_letter = false;
  if (s == "auto") return 131072;
  if (s.size() > 21) fail("size '" + std::string(s) + "' is too long (at most 21 characters)");
  if (s.empty()) fail("expected a size such as 64KB, got ''");
  auto alpha = [](char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; };
  auto digit = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; };
  size_t suffix = 0;
  if (alpha(s.back())) {
    if (s.size() < 2 || (s.size() == 2 && !digit(s[0]))) fail("expected a size such as 64KB, got '" + std::string(s) + "'");
    suffix = alpha(s[s.size() - 2]) ? 2 : 1;
  } else if (!digit(s.back())) {
    fail("expected a size such as 64KB, got '" + std::string(s) + "'");
  }
  std::string number(s.substr(0, s.size() - suffix));
  while (!number.empty() && (number.back() == ' ' || number.back() == '\t' || number.back() == '\n')) number.pop_back();
  const char* p = number.c_str();
  char* end = nullptr;
  errno = 0;
  long long n = std::strtoll(p, &end, 0);
  if (errno == ERANGE) fail("size '" + std::string(s) + "' is out of range");
  if (end == p || *end != '\0') fail("expected a size such as 64KB, got '" + std::string(s) + "'");
  long long bytes = n;
  if (suffix == 2) {
    std::string suf = to_lower(s.substr(s.size() - 2));
    long long mult = suf == "kb" ? 1024LL : suf == "mb" ? 1024LL * 1024 : suf == "gb" ? 1024LL * 1024 * 1024 : 0;
    if (mult == 0) fail("unknown size suffix '" + std::string(s.substr(s.size() - 2)) + "' (expected KB, MB or GB)");
    if (__builtin_mul_overflow(n, mult, &bytes)) fail("size '" + std::string(s) + "' is out of range");
  } else if (suffix == 1 && ignored_letter) {
    *ignored_letter = true;
  }
  if (bytes < 0) fail("size must not be negative: '" + std::string(s) + "'");
  // At least a page, then the next power of two (at most 2^63 here).
  auto size = static_cast<uint64_t>(bytes < 4096 ? 4096 : bytes);
  uint64_t pow2 = 4096;
  while (pow2 < size) pow2 <<= 1;
  return pow2;
}

namespace {
constexpr const char* kLogLevels[] = {"TRACE", "DEBUG", "INFO", "NOTICE", "WARN", "ERROR", "CRIT", "ALERT", "FATAL"};
}

int parse_log_level(std::string_view s) {
  if (!s.empty() && std::isdigit(static_cast<unsigned char>(s[0]))) {
    int32_t v;
    try {
      v = parse_int(s);
    } catch (ValueError& e) {
      if (s.size() > 1 && s[0] == '0' && s[1] != 'x' && s[1] != 'X') e.notes.push_back("a leading 0 makes the number octal");
      throw;
    }
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

/// Every 'x'/'X' becomes a random hex digit; the one at position 1 is even so
/// that an address such as "xx:..." is unicast.
std::string expand_hwaddr(std::string_view v) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(v);
  std::vector<unsigned char> rnd(out.size());
  size_t got = 0;
  while (got < rnd.size()) {
    ssize_t n = getrandom(rnd.data() + got, rnd.size() - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(std::string("cannot get random bytes for the hardware address: ") + std::strerror(errno));
    }
    got += static_cast<size_t>(n);
  }
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] != 'x' && out[i] != 'X') continue;
    unsigned nibble = rnd[i] & (i == 1 ? 0x0Eu : 0x0Fu);
    out[i] = kHex[nibble];
  }
  return out;
}


}  // namespace corral::config
