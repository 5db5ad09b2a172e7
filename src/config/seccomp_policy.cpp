// Seccomp policies: the actions of grammar/seccomp.hpp, the meaning of each
// line (spec/seccomp-policy.md), syscall names resolved by libseccomp, and a
// dry run of every libseccomp call LXC makes for a rule, so that whatever
// libseccomp would refuse at start is reported at its line.
#include "config/seccomp_policy.hpp"

#include <seccomp.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cctype>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <utility>

#include "grammar/seccomp.hpp"
#include "grammar/seccomp_errors.hpp"
#include "util/fd.hpp"
#include "util/strings.hpp"

namespace corral::config {

namespace {

namespace g = corral::grammar::seccomp;
namespace pegtl = tao::pegtl;

/// libseccomp refuses errno values from 4095 up (MAX_ERRNO).
constexpr uint16_t kMaxErrno = 4094;

// ---- numbers as glibc's scanf and LXC read them ------------------------------------

/// scanf("%d") (base 10) or scanf("%i") (base 0) on a matched number:
/// glibc converts with strtol, which saturates, and stores the long into an
/// int, keeping the low 32 bits.
struct ScannedInt {
  int value = 0;
  bool exact = true;  // the written number fits an int
};

ScannedInt scan_int(std::string_view s, int base) {
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  bool negative = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
  if (base == 0) {
    base = 10;
    if (i < s.size() && s[i] == '0') {
      base = 8;
      if (i + 1 < s.size() && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
        base = 16;
        i += 2;
      }
    }
  }
  unsigned long long v = 0;
  bool overflow = false;
  for (; i < s.size(); ++i) {
    int d = std::isdigit(static_cast<unsigned char>(s[i])) ? s[i] - '0' : std::tolower(s[i]) - 'a' + 10;
    if (d < 0 || d >= base) break;
    if (v > (static_cast<unsigned long long>(LONG_MAX) + 1 - static_cast<unsigned>(d)) / static_cast<unsigned>(base))
      overflow = true;
    else v = v * static_cast<unsigned>(base) + static_cast<unsigned>(d);
  }
  long l;
  if (overflow || (!negative && v > static_cast<unsigned long long>(LONG_MAX))) l = negative ? LONG_MIN : LONG_MAX;
  else l = negative ? static_cast<long>(0 - v) : static_cast<long>(v);
  ScannedInt r;
  r.value = static_cast<int>(static_cast<unsigned int>(static_cast<unsigned long>(l)));
  r.exact = !overflow && l >= INT_MIN && l <= INT_MAX;
  return r;
}

/// LXC's lxc_safe_uint64(s, base 0): blanks first, no '-', the whole rest
/// must be a number that fits 64 bits.
std::optional<uint64_t> safe_uint64(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  std::string buf(s.substr(i));
  if (buf.empty() || buf[0] == '-') return std::nullopt;
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(buf.c_str(), &end, 0);
  if (errno == ERANGE && v == ULLONG_MAX) return std::nullopt;
  if (end == buf.c_str() || *end != '\0') return std::nullopt;
  return static_cast<uint64_t>(v);
}

// ---- hosts and sections (spec §8) ----------------------------------------------------

enum class HostArch {
  i386,
  amd64,
  arm,
  arm64,
  ppc64le,
  ppc64,
  ppc,
  mips,
  mips64,
  mipsel,
  mipsel64,
  s390x,
  s390,
  unknown
};

/// LXC's get_hostarch().
HostArch host_arch(std::string_view m) {
  if (m == "i686") return HostArch::i386;
  if (m == "x86_64") return HostArch::amd64;
  if (m.starts_with("armv7")) return HostArch::arm;
  if (m.starts_with("aarch64")) return HostArch::arm64;
  if (m.starts_with("ppc64le")) return HostArch::ppc64le;
  if (m.starts_with("ppc64")) return HostArch::ppc64;
  if (m.starts_with("ppc")) return HostArch::ppc;
#ifdef __MIPSEL__
  if (m.starts_with("mips64")) return HostArch::mipsel64;
  if (m.starts_with("mips")) return HostArch::mipsel;
#else
  if (m.starts_with("mips64")) return HostArch::mips64;
  if (m.starts_with("mips")) return HostArch::mips;
#endif
  if (m.starts_with("s390x")) return HostArch::s390x;
  if (m.starts_with("s390")) return HostArch::s390;
  return HostArch::unknown;
}

/// Whether LXC uses the rules of section `name` (lower or upper case) on `h`.
bool section_used(std::string_view name, HostArch h) {
  std::string n = to_lower(name);
  using H = HostArch;
  if (n == "all") return true;
  if (n == "x86") return h == H::i386 || h == H::amd64;
  if (n == "x32" || n == "x86_64") return h == H::amd64;
  if (n == "arm") return h == H::arm || h == H::arm64;
  if (n == "arm64") return h == H::arm64;
  if (n == "ppc64le") return h == H::ppc64le;
  if (n == "ppc64") return h == H::ppc64;
  if (n == "ppc") return h == H::ppc || h == H::ppc64;
  if (n == "mips64" || n == "mips64n32") return h == H::mips64;
  if (n == "mips") return h == H::mips || h == H::mips64;
  if (n == "mipsel64" || n == "mipsel64n32") return h == H::mipsel64;
  if (n == "mipsel") return h == H::mipsel || h == H::mipsel64;
  if (n == "s390x") return h == H::s390x;
  if (n == "s390") return h == H::s390;
  return false;
}

/// The extra ABIs LXC builds filters for, without the native one.
std::vector<uint32_t> compat_arches(HostArch h) {
  std::vector<uint32_t> all;
  switch (h) {
    case HostArch::amd64: all = {SCMP_ARCH_X86, SCMP_ARCH_X32, SCMP_ARCH_X86_64}; break;
    case HostArch::ppc64: all = {SCMP_ARCH_PPC, SCMP_ARCH_PPC64}; break;
    case HostArch::arm64: all = {SCMP_ARCH_ARM, SCMP_ARCH_AARCH64}; break;
    case HostArch::mips64: all = {SCMP_ARCH_MIPS, SCMP_ARCH_MIPS64N32, SCMP_ARCH_MIPS64}; break;
    case HostArch::mipsel64: all = {SCMP_ARCH_MIPSEL, SCMP_ARCH_MIPSEL64N32, SCMP_ARCH_MIPSEL64}; break;
    default: break;
  }
  std::vector<uint32_t> out;
  for (uint32_t a : all)
    if (a != seccomp_arch_native()) out.push_back(a);
  return out;
}

// ---- a dry run of LXC's libseccomp calls ------------------------------------------------

/// The filter contexts LXC builds for a version 2 policy (or the single one
/// of version 1), used only to find out whether libseccomp accepts a rule.
///
/// libseccomp 2.5.4 loops forever merging some pairs of rules with
/// arguments for one system call (a rule on arguments 0 and 2 after one on
/// arguments 0, 1 and 2, comparing argument 0 with '<', for instance); LXC
/// hangs on such a policy. So from the first `risky` add on, every add is
/// rehearsed first in a forked copy of the filters (one child per policy,
/// fed the adds over a socket) that may spend SeccompHost::add_budget (one
/// second) of CPU time on each (a real add takes microseconds, 0.4 ms with
/// 3000 rules for one call); the add is made here only once the copy has
/// finished it. One copy for the whole policy rather than one fork per add:
/// a policy with hundreds of argument rules costs one fork.
class Validator {
 public:
  Validator(uint32_t default_action, const std::vector<uint32_t>& compat, std::chrono::microseconds add_budget)
      : add_budget_(std::max(add_budget, std::chrono::microseconds(1))) {  // 0 would disarm the timer
    main_ = seccomp_init(default_action);
    if (!main_) return;
    for (uint32_t arch : compat) {
      scmp_filter_ctx ctx = seccomp_init(default_action);
      if (!ctx || seccomp_arch_add(ctx, arch) != 0 || seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE) != 0) {
        if (ctx) seccomp_release(ctx);
        seccomp_release(main_);
        main_ = nullptr;
        return;
      }
      compat_.emplace_back(arch, ctx);
    }
  }
  ~Validator() {
    stop_rehearsal();
    if (main_) seccomp_release(main_);
    for (auto& [arch, ctx] : compat_) seccomp_release(ctx);
  }
  Validator(const Validator&) = delete;
  Validator& operator=(const Validator&) = delete;

