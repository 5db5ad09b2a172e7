// Template files: the actions of grammar/template.hpp build the Template
// model and report what is wrong with each line (unknown keywords, wrong
// argument counts, parameter declarations, blocks). Values are not checked
// here: modes, paths and types are the business of expand().
#include <algorithm>
#include <array>
#include <string_view>
#include <type_traits>
#include <utility>

#include "grammar/template.hpp"
#include "grammar/template_errors.hpp"
#include "template/template.hpp"
#include "util/strings.hpp"

namespace corral::tmpl {

namespace {

namespace g = corral::grammar::tmpl;
namespace pegtl = tao::pegtl;
using config::Diagnostic;
using config::Severity;

constexpr std::array<std::string_view, 8> kStatements = {"description", "param",          "require", "metadata",
                                                          "token",       "container-file", "rootfs",  "config"};
constexpr std::array<std::string_view, 3> kBuiltins = {"name", "path", "rootfs"};

struct TypeName {
  std::string_view name;
  ParamType type;
};
constexpr TypeName kTypes[] = {{"string", ParamType::string},
                               {"path", ParamType::path},
                               {"file", ParamType::file},
                               {"number", ParamType::number},
                               {"boolean", ParamType::boolean}};

/// The vocabulary of rootfs steps and how many arguments each takes.
struct StepSpec {
  StepKind kind;
  std::string_view keyword;
  size_t min;
  size_t max;  // SIZE_MAX: no limit
  std::string_view form;
};
constexpr StepSpec kSteps[] = {
    {StepKind::mkdir, "mkdir", 2, SIZE_MAX, "MODE DIR..."},
    {StepKind::copy, "copy", 2, 3, "HOST-FILE DEST [MODE]"},
    {StepKind::binary, "binary", 2, 2, "HOST-BINARY DEST"},
    {StepKind::symlink, "symlink", 2, 2, "TARGET LINK"},
    {StepKind::write, "write", 3, 3, "DEST MODE CONTENT"},
    {StepKind::append, "append", 3, 3, "DEST MODE CONTENT"},
    {StepKind::device, "device", 5, 5, "c|b MAJOR MINOR MODE DEST"},
    {StepKind::extract, "extract", 1, SIZE_MAX, "HOST-TARBALL [DEST [EXCLUDE...]]"},
    {StepKind::debootstrap, "debootstrap", 2, 3, "RELEASE MIRROR [PACKAGE,...]"},
    {StepKind::chroot, "chroot", 1, SIZE_MAX, "COMMAND [ARG...]"},
    {StepKind::substitute, "substitute", 1, SIZE_MAX, "FILE..."},
    {StepKind::replace, "replace", 3, 3, "FILE OLD NEW"},
    {StepKind::print, "print", 1, SIZE_MAX, "TEXT..."},
};

/// The directives of the config block, likewise.
struct DirectiveSpec {
  DirectiveKind kind;
  std::string_view keyword;
  size_t min;
  size_t max;
  std::string_view form;
};
constexpr DirectiveSpec kDirectives[] = {
    {DirectiveKind::move, "move", 2, 2, "PATTERN BUCKET"},
    {DirectiveKind::emit, "emit", 1, SIZE_MAX, "BUCKET [LINE...]"},
    {DirectiveKind::insert, "insert", 1, 1, "metadata:NAME"},
    {DirectiveKind::if_, "if", 2, SIZE_MAX, "metadata:NAME LINE..."},
};

const StepSpec& spec_of(StepKind k) {
  for (const StepSpec& s : kSteps)
    if (s.kind == k) return s;
  return kSteps[0];  // unreachable: every kind is in the table
}

const DirectiveSpec& spec_of(DirectiveKind k) {
  for (const DirectiveSpec& s : kDirectives)
    if (s.kind == k) return s;
  return kDirectives[0];  // unreachable: every kind is in the table
}

template <class Spec>
std::string count_text(const Spec& s) {
  auto n = [](size_t k) { return std::to_string(k) + (k == 1 ? " argument" : " arguments"); };
  if (s.max == SIZE_MAX) return "at least " + n(s.min);
  if (s.min == s.max) return n(s.min);
  return std::to_string(s.min) + " or " + n(s.max);
}

/// Decodes every escape of a double-quoted word (for descriptions and help
/// texts, which are not expanded).
std::string decode_all(std::string_view quoted) {
  std::string out;
  for (size_t i = 0; i < quoted.size(); ++i) {
    char c = quoted[i];
    if (c == '\\' && i + 1 < quoted.size()) {
      c = quoted[++i];
      if (c == 'n') c = '\n';
      else if (c == 't') c = '\t';
    }
    out += c;
  }
  return out;
}

/// Text::raw for a double-quoted word: \n \t \" are decoded; \\ and \$ stay
/// escaped, so that expand() can tell a literal "${" (written "\${") from a
/// reference. Bare words and config lines have no escapes: their
/// backslashes are doubled into the same form (and the '$' of a config
/// comment escaped).
std::string raw_of_quoted(std::string_view quoted) {
  std::string out;
  for (size_t i = 0; i < quoted.size(); ++i) {
    char c = quoted[i];
    if (c == '\\' && i + 1 < quoted.size()) {
      char e = quoted[++i];
      if (e == 'n') out += '\n';
      else if (e == 't') out += '\t';
      else if (e == '"') out += '"';
      else out += {'\\', e};
      continue;
    }
    out += c;
  }
  return out;
}

std::string raw_of_bare(std::string_view bare) {
  std::string out;
  for (char c : bare) {
    if (c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::vector<std::string_view> candidates(const auto& list) {
  std::vector<std::string_view> out;
  for (const auto& e : list) {
    if constexpr (requires { e.keyword; }) out.push_back(e.keyword);
    else if constexpr (requires { e.name; }) out.push_back(e.name);
    else out.push_back(e);
  }
  return out;
}

/// The candidate `word` most likely stands for: one it abbreviates
/// (`bool`), or one a few edits away, fewer for short words so that `int`
/// does not suggest `path`.
std::optional<std::string_view> suggest(std::string_view word, const std::vector<std::string_view>& names) {
  if (word.size() >= 3)
    for (std::string_view n : names)
      if (n.starts_with(word)) return n;
  unsigned max = word.size() <= 3 ? 1 : word.size() < 7 ? 2 : 3;
  return closest_match(word, names, max);
}

struct Word {
  std::string raw;
  const char* begin;
  const char* end;
};

struct State {
  State(std::string_view t, const std::string& p, uint32_t id, config::Diagnostics& d)
      : text(t), path(p), file_id(id), diags(d) {
    line_starts.push_back(0);
    for (size_t i = 0; i < text.size(); ++i)
      if (text[i] == '\n') line_starts.push_back(i + 1);
  }

  std::string_view text;
  const std::string& path;
  uint32_t file_id;
  config::Diagnostics& diags;
  std::vector<size_t> line_starts;
  Template t;

  // The statement or step being read; reset by its keyword.
  const char* keyword_begin = nullptr;
  const char* keyword_end = nullptr;
  StepKind step_kind = StepKind::mkdir;
  std::vector<Word> words;
  const char* quote_open = nullptr;
  std::string param_name;
  const char* param_name_at = nullptr;
  std::string type_name;
  const char* type_at = nullptr;
  char short_name = 0;
  const char* short_at = nullptr;
  std::string package;
  std::string token_name;
  const char* token_at = nullptr;
  DirectiveKind directive_kind = DirectiveKind::move;

  // The block being read.
  enum class Block { none, rootfs, config } block = Block::none;
  const char* block_keyword = nullptr;
  const char* block_brace = nullptr;  // null when the '{' is missing
  const char* first_description = nullptr;
  bool description_written = false;
  const char* first_rootfs = nullptr;
  const char* first_config = nullptr;
  std::vector<std::pair<std::string, const char*>> declared;  // params, where their names are
  std::vector<std::pair<char, const char*>> declared_shorts;  // short options, where they are
  std::vector<std::pair<std::string, const char*>> declared_tokens;
  const char* first_metadata = nullptr;

  Origin origin(const char* p) const {
    auto off = static_cast<size_t>(p - text.data());
    auto it = std::upper_bound(line_starts.begin(), line_starts.end(), off);
    auto line = static_cast<size_t>(it - line_starts.begin());
    return Origin{file_id, static_cast<uint32_t>(line), static_cast<uint32_t>(off - line_starts[line - 1] + 1)};
  }
  std::string_view line_of(const char* p) const {
    size_t begin = line_starts[origin(p).line - 1];
    size_t end = text.find('\n', begin);
    return text.substr(begin, end == std::string_view::npos ? std::string_view::npos : end - begin);
  }
  const char* line_end(const char* p) const {
    std::string_view line = line_of(p);
    return line.data() + line.size();
  }
  /// "FILE:LINE:COL", for notes that name another place.
  std::string where(const char* p) const {
    Origin o = origin(p);
    return path + ":" + std::to_string(o.line) + ":" + std::to_string(o.col);
  }
  void error(const char* at, size_t length, std::string message, std::vector<std::string> notes = {}) {
    diags.add(Diagnostic{Severity::error, origin(at), static_cast<uint32_t>(std::max<size_t>(length, 1)),
                         std::move(message), std::string(line_of(at)), std::move(notes)});
  }
  Text text_of(const Word& w) const { return Text{w.raw, origin(w.begin)}; }

  /// Whether `key` is in `seen` already: then an error at `at` naming the
  /// first declaration; else it is recorded, declared at `at`.
  template <class Key>
  bool redeclared(std::vector<std::pair<Key, const char*>>& seen, const Key& key, const char* at, size_t length,
                  const std::string& what) {
    for (const auto& [k, first] : seen) {
      if (k != key) continue;
      error(at, length, what + " is declared twice", {"first declared at " + where(first)});
      return true;
    }
    seen.emplace_back(key, at);
    return false;
  }

  void start(const char* begin, const char* end) {
    keyword_begin = begin;
    keyword_end = end;
    words.clear();
    param_name.clear();
    type_name.clear();
    short_name = 0;
    short_at = nullptr;
    package.clear();
    token_name.clear();
  }
  void end_block() {
    block = Block::none;
    block_keyword = block_brace = nullptr;
  }
  const char* block_name() const { return block == Block::rootfs ? "rootfs" : "config"; }
  const char* block_at() const { return block_brace ? block_brace : block_keyword; }
};

template <typename Rule>
struct action : pegtl::nothing<Rule> {};

// ---- words ----

template <>
struct action<g::open_quote> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    st.quote_open = in.begin();
  }
};

template <>
struct action<g::quoted_word> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    std::string_view s(in.begin() + 1, in.size() - 2);
    st.words.push_back(Word{raw_of_quoted(s), in.begin(), in.end()});
  }
};

template <>
struct action<g::bare_word> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    st.words.push_back(Word{raw_of_bare(std::string_view(in.begin(), in.size())), in.begin(), in.end()});
  }
};

