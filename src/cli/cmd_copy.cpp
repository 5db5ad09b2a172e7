// lxc-copy / corral copy (spec/cli.md §10): option handling only; the work
// is runtime::copy_container. Snapshots and ephemeral copies need storage
// drivers corral does not have (overlayfs, btrfs snapshots): refused with
// the reason.
#include <getopt.h>

#include "cli/commands.hpp"
#include "cli/container_args.hpp"
#include "runtime/copy.hpp"

namespace corral::cli {

int lxc_copy_main(const std::string& prog, const std::vector<std::string>& args) {
  runtime::CopyRequest req;
  std::optional<std::string> new_name, new_path;
  std::string unsupported;  // the first option corral cannot honour
  LxcTool tool{prog, "--name=NAME [-P lxcpath] -N newname [-p newpath] [-B backingstorage] [-s] [-K] [-M] [-L size [unit]] -- hook options",
               prog + " creates a copy of the container NAME", {}, {}};
  tool.options = {{"newname", 'N', required_argument, "NEWNAME for the restored container"},
                  {"newpath", 'p', required_argument, "NEWPATH for the container to be stored"},
                  {"rename", 'R', no_argument, "rename container"},
                  {"snapshot", 's', no_argument, "create snapshot instead of clone"},
                  {"allowrunning", 'a', no_argument, "allow snapshot creation even if source container is running"},
                  {"foreground", 'F', no_argument, "start with current tty attached to /dev/console"},
                  {"daemon", 'd', no_argument, "daemonize the container (default)"},
                  {"ephemeral", 'e', no_argument, "start ephemeral container"},
                  {"mount", 'm', required_argument, "directory to mount into container"},
                  {"backingstorage", 'B', required_argument, "backingstorage type for the container"},
                  {"tmpfs", 't', no_argument, "place ephemeral container on a tmpfs"},
                  {"fssize", 'L', required_argument, "size of the new block device for block device containers"},
                  {"keepdata", 'D', no_argument, "pass together with -e start a persistent snapshot"},
                  {"keepname", 'K', no_argument, "keep the hostname of the original container"},
                  {"keepmac", 'M', no_argument, "keep the MAC address of the original container"}};
  tool.on_option = [&](char s, const char* l, const char* arg) {
    switch (s) {
      case 'N': new_name = arg; break;
      case 'p': new_path = arg; break;
      case 'R': req.rename = true; break;
      case 'K': req.keep_name = true; break;
      case 'M': req.keep_mac = true; break;
      case 'B':
        if (std::string(arg) != "dir" && unsupported.empty())
          unsupported = "-B " + std::string(arg) + ": corral copies to directory storage only";
        break;
      case 'a': break;  // only matters for a snapshot, refused below
      default:
        if (unsupported.empty())
          unsupported = "--" + std::string(l) +
                        ": snapshots and ephemeral copies are not supported yet (they need overlay or btrfs storage); "
                        "corral makes full copies";
    }
    return true;
  };
  LxcCommon common;
  if (std::optional<int> done = parse_lxc_args_named(tool, args, common)) return *done;
  Reporter out(prog, common);
  if (!unsupported.empty()) {
    out.error(unsupported);
    return 1;
  }
  if (!new_name) {
    out.error("You must provide a NEWNAME for the clone");
    return 1;
  }
  req.source = container_paths(common);
  req.target = runtime::ContainerPaths{new_path ? runtime::normalize_lxcpath(*new_path) : req.source.lxcpath, *new_name};
  req.hook_args = common.rest;
  if (req.target.dir() == req.source.dir()) {
    out.error("the copy must have another name or path than " + req.source.name);
    return 1;
  }
  Result<void> r = runtime::copy_container(req);
  if (!r) {
    out.error(r.error().render());
    out.error(req.rename ? "Failed to rename " + req.source.name : "Failed to clone " + req.source.name);
    return 1;
  }
  return 0;
}

}  // namespace corral::cli