  bool ok() const { return main_ != nullptr; }

  /// seccomp_rule_add_exact_array() on the filter for `arch`: its result,
  /// or nullopt when libseccomp would never return (the filters are then no
  /// copy of LXC's any more; drop the validator).
  std::optional<int> add(uint32_t arch, uint32_t action, int nr, const std::vector<scmp_arg_cmp>& cmps,
                         bool risky) {
    AddRequest request{arch, action, nr, static_cast<unsigned>(std::min(cmps.size(), kMaxGroups)), {}};
    std::copy_n(cmps.begin(), request.count, request.cmps);
    if (risky && rehearsal_pid_ < 0) start_rehearsal();
    if (rehearsal_pid_ >= 0 && rehearse(request) == Rehearsed::never_returned) return std::nullopt;
    return apply(request);
  }

 private:
  static constexpr std::size_t kMaxGroups = 6;  // LXC reads at most six argument groups
  struct AddRequest {
    uint32_t arch;
    uint32_t action;
    int nr;
    unsigned count;
    scmp_arg_cmp cmps[kMaxGroups];
  };
  enum class Rehearsed { returned, never_returned, lost };

  scmp_filter_ctx context(uint32_t arch) const {
    if (arch == seccomp_arch_native()) return main_;
    for (const auto& [a, ctx] : compat_)
      if (a == arch) return ctx;
    return nullptr;
  }
  int apply(const AddRequest& r) const {
    return seccomp_rule_add_exact_array(context(r.arch), r.action, r.nr, r.count, r.count ? r.cmps : nullptr);
  }

  /// Forks the copy; without one (no fork), adds are made as LXC makes them.
  void start_rehearsal() {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) return;
    pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid < 0) {
      ::close(sv[0]);
      ::close(sv[1]);
      return;
    }
    if (pid == 0) {
      ::close(sv[0]);
      serve_rehearsals(sv[1], parent);
    }
    ::close(sv[1]);
    rehearsal_pid_ = pid;
    rehearsal_fd_.reset(sv[0]);
  }

  /// The copy: makes each add it is sent, each within the budget of CPU time.
  [[noreturn]] void serve_rehearsals(int fd, pid_t parent) const {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(0);  // the parent died before the line above
    struct sigaction on_cpu_timer {};
    on_cpu_timer.sa_handler = [](int) { ::_exit(kNeverReturned); };
    ::sigaction(SIGPROF, &on_cpu_timer, nullptr);
    sigset_t prof;
    sigemptyset(&prof);
    sigaddset(&prof, SIGPROF);
    ::sigprocmask(SIG_UNBLOCK, &prof, nullptr);
    AddRequest r;
    while (recv_with_fds(fd, &r, sizeof r, nullptr) == static_cast<ssize_t>(sizeof r)) {
      struct itimerval budget {};
      budget.it_value.tv_sec = static_cast<time_t>(add_budget_.count() / 1000000);
      budget.it_value.tv_usec = static_cast<suseconds_t>(add_budget_.count() % 1000000);
      ::setitimer(ITIMER_PROF, &budget, nullptr);
      int rc = apply(r);
      struct itimerval off {};
      ::setitimer(ITIMER_PROF, &off, nullptr);
      if (send_with_fds(fd, &rc, sizeof rc, {}) != 0) break;
    }
    ::_exit(0);
  }

  Rehearsed rehearse(const AddRequest& r) {
    int rc = 0;
    if (send_with_fds(rehearsal_fd_.get(), &r, sizeof r, {}) == 0 &&
        recv_with_fds(rehearsal_fd_.get(), &rc, sizeof rc, nullptr) == static_cast<ssize_t>(sizeof rc))
      return Rehearsed::returned;
    // The copy is gone: out of time on this add, or lost for another reason
    // (then the add is made here, as LXC makes it).
    int status = stop_rehearsal();
    return WIFEXITED(status) && WEXITSTATUS(status) == kNeverReturned ? Rehearsed::never_returned : Rehearsed::lost;
  }

  /// Ends the copy; its wait status.
  int stop_rehearsal() {
    if (rehearsal_pid_ < 0) return 0;
    rehearsal_fd_.reset();  // a waiting copy sees the end and exits
    int status = 0;
    while (::waitpid(rehearsal_pid_, &status, 0) < 0 && errno == EINTR) {
    }
    rehearsal_pid_ = -1;
    return status;
  }

  static constexpr int kNeverReturned = 2;
  std::chrono::microseconds add_budget_;
  scmp_filter_ctx main_ = nullptr;
  std::vector<std::pair<uint32_t, scmp_filter_ctx>> compat_;
  pid_t rehearsal_pid_ = -1;
  UniqueFd rehearsal_fd_;
};

/// "2.5.4": the libseccomp this binary runs with.
std::string libseccomp_version() {
  const scmp_version* v = seccomp_version();
  return std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->micro);
}

struct OpName {
  std::string_view symbol;
  std::string_view long_name;
  SeccompCompare op;
};

