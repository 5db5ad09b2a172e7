// Each verb of `corral` registers itself on the CLI11 app; each LXC
// personality is a function of argv.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace corral::cli {

/// Adds `corral config ...`; the callback stores the exit code in *status.
void add_config_command(CLI::App& app, int* status);

/// The lxc-info personality; returns the process exit code.
int lxc_info_main(const std::string& prog, const std::vector<std::string>& args);

}  // namespace corral::cli
