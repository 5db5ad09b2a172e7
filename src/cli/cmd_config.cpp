// corral config check|show|get|keys
#include <algorithm>
#include <iostream>
#include <set>
#include <string_view>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "config/keys.hpp"
#include "config/lint.hpp"
#include "config/loader.hpp"
#include "util/strings.hpp"

namespace corral::cli {

namespace {

/// Prints diagnostics (warnings too) to stderr; true when there was no error.
bool load_and_report(const std::string& path, config::LoadResult& out) {
  out = config::load_file(path);
  if (!out.diagnostics.empty()) std::cerr << out.render();
  return out.ok();
}

int run_check(const std::vector<std::string>& files) {
  int status = 0;
  for (const std::string& f : files) {
    config::LoadResult r;
    if (!load_and_report(f, r)) {
      status = 1;
      continue;
    }
    // What would only fail at start (mount entries, fstab, seccomp policy).
    config::LintResult lint = config::lint(r.config);
    if (!lint.diagnostics.empty()) std::cerr << lint.render();
  }
  return status;
}

int run_show(const std::string& file) {
  config::LoadResult r;
  if (!load_and_report(file, r)) return 1;
  std::cout << config::show(r.config);
  return 0;
}

int run_get(const std::string& file, const std::vector<std::string>& keys) {
  config::LoadResult r;
  if (!load_and_report(file, r)) return 1;
  int status = 0;
  for (const std::string& k : keys) {
    std::optional<std::string> v = config::get_item(r.config, k);
    if (!v) {
      config::Lookup l = config::lookup_key(k);
      std::cerr << "corral config get: " << (l.ok() ? "'" + k + "' cannot be read in this configuration" : l.error);
      for (const std::string& n : l.notes) std::cerr << "; " << n;
      std::cerr << "\n";
      status = 1;
      continue;
    }
    std::cout << *v;
    if (v->empty() || v->back() != '\n') std::cout << '\n';
  }
  return status;
}


/// The entries of a prefix family present in `cfg`, as suffixes (the part
/// after "lxc.sysctl." etc.), each once, in the order they were set.
std::vector<std::string> family_suffixes(const config::Config& cfg, std::string_view prefix) {
  std::vector<std::string> out;
  auto add = [&out](const std::string& s) {
    if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
  };
  auto add_named = [&add](const auto& list) {
    for (const auto& item : list) add(item.value.name);
  };
  if (prefix == "lxc.cgroup") add_named(cfg.cgroup_v1);
  else if (prefix == "lxc.cgroup2") add_named(cfg.cgroup_v2);
  else if (prefix == "lxc.sysctl") add_named(cfg.sysctls);
  else if (prefix == "lxc.proc") add_named(cfg.procs);
  else if (prefix == "lxc.prlimit") {
    for (const config::Prlimit& p : cfg.prlimits) add(p.resource);
  } else if (prefix == "lxc.hook") {
    for (size_t i = 0; i < cfg.hooks.size(); ++i)
      if (!cfg.hooks[i].empty()) add(config::kHookNames[i]);
  } else if (prefix == "lxc.namespace.share") {
    for (size_t i = 0; i < cfg.namespace_share.size(); ++i)
      if (cfg.namespace_share[i].value) add(config::kNamespaceNames[i]);
  }
  return out;
}

/// Every key of this configuration in registry order: the exact keys, for
/// each interface lxc.net.N and its subkeys, and each family entry present.
std::vector<std::string> every_key(const config::Config& cfg) {
  constexpr std::string_view kNetPattern = "lxc.net.[i]";
  std::vector<std::string> out;
  bool net_done = false;
  for (const config::KeySpec& k : config::all_keys()) {
    switch (k.shape) {
      case config::KeyShape::exact:
        out.emplace_back(k.name);
        break;
      case config::KeyShape::family:
        for (const std::string& s : family_suffixes(cfg, k.prefix)) out.push_back(std::string(k.prefix) + "." + s);
        break;
      case config::KeyShape::net:
        // All interfaces at the place of the first net key, interface by
        // interface.
        if (net_done) break;
        net_done = true;
        for (const auto& [index, dev] : cfg.net) {
          std::string base = "lxc.net." + std::to_string(index);
          for (const config::KeySpec& n : config::all_keys()) {
            if (n.shape != config::KeyShape::net) continue;
            out.push_back(base + std::string(n.name.substr(kNetPattern.size())));
          }
        }
        break;
    }
  }
  return out;
}

/// `config get --json [--all]`: one JSON object, KEY -> value or null.
int run_get_json(const std::string& file, const std::vector<std::string>& requested, bool all) {
  config::LoadResult r;
  if (!load_and_report(file, r)) return 1;
  std::vector<std::string> keys;
  std::set<std::string, std::less<>> seen;
  // With --all, keys that cannot be read are left out; keys asked for by
  // name are always printed, as null when they cannot be read.
  std::vector<std::pair<std::string, bool>> wanted;  // key, print null
  if (all) {
    for (std::string& k : every_key(r.config)) wanted.emplace_back(std::move(k), false);
  }
  for (const std::string& k : requested) wanted.emplace_back(k, true);
  std::string out = "{";
  for (const auto& [key, show_null] : wanted) {
    if (!seen.insert(key).second) continue;
    std::optional<std::string> v = config::get_item(r.config, key);
    if (!v && !show_null) continue;
    out += out.size() == 1 ? "\n  " : ",\n  ";
    out += json_quote(key);
    out += ": ";
    out += v ? json_quote(*v) : "null";
  }
  out += out.size() == 1 ? "}\n" : "\n}\n";
  std::cout << out;
  return 0;
}

int run_keys(bool scdoc) {
  std::string_view section;
  for (const config::KeySpec& k : config::all_keys()) {
    if (!scdoc) {
      std::cout << k.name << "\n    " << k.summary << "\n";
      continue;
    }
    // A fragment appended to man/corral.conf.5.scd at build time.
    if (k.section != section) {
      section = k.section;
      std::cout << "\n## " << section << "\n\n";
    }
    // '*', '_' and '\' are markup in scdoc ("every *.conf file"); escape them.
    auto esc = [](std::string_view s) {
      std::string o;
      for (char ch : s) o += (ch == '*' || ch == '_' || ch == '\\') ? std::string{'\\', ch} : std::string{ch};
      return o;
    };
    std::cout << "*" << esc(k.name) << "*\n\t" << esc(k.summary) << ".";
    if (k.example.empty()) std::cout << " Only an empty value is valid.\n\n";
    else std::cout << "\n\n\tExample: _" << esc(k.example) << "_\n\n";
  }
  return 0;
}

}  // namespace

void add_config_command(CLI::App& app, int* status) {
  CLI::App* cmd = app.add_subcommand("config", "check, print and query LXC configuration files");
  cmd->require_subcommand(1);

  auto files = std::make_shared<std::vector<std::string>>();
  CLI::App* check = cmd->add_subcommand("check", "report every error and warning in FILE...; exit 1 if any error");
  check->add_option("FILE", *files, "configuration files")->required();
  check->callback([files, status] { *status = run_check(*files); });

  auto show_file = std::make_shared<std::string>();
  CLI::App* show = cmd->add_subcommand("show", "print the effective configuration (includes expanded)");
  show->add_option("FILE", *show_file, "configuration file")->required();
  show->callback([show_file, status] { *status = run_show(*show_file); });

  auto get_file = std::make_shared<std::string>();
  auto get_keys = std::make_shared<std::vector<std::string>>();
  auto get_json = std::make_shared<bool>(false);
  auto get_all = std::make_shared<bool>(false);
  CLI::App* get = cmd->add_subcommand("get", "print the value of each KEY as LXC reads it back");
  get->add_option("FILE", *get_file, "configuration file")->required();
  get->add_option("KEY", *get_keys, "keys to print");
  CLI::Option* json = get->add_flag("--json", *get_json,
                                    "print one JSON object mapping each KEY to its value, or to null when the key "
                                    "cannot be read; exit 0 once the file loads");
  get->add_flag("--all", *get_all,
                "with --json: add every readable key of this configuration (the exact keys, lxc.net.N and its "
                "subkeys for each interface, each family entry such as lxc.sysctl.NAME)")
      ->needs(json);
  get->callback([get_file, get_keys, get_json, get_all, status] {
    if (get_keys->empty() && !*get_all) throw CLI::ValidationError("KEY", "give at least one KEY, or --json --all");
    *status = *get_json ? run_get_json(*get_file, *get_keys, *get_all) : run_get(*get_file, *get_keys);
  });

  auto scdoc = std::make_shared<bool>(false);
  CLI::App* keys = cmd->add_subcommand("keys", "list every configuration key with a one-line description");
  keys->add_flag("--scdoc", *scdoc, "print the key reference of corral.conf(5) in scdoc syntax");
  keys->callback([scdoc, status] { *status = run_keys(*scdoc); });
}

}  // namespace corral::cli