constexpr OpName kOps[] = {
    {"!=", "SCMP_CMP_NE", SeccompCompare::ne}, {"<", "SCMP_CMP_LT", SeccompCompare::lt},
    {"<=", "SCMP_CMP_LE", SeccompCompare::le}, {"==", "SCMP_CMP_EQ", SeccompCompare::eq},
    {">=", "SCMP_CMP_GE", SeccompCompare::ge}, {">", "SCMP_CMP_GT", SeccompCompare::gt},
    {"&=", "SCMP_CMP_MASKED_EQ", SeccompCompare::masked_eq},
};

std::string_view op_symbol(SeccompCompare op) {
  for (const OpName& o : kOps)
    if (o.op == op) return o.symbol;
  return "?";
}

// ---- parse state ------------------------------------------------------------------------

struct State {
  State(std::string_view t, uint32_t id, Diagnostics& d, const SeccompHost& h)
      : text(t), file_id(id), diags(d), host(host_arch(h.machine)), add_budget(h.add_budget), line_start(t.data()) {
    policy.machine = h.machine;
    section_active = host != HostArch::unknown;
  }

  std::string_view text;
  uint32_t file_id;
  Diagnostics& diags;
  HostArch host;
  std::chrono::microseconds add_budget;
  const char* line_start;
  uint32_t line = 1;

  SeccompPolicy policy;
  bool header_ok = false;
  bool in_body = false;  // reading version 2 rules
  std::unique_ptr<Validator> validator;
  std::vector<std::string> syscall_names;  // for "did you mean"
  bool crlf_warned = false;
  std::string_view type_text;  // 'denylist', 'whitelist', ... as written

  // The section the current line is in.
  std::string section;
  bool section_active = true;

  // The action last read, and where.
  SeccompAction action;
  bool action_given = false;
  const char* action_at = nullptr;
  const char* action_end = nullptr;
  std::string_view errno_text;  // the number after 'errno', as written

  // The rule line being read.
  std::string_view name;
  const char* name_at = nullptr;
  std::vector<SeccompArgCmp> args;
  SeccompArgCmp group;
  std::string_view lead;  // text between the previous ']' and this group's '['
  bool group_mask = false;

  std::string_view current_line() const {
    size_t begin = static_cast<size_t>(line_start - text.data());
    size_t end = text.find('\n', begin);
    return text.substr(begin, end == std::string_view::npos ? std::string_view::npos : end - begin);
  }
  uint32_t col(const char* p) const { return static_cast<uint32_t>(p - line_start) + 1; }
  Origin origin(const char* p) const { return Origin{file_id, line, col(p)}; }

  void next_line(const char* start) {
    line_start = start;
    ++line;
    action_given = false;
    args.clear();
  }
  /// Lines counted inside text that scanf skipped as whitespace.
  void skip_lines(const char* begin, const char* end) {
    for (const char* p = begin; p < end; ++p) {
      if (*p == '\n') {
        ++line;
        line_start = p + 1;
      }
    }
  }

  /// Adds a diagnostic on the current line. An error on a rule line that
  /// LXC skips on this host (its section is not used here) is a warning.
  void issue(Severity sev, const char* at, uint32_t length, std::string message,
             std::vector<std::string> notes = {}) {
    bool section_line = line_start < text.data() + text.size() && *line_start == '[';
    if (sev == Severity::error && in_body && !section_active && !section_line) {
      sev = Severity::warning;
      notes.push_back(section.empty()
                          ? "LXC skips the rules before the first section on this host (" + policy.machine +
                                "), so the policy only fails on hosts that use them"
                          : "LXC skips section '[" + section + "]' on this host (" + policy.machine +
                                "), so the policy only fails on hosts that use it");
    }
    diags.add(Diagnostic{sev, origin(at), length == 0 ? 1 : length, std::move(message), std::string(current_line()),
                         std::move(notes)});
  }
};

/// "errno N is out of range", naming what was written when it was cut.
std::string errno_range_message(const State& st, uint16_t value) {
  std::string written(st.errno_text);
  std::string what = written == std::to_string(value)
                         ? "errno " + written
                         : "errno '" + written + "' (cut to 16 bits: " + std::to_string(value) + ")";
  return what + " is out of range: libseccomp accepts 0 to 4094";
}

/// Records an error and abandons the line (try_catch in the grammar goes on
/// with the next one).
template <typename Input>
[[noreturn]] void fail(const Input& in, State& st, const char* at, uint32_t length, std::string message,
                       std::vector<std::string> notes = {}) {
  st.issue(Severity::error, at, length, message, std::move(notes));
  throw pegtl::parse_error(message, in);
}

uint32_t word_length(const char* p, const char* end) {
  const char* q = p;
  while (q < end && *q != ' ' && *q != '\n') ++q;
  return static_cast<uint32_t>(q - p);
}

// Per-rule notes added to syntax errors.
template <typename Rule>
std::vector<std::string> syntax_notes(const State& st) {
  std::vector<std::string> notes;
  std::string_view line = st.current_line();
  if constexpr (std::is_same_v<Rule, g::has_allowlist>) {
    if (line.find("whitelist") != std::string_view::npos)
      notes.push_back("version 1 does not accept the old name 'whitelist': write 'allowlist'");
  }
  if constexpr (std::is_same_v<Rule, g::explicit_action>) {
    if (!st.in_body && !line.empty() && line.back() == ' ') {
      notes.push_back("remove the trailing space, or write a default action after it");
    }
    if (st.in_body) {
      size_t space = line.find(' ');
      std::string_view name = line.substr(0, space);
      std::string_view rest =
          space == std::string_view::npos ? std::string_view{} : trim_left_blanks(line.substr(space));
      if (name.empty()) {
        notes.push_back("the line starts with a space, so LXC reads an empty syscall name and then expects an action");
      } else if (name.find('\t') != std::string_view::npos) {
        notes.push_back("a tab does not separate the syscall name from the action: LXC reads the name '" +
                        escape_control(name) + "'");
      } else if (!rest.empty() && rest[0] == '[') {
        notes.push_back("argument groups need an action before them, for example 'errno 1 [0,1,==]'");
      }
    }
  }
  if constexpr (std::is_same_v<Rule, g::section_name>) {
    if (!line.empty() && (line.back() == ' ' || line.back() == '\t')) notes.push_back("remove the trailing blanks");
  }
  if constexpr (std::is_same_v<Rule, g::first_open> || std::is_same_v<Rule, g::next_open> ||
                std::is_same_v<Rule, g::arg_index> || std::is_same_v<Rule, g::index_comma> ||
                std::is_same_v<Rule, g::arg_value> || std::is_same_v<Rule, g::value_comma> ||
                std::is_same_v<Rule, g::arg_op>) {
    size_t hash = line.find('#');
    if (hash != std::string_view::npos && hash < line.find('['))
      notes.push_back("a '[' anywhere on a rule line starts argument groups, even after '#'");
  }
  if (!line.empty() && line.back() == '\r') notes.push_back("the line ends with a carriage return (CRLF line endings)");
  if constexpr (std::is_same_v<Rule, g::arg_op>) {
    notes.push_back("the long forms SCMP_CMP_EQ, SCMP_CMP_NE, SCMP_CMP_LT, SCMP_CMP_LE, SCMP_CMP_GT, SCMP_CMP_GE and "
                    "SCMP_CMP_MASKED_EQ work too");
  }
  return notes;
}

