// Small helpers shared by the files that make and print a Plan (plan.cpp,
// plan_describe.cpp, plan_host.cpp); not part of the exec interface.
#pragma once

#include <string>
#include <string_view>

#include "config/config.hpp"

namespace corral::exec::plan_util {

inline constexpr const char* kCgroupRoot = "/sys/fs/cgroup";

/// lxc.rootfs.mount of a fresh configuration (LXC's build constant); also
/// used when the key was cleared.
const std::string& default_rootfs_mount();

/// `a/b` without doubled or trailing slashes; `b` is taken as relative.
std::string join(std::string_view a, std::string_view b);

/// `path` is `prefix` or below it.
bool has_prefix_path(std::string_view path, std::string_view prefix);

/// A gateway is configured: an address, `dev` or `auto`.
bool gateway_set(const config::Gateway& g);

}  // namespace corral::exec::plan_util