// ---- statements ----

struct start_statement {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    st.start(in.begin(), in.end());
  }
};
template <>
struct action<g::description_keyword> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    st.start(in.begin(), in.end());
    st.description_written = true;  // even when the line has an error
  }
};
template <> struct action<g::param_keyword> : start_statement {};
template <> struct action<g::require_keyword> : start_statement {};
template <> struct action<g::metadata_keyword> : start_statement {};
template <> struct action<g::token_keyword> : start_statement {};
template <> struct action<g::container_file_keyword> : start_statement {};

template <>
struct action<g::description_statement> {
  template <typename Input>
  static void apply(const Input&, State& st) {
    if (st.first_description) {
      st.error(st.keyword_begin, st.keyword_end - st.keyword_begin, "a template has one description",
               {"the description is already given at " + st.where(st.first_description)});
      return;
    }
    st.first_description = st.keyword_begin;
    const Word& w = st.words.front();
    st.t.description = decode_all(std::string_view(w.begin + 1, static_cast<size_t>(w.end - w.begin - 2)));
  }
};

template <>
struct action<g::param_name> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    st.param_name = in.string();
    st.param_name_at = in.begin();
  }
};

template <>
struct action<g::param_short_letter> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    st.short_name = *in.begin();
    st.short_at = in.begin() - 1;  // the '-'
  }
};

