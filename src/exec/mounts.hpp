// Mount steps of a plan, run by the child in its new mount namespace
// (spec/runtime.md §5.4 steps 3, 7-10, 19; spec/fstab-and-mount-entries.md).
// Every target below the container's root is opened with openat2
// RESOLVE_BENEATH and mounted through /proc/self/fd/N, so a symlink planted
// in the rootfs can never send a mount outside it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "exec/plan.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

namespace corral::exec {

/// Makes every mount of the new mount namespace a slave, so nothing the
/// child mounts propagates back to the host.
Result<void> make_mounts_private(const std::string& root_target);

/// The id-mapped trees the monitor made (PrepareIdmappedMounts), in plan
/// order; an optional tree that could not be made is an empty fd.
struct IdmappedFds {
  std::vector<UniqueFd> fds;
  size_t next = 0;
  /// The next tree, or an error when the monitor sent fewer than planned.
  Result<int> take(const std::string& what);
};

/// Run by the monitor: a detached clone of `tree.source` whose ids are
/// mapped through the user namespace `tree.userns` names ("container": that
/// of `init`), with the tree's mount flags, ready for move_mount(2).
Result<UniqueFd> make_idmapped_tree(const IdmappedTree& tree, pid_t init);

/// Mounts the rootfs; an idmap= rootfs is the next tree of `idmapped`.
Result<void> mount_rootfs(const MountRootfs& step, IdmappedFds* idmapped = nullptr);

/// Runs the mount(2)-level operations of an automatic mount (dev, proc, sys,
/// cgroup). `root` is the container's root as seen before pivot_root.
Result<void> run_mount_ops(const Mounts& step, const std::string& root);

/// Mounts fstab and lxc.mount.entry lines, in order; an idmap= line (not
/// create_only) attaches the next tree of `idmapped`.
Result<void> mount_entries(const MountEntries& step, const std::string& root, IdmappedFds* idmapped = nullptr);

/// Switches to the new root: pivot_root, detach the old one, / rshared.
Result<void> pivot_into(const PivotRoot& step);

/// Opens `path` (absolute) with O_PATH, refusing a path that resolves
/// outside `root` (EXDEV) when `path` is below `root`. With `root` empty or
/// "/", the path is opened as is.
Result<UniqueFd> open_beneath(const std::string& root, const std::string& path);

/// mkdir -p of `path` below `root`, never following a symlink out of it.
Result<void> mkdir_beneath(const std::string& root, const std::string& path, mode_t mode);

/// openat2(dirfd, rel) that never resolves outside dirfd (RESOLVE_BENEATH,
/// no magic links); close-on-exec; `mode` for O_CREAT. -1 and errno on
/// failure (EXDEV: the path leaves dirfd).
int openat2_beneath(int dirfd, const std::string& rel, uint64_t flags, mode_t mode = 0);

/// "/proc/self/fd/N": the name mount(2) resolves to exactly what fd holds.
std::string fd_path(int fd);

}  // namespace corral::exec