template <typename Rule>
constexpr bool underline_word = std::is_same_v<Rule, g::explicit_action> || std::is_same_v<Rule, g::list_type> ||
                                std::is_same_v<Rule, g::section_name> || std::is_same_v<Rule, g::syscall_number> ||
                                std::is_same_v<Rule, g::version_number>;

/// Records a syntax error for the line, then throws so that try_catch in
/// the grammar moves on to the next line.
template <typename Rule>
struct control : pegtl::normal<Rule> {
  template <typename Input, typename... States>
  [[noreturn]] static void raise(const Input& in, State& st, States&&...) {
    static_assert(g::error_message<Rule> != nullptr, "every rule that can raise needs a message");
    const char* at = in.current();
    uint32_t length = underline_word<Rule> ? word_length(at, in.end()) : 1;
    if constexpr (std::is_same_v<Rule, g::version_number>) {
      // Point at the first thing that is not whitespace.
      at = st.text.data();
      while (at < in.end() && std::isspace(static_cast<unsigned char>(*at))) ++at;
      st.skip_lines(st.text.data(), at);
      length = word_length(at, in.end());
    }
    if constexpr (std::is_same_v<Rule, g::section_name> || std::is_same_v<Rule, g::has_allowlist>) {
      at = st.line_start;
      length = static_cast<uint32_t>(st.current_line().size());
    }
    if constexpr (std::is_same_v<Rule, g::no_debug>) {
      at = st.line_start + st.current_line().find("debug");
      length = 5;
    }
    st.issue(Severity::error, at, length, g::error_message<Rule>, syntax_notes<Rule>(st));
    throw pegtl::parse_error(g::error_message<Rule>, in);
  }
};

template <typename Rule>
struct action : pegtl::nothing<Rule> {};

template <>
struct action<g::eol> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    if (st.in_body && !st.crlf_warned && in.begin() > st.line_start && in.begin()[-1] == '\r') {
      st.crlf_warned = true;
      st.issue(Severity::warning, in.begin() - 1, 1,
               "this line ends with a carriage return (CRLF line endings): LXC keeps the '\\r' as part of each line",
               {"a rule without an action then names an unknown system call ('read\\r') and is silently ignored, "
                "and a section header is rejected",
                "save the file with LF line endings"});
    }
    st.next_line(in.end());
  }
};

// ---- version and header -------------------------------------------------------------------

template <>
struct action<g::version_number> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    const char* digits = in.begin();
    while (std::isspace(static_cast<unsigned char>(*digits))) ++digits;
    st.skip_lines(in.begin(), digits);
    std::string_view text(digits, static_cast<size_t>(in.end() - digits));
    ScannedInt v = scan_int(text, 10);
    if (v.value != 1 && v.value != 2) {
      fail(in, st, digits, static_cast<uint32_t>(text.size()),
           "unsupported policy version '" + std::string(text) + "': expected 1 or 2");
    }
    st.policy.version = v.value;
  }
};

template <>
struct action<g::version_end> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    st.skip_lines(in.begin(), in.end());
  }
};

template <>
struct action<g::kill_word> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    st.action = SeccompAction{SeccompAction::Kind::kill, 0};
    st.action_at = in.begin();
  }
};
template <>
struct action<g::allow_word> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    st.action = SeccompAction{SeccompAction::Kind::allow, 0};
    st.action_at = in.begin();
  }
};
template <>
struct action<g::trap_word> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    st.action = SeccompAction{SeccompAction::Kind::trap, 0};
    st.action_at = in.begin();
  }
};
template <>
struct action<g::notify_word> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    st.action = SeccompAction{SeccompAction::Kind::notify, 0};
    st.action_at = in.begin();
  }
};
template <>
struct action<g::errno_word> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    st.action_at = in.begin();
  }
};

template <>
struct action<g::errno_number> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    std::string_view text(in.begin(), in.size());
    size_t skip = 0;
    while (skip < text.size() && std::isspace(static_cast<unsigned char>(text[skip]))) ++skip;
    st.errno_text = text.substr(skip);
    ScannedInt v = scan_int(text, 10);
    uint16_t cut = static_cast<uint16_t>(static_cast<unsigned>(v.value) & 0xffffu);
    st.action = SeccompAction{SeccompAction::Kind::errno_, cut};
    if ((!v.exact || v.value < 0 || v.value > 0xffff) && cut <= kMaxErrno) {
      st.issue(Severity::warning, in.begin() + skip, static_cast<uint32_t>(text.size() - skip),
               "errno '" + std::string(st.errno_text) + "' is cut to 16 bits: it becomes " + std::to_string(cut));
    }
  }
};

/// Text after an action word is ignored by LXC; say so unless it is blank,
/// a comment or the argument groups.
template <>
struct action<g::action_tail> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    std::string_view tail(in.begin(), in.size());
    st.action_end = in.begin();
    if (!tail.empty() && tail.back() == '\r') tail.remove_suffix(1);  // reported as CRLF
    if (tail.empty()) return;
    std::string_view word(st.action_at, static_cast<size_t>(in.begin() - st.action_at));
    if (tail[0] != ' ' && tail[0] != '\t') {
      size_t n = tail.find_first_of(" \t");
      std::string_view attached = tail.substr(0, n);
      if (st.action.kind == SeccompAction::Kind::errno_ && (attached[0] == 'x' || attached[0] == 'X') &&
          !st.errno_text.empty() && st.errno_text.back() == '0') {
        st.issue(Severity::warning, st.errno_text.data(),
                 static_cast<uint32_t>(st.errno_text.size() + attached.size()),
                 "'" + std::string(st.errno_text) + std::string(attached) + "' is read as errno " +
                     std::to_string(st.action.errno_value) + ": the number after 'errno' must be decimal");
        return;
      }
      st.issue(Severity::warning, st.action_at, static_cast<uint32_t>(word.size() + attached.size()),
               "'" + escape_control(std::string(word) + std::string(attached)) + "' is read as '" + st.action.str() +
                   "': the text after the action is ignored");
      return;
    }
    std::string_view rest = trim_left_blanks(tail);
    if (rest.empty() || rest[0] == '#' || rest[0] == '[') return;
    size_t stop = rest.find_first_of("#[");
    std::string_view ignored = trim_right_blanks(rest.substr(0, stop));
    st.issue(Severity::warning, rest.data(), static_cast<uint32_t>(ignored.size()),
             "'" + escape_control(ignored) + "' after the action is ignored", {"start a comment with '#'"});
  }
};

