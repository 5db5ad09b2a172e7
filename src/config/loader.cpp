#include "config/loader.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "config/keys.hpp"
#include "config/lxcconf_actions.hpp"
#include "util/strings.hpp"

namespace corral::config {

namespace {

std::string_view line_at(std::string_view text, const char* line_start) {
  size_t begin = static_cast<size_t>(line_start - text.data());
  size_t end = text.find_first_of("\n\r", begin);
  return text.substr(begin, end == std::string_view::npos ? std::string_view::npos : end - begin);
}

class Loader {
 public:
  Loader(Config& cfg, Diagnostics& diags) : cfg_(cfg), diags_(diags) {}

  /// Loads a file at top level (included_from.file == 0) or from lxc.include.
  /// `at`, `length` and `line` describe the lxc.include value that asked
  /// for the file (at.file == 0 for a top-level file), for error excerpts.
  void load_file(const std::string& path, Origin at, uint32_t length, const std::string& line);
  void load_text(std::string_view text, uint32_t file_id);
  int parse_fd(int fd, uint32_t file_id);
  void include(std::string_view path, Origin at, uint32_t length, const std::string& line);

  Diagnostic& report(Severity sev, uint32_t file, uint32_t line, uint32_t col, uint32_t length, std::string message,
                     std::string line_text) {
    diags_.add(Diagnostic{sev, Origin{file, line, col}, std::max<uint32_t>(length, 1), std::move(message),
                          std::move(line_text), {}});
    return const_cast<Diagnostic&>(diags_.items().back());
  }

 private:
  friend class FileSink;
  friend class FileParser;
  Config& cfg_;
  Diagnostics& diags_;
  std::vector<std::pair<dev_t, ino_t>> stack_;  // files being read, for cycle detection
};

/// Receives one file's lines from the grammar and applies them in order.
class FileSink : public lxcconf::LineSink {
 public:
  FileSink(Loader& loader, uint32_t file_id)
      : loader_(loader), file_(file_id),
        ctx_{loader.cfg_, Origin{}, nullptr, nullptr} {
    ctx_.warn = [this](std::string message, uint32_t offset, uint32_t length) {
      loader_.report(Severity::warning, file_, ctx_.origin.line, value_col_ + offset,
                     length ? length : value_len_, std::move(message), current_line());
    };
    ctx_.include = [this](std::string_view path) {
      loader_.include(path, Origin{file_, ctx_.origin.line, value_col_}, value_len_, current_line());
    };
  }

  void bind(lxcconf::ParseState* st) { st_ = st; }
  /// The piece of the file being parsed now, for excerpts.
  void set_text(std::string_view text) { text_ = text; }

  void entry(std::string_view key, uint32_t key_col, std::string_view value, uint32_t value_col) override {
    ctx_.origin = Origin{file_, st_->line, key_col};
    value_col_ = value_col;
    value_len_ = static_cast<uint32_t>(value.size());
    Lookup found = lookup_key(key);
    if (!found.ok()) {
      Diagnostic& d = loader_.report(Severity::error, file_, st_->line, key_col, static_cast<uint32_t>(key.size()),
                                     found.error, current_line());
      d.notes = std::move(found.notes);
      if (key.find_first_of(" \t") != std::string_view::npos) d.notes.push_back("keys cannot contain blanks");
      return;
    }
    try {
      found.ref.spec->set(ctx_, found.ref, value);
    } catch (const ValueError& e) {
      // Point at the value, or at the key when the value is empty.
      uint32_t col = value_len_ ? value_col + e.offset : key_col;
      uint32_t len = value_len_ ? (e.length ? e.length : value_len_) : static_cast<uint32_t>(key.size());
      Diagnostic& d = loader_.report(Severity::error, file_, st_->line, col, len,
                                     std::string(key) + ": " + e.message, current_line());
      d.notes = e.notes;
    }
  }

  void martian(std::string_view text, uint32_t col) override {
    std::string line = current_line();
    std::vector<std::string> notes;
    if (st_->line == 1 && col == 1 && text.substr(0, 3) == "\xEF\xBB\xBF") {
      loader_.report(Severity::warning, file_, st_->line, col, 3,
                     "line ignored: a byte order mark (BOM) makes LXC skip the first line", line)
          .notes.push_back("save the file without a BOM");
      return;
    }
    std::string_view word = trim_blanks(text.substr(0, text.find('=')));
    std::string lower = to_lower(word);
    if (lower.rfind("lxc.", 0) == 0 && lookup_key(lower).ok()) {
      notes.push_back("keys are case-sensitive: did you mean '" + lower + "'?");
    } else if (text.find('=') != std::string_view::npos) {
      std::vector<std::string_view> names;
      for (const KeySpec& k : all_keys())
        if (k.shape == KeyShape::exact) names.push_back(k.name);
      if (auto m = closest_match(word, names, 3)) notes.push_back("did you mean '" + std::string(*m) + "'?");
    }
    Diagnostic& d = loader_.report(Severity::warning, file_, st_->line, col,
                                   static_cast<uint32_t>(word.empty() ? 1 : word.size()),
                                   "line ignored: it does not start with 'lxc.' (LXC skips such lines silently)", line);
    d.notes = std::move(notes);
  }

