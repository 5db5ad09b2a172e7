// The host commands a template runs (tar, debootstrap, a chroot command):
// forked, each in a mount namespace of its own when corral may make one,
// waited for, and ended early by interrupt_running_step().
#pragma once

#include <string>
#include <vector>

#include "util/error.hpp"

namespace corral::tmpl {

struct CommandOptions {
  int cwd = -1;              // its working directory (a descriptor); -1: ours
  bool chroot_into = false;  // and, with cwd, its root directory too
  int stderr_fd = -1;        // where its standard error goes; -1: ours
};

/// Runs `argv` (looked up in PATH) and waits for it. An error when it
/// cannot be started or does not exit with status 0, naming the command.
Result<void> run_command(const std::vector<std::string>& argv, const CommandOptions& options = {});

/// Reads a descriptor to its end, from offset 0 when `from_start`.
Result<std::string> read_all(int fd, const std::string& what, bool from_start = false);

}  // namespace corral::tmpl
