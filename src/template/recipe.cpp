// Running a Recipe into a rootfs. The rootfs is opened once; every path in
// it is resolved from that descriptor with openat2(RESOLVE_BENEATH), so a
// symlink planted in the rootfs (or made by an extracted tarball) never
// sends a write outside it. What a run makes is recorded and removed again
// when a later step fails (spec/templates.md §1 step 10).
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <dirent.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "exec/mounts.hpp"
#include "template/command.hpp"
#include "template/template.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace corral::tmpl {

namespace detail {


// The debootstrap commands, apart so that tests can check them
// (tests/unit/template_recipe_test.cpp declares them again).
constexpr const char* kDebootstrapCache = "/var/cache/corral/debootstrap";

/// Debian's name for the machine this runs on (the cache is per release and
/// architecture).
std::string debian_arch() {
  struct utsname u {};
  if (::uname(&u) != 0) return "unknown";
  std::string m = u.machine;
  if (m == "x86_64") return "amd64";
  if (m == "aarch64") return "arm64";
  if (m == "i386" || m == "i486" || m == "i586" || m == "i686") return "i386";
  if (m.rfind("armv7", 0) == 0) return "armhf";
  if (m == "ppc64le") return "ppc64el";
  return m;  // s390x, riscv64, mips64el... are spelt alike
}

/// One cache file per release, architecture and list of extra packages
/// (`include`, comma-separated, as the template wrote it).
std::string debootstrap_tarball(const std::string& release, const std::string& arch, const std::string& include) {
  return std::string(kDebootstrapCache) + "/" + release + "-" + arch + (include.empty() ? "" : "+" + include) + ".tar";
}

/// debootstrap's options for `include`.
std::vector<std::string> debootstrap_options(const std::string& include) {
  std::vector<std::string> out{"debootstrap", "--variant=minbase"};
  if (!include.empty()) out.push_back("--include=" + include);
  return out;
}

/// Downloads the packages of `release` into a tarball (`workdir` is
/// debootstrap's scratch target).
std::vector<std::string> debootstrap_make_argv(const std::string& release, const std::string& mirror,
                                               const std::string& include, const std::string& tarball,
                                               const std::string& workdir) {
  std::vector<std::string> out = debootstrap_options(include);
  out.insert(out.end(), {"--make-tarball=" + tarball, release, workdir, mirror});
  return out;
}

/// Installs `release` into `rootfs` from a tarball made by the above.
std::vector<std::string> debootstrap_unpack_argv(const std::string& release, const std::string& mirror,
                                                 const std::string& include, const std::string& tarball,
                                                 const std::string& rootfs) {
  std::vector<std::string> out = debootstrap_options(include);
  out.insert(out.end(), {"--unpack-tarball=" + tarball, release, rootfs, mirror});
  return out;
}

}  // namespace detail

namespace {


using exec::openat2_beneath;

std::string octal(mode_t m) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(m));
  return buf;
}

/// A word as a reader can copy it back: bare when plain, else quoted.
std::string word(const std::string& s) {
  bool plain = !s.empty();
  for (char c : s) plain = plain && static_cast<unsigned char>(c) > 0x20 && c != '"' && c != '\\' && c != 0x7f;
  return plain ? s : json_quote(s);
}

std::string in_root(const std::string& rel) { return rel == "." ? "ROOTFS" : "ROOTFS/" + rel; }

std::string describe_step(const ResolvedStep& s) {
  const auto& a = s.args;
  std::string name = step_name(s.kind);
  switch (s.kind) {
    case StepKind::mkdir: return name + " " + octal(s.mode) + " " + in_root(a[0]);
    case StepKind::copy:
    case StepKind::binary: return name + " " + word(a[0]) + " -> " + in_root(a[1]) + " " + octal(s.mode);
    case StepKind::symlink: return name + " " + in_root(a[1]) + " -> " + word(a[0]);
    case StepKind::write:
    case StepKind::append: return name + " " + in_root(a[0]) + " " + octal(s.mode) + " " + json_quote(a[1]);
    case StepKind::device:
      return name + " " + a[0] + " " + a[1] + " " + a[2] + " " + octal(s.mode) + " " + in_root(a[3]);
    case StepKind::extract: {
      std::string out = name + " " + word(a[0]) + " -> " + in_root(a[1]);
      for (size_t i = 2; i < a.size(); ++i) out += (i == 2 ? " excluding " : " ") + word(a[i]);
      return out;
    }
    case StepKind::substitute: return name + " " + in_root(a[0]);
    case StepKind::replace: return name + " " + in_root(a[0]) + " " + json_quote(a[1]) + " -> " + json_quote(a[2]);
    case StepKind::print: return name + " " + json_quote(a[0]);
    case StepKind::debootstrap:
      return name + " " + word(a[0]) + " " + word(a[1]) + (a.size() > 2 ? " + " + word(a[2]) : "") + " -> ROOTFS";
    case StepKind::chroot: {
      std::string out = name;
      for (const std::string& arg : a) out += " " + word(arg);
      return out;
    }
  }
  return name;
}

