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
  bool name_by_option = false;  // -n/--name, not the first non-option argument
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

/// `--format text|json`, which the corral forms of info and ls offer (the
/// lxc-* forms do not: LXC has no such option).
struct OutputFormat {
  bool json = false;
  bool bad = false;  // neither text nor json
  /// Adds the option to `tool`.
  void offer(LxcTool& tool) const;
  /// Takes --format's argument; false when `long_name` is another option.
  bool take(const char* long_name, const char* arg);
  /// After parsing: for a bad value, "PROG: --format takes 'text' or
  /// 'json'" on stderr and exit code 2.
  std::optional<int> check(const std::string& prog) const;
};

/// Parses argv as LXC's tools do. Returns an exit code when the tool must
/// stop now (help, usage, version, bad option), else std::nullopt.
std::optional<int> parse_lxc_args(const LxcTool& tool, const std::vector<std::string>& args, LxcCommon& common);

/// parse_lxc_args for the tools that need a container name: without one,
/// "<prog>: No container name specified" and exit code 1.
std::optional<int> parse_lxc_args_named(const LxcTool& tool, const std::vector<std::string>& args,
                                        LxcCommon& common);

}  // namespace corral::cli
