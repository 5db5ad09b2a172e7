// lxc-ls / `corral ls` (spec/cli.md §9): the containers of an lxcpath,
// defined (a directory with a config) or active (a monitor answers), with
// filters and the fancy table. `corral ls --format json` prints a list.
#include <getopt.h>
#include <regex.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
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

struct Row {
  std::string name;
  runtime::State state = runtime::State::stopped;
  std::optional<pid_t> pid;
  bool defined = false;
  bool active = false;
  std::vector<std::string> groups;
  bool autostart = false;
  bool unprivileged = false;
  std::optional<uint64_t> ram, swap;
  exec::ContainerNetwork net;  // --fancy, running only
};

const std::vector<std::string> kColumns = {"NAME",   "STATE",     "PID",  "RAM",  "SWAP",        "AUTOSTART",
                                           "GROUPS", "INTERFACE", "IPV4", "IPV6", "UNPRIVILEGED"};

std::string cell(const Row& r, const std::string& col) {
  auto mb = [](const std::optional<uint64_t>& v) {
    if (!v) return std::string("-");
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2fMB", *v / (1024.0 * 1024));
    return std::string(buf);
  };
  bool running = r.state != runtime::State::stopped;
  if (col == "NAME") return r.name;
  if (col == "STATE") return runtime::state_name(r.state);
  if (col == "PID") return running && r.pid ? std::to_string(*r.pid) : "-";
  if (col == "RAM") return running ? mb(r.ram) : "-";
  if (col == "SWAP") return running ? mb(r.swap) : "-";
  if (col == "AUTOSTART") return r.autostart ? "1" : "0";
  if (col == "GROUPS") return r.groups.empty() ? "-" : join(r.groups, ", ");
  auto list = [](const std::vector<std::string>& v) { return v.empty() ? std::string("-") : join(v, ", "); };
  if (col == "INTERFACE") return running ? list(r.net.interfaces) : "-";
  if (col == "IPV4") return running ? list(r.net.ipv4) : "-";
  if (col == "IPV6") return running ? list(r.net.ipv6) : "-";
  if (col == "UNPRIVILEGED") return r.unprivileged ? "true" : "false";
  return "-";
}

}  // namespace

