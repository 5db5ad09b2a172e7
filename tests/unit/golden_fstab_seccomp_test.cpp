// Golden cases for the two line-oriented sublanguages:
//   tests/cases/fstab/NAME.fstab     lxc.mount.fstab files
//   tests/cases/seccomp/NAME.policy  seccomp policies, read for an x86_64 host
//                                    (NAME@MACHINE.policy: for that `uname -m`)
// NAME.out holds the canonical dump of what was parsed (only when there is
// no error), NAME.err the exact rendered diagnostics (absent: none). Run with
// CORRAL_UPDATE_GOLDEN=1 to rewrite the expected files.
#include <gtest/gtest.h>
#include <seccomp.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/fstab.hpp"
#include "config/seccomp_policy.hpp"
#include "golden.hpp"

namespace fs = std::filesystem;
using namespace corral::config;

namespace {

using corral::testing::read_file;
using corral::testing::write_file;

std::vector<std::string> case_names(const char* dir, const char* ext) {
  return corral::testing::case_names(fs::path(CORRAL_CASES_DIR) / dir, ext);
}

using corral::testing::check_golden;
using corral::testing::test_name;

class GoldenFstab : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenFstab, MatchesExpected) {
  fs::path dir = fs::path(CORRAL_CASES_DIR) / "fstab";
  std::string file = GetParam() + ".fstab";
  Diagnostics diags;
  SourceTable sources;
  std::vector<MountEntry> entries = parse_fstab(read_file(dir / file), file, diags, sources);
  std::string out;
  for (const MountEntry& e : entries)
    out += std::to_string(e.origin.line) + ":" + std::to_string(e.origin.col) + " " + describe(e) + "\n";
  check_golden(dir, GetParam(), diags.error_count() == 0, out, diags.render(sources));
}

INSTANTIATE_TEST_SUITE_P(Cases, GoldenFstab, ::testing::ValuesIn(case_names("fstab", ".fstab")), test_name);

class GoldenSeccomp : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenSeccomp, MatchesExpected) {
  // Syscall numbers and ABIs in the expected files are those of x86_64.
  if (seccomp_arch_native() != SCMP_ARCH_X86_64) GTEST_SKIP() << "the seccomp cases are written for x86_64";
  fs::path dir = fs::path(CORRAL_CASES_DIR) / "seccomp";
  std::string file = GetParam() + ".policy";
  std::string text = read_file(dir / file);
  // libseccomp accepts 'notify' only where the kernel offers it (API level 5).
  if (text.find("notify") != std::string::npos && seccomp_api_get() < 5)
    GTEST_SKIP() << "this system has no seccomp user notification";
  Diagnostics diags;
  SourceTable sources;
  size_t at = GetParam().find('@');
  SeccompHost host{at == std::string::npos ? "x86_64" : GetParam().substr(at + 1)};
  SeccompPolicy p = parse_seccomp_policy(text, file, diags, sources, host);
  check_golden(dir, GetParam(), diags.error_count() == 0, describe(p), diags.render(sources));
}

INSTANTIATE_TEST_SUITE_P(Cases, GoldenSeccomp, ::testing::ValuesIn(case_names("seccomp", ".policy")), test_name);

}  // namespace
