#include "config/diagnostics.hpp"

namespace corral::config {

uint32_t SourceTable::add(std::string path, Origin included_from) {
  files.push_back(SourceFile{std::move(path), included_from});
  return static_cast<uint32_t>(files.size());
}

std::string SourceTable::describe(Origin o) const {
  const SourceFile* f = get(o.file);
  if (!f) return "<command line>";
  std::string out = f->path;
  if (o.line) out += ":" + std::to_string(o.line);
  if (o.col) out += ":" + std::to_string(o.col);
  return out;
}

namespace {

// Control characters other than tab would garble the excerpt; show them as
// '?' so that the caret still lines up byte for byte.
std::string printable(const std::string& line) {
  std::string out = line;
  for (char& c : out) {
    auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) c = '?';
  }
  return out;
}

}  // namespace

std::string render(const Diagnostic& d, const SourceTable& sources) {
  std::string out;
  // The include chain first, outermost last, the way gcc prints it.
  const SourceFile* f = sources.get(d.origin.file);
  if (f && f->included_from.file != 0) {
    Origin at = f->included_from;
    bool first = true;
    while (at.file != 0) {
      out += first ? "In file included from " : "                 from ";
      out += sources.describe(Origin{at.file, at.line, 0});
      const SourceFile* parent = sources.get(at.file);
      at = parent ? parent->included_from : Origin{};
      out += at.file != 0 ? ",\n" : ":\n";
      first = false;
    }
  }
  out += sources.describe(d.origin);
  out += d.severity == Severity::error ? ": error: " : ": warning: ";
  out += d.message;
  out += '\n';
  if (d.origin.line != 0) {
    std::string num = std::to_string(d.origin.line);
    std::string gutter(num.size(), ' ');
    out += " " + num + " | " + printable(d.line_text) + "\n";
    out += " " + gutter + " | ";
    // Copy tabs from the line so that the caret lines up under them.
    uint32_t col = d.origin.col ? d.origin.col : 1;
    for (uint32_t i = 0; i + 1 < col && i < d.line_text.size(); ++i) out += d.line_text[i] == '\t' ? '\t' : ' ';
    out += '^';
    for (uint32_t i = 1; i < d.length; ++i) out += '~';
    out += '\n';
  }
  for (const std::string& n : d.notes) out += " note: " + n + "\n";
  return out;
}

std::string Diagnostics::render(const SourceTable& sources) const {
  std::string out;
  for (const Diagnostic& d : items_) out += config::render(d, sources);
  return out;
}

}  // namespace corral::config
