// corral's start-time checks: they only ever warn, and they find what LXC
// would only find when starting the container.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "config/lint.hpp"
#include "config/loader.hpp"

namespace fs = std::filesystem;
using namespace corral::config;

namespace {

class LintTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/corral-lint-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
    return (dir_ / name).string();
  }
  fs::path dir_;
};

TEST_F(LintTest, CleanConfigHasNothingToSay) {
  std::string fstab = write("fstab", "proc proc proc nodev,noexec,nosuid 0 0\n");
  std::string policy = write("policy", "2\ndenylist\nmknod errno 1\n");
  LoadResult r = load_text("lxc.mount.entry = tmpfs run tmpfs rw,mode=755 0 0\nlxc.mount.fstab = " + fstab +
                               "\nlxc.seccomp.profile = " + policy + "\n",
                           "t.conf");
  ASSERT_TRUE(r.ok()) << r.render();
  LintResult l = lint(r.config);
  EXPECT_TRUE(l.diagnostics.empty()) << l.render();
}

TEST_F(LintTest, BrokenReferencesAreWarningsNamingTheLine) {
  std::string fstab = write("fstab", "proc proc proc defaults 0 0\nonlysource\n");
  std::string policy = write("policy", "3\ndenylist\n");
  std::string conf = write("c.conf", "lxc.mount.entry = tmpfs\nlxc.mount.fstab = " + fstab +
                                         "\nlxc.seccomp.profile = " + policy + "\n");
  LoadResult r = load_file(conf);
  ASSERT_TRUE(r.ok()) << r.render();  // LXC accepts all of this
  LintResult l = lint(r.config);
  EXPECT_EQ(l.diagnostics.error_count(), 0u);
  ASSERT_EQ(l.diagnostics.warning_count(), 3u) << l.render();
  const auto& items = l.diagnostics.items();
  EXPECT_EQ(items[0].origin.line, 1u);  // the mount entry, in the config
  EXPECT_EQ(l.sources.get(items[1].origin.file)->path, fstab);
  EXPECT_EQ(items[1].origin.line, 2u);
  EXPECT_EQ(l.sources.get(items[2].origin.file)->path, policy);
  EXPECT_NE(l.render().find("c.conf:1:1: warning: lxc.mount.entry:"), std::string::npos) << l.render();
}

TEST_F(LintTest, MissingFilesAreReported) {
  LoadResult r = load_text("lxc.seccomp.profile = " + (dir_ / "none").string() + "\n", "t.conf");
  ASSERT_TRUE(r.ok());
  LintResult l = lint(r.config);
  ASSERT_EQ(l.diagnostics.warning_count(), 1u);
  EXPECT_NE(l.diagnostics.items()[0].message.find("No such file or directory"), std::string::npos);
}

}  // namespace
