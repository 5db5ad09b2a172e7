// Template expansion: parameters and `${NAME}` references, requirement
// checks, the metadata tarball read, and every step argument checked
// against the host and against the rootfs rules (no absolute path, no
// `..`), so that execute() starts only when nothing it can know of in
// advance is wrong. Nothing is written here (the metadata tarball is
// unpacked into a private directory, removed before expand() returns).
#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <set>
#include <utility>
#include <variant>

#include "grammar/template.hpp"
#include "template/metadata.hpp"
#include "template/template.hpp"
#include "util/fd.hpp"
#include "util/strings.hpp"

namespace corral::tmpl {

namespace {

/// Whether `name` is all of grammar rule `Rule` (a Debian package name, a
/// parameter name...).
template <class Rule>
bool whole(std::string_view name) {
  tao::pegtl::memory_input in(name.data(), name.size(), "");
  return tao::pegtl::parse<tao::pegtl::seq<Rule, tao::pegtl::eof>>(in);
}

constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// ---- collected errors ----

/// Every error of one expansion, in the order found: the first becomes the
/// Error's position and message, the others follow it, one per line.
class Problems {
 public:
  explicit Problems(const config::SourceTable& sources) : sources_(sources) {}

  void add(Origin at, std::string message) { items_.push_back({at, std::move(message)}); }
  bool empty() const { return items_.empty(); }
  size_t size() const { return items_.size(); }

  Error error() const {
    const Item& first = items_.front();
    std::string message = first.message;
    for (size_t i = 1; i < items_.size(); ++i) {
      message += '\n';
      if (items_[i].at.file != 0) message += sources_.describe(items_[i].at) + ": ";
      message += items_[i].message;
    }
    SourceLoc loc;
    if (const config::SourceFile* f = sources_.get(first.at.file)) loc = {f->path, first.at.line, first.at.col};
    return Error::config(std::move(message), std::move(loc));
  }

 private:
  struct Item {
    Origin at;
    std::string message;
  };
  const config::SourceTable& sources_;
  std::vector<Item> items_;
};

// ---- ${NAME} references ----

/// The column of byte `offset` of a Text's raw form. In raw text (see
/// parse.cpp) `\\` and `\$` stand for one character; a bare word or a config
/// line wrote that as one backslash, a quoted word wrote both bytes, plus
/// one for its opening quote and one more for each `\n`, `\t` and `\"` it
/// decoded. Which of the two a word is shows only in the source line, read
/// again here; when it cannot be, the word is taken as bare.
uint32_t column_of(const config::SourceTable& sources, const Text& t, size_t offset, bool verbatim) {
  const std::string& raw = t.raw;
  size_t bare = 0;
  for (size_t r = 0; r < offset && r < raw.size(); r += raw[r] == '\\' ? 2 : 1) ++bare;
  auto bare_col = static_cast<uint32_t>(t.where.col + bare);
  const config::SourceFile* f = sources.get(t.where.file);
  if (verbatim || !f || t.where.line == 0 || t.where.col == 0) return bare_col;
  std::ifstream in(f->path);
  std::string line;
  uint32_t n = 0;
  while (n < t.where.line && std::getline(in, line)) ++n;
  if (n != t.where.line) return bare_col;
  size_t i = t.where.col - 1;
  if (i >= line.size() || line[i] != '"') return bare_col;
  ++i;
  for (size_t r = 0; r < offset && i < line.size();) {
    if (line[i] == '\\' && i + 1 < line.size()) {
      char e = line[i + 1];
      r += e == 'n' || e == 't' || e == '"' ? 1 : 2;
      i += 2;
    } else {
      ++r;
      ++i;
    }
  }
  return static_cast<uint32_t>(i + 1);
}

struct Expander {
  const config::SourceTable& sources;
  Problems& problems;
  std::map<std::string, std::string> values;
  std::set<std::string> declared_later;  // params not defined yet (while defaults expand)

