// Golden cases: every tests/cases/config/NAME.conf is loaded from inside
// that directory; NAME.out holds the exact `config show` output (valid
// files) and NAME.err the exact rendered diagnostics (absent: none). Run
// with CORRAL_UPDATE_GOLDEN=1 to rewrite the expected files.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/loader.hpp"
#include "golden.hpp"

namespace fs = std::filesystem;

namespace {

using corral::testing::read_file;
using corral::testing::write_file;

std::vector<std::string> case_names() {
  return corral::testing::case_names(fs::path(CORRAL_CASES_DIR) / "config", ".conf");
}

class GoldenConfig : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenConfig, MatchesExpected) {
  fs::path dir = fs::path(CORRAL_CASES_DIR) / "config";
  fs::path old = fs::current_path();
  fs::current_path(dir);
  setenv("CORRAL_GOLDEN_VAR", "from-env", 1);
  corral::config::LoadResult r = corral::config::load_file(GetParam() + ".conf");
  fs::current_path(old);

  // Messages that name the working directory (relative includes) must not
  // depend on where the checkout lives.
  std::string err = r.render();
  for (size_t at; (at = err.find(dir.string())) != std::string::npos;) err.replace(at, dir.string().size(), "$CASES");
  std::string out = r.ok() ? corral::config::show(r.config) : "";
  fs::path err_file = dir / (GetParam() + ".err");
  fs::path out_file = dir / (GetParam() + ".out");
  if (std::getenv("CORRAL_UPDATE_GOLDEN")) {
    if (err.empty()) fs::remove(err_file);
    else write_file(err_file, err);
    if (r.ok()) write_file(out_file, out);
    else fs::remove(out_file);
    return;
  }
  EXPECT_EQ(err, fs::exists(err_file) ? read_file(err_file) : "");
  if (r.ok()) {
    ASSERT_TRUE(fs::exists(out_file)) << out_file << " is missing";
    EXPECT_EQ(out, read_file(out_file));
    // The canonical form loads back to the same canonical form.
    corral::config::LoadResult again = corral::config::load_text(out, "shown.conf");
    EXPECT_TRUE(again.ok()) << again.render();
    EXPECT_EQ(corral::config::show(again.config), out);
  } else {
    EXPECT_FALSE(fs::exists(out_file)) << out_file << " exists but the file is rejected";
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, GoldenConfig, ::testing::ValuesIn(case_names()),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n)
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

}  // namespace