template <>
struct action<g::param_type_name> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    st.type_name = in.string();
    st.type_at = in.begin();
  }
};

template <>
struct action<g::param_statement> {
  template <typename Input>
  static void apply(const Input&, State& st) {
    Param p;
    p.name = st.param_name;
    p.where = st.origin(st.param_name_at);
    p.default_value = st.text_of(st.words[0]);
    if (st.words.size() > 1) {
      const Word& h = st.words[1];
      p.help = decode_all(std::string_view(h.begin + 1, static_cast<size_t>(h.end - h.begin - 2)));
    }
    bool ok = true;
    if (!st.type_name.empty()) {
      auto it = std::find_if(std::begin(kTypes), std::end(kTypes),
                             [&](const TypeName& n) { return n.name == st.type_name; });
      if (it != std::end(kTypes)) {
        p.type = it->type;
      } else {
        std::vector<std::string> notes;
        if (auto m = suggest(to_lower(st.type_name), candidates(kTypes)))
          notes.push_back("did you mean '" + std::string(*m) + "'?");
        notes.push_back("the types are string, path, file, number and boolean");
        st.error(st.type_at, st.type_name.size(), "unknown parameter type '" + st.type_name + "'", std::move(notes));
        ok = false;
      }
    }
    if (std::find(kBuiltins.begin(), kBuiltins.end(), p.name) != kBuiltins.end()) {
      st.error(st.param_name_at, p.name.size(), "'" + p.name + "' is a built-in parameter and cannot be declared",
               {"${name} is the container's name, ${path} its directory (LXCPATH/NAME) and ${rootfs} its rootfs "
                "directory; they are always set"});
      return;
    }
    if (st.redeclared(st.declared, p.name, st.param_name_at, p.name.size(), "parameter '" + p.name + "'")) return;
    if (st.short_name && st.redeclared(st.declared_shorts, st.short_name, st.short_at, 2,
                                       std::string("short option '-") + st.short_name + "'"))
      return;
    p.short_name = st.short_name;
    if (ok) st.t.params.push_back(std::move(p));
  }
};

