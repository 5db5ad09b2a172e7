// lxc-info: for now the configuration queries (-c KEY); the state, pid, ip
// and statistics selectors need the runtime.
#include <getopt.h>
#include <sys/stat.h>

#include <cstdio>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/lxc_compat.hpp"
#include "config/loader.hpp"

namespace corral::cli {

int lxc_info_main(const std::string& prog, const std::vector<std::string>& args) {
  std::vector<std::string> keys;
  bool humanize = true;
  std::string runtime_only;
  LxcTool tool{prog,
               "--name=NAME",
               "lxc-info display some information about a container with the identifier NAME",
               {{"config", 'c', required_argument, "Show config variable KEY from running container"},
                {"ips", 'i', no_argument, "Shows the IP addresses"},
                {"pid", 'p', no_argument, "Shows the process id of the init container"},
                {"stats", 'S', no_argument, "Shows usage stats"},
                {"no-humanize", 'H', no_argument, "Shows stats as raw numbers, not humanized"},
                {"state", 's', no_argument, "Shows the state of the container"}},
               {}};
  tool.on_option = [&](char s, const char* l, const char* arg) {
    if (s == 'c') keys.emplace_back(arg);
    else if (s == 'H') humanize = false;
    else runtime_only = std::string("--") + l;
    return true;
  };
  LxcCommon common;
  if (std::optional<int> done = parse_lxc_args(tool, args, common)) return *done;
  if (!common.name) {
    std::cerr << prog << ": No container name specified\n";
    return 1;
  }
  const std::string& name = *common.name;
  if (!runtime_only.empty() || keys.empty()) {
    std::cerr << prog << ": " << (runtime_only.empty() ? "showing the state" : runtime_only)
              << " needs the container runtime, which this corral build does not have yet; only -c KEY is supported\n";
    return 1;
  }
  std::string path = common.rcfile.empty() ? common.lxcpath + "/" + name + "/config" : common.rcfile;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    std::cerr << name << " doesn't exist\n";
    return 1;
  }
  config::LoadResult r = config::load_file(path);
  if (!r.ok()) {
    if (!common.quiet) std::cerr << r.render();
    std::cerr << "Failed to load config for " << name << "\n"
              << "Failure to retrieve information on " << common.lxcpath << ":" << name << "\n";
    return 1;
  }
  for (const std::string& key : keys) {
    std::optional<std::string> v = config::get_item(r.config, key);
    if (!v) {
      std::cerr << key << " invalid\n";
      continue;
    }
    if (!humanize && keys.size() == 1) std::cout << *v << "\n";
    else if (v->empty()) std::cout << key << " =\n";  // LXC prints no trailing blank
    else std::cout << key << " = " << *v << "\n";
  }
  return 0;
}

}  // namespace corral::cli
