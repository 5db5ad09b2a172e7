// lxc-stop / `corral stop` (spec/cli.md §6, runtime.md §12): a clean
// shutdown with the halt signal and a timeout, or a hard stop (-k) through
// the monitor's STOP command.
#include <getopt.h>
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <fstream>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/container_args.hpp"
#include "runtime/commands.hpp"

namespace corral::cli {

namespace {

/// Whether init blocks `sig` (systemd blocks SIGRTMIN+3 and wants it).
bool init_blocks(pid_t pid, int sig) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, 7, "SigBlk:") != 0) continue;
    unsigned long long mask = std::stoull(line.substr(7), nullptr, 16);
    return (mask >> (sig - 1)) & 1;
  }
  return false;
}

/// Registers a waiter for `state`; returns its connection, or an invalid fd
/// when the container is already in it (or not running).
/// `next`: the next time the container gets there, even when it is there
/// now (lxc-stop -r waits for RUNNING after the reboot).
UniqueFd wait_for_state(const runtime::ContainerPaths& paths, runtime::State state, bool* already, bool next = false) {
  *already = false;
  Result<runtime::Client> c = runtime::Client::connect(paths);
  if (!c) {
    *already = state == runtime::State::stopped;
    return UniqueFd();
  }
  int32_t wanted[runtime::kStateCount] = {};
  wanted[static_cast<int>(state)] = next ? 2 : 1;
  Result<runtime::Reply> r =
      c.value().call(runtime::Cmd::add_state_client, 0, std::string_view(reinterpret_cast<char*>(wanted), sizeof wanted));
  if (!r || r.value().closed) {
    *already = state == runtime::State::stopped;
    return UniqueFd();
  }
  if (r.value().slot < static_cast<uint64_t>(runtime::kStateCount)) {
    *already = true;
    return UniqueFd();
  }
  return UniqueFd(::dup(c.value().fd()));
}

/// Waits for the state message (or the connection's end, which means
/// STOPPED); timeout_s < 0: forever. True when it came.
bool await(int fd, int timeout_s) {
  struct pollfd p {fd, POLLIN, 0};
  int r;
  while ((r = ::poll(&p, 1, timeout_s < 0 ? -1 : timeout_s * 1000)) < 0 && errno == EINTR) {
  }
  return r > 0;
}

}  // namespace

int lxc_stop_main(const std::string& prog, const std::vector<std::string>& args) {
  bool reboot = false, nowait = false, kill = false, nokill = false, nolock = false;
  std::optional<long> timeout;
  LxcTool tool{prog, "--name=NAME", prog + " stops a container with the identifier NAME", {}, {}};
  tool.options = {{"reboot", 'r', no_argument, "Reboot the container"},
                  {"nowait", 'W', no_argument, "Don't wait for shutdown or reboot to complete"},
                  {"timeout", 't', required_argument, "Wait T seconds before hard-stopping"},
                  {"kill", 'k', no_argument, "Kill container rather than request clean shutdown"},
                  {"nolock", 0, no_argument, "Avoid using API locks"},
                  {"nokill", 0, no_argument, "Only request clean shutdown, don't force kill after timeout"}};
  bool bad_timeout = false;
  tool.on_option = [&](char s, const char* l, const char* arg) {
    std::string lname = l;
    if (s == 'r') reboot = true;
    else if (s == 'W') nowait = true;
    else if (s == 'k') kill = true;
    else if (lname == "nolock") nolock = true;
    else if (lname == "nokill") nokill = true;
    else if (s == 't') {
      char* end = nullptr;
      long v = std::strtol(arg, &end, 10);
      if (!*arg || *end) return false;
      if (v < -1) bad_timeout = true;
      timeout = v;
    }
    return true;
  };
  LxcCommon common;
  if (std::optional<int> done = parse_lxc_args_named(tool, args, common)) return *done;
  Reporter out(prog, common);
  if (!rcfile_loads(out, common)) return 1;
  if (kill && nokill) return out.error("-k can't be used with --nokill"), 1;
  if (kill && reboot) return out.error("-k can't be used with -r"), 1;
  if (kill && timeout && *timeout != 0) return out.error("-k doesn't allow timeouts"), 1;
  if (nolock && !kill) return out.error("--nolock may only be used with -k"), 1;
  if (bad_timeout) return out.error("Invalid timeout"), 1;
  long t = timeout.value_or(kill ? 0 : 60);
  if (nowait) t = 0;

  runtime::ContainerPaths paths = container_paths(common);
  std::optional<pid_t> pid = runtime::query_init_pid(paths);
  if (!pid) {
    out.error(paths.name + " is not running");
    return 2;
  }
  if (kill) return runtime::stop_hard(paths) ? 0 : 1;

  // The running config's signal; it reads back as a number (0: unset).
  // Reboot: lxc.signal.reboot, else SIGINT (init is expected to call
  // reboot(2), which ends it with SIGHUP and makes the monitor start it
  // again). Shutdown: lxc.signal.halt, else SIGRTMIN+3 for an init that
  // blocks it (systemd), else SIGPWR.
  int sig = std::atoi(
      runtime::query_config_item(paths, reboot ? "lxc.signal.reboot" : "lxc.signal.halt").value_or("0").c_str());
  if (sig == 0 && reboot) sig = SIGINT;
  if (sig == 0) sig = init_blocks(*pid, SIGRTMIN + 3) ? SIGRTMIN + 3 : SIGPWR;
  bool already = false;
  UniqueFd waiter =
      wait_for_state(paths, reboot ? runtime::State::running : runtime::State::stopped, &already, reboot);
  if (already) return 0;
  Result<runtime::Client> c = runtime::Client::connect(paths);
  if (!c) return 0;
  Result<runtime::Reply> r = c.value().call(runtime::Cmd::get_init_pidfd);
  if (!r || r.value().fds.empty()) {
    out.error("Failed to get the init pidfd");
    return 1;
  }
  if (::syscall(SYS_pidfd_send_signal, r.value().fds[0].get(), sig, nullptr, 0) != 0) {
    out.error(std::string("Failed to send signal ") + std::to_string(sig) + " to init: " + std::strerror(errno));
    return 1;
  }
  if (t == 0) return 0;
  if (reboot) {
    // The state message says RUNNING; the connection's end without one
    // means the container stopped instead.
    runtime::WireStateMsg msg{};
    if (await(waiter.get(), static_cast<int>(t)) &&
        ::read(waiter.get(), &msg, sizeof msg) == static_cast<ssize_t>(sizeof msg) &&
        msg.value == static_cast<int32_t>(runtime::State::running))
      return 0;
    out.error(paths.name + " did not reboot within " + std::to_string(t) + " seconds");
    return 1;
  }
  if (await(waiter.get(), static_cast<int>(t))) return 0;
  if (nokill) {
    out.error(paths.name + " did not stop within " + std::to_string(t) + " seconds");
    return 1;
  }
  return runtime::stop_hard(paths) ? 0 : 1;
}

}  // namespace corral::cli
