// What the runtime personalities share: finding and loading a container's
// config (-n, -P, --rcfile / -f, -s KEY=VAL), making its plan, and
// reporting errors as LXC's tools do (stderr and the -o/-l log file).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli/lxc_compat.hpp"
#include "config/config.hpp"
#include "exec/plan.hpp"
#include "runtime/lxcpath.hpp"

namespace corral::cli {

/// Error and info output of one tool run.
class Reporter {
 public:
  Reporter(std::string prog, const LxcCommon& common);
  /// "<prog>: <name>: <message>" on stderr (unless -q) and in the log file.
  void error(const std::string& message) const;
  /// "<prog>: <name>: warning: <message>" on stderr (unless -q) and in the log file.
  void warn(const std::string& message) const;
  void info(const std::string& message) const;  // log file only, at INFO and below
  void log_error(const std::string& message) const;  // log file only (the caller printed it, or cannot)
  const std::string& prog() const { return prog_; }
  /// The level of -l (0 TRACE .. 8 FATAL), -1 when it was not given.
  int log_priority() const { return priority_given_ ? priority_ : -1; }

 private:
  void log(const char* level, const std::string& message) const;
  std::string prog_;
  std::string name_;
  bool quiet_ = false;
  std::string logfile_;
  int priority_ = 5;  // ERROR
  bool priority_given_ = false;
};

struct LoadedContainer {
  config::Config config;
  std::string config_path;
  runtime::ContainerPaths paths;
};

/// Loads `<lxcpath>/<name>/config`, or the --rcfile; applies defines
/// ("KEY=VALUE", lxc-start -s). Errors are reported; nullopt then.
/// `missing_message` is what to say when there is no config at all.
std::optional<LoadedContainer> load_container(const Reporter& out, const LxcCommon& common,
                                              const std::vector<std::string>& defines,
                                              const std::string& missing_message);

/// --rcfile of the tools that only talk to a running container (lxc-stop,
/// lxc-wait, lxc-freeze, lxc-unfreeze): LXC loads the file all the same and
/// fails when it cannot. False, with LXC's message, then; true without one.
bool rcfile_loads(const Reporter& out, const LxcCommon& common);

/// The configuration file of the named container: --rcfile, else
/// LXCPATH/NAME/config.
std::string config_path(const LxcCommon& common);

/// The paths of the named container (no config needed).
runtime::ContainerPaths container_paths(const LxcCommon& common);

/// Splits a -s/--define argument as LXC does: at the first '=', both sides
/// trimmed, matching outer quotes of the value removed. nullopt when it has
/// no '=' or the key does not start with "lxc.".
std::optional<std::pair<std::string, std::string>> split_define(const std::string& arg);

/// Makes the plan; errors reported.
std::optional<exec::Plan> plan_container(const Reporter& out, const LoadedContainer& c, exec::RunMode mode,
                                         const std::vector<std::string>& command);

}  // namespace corral::cli
