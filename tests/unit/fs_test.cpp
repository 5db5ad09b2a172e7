// util/fs: copy_tree keeps what a rootfs needs (contents, owners, modes,
// times, links, nodes, extended attributes); remove_tree removes it again.
#include "util/fs.hpp"
#include "util/proctitle.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace corral {
namespace {

class CopyTreeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/corral-fs-test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    top_ = tmpl;
    src_ = top_ + "/src";
    dst_ = top_ + "/dst";
    ASSERT_EQ(::mkdir(src_.c_str(), 0755), 0);
  }
  void TearDown() override { EXPECT_TRUE(remove_tree(top_).ok()); }

  void write(const std::string& rel, const std::string& text, mode_t mode) {
    std::ofstream(src_ + "/" + rel) << text;
    ASSERT_EQ(::chmod((src_ + "/" + rel).c_str(), mode), 0);
  }
  static std::string read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  static struct stat lstat_of(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
    return st;
  }

  std::string top_, src_, dst_;
};

TEST_F(CopyTreeTest, KeepsContentsModesOwnersAndTimes) {
  ASSERT_EQ(::mkdir((src_ + "/etc").c_str(), 0700), 0);
  write("etc/passwd", "root:x:0:0::/root:/bin/sh\n", 0644);
  write("setuid", "x", 04755);
  ASSERT_EQ(::chown((src_ + "/etc/passwd").c_str(), 1234, 5678), 0);
  struct timespec old[2] = {{1000000, 0}, {2000000, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, (src_ + "/etc/passwd").c_str(), old, 0), 0);
  ASSERT_EQ(::utimensat(AT_FDCWD, (src_ + "/etc").c_str(), old, 0), 0);
  std::string big(3 << 20, 'z');  // more than one read of the fallback loop
  write("big", big, 0600);

  ASSERT_TRUE(copy_tree(src_, dst_).ok());
  EXPECT_EQ(read(dst_ + "/etc/passwd"), "root:x:0:0::/root:/bin/sh\n");
  EXPECT_EQ(read(dst_ + "/big"), big);
  struct stat p = lstat_of(dst_ + "/etc/passwd");
  EXPECT_EQ(p.st_uid, 1234u);
  EXPECT_EQ(p.st_gid, 5678u);
  EXPECT_EQ(p.st_mode & 07777, 0644u);
  EXPECT_EQ(p.st_mtim.tv_sec, 2000000);
  EXPECT_EQ(lstat_of(dst_ + "/setuid").st_mode & 07777, 04755u) << "set-user-ID survives the chown";
  struct stat etc = lstat_of(dst_ + "/etc");
  EXPECT_EQ(etc.st_mode & 07777, 0700u);
  EXPECT_EQ(etc.st_mtim.tv_sec, 2000000) << "a directory's time is set after its contents";
  EXPECT_EQ(lstat_of(dst_).st_mode & 07777, 0755u);
}

TEST_F(CopyTreeTest, KeepsLinksNodesAndAttributes) {
  write("file", "data", 0644);
  ASSERT_EQ(::symlink("/etc/outside", (src_ + "/abs").c_str()), 0);
  ASSERT_EQ(::symlink("file", (src_ + "/rel").c_str()), 0);
  ASSERT_EQ(::link((src_ + "/file").c_str(), (src_ + "/hard").c_str()), 0);
  ASSERT_EQ(::mkfifo((src_ + "/fifo").c_str(), 0600), 0);
  ASSERT_EQ(::mknod((src_ + "/null").c_str(), S_IFCHR | 0666, makedev(1, 3)), 0);
  const char cap[] = "value";
  bool xattrs = ::lsetxattr((src_ + "/file").c_str(), "trusted.corral-test", cap, sizeof cap, 0) == 0;

  ASSERT_TRUE(copy_tree(src_, dst_).ok());
  char buf[64] = {};
  ASSERT_GT(::readlink((dst_ + "/abs").c_str(), buf, sizeof buf), 0);
  EXPECT_STREQ(buf, "/etc/outside") << "an absolute link is copied as written, not followed";
  EXPECT_TRUE(S_ISLNK(lstat_of(dst_ + "/rel").st_mode));
  EXPECT_EQ(lstat_of(dst_ + "/hard").st_ino, lstat_of(dst_ + "/file").st_ino) << "hard links stay one inode";
  EXPECT_TRUE(S_ISFIFO(lstat_of(dst_ + "/fifo").st_mode));
  struct stat null = lstat_of(dst_ + "/null");
  EXPECT_TRUE(S_ISCHR(null.st_mode));
  EXPECT_EQ(null.st_rdev, makedev(1, 3));
  if (xattrs) {
    char got[16] = {};
    EXPECT_EQ(::lgetxattr((dst_ + "/file").c_str(), "trusted.corral-test", got, sizeof got),
              static_cast<ssize_t>(sizeof cap));
    EXPECT_STREQ(got, cap);
  }
}