  void syntax_error(const char* message, uint32_t col) override {
    loader_.report(Severity::error, file_, st_->line, col, 1, message, current_line());
  }

 private:
  std::string current_line() const { return std::string(line_at(text_, st_->line_start)); }

  Loader& loader_;
  uint32_t file_;
  std::string_view text_;
  SetContext ctx_;
  lxcconf::ParseState* st_ = nullptr;
  uint32_t value_col_ = 0;
  uint32_t value_len_ = 0;
};

/// Parses one file in pieces that each end at a line break, so that a large
/// file never has to be in memory as a whole.
class FileParser {
 public:
  FileParser(Loader& loader, uint32_t file_id) : loader_(loader), file_(file_id), sink_(loader, file_id),
                                                 st_(sink_, nullptr) {
    sink_.bind(&st_);
  }

  /// Parses `text`, which ends at a line break or at the end of the file.
  /// Returns false at a NUL byte: LXC ignores the rest of the file.
  bool feed(std::string_view text) {
    bool go_on = true;
    if (size_t nul = text.find('\0'); nul != std::string_view::npos) {
      size_t line_begin = text.find_last_of("\n\r", nul);
      line_begin = line_begin == std::string_view::npos ? 0 : line_begin + 1;
      uint32_t line = st_.line;
      for (size_t i = 0; i < line_begin; ++i)
        if (text[i] == '\n' || (text[i] == '\r' && (i + 1 >= text.size() || text[i + 1] != '\n'))) ++line;
      loader_.report(Severity::warning, file_, line, static_cast<uint32_t>(nul - line_begin) + 1, 1,
                     "NUL byte: LXC ignores everything from here to the end of the file",
                     std::string(line_at(text, text.data() + line_begin)));
      text = text.substr(0, nul);
      go_on = false;
    }
    sink_.set_text(text);
    st_.line_start = text.data();
    tao::pegtl::memory_input<tao::pegtl::tracking_mode::lazy, tao::pegtl::eol::lf_crlf> in(text.data(), text.size(),
                                                                                        "");
    tao::pegtl::parse<grammar::lxcconf::file, lxcconf::action, lxcconf::control>(in, st_);
    return go_on;
  }

 private:
  Loader& loader_;
  uint32_t file_;
  FileSink sink_;
  lxcconf::ParseState st_;
};

void Loader::load_text(std::string_view text, uint32_t file_id) {
  FileParser parser(*this, file_id);
  parser.feed(text);
}

/// Reads and parses a file a megabyte at a time; errno on a read error.
int Loader::parse_fd(int fd, uint32_t file_id) {
  constexpr size_t kChunk = 1 << 20;
  // A small file gets a buffer of its own size (plus one byte to see the
  // end): zero-filling a whole megabyte costs more than parsing a config.
  struct stat st {};
  size_t chunk = kChunk;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && static_cast<size_t>(st.st_size) < kChunk)
    chunk = static_cast<size_t>(st.st_size) + 1;
  FileParser parser(*this, file_id);
  std::string buf;
  size_t used = 0;  // bytes of buf holding data
  for (;;) {
    if (buf.size() - used < chunk) buf.resize(used + chunk);
    ssize_t n = ::read(fd, buf.data() + used, buf.size() - used);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) {
      if (used > 0) parser.feed(std::string_view(buf.data(), used));
      return 0;
    }
    used += static_cast<size_t>(n);
    // Parse up to the last '\n' (never between '\r' and '\n'); keep the rest.
    std::string_view data(buf.data(), used);
    size_t last = data.rfind('\n');
    if (last == std::string_view::npos) continue;
    if (!parser.feed(data.substr(0, last + 1))) return 0;
    used -= last + 1;
    std::memmove(buf.data(), buf.data() + last + 1, used);
  }
}

void Loader::load_file(const std::string& path, Origin at, uint32_t length, const std::string& line) {
  uint32_t id = cfg_.sources.add(path, at);
  // A file that cannot be read is reported at the lxc.include that named it.
  auto fail_at_include = [&](std::string message) {
    if (at.file != 0) {
      report(Severity::error, at.file, at.line, at.col, length, std::move(message), line);
    } else {
      report(Severity::error, id, 0, 0, 1, std::move(message), "");
    }
  };
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    fail_at_include("cannot read `" + path + "`: " + std::strerror(errno));
    return;
  }
  for (const auto& [dev, ino] : stack_) {
    if (dev == st.st_dev && ino == st.st_ino) {
      fail_at_include("include cycle: `" + path + "` is already being read (LXC would recurse until it crashes)");
      return;
    }
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    fail_at_include("cannot read `" + path + "`: " + std::strerror(errno));
    return;
  }
  stack_.emplace_back(st.st_dev, st.st_ino);
  int err = parse_fd(fd, id);
  ::close(fd);
  stack_.pop_back();
  if (err) fail_at_include("cannot read `" + path + "`: " + std::strerror(err));
}