template <>
struct action<g::package_name> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    st.package = in.string();
  }
};

template <>
struct action<g::require_statement> {
  template <typename Input>
  static void apply(const Input&, State& st) {
    st.t.requirements.push_back(Requirement{st.text_of(st.words[0]), st.package, st.origin(st.keyword_begin)});
  }
};

template <>
struct action<g::metadata_statement> {
  template <typename Input>
  static void apply(const Input&, State& st) {
    if (st.first_metadata) {
      st.error(st.keyword_begin, st.keyword_end - st.keyword_begin, "a template reads one metadata tarball",
               {"the metadata tarball is already given at " + st.where(st.first_metadata)});
      return;
    }
    st.first_metadata = st.keyword_begin;
    st.t.metadata = MetadataDecl{st.text_of(st.words[0]), st.origin(st.keyword_begin)};
  }
};

template <>
struct action<g::token_name> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    st.token_name = in.string();
    st.token_at = in.begin();
  }
};

template <>
struct action<g::token_statement> {
  template <typename Input>
  static void apply(const Input&, State& st) {
    if (st.redeclared(st.declared_tokens, st.token_name, st.token_at, st.token_name.size(),
                      "token '" + st.token_name + "'"))
      return;
    st.t.tokens.push_back(Token{st.token_name, st.text_of(st.words[0]), st.origin(st.token_at)});
  }
};

template <>
struct action<g::container_file_statement> {
  template <typename Input>
  static void apply(const Input&, State& st) {
    st.t.files.push_back(
        ContainerFileDecl{st.text_of(st.words[0]), st.text_of(st.words[1]), st.origin(st.keyword_begin)});
  }
};

std::vector<std::string> keyword_notes(std::string_view word, bool in_rootfs) {
  std::vector<std::string> notes;
  std::string lower = to_lower(word);
  auto statements = candidates(kStatements);
  auto steps = candidates(kSteps);
  const auto& own = in_rootfs ? steps : statements;
  if (lower != word && std::find(own.begin(), own.end(), lower) != own.end()) {
    notes.push_back("keywords are lowercase: did you mean '" + lower + "'?");
  } else if (!in_rootfs && std::find(steps.begin(), steps.end(), word) != steps.end()) {
    notes.push_back("'" + std::string(word) + "' is a rootfs step: steps go inside 'rootfs { ... }'");
  } else if (word.starts_with("lxc.")) {
    notes.push_back("container configuration lines go inside 'config { ... }'");
  } else if (auto m = suggest(lower, own)) {
    notes.push_back("did you mean '" + std::string(*m) + "'?");
  }
  return notes;
}

