// Template expansion: parameters and `${NAME}` references, requirement
// checks, and every step argument checked against the host and against the
// rootfs rules (no absolute path, no `..`), so that execute() starts only
// when nothing it can know of in advance is wrong. Nothing is written here.
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
#include "template/template.hpp"
#include "util/fd.hpp"
#include "util/strings.hpp"

namespace corral::tmpl {



namespace {

/// A Debian package name, as the grammar's `require ... from PACKAGE` takes it.
bool valid_package_name(std::string_view name) {
  tao::pegtl::memory_input in(name.data(), name.size(), "");
  return tao::pegtl::parse<tao::pegtl::seq<grammar::tmpl::package_name, tao::pegtl::eof>>(in);
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

/// Argument counts, as the parser enforces them (checked again here since a
/// Template can be built by other means).
bool arity_ok(StepKind k, size_t n) {
  switch (k) {
    case StepKind::mkdir: return n >= 2;
    case StepKind::copy: return n == 2 || n == 3;
    case StepKind::binary:
    case StepKind::symlink: return n == 2;
    case StepKind::debootstrap: return n == 2 || n == 3;
    case StepKind::write:
    case StepKind::append: return n == 3;
    case StepKind::device: return n == 5;
    case StepKind::extract: return n == 1 || n == 2;
    case StepKind::chroot: return n >= 1;
  }
  return false;
}

class StepResolver {
 public:
  StepResolver(const Template& t, Expander& x, Problems& p, Recipe& r) : t_(t), x_(x), problems_(p), recipe_(r) {}

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
        auto dest = v.size() == 2 ? in_rootfs(v[1], w[1], true) : std::optional<std::string>(".");
        bool tar = tool("tar", "tar", step);
        if (host && dest && tar) add({step.kind, {v[0], *dest}, 0, step.where});
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
          for (std::string_view p : split(v[2], ',')) include_ok = include_ok && valid_package_name(p);
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

  /// A host command a step runs itself (found in PATH, like a requirement).
  bool tool(const std::string& command, const std::string& package, const RecipeStep& step) {
    auto found = find_in_path(command);
    if (!found) {
      problems_.add(step.where, "`" + command + "` is required by step " + step_name(step.kind) + " of template " +
                                    t_.name + ": install the Debian package " + package);
      return false;
    }
    host_read(*found);
    return true;
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
  std::set<std::string> seen_host_;
  std::set<std::string> library_dests_;
};

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

Result<Recipe> expand(const Template& t, const Inputs& in, const config::SourceTable& sources) {
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

  StepResolver steps(t, x, problems, recipe);
  for (const RecipeStep& s : t.rootfs) steps.resolve(s);

  for (const Text& line : t.config)
    if (auto v = x.expand(line, true)) recipe.config.push_back(std::move(*v));

  if (!problems.empty()) return problems.error();
  return recipe;
}

}  // namespace corral::tmpl
