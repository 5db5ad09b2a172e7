// Entering a running container (spec/runtime.md §11): a transient process
// joins the payload cgroup and the container's namespaces, then forks the
// attached process, which takes the container's capability bounding set,
// environment, no_new_privs and seccomp filter, switches ids and execs.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "exec/plan.hpp"
#include "exec/seccomp.hpp"
#include "util/error.hpp"

namespace corral::exec {

/// What the monitor and /proc say about the running container.
struct AttachTarget {
  pid_t init_pid = -1;
  int init_pidfd = -1;
  unsigned long clone_flags = 0;           // the container's namespaces (GET_CLONE_FLAGS)
  std::vector<std::string> environment;    // lxc.environment, NAME=VALUE
  bool no_new_privs = false;
  std::optional<SeccompProgram> seccomp;
  uint64_t cap_bounding = ~0ULL;           // CapBnd of init
  std::vector<std::string> cgroup_dirs;    // the payload cgroups in the v1 hierarchies, to join
  std::string unified_cgroup_dir;          // the payload cgroup in the unified one ("" without)
  ProcessSettings settings;                // lxc.prlimit.*, lxc.proc.*
};

struct AttachOptions {
  std::vector<std::string> argv;  // empty: the user's shell from the container's passwd, else /bin/sh
  unsigned long namespaces = 0;   // 0: all of the container's
  bool join_cgroup = true;        // -e CGROUP turns it off
  bool drop_caps = true;          // -e CAP turns it off
  bool remount_sys_proc = false;  // -R
  bool clear_env = false;
  std::vector<std::string> keep_vars;
  std::vector<std::string> set_vars;  // -v NAME=VALUE
  std::optional<uid_t> uid;
  std::optional<gid_t> gid;
  /// The fds the attached process gets as 0, 1, 2 (a pty slave, or the
  /// caller's own).
  int stdio[3] = {0, 1, 2};
};

/// Forks the transient process and returns its pid; its exit status is the
/// command's (128+N when the command died of signal N; 126/127 when exec
/// failed; 1 when attaching failed, with a message on stderr).
Result<pid_t> spawn_attached(const AttachTarget& target, const AttachOptions& options, const std::string& prog);

/// "MOUNT|PID|..." or lowercase kernel names, '|'-separated, to CLONE_NEW*;
/// nullopt for an unknown name.
std::optional<unsigned long> parse_attach_namespaces(const std::string& list);

}  // namespace corral::exec
