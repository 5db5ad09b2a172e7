// The lxcconf grammar: no PEGTL analysis problems, and the line classes of
// spec/config-language.md §2 reported as the spec says.
#include <gtest/gtest.h>
#include <tao/pegtl/contrib/analyze.hpp>

#include <string>
#include <vector>

#include "config/lxcconf_actions.hpp"

namespace {

using namespace corral::config::lxcconf;

struct Recorder : LineSink {
  std::vector<std::string> events;
  ParseState* st = nullptr;
  void entry(std::string_view key, uint32_t key_col, std::string_view value, uint32_t value_col) override {
    events.push_back("entry " + std::to_string(st->line) + ":" + std::to_string(key_col) + " [" + std::string(key) +
                     "] " + std::to_string(value_col) + " [" + std::string(value) + "]");
  }
  void martian(std::string_view text, uint32_t col) override {
    events.push_back("martian " + std::to_string(st->line) + ":" + std::to_string(col) + " [" + std::string(text) + "]");
  }
  void syntax_error(const char* message, uint32_t col) override {
    events.push_back("error " + std::to_string(st->line) + ":" + std::to_string(col) + " " + message);
  }
};

std::vector<std::string> parse_events(std::string_view text) {
  Recorder r;
  ParseState st{r, text.data()};
  r.st = &st;
  tao::pegtl::memory_input<tao::pegtl::tracking_mode::lazy> in(text.data(), text.size(), "test");
  EXPECT_TRUE((tao::pegtl::parse<g::file, action, control>(in, st)));
  return r.events;
}

TEST(LxcconfGrammar, AnalyzeFindsNoProblem) { EXPECT_EQ(tao::pegtl::analyze<g::file>(), 0u); }

TEST(LxcconfGrammar, BlankLinesAndComments) {
  EXPECT_TRUE(parse_events("\n\n  \t\f\n   # comment\n#x\n").empty());
}

TEST(LxcconfGrammar, EntryTrimsAndSplitsAtFirstEquals) {
  EXPECT_EQ(parse_events("  lxc.uts.name  =  a=b  \t\n"),
            std::vector<std::string>{"entry 1:3 [lxc.uts.name] 20 [a=b]"});
}

TEST(LxcconfGrammar, QuotesStripOneMatchingPair) {
  EXPECT_EQ(parse_events("lxc.a = \" a b \"\nlxc.b = \"x'\nlxc.c = \"\"x\"\"\nlxc.d = \"\n"),
            (std::vector<std::string>{"entry 1:1 [lxc.a] 10 [ a b ]", "entry 2:1 [lxc.b] 9 [\"x']",
                                      "entry 3:1 [lxc.c] 10 [\"x\"]", "entry 4:1 [lxc.d] 9 [\"]"}));
}

TEST(LxcconfGrammar, NoInlineComments) {
  EXPECT_EQ(parse_events("lxc.a = foo # c\n"), std::vector<std::string>{"entry 1:1 [lxc.a] 9 [foo # c]"});
}

TEST(LxcconfGrammar, CarriageReturnsEndLines) {
  EXPECT_EQ(parse_events("lxc.a = 1\r\nlxc.b = 2\rlxc.c = 3"),
            (std::vector<std::string>{"entry 1:1 [lxc.a] 9 [1]", "entry 2:1 [lxc.b] 9 [2]", "entry 3:1 [lxc.c] 9 [3]"}));
}

TEST(LxcconfGrammar, MartianLines) {
  EXPECT_EQ(parse_events("foo = bar\n LXC.uts.name = x\n\vlxc.a = 1\n"),
            (std::vector<std::string>{"martian 1:1 [foo = bar]", "martian 2:2 [LXC.uts.name = x]",
                                      "martian 3:1 [\vlxc.a = 1]"}));
}

TEST(LxcconfGrammar, MissingEqualsIsAnErrorAndParsingGoesOn) {
  EXPECT_EQ(parse_events("lxc.uts.name\nlxc.a = 1\n"),
            (std::vector<std::string>{
                "error 1:13 expected '=' after the key: a line starting with 'lxc.' must read 'lxc.KEY = VALUE'",
                "entry 2:1 [lxc.a] 9 [1]"}));
}

TEST(LxcconfGrammar, EmptyValue) {
  EXPECT_EQ(parse_events("lxc.a =\nlxc.b = \"\"\n"),
            (std::vector<std::string>{"entry 1:1 [lxc.a] 8 []", "entry 2:1 [lxc.b] 10 []"}));
}

}  // namespace
