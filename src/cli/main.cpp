// The multi-call binary: `corral <verb>`, or an LXC tool when started under
// that tool's name (argv[0] = lxc-info, ...).
#include <unistd.h>

#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "runtime/janitor.hpp"

namespace {

struct Personality {
  const char* name;
  int (*main)(const std::string& prog, const std::vector<std::string>& args);
};

constexpr Personality kPersonalities[] = {
    {"lxc-info", corral::cli::lxc_info_main},
    {"lxc-start", corral::cli::lxc_start_main},
    {"lxc-execute", corral::cli::lxc_execute_main},
    {"lxc-stop", corral::cli::lxc_stop_main},
    {"lxc-wait", corral::cli::lxc_wait_main},
    {"lxc-ls", corral::cli::lxc_ls_main},
    {"lxc-freeze", corral::cli::lxc_freeze_main},
    {"lxc-unfreeze", corral::cli::lxc_unfreeze_main},
    {"lxc-attach", corral::cli::lxc_attach_main},
    {"lxc-console", corral::cli::lxc_console_main},
    {"lxc-create", corral::cli::lxc_create_main},
    {"lxc-destroy", corral::cli::lxc_destroy_main},
    {"lxc-copy", corral::cli::lxc_copy_main},
};

}  // namespace

int main(int argc, char** argv) {
  // The janitor of a monitor that was killed, as its watcher executes it
  // (runtime/janitor.hpp): before anything else, it has one job.
  if (argc == 3 && std::strcmp(argv[1], corral::runtime::kJanitorVerb) == 0)
    return corral::runtime::janitor_main(argv[2]);
  std::string prog = argv[0];
  if (size_t slash = prog.rfind('/'); slash != std::string::npos) prog = prog.substr(slash + 1);
  for (const Personality& p : kPersonalities) {
    if (prog == p.name) return p.main(prog, std::vector<std::string>(argv + 1, argv + argc));
  }

  // `corral start ...` is lxc-start with corral's name in its messages.
  if (argc > 1) {
    std::string verb = argv[1];
    for (const Personality& p : kPersonalities) {
      if (std::string(p.name).substr(4) == verb)
        return p.main("corral " + verb, std::vector<std::string>(argv + 2, argv + argc));
    }
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
