// Mount lines: the actions of grammar/fstab.hpp (decoding escapes, keeping
// the source position of every decoded byte), then the meaning of the
// options (spec/fstab-and-mount-entries.md §4).
#include "config/fstab.hpp"

#include <sys/mount.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <utility>

#include "grammar/fstab.hpp"
#include "grammar/fstab_errors.hpp"
#include "util/strings.hpp"

namespace corral::config {

namespace {

namespace g = corral::grammar::fstab;
namespace pegtl = tao::pegtl;

/// LXC reads mount lines with fgets into a PATH_MAX (4096) buffer: a line of
/// more than 4094 bytes (4095 with its '\n') is cut and the rest dropped.
constexpr size_t kMaxLineLength = 4094;

// ---- option tables (5.0.2's order, which matters only for the prefix note) ----

struct FlagOption {
  std::string_view name;
  bool clear;
  unsigned long flag;
  bool ignored;  // 5.0.2 recognises the name and then does nothing
};

constexpr FlagOption kFlagOptions[] = {
    {"atime", true, MS_NOATIME, false},
    {"dev", true, MS_NODEV, false},
    {"diratime", true, MS_NODIRATIME, false},
    {"exec", true, MS_NOEXEC, false},
    {"noatime", false, MS_NOATIME, false},
    {"nodev", false, MS_NODEV, false},
    {"nodiratime", false, MS_NODIRATIME, false},
    {"noexec", false, MS_NOEXEC, false},
    {"norelatime", true, MS_RELATIME, false},
    {"nostrictatime", true, MS_STRICTATIME, false},
    {"nosuid", false, MS_NOSUID, false},
    {"relatime", false, MS_RELATIME, false},
    {"ro", false, MS_RDONLY, false},
    {"rw", true, MS_RDONLY, false},
    {"strictatime", false, MS_STRICTATIME, false},
    {"suid", true, MS_NOSUID, false},
    {"bind", false, MS_BIND, false},
    {"defaults", false, 0, false},
    {"rbind", false, MS_BIND | MS_REC, false},
    {"sync", false, MS_SYNCHRONOUS, true},
    {"async", true, MS_SYNCHRONOUS, true},
    {"dirsync", false, MS_DIRSYNC, true},
    {"lazytime", false, MS_LAZYTIME, true},
    {"mand", false, MS_MANDLOCK, true},
    {"nomand", true, MS_MANDLOCK, true},
    {"remount", false, MS_REMOUNT, true},
};

struct PropagationOption {
  std::string_view name;
  unsigned long flags;
};

constexpr PropagationOption kPropagationOptions[] = {
    {"private", MS_PRIVATE},          {"shared", MS_SHARED},
    {"slave", MS_SLAVE},              {"unbindable", MS_UNBINDABLE},
    {"rprivate", MS_PRIVATE | MS_REC}, {"rshared", MS_SHARED | MS_REC},
    {"rslave", MS_SLAVE | MS_REC},    {"runbindable", MS_UNBINDABLE | MS_REC},
};

struct FlagName {
  unsigned long flag;
  const char* name;
};

constexpr FlagName kFlagNames[] = {
    {MS_RDONLY, "RDONLY"},       {MS_NOSUID, "NOSUID"},         {MS_NODEV, "NODEV"},
    {MS_NOEXEC, "NOEXEC"},       {MS_SYNCHRONOUS, "SYNCHRONOUS"}, {MS_REMOUNT, "REMOUNT"},
    {MS_MANDLOCK, "MANDLOCK"},   {MS_DIRSYNC, "DIRSYNC"},       {MS_NOATIME, "NOATIME"},
    {MS_NODIRATIME, "NODIRATIME"}, {MS_BIND, "BIND"},           {MS_REC, "REC"},
    {MS_UNBINDABLE, "UNBINDABLE"}, {MS_PRIVATE, "PRIVATE"},     {MS_SLAVE, "SLAVE"},
    {MS_SHARED, "SHARED"},       {MS_RELATIME, "RELATIME"},     {MS_STRICTATIME, "STRICTATIME"},
    {MS_LAZYTIME, "LAZYTIME"},
};

std::string flag_names(unsigned long flags) {
  std::string out;
  for (const FlagName& f : kFlagNames) {
    if (!(flags & f.flag)) continue;
    if (!out.empty()) out += '|';
    out += f.name;
  }
  return out;
}

std::string propagation_name(unsigned long flags) {
  for (const PropagationOption& p : kPropagationOptions)
    if (p.flags == flags) return std::string(p.name);
  return flag_names(flags);
}

// ---- parse state ----------------------------------------------------------------

struct Issue {
  Severity severity;
  uint32_t offset;  // bytes from the start of the line
  uint32_t length;
  std::string message;
  std::vector<std::string> notes;
};

/// A field as LXC sees it (escapes decoded), with the offset in the line of
/// every decoded byte so that a message can point into the raw text.
struct Field {
  std::string text;
  std::vector<uint32_t> raw;
  uint32_t begin = 0;
  uint32_t end = 0;

