// What `ps` and /proc/PID/cmdline show for a process: LXC titles its
// monitor "[lxc monitor] LXCPATH NAME" and the execute shim "init".
#pragma once

#include <string>

namespace corral {

/// Points the kernel's argument area at `title` (prctl PR_SET_MM_MAP, as
/// LXC's setproctitle does) and sets the comm name. Needs CAP_SYS_RESOURCE;
/// false when the kernel refuses (the title is then left as it was).
bool set_process_title(const std::string& title);

}  // namespace corral
