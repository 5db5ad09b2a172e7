// What `ps` and /proc/PID/cmdline show for a process: LXC titles its
// monitor "[lxc monitor] LXCPATH NAME" and the execute shim "init".
#pragma once

#include <string>
#include <vector>

namespace corral {

/// The numeric fields of /proc/self/stat, indexed as proc(5) numbers them:
/// [0] is unused, [1] and [2] (pid, comm) and [3] (the state letter) are 0,
/// [20] is num_threads, ... Empty when the file cannot be read. Plain
/// read(2) and strtoul: iostreams cost page faults and microseconds in the
/// start path (the monitor, the janitor and the init shim use this).
std::vector<unsigned long> self_stat_fields();

/// Points the kernel's argument area at `title` (prctl PR_SET_MM_MAP, as
/// LXC's setproctitle does). The comm name stays the program's (a daemon
/// monitor's is lxc-start, as LXC's, for pgrep -x and killall). Needs
/// CAP_SYS_RESOURCE; false when the kernel refuses (the title is then left
/// as it was).
bool set_process_title(const std::string& title);

}  // namespace corral
