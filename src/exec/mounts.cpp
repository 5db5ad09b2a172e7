#include "exec/mounts.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace corral::exec {

namespace {

bool below(const std::string& root, const std::string& path) {
  if (root.empty() || root == "/") return false;
  return path.size() >= root.size() && path.compare(0, root.size(), root) == 0 &&
         (path.size() == root.size() || path[root.size()] == '/');
}

std::string relative_to(const std::string& root, const std::string& path) {
  std::string rel = path.substr(root.size());
  while (!rel.empty() && rel.front() == '/') rel.erase(0, 1);
  return rel.empty() ? "." : rel;
}

Error escape_error(const std::string& root, const std::string& path) {
  Error e = Error::system("resolves outside the container's root `" + root + "` (through a symlink or '..'):", path,
                          EXDEV);
  return e;
}

/// Flags that a bind remount must keep because the kernel locks them (a
/// user namespace cannot clear them, and omitting them fails with EPERM).
unsigned long locked_flags(const std::string& path) {
  struct statvfs sv {};
  if (::statvfs(path.c_str(), &sv) != 0) return 0;
  unsigned long flags = 0;
  if (sv.f_flag & ST_NOSUID) flags |= MS_NOSUID;
  if (sv.f_flag & ST_NODEV) flags |= MS_NODEV;
  if (sv.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
  if (sv.f_flag & ST_RDONLY) flags |= MS_RDONLY;
  if (sv.f_flag & ST_NOATIME) flags |= MS_NOATIME;
  if (sv.f_flag & ST_NODIRATIME) flags |= MS_NODIRATIME;
  if (sv.f_flag & ST_RELATIME) flags |= MS_RELATIME;
  return flags;
}

Result<void> sys_mount(const char* source, const std::string& target_name, const std::string& target_path,
                       const char* fstype, unsigned long flags, const char* data, const char* what) {
  if (::mount(source, target_path.c_str(), fstype, flags, data) != 0)
    return Error::system(what, target_name, errno);
  return {};
}

/// move_mount(2) of a detached tree onto the directory `target` holds (an
/// O_PATH fd: the kernel refuses the same target named /proc/self/fd/N).
Result<void> attach_tree(int tree, int target, const std::string& what, const std::string& target_name) {
  if (::move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0)
    return Error::system(what, target_name, errno);
  return {};
}

Result<void> create_file_beneath(const std::string& root, const std::string& path, mode_t mode) {
  size_t slash = path.rfind('/');
  std::string parent = slash == 0 ? "/" : path.substr(0, slash);
  CORRAL_TRY(mkdir_beneath(root, parent, 0755));
  Result<UniqueFd> dir = open_beneath(root, parent);
  if (!dir) return std::move(dir.error());
  UniqueFd fd(::openat(dir.value().get(), path.substr(slash + 1).c_str(),
                       O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, mode));
  if (!fd) return Error::system("create file", path, errno);
  return {};
}

/// Opens the target of an operation; `missing` is set (and no error is
/// returned) when it does not exist and the operation may be skipped.
Result<UniqueFd> open_target(const std::string& root, const std::string& path, bool skip_if_missing, bool* missing) {
  Result<UniqueFd> fd = open_beneath(root, path);
  if (!fd && skip_if_missing && fd.error().sys_errno() == ENOENT) {
    *missing = true;
    return UniqueFd();
  }
  return fd;
}

}  // namespace

std::string fd_path(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

Result<UniqueFd> open_beneath(const std::string& root, const std::string& path) {
  if (!below(root, path)) {
    UniqueFd fd(::open(path.c_str(), O_PATH | O_CLOEXEC));
    if (!fd) return Error::system("open", path, errno);
    return fd;
  }
  UniqueFd rootfd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!rootfd) return Error::system("open", root, errno);
  UniqueFd fd(openat2_beneath(rootfd.get(), relative_to(root, path), O_PATH));
  if (!fd) {
    if (errno == EXDEV) return escape_error(root, path);
    return Error::system("open", path, errno);
  }
  return fd;
}

Result<void> mkdir_beneath(const std::string& root, const std::string& path, mode_t mode) {
  if (!below(root, path)) {
    // Outside a rootfs (no lxc.rootfs.path): plain mkdir -p.
    std::string prefix;
    for (size_t pos = 1; pos <= path.size(); ++pos) {
      if (pos != path.size() && path[pos] != '/') continue;
      prefix = path.substr(0, pos);
      if (::mkdir(prefix.c_str(), mode) != 0 && errno != EEXIST) return Error::system("mkdir", prefix, errno);
    }
    return {};
  }
  UniqueFd rootfd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!rootfd) return Error::system("open", root, errno);
  std::string rel = relative_to(root, path);
  if (rel == ".") return {};
  // Each prefix is resolved from the root, so a relative symlink that stays
  // inside the rootfs is followed and one that leaves it is refused.
  for (size_t pos = 0; pos <= rel.size(); ++pos) {
    if (pos != rel.size() && rel[pos] != '/') continue;
    if (pos == 0) continue;
    std::string prefix = rel.substr(0, pos);
    UniqueFd fd(openat2_beneath(rootfd.get(), prefix, O_PATH | O_DIRECTORY));
    if (fd) continue;
    if (errno == EXDEV) return escape_error(root, root + "/" + prefix);
    if (errno != ENOENT) return Error::system("open", root + "/" + prefix, errno);
    size_t slash = prefix.rfind('/');
    std::string parent = slash == std::string::npos ? "." : prefix.substr(0, slash);
    UniqueFd pfd(openat2_beneath(rootfd.get(), parent, O_PATH | O_DIRECTORY));
    if (!pfd) return errno == EXDEV ? escape_error(root, root + "/" + parent) : Error::system("open", root + "/" + parent, errno);
    std::string leaf = slash == std::string::npos ? prefix : prefix.substr(slash + 1);
    if (::mkdirat(pfd.get(), leaf.c_str(), mode) != 0 && errno != EEXIST)
      return Error::system("mkdir", root + "/" + prefix, errno);
  }
  return {};
}

