// corral create with the shipped local template (templates/local.tmpl) in a
// temporary lxcpath: its short and long options, the config, fstab and
// rootfs it makes (compared with what LXC 5.0.2's lxc-local made, in
// spec/templates.md §6), and the metadata problems that stop it before
// anything is made, or undo what was.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "golden.hpp"
#include "template/create.hpp"

namespace corral::tmpl {
namespace {

namespace fs = std::filesystem;
using corral::testing::read_file;

const std::string kLocal = std::string(CORRAL_SOURCE_DIR) + "/templates/local.tmpl";

class TemplateCreateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/corral-create-test.XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    top_ = dir;
    lxcpath_ = top_ + "/lxc";
    // The initial config: network lines, a comment, another lxc. line.
    std::ofstream(top_ + "/initial.conf") << "# made by lxc-create\n"
                                             "lxc.net.0.type = empty\n"
                                             "lxc.net.0.flags = up\n"
                                             "\n"
                                             "lxc.cap.drop = sys_time\n";
    fstree_ = tarball("fs", {{"etc/hostname", "LXC_NAME\n"},
                             {"etc/hosts", "127.0.1.1 LXC_NAME\n"},
                             {"etc/init/tty.conf", "exec /sbin/mingetty tty1\n"},
                             {"var/log/boot.log", "x\n"},
                             {"bin/sh", "#!/bin/true\n"}});
    meta_ = tarball("meta", {{"config", "lxc.include = LXC_TEMPLATE_CONFIG/common.conf\nlxc.arch = x86_64\n"},
                             {"excludes", "./var/log\n"},
                             {"templates", "/etc/hostname\n/etc/hosts\n/etc/missing\n"},
                             {"fstab", "proc proc proc defaults 0 0\n"},
                             {"create-message", "Welcome to LXC_NAME\n"}});
  }
  void TearDown() override { fs::remove_all(top_); }

  /// An xz tarball of `files` (paths relative to its top, made below ./).
  std::string tarball(const std::string& name, const std::map<std::string, std::string>& files) {
    std::string src = top_ + "/" + name + ".d";
    for (const auto& [path, content] : files) {
      fs::create_directories(fs::path(src + "/" + path).parent_path());
      std::ofstream(src + "/" + path) << content;
    }
    std::string out = top_ + "/" + name + ".tar.xz";
    EXPECT_EQ(std::system(("tar -C " + src + " -cJf " + out + " .").c_str()), 0);
    return out;
  }

  CreateRequest request(std::vector<std::string> args, bool dry_run = false) {
    CreateRequest req;
    req.paths = runtime::ContainerPaths{lxcpath_, "c1"};
    req.template_name = kLocal;
    req.config_file = top_ + "/initial.conf";
    req.template_args = std::move(args);
    req.dry_run = dry_run;
    return req;
  }

  /// The rendered error of a create that must fail, and nothing left.
  std::string failure(std::vector<std::string> args) {
    Result<CreateOutcome> made = create_container(request(std::move(args)));
    EXPECT_FALSE(made.ok());
    EXPECT_FALSE(fs::exists(lxcpath_ + "/c1")) << "nothing is left behind";
    return made.ok() ? "" : made.error().render();
  }

  std::string top_, lxcpath_, fstree_, meta_;
};

TEST_F(TemplateCreateTest, TheConfigAndRootfsLxcLocalMakes) {
  ::testing::internal::CaptureStdout();
  Result<CreateOutcome> made = create_container(request({"-m", meta_, "-f", fstree_}));
  std::string printed = ::testing::internal::GetCapturedStdout();
  ASSERT_TRUE(made.ok()) << made.error().render();
  std::string dir = lxcpath_ + "/c1";
  EXPECT_EQ(read_file(dir + "/config"),
            "# Template used to create this container: " + kLocal + "\n"
            "# Parameters passed to the template: -m " + meta_ + " -f " + fstree_ + "\n"
            "# For additional config options, please look at corral.conf(5)\n"
            "\n"
            "# Uncomment the following line to support nesting containers:\n"
            "#lxc.include = /usr/share/lxc/config/nesting.conf\n"
            "# (Be aware this has security implications)\n"
            "\n"
            "\n"
            "# Distribution configuration\n"
            "lxc.include = /usr/share/lxc/config/common.conf\n"
            "lxc.arch = x86_64\n"
            "\n"
            "# Container specific configuration\n"
            "# made by lxc-create\n"
            "lxc.cap.drop = sys_time\n"
            "lxc.rootfs.path = dir:" + dir + "/rootfs\n"
            "lxc.mount.fstab = " + dir + "/fstab\n"
            "lxc.uts.name = c1\n"
            "\n"
            "# Network configuration\n"
            "lxc.net.0.type = empty\n"
            "lxc.net.0.flags = up\n");
  EXPECT_EQ(read_file(dir + "/fstab"), "proc proc proc defaults 0 0\n");
  EXPECT_EQ(read_file(dir + "/rootfs/etc/hostname"), "c1\n");
  EXPECT_EQ(read_file(dir + "/rootfs/etc/hosts"), "127.0.1.1 c1\n");
  EXPECT_EQ(read_file(dir + "/rootfs/etc/init/tty.conf"), "exec /sbin/mingetty --nohangup tty1\n");
  EXPECT_FALSE(fs::exists(dir + "/rootfs/var/log")) << "excluded";
  EXPECT_TRUE(fs::is_directory(dir + "/rootfs/dev/pts"));
  EXPECT_FALSE(fs::exists(dir + "/partial"));
  EXPECT_EQ(printed, "Unpacking the rootfs\n\n---\nWelcome to LXC_NAME\n");
}

