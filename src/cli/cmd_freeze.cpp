// lxc-freeze and lxc-unfreeze (spec/cli.md §12): the monitor freezes or
// thaws the container's cgroup and tells its state waiters.
#include <sys/stat.h>

#include <iostream>

#include "cli/commands.hpp"
#include "cli/container_args.hpp"
#include "runtime/commands.hpp"

namespace corral::cli {

namespace {

int run(const std::string& prog, const std::vector<std::string>& args, bool freeze) {
  LxcTool tool{prog, "--name=NAME",
               prog + (freeze ? " freezes a container with the identifier NAME"
                              : " unfreezes a container with the identifier NAME"),
               {}, [](char, const char*, const char*) { return true; }};
  LxcCommon common;
  if (std::optional<int> done = parse_lxc_args_named(tool, args, common)) return *done;
  Reporter out(prog, common);
  if (!rcfile_loads(out, common)) return 1;
  runtime::ContainerPaths paths = container_paths(common);
  Result<runtime::Client> c = runtime::Client::connect(paths);
  if (!c) {
    // Thawing a stopped container is a success for LXC too, one that does
    // not exist is not.
    struct stat st {};
    if (!freeze && ::stat(config_path(common).c_str(), &st) == 0) return 0;
    out.error(std::string("Failed to ") + (freeze ? "freeze " : "unfreeze ") + paths.lxcpath + ":" + paths.name);
    return 1;
  }
  Result<runtime::Reply> r = c.value().call(freeze ? runtime::Cmd::freeze : runtime::Cmd::unfreeze, -1);
  if (!r || r.value().closed || r.value().ret < 0) {
    out.error(std::string("Failed to ") + (freeze ? "freeze " : "unfreeze ") + paths.lxcpath + ":" + paths.name);
    return 1;
  }
  return 0;
}

}  // namespace

int lxc_freeze_main(const std::string& prog, const std::vector<std::string>& args) { return run(prog, args, true); }
int lxc_unfreeze_main(const std::string& prog, const std::vector<std::string>& args) {
  return run(prog, args, false);
}

}  // namespace corral::cli