template <>
struct action<g::explicit_action> {
  template <typename Input>
  static void apply(const Input&, State& st) {
    st.action_given = true;
  }
};

template <>
struct action<g::denylist_type> {
  template <typename Input>
  static void apply(const Input&, State& st) {
    st.policy.type = SeccompListType::denylist;
  }
};
template <>
struct action<g::allowlist_type> {
  template <typename Input>
  static void apply(const Input&, State& st) {
    st.policy.type = SeccompListType::allowlist;
  }
};

template <>
struct action<g::list_type> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    st.type_text = std::string_view(in.begin(), in.size());
  }
};

template <>
struct action<g::list_type_tail> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    std::string_view tail(in.begin(), in.size());
    if (!tail.empty() && tail.back() == '\r') tail.remove_suffix(1);
    if (tail.empty()) return;
    size_t tab = tail.find('\t');
    std::string_view after = tab == std::string_view::npos ? std::string_view{} : trim_blanks(tail.substr(tab));
    std::string type(st.type_text);
    if (!after.empty()) {
      st.issue(Severity::warning, after.data(), static_cast<uint32_t>(after.size()),
               "a tab does not separate the policy type from the default action: LXC ignores '" + escape_control(after) + "'",
               {"use a space"});
      return;
    }
    if (tab == 0) return;  // trailing tabs only
    std::string_view attached = tail.substr(0, tab);
    st.issue(Severity::warning, attached.data(), static_cast<uint32_t>(attached.size()),
             "'" + escape_control(attached) + "' after '" + type + "' is ignored");
  }
};

template <>
struct action<g::default_action> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    if (!st.action_given) return;  // "denylist " at the very end of the file
    st.policy.default_action = st.action;
    if (st.action.kind == SeccompAction::Kind::errno_ && st.action.errno_value > kMaxErrno) {
      fail(in, st, st.action_at, static_cast<uint32_t>(st.action_end - st.action_at),
           errno_range_message(st, st.action.errno_value) + ", so LXC cannot create the filter");
    }
    if (st.action.kind == SeccompAction::Kind::notify) {
      st.issue(Severity::warning, st.action_at, 6,
               "a 'notify' default action does not make LXC set up a notification listener: loading the filter is "
               "likely to fail",
               {"give 'notify' to the rules that need it instead"});
    }
  }
};

template <>
struct action<g::v1_header> {
  template <typename Input>
  static void apply(const Input&, State& st) {
    st.policy.type = SeccompListType::allowlist;
    st.policy.default_action = SeccompAction{SeccompAction::Kind::kill, 0};
    st.policy.rule_default = SeccompAction{SeccompAction::Kind::allow, 0};
    st.policy.arches = {seccomp_arch_native()};
    st.validator =
        std::make_unique<Validator>(st.policy.default_action.scmp(), std::vector<uint32_t>{}, st.add_budget);
    st.header_ok = true;
  }
};

template <>
struct action<g::v2_header> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    bool explicit_default = st.action_given;
    SeccompPolicy& p = st.policy;
    bool deny = p.type == SeccompListType::denylist;
    using Kind = SeccompAction::Kind;
    if (!explicit_default) p.default_action = SeccompAction{deny ? Kind::allow : Kind::kill, 0};
    p.rule_default = SeccompAction{deny ? Kind::kill : Kind::allow, 0};
    std::vector<uint32_t> compat = compat_arches(st.host);
    p.arches = {seccomp_arch_native()};
    p.arches.insert(p.arches.end(), compat.begin(), compat.end());
    st.validator = std::make_unique<Validator>(p.default_action.scmp(), compat, st.add_budget);
    if (!st.validator->ok()) {
      fail(in, st, st.line_start, static_cast<uint32_t>(st.current_line().size()),
           "libseccomp cannot create a filter with the default action '" + p.default_action.str() + "'",
           {p.default_action.kind == SeccompAction::Kind::notify
                ? "this kernel does not offer seccomp user notification"
                : "libseccomp does not accept this action here"});
    }
    st.header_ok = true;
  }
};

// ---- version 1 rules ------------------------------------------------------------------------

template <>
struct action<g::syscall_number> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    std::string_view text(in.begin(), in.size());
    size_t skip = 0;
    while (skip < text.size() && std::isspace(static_cast<unsigned char>(text[skip]))) ++skip;
    st.name = text.substr(skip);
    st.name_at = in.begin() + skip;
  }
};

template <>
struct action<g::v1_line> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    std::string_view written = st.name;
    auto length = static_cast<uint32_t>(written.size());
    ScannedInt v = scan_int(written, 10);
    const char* after = st.name_at + written.size();
    if (after < in.end() && !std::isspace(static_cast<unsigned char>(*after))) {
      st.issue(Severity::warning, st.name_at, word_length(st.name_at, in.end()),
               "'" + escape_control(std::string_view(st.name_at, word_length(st.name_at, in.end()))) + "' is read as " +
                   std::to_string(v.value) + ": only decimal digits are part of the number");
    } else if (!v.exact) {
      st.issue(Severity::warning, st.name_at, length,
               "'" + std::string(written) + "' does not fit an int: LXC reads it as " + std::to_string(v.value));
    }
    SeccompRule r;
    r.origin = st.origin(st.name_at);
    r.nr = v.value;
    r.action = st.policy.rule_default;
    r.arches = {seccomp_arch_native()};
    if (char* name = seccomp_syscall_resolve_num_arch(seccomp_arch_native(), v.value)) {
      r.name = name;
      std::free(name);
    } else {
      r.name = std::to_string(v.value);
    }
    if (r.name == std::to_string(v.value) && v.value >= 0) {
      st.issue(Severity::warning, st.name_at, length,
               "there is no system call " + std::to_string(v.value) + " on " +
                   seccomp_arch_name(seccomp_arch_native()) + ": the rule has no effect");
    }
    if (v.value < 0) {
      fail(in, st, st.name_at, length,
           "syscall number " + std::to_string(v.value) + " is negative: libseccomp refuses the rule");
    }
    if (st.validator && st.validator->ok()) {
      int rc = st.validator->add(seccomp_arch_native(), SCMP_ACT_ALLOW, v.value, {}, false).value_or(0);
      if (rc < 0) {
        fail(in, st, st.name_at, length,
             "libseccomp refuses an allow rule for syscall number " + std::to_string(v.value) + ": " +
                 std::strerror(-rc));
      }
    }
    st.policy.rules.push_back(std::move(r));
  }
};

// ---- version 2 lines ------------------------------------------------------------------------

template <>
struct action<g::v2_header_line> {
  template <typename Input>
  static void apply(const Input&, State& st) {
    st.in_body = true;
  }
};

template <>
struct action<g::section_name> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    std::string_view name(in.begin(), in.size() - 1);  // without ']'
    st.section = std::string(name);
    st.section_active = section_used(name, st.host);
  }
};

