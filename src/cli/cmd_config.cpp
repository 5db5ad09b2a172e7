// corral config check|show|get|keys
#include <iostream>

#include "cli/commands.hpp"
#include "config/keys.hpp"
#include "config/loader.hpp"

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
    if (!load_and_report(f, r)) status = 1;
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
    std::cout << "*" << k.name << "*\n\t" << k.summary << ". Example: _" << k.example << "_\n\n";
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
  CLI::App* get = cmd->add_subcommand("get", "print the value of each KEY as LXC reads it back");
  get->add_option("FILE", *get_file, "configuration file")->required();
  get->add_option("KEY", *get_keys, "keys to print")->required();
  get->callback([get_file, get_keys, status] { *status = run_get(*get_file, *get_keys); });

  auto scdoc = std::make_shared<bool>(false);
  CLI::App* keys = cmd->add_subcommand("keys", "list every configuration key with a one-line description");
  keys->add_flag("--scdoc", *scdoc, "print the key reference of corral.conf(5) in scdoc syntax");
  keys->callback([scdoc, status] { *status = run_keys(*scdoc); });
}

}  // namespace corral::cli
