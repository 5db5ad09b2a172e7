// File-system helpers shared by the template engine and the runtime.
#pragma once

#include <string>

#include "util/error.hpp"

namespace corral {

/// rm -rf that neither follows symbolic links nor crosses into another
/// mounted file system (a bind mount inside a rootfs is left alone, as
/// lxc-destroy does). A missing path is not an error.
Result<void> remove_tree(const std::string& path);

}  // namespace corral
