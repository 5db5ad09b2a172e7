// lxc-create / corral create and lxc-destroy / corral destroy (spec/cli.md
// §7-§8): option handling only; the work is tmpl::create_container and
// runtime::destroy_container.
#include <fcntl.h>
#include <getopt.h>
#include <unistd.h>

#include <iostream>

#include "cli/commands.hpp"
#include "cli/container_args.hpp"
#include "runtime/destroy.hpp"
#include "template/create.hpp"

namespace corral::cli {

namespace {

/// The -t value of an argument list, read ahead of the parser so that
/// `-h` can also show the template's own help (lxc-create -t T -h).
std::optional<std::string> template_in(const std::vector<std::string>& args) {
  for (size_t i = 0; i < args.size() && args[i] != "--"; ++i) {
    const std::string& a = args[i];
    if ((a == "-t" || a == "--template") && i + 1 < args.size()) return args[i + 1];
    if (a.compare(0, 11, "--template=") == 0) return a.substr(11);
    if (a.size() > 2 && a.compare(0, 2, "-t") == 0) return a.substr(2);
  }
  return std::nullopt;
}

bool asks_for_help(const std::vector<std::string>& args) {
  for (const std::string& a : args) {
    if (a == "--") return false;
    if (a == "-h" || a == "--help") return true;  // not -?: getopt's error, exit 1 as in every tool
  }
  return false;
}

}  // namespace

int lxc_create_main(const std::string& prog, const std::vector<std::string>& args) {
  const bool corral_verb = prog.compare(0, 7, "corral ") == 0;
  tmpl::CreateRequest req;
  std::optional<std::string> templ;
  std::string bdev = "dir";
  LxcTool tool{prog, "--name=NAME --template=TEMPLATE [OPTION...] [-- template-options]",
               prog + " creates a container", {}, {}};
  tool.options = {{"template", 't', required_argument, "Template to use to setup container"},
                  {"config", 'f', required_argument, "Initial configuration file"},
                  {"bdev", 'B', required_argument, "Backing store type to use (dir)"},
                  {"dir", 0, required_argument, "Place rootfs directory under DIR"}};
  if (corral_verb) tool.options.push_back({"dry-run", 0, no_argument, "Print the recipe and the config; write nothing"});
  tool.on_option = [&](char s, const char* l, const char* arg) {
    std::string lname = l;
    if (s == 't') templ = arg;
    else if (s == 'f') req.config_file = arg;
    else if (s == 'B') bdev = arg;
    else if (lname == "dir") req.rootfs_dir = arg;
    else if (lname == "dry-run") req.dry_run = true;
    return true;
  };
  LxcCommon common;
  if (asks_for_help(args)) {
    parse_lxc_args(tool, {"--help"}, common);
    if (std::optional<std::string> t = template_in(args); t && !tmpl::is_no_template(*t)) {
      Result<std::string> usage = tmpl::template_usage(*t);
      if (!usage) {
        std::cerr << prog << ": " << usage.error().render() << "\n";
        return 1;
      }
      std::cerr << "\n" << usage.value();
    }
    return 0;
  }
  if (std::optional<int> done = parse_lxc_args_named(tool, args, common)) return *done;
  Reporter out(prog, common);
  if (!templ) {
    out.error("A template must be specified");
    out.error("Use \"none\" if you really want a container without a rootfs");
    return 1;
  }
  if (bdev != "dir" && bdev != "none") {
    out.error(bdev + " is not a valid backing storage type for corral (only dir)");
    return 1;
  }
  req.paths = container_paths(common);
  req.template_name = *templ;
  req.template_args = common.rest;
  req.warn = [&out](const std::string& w) { out.warn(w); };
  if (common.quiet && !req.dry_run) {
    // As LXC: with -q the template's output (its programs, its print
    // steps) goes to /dev/null too, not only corral's messages.
    int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (null >= 0) {
      ::dup2(null, STDOUT_FILENO);
      ::dup2(null, STDERR_FILENO);
      ::close(null);
    }
  }
  Result<tmpl::CreateOutcome> made = tmpl::create_container(req);
  if (!made) {
    out.error(made.error().render());
    out.error("Failed to create container " + req.paths.name);
    return 1;
  }
  if (req.dry_run) std::cout << made.value().dry_run_text;
  return 0;
}

int lxc_destroy_main(const std::string& prog, const std::vector<std::string>& args) {
  bool force = false;
  LxcTool tool{prog, "--name=NAME [-f] [-P lxcpath]", prog + " destroys a container with the identifier NAME", {}, {}};
  tool.options = {{"force", 'f', no_argument, "Wait for the container to shut down"},
                  {"snapshots", 's', no_argument, "Destroy including all snapshots"}};
  tool.on_option = [&](char s, const char*, const char*) {
    if (s == 'f') force = true;  // -s: corral makes no snapshots, so there are none to destroy
    return true;
  };
  LxcCommon common;
  if (std::optional<int> done = parse_lxc_args_named(tool, args, common)) return *done;
  Reporter out(prog, common);
  Result<void> r = runtime::destroy_container(container_paths(common), force);
  if (!r) {
    out.error(r.error().render());
    return 1;
  }
  return 0;
}

}  // namespace corral::cli
