// Path resolution below a container's root: symlinks that stay inside are
// followed, symlinks and '..' that leave it are refused (no root needed).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "exec/mounts.hpp"

namespace corral::exec {
namespace {

namespace fs = std::filesystem;

class BeneathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/corral-beneath.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    top_ = tmpl;
    root_ = top_ + "/rootfs";
    outside_ = top_ + "/outside";
    fs::create_directories(root_ + "/etc");
    fs::create_directories(root_ + "/run");
    fs::create_directories(outside_);
    fs::create_symlink(outside_, root_ + "/abs");        // absolute, leaves the root
    fs::create_symlink("../../outside", root_ + "/up");  // relative, leaves the root
    fs::create_symlink("../run", root_ + "/etc/run");    // relative, stays inside
  }
  void TearDown() override { fs::remove_all(top_); }

  std::string top_, root_, outside_;
};

TEST_F(BeneathTest, OpensPathsInsideTheRoot) {
  Result<UniqueFd> fd = open_beneath(root_, root_ + "/etc");
  ASSERT_TRUE(fd.ok()) << fd.error().render();
  EXPECT_TRUE(fd.value().valid());
  Result<UniqueFd> via_link = open_beneath(root_, root_ + "/etc/run");
  ASSERT_TRUE(via_link.ok()) << via_link.error().render();
}

TEST_F(BeneathTest, RefusesAnAbsoluteSymlinkOut) {
  Result<UniqueFd> fd = open_beneath(root_, root_ + "/abs");
  ASSERT_FALSE(fd.ok());
  EXPECT_EQ(fd.error().sys_errno(), EXDEV);
  EXPECT_NE(fd.error().render().find(root_ + "/abs"), std::string::npos) << fd.error().render();
  EXPECT_NE(fd.error().render().find("outside the container's root"), std::string::npos);
}

TEST_F(BeneathTest, RefusesARelativeSymlinkOut) {
  Result<UniqueFd> fd = open_beneath(root_, root_ + "/up");
  ASSERT_FALSE(fd.ok());
  EXPECT_EQ(fd.error().sys_errno(), EXDEV);
}

TEST_F(BeneathTest, PathsOutsideTheRootAreOpenedAsTheyAre) {
  Result<UniqueFd> fd = open_beneath(root_, outside_);
  ASSERT_TRUE(fd.ok()) << fd.error().render();
  Result<UniqueFd> missing = open_beneath(root_, root_ + "/nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().sys_errno(), ENOENT);
}

TEST_F(BeneathTest, MkdirCreatesEveryLevelInside) {
  ASSERT_TRUE(mkdir_beneath(root_, root_ + "/a/b/c", 0755).ok());
  EXPECT_TRUE(fs::is_directory(root_ + "/a/b/c"));
  // Through a symlink that stays inside: created at the link's target.
  ASSERT_TRUE(mkdir_beneath(root_, root_ + "/etc/run/sshd", 0755).ok());
  EXPECT_TRUE(fs::is_directory(root_ + "/run/sshd"));
  // Existing directories are fine.
  EXPECT_TRUE(mkdir_beneath(root_, root_ + "/a/b", 0755).ok());
}

TEST_F(BeneathTest, MkdirNeverCreatesOutside) {
  Result<void> r = mkdir_beneath(root_, root_ + "/abs/evil", 0755);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().sys_errno(), EXDEV);
  Result<void> up = mkdir_beneath(root_, root_ + "/up/evil", 0755);
  ASSERT_FALSE(up.ok());
  EXPECT_FALSE(fs::exists(outside_ + "/evil"));
}

TEST(FdPath, NamesTheDescriptor) { EXPECT_EQ(fd_path(7), "/proc/self/fd/7"); }

}  // namespace
}  // namespace corral::exec