template <>
struct action<g::unknown_statement_word> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    std::string_view w(in.begin(), in.size());
    std::vector<std::string> notes = keyword_notes(w, false);
    notes.push_back("a statement is description, param, require, metadata, token, container-file, rootfs { ... } "
                    "or config { ... }");
    st.error(in.begin(), in.size(), "unknown statement '" + escape_control(w) + "'", std::move(notes));
  }
};

template <>
struct action<g::stray_close> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    st.error(in.begin(), 1, "'}' without an open block");
  }
};

// ---- blocks ----

struct start_block {
  template <typename Input>
  static void apply(const Input& in, State& st, State::Block block, const char*& first) {
    st.block = block;
    st.block_keyword = in.begin();
    st.block_brace = nullptr;
    if (first) {
      st.error(in.begin(), in.size(), std::string("a template has one ") + st.block_name() + " block",
               {std::string("the ") + st.block_name() + " block is already opened at " + st.where(first)});
    } else {
      first = in.begin();
    }
  }
};

template <>
struct action<g::rootfs_keyword> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    start_block::apply(in, st, State::Block::rootfs, st.first_rootfs);
  }
};

template <>
struct action<g::config_keyword> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    start_block::apply(in, st, State::Block::config, st.first_config);
  }
};

template <>
struct action<g::block_open> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    st.block_brace = in.end() - 1;
  }
};

template <>
struct action<g::empty_block> {
  template <typename Input>
  static void apply(const Input&, State& st) {
    st.end_block();
  }
};

template <>
struct action<g::close_line> {
  template <typename Input>
  static void apply(const Input&, State& st) {
    st.end_block();
  }
};

template <>
struct action<g::closed_by_statement> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    // The lookahead consumed nothing: find the keyword on the next line.
    const char* end = st.text.data() + st.text.size();
    const char* p = in.begin() + 1;
    while (p < end && (*p == ' ' || *p == '\t')) ++p;
    const char* e = p;
    while (e < end && ((*e >= 'a' && *e <= 'z') || *e == '-')) ++e;
    std::string kw(p, e);
    st.error(p, kw.size(), "'" + kw + "' cannot be inside a block: the " + st.block_name() + " block is not closed",
             {std::string("the ") + st.block_name() + " block opened at " + st.where(st.block_at()) +
              " needs a line holding only '}' before this one"});
    st.end_block();
  }
};

template <>
struct action<g::closed_by_eof> {
  template <typename Input>
  static void apply(const Input&, State& st) {
    st.error(st.block_at(), 1, std::string("the ") + st.block_name() + " block is not closed",
             {"expected a line holding only '}' before the end of the file"});
    st.end_block();
  }
};

// ---- rootfs steps ----

template <StepKind K>
struct start_step {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    st.start(in.begin(), in.end());
    st.step_kind = K;
  }
};
template <> struct action<g::mkdir_keyword> : start_step<StepKind::mkdir> {};
template <> struct action<g::copy_keyword> : start_step<StepKind::copy> {};
template <> struct action<g::binary_keyword> : start_step<StepKind::binary> {};
template <> struct action<g::symlink_keyword> : start_step<StepKind::symlink> {};
template <> struct action<g::write_keyword> : start_step<StepKind::write> {};
template <> struct action<g::append_keyword> : start_step<StepKind::append> {};
template <> struct action<g::device_keyword> : start_step<StepKind::device> {};
template <> struct action<g::extract_keyword> : start_step<StepKind::extract> {};
template <> struct action<g::debootstrap_keyword> : start_step<StepKind::debootstrap> {};
template <> struct action<g::chroot_keyword> : start_step<StepKind::chroot> {};
template <> struct action<g::substitute_keyword> : start_step<StepKind::substitute> {};
template <> struct action<g::replace_keyword> : start_step<StepKind::replace> {};
template <> struct action<g::print_keyword> : start_step<StepKind::print> {};

