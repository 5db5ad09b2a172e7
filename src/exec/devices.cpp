#include "exec/devices.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "exec/mounts.hpp"

namespace corral::exec {

namespace {

std::string parent_of(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == 0 ? "/" : path.substr(0, slash);
}
std::string leaf_of(const std::string& path) { return path.substr(path.rfind('/') + 1); }

Result<UniqueFd> open_dir_beneath(const std::string& root, const std::string& dir) {
  Result<UniqueFd> fd = open_beneath(root, dir);
  if (!fd) return fd;
  struct stat st {};
  if (::fstat(fd.value().get(), &st) != 0) return Error::system("stat", dir, errno);
  if (!S_ISDIR(st.st_mode)) return Error::system("not a directory:", dir, ENOTDIR);
  return fd;
}

/// An empty regular file at `path` to bind something on; an existing file
/// is kept, mounts stacked on it are removed first.
Result<void> bind_target_file(const std::string& root, const std::string& path, mode_t mode) {
  CORRAL_TRY(mkdir_beneath(root, parent_of(path), 0755));
  for (int i = 0; i < 32; ++i) {
    Result<UniqueFd> fd = open_beneath(root, path);
    if (!fd) break;
    if (::umount2(fd_path(fd.value().get()).c_str(), MNT_DETACH) != 0) break;
  }
  Result<UniqueFd> dir = open_dir_beneath(root, parent_of(path));
  if (!dir) return std::move(dir.error());
  UniqueFd f(::openat(dir.value().get(), leaf_of(path).c_str(), O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
                      mode));
  if (!f && errno != EISDIR) return Error::system("create", path, errno);
  return {};
}

Result<void> bind_fd_on(int fd, const std::string& root, const std::string& target, const char* what) {
  Result<UniqueFd> dst = open_beneath(root, target);
  if (!dst) return std::move(dst.error());
  if (::mount(fd_path(fd).c_str(), fd_path(dst.value().get()).c_str(), nullptr, MS_BIND, nullptr) != 0)
    return Error::system(what, target, errno);
  return {};
}

Result<void> make_nodes(const CreateDevNodes& step, const std::string& root, int dev) {
  for (const DevNode& n : step.nodes) {
    std::string name(n.name);
    std::string path = step.dev_dir + "/" + name;
    if (::mknodat(dev, name.c_str(), S_IFCHR | n.mode, makedev(n.major, n.minor)) == 0) continue;
    if (errno == EEXIST) continue;
    if (errno != EPERM) return Error::system("mknod", path, errno);
    // No CAP_MKNOD (a user namespace): bind the host's node instead.
    UniqueFd f(::openat(dev, name.c_str(), O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0));
    if (!f && errno != EEXIST) return Error::system("create", path, errno);
    std::string host = "/dev/" + name;
    UniqueFd src(::open(host.c_str(), O_PATH | O_CLOEXEC));
    if (!src) return Error::system("open", host, errno);
    CORRAL_TRY(bind_fd_on(src.get(), root, path, "bind the host's device node on"));
  }
  return {};
}

}  // namespace

Result<Pty> open_pty(const std::string& root, const std::string& ptmx) {
  Result<UniqueFd> path = open_beneath(root, ptmx);
  if (!path) return std::move(path.error());
  Pty p;
  p.master.reset(::open(fd_path(path.value().get()).c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!p.master) return Error::system("open", ptmx, errno);
  int unlock = 0;
  if (::ioctl(p.master.get(), TIOCSPTLCK, &unlock) != 0) return Error::system("unlock a pty of", ptmx, errno);
  p.slave.reset(::ioctl(p.master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!p.slave) return Error::system("open the peer of a pty of", ptmx, errno);
  return p;
}

Result<void> create_dev_nodes(const CreateDevNodes& step, const std::string& root) {
  Result<UniqueFd> dev = open_dir_beneath(root, step.dev_dir);
  if (!dev) return std::move(dev.error());
  // The modes are LXC's final ones: no umask while the nodes are made.
  mode_t old = ::umask(0);
  Result<void> r = make_nodes(step, root, dev.value().get());
  ::umask(old);
  return r;
}

Result<void> create_dev_symlinks(const CreateDevSymlinks& step, const std::string& root) {
  Result<UniqueFd> dev = open_dir_beneath(root, step.dev_dir);
  if (!dev) return std::move(dev.error());
  for (const DevSymlink& l : step.links) {
    std::string name(l.name), target(l.target);
    if (::symlinkat(target.c_str(), dev.value().get(), name.c_str()) != 0 && errno != EEXIST)
      return Error::system("symlink", step.dev_dir + "/" + name, errno);
  }
  return {};
}

Result<void> bind_pty(const Pty& pty, const std::string& root, const std::string& target,
                      const std::string& dir_target) {
  if (::fchmod(pty.slave.get(), 0620) != 0) return Error::system("chmod the console pty", target, errno);
  const std::string& first = dir_target.empty() ? target : dir_target;
  CORRAL_TRY(bind_target_file(root, first, 0000));
  CORRAL_TRY(bind_fd_on(pty.slave.get(), root, first, "bind a pty on"));
  if (!dir_target.empty()) {
    CORRAL_TRY(bind_target_file(root, target, 0000));
    Result<UniqueFd> src = open_beneath(root, dir_target);
    if (!src) return std::move(src.error());
    CORRAL_TRY(bind_fd_on(src.value().get(), root, target, "bind the console on"));
  }
  return {};
}

Result<std::vector<Pty>> setup_ttys(const SetupTtys& step, const std::string& root) {
  std::vector<Pty> ptys;
  std::string ptmx = root + "/dev/pts/ptmx";
  for (uint32_t i = 0; i < step.count; ++i) {
    Result<Pty> p = open_pty(root, ptmx);
    if (!p) return std::move(p.error());
    if (step.bind) {
      if (::fchmod(p.value().slave.get(), 0620) != 0) return Error::system("chmod a tty", step.targets[i], errno);
      CORRAL_TRY(bind_target_file(root, step.targets[i], 0000));
      CORRAL_TRY(bind_fd_on(p.value().slave.get(), root, step.targets[i], "bind a pty on"));
    }
    ptys.push_back(std::move(p.value()));
  }
  if (step.bind) {
    for (const auto& [link, to] : step.symlinks) {
      Result<UniqueFd> dir = open_dir_beneath(root, parent_of(link));
      if (!dir) return std::move(dir.error());
      if (::symlinkat(to.c_str(), dir.value().get(), leaf_of(link).c_str()) != 0 && errno != EEXIST)
        return Error::system("symlink", link, errno);
    }
  }
  return ptys;
}

Result<void> set_boot_id(const SetBootId& step) {
  unsigned char bytes[16];
  UniqueFd rnd(::open("/dev/urandom", O_RDONLY | O_CLOEXEC));
  if (!rnd || ::read(rnd.get(), bytes, sizeof bytes) != static_cast<ssize_t>(sizeof bytes))
    return Error::system("read", "/dev/urandom", errno ? errno : EIO);
  bytes[6] = (bytes[6] & 0x0f) | 0x40;  // version 4
  bytes[8] = (bytes[8] & 0x3f) | 0x80;  // variant 1
  char uuid[40];
  std::snprintf(uuid, sizeof uuid, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x\n", bytes[0],
                bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8], bytes[9], bytes[10],
                bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]);
  ::unlink(step.file.c_str());
  UniqueFd f(::open(step.file.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0444));
  if (!f) return Error::system("create", step.file, errno);
  if (::write(f.get(), uuid, 37) != 37) return Error::system("write", step.file, errno);
  // No /proc in the container (no proc automount): the file stays, with
  // nothing to hide. So with LXC, whose bind goes with its transient /proc.
  if (::access(step.target.c_str(), F_OK) != 0) return {};
  if (::mount(step.file.c_str(), step.target.c_str(), nullptr, MS_BIND, nullptr) != 0)
    return Error::system("bind the boot id on", step.target, errno);
  if (::mount(nullptr, step.target.c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
              nullptr) != 0)
    return Error::system("make the boot id read-only", step.target, errno);
  return {};
}

}  // namespace corral::exec