  /// The text with every reference replaced; nullopt (and an error at the
  /// reference) when one names nothing defined.
  std::optional<std::string> expand(const Text& t, bool verbatim = false) {
    std::string out;
    bool ok = true;
    const std::string& s = t.raw;
    size_t i = 0;
    while (i < s.size()) {
      if (s[i] == '\\' && i + 1 < s.size()) {  // `\\` or `\$`: the character itself
        out += s[i + 1];
        i += 2;
        continue;
      }
      if (s[i] != '$' || i + 1 >= s.size() || s[i + 1] != '{') {
        out += s[i++];
        continue;
      }
      size_t close = s.find('}', i + 2);
      Origin at{t.where.file, t.where.line, column_of(sources, t, i, verbatim)};
      if (close == std::string::npos) {
        problems.add(at, "unterminated reference: expected '}' after '${'");
        return std::nullopt;
      }
      std::string name = s.substr(i + 2, close - i - 2);
      auto it = values.find(name);
      if (it != values.end()) {
        out += it->second;
      } else {
        ok = false;
        if (declared_later.count(name)) {
          problems.add(at, "`${" + name + "}` refers to a parameter declared after this one");
        } else {
          std::vector<std::string_view> names;
          for (const auto& [k, v] : values) names.push_back(k);
          std::string msg = "undefined parameter `${" + name + "}`";
          if (auto m = closest_match(name, names, 2)) msg += "; did you mean `${" + std::string(*m) + "}`?";
          problems.add(at, std::move(msg));
        }
      }
      i = close + 1;
    }
    if (!ok) return std::nullopt;
    return out;
  }
};

// ---- host facts ----

std::optional<std::string> find_in_path(const std::string& command) {
  const char* env = std::getenv("PATH");
  std::string path = env && *env ? env : kDefaultPath;
  for (std::string_view dir : split(path, ':')) {
    if (dir.empty() || dir.front() != '/') continue;
    std::string candidate = std::string(dir) + "/" + command;
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(candidate.c_str(), X_OK) == 0)
      return candidate;
  }
  return std::nullopt;
}

/// Why a host file a step reads is unusable, or nullopt; `st` is filled.
std::optional<std::string> host_file_problem(const std::string& path, struct stat& st) {
  if (path.empty() || path.front() != '/') return "must be an absolute host path";
  if (::stat(path.c_str(), &st) != 0) return std::string("cannot be read: ") + std::strerror(errno);
  if (!S_ISREG(st.st_mode)) return "is not a regular file";
  if (::access(path.c_str(), R_OK) != 0) return std::string("cannot be read: ") + std::strerror(errno);
  return std::nullopt;
}

// ---- ELF: what the dynamic loader would load ----

struct ElfObject {
  bool is64 = false;
  uint16_t machine = 0;
  std::string interp;
  std::string soname;
  std::vector<std::string> needed, runpath, rpath;
};

bool read_at(int fd, void* buf, size_t n, uint64_t off) {
  auto* p = static_cast<char*>(buf);
  while (n > 0) {
    ssize_t r = ::pread(fd, p, n, static_cast<off_t>(off));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
    off += static_cast<uint64_t>(r);
  }
  return true;
}

std::vector<std::string> split_search_path(const std::string& s) {
  std::vector<std::string> out;
  for (std::string_view part : split(s, ':'))
    if (!part.empty()) out.emplace_back(part);
  return out;
}

template <class Ehdr, class Phdr, class Dyn>
std::optional<std::string> read_elf_as(int fd, ElfObject& obj) {
  Ehdr eh{};
  if (!read_at(fd, &eh, sizeof eh, 0)) return "truncated ELF header";
  obj.machine = eh.e_machine;
  if (eh.e_phnum == 0) return std::nullopt;
  if (eh.e_phentsize != sizeof(Phdr) || eh.e_phnum > 4096) return "unexpected program header size";
  std::vector<Phdr> ph(eh.e_phnum);
  if (!read_at(fd, ph.data(), ph.size() * sizeof(Phdr), eh.e_phoff)) return "truncated program headers";
  const Phdr* dynamic = nullptr;
  for (const Phdr& p : ph) {
    if (p.p_type == PT_INTERP) {
      if (p.p_filesz == 0 || p.p_filesz > 4096) return "bad PT_INTERP";
      std::string s(p.p_filesz, '\0');
      if (!read_at(fd, s.data(), s.size(), p.p_offset)) return "truncated PT_INTERP";
      obj.interp = s.c_str();
    } else if (p.p_type == PT_DYNAMIC) {
      dynamic = &p;
    }
  }
  if (!dynamic) return std::nullopt;  // static
  if (dynamic->p_filesz > (1u << 20)) return "oversized PT_DYNAMIC";
  std::vector<Dyn> dyn(dynamic->p_filesz / sizeof(Dyn));
  if (!read_at(fd, dyn.data(), dyn.size() * sizeof(Dyn), dynamic->p_offset)) return "truncated PT_DYNAMIC";
  uint64_t strtab = 0, strsz = 0;
  std::vector<std::pair<int64_t, uint64_t>> strings;  // (tag, offset in the string table)
  for (const Dyn& d : dyn) {
    if (d.d_tag == DT_NULL) break;
    switch (d.d_tag) {
      case DT_STRTAB: strtab = d.d_un.d_ptr; break;
      case DT_STRSZ: strsz = d.d_un.d_val; break;
      case DT_NEEDED:
      case DT_SONAME:
      case DT_RUNPATH:
      case DT_RPATH: strings.emplace_back(d.d_tag, d.d_un.d_val); break;
      default: break;
    }
  }
  if (strings.empty()) return std::nullopt;
  if (strtab == 0 || strsz == 0 || strsz > (64u << 20)) return "no usable DT_STRTAB";
  // DT_STRTAB is an address: the PT_LOAD segment holding it gives its offset.
  std::optional<uint64_t> offset;
  for (const Phdr& p : ph)
    if (p.p_type == PT_LOAD && strtab >= p.p_vaddr && strtab - p.p_vaddr < p.p_filesz)
      offset = strtab - p.p_vaddr + p.p_offset;
  if (!offset) return "DT_STRTAB outside every PT_LOAD segment";
  std::string table(strsz, '\0');
  if (!read_at(fd, table.data(), table.size(), *offset)) return "truncated string table";
  for (const auto& [tag, off] : strings) {
    if (off >= table.size()) return "string offset outside the string table";
    std::string s(table.c_str() + off, ::strnlen(table.c_str() + off, table.size() - off));
    if (tag == DT_NEEDED) obj.needed.push_back(s);
    else if (tag == DT_SONAME) obj.soname = s;
    else if (tag == DT_RUNPATH) obj.runpath = split_search_path(s);
    else obj.rpath = split_search_path(s);
  }
  return std::nullopt;
}

/// Reads the loader-relevant parts of an ELF file; an error string when it
/// is not one (or not one this reader understands: little-endian only).
std::optional<std::string> read_elf(const std::string& path, ElfObject& obj) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return std::string("cannot be read: ") + std::strerror(errno);
  unsigned char ident[EI_NIDENT];
  if (!read_at(fd.get(), ident, sizeof ident, 0) || ident[EI_MAG0] != ELFMAG0 || ident[EI_MAG1] != ELFMAG1 ||
      ident[EI_MAG2] != ELFMAG2 || ident[EI_MAG3] != ELFMAG3)
    return "is not an ELF file";
  if (ident[EI_DATA] != ELFDATA2LSB) return "is a big-endian ELF file (not supported)";
  if (ident[EI_CLASS] == ELFCLASS64) {
    obj.is64 = true;
    return read_elf_as<Elf64_Ehdr, Elf64_Phdr, Elf64_Dyn>(fd.get(), obj);
  }
  if (ident[EI_CLASS] == ELFCLASS32) return read_elf_as<Elf32_Ehdr, Elf32_Phdr, Elf32_Dyn>(fd.get(), obj);
  return "has an unknown ELF class";
}

