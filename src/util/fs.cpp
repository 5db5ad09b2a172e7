#include "util/fs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "util/fd.hpp"

namespace corral {

namespace {

// nftw passes no user data: the first failure of the walk in progress.
thread_local int walk_errno = 0;
thread_local std::string* walk_failed_path = nullptr;

int remove_entry(const char* path, const struct stat*, int type, struct FTW*) {
  // FTW_MOUNT keeps the walk on one file system: a mount point is not
  // visited at all, so the directory holding it cannot be removed and that
  // failure is what the caller hears about; the rest goes on.
  int r = type == FTW_DP ? ::rmdir(path) : ::unlink(path);
  if (r != 0 && errno != ENOENT && walk_errno == 0) {
    walk_errno = errno;
    if (walk_failed_path) *walk_failed_path = path;
  }
  return 0;  // keep going: remove as much as possible
}

}  // namespace

Result<void> remove_tree(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return {};
    return Error::system("stat", path, errno);
  }
  if (!S_ISDIR(st.st_mode)) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return Error::system("unlink", path, errno);
    return {};
  }
  std::string failed;
  walk_errno = 0;
  walk_failed_path = &failed;
  int r = ::nftw(path.c_str(), remove_entry, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
  walk_failed_path = nullptr;
  if (r != 0) return Error::system("walk", path, errno);
  if (walk_errno != 0) return Error::system("remove", failed, walk_errno);
  return {};
}

namespace {

/// One copy_tree run: what it has seen, for hard links.
class TreeCopier {
 public:
  explicit TreeCopier(dev_t root_dev) : root_dev_(root_dev) {}

  /// Copies the contents of the directory `src` (open) into `dst` (open).
  Result<void> copy_dir(int src, const std::string& src_path, int dst, const std::string& dst_path) {
    int scan = ::dup(src);
    if (scan < 0) return Error::system("dup", src_path, errno);
    DIR* d = ::fdopendir(scan);
    if (!d) {
      ::close(scan);
      return Error::system("read the directory", src_path, errno);
    }
    std::vector<std::string> names;
    errno = 0;
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(std::move(n));
    }
    int err = errno;
    ::closedir(d);
    if (err) return Error::system("read the directory", src_path, err);
    for (const std::string& n : names) CORRAL_TRY(copy_entry(src, src_path + "/" + n, dst, dst_path + "/" + n, n));
    return {};
  }

