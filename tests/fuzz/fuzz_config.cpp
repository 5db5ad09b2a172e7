// libFuzzer target: the whole config loader (grammar, registry, setters,
// diagnostics rendering, canonical printing) on arbitrary bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  // Includes would read arbitrary host files (a FIFO or /dev/stdin blocks);
  // the include mechanism is covered by the unit and golden tests.
  if (text.find("lxc.include") != std::string_view::npos) return 0;
  corral::config::LoadResult r = corral::config::load_text(text, "fuzz.conf");
  std::string rendered = r.render();
  if (r.ok()) {
    // What show prints must load again without error.
    std::string shown = corral::config::show(r.config);
    corral::config::LoadResult again = corral::config::load_text(shown, "shown.conf");
    if (!again.ok()) __builtin_trap();
  }
  return 0;
}