  void add(char c, uint32_t at) {
    text += c;
    raw.push_back(at);
  }
  /// The raw offset of decoded byte `i`, or the end of the field.
  uint32_t raw_at(size_t i) const { return i < raw.size() ? raw[i] : end; }
};

struct LineState {
  explicit LineState(const char* start) : base(start) {}

  const char* base;  // start of the current line
  uint32_t line = 1;
  Field current;
  std::vector<Field> fields;
  std::vector<Issue> issues;  // of the current line
  std::vector<MountEntry> entries;
  bool entry_done = false;     // the line was an entry and was analysed
  MountEntry last;             // that entry (for parse_mount_entry)

  uint32_t off(const char* p) const { return static_cast<uint32_t>(p - base); }
  void add(Severity s, uint32_t offset, uint32_t length, std::string message, std::vector<std::string> notes = {}) {
    issues.push_back(Issue{s, offset, length == 0 ? 1 : length, std::move(message), std::move(notes)});
  }
  bool line_has_error() const {
    for (const Issue& i : issues)
      if (i.severity == Severity::error) return true;
    return false;
  }
  void next_line(const char* start) {
    base = start;
    ++line;
    current = {};
    fields.clear();
    issues.clear();
    entry_done = false;
  }
};

void analyze(LineState& st, MountEntry& e, std::string_view line);

template <typename Rule>
struct action : pegtl::nothing<Rule> {};

template <>
struct action<g::escape> {
  template <typename Input>
  static void apply(const Input& in, LineState& st) {
    const char* p = in.begin() + 1;
    char c = '\\';
    if (p[0] == '0' && p[1] == '4') c = ' ';
    else if (p[0] == '0' && p[2] == '1') c = '\t';
    else if (p[0] == '0' && p[2] == '2') c = '\n';
    st.current.add(c, st.off(in.begin()));
  }
};

template <>
struct action<g::octal_lookalike> {
  template <typename Input>
  static void apply(const Input& in, LineState& st) {
    uint32_t at = st.off(in.begin());
    for (uint32_t i = 0; i < 4; ++i) st.current.add(in.begin()[i], at + i);
    st.add(Severity::warning, at, 4,
           "'" + std::string(in.begin(), 4) + "' is not an escape: the backslash and the digits are kept as they are",
           {"only \\040 (space), \\011 (tab), \\012 (newline), \\134 and \\\\ (backslash) are decoded"});
  }
};

template <>
struct action<g::plain_char> {
  template <typename Input>
  static void apply(const Input& in, LineState& st) {
    st.current.add(*in.begin(), st.off(in.begin()));
  }
};

struct end_field {
  template <typename Input>
  static void apply(const Input& in, LineState& st) {
    st.current.begin = st.off(in.begin());
    st.current.end = st.off(in.end());
    st.fields.push_back(std::move(st.current));
    st.current = {};
  }
};

template <> struct action<g::source> : end_field {};
template <> struct action<g::target> : end_field {};
template <> struct action<g::fstype> : end_field {};
template <> struct action<g::options> : end_field {};
template <> struct action<g::freq> : end_field {};
template <> struct action<g::passno> : end_field {};
template <> struct action<g::extra_field> : end_field {};

template <>
struct action<g::entry> {
  template <typename Input>
  static void apply(const Input& in, LineState& st) {
    std::string_view text(st.base, static_cast<size_t>(in.end() - st.base));
    if (text.find('\0') != std::string_view::npos) {
      st.add(Severity::error, st.off(st.base + text.find('\0')), 1,
             "NUL byte in a mount line: LXC's reader (getmntent) loses the rest of this line and the next line");
      return;
    }
    if (text.size() > kMaxLineLength) {
      st.add(Severity::error, static_cast<uint32_t>(kMaxLineLength), 1,
             "the line is " + std::to_string(text.size()) + " bytes long: LXC reads at most " +
                 std::to_string(kMaxLineLength) + " bytes of a mount line and drops the rest");
      return;
    }
    MountEntry e;
    analyze(st, e, text);
    st.entry_done = true;
    st.last = std::move(e);
  }
};

/// A comment line with a NUL byte also swallows the next line.
template <>
struct action<g::comment> {
  template <typename Input>
  static void apply(const Input& in, LineState& st) {
    std::string_view text(in.begin(), in.size());
    if (size_t nul = text.find('\0'); nul != std::string_view::npos)
      st.add(Severity::error, st.off(in.begin() + nul), 1,
             "NUL byte in a comment: LXC's reader (getmntent) also loses the next line");
  }
};

/// Records a syntax error for the line and throws, so that try_catch in the
/// grammar moves on to the next line.
template <typename Rule>
struct control : pegtl::normal<Rule> {
  template <typename Input, typename... States>
  [[noreturn]] static void raise(const Input& in, LineState& st, States&&...) {
    static_assert(g::error_message<Rule> != nullptr, "every rule that can raise needs a message");
    std::vector<std::string> notes{"LXC fills missing fields with empty strings, which cannot be mounted"};
    if (st.fields.size() == 1 && st.fields[0].text == "\r")
      notes.push_back("the line holds only a carriage return (CRLF line endings), which LXC reads as a mount entry");
    st.add(Severity::error, st.off(in.current()), 1, g::error_message<Rule>, std::move(notes));
    throw pegtl::parse_error(g::error_message<Rule>, in);
  }
};

// ---- the meaning of the fields ---------------------------------------------------------

/// scanf("%d") at the start of `s` (no blanks skipped): the value and how
/// many bytes it used.
struct IntPrefix {
  bool ok = false;
  size_t used = 0;
  int value = 0;
};

IntPrefix scan_int(std::string_view s) {
  IntPrefix r;
  size_t i = 0;
  bool negative = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
  size_t digits = i;
  unsigned long long v = 0;
  bool overflow = false;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
    if (v > (static_cast<unsigned long long>(LONG_MAX) - 9) / 10) overflow = true;
    else v = v * 10 + static_cast<unsigned>(s[i] - '0');
    ++i;
  }
  if (i == digits) return r;
  // glibc converts with strtol (saturating) and stores the long into the int.
  long l = overflow ? (negative ? LONG_MIN : LONG_MAX) : (negative ? -static_cast<long>(v) : static_cast<long>(v));
  r.ok = true;
  r.used = i;
  r.value = static_cast<int>(static_cast<unsigned long>(l));
  return r;
}

bool is_c_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

/// freq and passno: glibc runs sscanf(" %d %d ") on the raw text after the
/// options field. A trailing comment is harmless; anything else that is not
/// read gets one warning.
void analyze_numbers(LineState& st, MountEntry& e, std::string_view line) {
  const Field& opts = st.fields[3];
  if (opts.end >= line.size()) return;
  size_t base = opts.end + 1;  // after the separator that follows the options
  std::string_view rest = line.substr(base);
  size_t i = 0;
  auto skip = [&] {
    while (i < rest.size() && is_c_space(rest[i])) ++i;
  };
  skip();
  if (IntPrefix f = scan_int(rest.substr(i)); f.ok) {
    e.freq = f.value;
    i += f.used;
    skip();
    if (IntPrefix p = scan_int(rest.substr(i)); p.ok) {
      e.passno = p.value;
      i += p.used;
    }
  }
  skip();
  if (i >= rest.size() || rest[i] == '#') return;
  auto at = static_cast<uint32_t>(base + i);
  for (size_t k = 4; k < st.fields.size(); ++k) {
    const Field& f = st.fields[k];
    if (at >= f.end) continue;
    if (k >= 6) {
      st.add(Severity::warning, f.begin, f.end - f.begin,
             "extra field '" + escape_control(f.text) + "' is ignored: a mount line has at most six fields",
             {"options are separated by commas, without blanks"});
    } else {
      const char* what = k == 4 ? "field 5 is the dump frequency" : "field 6 is the fsck pass number";
      st.add(Severity::warning, f.begin, f.end - f.begin,
             "'" + escape_control(f.text) + "' is not a number: " + what + ", which LXC ignores",
             {"options are separated by commas, without blanks"});
    }
    return;
  }
}

/// The first 5.0.2 table name that `word` starts with (5.0.2 matches by prefix).
std::string_view legacy_prefix_match(std::string_view word) {
  for (const FlagOption& f : kFlagOptions)
    if (word.starts_with(f.name)) return f.name;
  for (const PropagationOption& p : kPropagationOptions)
    if (word.starts_with(p.name)) return p.name;
  return {};
}

void analyze_options(LineState& st, MountEntry& e) {
  const Field& opts = st.fields[3];
  const std::string& text = opts.text;
  // Which token last set or cleared each flag, to warn when one overrides another.
  struct FlagChange {
    unsigned long bit;
    std::string token;
    bool clear;
  };
  std::vector<FlagChange> changes;
  std::string propagation_token;
  std::string idmap_token;

  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string::npos) comma = text.size();
    std::string tok = text.substr(pos, comma - pos);
    uint32_t at = opts.raw_at(pos);
    uint32_t len = opts.raw_at(comma) - at;
    pos = comma + 1;
    if (tok.empty()) continue;  // LXC skips empty pieces

