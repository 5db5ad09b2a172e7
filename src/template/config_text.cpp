// The configuration a recipe makes: its config ops (lines, @move, @emit)
// applied to the lines there are before the template's, then its tokens
// replaced, as lxc-local edits <path>/config with sed (spec/templates.md §6).
#include <regex.h>

#include <map>
#include <memory>

#include "template/template.hpp"

namespace corral::tmpl {

namespace {

/// A compiled POSIX basic regular expression, freed when it goes.
class Regex {
 public:
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;
  ~Regex() {
    if (ok_) ::regfree(&re_);
  }
  static Result<std::unique_ptr<Regex>> compile(const std::string& pattern) {
    auto r = std::unique_ptr<Regex>(new Regex);
    int rc = ::regcomp(&r->re_, pattern.c_str(), REG_NOSUB);
    if (rc != 0) {
      char why[256];
      ::regerror(rc, &r->re_, why, sizeof why);
      return Error(Error::Kind::config, why);
    }
    r->ok_ = true;
    return r;
  }
  /// Whether the pattern matches anywhere in `line`, as a sed address does.
  bool search(const std::string& line) const { return ::regexec(&re_, line.c_str(), 0, nullptr, 0) == 0; }

 private:
  Regex() = default;
  regex_t re_{};
  bool ok_ = false;
};

}  // namespace

std::optional<std::string> pattern_problem(const std::string& pattern) {
  Result<std::unique_ptr<Regex>> compiled = Regex::compile(pattern);
  if (compiled) return std::nullopt;
  return compiled.error().message();
}

Result<std::vector<ConfigLine>> render_config(const Recipe& r, std::vector<ConfigLine> lines) {
  std::map<std::string, std::vector<ConfigLine>> buckets;
  for (const ConfigOp& op : r.config) {
    switch (op.kind) {
      case ConfigOp::Kind::line: lines.push_back(op.line); break;
      case ConfigOp::Kind::move: {
        Result<std::unique_ptr<Regex>> compiled = Regex::compile(op.pattern);
        if (!compiled) return compiled.error().wrap("@move: pattern `" + op.pattern + "`");
        const Regex* re = compiled.value().get();
        std::vector<ConfigLine> kept;
        std::vector<ConfigLine>& taken = buckets[op.bucket];
        for (ConfigLine& l : lines) (re->search(l.text) ? taken : kept).push_back(std::move(l));
        lines = std::move(kept);
        break;
      }
      case ConfigOp::Kind::emit: {
        std::vector<ConfigLine>& held = buckets[op.bucket];
        if (held.empty()) break;
        lines.insert(lines.end(), op.heading.begin(), op.heading.end());
        lines.insert(lines.end(), std::make_move_iterator(held.begin()), std::make_move_iterator(held.end()));
        held.clear();
        break;
      }
    }
  }
  if (!r.tokens.empty())
    for (ConfigLine& l : lines) l.text = substitute_tokens(std::move(l.text), r.tokens);
  return lines;
}

std::string substitute_tokens(std::string text, const std::vector<TokenValue>& tokens) {
  for (const TokenValue& t : tokens) {
    if (t.name.empty()) continue;
    std::string out;
    size_t from = 0;
    for (size_t at; (at = text.find(t.name, from)) != std::string::npos; from = at + t.name.size())
      out.append(text, from, at - from).append(t.value);
    if (from == 0) continue;  // none found
    out.append(text, from, std::string::npos);
    text = std::move(out);
  }
  return text;
}

}  // namespace corral::tmpl
