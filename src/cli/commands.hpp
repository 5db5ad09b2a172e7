// Each verb of `corral` registers itself on the CLI11 app; each LXC
// personality is a function of argv.
#pragma once

#include <string>
#include <vector>

// Only main.cpp and `corral config` use CLI11. Its header, included in
// every command's file, would give each of them its own copies of CLI11's
// global validator objects, all constructed at every start of the program.
namespace CLI {
class App;
}

namespace corral::cli {

/// Adds `corral config ...`; the callback stores the exit code in *status.
void add_config_command(CLI::App& app, int* status);

// The LXC personalities, each a function of (program name, arguments)
// returning the exit code. `corral <verb>` calls the same function with
// the program name "corral <verb>".
int lxc_info_main(const std::string& prog, const std::vector<std::string>& args);
int lxc_start_main(const std::string& prog, const std::vector<std::string>& args);
int lxc_execute_main(const std::string& prog, const std::vector<std::string>& args);
int lxc_stop_main(const std::string& prog, const std::vector<std::string>& args);
int lxc_wait_main(const std::string& prog, const std::vector<std::string>& args);
int lxc_ls_main(const std::string& prog, const std::vector<std::string>& args);
int lxc_freeze_main(const std::string& prog, const std::vector<std::string>& args);
int lxc_unfreeze_main(const std::string& prog, const std::vector<std::string>& args);
int lxc_attach_main(const std::string& prog, const std::vector<std::string>& args);
int lxc_console_main(const std::string& prog, const std::vector<std::string>& args);
int lxc_create_main(const std::string& prog, const std::vector<std::string>& args);
int lxc_destroy_main(const std::string& prog, const std::vector<std::string>& args);
int lxc_copy_main(const std::string& prog, const std::vector<std::string>& args);

}  // namespace corral::cli