    auto error = [&](std::string message, std::vector<std::string> notes = {}) {
      st.add(Severity::error, at, len, std::move(message), std::move(notes));
    };
    auto warn = [&](std::string message, std::vector<std::string> notes = {}) {
      st.add(Severity::warning, at, len, std::move(message), std::move(notes));
    };

    // LXC's own options, removed before mount(2).
    if (tok == "create=dir") {
      e.create_dir = true;
      continue;
    }
    if (tok == "create=file") {
      e.create_file = true;
      continue;
    }
    if (tok.starts_with("create=")) {
      error("unknown option '" + escape_control(tok) + "': expected 'create=dir' or 'create=file'",
            {"LXC would pass it to the filesystem as data and create nothing"});
      continue;
    }
    if (tok == "optional") {
      e.optional = true;
      continue;
    }
    if (tok == "relative") {
      e.relative = true;
      continue;
    }
    if (tok.starts_with("optional=") || tok.starts_with("relative=")) {
      std::string name = tok.substr(0, tok.find('='));
      error("'" + name + "' takes no value", {"write '" + name + "' alone"});
      continue;
    }
    if (tok.starts_with("idmap=")) {
      std::string value = tok.substr(6);
      if (!idmap_token.empty()) {
        error("more than one 'idmap=' option (the first is '" + escape_control(idmap_token) + "')");
      } else if (value.empty()) {
        error("'idmap=' needs 'container' or the absolute path of a user namespace file",
              {"for example 'idmap=container' or 'idmap=/proc/1234/ns/user'"});
      } else if (value != "container" && value[0] != '/') {
        error("'idmap=" + escape_control(value) + "': expected 'container' or an absolute path",
              {"LXC would open a relative path from whatever directory it is started in"});
      } else {
        idmap_token = tok;
        e.idmap = value;
      }
      continue;
    }

