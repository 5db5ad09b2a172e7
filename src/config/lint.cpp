#include "config/lint.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "config/fstab.hpp"
#include "config/seccomp_policy.hpp"

namespace corral::config {

namespace {

bool read_text(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

/// Line `line` of a source file, for the excerpt under a diagnostic.
std::string source_line(const SourceTable& sources, Origin o) {
  const SourceFile* f = sources.get(o.file);
  std::string text;
  if (!f || o.line == 0 || !read_text(f->path, text)) return "";
  uint32_t line = 1;
  size_t pos = 0;
  while (line < o.line && pos < text.size()) {
    size_t eol = text.find_first_of("\n\r", pos);
    if (eol == std::string::npos) return "";
    pos = eol + ((text[eol] == '\r' && eol + 1 < text.size() && text[eol + 1] == '\n') ? 2 : 1);
    ++line;
  }
  size_t end = text.find_first_of("\n\r", pos);
  return text.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
}

/// A warning about the line that set `key`, with the caret under the key.
void warn(LintResult& r, Origin at, std::string_view key, const std::string& message,
          std::vector<std::string> notes = {}) {
  r.diagnostics.add(Diagnostic{Severity::warning, at, static_cast<uint32_t>(key.size()),
                               std::string(key) + ": " + message, source_line(r.sources, at), std::move(notes)});
}

/// Reports what parsing a referenced file found, as warnings: LXC only
/// reads these files at start, so they never make the config invalid.
void add_as_warnings(LintResult& r, const Diagnostics& found) {
  for (Diagnostic d : found.items()) {
    if (d.severity == Severity::error) {
      d.severity = Severity::warning;
      d.message += "; the container will fail to start";
    }
    r.diagnostics.add(std::move(d));
  }
}

void lint_mount_entries(const Config& cfg, LintResult& r) {
  for (const Item<std::string>& e : cfg.mount_entries) {
    if (mount_entry_is_comment(e.value)) continue;  // already warned about while loading
    std::vector<ValueError> warnings;
    try {
      parse_mount_entry(e.value, &warnings);
    } catch (const ValueError& err) {
      warn(r, e.origin, "lxc.mount.entry", err.message + "; the container will fail to start", err.notes);
    }
    // Warnings found before an error are worth seeing too.
    for (const ValueError& w : warnings) warn(r, e.origin, "lxc.mount.entry", w.message, w.notes);
  }
}

void lint_fstab(const Config& cfg, LintResult& r) {
  const Setting<std::string>& fstab = cfg.mount_fstab;
  if (fstab.value.empty()) return;
  std::string text;
  if (!read_text(fstab.value, text)) {
    warn(r, fstab.origin, "lxc.mount.fstab",
         "cannot read `" + fstab.value + "`: " + std::strerror(errno) + "; the container will fail to start");
    return;
  }
  Diagnostics found;
  parse_fstab(text, fstab.value, found, r.sources);
  add_as_warnings(r, found);
}

void lint_seccomp(const Config& cfg, LintResult& r) {
  const Setting<std::string>& profile = cfg.seccomp_profile;
  if (profile.value.empty()) return;
  std::string text;
  if (!read_text(profile.value, text)) {
    warn(r, profile.origin, "lxc.seccomp.profile",
         "cannot read `" + profile.value + "`: " + std::strerror(errno) + "; the container will fail to start");
    return;
  }
  Diagnostics found;
  parse_seccomp_policy(text, profile.value, found, r.sources);
  add_as_warnings(r, found);
}

}  // namespace

LintResult lint(const Config& cfg) {
  LintResult r;
  r.sources = cfg.sources;
  lint_mount_entries(cfg, r);
  lint_fstab(cfg, r);
  lint_seccomp(cfg, r);
  return r;
}

}  // namespace corral::config
