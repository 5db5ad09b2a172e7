// Template parsing: the grammar has no PEGTL analysis problem, and
// parse_template builds the model and reports errors as corral-template(5)
// says (positions, messages, recovery per line).
#include <gtest/gtest.h>
#include <tao/pegtl/contrib/analyze.hpp>

#include <string>

#include "grammar/template.hpp"
#include "template/template.hpp"

namespace {

using namespace corral::tmpl;
using corral::config::Diagnostics;
using corral::config::SourceTable;

struct Parsed {
  std::optional<Template> t;
  std::string errors;  // rendered
  size_t error_count = 0;
};

Parsed parse(std::string_view text) {
  SourceTable sources;
  uint32_t id = sources.add("t.tmpl", {});
  Diagnostics diags;
  Parsed p;
  p.t = parse_template(text, "t.tmpl", id, diags);
  p.errors = diags.render(sources);
  p.error_count = diags.error_count();
  return p;
}

constexpr std::string_view kHead = "description \"d\"\n";

std::string with_head(std::string_view body) { return std::string(kHead) + std::string(body); }

TEST(TemplateParse, GrammarAnalyzesClean) { EXPECT_EQ(tao::pegtl::analyze<corral::grammar::tmpl::file>(), 0u); }

TEST(TemplateParse, MinimalTemplate) {
  Parsed p = parse("description \"just a description\"\n");
  ASSERT_TRUE(p.t) << p.errors;
  EXPECT_EQ(p.t->description, "just a description");
  EXPECT_EQ(p.t->name, "t");
  EXPECT_EQ(p.t->path, "t.tmpl");
  EXPECT_TRUE(p.t->params.empty());
  EXPECT_TRUE(p.t->rootfs.empty());
  EXPECT_TRUE(p.t->config.empty());
}

TEST(TemplateParse, NameIsTheFileStem) {
  SourceTable sources;
  Diagnostics diags;
  auto t = parse_template(kHead, "/usr/share/corral/templates/busybox.tmpl", sources.add("x", {}), diags);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->name, "busybox");
}

TEST(TemplateParse, NoTrailingNewlineAndEmptyLines) {
  Parsed p = parse("\n\n  # c\ndescription \"d\"  \t");
  ASSERT_TRUE(p.t) << p.errors;
  EXPECT_EQ(p.t->description, "d");
}

TEST(TemplateParse, ParamWithTypeAndHelp) {
  Parsed p = parse(with_head("param busybox-path = \"/bin/busybox\" : file \"the binary\"\n"
                             "param release=bookworm\n"
                             "param n = 3 : number\n"
                             "param flag = yes \"help only\"\n"));
  ASSERT_TRUE(p.t) << p.errors;
  ASSERT_EQ(p.t->params.size(), 4u);
  const Param& a = p.t->params[0];
  EXPECT_EQ(a.name, "busybox-path");
  EXPECT_EQ(a.type, ParamType::file);
  EXPECT_EQ(a.default_value.raw, "/bin/busybox");
  EXPECT_EQ(a.default_value.where.line, 2u);
  EXPECT_EQ(a.default_value.where.col, 22u);
  EXPECT_EQ(a.help, "the binary");
  EXPECT_EQ(a.where.col, 7u);
  EXPECT_EQ(p.t->params[1].default_value.raw, "bookworm");
  EXPECT_EQ(p.t->params[1].type, ParamType::string);
  EXPECT_EQ(p.t->params[2].type, ParamType::number);
  EXPECT_EQ(p.t->params[3].help, "help only");
}

TEST(TemplateParse, QuotedEscapesAndReferences) {
  Parsed p = parse(with_head("rootfs {\n"
                             "  write etc/x 0644 \"a\\tb\\n\\\"q\\\" \\\\ \\${no} ${yes} $5\"\n"
                             "  copy ${src}/a\\b dest\n"
                             "}\n"));
  ASSERT_TRUE(p.t) << p.errors;
  ASSERT_EQ(p.t->rootfs.size(), 2u);
  // \n \t \" are decoded; \\ and \$ stay escaped for expand().
  EXPECT_EQ(p.t->rootfs[0].args[2].raw, "a\tb\n\"q\" \\\\ \\${no} ${yes} $5");
  // Bare words have no escapes: their backslashes are doubled.
  EXPECT_EQ(p.t->rootfs[1].args[0].raw, "${src}/a\\\\b");
}

