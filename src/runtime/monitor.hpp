// The monitor (spec/runtime.md §1, §8): starts the container, serves the
// command socket, proxies and logs the console, forwards signals to init,
// reaps it, tears down and reports the end. Foreground tools run it in
// their own process; daemon mode runs it in a detached grandchild.
#pragma once

#include <functional>
#include <string>

#include "config/config.hpp"
#include "exec/plan.hpp"
#include "runtime/lxcpath.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

namespace corral::runtime {

struct LaunchRequest {
  std::string prog;  // the tool's name, for messages
  ContainerPaths paths;
  const config::Config* config = nullptr;  // the loaded config (GET_CONFIG_ITEM answers from it)
  exec::Plan plan;
  bool daemon = false;
  bool close_all_fds = false;
  std::string pidfile;  // the monitor's pid is written here (daemon mode)
  /// Where the monitor's errors after the start go besides stderr (a
  /// daemon has none): the tool's -o/-l log.
  std::function<void(const std::string& message)> log_error;
};

/// What happened to a launch.
struct LaunchOutcome {
  bool already_running = false;
  int init_status = 0;  // foreground: init's wait status
};

/// Starts the container. Foreground: returns when it has stopped, with
/// init's wait status. Daemon: returns once init runs (or the start failed).
/// A failed start is an Error that names the step.
Result<LaunchOutcome> launch(LaunchRequest& request);

}  // namespace corral::runtime
