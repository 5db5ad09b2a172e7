// Loading a configuration: files, lxc.include, and single items. Errors are
// collected, never thrown: a bad file is rejected as a whole with every
// problem reported.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "config/diagnostics.hpp"

namespace corral::config {

struct LoadResult {
  Config config;
  Diagnostics diagnostics;
  bool ok() const { return diagnostics.error_count() == 0; }
  std::string render() const { return diagnostics.render(config.sources); }
};

/// Reads `path` (and what it includes) into a fresh Config.
LoadResult load_file(const std::string& path);
/// Reads more lines into an existing Config, as if appended to it.
void load_file_into(Config& cfg, Diagnostics& diags, const std::string& path);
/// Parses `text` as if it were the contents of a file called `name`.
LoadResult load_text(std::string_view text, const std::string& name);

/// Sets one key as `lxc-start -s KEY=VALUE` does; false (and diagnostics)
/// when the key or the value is not valid.
bool set_item(Config& cfg, std::string_view key, std::string_view value, Diagnostics& diags);

/// The canonical read-back of a key (LXC's get_config_item); std::nullopt
/// when the key is unknown or cannot be read in this configuration.
std::optional<std::string> get_item(const Config& cfg, std::string_view key);

/// The effective configuration as `key = value` lines that load back into
/// the same model.
std::string show(const Config& cfg);

}  // namespace corral::config