TEST(TemplateParse, StepPositionsAndArgs) {
  Parsed p = parse(with_head("rootfs {\n\tmkdir 0755 a \"b c\"\n}\n"));
  ASSERT_TRUE(p.t) << p.errors;
  const RecipeStep& s = p.t->rootfs.at(0);
  EXPECT_EQ(s.kind, StepKind::mkdir);
  EXPECT_EQ(s.where.line, 3u);
  EXPECT_EQ(s.where.col, 2u);
  ASSERT_EQ(s.args.size(), 3u);
  EXPECT_EQ(s.args[2].raw, "b c");
  EXPECT_EQ(s.args[2].where.col, 15u);
}

TEST(TemplateParse, ConfigLinesKeepCommentsAndBlanks) {
  Parsed p = parse(with_head("config {\n  lxc.uts.name = ${name}  \n\n  # c\\d ${} $x\n}\n"));
  ASSERT_TRUE(p.t) << p.errors;
  ASSERT_EQ(p.t->config.size(), 3u);
  EXPECT_EQ(p.t->config[0].text.raw, "lxc.uts.name = ${name}  ");
  EXPECT_EQ(p.t->config[0].text.where.col, 3u);
  EXPECT_EQ(p.t->config[1].text.raw, "");
  // A comment is not expanded: `${` is not checked and every '$' is escaped.
  EXPECT_EQ(p.t->config[2].text.raw, "# c\\\\d \\${} \\$x");
}

TEST(TemplateParse, RequireCommandAndPath) {
  Parsed p = parse(with_head("require tar from tar\nrequire \"${busybox-path}\" from busybox-static\n"));
  ASSERT_TRUE(p.t) << p.errors;
  ASSERT_EQ(p.t->requirements.size(), 2u);
  EXPECT_EQ(p.t->requirements[0].what.raw, "tar");
  EXPECT_EQ(p.t->requirements[1].what.raw, "${busybox-path}");
  EXPECT_EQ(p.t->requirements[1].package, "busybox-static");
  EXPECT_EQ(p.t->requirements[1].where.line, 3u);
}

TEST(TemplateParse, EveryErrorOfAFileIsReported) {
  Parsed p = parse(with_head("bogus line\nparam X = 1\nrootfs {\n  mkdri 0755 a\n  copy a\n}\n}\n"));
  EXPECT_FALSE(p.t);
  EXPECT_EQ(p.error_count, 5u) << p.errors;
}

TEST(TemplateParse, UnknownStepSuggestsKeyword) {
  Parsed p = parse(with_head("rootfs {\n  mkdri 0755 a\n}\n"));
  EXPECT_EQ(p.errors,
            "t.tmpl:3:3: error: unknown rootfs step 'mkdri'\n"
            " 3 |   mkdri 0755 a\n"
            "   |   ^~~~~\n"
            " note: did you mean 'mkdir'?\n"
            " note: the steps are mkdir, copy, binary, symlink, write, append, device, extract, debootstrap, chroot, "
            "substitute, replace and print\n");
}

TEST(TemplateParse, UppercaseStatementKeyword) {
  Parsed p = parse(with_head("Param x = 1\n"));
  EXPECT_NE(p.errors.find("unknown statement 'Param'"), std::string::npos) << p.errors;
  EXPECT_NE(p.errors.find("keywords are lowercase: did you mean 'param'?"), std::string::npos) << p.errors;
}

TEST(TemplateParse, StepOutsideRootfs) {
  Parsed p = parse(with_head("mkdir 0755 a\n"));
  EXPECT_NE(p.errors.find("'mkdir' is a rootfs step"), std::string::npos) << p.errors;
}

TEST(TemplateParse, ArityTooFewUnderlinesTheStep) {
  Parsed p = parse(with_head("rootfs {\n  copy a\n}\n"));
  EXPECT_EQ(p.errors,
            "t.tmpl:3:3: error: copy takes HOST-FILE DEST [MODE] (2 or 3 arguments), got 1\n"
            " 3 |   copy a\n"
            "   |   ^~~~~~\n");
}

TEST(TemplateParse, ArityTooManyUnderlinesTheExtraWords) {
  Parsed p = parse(with_head("rootfs {\n  symlink a b c \"d\"\n}\n"));
  EXPECT_EQ(p.errors,
            "t.tmpl:3:15: error: symlink takes TARGET LINK (2 arguments), got 4\n"
            " 3 |   symlink a b c \"d\"\n"
            "   |               ^~~~~\n");
}

