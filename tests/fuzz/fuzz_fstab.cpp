// libFuzzer target: the fstab grammar, as a whole file and as single
// lxc.mount.entry values.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/fstab.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  corral::config::Diagnostics diags;
  corral::config::SourceTable sources;
  for (const corral::config::MountEntry& e : corral::config::parse_fstab(text, "fuzz.fstab", diags, sources))
    (void)corral::config::describe(e);
  (void)diags.render(sources);
  std::string_view first_line = text.substr(0, text.find('\n'));
  try {
    std::vector<corral::config::ValueError> warnings;
    (void)corral::config::parse_mount_entry(first_line, &warnings);
  } catch (const corral::config::ValueError&) {
  }
  return 0;
}