/// The first `from` of each line made `to`, as `sed s|FROM|TO|` does (no g).
std::string replace_first_in_lines(std::string text, const std::string& from, const std::string& to) {
  std::string out;
  size_t begin = 0;
  while (begin < text.size()) {
    size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    size_t at = std::string_view(text).substr(begin, end - begin).find(from);
    if (at != std::string_view::npos) {
      out.append(text, begin, at).append(to);
      out.append(text, begin + at + from.size(), end - begin - at - from.size());
    } else {
      out.append(text, begin, end - begin);
    }
    if (end < text.size()) out += '\n';
    begin = end + 1;
  }
  return out;
}

std::string leaf_of(const std::string& rel) {
  size_t slash = rel.rfind('/');
  return slash == std::string::npos ? rel : rel.substr(slash + 1);
}

std::string parent_of(const std::string& rel) {
  size_t slash = rel.rfind('/');
  return slash == std::string::npos ? "." : rel.substr(0, slash);
}

void remove_tree_at(int dirfd, const std::string& name, dev_t dev);

/// Removes everything in the directory `fd`, staying on device `dev` (a
/// file system mounted inside is left alone).
void remove_contents(int fd, dev_t dev) {
  int copy = ::dup(fd);
  if (copy < 0) return;
  DIR* d = ::fdopendir(copy);
  if (!d) {
    ::close(copy);
    return;
  }
  ::rewinddir(d);  // the offset is shared with `fd` and every other dup of it
  std::vector<std::string> names;
  while (struct dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  ::closedir(d);
  for (const std::string& n : names) remove_tree_at(fd, n, dev);
}

void remove_tree_at(int dirfd, const std::string& name, dev_t dev) {
  struct stat st {};
  if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return;
  if (!S_ISDIR(st.st_mode)) {
    ::unlinkat(dirfd, name.c_str(), 0);
    return;
  }
  if (st.st_dev != dev) return;
  UniqueFd fd(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return;
  remove_contents(fd.get(), dev);
  ::unlinkat(dirfd, name.c_str(), AT_REMOVEDIR);
}

struct UmaskGuard {
  mode_t old = ::umask(022);
  ~UmaskGuard() { ::umask(old); }
};

class Runner {
 public:
  explicit Runner(const Recipe& r) : r_(r) {}

  Result<void> open_root() {
    struct stat st {};
    if (::stat(r_.rootfs.c_str(), &st) != 0) {
      if (errno != ENOENT) return Error::system("stat", r_.rootfs, errno);
      if (::mkdir(r_.rootfs.c_str(), 0755) != 0) return Error::system("create the rootfs", r_.rootfs, errno);
      created_root_ = true;
    } else if (!S_ISDIR(st.st_mode)) {
      return Error::system("rootfs", r_.rootfs, ENOTDIR);
    }
    root_.reset(::open(r_.rootfs.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root_) {
      int err = errno;
      cleanup();
      return Error::system("open the rootfs", r_.rootfs, err);
    }
    struct stat rst {};
    ::fstat(root_.get(), &rst);
    dev_ = rst.st_dev;
    if (!created_root_) {
      // An empty rootfs is the caller's to keep, but all in it will be ours.
      UniqueFd probe(::dup(root_.get()));
      DIR* d = probe ? ::fdopendir(probe.release()) : nullptr;
      root_was_empty_ = d != nullptr;
      if (d) ::rewinddir(d);
      while (d && root_was_empty_) {
        struct dirent* e = ::readdir(d);
        if (!e) break;
        std::string n = e->d_name;
        root_was_empty_ = n == "." || n == "..";
      }
      if (d) ::closedir(d);
    }
    return {};
  }

  Result<void> run(const ResolvedStep& s) {
    const auto& a = s.args;
    switch (s.kind) {
      case StepKind::mkdir: return make_dirs(a[0], s.mode, true);
      case StepKind::copy:
      case StepKind::binary: return copy(a[0], a[1], s.mode);
      case StepKind::symlink: return symlink(a[0], a[1]);
      case StepKind::write: return write(a[0], a[1], s.mode, false);
      case StepKind::append: return write(a[0], a[1], s.mode, true);
      case StepKind::device: return device(a[0] == "b", a[1], a[2], s.mode, a[3]);
      case StepKind::extract: return extract(a);
      case StepKind::debootstrap: return debootstrap(a[0], a[1], a.size() > 2 ? a[2] : std::string());
      case StepKind::chroot: return run_command(a, CommandOptions{root_.get(), true, -1});
      case StepKind::substitute:
        return edit(a[0], [this](std::string text) { return substitute_tokens(std::move(text), r_.tokens); });
      case StepKind::replace:
        return edit(a[0], [&](std::string text) { return replace_first_in_lines(std::move(text), a[1], a[2]); });
      case StepKind::print: return write_all(STDOUT_FILENO, a[0].data(), a[0].size(), "standard output");
    }
    return {};
  }

  /// Removes what this run made: the whole rootfs when it made the rootfs,
  /// its contents when the rootfs was empty, else what was recorded, newest
  /// first (a directory with what is in it).
  void cleanup() {
    if (created_root_) {
      root_.reset();
      std::string parent = r_.rootfs.substr(0, r_.rootfs.rfind('/'));
      UniqueFd pfd(::open(parent.empty() ? "/" : parent.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
      struct stat st {};
      if (pfd && ::fstat(pfd.get(), &st) == 0) remove_tree_at(pfd.get(), leaf_of(r_.rootfs), dev_ ? dev_ : st.st_dev);
      return;
    }
    if (!root_) return;
    if (root_was_empty_) {
      remove_contents(root_.get(), dev_);
      return;
    }
    for (auto it = made_.rbegin(); it != made_.rend(); ++it) {
      UniqueFd pfd(openat2_beneath(root_.get(), parent_of(*it), O_PATH | O_DIRECTORY));
      if (pfd) remove_tree_at(pfd.get(), leaf_of(*it), dev_);
    }
  }

 private:
  std::string host(const std::string& rel) const { return rel == "." ? r_.rootfs : r_.rootfs + "/" + rel; }

  Error open_error(const std::string& rel, int err) const {
    if (err == EXDEV) return Error::system("refusing a path that leaves the rootfs through a symlink", host(rel), err);
    return Error::system("open", host(rel), err);
  }

  Result<UniqueFd> open_dir(const std::string& rel, uint64_t flags = O_PATH) const {
    UniqueFd fd(openat2_beneath(root_.get(), rel, flags | O_DIRECTORY));
    if (!fd) return open_error(rel, errno);
    return fd;
  }

  /// mkdir -p below the rootfs; directories made get `mode` (exactly: the
  /// umask does not apply), and with `chmod_last` so does an existing last
  /// one (`mkdir 1777 tmp` after `mkdir 0755 tmp` ends 1777).
  Result<void> make_dirs(const std::string& rel, mode_t mode, bool chmod_last) {
    if (rel == ".") return {};
    for (size_t pos = rel.find('/'); ; pos = rel.find('/', pos + 1)) {
      std::string prefix = rel.substr(0, pos);
      bool last = pos == std::string::npos;
      UniqueFd fd(openat2_beneath(root_.get(), prefix, O_RDONLY | O_DIRECTORY));
      if (!fd) {
        if (errno != ENOENT) return open_error(prefix, errno);
        Result<UniqueFd> parent = open_dir(parent_of(prefix));
        if (!parent) return std::move(parent.error());
        if (::mkdirat(parent.value().get(), leaf_of(prefix).c_str(), 0700) != 0)
          return Error::system("mkdir", host(prefix), errno);
        made_.push_back(prefix);
        fd.reset(openat2_beneath(root_.get(), prefix, O_RDONLY | O_DIRECTORY));
        if (!fd) return open_error(prefix, errno);
        if (::fchmod(fd.get(), mode) != 0) return Error::system("chmod", host(prefix), errno);
      } else if (last && chmod_last) {
        if (::fchmod(fd.get(), mode) != 0) return Error::system("chmod", host(prefix), errno);
      }
      if (last) return {};
    }
  }

  /// The parent directory of `rel` (made 0755 when missing) and the name in it.
  Result<UniqueFd> parent_dir(const std::string& rel) {
    CORRAL_TRY(make_dirs(parent_of(rel), 0755, false));
    return open_dir(parent_of(rel));
  }

  /// Opens a regular file for writing: made (and recorded) when missing,
  /// else opened through symlinks that stay inside the rootfs.
  Result<UniqueFd> open_file(const std::string& rel, int flags, bool* created) {
    Result<UniqueFd> parent = parent_dir(rel);
    if (!parent) return std::move(parent.error());
    UniqueFd fd(::openat(parent.value().get(), leaf_of(rel).c_str(),
                         O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | flags, 0600));
    if (fd) {
      made_.push_back(rel);
      *created = true;
      return fd;
    }
    if (errno != EEXIST) return Error::system("create", host(rel), errno);
    *created = false;
    // O_NONBLOCK: a FIFO in the rootfs must not hang the run; it is refused below.
    fd.reset(openat2_beneath(root_.get(), rel, O_WRONLY | O_NOCTTY | O_NONBLOCK | flags));
    if (!fd) return open_error(rel, errno);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return Error::system("stat", host(rel), errno);
    if (!S_ISREG(st.st_mode)) return Error::system("write to", host(rel), EINVAL);
    return fd;
  }

  /// Rewrites the regular file `rel` with what `change` makes of its text,
  /// in place (its inode, owner and mode kept). A file that is not there,
  /// or not a regular file, is left alone, as LXC's `[ -f FILE ] && sed -i`.
  template <class Change>
  Result<void> edit(const std::string& rel, Change change) {
    // Looked at through O_PATH first: opening a device node for writing
    // could do something.
    UniqueFd node(openat2_beneath(root_.get(), rel, O_PATH));
    if (!node) {
      if (errno == ENOENT || errno == ENOTDIR) return {};
      return open_error(rel, errno);
    }
    struct stat st {};
    if (::fstat(node.get(), &st) != 0) return Error::system("stat", host(rel), errno);
    if (!S_ISREG(st.st_mode)) return {};
    UniqueFd fd(::open(exec::fd_path(node.get()).c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!fd) return Error::system("open", host(rel), errno);
    CORRAL_TRY_ASSIGN(std::string text, read_all(fd.get(), host(rel)));
    std::string changed = change(text);
    if (changed == text) return {};
    if (::ftruncate(fd.get(), 0) != 0) return Error::system("truncate", host(rel), errno);
    if (::lseek(fd.get(), 0, SEEK_SET) != 0) return Error::system("seek", host(rel), errno);
    return write_all(fd.get(), changed.data(), changed.size(), host(rel));
  }

  /// Writes all of p[0, n) to `fd`; `what` names the file in an error.
  static Result<void> write_all(int fd, const char* p, size_t n, const std::string& what) {
    while (n > 0) {
      ssize_t w = ::write(fd, p, n);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return Error::system("write", what, errno);
      p += w;
      n -= static_cast<size_t>(w);
    }
    return {};
  }

  Result<void> copy(const std::string& from, const std::string& rel, mode_t mode) {
    UniqueFd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
    if (!in) return Error::system("open", from, errno);
    bool created = false;
    Result<UniqueFd> out = open_file(rel, O_TRUNC, &created);
    if (!out) return std::move(out.error());
    char buf[1 << 16];
    for (;;) {
      ssize_t n = ::read(in.get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Error::system("read", from, errno);
      if (n == 0) break;
      CORRAL_TRY(write_all(out.value().get(), buf, static_cast<size_t>(n), host(rel)));
    }
    // After the data: writing clears the set-id bits.
    if (::fchmod(out.value().get(), mode) != 0) return Error::system("chmod", host(rel), errno);
    return {};
  }

  Result<void> write(const std::string& rel, const std::string& content, mode_t mode, bool append) {
    bool created = false;
    Result<UniqueFd> fd = open_file(rel, append ? O_APPEND : O_TRUNC, &created);
    if (!fd) return std::move(fd.error());
    CORRAL_TRY(write_all(fd.value().get(), content.data(), content.size(), host(rel)));
    // `append` keeps the mode of a file that was there; `write` replaces it all.
    if ((created || !append) && ::fchmod(fd.value().get(), mode) != 0)
      return Error::system("chmod", host(rel), errno);
    return {};
  }

  Result<void> symlink(const std::string& target, const std::string& rel) {
    Result<UniqueFd> parent = parent_dir(rel);
    if (!parent) return std::move(parent.error());
    if (::symlinkat(target.c_str(), parent.value().get(), leaf_of(rel).c_str()) != 0)
      return Error::system("symlink", host(rel), errno);
    made_.push_back(rel);
    return {};
  }

  Result<void> device(bool block, const std::string& major, const std::string& minor, mode_t mode,
                      const std::string& rel) {
    Result<UniqueFd> parent = parent_dir(rel);
    if (!parent) return std::move(parent.error());
    int pfd = parent.value().get();
    std::string leaf = leaf_of(rel);
    mode_t type = block ? S_IFBLK : S_IFCHR;
    dev_t dev = ::makedev(std::stoul(major), std::stoul(minor));
    if (::mknodat(pfd, leaf.c_str(), type | 0600, dev) == 0) {
      made_.push_back(rel);
    } else {
      // The same node already there is fine (a rootfs filled by an earlier run).
      struct stat st {};
      int err = errno;
      if (err != EEXIST || ::fstatat(pfd, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 ||
          (st.st_mode & S_IFMT) != type || st.st_rdev != dev)
        return Error::system("mknod", host(rel), err);
    }
    // An O_PATH descriptor of the node itself: chmod through it follows no symlink.
    UniqueFd node(::openat(pfd, leaf.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!node) return Error::system("open", host(rel), errno);
    if (::chmod(exec::fd_path(node.get()).c_str(), mode) != 0) return Error::system("chmod", host(rel), errno);
    return {};
  }

  Result<void> extract(const std::vector<std::string>& a) {
    const std::string& rel = a[1];
    CORRAL_TRY(make_dirs(rel, 0755, false));
    Result<UniqueFd> dir = open_dir(rel);
    if (!dir) return std::move(dir.error());
    std::vector<std::string> argv{"tar", "-x", "-p", "--numeric-owner"};
    // As lxc-local: patterns match from the start of a member's name.
    if (a.size() > 2) argv.push_back("--anchored");
    for (size_t i = 2; i < a.size(); ++i) argv.push_back("--exclude=" + a[i]);
    argv.insert(argv.end(), {"-f", a[0], "-C", "."});
    // tar runs in the directory itself, so no path to it is resolved again.
    return run_command(argv, CommandOptions{dir.value().get(), false, -1});
  }

  Result<void> debootstrap(const std::string& release, const std::string& mirror, const std::string& include) {
    std::string tarball = detail::debootstrap_tarball(release, detail::debian_arch(), include);
    if (::access(tarball.c_str(), R_OK) != 0) {
      std::string cache = detail::kDebootstrapCache;
      CORRAL_TRY(exec::mkdir_beneath("/", cache, 0755));
      // Made under another name and renamed: an interrupted download never
      // leaves a cache that looks complete.
      std::string partial = tarball + ".partial";
      Result<void> made;
      {
        TempDir work;  // debootstrap's scratch, gone before the cache is renamed into place
        CORRAL_TRY(work.make(cache, "work", "mkdtemp"));
        made = run_command(detail::debootstrap_make_argv(release, mirror, include, partial, work.path()));
      }
      if (!made) {
        ::unlink(partial.c_str());
        return made;
      }
      if (::rename(partial.c_str(), tarball.c_str()) != 0) return Error::system("rename", partial, errno);
    }
    return run_command(detail::debootstrap_unpack_argv(release, mirror, include, tarball, r_.rootfs));
  }

  const Recipe& r_;
  UniqueFd root_;
  dev_t dev_ = 0;
  bool created_root_ = false;
  bool root_was_empty_ = false;
  std::vector<std::string> made_;  // rootfs-relative, in the order made
};

}  // namespace

Result<void> execute(const Recipe& r, const config::SourceTable& sources) {
  if (r.rootfs.empty() || r.rootfs.front() != '/' || r.rootfs == "/")
    return Error::system("the rootfs must be an absolute path other than /:", r.rootfs, EINVAL);
  UmaskGuard umask_022;
  Runner runner(r);
  CORRAL_TRY(runner.open_root());
  for (const ResolvedStep& step : r.steps) {
    Result<void> done = runner.run(step);
    if (done) continue;
    runner.cleanup();
    Error e = std::move(done.error());
    e.wrap(sources.describe(step.where) + ": " + describe_step(step));
    return e;
  }
  return {};
}

std::string describe(const Recipe& r) {
  // ROOTFS stands for r.rootfs, which the caller prints; so is the config
  // (corral create --dry-run shows the whole file the lines end up in).
  std::string out;
  for (const ResolvedStep& s : r.steps) out += describe_step(s) + "\n";
  return out;
}

}  // namespace corral::tmpl