TEST(TemplateParse, EveryStepArity) {
  struct Case {
    const char* line;
    bool ok;
  };
  const Case cases[] = {
      {"mkdir 0755", false},          {"mkdir 0755 a b c", true},       {"copy a b 0644", true},
      {"copy a b 0644 x", false},     {"binary a", false},              {"binary a b", true},
      {"write a 0644", false},        {"write a 0644 x", true},         {"append a 0644 x y", false},
      {"device c 1 3 0666", false},   {"device c 1 3 0666 dev/null", true}, {"extract", false},
      {"extract a", true},            {"extract a b", true},            {"extract a b c metadata:d", true},
      {"debootstrap a", false},       {"debootstrap a b", true},        {"chroot", false},
      {"chroot /bin/sh -c x", true},  {"symlink a b", true},            {"substitute", false},
      {"substitute a metadata:b", true}, {"replace a b", false},        {"replace a b c", true},
      {"replace a b c d", false},     {"print", false},                 {"print a metadata:b \"c\"", true},
  };
  for (const Case& c : cases) {
    Parsed p = parse(with_head("rootfs {\n" + std::string(c.line) + "\n}\n"));
    EXPECT_EQ(p.t.has_value(), c.ok) << c.line << "\n" << p.errors;
  }
}

TEST(TemplateParse, UnknownTypeSuggests) {
  Parsed p = parse(with_head("param x = 1 : nubmer\n"));
  EXPECT_EQ(p.errors,
            "t.tmpl:2:15: error: unknown parameter type 'nubmer'\n"
            " 2 | param x = 1 : nubmer\n"
            "   |               ^~~~~~\n"
            " note: did you mean 'number'?\n"
            " note: the types are string, path, file, number and boolean\n");
}

TEST(TemplateParse, RedeclaredParamNamesTheFirst) {
  Parsed p = parse(with_head("param x = 1\nparam  x = 2\n"));
  EXPECT_EQ(p.errors,
            "t.tmpl:3:8: error: parameter 'x' is declared twice\n"
            " 3 | param  x = 2\n"
            "   |        ^\n"
            " note: first declared at t.tmpl:2:7\n");
}

TEST(TemplateParse, BuiltinsCannotBeDeclared) {
  for (const char* name : {"name", "path", "rootfs"}) {
    Parsed p = parse(with_head("param " + std::string(name) + " = x\n"));
    EXPECT_NE(p.errors.find("'" + std::string(name) + "' is a built-in parameter"), std::string::npos) << p.errors;
  }
}

TEST(TemplateParse, MissingDescription) {
  Parsed p = parse("param x = 1\n");
  EXPECT_FALSE(p.t);
  EXPECT_EQ(p.errors,
            "t.tmpl: error: the template has no description\n"
            " note: add a line 'description \"TEXT\"': corral create --help shows it\n");
}

TEST(TemplateParse, BrokenDescriptionIsNotAlsoMissing) {
  Parsed p = parse("description bare\n");
  EXPECT_EQ(p.error_count, 1u) << p.errors;
}

TEST(TemplateParse, DuplicateDescriptionAndBlocks) {
  Parsed p = parse(with_head("description \"again\"\nrootfs {\n}\nrootfs {\n}\nconfig {\n}\nconfig {\n}\n"));
  EXPECT_EQ(p.error_count, 3u) << p.errors;
  EXPECT_NE(p.errors.find("note: the description is already given at t.tmpl:1:1"), std::string::npos) << p.errors;
  EXPECT_NE(p.errors.find("note: the rootfs block is already opened at t.tmpl:3:1"), std::string::npos) << p.errors;
  EXPECT_NE(p.errors.find("note: the config block is already opened at t.tmpl:7:1"), std::string::npos) << p.errors;
}

TEST(TemplateParse, UnclosedBlockAtEndPointsAtBrace) {
  Parsed p = parse(with_head("rootfs  {\n  mkdir 0755 a\n"));
  EXPECT_EQ(p.errors,
            "t.tmpl:2:9: error: the rootfs block is not closed\n"
            " 2 | rootfs  {\n"
            "   |         ^\n"
            " note: expected a line holding only '}' before the end of the file\n");
}

TEST(TemplateParse, StatementInsideBlockClosesIt) {
  Parsed p = parse(with_head("config {\n  lxc.a = 1\n  param x = 1\n"));
  EXPECT_EQ(p.error_count, 1u) << p.errors;
  EXPECT_NE(p.errors.find("t.tmpl:4:3: error: 'param' cannot be inside a block: the config block is not closed"),
            std::string::npos)
      << p.errors;
}

