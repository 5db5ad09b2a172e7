// lxc-start and lxc-execute (spec/cli.md §1, §2), also `corral start` and
// `corral execute`: load the config, make the plan, hand it to the monitor.
#include <getopt.h>
#include <sys/wait.h>

#include <filesystem>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/container_args.hpp"
#include "config/loader.hpp"
#include "exec/container.hpp"
#include "runtime/monitor.hpp"

namespace corral::cli {

namespace {

struct StartArgs {
  bool execute = false;
  bool daemon = true;
  bool dry_run = false;
  bool close_all_fds = false;
  std::vector<std::string> defines;
  std::string pidfile;
  std::optional<uint32_t> uid, gid;
};

std::optional<uint32_t> parse_id(const char* arg) {
  char* end = nullptr;
  errno = 0;
  unsigned long v = std::strtoul(arg, &end, 10);
  if (errno || !end || *end || end == arg || v > UINT32_MAX) return std::nullopt;
  return static_cast<uint32_t>(v);
}

int run(const std::string& prog, const std::vector<std::string>& args, bool execute, bool corral_verb) {
  StartArgs a;
  a.execute = execute;
  a.daemon = !execute;
  std::string console, console_log;
  std::vector<std::pair<std::string, std::string>> shares;
  LxcTool tool{prog,
               "--name=NAME -- COMMAND",
               execute ? prog + " executes the specified COMMAND into the container NAME"
                       : prog + " start COMMAND in specified container NAME",
               {}, {}};
  tool.options = {{"daemon", 'd', no_argument, "Daemonize the container"},
                  {"rcfile", 'f', required_argument, "Load configuration file FILE"},
                  {"define", 's', required_argument, "Assign VAL to configuration variable KEY"},
                  {"share-net", 0, required_argument, "Share a network namespace with another container or pid"},
                  {"share-ipc", 0, required_argument, "Share an IPC namespace with another container or pid"},
                  {"share-uts", 0, required_argument, "Share a UTS namespace with another container or pid"},
                  {"share-pid", 0, required_argument, "Share a PID namespace with another container or pid"}};
  if (execute) {
    tool.options.push_back({"uid", 'u', required_argument, "Execute COMMAND with UID inside the container"});
    tool.options.push_back({"gid", 'g', required_argument, "Execute COMMAND with GID inside the container"});
  } else {
    tool.options.push_back({"foreground", 'F', no_argument, "Start with the current tty attached to /dev/console"});
    tool.options.push_back({"pidfile", 'p', required_argument, "Create a file with the process id"});
    tool.options.push_back({"console", 'c', required_argument, "Use specified FILE for the container console"});
    tool.options.push_back({"console-log", 'L', required_argument, "Log container console output to FILE"});
    tool.options.push_back({"close-all-fds", 'C', no_argument, "If any fds are inherited, close them"});
  }
  if (corral_verb) tool.options.push_back({"dry-run", 0, no_argument, "Print the plan and do nothing"});
  LxcCommon common;
  tool.on_option = [&](char s, const char* l, const char* arg) {
    std::string lname = l;
    if (s == 'd') a.daemon = true;
    else if (s == 'F') a.daemon = false;
    else if (s == 'f') common.rcfile = arg;
    else if (s == 's') a.defines.emplace_back(arg);
    else if (s == 'p') a.pidfile = arg;
    else if (s == 'c') console = arg;
    else if (s == 'L') console_log = arg;
    else if (s == 'C') a.close_all_fds = true;
    else if (s == 'u') return (a.uid = parse_id(arg)).has_value();
    else if (s == 'g') return (a.gid = parse_id(arg)).has_value();
    else if (lname == "dry-run") a.dry_run = true;
    else if (lname.compare(0, 6, "share-") == 0) shares.emplace_back(lname.substr(6), arg);
    return true;
  };
  if (std::optional<int> done = parse_lxc_args_named(tool, args, common)) return *done;
  Reporter out(prog, common);
  std::vector<std::string> command = common.rest;
  std::optional<LoadedContainer> c =
      load_container(out, common, a.defines,
                     execute ? "Executing a container with no configuration file may crash the host"
                             : "No container config specified");
  if (!c) return 1;
  // What the command line sets on top of the file (not saved).
  config::Diagnostics diags;
  auto set = [&](const std::string& key, const std::string& value) {
    if (!config::set_item(c->config, key, value, diags)) {
      std::cerr << diags.render(c->config.sources);
      return false;
    }
    return true;
  };
  if (!console.empty() && !set("lxc.console.path", console)) return 1;
  if (!console_log.empty() && !set("lxc.console.logfile", console_log)) return 1;
  for (const auto& [ns, value] : shares)
    if (!set("lxc.namespace.share." + ns, value)) return 1;
  if (a.uid && !set("lxc.init.uid", std::to_string(*a.uid))) return 1;
  if (a.gid && !set("lxc.init.gid", std::to_string(*a.gid))) return 1;
  if (execute && command.empty() && c->config.execute_cmd.value.empty()) {
    out.error("Missing command to execute!");
    return 1;
  }

  std::optional<exec::Plan> plan =
      plan_container(out, *c, execute ? exec::RunMode::execute : exec::RunMode::start, command);
  if (!plan) return 1;
  if (a.dry_run) {
    std::cout << exec::describe(*plan);
    return 0;
  }
  if (Result<void> ok = exec::check_supported(c->config, *plan); !ok) {
    out.error(ok.error().render());
    return 1;
  }
  if (::geteuid() != 0) {
    out.error("starting a container needs root: corral does not start containers as an ordinary user yet "
              "(a container with lxc.idmap is started by root, and runs as the mapped ids)");
    return 1;
  }
  runtime::LaunchRequest req;
  req.prog = prog;
  req.paths = c->paths;
  req.config = &c->config;
  req.plan = std::move(*plan);
  req.daemon = a.daemon;
  req.close_all_fds = a.close_all_fds;
  req.log_error = [&out](const std::string& message) { out.log_error(message); };
  if (!a.pidfile.empty()) {
    req.pidfile = a.pidfile.front() == '/' ? a.pidfile : (std::filesystem::current_path() / a.pidfile).string();
  }
  Result<runtime::LaunchOutcome> r = runtime::launch(req);
  if (!r) {
    out.error(r.error().render());
    if (execute) {
      out.error("Failed run an application inside container");
      return 1;
    }
    out.error("The container failed to start");
    if (a.daemon) out.error("To get more details, run the container in foreground mode");
    out.error("Additional information can be obtained by setting the --logfile and --logpriority options");
    return 1;
  }
  if (r.value().already_running) {
    if (execute) {
      out.error(c->paths.name + " appears to be already running");
      out.error("Failed run an application inside container");
      return 1;
    }
    out.error("Container is already running");
    return 0;
  }
  if (a.daemon) return 0;
  int st = r.value().init_status;
  if (execute) return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
  return 0;
}

}  // namespace

int lxc_start_main(const std::string& prog, const std::vector<std::string>& args) {
  return run(prog, args, false, prog.compare(0, 4, "lxc-") != 0);
}

int lxc_execute_main(const std::string& prog, const std::vector<std::string>& args) {
  return run(prog, args, true, prog.compare(0, 4, "lxc-") != 0);
}

}  // namespace corral::cli
