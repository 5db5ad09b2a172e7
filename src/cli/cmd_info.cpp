// lxc-info / `corral info` (spec/cli.md §4): config items from the loaded
// config (-c), and state, init pid, IPs and cgroup statistics from the
// running container. `corral info --format json` prints the same as JSON.
#include <getopt.h>
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/container_args.hpp"
#include "config/loader.hpp"
#include "exec/cgroup.hpp"
#include "exec/net.hpp"
#include "runtime/commands.hpp"
#include "util/strings.hpp"

namespace corral::cli {

namespace {

void line(const std::string& label, const std::string& value) { std::printf("%-15s %s\n", label.c_str(), value.c_str()); }

/// The traffic of one network interface of a running container, read on
/// its host side, as LXC's lxc-info prints it.
struct LinkStats {
  std::string name;  // the host end of a veth, else the link
  uint64_t host_rx = 0, host_tx = 0;
};

uint64_t read_counter(const std::string& path) {
  std::ifstream in(path);
  uint64_t v = 0;
  in >> v;
  return v;
}

/// One entry per lxc.net.N of the running container, in order, until one
/// has no interface on the host (LXC's print_net_stats stops there too).
std::vector<LinkStats> link_stats(const runtime::ContainerPaths& paths) {
  std::vector<LinkStats> out;
  for (int index = 0;; ++index) {
    std::string key = "lxc.net." + std::to_string(index);
    std::optional<std::string> type = runtime::query_config_item(paths, key + ".type");
    if (!type) break;
    std::optional<std::string> name = runtime::query_config_item(paths, key + (*type == "veth" ? ".veth.pair" : ".link"));
    if (!name) break;
    std::string dir = "/sys/class/net/" + *name + "/statistics/";
    out.push_back({*name, read_counter(dir + "rx_bytes"), read_counter(dir + "tx_bytes")});
  }
  return out;
}

std::string humanize(uint64_t bytes) {
  char buf[64];
  if (bytes <= 1024) {
    std::snprintf(buf, sizeof buf, "%llu bytes", static_cast<unsigned long long>(bytes));
  } else if (bytes <= 1024ULL * 1024) {
    std::snprintf(buf, sizeof buf, "%.2f KiB", bytes / 1024.0);
  } else if (bytes <= 1024ULL * 1024 * 1024) {
    std::snprintf(buf, sizeof buf, "%.2f MiB", bytes / (1024.0 * 1024));
  } else {
    std::snprintf(buf, sizeof buf, "%.2f GiB", bytes / (1024.0 * 1024 * 1024));
  }
  return buf;
}


}  // namespace

int lxc_info_main(const std::string& prog, const std::vector<std::string>& args) {
  std::vector<std::string> keys;
  bool humanize_values = true, want_state = false, want_pid = false, want_ips = false, want_stats = false;
  bool corral_verb = prog.compare(0, 4, "lxc-") != 0;
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
  OutputFormat format;
  if (corral_verb) format.offer(tool);
  tool.on_option = [&](char s, const char* l, const char* arg) {
    if (s == 'c') keys.emplace_back(arg);
    else if (s == 'H') humanize_values = false;
    else if (s == 's') want_state = true;
    else if (s == 'p') want_pid = true;
    else if (s == 'i') want_ips = true;
    else if (s == 'S') want_stats = true;
    else format.take(l, arg);
    return true;
  };
  LxcCommon common;
  if (std::optional<int> done = parse_lxc_args_named(tool, args, common)) return *done;
  if (std::optional<int> done = format.check(prog)) return *done;
  const std::string& name = *common.name;
  runtime::ContainerPaths paths = container_paths(common);
  std::string path = config_path(common);
  struct stat st {};
  bool defined = ::stat(path.c_str(), &st) == 0;
  std::optional<pid_t> pid = runtime::query_init_pid(paths);
  runtime::State state = pid ? runtime::query_state(paths) : runtime::State::stopped;
  if (!defined && !pid) {
    std::cerr << name << " doesn't exist\n";
    return 1;
  }

  // -c KEY: read from the configuration file (as LXC's, the running
  // container's own values are not asked for), printed after the rest; a
  // container without a file (started with -f) has no value for any key.
  std::optional<config::LoadResult> config;
  if (!keys.empty() && defined) {
    config = config::load_file(path);
    if (!config->ok()) {
      if (!common.quiet) std::cerr << config->render();
      std::cerr << "Failed to load config for " << name << "\n"
                << "Failure to retrieve information on " << common.lxcpath << ":" << name << "\n";
      return 1;
    }
  }
  auto print_keys = [&] {
    for (const std::string& key : keys) {
      std::optional<std::string> v = config ? config::get_item(config->config, key) : std::nullopt;
      if (!v) {
        std::cout.flush();
        std::cerr << key << " invalid\n";
        continue;
      }
      if (!humanize_values && keys.size() == 1) std::cout << *v << "\n";
      else if (v->empty()) std::cout << key << " =\n";  // LXC prints no trailing blank
      else std::cout << key << " = " << *v << "\n";
    }
    std::cout.flush();
  };
  bool all = !want_state && !want_pid && !want_ips && !want_stats && keys.empty();
  if (all) want_state = want_pid = want_ips = want_stats = true;

  std::optional<exec::ContainerCgroups::Stats> stats;
  if (want_stats && pid) {
    Result<exec::ContainerCgroups> cg = exec::ContainerCgroups::for_pid(exec::probe_host(), *pid);
    if (cg) stats = cg.value().stats();
  }

  std::vector<LinkStats> links;
  if (want_stats && pid) links = link_stats(paths);

  std::vector<std::string> ips;
  if (want_ips && pid) {
    // IPv4 first, then IPv6, as LXC's get_ips lists them.
    if (Result<exec::ContainerNetwork> found = exec::inspect_container_network(*pid)) {
      ips = std::move(found.value().ipv4);
      ips.insert(ips.end(), found.value().ipv6.begin(), found.value().ipv6.end());
    }
  }

  if (format.json) {
    std::string out = "{\"name\": " + json_quote(name) + ", \"state\": " + json_quote(runtime::state_name(state));
    out += ", \"pid\": " + (pid ? std::to_string(*pid) : std::string("null"));
    std::vector<std::string> quoted_ips;
    for (const std::string& ip : ips) quoted_ips.push_back(json_quote(ip));
    out += ", \"ips\": [" + join(quoted_ips, ", ") + "]";
    if (want_stats && pid) {
      std::vector<std::string> items;
      for (const LinkStats& l : links)
        items.push_back("{\"link\": " + json_quote(l.name) + ", \"tx_bytes\": " + std::to_string(l.host_rx) +
                        ", \"rx_bytes\": " + std::to_string(l.host_tx) + "}");
      out += ", \"links\": [" + join(items, ", ") + "]";
    }
    if (stats) {
      auto num = [](const std::optional<uint64_t>& v) { return v ? std::to_string(*v) : std::string("null"); };
      out += ", \"stats\": {\"cpu_ns\": " + num(stats->cpu_ns) + ", \"blkio_bytes\": " + num(stats->blkio_bytes) +
             ", \"memory_bytes\": " + num(stats->memory_bytes) + ", \"kmem_bytes\": " + num(stats->kmem_bytes) + "}";
    }
    std::cout << out << "}\n";
    return 0;
  }

  // -H with exactly one of -s/-p/-i (-S counts as five; -c not at all):
  // the bare value.
  int selected = (want_state ? 1 : 0) + (want_pid ? 1 : 0) + (want_ips ? 1 : 0) + (want_stats ? 5 : 0);
  bool bare = !humanize_values && selected == 1;
  if (all) std::printf("%-15s %s\n", "Name:", name.c_str());
  if (want_state) {
    if (bare) std::printf("%s\n", runtime::state_name(state));
    else line("State:", runtime::state_name(state));
  }
  if (want_pid && pid) {
    if (bare) std::printf("%d\n", *pid);
    else line("PID:", std::to_string(*pid));
  }
  for (const std::string& ip : ips) {
    if (bare) std::printf("%s\n", ip.c_str());
    else line("IP:", ip);
  }
  if (stats) {
    auto size = [&](const char* label, const std::optional<uint64_t>& v) {
      if (!v) return;
      line(label, humanize_values ? humanize(*v) : std::to_string(*v));
    };
    if (stats->cpu_ns) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.2f seconds", *stats->cpu_ns / 1e9);
      line("CPU use:", humanize_values ? buf : std::to_string(*stats->cpu_ns));
    }
    size("BlkIO use:", stats->blkio_bytes);
    size("Memory use:", stats->memory_bytes);
    size("KMem use:", stats->kmem_bytes);
  }
  for (const LinkStats& l : links) {
    // What the host end receives the container sent: LXC prints the
    // counters the other way round, from the container's point of view.
    auto bytes = [&](uint64_t v) { return humanize_values ? humanize(v) : std::to_string(v); };
    line("Link:", l.name);
    line(" TX bytes:", bytes(l.host_rx));
    line(" RX bytes:", bytes(l.host_tx));
    line(" Total bytes:", bytes(l.host_rx + l.host_tx));
  }
  std::fflush(stdout);
  print_keys();
  return 0;
}

}  // namespace corral::cli
