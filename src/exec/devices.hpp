// /dev of the container (spec/runtime.md §5.4 steps 12, 15-18, 20): device
// nodes, the console and the ttys bound from ptys, the standard symlinks,
// the boot id. Run by the child before (or, for the boot id, after)
// pivot_root.
#pragma once

#include <string>
#include <vector>

#include "exec/plan.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

namespace corral::exec {

struct Pty {
  UniqueFd master;
  UniqueFd slave;
};

/// A new pty from the devpts instance whose ptmx is `ptmx` (opened below
/// `root`, so a container's ptmx cannot lead out of it).
Result<Pty> open_pty(const std::string& root, const std::string& ptmx);

/// mknod each node; where mknod is refused (EPERM), an empty file with the
/// host's node bound on it. Existing nodes are kept.
Result<void> create_dev_nodes(const CreateDevNodes& step, const std::string& root);

Result<void> create_dev_symlinks(const CreateDevSymlinks& step, const std::string& root);

/// Binds the pty's slave on `target` (an empty file of mode 0000 is created
/// first, stacked mounts are removed), via `dir_target` when it is set.
Result<void> bind_pty(const Pty& pty, const std::string& root, const std::string& target,
                      const std::string& dir_target = {});

/// Allocates the ttys from the container's devpts and binds them (unless
/// step.bind is false, in execute mode). Returns the ptys, masters first
/// used by lxc-console.
Result<std::vector<Pty>> setup_ttys(const SetupTtys& step, const std::string& root);

/// After pivot_root: a random uuid in step.file (0444), bound read-only on
/// step.target.
Result<void> set_boot_id(const SetBootId& step);

}  // namespace corral::exec
