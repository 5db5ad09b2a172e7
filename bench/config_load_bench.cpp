// Loads the generated 100,000-line benchmark config (bench/gen_config.py),
// and a small realistic one, through the whole loader; and seccomp policies
// whose argument rules make every add a rehearsed one.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "config/loader.hpp"
#include "config/seccomp_policy.hpp"

namespace {

std::string bench_file() {
  const char* env = std::getenv("CORRAL_BENCH_CONFIG");
  std::string path = env ? env : "/tmp/corral-bench.conf";
  if (!std::filesystem::exists(path)) {
    std::string cmd = "python3 " CORRAL_SOURCE_DIR "/bench/gen_config.py " + path;
    if (std::system(cmd.c_str()) != 0) std::abort();
  }
  return path;
}

void BM_LoadLargeConfig(benchmark::State& state) {
  std::string path = bench_file();
  for (auto _ : state) {
    corral::config::LoadResult r = corral::config::load_file(path);
    if (!r.ok()) state.SkipWithError("benchmark config did not load");
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(std::filesystem::file_size(path)));
}
BENCHMARK(BM_LoadLargeConfig)->Unit(benchmark::kMillisecond);

void BM_LoadSmallConfig(benchmark::State& state) {
  const std::string text =
      "lxc.uts.name = c1\nlxc.rootfs.path = dir:/var/lib/lxc/c1/rootfs\n"
      "lxc.mount.auto = proc:mixed sys:ro cgroup:mixed\nlxc.autodev = 1\n"
      "lxc.mount.entry = tmpfs run tmpfs rw,nosuid,nodev,mode=755 0 0\n"
      "lxc.environment = TERM=linux\nlxc.tty.max = 4\nlxc.pty.max = 1024\n";
  for (auto _ : state) {
    corral::config::LoadResult r = corral::config::load_text(text, "small.conf");
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_LoadSmallConfig);

/// A denylist with N argument rules for ioctl: from the second on, each is
/// an add libseccomp might never finish, so each is tried in a forked copy.
void BM_ParseSeccompArgumentRules(benchmark::State& state) {
  std::string text = "2\ndenylist\n";
  for (int64_t i = 0; i < state.range(0); ++i) text += "ioctl errno 1 [1," + std::to_string(0x5400 + i) + ",==]\n";
  for (auto _ : state) {
    corral::config::Diagnostics diags;
    corral::config::SourceTable sources;
    corral::config::SeccompPolicy p = corral::config::parse_seccomp_policy(text, "bench.policy", diags, sources);
    if (diags.error_count() != 0) state.SkipWithError("benchmark policy did not parse");
    benchmark::DoNotOptimize(p);
  }
}
BENCHMARK(BM_ParseSeccompArgumentRules)->Arg(2)->Arg(20)->Arg(200)->Unit(benchmark::kMillisecond);

}  // namespace