/// Debian's multiarch directory name for an ELF machine.
std::string multiarch_triplet(uint16_t machine) {
  switch (machine) {
    case EM_X86_64: return "x86_64-linux-gnu";
    case EM_386: return "i386-linux-gnu";
    case EM_AARCH64: return "aarch64-linux-gnu";
    case EM_ARM: return "arm-linux-gnueabihf";
    case EM_PPC64: return "powerpc64le-linux-gnu";
    case EM_S390: return "s390x-linux-gnu";
    case EM_RISCV: return "riscv64-linux-gnu";
    default: return "";
  }
}

std::string dirname_of(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

std::string basename_of(const std::string& path) { return path.substr(path.rfind('/') + 1); }

/// An absolute host path with `.`, `..` and repeated slashes resolved
/// lexically (a RUNPATH of `$ORIGIN/../lib` gives such paths).
std::string lexically_normal(const std::string& path) {
  std::vector<std::string> parts;
  for (std::string_view p : split(path, '/')) {
    if (p.empty() || p == ".") continue;
    if (p == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.emplace_back(p);
  }
  return "/" + join(parts, "/");
}

/// Where the loader looks for the DT_NEEDED entries of `obj` (at `path`):
/// its DT_RUNPATH (else DT_RPATH, not inherited: the simple case), with
/// $ORIGIN replaced, then Debian's standard directories.
std::vector<std::string> search_dirs(const std::string& path, const ElfObject& obj) {
  std::vector<std::string> dirs;
  for (std::string d : obj.runpath.empty() ? obj.rpath : obj.runpath) {
    for (const char* token : {"${ORIGIN}", "$ORIGIN"}) {
      size_t at;
      while ((at = d.find(token)) != std::string::npos) d.replace(at, std::strlen(token), dirname_of(path));
    }
    if (d.find('$') == std::string::npos && d.front() == '/') dirs.push_back(d);  // $LIB, $PLATFORM: skipped
  }
  std::string triplet = multiarch_triplet(obj.machine);
  if (!triplet.empty()) {
    dirs.push_back("/lib/" + triplet);
    dirs.push_back("/usr/lib/" + triplet);
  }
  for (const char* d : {"/lib64", "/lib", "/usr/lib"}) dirs.push_back(d);
  return dirs;
}

struct Loaded {
  std::string path;
  std::string name;  // DT_SONAME, else the file name
};

/// The interpreter and the shared libraries `binary` needs, recursively,
/// in the order the loader meets them (interpreter first); each is a host
/// path. Empty for a static binary.
std::optional<std::string> shared_objects(const std::string& binary, std::vector<std::string>& out) {
  ElfObject main;
  if (auto why = read_elf(binary, main)) return "`" + binary + "` " + *why;
  std::vector<Loaded> loaded;
  if (!main.interp.empty()) {
    if (main.interp.front() != '/') return "`" + binary + "` has a relative interpreter `" + main.interp + "`";
    ElfObject interp;
    if (auto why = read_elf(main.interp, interp))
      return "the interpreter `" + main.interp + "` of `" + binary + "` " + *why;
    loaded.push_back({main.interp, interp.soname.empty() ? basename_of(main.interp) : interp.soname});
    out.push_back(lexically_normal(main.interp));
  }
  std::deque<std::pair<std::string, ElfObject>> queue{{binary, main}};
  while (!queue.empty()) {
    auto [path, obj] = std::move(queue.front());
    queue.pop_front();
    for (const std::string& name : obj.needed) {
      bool known = false;
      for (const Loaded& l : loaded) known = known || l.name == name || l.path == name;
      if (known) continue;
      if (name.find('/') != std::string::npos && name.front() != '/')
        return "`" + path + "` needs `" + name + "`, a relative path the loader resolves from the working directory";
      std::vector<std::string> dirs =
          name.find('/') != std::string::npos ? std::vector<std::string>{""} : search_dirs(path, obj);
      std::optional<std::pair<std::string, ElfObject>> found;
      for (const std::string& dir : dirs) {
        std::string candidate = dir.empty() ? name : dir + "/" + name;
        struct stat st {};
        if (::stat(candidate.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
        ElfObject lib;
        // The loader skips a file of another class or machine and goes on.
        if (read_elf(candidate, lib) || lib.is64 != obj.is64 || lib.machine != obj.machine) continue;
        found.emplace(lexically_normal(candidate), std::move(lib));
        break;
      }
      if (!found)
        return "`" + path + "` needs `" + name + "`, found in none of " + join(dirs, ", ") +
               " (install the package that provides it)";
      loaded.push_back({found->first, found->second.soname.empty() ? name : found->second.soname});
      out.push_back(found->first);
      queue.push_back(std::move(*found));
    }
  }
  return std::nullopt;
}

// ---- argument checks ----

std::optional<mode_t> parse_mode(const std::string& s) {
  if (s.size() < 3 || s.size() > 4) return std::nullopt;
  mode_t m = 0;
  for (char c : s) {
    if (c < '0' || c > '7') return std::nullopt;
    m = m * 8 + static_cast<mode_t>(c - '0');
  }
  return m;
}

std::optional<unsigned long> parse_decimal(const std::string& s, unsigned long max) {
  if (s.empty() || s.size() > 10) return std::nullopt;
  unsigned long v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<unsigned long>(c - '0');
  }
  if (v > max) return std::nullopt;
  return v;
}

/// A rootfs path made canonical ("a//./b/" -> "a/b"; the rootfs itself is
/// "."), or the reason it is refused.
std::variant<std::string, std::string> rootfs_path(const std::string& s, bool root_allowed) {
  using V = std::variant<std::string, std::string>;
  if (s.empty()) return V(std::in_place_index<1>, "is empty");
  if (s.front() == '/')
    return V(std::in_place_index<1>, "is absolute; paths in the rootfs are written relative to it");
  std::vector<std::string> parts;
  for (std::string_view p : split(s, '/')) {
    if (p.empty() || p == ".") continue;
    if (p == "..") return V(std::in_place_index<1>, "has a `..` component; paths cannot leave the rootfs");
    parts.emplace_back(p);
  }
  if (parts.empty()) {
    if (!root_allowed) return V(std::in_place_index<1>, "names the rootfs itself");
    return V(std::in_place_index<0>, ".");
  }
  return V(std::in_place_index<0>, join(parts, "/"));
}

/// A host command that expansion or a step runs itself (found in PATH,
/// like a requirement); a problem naming `who` and the package if missing.
std::optional<std::string> host_tool(const std::string& command, const std::string& package, const std::string& who,
                                     const Template& t, Origin where, Problems& problems) {
  auto found = find_in_path(command);
  if (!found)
    problems.add(where, "`" + command + "` is required by " + who + " of template " + t.name +
                            ": install the Debian package " + package);
  return found;
}

// ---- the metadata tarball ----

constexpr std::string_view kMemberPrefix = "metadata:";

/// The member a word names (`metadata:NAME`), judged on the word as written.
std::optional<std::string> member_word(const Text& t) {
  if (!t.raw.starts_with(kMemberPrefix)) return std::nullopt;
  return t.raw.substr(kMemberPrefix.size());
}

/// The members of the template's metadata tarball, as the words of steps
/// and directives name them; each member used becomes a source, so that
/// errors point at its lines (`TARBALL(config):3:1`).
class Members {
 public:
  Members(const Template& t, config::SourceTable& sources, Problems& problems)
      : t_(t), sources_(sources), problems_(problems) {}

  /// Reads the tarball `tarball` (the expanded word of the statement).
  void read(const std::string& tarball, Origin where) {
    Result<Metadata> m = Metadata::read(tarball, metadata_mode());
    if (!m) {
      problems_.add(where, m.error().render());
      return;
    }
    metadata_ = std::move(m.value());
  }
  void failed() { failed_ = true; }

  struct Ref {
    const MetadataMember* member = nullptr;  // nullptr: the tarball lacks it
    uint32_t source = 0;
  };
  /// What the `metadata:NAME` word `w` names, for `what` (a step or
  /// directive). nullopt when it cannot be used (the problem is added);
  /// a Ref without a member when the tarball lacks it (a problem too when
  /// `required`).
  std::optional<Ref> get(const Text& w, const std::string& name, const std::string& what, bool required) {
    if (!t_.metadata) {
      problems_.add(w.where, what + ": `" + w.raw + "` names a member of the metadata tarball, but template " +
                                 t_.name + " reads none (add a statement `metadata FILE`)");
      return std::nullopt;
    }
    if (name.empty() || name.find('/') != std::string::npos) {
      problems_.add(w.where, what + ": `" + w.raw + "` does not name a member: write `metadata:NAME`, NAME a file "
                                    "name in the tarball");
      return std::nullopt;
    }
    if (failed_ || !metadata_) return std::nullopt;  // reported at the metadata statement
    const MetadataMember* m = metadata_->find(name);
    std::string tarball = "the metadata tarball `" + metadata_->tarball() + "`";
    if (!m) {
      if (required) {
        std::vector<std::string> tried = metadata_->candidates(name);
        problems_.add(w.where, what + ": " + tarball + " has no `" + name + "` (looked for " +
                                   join({tried.begin(), tried.end() - 1}, ", ") + " and " + tried.back() + ")");
        return std::nullopt;
      }
      return Ref{};
    }
    if (!m->regular) {
      problems_.add(w.where, what + ": `" + m->name + "` in " + tarball + " is not a regular file");
      return std::nullopt;
    }
    if (m->too_large) {
      problems_.add(w.where, what + ": `" + m->name + "` in " + tarball + " is larger than " +
                                 std::to_string(Metadata::kMaxMember >> 10) + " KiB");
      return std::nullopt;
    }
    return Ref{m, source_of(m->name)};
  }

  /// The member's lines, each where it is: every line, blank ones
  /// included (a config is inserted as written).
  std::vector<ConfigLine> lines(const Ref& r) {
    std::vector<ConfigLine> out;
    std::string_view text = r.member->content;
    if (text.ends_with('\n')) text.remove_suffix(1);
    uint32_t n = 0;
    if (!r.member->content.empty())
      for (std::string_view l : split(text, '\n')) out.push_back({std::string(l), Origin{r.source, ++n, 1}});
    return out;
  }

  /// The member as a list (excludes, templates): see member_list().
  std::vector<ConfigLine> list(const Ref& r) {
    std::vector<ConfigLine> out;
    for (auto& [n, item] : member_list(r.member->content)) out.push_back({std::move(item), Origin{r.source, n, 1}});
    return out;
  }

 private:
  uint32_t source_of(const std::string& member) {
    auto it = sources_ids_.find(member);
    if (it != sources_ids_.end()) return it->second;
    uint32_t id = sources_.add(metadata_->tarball() + "(" + member + ")", {});
    sources_ids_.emplace(member, id);
    return id;
  }

  const Template& t_;
  config::SourceTable& sources_;
  Problems& problems_;
  std::optional<Metadata> metadata_;
  bool failed_ = false;
  std::map<std::string, uint32_t> sources_ids_;
};

class StepResolver {
 public:
  StepResolver(const Template& t, Expander& x, Problems& p, Recipe& r, Members& m)
      : t_(t), x_(x), problems_(p), recipe_(r), members_(m) {}

  void resolve(const RecipeStep& step) {
    if (!arity_ok(step.kind, step.args.size())) {
      problems_.add(step.where, std::string("wrong number of arguments for `") + step_name(step.kind) + "`");
      return;
    }
    std::vector<std::optional<std::string>> a;
    bool all = true;
    for (const Text& arg : step.args) {
      a.push_back(x_.expand(arg));
      all = all && a.back().has_value();
    }
    if (!all) return;  // the undefined reference is reported; checking the rest would only echo it
    std::vector<std::string> v;
    for (auto& s : a) v.push_back(std::move(*s));
    const std::vector<Text>& w = step.args;
    ResolvedStep out{step.kind, {}, 0, step.where};
    switch (step.kind) {
      case StepKind::mkdir: {
        auto mode = mode_arg(v[0], w[0]);
        for (size_t i = 1; i < v.size(); ++i) {
          auto dir = in_rootfs(v[i], w[i], false);
          if (mode && dir) add({StepKind::mkdir, {*dir}, *mode, step.where});
        }
        return;
      }
      case StepKind::copy:
      case StepKind::binary: {
        struct stat st {};
        bool host = host_file(v[0], w[0], st);
        auto dest = in_rootfs(v[1], w[1], false);
        std::optional<mode_t> mode = st.st_mode & 07777;
        if (v.size() == 3) mode = mode_arg(v[2], w[2]);
        if (!host || !dest || !mode) return;
        add({step.kind, {v[0], *dest}, *mode, step.where});
        if (step.kind == StepKind::binary) add_libraries(v[0], w[0], step.where);
        return;
      }
      case StepKind::symlink: {
        if (v[0].empty()) problems_.add(w[0].where, "the symlink's target is empty");
        auto link = in_rootfs(v[1], w[1], false);
        if (!v[0].empty() && link) add({step.kind, {v[0], *link}, 0, step.where});
        return;
      }
      case StepKind::write:
      case StepKind::append: {
        auto dest = in_rootfs(v[0], w[0], false);
        auto mode = mode_arg(v[1], w[1]);
        if (dest && mode) add({step.kind, {*dest, v[2]}, *mode, step.where});
        return;
      }
      case StepKind::device: {
        bool type_ok = v[0] == "c" || v[0] == "b";
        if (!type_ok) problems_.add(w[0].where, "device type `" + v[0] + "`: expected `c` or `b`");
        auto major = parse_decimal(v[1], 4095);
        if (!major) problems_.add(w[1].where, "device major `" + v[1] + "`: expected a decimal number up to 4095");
        auto minor = parse_decimal(v[2], (1ul << 20) - 1);
        if (!minor) problems_.add(w[2].where, "device minor `" + v[2] + "`: expected a decimal number up to 1048575");
        auto mode = mode_arg(v[3], w[3]);
        auto dest = in_rootfs(v[4], w[4], false);
        if (type_ok && major && minor && mode && dest)
          add({step.kind, {v[0], std::to_string(*major), std::to_string(*minor), *dest}, *mode, step.where});
        return;
      }
      case StepKind::extract: {
        struct stat st {};
        bool host = host_file(v[0], w[0], st);
        auto dest = v.size() >= 2 ? in_rootfs(v[1], w[1], true) : std::optional<std::string>(".");
        bool tar = tool("tar", "tar", step);
        // Exclusion patterns: words, or the lines of a member (none when the tarball lacks it).
        std::vector<std::string> args{v[0], dest.value_or(".")};
        bool excludes_ok = true;
        for (size_t i = 2; i < v.size(); ++i) {
          if (auto name = member_word(w[i])) {
            auto ref = members_.get(w[i], *name, "extract", false);
            excludes_ok = excludes_ok && ref.has_value();
            if (ref && ref->member)
              for (ConfigLine& l : members_.list(*ref)) args.push_back(std::move(l.text));
          } else if (v[i].empty()) {
            problems_.add(w[i].where, "an exclusion pattern of extract is empty");
            excludes_ok = false;
          } else {
            args.push_back(v[i]);
          }
        }
        if (host && dest && tar && excludes_ok) add({step.kind, std::move(args), 0, step.where});
        return;
      }
      case StepKind::substitute: {
        if (t_.tokens.empty())
          problems_.add(step.where, "substitute replaces the template's tokens, and template " + t_.name +
                                        " declares none (add `token NAME = VALUE` statements)");
        for (size_t i = 0; i < v.size(); ++i) {
          std::optional<std::string> name = member_word(w[i]);
          if (!name) {
            if (auto file = in_rootfs(v[i], w[i], false); file && !t_.tokens.empty())
              add({step.kind, {*file}, 0, step.where});
            continue;
          }
          auto ref = members_.get(w[i], *name, "substitute", false);
          if (!ref || !ref->member) continue;
          // LXC lists them absolute (/etc/hostname): all are in the rootfs.
          for (ConfigLine& l : members_.list(*ref)) {
            std::string_view path = l.text;
            while (path.starts_with('/')) path.remove_prefix(1);
            auto p = rootfs_path(std::string(path), false);
            if (p.index() == 1)
              problems_.add(l.where, "rootfs path `" + l.text + "` " + std::get<1>(p));
            else if (!t_.tokens.empty())
              add({step.kind, {std::get<0>(p)}, 0, step.where});
          }
        }
        return;
      }
      case StepKind::replace: {
        auto file = in_rootfs(v[0], w[0], false);
        if (v[1].empty()) problems_.add(w[1].where, "the text replace looks for is empty");
        if (file && !v[1].empty()) add({step.kind, {*file, v[1], v[2]}, 0, step.where});
        return;
      }
      case StepKind::print: {
        // A member the tarball lacks silences the whole step: nothing to show.
        std::string text;
        bool ok = true, present = true;
        for (size_t i = 0; i < v.size(); ++i) {
          if (auto name = member_word(w[i])) {
            auto ref = members_.get(w[i], *name, "print", false);
            ok = ok && ref.has_value();
            if (ref && ref->member) text += ref->member->content;
            else present = false;
          } else {
            text += v[i];
          }
        }
        if (ok && present) add({step.kind, {std::move(text)}, 0, step.where});
        return;
      }
      case StepKind::debootstrap: {
        // The release names the cache file: one plain word.
        bool release_ok = !v[0].empty() && v[0].find('/') == std::string::npos && v[0] != "." && v[0] != "..";
        if (!release_ok) problems_.add(w[0].where, "debootstrap release `" + v[0] + "` is not a release name");
        bool mirror_ok = !v[1].empty();
        if (!mirror_ok) problems_.add(w[1].where, "debootstrap mirror is empty");
        // Extra packages: Debian package names, separated by commas.
        bool include_ok = true;
        if (v.size() > 2) {
          for (std::string_view p : split(v[2], ',')) include_ok = include_ok && whole<grammar::tmpl::package_name>(p);
          if (!include_ok)
            problems_.add(w[2].where, "debootstrap packages `" + v[2] +
                                          "` are not Debian package names separated by commas");
        }
        bool tool_ok = tool("debootstrap", "debootstrap", step);
        if (release_ok && mirror_ok && include_ok && tool_ok) {
          std::vector<std::string> args{v[0], v[1]};
          if (v.size() > 2) args.push_back(v[2]);
          add({step.kind, std::move(args), 0, step.where});
        }
        return;
      }
      case StepKind::chroot: {
        if (v[0].empty()) {
          problems_.add(w[0].where, "the chroot command is empty");
          return;
        }
        add({step.kind, v, 0, step.where});
        return;
      }
    }
  }

 private:
  void add(ResolvedStep s) { recipe_.steps.push_back(std::move(s)); }

  void host_read(const std::string& path) {
    if (seen_host_.insert(path).second) recipe_.host_files.push_back(path);
  }

  std::optional<mode_t> mode_arg(const std::string& s, const Text& w) {
    auto m = parse_mode(s);
    if (!m) problems_.add(w.where, "mode `" + s + "`: expected 3 or 4 octal digits, like 0755");
    return m;
  }

  std::optional<std::string> in_rootfs(const std::string& s, const Text& w, bool root_allowed) {
    auto p = rootfs_path(s, root_allowed);
    if (p.index() == 0) return std::get<0>(p);
    problems_.add(w.where, "rootfs path `" + s + "` " + std::get<1>(p));
    return std::nullopt;
  }

  bool host_file(const std::string& s, const Text& w, struct stat& st) {
    if (auto why = host_file_problem(s, st)) {
      problems_.add(w.where, "host file `" + s + "` " + *why);
      return false;
    }
    host_read(s);
    return true;
  }

  /// A host command a step runs itself.
  bool tool(const std::string& command, const std::string& package, const RecipeStep& step) {
    auto found = host_tool(command, package, std::string("step ") + step_name(step.kind), t_, step.where, problems_);
    if (found) host_read(*found);
    return found.has_value();
  }

  /// One copy step per interpreter and library, to its host path in the
  /// rootfs; a library an earlier `binary` step brings is not copied again.
  void add_libraries(const std::string& binary, const Text& w, Origin where) {
    std::vector<std::string> objects;
    if (auto why = shared_objects(binary, objects)) {
      problems_.add(w.where, "binary: " + *why);
      return;
    }
    for (const std::string& lib : objects) {
      struct stat st {};
      if (::stat(lib.c_str(), &st) != 0) {
        problems_.add(w.where, "binary: `" + lib + "` cannot be read: " + std::strerror(errno));
        continue;
      }
      std::string dest = std::get<0>(rootfs_path(lib.substr(1), false));
      if (!library_dests_.insert(dest).second) continue;
      host_read(lib);
      add({StepKind::copy, {lib, dest}, static_cast<mode_t>(st.st_mode & 07777), where});
    }
  }

  const Template& t_;
  Expander& x_;
  Problems& problems_;
  Recipe& recipe_;
  Members& members_;
  std::set<std::string> seen_host_;
  std::set<std::string> library_dests_;
};

/// The config block: lines expanded, directives checked, members read.
class ConfigResolver {
 public:
  ConfigResolver(Expander& x, Problems& p, Recipe& r, Members& m) : x_(x), problems_(p), recipe_(r), members_(m) {}

  void resolve(const ConfigItem& item) {
    if (!item.directive) {
      if (auto v = x_.expand(item.text, true)) line(*v, item.where);
      return;
    }
    DirectiveKind kind = *item.directive;
    const std::vector<Text>& w = item.args;
    std::string what = std::string("@") + directive_name(kind);
    if (!arity_ok(kind, w.size())) {
      problems_.add(item.where, "wrong number of arguments for `" + what + "`");
      return;
    }
    std::vector<std::string> v;
    for (const Text& arg : w) {
      auto e = x_.expand(arg);
      if (!e) return;  // reported
      v.push_back(std::move(*e));
    }
    switch (kind) {
      case DirectiveKind::move: {
        auto why = pattern_problem(v[0]);
        if (v[0].empty()) problems_.add(w[0].where, "@move: the pattern is empty (it would take every line)");
        else if (why) problems_.add(w[0].where, "@move: pattern `" + v[0] + "` is not a regular expression: " + *why);
        bool named = bucket_name(v[1], w[1]);
        if (named) {
          if (auto it = emitted_.find(v[1]); it != emitted_.end())
            problems_.add(w[1].where, "@move: bucket `" + v[1] + "` is emitted above, at " + it->second +
                                          "; its lines would be lost");
          filled_.try_emplace(v[1], item.where);
        }
        if (!v[0].empty() && !why && named) {
          ConfigOp op{ConfigOp::Kind::move, {}, v[0], v[1], {}, item.where};
          recipe_.config.push_back(std::move(op));
        }
        return;
      }
      case DirectiveKind::emit: {
        if (!bucket_name(v[0], w[0])) return;
        if (!filled_.count(v[0])) {
          problems_.add(w[0].where, "@emit: no @move above fills bucket `" + v[0] + "`");
          return;
        }
        if (auto [it, fresh] = emitted_.try_emplace(v[0], x_.sources.describe(item.where)); !fresh) {
          problems_.add(w[0].where, "@emit: bucket `" + v[0] + "` is emitted twice (first at " + it->second + ")");
          return;
        }
        ConfigOp op{ConfigOp::Kind::emit, {}, "", v[0], {}, item.where};
        for (size_t i = 1; i < v.size(); ++i)
          for (std::string_view l : split(v[i], '\n')) op.heading.push_back({std::string(l), w[i].where});
        recipe_.config.push_back(std::move(op));
        return;
      }
      case DirectiveKind::insert:
      case DirectiveKind::if_: {
        std::optional<std::string> name = member_word(w[0]);
        if (!name) {
          problems_.add(w[0].where, what + " takes a member of the metadata tarball as `metadata:NAME`, not `" +
                                        w[0].raw + "`");
          return;
        }
        auto ref = members_.get(w[0], *name, what, kind == DirectiveKind::insert);
        if (!ref || !ref->member) return;
        if (kind == DirectiveKind::insert) {
          for (ConfigLine& l : members_.lines(*ref)) line(std::move(l.text), l.where);
        } else {
          for (size_t i = 1; i < v.size(); ++i)
            for (std::string_view l : split(v[i], '\n')) line(std::string(l), w[i].where);
        }
        return;
      }
    }
  }

  /// Buckets filled and never emitted: their lines would vanish.
  void finish() {
    for (const auto& [bucket, where] : filled_)
      if (!emitted_.count(bucket))
        problems_.add(where, "@move: bucket `" + bucket + "` is never emitted: add `@emit " + bucket +
                                 "` where its lines go");
  }

 private:
  void line(std::string text, Origin where) {
    ConfigOp op;
    op.line = {std::move(text), where};
    op.where = where;
    recipe_.config.push_back(std::move(op));
  }

  bool bucket_name(const std::string& name, const Text& w) {
    if (whole<grammar::tmpl::identifier>(name)) return true;
    problems_.add(w.where, "bucket name `" + name + "`: lowercase letters, digits and '-', starting with a letter");
    return false;
  }

  Expander& x_;
  Problems& problems_;
  Recipe& recipe_;
  Members& members_;
  std::map<std::string, Origin> filled_;       // bucket -> its first @move
  std::map<std::string, std::string> emitted_;  // bucket -> where its @emit is
};

/// The names corral keeps for itself in a container's directory.
bool reserved_container_file(const std::string& name) {
  return name == "config" || name == "rootfs" || name == "partial" || name == "config.new";
}

/// Why a parameter's value does not fit its type, or nullopt; booleans are
/// normalised to true/false in place.
std::optional<std::string> check_type(ParamType type, std::string& value) {
  switch (type) {
    case ParamType::string: return std::nullopt;
    case ParamType::path:
      if (value.empty() || value.front() != '/') return "is not an absolute path";
      return std::nullopt;
    case ParamType::file: {
      if (value.empty() || value.front() != '/') return "is not an absolute path";
      struct stat st {};
      if (::stat(value.c_str(), &st) != 0) return std::string("cannot be read: ") + std::strerror(errno);
      if (!S_ISREG(st.st_mode)) return "is not a regular file";
      return std::nullopt;
    }
    case ParamType::number:
      if (value.empty() || value.find_first_not_of("0123456789") != std::string::npos)
        return "is not a decimal number";
      return std::nullopt;
    case ParamType::boolean: {
      std::string v = to_lower(value);
      if (v == "true" || v == "yes" || v == "1") value = "true";
      else if (v == "false" || v == "no" || v == "0") value = "false";
      else return "is not a boolean (true, false, yes, no, 1 or 0)";
      return std::nullopt;
    }
  }
  return std::nullopt;
}


}  // namespace

Result<Recipe> expand(const Template& t, const Inputs& in, config::SourceTable& sources) {
  Problems problems(sources);
  Recipe recipe;

  std::string rootfs = in.rootfs;
  while (rootfs.size() > 1 && rootfs.back() == '/') rootfs.pop_back();
  if (rootfs.empty() || rootfs.front() != '/' || rootfs == "/")
    problems.add({}, "the rootfs `" + in.rootfs + "` must be an absolute path other than /");
  recipe.rootfs = rootfs;

  // Parameters given that the template does not declare.
  std::vector<std::string_view> declared;
  for (const Param& p : t.params) declared.push_back(p.name);
  for (const auto& [name, value] : in.params) {
    bool known = false;
    for (std::string_view d : declared) known = known || d == name;
    if (known) continue;
    std::string msg = "template " + t.name + " has no parameter `--" + name + "`";
    if (auto m = closest_match(name, declared, 3)) msg += "; did you mean `--" + std::string(*m) + "`?";
    if (declared.empty()) {
      msg += " (it takes none)";
    } else {
      std::vector<std::string> list;
      for (std::string_view d : declared) list.push_back("--" + std::string(d));
      msg += " (it takes " + join(list, ", ") + ")";
    }
    problems.add({}, std::move(msg));
  }

  Expander x{sources, problems, {{"name", in.name}, {"path", in.path}, {"rootfs", rootfs}}, {}};
  for (const Param& p : t.params) x.declared_later.insert(p.name);
  for (const Param& p : t.params) {
    x.declared_later.erase(p.name);
    auto given = in.params.find(p.name);
    std::optional<std::string> value;
    Origin at = p.default_value.where;
    std::string what = "the default of parameter `" + p.name + "`";
    if (given != in.params.end()) {
      value = given->second;  // a command-line value is taken literally
      at = p.where;
      what = "`--" + p.name + "`";
    } else {
      value = x.expand(p.default_value);
    }
    if (!value) {
      x.values[p.name] = "";  // reported; later references to it are not errors too
      continue;
    }
    bool needs_value = p.type == ParamType::path || p.type == ParamType::file;
    if (given == in.params.end() && value->empty() && needs_value)
      problems.add(p.where, "parameter `--" + p.name + "` is required (it has no default): give `--" + p.name + " " +
                                to_upper(param_type_name(p.type)) + "` after `--`");
    else if (auto why = check_type(p.type, *value))
      problems.add(at, what + " (`" + *value + "`) " + *why + "; parameter `" + p.name + "` is a " +
                           param_type_name(p.type));
    x.values[p.name] = *value;
  }

  for (const Requirement& r : t.requirements) {
    std::optional<std::string> what = x.expand(r.what);
    if (!what) continue;
    bool ok = false;
    if (!what->empty() && what->front() == '/') {
      struct stat st {};
      ok = ::stat(what->c_str(), &st) == 0;
    } else if (!what->empty() && what->find('/') == std::string::npos) {
      ok = find_in_path(*what).has_value();
    } else {
      problems.add(r.what.where, "requirement `" + *what + "` is neither a command name nor an absolute path");
      continue;
    }
    if (!ok)
      problems.add(r.where,
                   "`" + *what + "` is required by template " + t.name + ": install the Debian package " + r.package);
  }

  for (const Token& tok : t.tokens) {
    std::optional<std::string> value = x.expand(tok.value);
    if (value && value->find('\n') != std::string::npos)
      problems.add(tok.value.where, "the value of token " + tok.name + " holds a newline: a token is replaced within "
                                    "a line");
    else if (value)
      recipe.tokens.push_back({tok.name, std::move(*value)});
  }

  Members members(t, sources, problems);
  if (t.metadata) {
    std::optional<std::string> tarball = x.expand(t.metadata->tarball);
    struct stat st {};
    std::optional<std::string> why = tarball ? host_file_problem(*tarball, st) : std::nullopt;
    if (why) problems.add(t.metadata->tarball.where, "metadata tarball `" + *tarball + "` " + *why);
    auto tar = host_tool("tar", "tar", "the metadata statement", t, t.metadata->where, problems);
    if (tarball && !why && tar) {
      recipe.host_files.push_back(*tarball);
      members.read(*tarball, t.metadata->tarball.where);
    } else {
      members.failed();
    }
  }

  StepResolver steps(t, x, problems, recipe, members);
  for (const RecipeStep& s : t.rootfs) steps.resolve(s);

  std::set<std::string> file_names;
  for (const ContainerFileDecl& f : t.files) {
    std::optional<std::string> name = x.expand(f.name);
    if (!name) continue;
    if (name->empty() || name->find('/') != std::string::npos || *name == "." || *name == "..") {
      problems.add(f.name.where, "container-file `" + *name + "`: expected a file name, without '/'");
      continue;
    }
    if (reserved_container_file(*name)) {
      problems.add(f.name.where, "container-file `" + *name + "`: corral writes that file itself");
      continue;
    }
    if (!file_names.insert(*name).second) {
      problems.add(f.name.where, "container-file `" + *name + "` is declared twice");
      continue;
    }
    std::optional<std::string> content;
    if (std::optional<std::string> member = member_word(f.content)) {
      auto ref = members.get(f.content, *member, "container-file", false);
      if (!ref || !ref->member) continue;  // a member the tarball lacks: no file
      content = ref->member->content;
    } else {
      content = x.expand(f.content);
    }
    if (content) recipe.files.push_back({*name, substitute_tokens(std::move(*content), recipe.tokens), f.where});
  }

  ConfigResolver config(x, problems, recipe, members);
  for (const ConfigItem& item : t.config) config.resolve(item);
  config.finish();

  if (!problems.empty()) return problems.error();
  return recipe;
}

}  // namespace corral::tmpl
