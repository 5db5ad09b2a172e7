// libFuzzer target: the seccomp policy grammar and its checks.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/seccomp_policy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  corral::config::Diagnostics diags;
  corral::config::SourceTable sources;
  // A rule libseccomp never finishes adding costs the whole budget: one
  // second would leave the fuzzer a few dozen inputs a second.
  static const corral::config::SeccompHost host = [] {
    corral::config::SeccompHost h = corral::config::SeccompHost::current();
    h.add_budget = std::chrono::milliseconds(50);
    return h;
  }();
  corral::config::SeccompPolicy p = corral::config::parse_seccomp_policy(text, "fuzz.policy", diags, sources, host);
  (void)corral::config::describe(p);
  (void)diags.render(sources);
  return 0;
}
