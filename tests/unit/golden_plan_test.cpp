// Golden plans: tests/cases/plan/NNN_name.conf -> NNN_name.plan, the exact
// describe(plan) output, or "error: ..." when make_plan refuses the config.
// The config itself must load without errors.
//
// Comment lines `# plan: WORD...` at the top of a case set the options:
//   name=NAME lxcpath=PATH mode=execute host=unified|hybrid|legacy
//   cap_last_cap=N no-cgroupns no-timens config_file=PATH
//   cmd=ARG... (the rest of the line, split on blanks)
// The default is container 'c1' started on a hybrid host like this one.
// Files named in the config (lxc.mount.fstab) are read from the case
// directory when their path is relative. Run with CORRAL_UPDATE_GOLDEN=1 to
// rewrite the expected files.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/loader.hpp"
#include "exec/plan.hpp"
#include "golden.hpp"
#include "util/strings.hpp"

namespace fs = std::filesystem;
using namespace corral;
using namespace corral::exec;

namespace {

const fs::path kDir = fs::path(CORRAL_CASES_DIR) / "plan";

using corral::testing::read_file;

std::vector<std::string> case_names() { return corral::testing::case_names(kDir, ".conf"); }

HostFacts fake_host(const std::string& kind) {
  HostFacts h;
  h.cap_last_cap = 40;
  if (kind == "unified") {
    h.cgroup_layout = CgroupLayout::unified;
    h.cgroup_hierarchies.push_back({"", true, {"cpuset", "cpu", "io", "memory", "hugetlb", "pids"}, "/", "/"});
    return h;
  }
  h.cgroup_layout = kind == "legacy" ? CgroupLayout::legacy : CgroupLayout::hybrid;
  for (const char* c : {"cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids"})
    h.cgroup_hierarchies.push_back({c, false, {c}, "/", "/"});
  h.cgroup_hierarchies.push_back({"systemd", false, {"name=systemd"}, "/", "/"});
  if (kind != "legacy") h.cgroup_hierarchies.push_back({"unified", true, {"hugetlb"}, "/", "/"});
  return h;
}

/// The options a case asks for in its `# plan:` lines.
PlanOptions case_options(const std::string& text) {
  PlanOptions o;
  o.name = "c1";
  std::string host = "hybrid";
  bool cgroupns = true, timens = true;
  int last_cap = 40;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("# plan:", 0) != 0) continue;
    std::vector<std::string_view> words = split_blanks(std::string_view(line).substr(7));
    for (size_t i = 0; i < words.size(); ++i) {
      std::string w(words[i]);
      std::string value = w.substr(w.find('=') + 1);
      if (w.rfind("name=", 0) == 0)
        o.name = value;
      else if (w.rfind("lxcpath=", 0) == 0)
        o.lxcpath = value;
      else if (w.rfind("config_file=", 0) == 0)
        o.config_file = value;
      else if (w == "mode=execute")
        o.mode = RunMode::execute;
      else if (w.rfind("host=", 0) == 0)
        host = value;
      else if (w.rfind("cap_last_cap=", 0) == 0)
        last_cap = std::stoi(value);
      else if (w == "no-cgroupns")
        cgroupns = false;
      else if (w == "no-timens")
        timens = false;
      else if (w.rfind("cmd=", 0) == 0) {
        o.command.push_back(value);
        for (++i; i < words.size(); ++i) o.command.emplace_back(words[i]);
      } else {
        ADD_FAILURE() << "unknown plan option '" << w << "'";
      }
    }
  }
  o.host = fake_host(host);
  o.host.cap_last_cap = last_cap;
  o.host.cgroup_namespaces = cgroupns;
  o.host.time_namespaces = timens;
  o.read_file = [](const std::string& path) -> Result<std::string> {
    fs::path p = path;
    if (p.is_relative()) p = kDir / p;
    if (!fs::exists(p)) return Error::io("cannot read", path, ENOENT);
    return read_file(p);
  };
  return o;
}

std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string n = info.param;
  for (char& c : n)
    if (!isalnum(static_cast<unsigned char>(c))) c = '_';
  return n;
}

class GoldenPlan : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenPlan, MatchesExpected) {
  std::string file = GetParam() + ".conf";
  std::string text = read_file(kDir / file);
  config::LoadResult loaded = config::load_text(text, file);
  ASSERT_TRUE(loaded.ok()) << loaded.render();
  Result<Plan> plan = make_plan(loaded.config, case_options(text));
  std::string out = plan ? describe(plan.value()) : "error: " + plan.error().render() + "\n";
  fs::path expected = kDir / (GetParam() + ".plan");
  if (std::getenv("CORRAL_UPDATE_GOLDEN")) {
    std::ofstream(expected, std::ios::binary) << out;
    return;
  }
  ASSERT_TRUE(fs::exists(expected)) << expected << " is missing";
  EXPECT_EQ(out, read_file(expected));
}

INSTANTIATE_TEST_SUITE_P(Cases, GoldenPlan, ::testing::ValuesIn(case_names()), test_name);

}  // namespace
