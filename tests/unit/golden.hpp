// What the golden-case tests share: reading and writing expected files, and
// finding the cases of a directory.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace corral::testing {

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void write_file(const std::filesystem::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
}

/// The stems of the files in `dir` ending in `ext` (".conf"), sorted;
/// NAME.inc.conf files are included by other cases, not cases themselves.
inline std::vector<std::string> case_names(const std::filesystem::path& dir, std::string_view ext) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    std::string stem = e.path().stem().string();
    if (e.path().extension() == ext && stem.find(".inc") == std::string::npos) names.push_back(stem);
  }
  std::sort(names.begin(), names.end());
  return names;
}

/// Compares (or, with CORRAL_UPDATE_GOLDEN set, writes) NAME.out, the dump
/// of what was read when it had no error, and NAME.err, the rendered
/// diagnostics (absent: none).
inline void check_golden(const std::filesystem::path& dir, const std::string& name, bool ok, const std::string& out,
                         const std::string& err) {
  namespace fs = std::filesystem;
  fs::path err_file = dir / (name + ".err");
  fs::path out_file = dir / (name + ".out");
  if (std::getenv("CORRAL_UPDATE_GOLDEN")) {
    if (err.empty()) fs::remove(err_file);
    else write_file(err_file, err);
    if (ok) write_file(out_file, out);
    else fs::remove(out_file);
    return;
  }
  EXPECT_EQ(err, fs::exists(err_file) ? read_file(err_file) : "");
  if (ok) {
    ASSERT_TRUE(fs::exists(out_file)) << out_file << " is missing";
    EXPECT_EQ(out, read_file(out_file));
  } else {
    EXPECT_FALSE(fs::exists(out_file)) << out_file << " exists but the file has errors";
  }
}

/// A case name as a gtest parameter name (letters, digits and '_').
inline std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string n = info.param;
  for (char& c : n)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return n;
}

}  // namespace corral::testing
