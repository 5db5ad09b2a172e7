// lxc-copy / corral copy (spec/cli.md §10): option handling; the work is
// runtime::copy_container, and for -e the start, attach and stop commands.
// Snapshots (-s) and other storage need drivers corral does not have
// (btrfs snapshots, LVM, ZFS): refused with the reason.
#include <getopt.h>

#include <cstdio>

#include "cli/commands.hpp"
#include "cli/container_args.hpp"
#include "runtime/copy.hpp"
#include "util/strings.hpp"

namespace corral::cli {


int lxc_copy_main(const std::string& prog, const std::vector<std::string>& args) {
  runtime::CopyRequest req;
  std::optional<std::string> new_name, new_path;
  std::string unsupported;  // the first option corral cannot honour
  bool foreground = false;
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
      case 'e': req.ephemeral = true; break;
      case 'D': req.keep_data = true; break;
      case 'a': req.allow_running = true; break;
      case 'F': foreground = true; break;
      case 'd': foreground = false; break;
      case 'm': {
        Result<std::string> entry = runtime::bind_mount_entry(arg);
        if (entry) req.mount_entries.push_back(entry.value());
        else if (unsupported.empty()) unsupported = entry.error().render();
        break;
      }
      case 'B':
        if (std::string(arg) != "dir" && unsupported.empty())
          unsupported = "-B " + std::string(arg) + ": corral copies to directory storage only";
        break;
      default:
        if (unsupported.empty())
          unsupported = "--" + std::string(l) +
                        ": not supported yet (snapshots need btrfs, LVM or ZFS storage; a tmpfs or a size, block "
                        "devices); corral makes full copies, and overlay copies with -e";
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
  if (req.ephemeral && req.rename) {
    out.error("-e and -R cannot be combined: an ephemeral copy leaves the original in place");
    return 1;
  }
  if (!req.ephemeral && (req.keep_data || foreground || req.allow_running || !req.mount_entries.empty())) {
    out.error("-D, -F, -d, -a and -m go with -e (an ephemeral copy)");
    return 1;
  }
  req.source = container_paths(common);
  // LXC's name for an ephemeral copy given no -N: NAME_ and 6 random characters.
  if (!new_name && req.ephemeral) new_name = req.source.name + "_" + random_alnum(6);
  if (!new_name) {
    out.error("You must provide a NEWNAME for the clone");
    return 1;
  }
  req.target = runtime::ContainerPaths{new_path ? runtime::normalize_lxcpath(*new_path) : req.source.lxcpath, *new_name};
  // After --: the hooks' arguments, or with -e the command to run in the copy.
  if (!req.ephemeral) req.hook_args = common.rest;
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
  if (!req.ephemeral) return 0;

  // An ephemeral copy is started at once; with a command, the command runs
  // in it (attached, with a clean environment) and the copy is stopped,
  // which removes it (lxc.ephemeral, unless -D).
  std::printf("Created %s as clone of %s\n", req.target.name.c_str(), req.source.name.c_str());
  std::fflush(stdout);
  const bool corral_verb = prog.compare(0, 7, "corral ") == 0;
  auto tool_name = [&](const char* verb) { return corral_verb ? std::string("corral ") + verb : std::string("lxc-") + verb; };
  std::vector<std::string> where{"-P", req.target.lxcpath, "-n", req.target.name};
  std::vector<std::string> start = where;
  start.push_back(foreground && common.rest.empty() ? "-F" : "-d");
  int status = lxc_start_main(tool_name("start"), start);
  if (status != 0 || common.rest.empty()) return status;
  std::vector<std::string> attach = where;
  attach.insert(attach.end(), {"--clear-env", "--"});
  attach.insert(attach.end(), common.rest.begin(), common.rest.end());
  status = lxc_attach_main(tool_name("attach"), attach);
  std::vector<std::string> stop = where;
  stop.push_back("-k");
  int stopped = lxc_stop_main(tool_name("stop"), stop);
  return status != 0 ? status : stopped;
}

}  // namespace corral::cli