    // Generic VFS flags: exact names only (5.0.2 matches by prefix).
    const FlagOption* flag = nullptr;
    for (const FlagOption& f : kFlagOptions)
      if (tok == f.name) flag = &f;
    if (flag) {
      if (flag->ignored) {
        e.ignored.push_back(tok);
        warn("'" + escape_control(tok) + "' has no effect: LXC 5.0.2 ignores this mount option");
        continue;
      }
      std::string overridden;
      for (const FlagName& bit : kFlagNames) {
        if (!(flag->flag & bit.flag) || bit.flag == MS_BIND || bit.flag == MS_REC) continue;
        auto it = std::find_if(changes.begin(), changes.end(), [&](const FlagChange& c) { return c.bit == bit.flag; });
        if (it == changes.end()) {
          changes.push_back(FlagChange{bit.flag, tok, flag->clear});
          continue;
        }
        if (it->clear != flag->clear && overridden.empty()) overridden = it->token;
        *it = FlagChange{bit.flag, tok, flag->clear};
      }
      if (!overridden.empty()) warn("'" + escape_control(tok) + "' overrides '" + overridden + "' given earlier in the options");
      if (flag->clear) {
        e.flags &= ~flag->flag;
        e.clear_flags |= flag->flag;
      } else {
        e.flags |= flag->flag;
      }
      continue;
    }