/// Whether the words of a step or directive are as many as its spec
/// allows; if not, the error underlines the missing or the extra ones.
template <class Spec>
bool arity_checked(State& st, const Spec& s, const char* begin) {
  size_t n = st.words.size();
  if (n >= s.min && n <= s.max) return true;
  std::string message = std::string(begin == st.keyword_begin ? "" : "@") + std::string(s.keyword) + " takes " +
                        std::string(s.form) + " (" + count_text(s) + "), got " + std::to_string(n);
  const char* last = n ? st.words.back().end : st.keyword_end;
  if (n < s.min) st.error(begin, last - begin, std::move(message));
  else st.error(st.words[s.max].begin, last - st.words[s.max].begin, std::move(message));
  return false;
}

template <>
struct action<g::step> {
  template <typename Input>
  static void apply(const Input&, State& st) {
    if (!arity_checked(st, spec_of(st.step_kind), st.keyword_begin)) return;
    RecipeStep step{st.step_kind, {}, st.origin(st.keyword_begin)};
    for (const Word& w : st.words) step.args.push_back(st.text_of(w));
    st.t.rootfs.push_back(std::move(step));
  }
};

template <>
struct action<g::unknown_step_word> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    std::string_view w(in.begin(), in.size());
    std::vector<std::string> notes = keyword_notes(w, true);
    notes.push_back("the steps are mkdir, copy, binary, symlink, write, append, device, extract, debootstrap, "
                    "chroot, substitute, replace and print");
    st.error(in.begin(), in.size(), "unknown rootfs step '" + escape_control(w) + "'", std::move(notes));
  }
};

// ---- config lines and directives ----

template <DirectiveKind K>
struct start_directive {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    st.start(in.begin(), in.end());
    st.directive_kind = K;
  }
};
template <> struct action<g::move_keyword> : start_directive<DirectiveKind::move> {};
template <> struct action<g::emit_keyword> : start_directive<DirectiveKind::emit> {};
template <> struct action<g::insert_keyword> : start_directive<DirectiveKind::insert> {};
template <> struct action<g::if_keyword> : start_directive<DirectiveKind::if_> {};

template <>
struct action<g::directive> {
  template <typename Input>
  static void apply(const Input&, State& st) {
    const char* sigil = st.keyword_begin - 1;
    if (!arity_checked(st, spec_of(st.directive_kind), sigil)) return;
    std::vector<Text> args;
    for (const Word& w : st.words) args.push_back(st.text_of(w));
    st.t.config.emplace_back(st.directive_kind, std::move(args), st.origin(sigil));
  }
};

template <>
struct action<g::unknown_directive_word> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    std::string_view w(in.begin(), in.size());
    std::vector<std::string> notes;
    std::vector<std::string_view> names = candidates(kDirectives);
    if (auto m = suggest(to_lower(w), names); m && !w.empty())
      notes.push_back("did you mean '@" + std::string(*m) + "'?");
    notes.push_back("the directives are @move, @emit, @insert and @if; a configuration line cannot start with '@'");
    st.error(in.begin() - 1, in.size() + 1, "unknown directive '@" + escape_control(w) + "'", std::move(notes));
  }
};

template <>
struct action<g::config_plain> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    std::string raw = raw_of_bare(std::string_view(in.begin(), in.size()));
    // A comment is copied as written: its '$' are escaped so that expand()
    // sees no reference in it.
    if (raw.starts_with('#')) {
      std::string escaped;
      for (char c : raw) {
        if (c == '$') escaped += '\\';
        escaped += c;
      }
      raw = std::move(escaped);
    }
    st.t.config.emplace_back(Text{std::move(raw), st.origin(in.begin())});
  }
};

// ---- syntax errors ----

