// The loader: includes (files, directories, cycles), every error reported,
// NUL bytes, rendering with include chains.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "config/loader.hpp"

namespace fs = std::filesystem;
using namespace corral::config;

namespace {

class LoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/corral-loader-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    fs::path p = dir_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
  fs::path dir_;
};

TEST_F(LoaderTest, IncludedLinesApplyInPlace) {
  write("inc.conf", "lxc.uts.name = from-include\nlxc.tty.max = 3\n");
  std::string main = write("main.conf", "lxc.uts.name = first\nlxc.include = " + (dir_ / "inc.conf").string() +
                                            "\nlxc.tty.max = 5\n");
  LoadResult r = load_file(main);
  ASSERT_TRUE(r.ok()) << r.render();
  EXPECT_EQ(get_item(r.config, "lxc.uts.name"), "from-include");
  EXPECT_EQ(get_item(r.config, "lxc.tty.max"), "5");
  EXPECT_EQ(get_item(r.config, "lxc.include"), std::nullopt);
}

TEST_F(LoaderTest, DirectoryIncludeTakesConfFilesInSortedOrder) {
  write("d/b.conf", "lxc.uts.name = b\n");
  write("d/a.conf", "lxc.uts.name = a\nlxc.tty.max = 1\n");
  write("d/.h.conf", "lxc.pty.max = 7\n");    // hidden, but >= 6 bytes: included
  write("d/x.CONF", "lxc.tty.max = 9\n");     // wrong case: skipped
  write("d/.conf", "lxc.tty.max = 9\n");      // too short: skipped
  write("d/c.conf~", "lxc.tty.max = 9\n");    // not *.conf: skipped
  fs::create_directories(dir_ / "d/sub.conf");  // a directory: treated as empty
  std::string main = write("main.conf", "lxc.include = " + (dir_ / "d").string() + "\n");
  LoadResult r = load_file(main);
  ASSERT_TRUE(r.ok()) << r.render();
  EXPECT_EQ(get_item(r.config, "lxc.uts.name"), "b");
  EXPECT_EQ(get_item(r.config, "lxc.tty.max"), "1");
  EXPECT_EQ(get_item(r.config, "lxc.pty.max"), "7");
}

TEST_F(LoaderTest, MissingDirectoryWithSlashOnlyWarns) {
  std::string main = write("main.conf", "lxc.include = " + (dir_ / "nope").string() + "/\n");
  LoadResult r = load_file(main);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.diagnostics.warning_count(), 1u);
}

TEST_F(LoaderTest, MissingFileIsAnErrorAtTheIncludeLine) {
  std::string main = write("main.conf", "lxc.uts.name = x\nlxc.include = " + (dir_ / "nope.conf").string() + "\n");
  LoadResult r = load_file(main);
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(r.diagnostics.items().size(), 1u);
  EXPECT_EQ(r.diagnostics.items()[0].origin.line, 2u);
  EXPECT_EQ(r.diagnostics.items()[0].origin.col, 15u);
}

TEST_F(LoaderTest, IncludeCycleIsRejectedWithTheChain) {
  std::string a = (dir_ / "a.conf").string();
  std::string b = (dir_ / "b.conf").string();
  write("a.conf", "lxc.include = " + b + "\n");
  write("b.conf", "lxc.uts.name = x\nlxc.include = " + a + "\n");
  LoadResult r = load_file(a);
  ASSERT_FALSE(r.ok());
  std::string text = r.render();
  EXPECT_NE(text.find("include cycle"), std::string::npos) << text;
  EXPECT_NE(text.find("In file included from " + a + ":1"), std::string::npos) << text;
}

TEST_F(LoaderTest, ErrorsInIncludedFilesNameTheChain) {
  std::string inner = write("inner.conf", "lxc.tty.max = x\n");
  std::string mid = write("mid.conf", "\nlxc.include = " + inner + "\n");
  std::string main = write("main.conf", "lxc.include = " + mid + "\n");
  LoadResult r = load_file(main);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.render(), "In file included from " + mid + ":2,\n                 from " + main + ":1:\n" + inner +
                            ":1:15: error: lxc.tty.max: expected a number, got 'x'\n 1 | lxc.tty.max = x\n   |       "
                            "        ^\n");
}

TEST_F(LoaderTest, EveryErrorIsReportedAndNothingIsAppliedHalfway) {
  LoadResult r = load_text("lxc.tty.max = a\nlxc.bogus = 1\nlxc.pty.max = b\n", "t.conf");
  EXPECT_EQ(r.diagnostics.error_count(), 3u);
  EXPECT_FALSE(r.ok());
}

TEST_F(LoaderTest, NulByteStopsReadingWithAWarning) {
  std::string text("lxc.uts.name = a\nlxc.tty.max = 1\0lxc.uts.name = b\n", 48);
  LoadResult r = load_text(text, "t.conf");
  ASSERT_TRUE(r.ok()) << r.render();
  EXPECT_EQ(r.diagnostics.warning_count(), 1u);
  EXPECT_EQ(get_item(r.config, "lxc.uts.name"), "a");
  EXPECT_EQ(r.diagnostics.items()[0].origin.line, 2u);
  EXPECT_EQ(r.diagnostics.items()[0].origin.col, 16u);
}

TEST_F(LoaderTest, LargeFilesAreReadInPiecesWithExactLineNumbers) {
  // Over 3 MB, so the file is parsed in several pieces; mixed line ends.
  std::string text;
  uint32_t lines = 0;
  while (text.size() < 3 * 1024 * 1024) {
    text += (lines % 3 == 0) ? "lxc.environment = A" + std::to_string(lines) + "=x\r\n"
                             : "# a comment line that is just long enough to matter\n";
    ++lines;
  }
  text += "lxc.uts.name = last\rlxc.tty.max = bad\n";
  std::string path = write("big.conf", text);
  LoadResult r = load_file(path);
  ASSERT_EQ(r.diagnostics.error_count(), 1u) << r.render();
  EXPECT_EQ(r.diagnostics.items()[0].origin.line, lines + 2);
  EXPECT_EQ(r.diagnostics.items()[0].line_text, "lxc.tty.max = bad");
  EXPECT_EQ(get_item(r.config, "lxc.uts.name"), "last");
  EXPECT_EQ(r.config.environment.size(), (lines + 2) / 3);
}

TEST_F(LoaderTest, SetItemAppliesOneKey) {
  Config cfg;
  Diagnostics diags;
  EXPECT_TRUE(set_item(cfg, "lxc.uts.name", "web", diags));
  EXPECT_EQ(get_item(cfg, "lxc.uts.name"), "web");
  EXPECT_FALSE(set_item(cfg, "lxc.tty.max", "-1", diags));
  EXPECT_FALSE(set_item(cfg, "lxc.nope", "1", diags));
  EXPECT_EQ(diags.error_count(), 2u);
}

}  // namespace