Result<void> make_mounts_private(const std::string&) {
  if (::mount(nullptr, "/", nullptr, MS_SLAVE | MS_REC, nullptr) != 0)
    return Error::system("make every mount a slave", "/", errno);
  return {};
}

Result<void> mount_rootfs(const MountRootfs& r, IdmappedFds* idmapped) {
  if (r.host_root) {
    if (::mount(nullptr, "/", nullptr, r.propagation ? r.propagation : MS_SLAVE | MS_REC, nullptr) != 0)
      return Error::system("make the host's root a slave", "/", errno);
    return {};
  }
  if (!r.idmap.empty()) {
    if (!idmapped) return Error(Error::Kind::internal, "the id-mapped rootfs was not prepared");
    Result<int> tree = idmapped->take("lxc.rootfs.options");
    if (!tree) return std::move(tree.error());
    UniqueFd target(::open(r.target.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!target) return Error::system("open the rootfs mount point", r.target, errno);
    CORRAL_TRY(attach_tree(tree.value(), target.get(), "attach the id-mapped rootfs `" + r.source + "` on", r.target));
    if (r.propagation && ::mount(nullptr, r.target.c_str(), nullptr, r.propagation, nullptr) != 0)
      return Error::system("set the propagation of the rootfs", r.target, errno);
    return {};
  }
  struct stat st {};
  if (::stat(r.source.c_str(), &st) != 0) return Error::system("rootfs", r.source, errno);
  if (!S_ISDIR(st.st_mode)) return Error::system("rootfs is not a directory:", r.source, ENOTDIR);
  if (r.storage == "overlay") {
    for (const std::string& dir : {r.upper, r.work})
      if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return Error::system("make the overlay directory", dir, errno);
    std::string data = "lowerdir=" + r.source + ",upperdir=" + r.upper + ",workdir=" + r.work;
    if (!r.data.empty()) data += "," + r.data;
    if (::mount("overlay", r.target.c_str(), "overlay", r.flags & ~(MS_BIND | MS_REC), data.c_str()) != 0)
      return Error::system("mount the overlay rootfs (" + data + ") on", r.target, errno);
    if (r.propagation && ::mount(nullptr, r.target.c_str(), nullptr, r.propagation, nullptr) != 0)
      return Error::system("set the propagation of the rootfs", r.target, errno);
    return {};
  }
  if (::mount(r.source.c_str(), r.target.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0)
    return Error::system("bind the rootfs `" + r.source + "` on", r.target, errno);
  unsigned long extra = r.flags & ~(MS_BIND | MS_REC);
  if (r.remount || extra) {
    unsigned long flags = MS_REMOUNT | MS_BIND | extra | locked_flags(r.target);
    if (::mount(nullptr, r.target.c_str(), nullptr, flags, nullptr) != 0)
      return Error::system("remount the rootfs with lxc.rootfs.options", r.target, errno);
  }
  if (r.propagation && ::mount(nullptr, r.target.c_str(), nullptr, r.propagation, nullptr) != 0)
    return Error::system("set the propagation of the rootfs", r.target, errno);
  return {};
}

Result<void> run_mount_ops(const Mounts& m, const std::string& root) {
  for (const MountOp& op : m.ops) {
    bool missing = false;
    switch (op.kind) {
      case MountOp::Kind::mkdir:
      case MountOp::Kind::mkdir_p:
        CORRAL_TRY(mkdir_beneath(root, op.target, op.mode));
        break;
      case MountOp::Kind::create_file:
        CORRAL_TRY(create_file_beneath(root, op.target, op.mode));
        break;
      case MountOp::Kind::detach: {
        Result<UniqueFd> fd = open_beneath(root, op.target);
        if (fd) ::umount2(fd_path(fd.value().get()).c_str(), MNT_DETACH);
        break;
      }
      case MountOp::Kind::unmount: {
        Result<UniqueFd> fd = open_beneath(root, op.target);
        if (!fd) return std::move(fd.error());
        if (::umount2(fd_path(fd.value().get()).c_str(), MNT_DETACH) != 0)
          return Error::system("unmount", op.target, errno);
        break;
      }
      case MountOp::Kind::mount: {
        Result<UniqueFd> fd = open_target(root, op.target, op.skip_if_missing, &missing);
        if (!fd) return std::move(fd.error());
        if (missing) break;
        std::string what = "mount " + op.fstype + " on";
        CORRAL_TRY(sys_mount(op.source.c_str(), op.target, fd_path(fd.value().get()), op.fstype.c_str(), op.flags,
                             op.data.empty() ? nullptr : op.data.c_str(), what.c_str()));
        break;
      }
      case MountOp::Kind::bind:
      case MountOp::Kind::move: {
        Result<UniqueFd> src = open_target(root, op.source, op.skip_if_missing, &missing);
        if (!src) return std::move(src.error());
        if (missing) break;
        Result<UniqueFd> dst = open_target(root, op.target, op.skip_if_missing, &missing);
        if (!dst) return std::move(dst.error());
        if (missing) break;
        bool bind = op.kind == MountOp::Kind::bind;
        std::string what = (bind ? "bind `" : "move `") + op.source + "` on";
        CORRAL_TRY(sys_mount(fd_path(src.value().get()).c_str(), op.target, fd_path(dst.value().get()), nullptr,
                             bind ? (MS_BIND | op.flags) : static_cast<unsigned long>(MS_MOVE), nullptr, what.c_str()));
        break;
      }
      case MountOp::Kind::remount: {
        Result<UniqueFd> fd = open_target(root, op.target, op.skip_if_missing, &missing);
        if (!fd) return std::move(fd.error());
        if (missing) break;
        std::string path = fd_path(fd.value().get());
        unsigned long flags = MS_REMOUNT | op.flags | ((op.flags & MS_BIND) ? locked_flags(path) : 0);
        CORRAL_TRY(sys_mount(nullptr, op.target, path, nullptr, flags, nullptr, "remount"));
        break;
      }
    }
  }
  return {};
}

namespace {

/// The line's propagation option (shared, rslave, ...), applied last to
/// what is now mounted on its target.
Result<void> set_entry_propagation(const PlannedMount& pm, const std::string& root) {
  if (!pm.entry.propagation) return {};
  Result<UniqueFd> top = open_beneath(root, pm.target);
  if (!top) return std::move(top.error());
  return sys_mount(nullptr, pm.target, fd_path(top.value().get()), nullptr, pm.entry.propagation, nullptr,
                   "set the propagation of");
}

Result<void> mount_one_entry(const PlannedMount& pm, const std::string& root, IdmappedFds* idmapped) {
  const config::MountEntry& e = pm.entry;
  if (e.create_dir) CORRAL_TRY(mkdir_beneath(root, pm.target, 0755));
  if (e.create_file) CORRAL_TRY(create_file_beneath(root, pm.target, 0000));
  if (pm.create_only) return {};
  if (!e.idmap.empty()) {
    // The monitor made the tree, flags included; only the propagation is left.
    if (!idmapped) return Error(Error::Kind::internal, "the id-mapped mounts were not prepared");
    Result<int> tree = idmapped->take(pm.from + " at " + pm.where);
    if (!tree) return std::move(tree.error());
    if (tree.value() < 0) return Error::system("the id-mapped tree was not made:", pm.source, ENOENT);
    Result<UniqueFd> target = open_beneath(root, pm.target);
    if (!target) return std::move(target.error());
    CORRAL_TRY(attach_tree(tree.value(), target.value().get(), "attach the id-mapped `" + pm.source + "` on", pm.target));
    return set_entry_propagation(pm, root);
  }
  std::string source = pm.source;
  UniqueFd source_fd;
  if (e.relative) {
    Result<UniqueFd> fd = open_beneath(root, pm.source);
    if (!fd) return std::move(fd.error());
    source_fd = std::move(fd.value());
    source = fd_path(source_fd.get());
  }
  Result<UniqueFd> target = open_beneath(root, pm.target);
  if (!target) return std::move(target.error());
  std::string target_path = fd_path(target.value().get());
  unsigned long flags = e.flags & ~MS_REMOUNT;
  const char* data = e.data.empty() ? nullptr : e.data.c_str();
  const char* fstype = e.fstype.c_str();
  if (e.is_bind()) {
    // The first bind ignores every other flag; the remount applies them.
    CORRAL_TRY(sys_mount(source.c_str(), pm.target, target_path, fstype, flags & (MS_BIND | MS_REC), data,
                         ("bind `" + pm.source + "` on").c_str()));
  } else {
    CORRAL_TRY(sys_mount(source.c_str(), pm.target, target_path, fstype, flags, data,
                         ("mount `" + pm.source + "` (" + e.fstype + ") on").c_str()));
  }
  if (pm.remount) {
    Result<UniqueFd> top = open_beneath(root, pm.target);
    if (!top) return std::move(top.error());
    std::string top_path = fd_path(top.value().get());
    unsigned long locked = locked_flags(top_path);
    if (e.clear_flags & MS_NODEV) locked &= ~MS_NODEV;  // the token `dev`, as LXC's
    unsigned long rflags = MS_REMOUNT | MS_BIND | (flags & ~(MS_BIND | MS_REC)) | locked;
    CORRAL_TRY(sys_mount(nullptr, pm.target, top_path, nullptr, rflags, nullptr, "remount"));
  }
  return set_entry_propagation(pm, root);
}

}  // namespace

Result<void> mount_entries(const MountEntries& step, const std::string& root, IdmappedFds* idmapped) {
  for (const PlannedMount& pm : step.mounts) {
    Result<void> r = mount_one_entry(pm, root, idmapped);
    if (r.ok() || pm.entry.optional) continue;
    r.error().wrap(pm.from + " at " + pm.where);
    return r;
  }
  return {};
}

Result<void> pivot_into(const PivotRoot& step) {
  UniqueFd newroot(::open(step.new_root.c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC));
  if (!newroot) return Error::system("open the new root", step.new_root, errno);
  if (::fchdir(newroot.get()) != 0) return Error::system("chdir", step.new_root, errno);
  if (::syscall(SYS_pivot_root, ".", ".") != 0) return Error::system("pivot_root into", step.new_root, errno);
  // The old root now sits under the new one at "."; detach it without
  // letting the unmount propagate anywhere.
  if (::mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr) != 0)
    return Error::system("make the old root a slave", step.new_root, errno);
  if (::umount2(".", MNT_DETACH) != 0) return Error::system("detach the old root", step.new_root, errno);
  if (::chdir("/") != 0) return Error::system("chdir", "/", errno);
  if (::mount(nullptr, "/", nullptr, MS_SHARED | MS_REC, nullptr) != 0)
    return Error::system("make the new root shared", "/", errno);
  if (!step.rslave_after.empty() &&
      ::mount(nullptr, step.rslave_after.c_str(), nullptr, MS_SLAVE | MS_REC, nullptr) != 0)
    return Error::system("make the shared mounts directory a slave", step.rslave_after, errno);
  return {};
}

int openat2_beneath(int dirfd, const std::string& rel, uint64_t flags, mode_t mode) {
  struct open_how how {};
  how.flags = flags | O_CLOEXEC;
  how.mode = (flags & O_CREAT) ? mode : 0;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(::syscall(SYS_openat2, dirfd, rel.c_str(), &how, sizeof how));
}

Result<int> IdmappedFds::take(const std::string& what) {
  if (next >= fds.size())
    return Error(Error::Kind::internal, what + ": the monitor sent fewer id-mapped trees than the plan has");
  return fds[next++].get();
}

Result<UniqueFd> make_idmapped_tree(const IdmappedTree& tree, pid_t init) {
  std::string ns_path = tree.userns == "container" ? "/proc/" + std::to_string(init) + "/ns/user" : tree.userns;
  UniqueFd userns(::open(ns_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!userns) return Error::system("open the user namespace of 'idmap=" + tree.userns + "'", ns_path, errno);
  unsigned recursive = tree.recursive ? AT_RECURSIVE : 0;
  UniqueFd fd(::open_tree(AT_FDCWD, tree.source.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | recursive));
  if (!fd) return Error::system("clone the mount to id-map", tree.source, errno);
  struct mount_attr attr {};
  attr.attr_set = MOUNT_ATTR_IDMAP;
  attr.userns_fd = static_cast<uint64_t>(userns.get());
  static const std::pair<unsigned long, uint64_t> kFlags[] = {
      {MS_RDONLY, MOUNT_ATTR_RDONLY}, {MS_NOSUID, MOUNT_ATTR_NOSUID},         {MS_NODEV, MOUNT_ATTR_NODEV},
      {MS_NOEXEC, MOUNT_ATTR_NOEXEC}, {MS_NODIRATIME, MOUNT_ATTR_NODIRATIME}};
  for (const auto& [ms, attr_bit] : kFlags)
    if (tree.flags & ms) attr.attr_set |= attr_bit;
  // The access-time mode is one field: clear it to set one of its values.
  if (tree.flags & (MS_NOATIME | MS_RELATIME | MS_STRICTATIME)) {
    attr.attr_clr |= MOUNT_ATTR__ATIME;
    attr.attr_set |= (tree.flags & MS_NOATIME)    ? MOUNT_ATTR_NOATIME
                     : (tree.flags & MS_RELATIME) ? MOUNT_ATTR_RELATIME
                                                  : MOUNT_ATTR_STRICTATIME;
  }
  if (::mount_setattr(fd.get(), "", AT_EMPTY_PATH | recursive, &attr, sizeof attr) != 0) {
    int err = errno;
    std::string why = err == EINVAL ? " (its file system cannot be id-mapped, or the namespace has no id map)" : "";
    return Error::system("id-map the mount" + why + " of", tree.source, err);
  }
  return fd;
}

}  // namespace corral::exec