    const PropagationOption* prop = nullptr;
    for (const PropagationOption& p : kPropagationOptions)
      if (tok == p.name) prop = &p;
    if (prop) {
      if (!propagation_token.empty()) {
        error("more than one propagation option: '" + propagation_token + "' and '" + escape_control(tok) + "'",
              {"LXC would combine them in one mount(2) call, which the kernel refuses"});
        continue;
      }
      propagation_token = tok;
      e.propagation = prop->flags;
      continue;
    }

    // Everything else is filesystem data.
    if (!e.data.empty()) e.data += ',';
    e.data += tok;
    if (tok.find('=') == std::string::npos) {
      std::vector<std::string> notes;
      if (std::string_view legacy = legacy_prefix_match(tok); !legacy.empty()) {
        notes.push_back("LXC 5.0.2 matches option names by prefix and would read it as '" + std::string(legacy) +
                        "'");
      }
      warn("'" + escape_control(tok) + "' is passed to the filesystem as data; LXC 5.0.2 drops unknown options silently",
           std::move(notes));
    }
  }

  if (e.create_dir && e.create_file) {
    st.add(Severity::error, opts.begin, opts.end - opts.begin,
           "'create=dir' and 'create=file' cannot both be given");
  }
}

void analyze(LineState& st, MountEntry& e, std::string_view line) {
  const Field& source = st.fields[0];
  const Field& target = st.fields[1];
  const Field& type = st.fields[2];
  e.source = source.text;
  e.target = target.text;
  e.fstype = type.text;
  e.options = st.fields[3].text;
  e.origin.col = source.begin + 1;

  analyze_options(st, e);
  analyze_numbers(st, e, line);

  if (e.fstype == "auto") {
    st.add(Severity::error, type.begin, type.end - type.begin,
           "filesystem type 'auto' is not supported: name the type, or use 'none' for a bind mount");
  }
  if (!e.idmap.empty()) {
    if (!e.is_bind()) {
      st.add(Severity::error, st.fields[3].begin, st.fields[3].end - st.fields[3].begin,
             "an 'idmap=' mount must be a bind mount: add 'bind' or 'rbind'");
    }
    if (e.fstype != "none") {
      st.add(Severity::error, type.begin, type.end - type.begin,
             "an 'idmap=' mount needs the filesystem type 'none', not '" + escape_control(e.fstype) + "'");
    }
    if (!e.data.empty()) {
      st.add(Severity::error, st.fields[3].begin, st.fields[3].end - st.fields[3].begin,
             "an 'idmap=' mount cannot have filesystem data options ('" + escape_control(e.data) + "')");
    }
  } else if (e.is_bind() && !e.relative && (e.source.empty() || e.source[0] != '/')) {
    st.add(Severity::error, source.begin, source.end - source.begin,
           "the source of a bind mount must be an absolute path",
           {"LXC would resolve '" + escape_control(e.source) + "' against the directory it happens to run in",
            "add the option 'relative' to take it relative to the container's root"});
  }

  // CRLF: the '\r' stays in the last field; it only matters in the four
  // string fields (sscanf skips it after freq and passno).
  const Field& last = st.fields.back();
  if (st.fields.size() <= 4 && !last.text.empty() && last.text.back() == '\r') {
    st.add(Severity::warning, last.end - 1, 1,
           "the line ends with a carriage return (CRLF line endings): LXC keeps it as part of '" +
               escape_control(last.text.substr(0, last.text.size() - 1)) + "'",
           {"save the file with LF line endings"});
  }
}

std::string_view line_text_at(std::string_view text, const char* start) {
  size_t begin = static_cast<size_t>(start - text.data());
  size_t end = text.find('\n', begin);
  return text.substr(begin, end == std::string_view::npos ? std::string_view::npos : end - begin);
}

/// Moves the issues of the current line into `diags`.
void flush(LineState& st, std::string_view text, uint32_t file_id, Diagnostics& diags) {
  if (st.issues.empty()) return;
  std::stable_sort(st.issues.begin(), st.issues.end(),
                   [](const Issue& a, const Issue& b) { return a.offset < b.offset; });
  std::string line(line_text_at(text, st.base));
  for (Issue& i : st.issues) {
    diags.add(Diagnostic{i.severity, Origin{file_id, st.line, i.offset + 1}, i.length, std::move(i.message), line,
                         std::move(i.notes)});
  }
  st.issues.clear();
}