TEST(TemplateParse, EmptyBlocksOnOneLine) {
  Parsed p = parse(with_head("rootfs {}\nconfig  { }  \n"));
  ASSERT_TRUE(p.t) << p.errors;
  EXPECT_TRUE(p.t->rootfs.empty());
  EXPECT_TRUE(p.t->config.empty());
  EXPECT_EQ(parse(with_head("rootfs {}\nrootfs {\n}\n")).error_count, 1u);
}

TEST(TemplateParse, CloseWithoutBlock) {
  Parsed p = parse(with_head("  }\n"));
  EXPECT_EQ(p.errors, "t.tmpl:2:3: error: '}' without an open block\n 2 |   }\n   |   ^\n");
}

TEST(TemplateParse, CloseMustStandAlone) {
  Parsed p = parse(with_head("rootfs {\n} x\nconfig {\n}\n"));
  EXPECT_EQ(p.error_count, 1u) << p.errors;
  EXPECT_NE(p.errors.find("t.tmpl:3:3: error: '}' must stand alone on its line"), std::string::npos) << p.errors;
}

TEST(TemplateParse, BadReferences) {
  Parsed p = parse(with_head("param a = ${Foo}\nparam b = \"${x\"\nconfig {\n  lxc.a = ${}\n}\n"));
  EXPECT_EQ(p.error_count, 3u) << p.errors;
  EXPECT_NE(p.errors.find("t.tmpl:2:13: error: expected a parameter name after '${'"), std::string::npos) << p.errors;
  EXPECT_NE(p.errors.find("t.tmpl:3:15: error: expected '}' to end the reference"), std::string::npos) << p.errors;
  EXPECT_NE(p.errors.find("t.tmpl:5:13: error: expected a parameter name after '${'"), std::string::npos) << p.errors;
}

TEST(TemplateParse, DollarWithoutBraceIsLiteral) {
  Parsed p = parse(with_head("param a = $HOME$\n"));
  ASSERT_TRUE(p.t) << p.errors;
  EXPECT_EQ(p.t->params[0].default_value.raw, "$HOME$");
}

TEST(TemplateParse, UnterminatedQuoteUnderlinesFromTheQuote) {
  Parsed p = parse(with_head("param a = \"abc\n"));
  EXPECT_EQ(p.errors,
            "t.tmpl:2:11: error: missing closing '\"': a quoted word ends on the line where it starts\n"
            " 2 | param a = \"abc\n"
            "   |           ^~~~\n");
}

TEST(TemplateParse, UnknownEscapePointsAtBackslash) {
  Parsed p = parse(with_head("param a = \"x\\qy\"\n"));
  EXPECT_NE(p.errors.find("t.tmpl:2:13: error: unknown escape"), std::string::npos) << p.errors;
  EXPECT_NE(p.errors.find("   |             ^~\n"), std::string::npos) << p.errors;
}

TEST(TemplateParse, QuoteInsideBareWord) {
  Parsed p = parse(with_head("require a\"b from x\n"));
  EXPECT_NE(p.errors.find("t.tmpl:2:10: error: '\"' inside a word"), std::string::npos) << p.errors;
}

TEST(TemplateParse, KeywordNeedsABoundary) {
  Parsed p = parse(with_head("rootfs {\n  mkdir-p 0755 a\n}\nparams x = 1\n"));
  EXPECT_EQ(p.error_count, 2u) << p.errors;
  EXPECT_NE(p.errors.find("unknown rootfs step 'mkdir-p'"), std::string::npos) << p.errors;
  EXPECT_NE(p.errors.find("unknown statement 'params'"), std::string::npos) << p.errors;
}

TEST(TemplateParse, BlockHeaderErrorStillReadsTheBlock) {
  // Without '{' the block is read anyway, so its steps are not reported as
  // unknown statements.
  Parsed p = parse(with_head("rootfs\n  mkdir 0755 a\n}\n"));
  EXPECT_EQ(p.error_count, 1u) << p.errors;
  EXPECT_NE(p.errors.find("t.tmpl:2:7: error: expected '{' after the block name"), std::string::npos) << p.errors;
}

TEST(TemplateParse, ErrorsAreAppendedToExistingDiagnostics) {
  SourceTable sources;
  Diagnostics diags;
  uint32_t id = sources.add("t.tmpl", {});
  diags.add({corral::config::Severity::error, {}, 1, "earlier", "", {}});
  // An earlier error elsewhere does not make this template fail.
  EXPECT_TRUE(parse_template(kHead, "t.tmpl", id, diags));
  EXPECT_FALSE(parse_template("x\n", "t.tmpl", id, diags));
  EXPECT_EQ(diags.error_count(), 3u);
}

}  // namespace
