// What the golden-case tests share: reading and writing expected files, and
// finding the cases of a directory.
#pragma once

#include <algorithm>
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

}  // namespace corral::testing