template <>
struct action<g::syscall_name> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    st.name = std::string_view(in.begin(), in.size());
    st.name_at = in.begin();
    st.args.clear();
  }
};

// Argument groups.
template <>
struct action<g::next_lead> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    st.lead = trim_blanks(std::string_view(in.begin(), in.size()));
  }
};

struct open_group {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    st.group = SeccompArgCmp{};
    st.group.origin = st.origin(in.begin());
    st.group_mask = false;
  }
};
template <> struct action<g::first_open> : open_group {};
template <>
struct action<g::next_open> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    if (!st.lead.empty()) {
      st.issue(Severity::warning, st.lead.data(), static_cast<uint32_t>(st.lead.size()),
               "'" + escape_control(st.lead) + "' between argument groups is ignored");
    }
    open_group::apply(in, st);
  }
};

template <>
struct action<g::arg_index> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    std::string_view text(in.begin(), in.size());
    auto index = static_cast<uint32_t>(scan_int(text, 0).value);
    if (index >= 6) {
      std::string_view shown_text = trim_blanks(text);
      fail(in, st, shown_text.data(), static_cast<uint32_t>(shown_text.size()),
           "argument index '" + std::string(shown_text) + "' is out of range: system calls have the arguments 0 to 5");
    }
    st.group.index = index;
  }
};

template <>
struct action<g::arg_value> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    std::string_view text(in.begin(), in.size());
    std::optional<uint64_t> v = safe_uint64(text);
    if (!v) {
      fail(in, st, in.begin(), static_cast<uint32_t>(text.size()),
           "argument value '" + escape_control(text) + "' is not a number: expected an unsigned 64-bit number (decimal, 0x "
           "hexadecimal or 0 octal) with nothing after it");
    }
    st.group.value = *v;
  }
};

template <>
struct action<g::arg_op> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    std::string_view text(in.begin(), in.size());
    for (const OpName& o : kOps) {
      if (text == o.symbol || text == o.long_name) {
        st.group.op = o.op;
        return;
      }
    }
    fail(in, st, in.begin(), static_cast<uint32_t>(text.size()),
         "unknown comparison operator '" + escape_control(text) + "': expected '==' '!=' '<' '<=' '>' '>=' or '&=' (no blanks)",
         {"the long forms SCMP_CMP_EQ, SCMP_CMP_NE, SCMP_CMP_LT, SCMP_CMP_LE, SCMP_CMP_GT, SCMP_CMP_GE and "
          "SCMP_CMP_MASKED_EQ work too"});
  }
};

template <>
struct action<g::arg_mask> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    std::string_view text(in.begin(), in.size());
    if (text.empty()) return;  // LXC's mask stays "0"
    std::optional<uint64_t> v = safe_uint64(text);
    if (!v) {
      std::vector<std::string> notes;
      if (text.size() == 23 && in.end() < in.input().end() && *in.end() != ']' && *in.end() != '\n')
        notes.push_back("LXC reads at most 23 characters of the mask");
      fail(in, st, in.begin(), static_cast<uint32_t>(text.size()),
           "mask '" + escape_control(text) + "' is not a number: expected an unsigned 64-bit number with nothing after it",
           std::move(notes));
    }
    st.group.mask = *v;
    st.group_mask = true;
  }
};

template <>
struct action<g::group_tail> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    std::string_view tail(in.begin(), in.size());
    if (!tail.empty() && tail.back() == '\r') tail.remove_suffix(1);
    if (tail.empty()) return;
    st.issue(Severity::warning, in.begin(), static_cast<uint32_t>(tail.size()),
             "'" + escape_control(tail) + "' in the argument group is ignored",
             {"an argument group reads '[INDEX,VALUE,OP]' or '[INDEX,VALUE,OP,MASK]'; a mask has at most 23 "
              "characters"});
  }
};

template <>
struct action<g::group_body> {
  template <typename Input>
  static void apply(const Input&, State& st) {
    const char* at = st.line_start + st.group.origin.col - 1;
    if (st.group.op == SeccompCompare::masked_eq && !st.group_mask) {
      st.issue(Severity::warning, at, 1, "'&=' without a mask compares (arg & 0) with the value",
               {"write the mask: '[INDEX,VALUE,&=,MASK]'"});
    } else if (st.group.op != SeccompCompare::masked_eq && st.group_mask) {
      st.issue(Severity::warning, at, 1, "the mask is ignored: only '&=' uses it");
    }
    st.args.push_back(st.group);
  }
};

template <>
struct action<g::extra_groups> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    const char* p = in.begin();
    const char* end = in.end();
    while (p < end && (*p == ']' || *p == ' ' || *p == '\t')) ++p;
    while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r')) --end;
    if (p == end) return;
    st.issue(Severity::warning, p, static_cast<uint32_t>(end - p),
             "LXC reads at most six argument groups: the rest of the line is ignored");
  }
};

void check_and_add_rule(const pegtl::memory_input<pegtl::tracking_mode::lazy>& in, State& st);

template <>
struct action<g::rule_line> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    std::string_view line(st.line_start, static_cast<size_t>(in.end() - st.line_start));
    if (line.find('[') != std::string_view::npos) {
      pegtl::memory_input<pegtl::tracking_mode::lazy> args_in(st.line_start, in.end(), "");
      pegtl::parse<g::arg_groups, action, control>(args_in, st);
    }
    if (!st.section_active) return;  // LXC skips the line on this host
    pegtl::memory_input<pegtl::tracking_mode::lazy> here(st.line_start, in.end(), "");
    check_and_add_rule(here, st);
  }
};

// ---- version 2 rules: resolution and libseccomp's checks -------------------------------------

const std::vector<std::string>& syscall_names(State& st) {
  if (st.syscall_names.empty()) {
    for (int nr = 0; nr < 1024; ++nr) {
      if (char* name = seccomp_syscall_resolve_num_arch(seccomp_arch_native(), nr)) {
        st.syscall_names.emplace_back(name);
        std::free(name);
      }
    }
  }
  return st.syscall_names;
}

