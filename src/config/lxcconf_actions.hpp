// Actions of grammar/lxcconf.hpp: they track lines and columns and hand each
// entry to a sink. Positions are computed here, once per line, rather than
// by PEGTL's eager tracking.
#pragma once

#include <cstdint>
#include <string_view>

#include "grammar/lxcconf.hpp"
#include "grammar/lxcconf_errors.hpp"

namespace corral::config::lxcconf {

namespace g = corral::grammar::lxcconf;
namespace pegtl = tao::pegtl;

/// What the grammar reports; implemented by the loader.
class LineSink {
 public:
  virtual ~LineSink() = default;
  /// key: trimmed, as written; value: trimmed and unquoted, starting at
  /// value_col (after an opening quote).
  virtual void entry(std::string_view key, uint32_t key_col, std::string_view value, uint32_t value_col) = 0;
  virtual void martian(std::string_view text, uint32_t col) = 0;
  virtual void syntax_error(const char* message, uint32_t col) = 0;
};

struct ParseState {
  ParseState(LineSink& s, const char* start) : sink(s), line_start(start) {}
  LineSink& sink;
  const char* line_start;
  uint32_t line = 1;
  std::string_view key;
  uint32_t key_col = 0;

  uint32_t col(const char* p) const { return static_cast<uint32_t>(p - line_start) + 1; }
};

template <typename Rule>
struct action : pegtl::nothing<Rule> {};

template <>
struct action<g::eol> {
  template <typename Input>
  static void apply(const Input& in, ParseState& st) {
    // "\r\n" counts as one line for positions; a lone '\r' ends a line too.
    const char* p = in.begin();
    if (*p == '\n' || p + 1 == in.input().end() || p[1] != '\n') ++st.line;
    st.line_start = in.end();
  }
};

template <>
struct action<g::key> {
  template <typename Input>
  static void apply(const Input& in, ParseState& st) {
    std::string_view k(in.begin(), in.size());
    while (!k.empty() && (k.back() == ' ' || k.back() == '\t')) k.remove_suffix(1);
    st.key = k;
    st.key_col = st.col(in.begin());
  }
};

template <>
struct action<g::value> {
  template <typename Input>
  static void apply(const Input& in, ParseState& st) {
    std::string_view v(in.begin(), in.size());
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    uint32_t col = st.col(in.begin());
    // Exactly one matching outer pair of quotes is removed; nothing else is special.
    if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) {
      v = v.substr(1, v.size() - 2);
      ++col;
    }
    st.sink.entry(st.key, st.key_col, v, col);
  }
};

template <>
struct action<g::martian> {
  template <typename Input>
  static void apply(const Input& in, ParseState& st) {
    std::string_view text(in.begin(), in.size());
    size_t skip = text.find_first_not_of(" \t");
    if (skip == std::string_view::npos) return;  // cannot happen: blank lines match first
    st.sink.martian(text.substr(skip), st.col(in.begin() + skip));
  }
};

/// Records a syntax error for the line, then throws so that try_catch in the
/// grammar moves on to the next line.
template <typename Rule>
struct control : pegtl::normal<Rule> {
  template <typename Input, typename... States>
  [[noreturn]] static void raise(const Input& in, ParseState& st, States&&...) {
    static_assert(g::error_message<Rule> != nullptr, "every rule that can raise needs a message");
    st.sink.syntax_error(g::error_message<Rule>, st.col(in.current()));
    throw pegtl::parse_error(g::error_message<Rule>, in);
  }
};

/// Parses a whole buffer (which must not contain NUL bytes).
inline void parse(std::string_view text, const std::string& source_name, LineSink& sink) {
  pegtl::memory_input<pegtl::tracking_mode::lazy, pegtl::eol::lf_crlf> in(text.data(), text.size(), source_name);
  ParseState st{sink, text.data()};
  pegtl::parse<g::file, action, control>(in, st);
}

}  // namespace corral::config::lxcconf
