// libFuzzer target: the seccomp policy grammar and its checks.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/seccomp_policy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  corral::config::Diagnostics diags;
  corral::config::SourceTable sources;
  corral::config::SeccompPolicy p = corral::config::parse_seccomp_policy(text, "fuzz.policy", diags, sources);
  (void)corral::config::describe(p);
  (void)diags.render(sources);
  return 0;
}