int lxc_ls_main(const std::string& prog, const std::vector<std::string>& args) {
  bool one = false, fancy = false, active = false, running = false, frozen = false, stopped = false, defined = false;
  std::string columns = "NAME,STATE,AUTOSTART,GROUPS,IPV4,IPV6,UNPRIVILEGED";
  std::vector<std::string> want_groups;
  bool groups_given = false;
  std::string filter;
  bool corral_verb = prog.compare(0, 4, "lxc-") != 0;
  OutputFormat format;
  LxcTool tool{prog, "[-1] [-f] [-F COLUMNS] [--active] [--running] [--frozen] [--stopped] [--defined] [REGEX]",
               prog + " lists containers", {}, {}};
  tool.options = {{"line", '1', no_argument, "list one container per line"},
                  {"fancy", 'f', no_argument, "use a fancy, column-based output"},
                  {"fancy-format", 'F', required_argument, "comma separated list of columns to show"},
                  {"active", 0, no_argument, "list only active containers"},
                  {"running", 0, no_argument, "list only running containers"},
                  {"frozen", 0, no_argument, "list only frozen containers"},
                  {"stopped", 0, no_argument, "list only stopped containers"},
                  {"defined", 0, no_argument, "list only defined containers"},
                  {"nesting", 0, optional_argument, "list nested containers up to NUM levels (not supported)"},
                  {"groups", 'g', required_argument, "comma separated list of groups a container must have"},
                  {"filter", 0, required_argument, "filter container names by REGEX"}};
  if (corral_verb) format.offer(tool);
  tool.on_option = [&](char s, const char* l, const char* arg) {
    std::string lname = l;
    if (s == '1') one = true;
    else if (s == 'f') fancy = true;
    else if (s == 'F') columns = arg;
    else if (s == 'g') {
      groups_given = true;
      for (std::string_view g : split(arg, ','))
        if (!g.empty()) want_groups.emplace_back(g);
    }
    else if (lname == "active") active = true;
    else if (lname == "running") running = true;
    else if (lname == "frozen") frozen = true;
    else if (lname == "stopped") stopped = true;
    else if (lname == "defined") defined = true;
    else if (lname == "filter") filter = arg;
    else format.take(l, arg);
    return true;
  };
  LxcCommon common;
  if (std::optional<int> done = parse_lxc_args(tool, args, common)) return *done;
  if (std::optional<int> done = format.check(prog)) return *done;
  // lxc-ls takes no name (-n is ignored): one non-option argument, and
  // only one, is a filter.
  std::vector<std::string> positional = common.rest;
  if (common.name && !common.name_by_option) positional.insert(positional.begin(), *common.name);
  if (positional.size() == 1 && filter.empty()) filter = positional.front();
  std::string lxcpath = runtime::normalize_lxcpath(common.lxcpath);

  std::vector<std::string> names = runtime::defined_containers(lxcpath);
  std::vector<std::string> live = runtime::active_containers(lxcpath);
  for (const std::string& n : live)
    if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
  std::sort(names.begin(), names.end());

  regex_t re;
  bool use_re = !filter.empty();
  if (use_re && ::regcomp(&re, filter.c_str(), REG_EXTENDED | REG_NOSUB) != 0) return 0;  // matches nothing, as LXC
  std::vector<Row> rows;
  exec::HostFacts host;
  bool probed = false;
  for (const std::string& n : names) {
    if (use_re && ::regexec(&re, n.c_str(), 0, nullptr, 0) != 0) continue;
    Row r;
    r.name = n;
    runtime::ContainerPaths paths{lxcpath, n};
    r.active = std::find(live.begin(), live.end(), n) != live.end();
    r.defined = ::access(paths.config().c_str(), F_OK) == 0;
    if (r.active) {
      r.state = runtime::query_state(paths);
      r.pid = runtime::query_init_pid(paths);
    }
    if (r.active) {
      // A running container's own values, as LXC asks for them: -s and a
      // changed file do not show otherwise.
      std::string groups = runtime::query_config_item(paths, "lxc.group").value_or("");
      for (std::string_view g : split(groups, '\n'))
        if (!g.empty()) r.groups.emplace_back(g);
      r.autostart = runtime::query_config_item(paths, "lxc.start.auto").value_or("0") == "1";
      r.unprivileged = runtime::query_config_item(paths, "lxc.idmap").has_value();
    } else if (r.defined) {
      config::LoadResult cfg = config::load_file(paths.config());
      for (const auto& g : cfg.config.groups) r.groups.push_back(g.value);
      r.autostart = cfg.config.start_auto.value;
      r.unprivileged = !cfg.config.idmaps.empty();
    }
    if (fancy && r.pid) {
      if (!probed) host = exec::probe_host(), probed = true;
      if (Result<exec::ContainerCgroups> cg = exec::ContainerCgroups::for_pid(host, *r.pid)) {
        exec::ContainerCgroups::Stats st = cg.value().stats();
        r.ram = st.memory_bytes;
        r.swap = st.swap_bytes.value_or(0);  // no swap line (no swap accounting): 0, as LXC
      }
      if (Result<exec::ContainerNetwork> net = exec::inspect_container_network(*r.pid)) r.net = std::move(net.value());
    }
    if (active && !r.active) continue;
    if (running && r.state == runtime::State::stopped) continue;
    if (frozen && r.state != runtime::State::frozen) continue;
    if (stopped && r.state != runtime::State::stopped) continue;
    if (defined && !r.defined) continue;
    // With -g, a container without groups is left out (even for -g '').
    bool groups_ok = !(groups_given && r.groups.empty()) &&
                     std::all_of(want_groups.begin(), want_groups.end(), [&](const std::string& g) {
                       return std::find(r.groups.begin(), r.groups.end(), g) != r.groups.end();
                     });
    if (!groups_ok) continue;
    rows.push_back(std::move(r));
  }
  if (use_re) ::regfree(&re);

  if (format.json) {
    std::string out = "[";
    for (size_t i = 0; i < rows.size(); ++i) {
      const Row& r = rows[i];
      out += i ? ", " : "";
      out += "{\"name\": " + json_quote(r.name) + ", \"state\": " + json_quote(runtime::state_name(r.state)) + ", \"pid\": " +
             (r.pid ? std::to_string(*r.pid) : "null") + ", \"autostart\": " + (r.autostart ? "true" : "false") +
             ", \"groups\": [";
      for (size_t g = 0; g < r.groups.size(); ++g) out += (g ? ", " : "") + json_quote(r.groups[g]);
      out += std::string("], \"unprivileged\": ") + (r.unprivileged ? "true" : "false") + "}";
    }
    std::cout << out << "]\n";
    return 0;
  }
  if (fancy) {
    std::vector<std::string> cols;
    for (std::string_view c : split(columns, ',')) {
      std::string upper = to_lower(c);
      for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      if (std::find(kColumns.begin(), kColumns.end(), upper) == kColumns.end()) {
        std::cerr << "Invalid key: " << c << "\n";
        return 0;
      }
      cols.push_back(upper);
    }
    std::vector<size_t> width;
    for (const std::string& c : cols) {
      size_t w = c.size();
      // LXC sizes RAM and SWAP by the value of every row, a stopped
      // container's counting as 0.00MB though it shows '-'.
      if ((c == "RAM" || c == "SWAP") && !rows.empty()) w = std::max(w, std::string("0.00MB").size());
      for (const Row& r : rows) w = std::max(w, cell(r, c).size());
      width.push_back(w);
    }
    auto print_row = [&](auto value_of) {
      std::string out;
      for (size_t i = 0; i < cols.size(); ++i) {
        std::string v = value_of(cols[i]);
        out += v + std::string(width[i] - v.size(), ' ') + " ";
      }
      std::cout << out << "\n";
    };
    print_row([](const std::string& c) { return c; });
    for (const Row& r : rows) print_row([&](const std::string& c) { return cell(r, c); });
    return 0;
  }
  if (one) {
    for (const Row& r : rows) std::cout << r.name << "\n";
    return 0;
  }
  // LXC's columns: each name padded to the longest, a blank between, a new
  // line when the next would reach the terminal's width. Without a
  // terminal the width is 0: one padded name per line.
  size_t longest = 0;
  for (const Row& r : rows) longest = std::max(longest, r.name.size());
  size_t term_width = 0;
  for (int fd : {1, 2, 0}) {
    struct winsize ws {};
    if (::ioctl(fd, TIOCGWINSZ, &ws) == 0) {
      term_width = ws.ws_col;
      break;
    }
  }
  std::string out;
  size_t len = 0;
  for (const Row& r : rows) {
    out += r.name + std::string(longest - r.name.size(), ' ');
    len += longest;
    if (len + longest >= term_width) {
      out += '\n';
      len = 0;
    } else {
      out += ' ';
      ++len;
    }
  }
  if (len > 0) out += '\n';
  std::cout << out;
  return 0;
}

}  // namespace corral::cli