void warn_unknown(State& st, std::string_view name) {
  if (!name.empty() && name.back() == '\r' &&
      seccomp_syscall_resolve_name(std::string(name.substr(0, name.size() - 1)).c_str()) != __NR_SCMP_ERROR) {
    return;  // the CRLF warning covers it
  }
  auto length = static_cast<uint32_t>(name.size());
  std::vector<std::string> notes;
  if (name.empty()) {
    std::string_view line = st.current_line();
    std::string_view rest = trim_left_blanks(line);
    if (rest.empty() || rest[0] == '#') return;  // an empty or indented comment line
    st.issue(Severity::warning, st.line_start, 1,
             "the line starts with a space, so LXC reads an empty syscall name and ignores the rule");
    return;
  }
  if (size_t tab = name.find('\t'); tab != std::string_view::npos) {
    notes.push_back("a tab does not separate the syscall name from the action: use a space");
  } else if (name.find_first_not_of("0123456789") == std::string_view::npos) {
    notes.push_back("version 2 rules name system calls; numbers are not accepted");
  } else if (std::string lower = to_lower(name);
             lower != name && seccomp_syscall_resolve_name(lower.c_str()) != __NR_SCMP_ERROR) {
    notes.push_back("names are case-sensitive: did you mean '" + lower + "'?");
  } else {
    const std::vector<std::string>& all = syscall_names(st);
    std::vector<std::string_view> candidates(all.begin(), all.end());
    if (auto m = closest_match(name, candidates, 2)) notes.push_back("did you mean '" + std::string(*m) + "'?");
  }
  st.issue(Severity::warning, st.name_at, length,
           "unknown system call '" + escape_control(name) + "': LXC ignores this rule", std::move(notes));
}

void check_and_add_rule(const pegtl::memory_input<pegtl::tracking_mode::lazy>& in, State& st) {
  SeccompPolicy& p = st.policy;
  SeccompRule r;
  r.origin = st.origin(st.name_at);
  r.section = st.section;
  r.action = st.action_given ? st.action : p.rule_default;
  r.explicit_action = st.action_given;
  r.args = st.args;
  if (r.action.kind == SeccompAction::Kind::notify) p.wants_notify = true;
  auto name_length = static_cast<uint32_t>(st.name.size());
  const char* action_at = st.action_given ? st.action_at : st.name_at;
  auto action_length =
      st.action_given ? static_cast<uint32_t>(st.action_end - st.action_at) : std::max<uint32_t>(name_length, 1);

  std::string name(st.name);
  if (name.starts_with("reject_force_umount")) {
    // The rest of the line has been checked, and is ignored.
    r.reject_force_umount = true;
    r.name = "umount2";
    r.action = SeccompAction{SeccompAction::Kind::errno_, EACCES};
    r.args = {SeccompArgCmp{r.origin, 1, SeccompCompare::masked_eq, MNT_FORCE, MNT_FORCE}};
    r.nr = SCMP_SYS(umount2);
    r.arches = p.arches;
  } else {
    r.name = name;
    r.nr = seccomp_syscall_resolve_name(name.c_str());
    if (r.nr == __NR_SCMP_ERROR) {
      warn_unknown(st, st.name);
      return;
    }
    if (r.nr >= 0) r.arches.push_back(seccomp_arch_native());
    for (size_t i = 1; i < p.arches.size(); ++i)
      if (seccomp_syscall_resolve_name_arch(p.arches[i], name.c_str()) >= 0) r.arches.push_back(p.arches[i]);
    if (r.arches.empty()) {
      st.issue(Severity::warning, st.name_at, name_length,
               "system call '" + escape_control(name) + "' does not exist on the ABIs the filter covers on this host: LXC " +
                   "ignores this rule");
      return;
    }
  }

  if (!st.header_ok || !st.validator || !st.validator->ok()) {
    p.rules.push_back(std::move(r));  // the header is broken: nothing to check against
    return;
  }
  // libseccomp's own checks, with better messages than its errno.
  if (r.action == p.default_action) {
    fail(in, st, action_at, action_length,
         "the rule's action '" + r.action.str() + "' is the filter's default action: libseccomp refuses such a rule",
         {r.reject_force_umount ? "reject_force_umount makes umount2 fail with errno 13 (EACCES), which is also the "
                                  "default given in the header"
          : r.explicit_action  ? "remove the rule, or give it another action"
                               : "a rule without an action gets '" + p.rule_default.str() + "' in a " +
                                     (p.type == SeccompListType::denylist ? "denylist" : "allowlist") +
                                     ", which is also the default given in the header"});
  }
  if (r.action.kind == SeccompAction::Kind::errno_ && r.action.errno_value > kMaxErrno) {
    fail(in, st, action_at, action_length, errno_range_message(st, r.action.errno_value));
  }
  for (size_t i = 0; i < r.args.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (r.args[i].index == r.args[j].index) {
        fail(in, st, st.line_start + r.args[i].origin.col - 1, 1,
             "argument " + std::to_string(r.args[i].index) +
                 " is compared twice: libseccomp refuses two groups on the same argument",
             {"use one group, with '&=' and a mask if several bits matter"});
      }
    }
  }

  // The calls LXC makes: the native filter, then the other ABIs. Only a
  // rule with arguments after another one with arguments for the same
  // system call can make libseccomp loop. The same call by its number, as
  // libseccomp sees it: a name as written may differ (a NUL byte in it
  // ends the name libseccomp resolves).
  std::vector<std::string> earlier_with_args;
  for (const SeccompRule& earlier : p.rules)
    if (earlier.nr == r.nr && !earlier.args.empty()) earlier_with_args.push_back(std::to_string(earlier.origin.line));
  bool risky = !r.args.empty() && !earlier_with_args.empty();
  std::vector<scmp_arg_cmp> cmps = scmp_arg_cmps(r);
  for (uint32_t arch : r.arches) {
    std::optional<int> added = st.validator->add(arch, r.action.scmp(), r.nr, cmps, risky);
    if (!added) {
      st.validator.reset();  // its filter is no copy of LXC's any more: no later rule is checked against it
      fail(in, st, st.name_at, name_length,
           std::string("libseccomp ") + libseccomp_version() +
               " never finishes adding this rule: it loops forever merging it with the earlier rules for '" + r.name +
               "' (LXC hangs on this policy too)",
           {"the earlier rules for '" + r.name + "' with arguments are at line" +
                (earlier_with_args.size() > 1 ? "s " : " ") + join(earlier_with_args, ", "),
            "libseccomp finishes when the rule that compares fewer arguments comes first"});
    }
    int rc = *added;
    if (rc == 0) continue;
    std::vector<std::string> notes;
    if (rc == -EEXIST) {
      for (auto it = p.rules.rbegin(); it != p.rules.rend(); ++it) {
        if (it->name == r.name) {
          notes.push_back("the earlier rule for '" + r.name + "' is at line " + std::to_string(it->origin.line));
          break;
        }
      }
      fail(in, st, st.name_at, name_length,
           "libseccomp refuses this rule: it conflicts with an earlier rule for '" + r.name +
               "' that compares the same arguments with a different action",
           std::move(notes));
    }
    if (r.action.kind == SeccompAction::Kind::notify && rc == -EINVAL) {
      fail(in, st, action_at, action_length,
           "libseccomp refuses the action 'notify' here: this kernel does not offer seccomp user notification");
    }
    fail(in, st, st.name_at, name_length,
         "libseccomp refuses this rule on " + seccomp_arch_name(arch) + ": " + std::strerror(-rc));
  }

  // A rule after a plain one for the same system call changes nothing.
  for (const SeccompRule& earlier : p.rules) {
    if (earlier.name == r.name && earlier.args.empty()) {
      st.issue(Severity::warning, st.name_at, name_length,
               "this rule has no effect: the rule for '" + r.name + "' at line " + std::to_string(earlier.origin.line) +
                   " applies to every call and libseccomp keeps the first one");
      break;
    }
  }
  p.rules.push_back(std::move(r));
}