TEST_F(CopyTreeTest, RefusesAnExistingTarget) {
  ASSERT_EQ(::mkdir(dst_.c_str(), 0755), 0);
  Result<void> r = copy_tree(src_, dst_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().render().find("File exists"), std::string::npos) << r.error().render();
}

TEST_F(CopyTreeTest, MissingSourceIsAnError) {
  Result<void> r = copy_tree(top_ + "/nothing", dst_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().render().find(top_ + "/nothing"), std::string::npos) << r.error().render();
  EXPECT_NE(::access(dst_.c_str(), F_OK), 0) << "nothing made";
}

// shift_ownership: what corral create does to a rootfs for lxc.idmap.
using ShiftOwnershipTest = CopyTreeTest;

TEST_F(ShiftOwnershipTest, MapsEveryIdOnceAndKeepsSetuidBits) {
  ASSERT_EQ(::mkdir((src_ + "/etc").c_str(), 0755), 0);
  write("etc/passwd", "x", 0644);
  write("setuid", "x", 06755);
  write("far", "x", 0600);
  ASSERT_EQ(::chown((src_ + "/etc/passwd").c_str(), 1000, 5), 0);
  ASSERT_EQ(::chown((src_ + "/far").c_str(), 70000, 70000), 0);  // no map covers it
  ASSERT_EQ(::link((src_ + "/etc/passwd").c_str(), (src_ + "/hard").c_str()), 0);
  ASSERT_EQ(::symlink("/etc/passwd", (src_ + "/link").c_str()), 0);
  std::vector<IdRange> uids{{0, 100000, 65536}};
  std::vector<IdRange> gids{{0, 200000, 10}, {10, 300000, 65526}};
  Result<OwnershipShift> r = shift_ownership(src_, uids, gids, 100000, 200000);
  ASSERT_TRUE(r.ok()) << r.error().render();
  EXPECT_EQ(r.value().changed, 6u);  // src, etc, passwd (one inode for two names), setuid, far, link
  EXPECT_EQ(r.value().unmapped, 1u);
  EXPECT_EQ(r.value().first_unmapped, src_ + "/far");
  struct stat st = lstat_of(src_ + "/etc/passwd");
  EXPECT_EQ(st.st_uid, 101000u);  // once, not twice through the hard link
  EXPECT_EQ(st.st_gid, 200005u);
  st = lstat_of(src_ + "/setuid");
  EXPECT_EQ(st.st_uid, 100000u);
  EXPECT_EQ(st.st_mode & 07777, 06755u);  // chown cleared them; they are back
  st = lstat_of(src_ + "/far");
  EXPECT_EQ(st.st_uid, 100000u);
  EXPECT_EQ(st.st_gid, 200000u);
  st = lstat_of(src_ + "/link");  // the link itself; its target on the host is untouched
  EXPECT_EQ(st.st_uid, 100000u);
  EXPECT_EQ(lstat_of("/etc/passwd").st_uid, 0u);
  st = lstat_of(src_);
  EXPECT_EQ(st.st_uid, 100000u);
}

TEST(SelfStatFields, NumberedAsInProc5) {
  std::vector<unsigned long> f = corral::self_stat_fields();
  ASSERT_GE(f.size(), 52u);
  EXPECT_EQ(f[4], static_cast<unsigned long>(::getppid()));  // ppid
  EXPECT_GE(f[20], 1u);                                       // num_threads
  EXPECT_LE(f[26], f[27]);                                    // start_code <= end_code
}

}  // namespace
}  // namespace corral
