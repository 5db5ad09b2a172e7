// Golden cases for templates: every tests/cases/template/NAME.tmpl is
// parsed; NAME.out holds a canonical dump of the model (only when there is
// no error), NAME.err the exact rendered diagnostics (absent: none). Run
// with CORRAL_UPDATE_GOLDEN=1 to rewrite the expected files.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "golden.hpp"
#include "template/template.hpp"
#include "util/strings.hpp"

namespace fs = std::filesystem;
using namespace corral::tmpl;
using corral::json_quote;

namespace {

using corral::testing::read_file;
using corral::testing::write_file;

std::string at(const Origin& o) { return std::to_string(o.line) + ":" + std::to_string(o.col); }

std::string text(const Text& t) { return json_quote(t.raw) + "@" + at(t.where); }



/// One line per item, positions as LINE:COL; strings JSON-quoted.
std::string dump(const Template& t) {
  std::string out = "name " + json_quote(t.name) + "\n";
  out += "description " + json_quote(t.description) + "\n";
  for (const Param& p : t.params) {
    out += "param " + at(p.where) + " " + p.name + (p.short_name ? std::string(" -") + p.short_name : "") + " : " +
           param_type_name(p.type) + " = " + text(p.default_value) +
           " help " + json_quote(p.help) + "\n";
  }
  for (const Requirement& r : t.requirements)
    out += "require " + at(r.where) + " " + text(r.what) + " from " + r.package + "\n";
  if (t.metadata) out += "metadata " + at(t.metadata->where) + " " + text(t.metadata->tarball) + "\n";
  for (const Token& k : t.tokens) out += "token " + at(k.where) + " " + k.name + " = " + text(k.value) + "\n";
  for (const ContainerFileDecl& f : t.files)
    out += "container-file " + at(f.where) + " " + text(f.name) + " " + text(f.content) + "\n";
  for (const RecipeStep& s : t.rootfs) {
    out += "step " + at(s.where) + " " + step_name(s.kind);
    for (const Text& a : s.args) out += " " + text(a);
    out += "\n";
  }
  for (const ConfigItem& c : t.config) {
    if (!c.directive) {
      out += "config " + text(c.text) + "\n";
      continue;
    }
    out += "directive " + at(c.where) + " @" + directive_name(*c.directive);
    for (const Text& a : c.args) out += " " + text(a);
    out += "\n";
  }
  return out;
}

using corral::testing::check_golden;
using corral::testing::test_name;

const fs::path kDir = fs::path(CORRAL_CASES_DIR) / "template";

// Instantiated as TemplateGolden/..., so that --gtest_filter='Template*' runs them.
class Case : public ::testing::TestWithParam<std::string> {};

TEST_P(Case, MatchesExpected) {
  std::string file = GetParam() + ".tmpl";
  corral::config::SourceTable sources;
  corral::config::Diagnostics diags;
  uint32_t id = sources.add(file, {});
  std::optional<Template> t = parse_template(read_file(kDir / file), file, id, diags);
  EXPECT_EQ(t.has_value(), diags.error_count() == 0);
  check_golden(kDir, GetParam(), t.has_value(), t ? dump(*t) : "", diags.render(sources));
}

INSTANTIATE_TEST_SUITE_P(TemplateGolden, Case, ::testing::ValuesIn(corral::testing::case_names(kDir, ".tmpl")),
                         test_name);

TEST(TemplateGoldenCases, EnoughCases) {
  EXPECT_GE(corral::testing::case_names(kDir, ".tmpl").size(), 25u);
}

}  // namespace