 private:
  Result<void> copy_entry(int src_dir, const std::string& src_path, int dst_dir, const std::string& dst_path,
                          const std::string& name) {
    struct stat st {};
    if (::fstatat(src_dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return Error::system("stat", src_path, errno);
    if (S_ISDIR(st.st_mode)) {
      if (::mkdirat(dst_dir, name.c_str(), 0700) != 0) return Error::system("make the directory", dst_path, errno);
      if (st.st_dev == root_dev_) {  // a mount point stays an empty directory
        UniqueFd s(::openat(src_dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        UniqueFd d(::openat(dst_dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!s) return Error::system("open the directory", src_path, errno);
        if (!d) return Error::system("open the directory", dst_path, errno);
        CORRAL_TRY(copy_dir(s.get(), src_path, d.get(), dst_path));
      }
    } else if (S_ISREG(st.st_mode)) {
      if (st.st_nlink > 1) {
        auto [it, first] = links_.try_emplace({st.st_dev, st.st_ino}, dst_path);
        if (!first) {
          if (::linkat(AT_FDCWD, it->second.c_str(), dst_dir, name.c_str(), 0) != 0)
            return Error::system("make the hard link", dst_path, errno);
          return {};  // the inode's metadata came with the first name
        }
      }
      CORRAL_TRY(copy_file(src_dir, src_path, dst_dir, dst_path, name));
    } else if (S_ISLNK(st.st_mode)) {
      std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
      ssize_t n = ::readlinkat(src_dir, name.c_str(), target.data(), target.size());
      if (n < 0) return Error::system("read the symbolic link", src_path, errno);
      target.resize(static_cast<size_t>(n));
      if (::symlinkat(target.c_str(), dst_dir, name.c_str()) != 0) return Error::system("make the symbolic link", dst_path, errno);
    } else if (::mknodat(dst_dir, name.c_str(), st.st_mode, st.st_rdev) != 0) {
      return Error::system("make the node", dst_path, errno);
    }
    return copy_metadata(st, src_path, dst_dir, dst_path, name);
  }

  static Result<void> copy_file(int src_dir, const std::string& src_path, int dst_dir, const std::string& dst_path,
                                const std::string& name) {
    UniqueFd in(::openat(src_dir, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!in) return Error::system("open", src_path, errno);
    UniqueFd out(::openat(dst_dir, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!out) return Error::system("make the file", dst_path, errno);
    bool plain = false;  // copy_file_range refused: read and write
    for (;;) {
      ssize_t n = plain ? -1 : ::copy_file_range(in.get(), nullptr, out.get(), nullptr, 1 << 30, 0);
      if (n < 0 && !plain && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP)) {
        plain = true;
      }
      if (plain) {
        char buf[65536];
        n = ::read(in.get(), buf, sizeof buf);
        if (n > 0) {
          for (ssize_t done = 0; done < n;) {
            ssize_t w = ::write(out.get(), buf + done, static_cast<size_t>(n - done));
            if (w < 0 && errno == EINTR) continue;
            if (w < 0) return Error::system("write", dst_path, errno);
            done += w;
          }
          continue;
        }
      }
      if (n == 0) return {};
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Error::system("copy the contents of", src_path, errno);
    }
  }

  /// Owner (first: chown clears set-id bits), mode, extended attributes,
  /// then times (after the contents, so a directory's stay as they were).
  static Result<void> copy_metadata(const struct stat& st, const std::string& src_path, int dst_dir,
                                    const std::string& dst_path, const std::string& name) {
    if (::fchownat(dst_dir, name.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0)
      return Error::system("set the owner of", dst_path, errno);
    bool link = S_ISLNK(st.st_mode);
    if (!link && ::fchmodat(dst_dir, name.c_str(), st.st_mode & 07777, 0) != 0)
      return Error::system("set the mode of", dst_path, errno);
    CORRAL_TRY(copy_xattrs(src_path, dst_path));
    struct timespec times[2] = {st.st_atim, st.st_mtim};
    if (::utimensat(dst_dir, name.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0)
      return Error::system("set the times of", dst_path, errno);
    return {};
  }

  static Result<void> copy_xattrs(const std::string& src_path, const std::string& dst_path) {
    ssize_t size = ::llistxattr(src_path.c_str(), nullptr, 0);
    if (size < 0 && (errno == ENOTSUP || errno == ENODATA)) return {};
    if (size < 0) return Error::system("list the extended attributes of", src_path, errno);
    std::string names(static_cast<size_t>(size), '\0');
    size = ::llistxattr(src_path.c_str(), names.data(), names.size());
    if (size < 0) return Error::system("list the extended attributes of", src_path, errno);
    names.resize(static_cast<size_t>(size));
    for (size_t at = 0; at < names.size(); at = names.find('\0', at) + 1) {
      const char* key = names.c_str() + at;
      ssize_t len = ::lgetxattr(src_path.c_str(), key, nullptr, 0);
      if (len < 0) continue;  // gone meanwhile
      std::string value(static_cast<size_t>(len), '\0');
      len = ::lgetxattr(src_path.c_str(), key, value.data(), value.size());
      if (len < 0) continue;
      if (::lsetxattr(dst_path.c_str(), key, value.data(), static_cast<size_t>(len), 0) != 0 && errno != ENOTSUP)
        return Error::system(std::string("set the extended attribute ") + key + " of", dst_path, errno);
    }
    return {};
  }

  dev_t root_dev_;
  std::map<std::pair<dev_t, ino_t>, std::string> links_;  // an inode with several names: where it went first
};

}  // namespace

Result<void> copy_tree(const std::string& from, const std::string& to) {
  UniqueFd src(::open(from.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!src) return Error::system("open the directory to copy", from, errno);
  struct stat st {};
  if (::fstat(src.get(), &st) != 0) return Error::system("stat", from, errno);
  if (::mkdir(to.c_str(), 0700) != 0) return Error::system("make the directory", to, errno);
  UniqueFd dst(::open(to.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dst) return Error::system("open the directory", to, errno);
  TreeCopier copier(st.st_dev);
  CORRAL_TRY(copier.copy_dir(src.get(), from, dst.get(), to));
  if (::fchown(dst.get(), st.st_uid, st.st_gid) != 0) return Error::system("set the owner of", to, errno);
  if (::fchmod(dst.get(), st.st_mode & 07777) != 0) return Error::system("set the mode of", to, errno);
  struct timespec times[2] = {st.st_atim, st.st_mtim};
  if (::futimens(dst.get(), times) != 0) return Error::system("set the times of", to, errno);
  return {};
}

Result<void> write_file_atomic(const std::string& path, const std::string& text, mode_t mode) {
  std::string tmp = path + ".new";
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd) return Error::system("create", tmp, errno);
  auto fail = [&](const char* what, int e) {
    ::unlink(tmp.c_str());
    return Error::system(what, tmp, e);
  };
  for (size_t done = 0; done < text.size();) {
    ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("write", errno);
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd.get()) != 0) return fail("write", errno);
  if (::close(fd.release()) != 0) return fail("write", errno);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return fail("rename", errno);
  return {};
}

Result<std::string> read_text_file(const std::string& path, const std::string& what) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return Error::io(what, path, errno);
  std::string text;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::io(what, path, errno);
    if (n == 0) return text;
    text.append(buf, static_cast<size_t>(n));
  }
}

std::optional<std::string> try_read_text_file(const std::string& path) {
  Result<std::string> text = read_text_file(path);
  if (!text) return std::nullopt;
  return std::move(text.value());
}

TempDir::~TempDir() {
  if (!path_.empty()) static_cast<void>(remove_tree(path_));
}

Result<void> TempDir::make(const std::string& parent, const std::string& prefix, const std::string& what) {
  std::string name = parent + "/" + prefix + ".XXXXXX";
  if (!::mkdtemp(name.data())) return Error::system(what, name, errno);
  path_ = std::move(name);
  return {};
}

std::string temp_root() {
  const char* tmp = std::getenv("TMPDIR");
  return tmp && *tmp == '/' ? tmp : "/tmp";
}

namespace {

struct ShiftWalk {
  const std::vector<IdRange>* uids = nullptr;
  const std::vector<IdRange>* gids = nullptr;
  uid_t fallback_uid = 0;
  gid_t fallback_gid = 0;
  std::set<std::pair<dev_t, ino_t>> seen;  // inodes with more than one link, done once
  OwnershipShift result;
  int err = 0;
  std::string failed_path;
};
thread_local ShiftWalk* shift_walk = nullptr;

int shift_entry(const char* path, const struct stat* st, int, struct FTW*) {
  ShiftWalk& w = *shift_walk;
  if (!S_ISDIR(st->st_mode) && st->st_nlink > 1 && !w.seen.insert({st->st_dev, st->st_ino}).second) return 0;
  std::optional<uint64_t> uid = host_id_of(*w.uids, st->st_uid);
  std::optional<uint64_t> gid = host_id_of(*w.gids, st->st_gid);
  if (!uid || !gid) {
    if (w.result.unmapped++ == 0) w.result.first_unmapped = path;
  }
  uid_t new_uid = uid ? static_cast<uid_t>(*uid) : w.fallback_uid;
  gid_t new_gid = gid ? static_cast<gid_t>(*gid) : w.fallback_gid;
  if (new_uid == st->st_uid && new_gid == st->st_gid) return 0;
  if (::lchown(path, new_uid, new_gid) != 0 ||
      (!S_ISLNK(st->st_mode) && !S_ISDIR(st->st_mode) && (st->st_mode & (S_ISUID | S_ISGID)) &&
       ::chmod(path, st->st_mode & 07777) != 0)) {
    w.err = errno;
    w.failed_path = path;
    return 1;  // stop: a half-shifted tree is reported, not hidden
  }
  ++w.result.changed;
  return 0;
}

}  // namespace

Result<OwnershipShift> shift_ownership(const std::string& root, const std::vector<IdRange>& uids,
                                       const std::vector<IdRange>& gids, uid_t fallback_uid, gid_t fallback_gid) {
  ShiftWalk w;
  w.uids = &uids;
  w.gids = &gids;
  w.fallback_uid = fallback_uid;
  w.fallback_gid = fallback_gid;
  shift_walk = &w;
  int r = ::nftw(root.c_str(), shift_entry, 32, FTW_PHYS | FTW_MOUNT);
  shift_walk = nullptr;
  if (w.err) return Error::system("give to the container's ids", w.failed_path, w.err);
  if (r != 0) return Error::system("walk", root, errno);
  return std::move(w.result);
}

}  // namespace corral
