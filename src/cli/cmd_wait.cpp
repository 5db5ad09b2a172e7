// lxc-wait / `corral wait` (spec/cli.md §5): wait until the container is
// in one of the given states, by registering with its monitor.
#include <getopt.h>
#include <sys/socket.h>
#include <unistd.h>

#include <iostream>

#include "cli/commands.hpp"
#include "cli/container_args.hpp"
#include "runtime/commands.hpp"
#include "util/strings.hpp"

namespace corral::cli {

int lxc_wait_main(const std::string& prog, const std::vector<std::string>& args) {
  std::string states_arg;
  long timeout = -1;
  LxcTool tool{prog, "--name=NAME --state=STATE", prog + " waits for NAME container state to reach STATE", {}, {}};
  tool.options = {{"state", 's', required_argument, "ORed states to wait for STOPPED, STARTING, RUNNING, ..."},
                  {"timeout", 't', required_argument, "Seconds to wait for state changes"}};
  tool.on_option = [&](char s, const char*, const char* arg) {
    if (s == 's') states_arg = arg;
    if (s == 't') timeout = std::atol(arg);  // LXC parses with atol
    return true;
  };
  LxcCommon common;
  if (std::optional<int> done = parse_lxc_args(tool, args, common)) return *done;
  if (states_arg.empty()) {
    std::cerr << prog << ": could not parse command line\n";
    return 1;
  }
  if (!common.name) {
    std::cerr << prog << ": No container name specified\n";
    return 1;
  }
  Reporter out(prog, common);
  if (!rcfile_loads(out, common)) return 1;
  int32_t wanted[runtime::kStateCount] = {};
  // Empty names between bars are skipped ("STOPPED|"), as LXC's strtok does.
  bool any = false;
  for (std::string_view s : split(states_arg, '|')) {
    if (s.empty()) continue;
    std::optional<runtime::State> st = runtime::parse_state(s);
    if (!st) {
      out.error("invalid state '" + std::string(s) + "'");
      return 1;
    }
    wanted[static_cast<int>(*st)] = 1;
    any = true;
  }
  if (!any) {
    out.error("invalid state '" + states_arg + "'");
    return 1;
  }
  runtime::ContainerPaths paths = container_paths(common);
  for (;;) {
    Result<runtime::Client> c = runtime::Client::connect(paths);
    if (c) {
      Result<runtime::Reply> r = c.value().call(runtime::Cmd::add_state_client, 0,
                                                std::string_view(reinterpret_cast<char*>(wanted), sizeof wanted));
      if (r && !r.value().closed && r.value().ret >= 0) {
        if (r.value().slot < static_cast<uint64_t>(runtime::kStateCount)) return 0;
        // Registered: the monitor writes one message on a wanted change, or
        // closes the connection when the container stops. -t 0 means no
        // receive timeout at all, as in LXC.
        struct timeval tv {timeout > 0 ? timeout : 0, 0};
        ::setsockopt(c.value().fd(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        runtime::WireStateMsg msg{};
        ssize_t n = ::recv(c.value().fd(), &msg, sizeof msg, MSG_WAITALL);
        if (n == static_cast<ssize_t>(sizeof msg)) return 0;
        if (n < 0) {
          out.error("Failed to receive state from monitor");
          return 1;
        }
        // End of file: the container stopped.
        if (wanted[static_cast<int>(runtime::State::stopped)]) return 0;
        continue;
      }
    }
    // Not running.
    if (wanted[static_cast<int>(runtime::State::stopped)]) return 0;
    if (timeout == 0) return 1;
    if (timeout > 0 && --timeout == 0) return 1;
    ::sleep(1);
  }
}

}  // namespace corral::cli
