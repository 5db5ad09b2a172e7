#include "util/fs.hpp"

#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

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

}  // namespace corral