std::string join_arches(const std::vector<uint32_t>& arches) {
  std::string out;
  for (uint32_t a : arches) {
    if (!out.empty()) out += ',';
    out += seccomp_arch_name(a);
  }
  return out;
}

}  // namespace

uint32_t SeccompAction::scmp() const {
  switch (kind) {
    case Kind::kill: return SCMP_ACT_KILL;
    case Kind::errno_: return SCMP_ACT_ERRNO(errno_value);
    case Kind::allow: return SCMP_ACT_ALLOW;
    case Kind::trap: return SCMP_ACT_TRAP;
    case Kind::notify: return SCMP_ACT_NOTIFY;
  }
  return SCMP_ACT_KILL;
}

std::string SeccompAction::str() const {
  switch (kind) {
    case Kind::kill: return "kill";
    case Kind::errno_: return "errno " + std::to_string(errno_value);
    case Kind::allow: return "allow";
    case Kind::trap: return "trap";
    case Kind::notify: return "notify";
  }
  return "?";
}

SeccompHost SeccompHost::current() {
  struct utsname u {};
  if (::uname(&u) != 0) return SeccompHost{""};
  return SeccompHost{u.machine};
}

std::string seccomp_arch_name(uint32_t arch) {
  struct Name {
    uint32_t arch;
    const char* name;
  };
  static constexpr Name kNames[] = {
      {SCMP_ARCH_X86, "x86"},         {SCMP_ARCH_X86_64, "x86_64"},     {SCMP_ARCH_X32, "x32"},
      {SCMP_ARCH_ARM, "arm"},         {SCMP_ARCH_AARCH64, "aarch64"},   {SCMP_ARCH_MIPS, "mips"},
      {SCMP_ARCH_MIPS64, "mips64"},   {SCMP_ARCH_MIPS64N32, "mips64n32"}, {SCMP_ARCH_MIPSEL, "mipsel"},
      {SCMP_ARCH_MIPSEL64, "mipsel64"}, {SCMP_ARCH_MIPSEL64N32, "mipsel64n32"}, {SCMP_ARCH_PPC, "ppc"},
      {SCMP_ARCH_PPC64, "ppc64"},     {SCMP_ARCH_PPC64LE, "ppc64le"},   {SCMP_ARCH_S390, "s390"},
      {SCMP_ARCH_S390X, "s390x"},     {SCMP_ARCH_PARISC, "parisc"},     {SCMP_ARCH_PARISC64, "parisc64"},
      {SCMP_ARCH_RISCV64, "riscv64"},
  };
  for (const Name& n : kNames)
    if (n.arch == arch) return n.name;
  return "arch " + std::to_string(arch);
}

SeccompPolicy parse_seccomp_policy(std::string_view text, const std::string& file_name, Diagnostics& diags,
                                   SourceTable& sources, const SeccompHost& host) {
  uint32_t id = sources.add(file_name, Origin{});
  State st(text, id, diags, host);
  if (size_t nul = text.find('\0'); nul != std::string_view::npos) {
    // LXC reads each line as a C string: it would stop at the NUL.
    const char* p = text.data() + nul;
    State at(text, id, diags, host);
    at.skip_lines(text.data(), p);
    at.issue(Severity::error, p, 1, "NUL byte in the policy: LXC reads the line only up to it");
  }
  pegtl::memory_input<pegtl::tracking_mode::lazy> in(text.data(), text.size(), file_name);
  try {
    pegtl::parse<g::version, action, control>(in, st);
  } catch (const pegtl::parse_error&) {
    return std::move(st.policy);  // without a version nothing else can be read
  }
  if (st.policy.version == 1) pegtl::parse<g::v1_rest, action, control>(in, st);
  else pegtl::parse<g::v2_rest, action, control>(in, st);
  return std::move(st.policy);
}

std::string describe(const SeccompPolicy& p) {
  std::string out;
  out += "version " + std::to_string(p.version) + "\n";
  out += std::string("type ") + (p.type == SeccompListType::denylist ? "denylist" : "allowlist") + "\n";
  out += "default " + p.default_action.str() + "\n";
  out += "rule-default " + p.rule_default.str() + "\n";
  out += "host " + p.machine + " abis " + join_arches(p.arches) + "\n";
  out += std::string("notify ") + (p.wants_notify ? "yes" : "no") + "\n";
  for (const SeccompRule& r : p.rules) {
    out += "rule " + std::to_string(r.origin.line) + ":" + std::to_string(r.origin.col);
    if (!r.section.empty()) out += " [" + r.section + "]";
    out += " " + r.name + " nr=" + std::to_string(r.nr) + " " + r.action.str();
    if (!r.explicit_action && !r.reject_force_umount) out += " (default)";
    if (r.reject_force_umount) out += " (reject_force_umount)";
    for (const SeccompArgCmp& a : r.args) {
      out += " [" + std::to_string(a.index) + "," + std::to_string(a.value) + "," + std::string(op_symbol(a.op));
      if (a.op == SeccompCompare::masked_eq) out += "," + std::to_string(a.mask);
      out += "]";
    }
    out += " abis " + join_arches(r.arches) + "\n";
  }
  return out;
}

std::vector<scmp_arg_cmp> scmp_arg_cmps(const SeccompRule& rule) {
  auto to_scmp = [](SeccompCompare op) {
    switch (op) {
      case SeccompCompare::ne: return SCMP_CMP_NE;
      case SeccompCompare::lt: return SCMP_CMP_LT;
      case SeccompCompare::le: return SCMP_CMP_LE;
      case SeccompCompare::eq: return SCMP_CMP_EQ;
      case SeccompCompare::ge: return SCMP_CMP_GE;
      case SeccompCompare::gt: return SCMP_CMP_GT;
      case SeccompCompare::masked_eq: return SCMP_CMP_MASKED_EQ;
    }
    return SCMP_CMP_EQ;
  };
  std::vector<scmp_arg_cmp> cmps;
  for (const SeccompArgCmp& a : rule.args) {
    // Spelled out rather than SCMP_CMP(), whose compound literal leaves
    // datum_b implicit; for SCMP_CMP_MASKED_EQ libseccomp takes the mask
    // first (datum_a), then the value.
    if (a.op == SeccompCompare::masked_eq) cmps.push_back(scmp_arg_cmp{a.index, to_scmp(a.op), a.mask, a.value});
    else cmps.push_back(scmp_arg_cmp{a.index, to_scmp(a.op), a.value, 0});
  }
  return cmps;
}

}  // namespace corral::config