/// Rules whose error underlines the word found where they failed (rather
/// than one character).
template <typename Rule>
inline constexpr bool kUnderlineWord =
    std::is_same_v<Rule, g::description_text> || std::is_same_v<Rule, g::description_end> ||
    std::is_same_v<Rule, g::param_name_field> || std::is_same_v<Rule, g::param_equals> ||
    std::is_same_v<Rule, g::param_type> || std::is_same_v<Rule, g::param_tail> ||
    std::is_same_v<Rule, g::require_from> || std::is_same_v<Rule, g::require_package> ||
    std::is_same_v<Rule, g::require_end> || std::is_same_v<Rule, g::block_open> ||
    std::is_same_v<Rule, g::block_open_end> || std::is_same_v<Rule, g::close_end> ||
    std::is_same_v<Rule, g::metadata_tarball> || std::is_same_v<Rule, g::metadata_end> ||
    std::is_same_v<Rule, g::token_name_field> || std::is_same_v<Rule, g::token_equals> ||
    std::is_same_v<Rule, g::token_value> || std::is_same_v<Rule, g::token_end> ||
    std::is_same_v<Rule, g::container_file_name> || std::is_same_v<Rule, g::container_file_content> ||
    std::is_same_v<Rule, g::container_file_end> || std::is_same_v<Rule, g::param_short_end>;

/// Records a syntax error for the line and throws, so that try_catch in the
/// grammar moves on to the next line.
template <typename Rule>
struct control : pegtl::normal<Rule> {
  template <typename Input, typename... States>
  [[noreturn]] static void raise(const Input& in, State& st, States&&...) {
    static_assert(g::error_message<Rule> != nullptr, "every rule that can raise needs a message");
    const char* at = in.current();
    const char* end = in.end();
    size_t length = 1;
    if constexpr (std::is_same_v<Rule, g::close_quote>) {
      // Point at the opening quote: the missing one would be at the end.
      at = st.quote_open;
      length = static_cast<size_t>(st.line_end(at) - at);
    } else if constexpr (std::is_same_v<Rule, g::escape_code>) {
      at -= 1;  // the backslash
      length = at + 1 < end && *(at + 1) != '\n' ? 2 : 1;
    } else {
      // The error is about what comes after the blanks.
      while (at < end && (*at == ' ' || *at == '\t')) ++at;
      if constexpr (kUnderlineWord<Rule>) {
        const char* e = at;
        while (e < end && *e != ' ' && *e != '\t' && *e != '\n') ++e;
        length = static_cast<size_t>(e - at);
      }
    }
    st.error(at, length, g::error_message<Rule>);
    throw pegtl::parse_error(g::error_message<Rule>, in);
  }
};

std::string stem_of(const std::string& path) {
  std::string name = path.substr(path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/') + 1);
  if (name.size() > 5 && name.ends_with(".tmpl")) name.resize(name.size() - 5);
  return name;
}

}  // namespace

std::optional<Template> parse_template(std::string_view text, const std::string& path, uint32_t file_id,
                                       config::Diagnostics& diags) {
  size_t errors_before = diags.error_count();
  State st(text, path, file_id, diags);
  st.t.name = stem_of(path);
  st.t.path = path;
  pegtl::memory_input<pegtl::tracking_mode::lazy> in(text.data(), text.size(), path);
  // Every line recovers from its own errors, so the grammar always matches
  // the whole input.
  if (!pegtl::parse<g::file, action, control>(in, st))
    diags.add(Diagnostic{Severity::error, Origin{file_id, 0, 0}, 1, "internal: the template grammar did not match",
                         "", {}});
  if (!st.description_written) {
    diags.add(Diagnostic{Severity::error, Origin{file_id, 0, 0}, 1, "the template has no description",
                         "", {"add a line 'description \"TEXT\"': corral create --help shows it"}});
  }
  if (diags.error_count() != errors_before) return std::nullopt;
  return std::move(st.t);
}

const char* step_name(StepKind kind) { return spec_of(kind).keyword.data(); }

const char* directive_name(DirectiveKind kind) { return spec_of(kind).keyword.data(); }

bool arity_ok(StepKind kind, size_t n) { return n >= spec_of(kind).min && n <= spec_of(kind).max; }
bool arity_ok(DirectiveKind kind, size_t n) { return n >= spec_of(kind).min && n <= spec_of(kind).max; }

const char* param_type_name(ParamType type) {
  for (const auto& t : kTypes)
    if (t.type == type) return t.name.data();
  return "?";
}

}  // namespace corral::tmpl
