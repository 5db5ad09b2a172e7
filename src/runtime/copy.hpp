// lxc-copy (spec/cli.md §10): a full copy of a stopped container under a
// new name, and a rename (the copy, then the source destroyed).
#pragma once

#include <string>
#include <vector>

#include "runtime/lxcpath.hpp"
#include "util/error.hpp"

namespace corral::runtime {

struct CopyRequest {
  ContainerPaths source;
  ContainerPaths target;
  bool keep_name = false;  // -K: lxc.uts.name and /etc/hostname stay as they are
  bool keep_mac = false;   // -M: lxc.net.N.hwaddr stay as they are
  bool rename = false;     // -R: the source is destroyed once copied
  std::vector<std::string> hook_args;  // after --: given to lxc.hook.clone
  // -e: no copy of the rootfs but an overlay on it, whose changes go to
  // NEW/overlay/delta; lxc.ephemeral = 1 unless keep_data (-D).
  bool ephemeral = false;
  bool keep_data = false;
  bool allow_running = false;                // -a: the source may run (only with -e)
  std::vector<std::string> mount_entries;    // -m bind=...: lxc.mount.entry values
};

/// The lxc.mount.entry value of `lxc-copy -m bind=SRC[:DST][:ro|rw]`, or
/// an error naming what is wrong with `spec`.
Result<std::string> bind_mount_entry(const std::string& spec);

/// The new config is the source's text without its lxc.rootfs.path lines
/// and blank lines, with `lxc.rootfs.path = dir:TARGET/rootfs` and (unless
/// keep_name) `lxc.uts.name = NEW` in place of the old ones, and each
/// hwaddr drawn again as 00:16:3e:xx:xx:xx (unless keep_mac). The rootfs
/// is copied whole (util copy_tree); its /etc/hostname names the copy
/// (unless keep_name); then the clone hooks run. A failure removes what
/// the copy made. Errors: "Container is not defined", "NAME is running",
/// "`PATH/config` exists".
Result<void> copy_container(const CopyRequest& req);

}  // namespace corral::runtime
