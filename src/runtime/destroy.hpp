// lxc-destroy (spec/cli.md §8): the destroy hooks, the storage, then the
// container's directory, without crossing into other mounted file systems.
#pragma once

#include "runtime/lxcpath.hpp"
#include "util/error.hpp"

namespace corral::runtime {

/// Errors use LXC's words: "Container is not defined", "NAME is running"
/// (unless `force`, which stops it hard first).
Result<void> destroy_container(const ContainerPaths& paths, bool force);

}  // namespace corral::runtime