void Loader::include(std::string_view value, Origin at, uint32_t length, const std::string& line) {
  std::string path(value);
  const SourceFile* parent = cfg_.sources.get(at.file);
  if (path[0] != '/') {
    char cwd[4096];
    std::string dir = ::getcwd(cwd, sizeof cwd) ? cwd : ".";
    Diagnostic d{Severity::warning, at, length,
                 "relative include `" + path + "` is resolved against the current directory `" + dir +
                     "`, not against the directory of `" + (parent ? parent->path : std::string("?")) + "`",
                 line, {"use an absolute path: LXC resolves it the same way, which depends on where it is started"}};
    diags_.add(std::move(d));
  }
  struct stat st {};
  bool trailing_slash = path.back() == '/';
  bool exists = ::stat(path.c_str(), &st) == 0;
  if (trailing_slash || (exists && S_ISDIR(st.st_mode))) {
    if (!exists) {
      diags_.add(Diagnostic{Severity::warning, at, length,
                            "included directory `" + path + "` does not exist; nothing is included", line, {}});
      return;
    }
    DIR* dir = ::opendir(path.c_str());
    if (!dir) {
      diags_.add(Diagnostic{Severity::error, at, length,
                            "cannot read directory `" + path + "`: " + std::strerror(errno), line, {}});
      return;
    }
    std::vector<std::string> names;
    while (dirent* e = ::readdir(dir)) {
      std::string_view name = e->d_name;
      // LXC takes names of at least 6 bytes ending in ".conf".
      if (name.size() >= 6 && name.substr(name.size() - 5) == ".conf") names.emplace_back(name);
    }
    ::closedir(dir);
    // LXC uses readdir order; sorting makes the result deterministic.
    std::sort(names.begin(), names.end());
    std::string base = trailing_slash ? path : path + "/";
    for (const std::string& name : names) {
      std::string full = base + name;
      struct stat fst {};
      if (::stat(full.c_str(), &fst) == 0 && S_ISDIR(fst.st_mode)) continue;  // LXC treats it as empty
      load_file(full, at, length, line);
    }
    return;
  }
  load_file(path, at, length, line);
}

}  // namespace

LoadResult load_file(const std::string& path) {
  LoadResult r;
  load_file_into(r.config, r.diagnostics, path);
  return r;
}

void load_file_into(Config& cfg, Diagnostics& diags, const std::string& path) {
  Loader loader(cfg, diags);
  loader.load_file(path, Origin{}, 0, "");
}

LoadResult load_text(std::string_view text, const std::string& name) {
  LoadResult r;
  Loader loader(r.config, r.diagnostics);
  uint32_t id = r.config.sources.add(name, Origin{});
  loader.load_text(text, id);
  return r;
}

bool set_item(Config& cfg, std::string_view key, std::string_view value, Diagnostics& diags) {
  Lookup found = lookup_key(key);
  if (!found.ok()) {
    diags.add(Diagnostic{Severity::error, Origin{}, 1, found.error, "", found.notes});
    return false;
  }
  size_t before = diags.error_count();
  SetContext ctx{cfg, Origin{},
                 [&](std::string message, uint32_t, uint32_t) {
                   diags.add(Diagnostic{Severity::warning, Origin{}, 1, std::string(key) + ": " + message, "", {}});
                 },
                 [&](std::string_view path) {
                   Loader loader(cfg, diags);
                   loader.include(path, Origin{}, 0, "");
                 }};
  try {
    found.ref.spec->set(ctx, found.ref, value);
  } catch (const ValueError& e) {
    diags.add(Diagnostic{Severity::error, Origin{}, 1, std::string(key) + ": " + e.message, "", e.notes});
  }
  return diags.error_count() == before;
}

std::optional<std::string> get_item(const Config& cfg, std::string_view key) {
  Lookup found = lookup_key(key);
  if (!found.ok() || !found.ref.spec->get) return std::nullopt;
  return found.ref.spec->get(cfg, found.ref);
}

std::string show(const Config& cfg) {
  std::string out;
  const Config& fresh = fresh_config();
  for (const KeySpec& k : all_keys()) {
    if (k.show) {
      k.show(cfg, k, out);
      continue;
    }
    if (k.shape != KeyShape::exact || !k.get) continue;
    KeyRef ref{&k, k.name, 0, {}};
    std::optional<std::string> now = k.get(cfg, ref);
    if (!now || *now == k.get(fresh, ref)) continue;
    if (k.kind == KeyKind::scalar) {
      show_line(out, k.name, *now);
    } else {
      for (std::string_view item : split(*now, '\n'))
        if (!item.empty()) show_line(out, k.name, item);
    }
  }
  return out;
}

}  // namespace corral::config
