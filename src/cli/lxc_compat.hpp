// What every LXC personality shares (spec/cli.md §0): getopt_long parsing
// with permutation, the common options, the name taken from the first
// non-option argument, help and usage text.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace corral::cli {

struct LxcOption {
  const char* long_name;
  char short_name;   // 0: long only
  int has_arg;       // no_argument, required_argument, optional_argument
  const char* help;  // one line for --help
};

struct LxcCommon {
  std::optional<std::string> name;
  std::string lxcpath = "/var/lib/lxc";
  std::string logfile;
  std::string logpriority;
  bool quiet = false;
  std::string rcfile;
  std::vector<std::string> rest;  // non-option arguments after the name
};

struct LxcTool {
  std::string prog;        // lxc-info, ...
  std::string usage;       // text after "Usage: <prog> "
  std::string description;
  std::vector<LxcOption> options;
  /// Called for each tool-specific option; returns false on a bad argument.
  std::function<bool(char short_name, const char* long_name, const char* arg)> on_option;
};

/// Parses argv as LXC's tools do. Returns an exit code when the tool must
/// stop now (help, usage, version, bad option), else std::nullopt.
std::optional<int> parse_lxc_args(const LxcTool& tool, const std::vector<std::string>& args, LxcCommon& common);

/// parse_lxc_args for the tools that need a container name: without one,
/// "<prog>: No container name specified" and exit code 1.
std::optional<int> parse_lxc_args_named(const LxcTool& tool, const std::vector<std::string>& args,
                                        LxcCommon& common);

}  // namespace corral::cli