struct FileState : LineState {
  FileState(std::string_view t, uint32_t id, Diagnostics& d) : LineState(t.data()), text(t), file_id(id), diags(d) {}
  std::string_view text;
  uint32_t file_id;
  Diagnostics& diags;

  void finish_line() {
    if (entry_done && !line_has_error()) {
      last.origin.file = file_id;
      last.origin.line = line;
      entries.push_back(std::move(last));
    }
    flush(*this, text, file_id, diags);
  }
};

template <typename Rule>
struct file_action : action<Rule> {};

template <>
struct file_action<g::eol> {
  template <typename Input>
  static void apply(const Input& in, LineState& st) {
    auto& fs = static_cast<FileState&>(st);
    fs.finish_line();
    fs.next_line(in.end());
  }
};

}  // namespace

bool MountEntry::is_bind() const { return (flags & MS_BIND) != 0; }

bool mount_entry_is_comment(std::string_view value) {
  size_t i = value.find_first_not_of(" \t");
  return i == std::string_view::npos || value[i] == '#';
}

MountEntry parse_mount_entry(std::string_view value, std::vector<ValueError>* warnings) {
  if (size_t i = value.find_first_not_of(" \t"); i == std::string_view::npos) {
    throw ValueError("empty mount entry: expected 'SOURCE TARGET TYPE OPTIONS [FREQ [PASSNO]]'");
  } else if (value[i] == '#') {
    throw ValueError("this mount entry starts with '#', so LXC treats it as a comment and mounts nothing",
                     static_cast<uint32_t>(i), 1);
  }
  if (size_t nl = value.find('\n'); nl != std::string_view::npos) {
    throw ValueError("a mount entry cannot contain a line break", static_cast<uint32_t>(nl), 1);
  }
  LineState st(value.data());
  pegtl::memory_input<pegtl::tracking_mode::lazy> in(value.data(), value.size(), "lxc.mount.entry");
  try {
    pegtl::parse<g::single_line, action, control>(in, st);
  } catch (const pegtl::parse_error&) {
    // Recorded as an issue by control::raise.
  }
  std::stable_sort(st.issues.begin(), st.issues.end(),
                   [](const Issue& a, const Issue& b) { return a.offset < b.offset; });
  const Issue* first_error = nullptr;
  for (const Issue& i : st.issues) {
    if (i.severity == Severity::error && !first_error) first_error = &i;
    if (i.severity == Severity::warning && warnings) warnings->emplace_back(i.message, i.offset, i.length, i.notes);
  }
  if (first_error) throw ValueError(first_error->message, first_error->offset, first_error->length, first_error->notes);
  return std::move(st.last);
}

std::vector<MountEntry> parse_fstab(std::string_view text, const std::string& file_name, Diagnostics& diags,
                                    SourceTable& sources) {
  uint32_t id = sources.add(file_name, Origin{});
  FileState st(text, id, diags);
  pegtl::memory_input<pegtl::tracking_mode::lazy> in(text.data(), text.size(), file_name);
  pegtl::parse<g::file, file_action, control>(in, static_cast<LineState&>(st));
  st.finish_line();
  return std::move(st.entries);
}

namespace {

std::string c_quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default: out += c;
    }
  }
  return out + "\"";
}

}  // namespace

std::string describe(const MountEntry& e) {
  std::string out = "source=" + c_quoted(e.source) + " target=" + c_quoted(e.target) + " type=" + c_quoted(e.fstype) +
                    " options=" + c_quoted(e.options);
  if (e.flags) out += " flags=" + flag_names(e.flags);
  if (e.clear_flags) out += " clear=" + flag_names(e.clear_flags);
  if (e.propagation) out += " propagation=" + propagation_name(e.propagation);
  if (e.create_dir) out += " create=dir";
  if (e.create_file) out += " create=file";
  if (e.optional) out += " optional";
  if (e.relative) out += " relative";
  if (!e.idmap.empty()) out += " idmap=" + c_quoted(e.idmap);
  if (!e.data.empty()) out += " data=" + c_quoted(e.data);
  for (const std::string& i : e.ignored) out += " ignored=" + i;
  if (e.freq || e.passno) out += " freq=" + std::to_string(e.freq) + " passno=" + std::to_string(e.passno);
  return out;
}

}  // namespace corral::config