TEST_F(TemplateCreateTest, ShortAndLongOptionsAreOneParameter) {
  auto dry = [&](std::vector<std::string> args) {
    Result<CreateOutcome> made = create_container(request(std::move(args), true));
    EXPECT_TRUE(made.ok()) << made.error().render();
    std::string text = made.ok() ? made.value().dry_run_text : "";
    // The header names the arguments as given; the rest is the same.
    size_t params = text.find("# Parameters passed");
    return params == std::string::npos ? text : text.erase(params, text.find('\n', params) - params);
  };
  std::string expected = dry({"--metadata", meta_, "--fstree", fstree_});
  EXPECT_NE(expected.find("substitute ROOTFS/etc/hostname"), std::string::npos) << expected;
  EXPECT_EQ(dry({"-m", meta_, "-f", fstree_}), expected);
  EXPECT_EQ(dry({"-m" + meta_, "--fstree=" + fstree_}), expected);
  EXPECT_EQ(dry({"--metadata=" + meta_, "-f" + fstree_}), expected);
  // Relative paths are taken from the working directory.
  char* cwd = ::getcwd(nullptr, 0);
  ASSERT_EQ(::chdir(top_.c_str()), 0);
  std::string relative = dry({"-m", "meta.tar.xz", "-f", "./fs.tar.xz"});
  ASSERT_EQ(::chdir(cwd), 0);
  std::free(cwd);
  EXPECT_EQ(relative, expected);
  EXPECT_FALSE(fs::exists(lxcpath_)) << "a dry run writes nothing";
}

TEST_F(TemplateCreateTest, OptionErrors) {
  EXPECT_EQ(failure({"-x", "1"}),
            "template argument '-x': template local has no option -x (it takes -m (--metadata), -f (--fstree))");
  EXPECT_EQ(failure({"-m", meta_, "-f"}), "template argument '-f' needs a value");
  EXPECT_NE(failure({"-f", fstree_}).find("parameter `--metadata` is required (it has no default)"),
            std::string::npos);
}

TEST_F(TemplateCreateTest, UsageShowsTheShortOptions) {
  Result<std::string> usage = template_usage(kLocal);
  ASSERT_TRUE(usage.ok()) << usage.error().render();
  EXPECT_NE(usage.value().find("  -m, --metadata FILE\n"), std::string::npos) << usage.value();
  EXPECT_NE(usage.value().find("  -f, --fstree FILE\n"), std::string::npos) << usage.value();
}

TEST_F(TemplateCreateTest, ABadLineInTheImageConfigIsReportedWhereItIs) {
  std::string meta = tarball("bad", {{"config", "lxc.arch = x86_64\n# LXC_NAME\nlxc.bogus = LXC_NAME\n"}});
  EXPECT_EQ(failure({"-m", meta, "-f", fstree_}),
            "the config made by template " + kLocal + " is not valid: " + meta +
                "(config):3:1: error: unknown key 'lxc.bogus'\n"
                " 3 | lxc.bogus = c1\n"
                "   | ^~~~~~~~~\n"
                " note: the line as it would be written at " + lxcpath_ + "/c1/config:13, its tokens replaced\n");
}

TEST_F(TemplateCreateTest, MetadataThatCannotBeUsedStopsBeforeAnythingIsMade) {
  std::string no_config = tarball("noconfig", {{"fstab", "x\n"}});
  EXPECT_NE(failure({"-m", no_config, "-f", fstree_})
                .find("@insert: the metadata tarball `" + no_config + "` has no `config`"),
            std::string::npos);
  std::string corrupt = top_ + "/corrupt.tar.xz";
  std::ofstream(corrupt) << "garbage";
  EXPECT_NE(failure({"-m", corrupt, "-f", fstree_}).find("cannot unpack the metadata tarball `" + corrupt + "`"),
            std::string::npos);
  std::string dotdot = tarball("dotdot", {{"config", ""}, {"templates", "/etc/hosts\n../../../etc/shadow\n"}});
  EXPECT_EQ(failure({"-m", dotdot, "-f", fstree_}),
            dotdot + "(templates):2:1: rootfs path `../../../etc/shadow` has a `..` component; paths cannot leave "
                     "the rootfs");
}

TEST_F(TemplateCreateTest, ATemplatesEntryThroughASymlinkIsUndone) {
  std::string outside = top_ + "/outside";
  std::ofstream(outside) << "LXC_NAME\n";
  std::string src = top_ + "/evil.d";
  fs::create_directories(src + "/etc");
  fs::create_symlink(outside, src + "/etc/hostname");
  std::string fs_evil = top_ + "/evil.tar.xz";
  ASSERT_EQ(std::system(("tar -C " + src + " -cJf " + fs_evil + " .").c_str()), 0);
  ::testing::internal::CaptureStdout();
  std::string err = failure({"-m", meta_, "-f", fs_evil});
  ::testing::internal::GetCapturedStdout();
  EXPECT_NE(err.find("substitute ROOTFS/etc/hostname: refusing a path that leaves the rootfs through a symlink"),
            std::string::npos)
      << err;
  EXPECT_EQ(read_file(outside), "LXC_NAME\n");
}

}  // namespace
}  // namespace corral::tmpl
