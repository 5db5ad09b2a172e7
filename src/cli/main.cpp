// The multi-call binary: `corral <verb>`, or an LXC tool when started under
// that tool's name (argv[0] = lxc-info, ...).
#include <unistd.h>

#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.hpp"

namespace {

struct Personality {
  const char* name;
  int (*main)(const std::string& prog, const std::vector<std::string>& args);
};

constexpr Personality kPersonalities[] = {
    {"lxc-info", corral::cli::lxc_info_main},
};

}  // namespace

int main(int argc, char** argv) {
  std::string prog = argv[0];
  if (size_t slash = prog.rfind('/'); slash != std::string::npos) prog = prog.substr(slash + 1);
  for (const Personality& p : kPersonalities) {
    if (prog == p.name) return p.main(prog, std::vector<std::string>(argv + 1, argv + argc));
  }

  CLI::App app{"corral: LXC-compatible containers, from config to running init"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("corral ") + CORRAL_VERSION);
  int status = 0;
  corral::cli::add_config_command(app, &status);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; every usage error exits 2, as Unix tools do.
    return app.exit(e) == 0 ? 0 : 2;
  }
  return status;
}
