// Where a value came from, and what is wrong with a file: positions,
// include chains and compiler-style rendering (file:line:col, the line, a
// caret, notes).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace corral::config {

/// A position in one of the files a Config was loaded from. `file` indexes
/// SourceTable::files, starting at 1; 0 means "not from a file" (a value
/// set through the API or `--define`).
struct Origin {
  uint32_t file = 0;
  uint32_t line = 0;
  uint32_t col = 0;
};

struct SourceFile {
  std::string path;
  Origin included_from;  // file == 0 for a top-level file
};

/// Every file read while loading, so that an Origin can name its include chain.
struct SourceTable {
  std::vector<SourceFile> files;

  uint32_t add(std::string path, Origin included_from);
  const SourceFile* get(uint32_t id) const { return id == 0 || id > files.size() ? nullptr : &files[id - 1]; }
  /// "path:line:col" of an origin ("<command line>" when not from a file).
  std::string describe(Origin o) const;
};

enum class Severity { warning, error };

struct Diagnostic {
  Severity severity = Severity::error;
  Origin origin;
  uint32_t length = 1;            // how many bytes the caret underlines
  std::string message;
  std::string line_text;          // the whole source line, for the excerpt
  std::vector<std::string> notes; // "did you mean ...", hints
};

class Diagnostics {
 public:
  void add(Diagnostic d) {
    if (d.severity == Severity::error) ++errors_;
    items_.push_back(std::move(d));
  }
  size_t error_count() const { return errors_; }
  size_t warning_count() const { return items_.size() - errors_; }
  bool empty() const { return items_.empty(); }
  const std::vector<Diagnostic>& items() const { return items_; }

  /// All diagnostics, in the order found, rendered like a compiler does.
  std::string render(const SourceTable& sources) const;

 private:
  std::vector<Diagnostic> items_;
  size_t errors_ = 0;
};

std::string render(const Diagnostic& d, const SourceTable& sources);

}  // namespace corral::config
