// Executing a recipe into a rootfs in a temporary directory: modes, links,
// device nodes, appends, tar extraction, chroot; symlinks planted to leave
// the rootfs; the removal of what a failed run made; describe(). Device
// nodes and chroot need root (CI runs the suite as root).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "template/command.hpp"
#include "template/template.hpp"

namespace corral::tmpl {

namespace detail {
// recipe.cpp: the debootstrap commands (not run here: no archive offline).
std::string debootstrap_tarball(const std::string& release, const std::string& arch, const std::string& include);
std::vector<std::string> debootstrap_make_argv(const std::string& release, const std::string& mirror,
                                               const std::string& include, const std::string& tarball,
                                               const std::string& workdir);
std::vector<std::string> debootstrap_unpack_argv(const std::string& release, const std::string& mirror,
                                                 const std::string& include, const std::string& tarball,
                                                 const std::string& rootfs);
}  // namespace detail

namespace {

namespace fs = std::filesystem;

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

mode_t mode_of(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return static_cast<mode_t>(-1);
  return st.st_mode & 07777;
}

bool is_root() { return ::geteuid() == 0; }

class TemplateRecipeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/corral-recipe.XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    top_ = dir;
    root_ = top_ + "/rootfs";
    file_ = sources_.add(top_ + "/t.tmpl", {});
    t_.name = "t";
    t_.path = top_ + "/t.tmpl";
  }
  void TearDown() override { fs::remove_all(top_); }

  void step(StepKind k, std::vector<std::string> args) {
    RecipeStep s{k, {}, {file_, ++line_, 3}};
    for (std::string& a : args) s.args.push_back(Text{std::move(a), {file_, line_, 10}});
    t_.rootfs.push_back(std::move(s));
  }

  Recipe recipe() {
    Result<Recipe> r = expand(t_, Inputs{"c1", top_, root_, {}}, sources_);
    EXPECT_TRUE(r.ok()) << r.error().render();
    return r.ok() ? r.value() : Recipe{};
  }

  Result<void> run() { return execute(recipe(), sources_); }

  std::string top_, root_;
  uint32_t file_ = 0;
  uint32_t line_ = 0;
  config::SourceTable sources_;
  Template t_;
};

TEST_F(TemplateRecipeTest, FullRecipe) {
  if (!is_root()) GTEST_SKIP() << "device nodes and chroot need root";
  if (!fs::exists("/bin/busybox")) GTEST_SKIP() << "needs /bin/busybox (busybox-static)";
  step(StepKind::mkdir, {"0755", "dev", "etc", "bin", "tmp", "usr/bin", "usr/sbin", "sbin"});
  step(StepKind::mkdir, {"1777", "tmp"});
  step(StepKind::mkdir, {"0700", "root/a/b"});
  step(StepKind::copy, {"/bin/busybox", "bin/busybox", "0755"});
  step(StepKind::symlink, {"busybox", "bin/sh"});
  step(StepKind::write, {"etc/passwd", "0644", "root:x:0:0:root:/root:/bin/sh\n"});
  step(StepKind::append, {"etc/group", "0640", "root:x:0:root\n"});
  step(StepKind::append, {"etc/group", "0600", "wheel:x:10:root\n"});
  step(StepKind::write, {"etc/init.d/rcS", "0744", "#!/bin/sh\n"});
  step(StepKind::device, {"c", "1", "3", "0666", "dev/null"});
  step(StepKind::chroot, {"/bin/busybox", "--install", "-s"});
  mode_t old_umask = ::umask(077);
  Result<void> r = run();
  mode_t during = ::umask(old_umask);
  ASSERT_TRUE(r.ok()) << r.error().render();
  EXPECT_EQ(during, 077u) << "the caller's umask is restored";

  EXPECT_EQ(mode_of(root_), 0755u);
  EXPECT_EQ(mode_of(root_ + "/etc"), 0755u);
  EXPECT_EQ(mode_of(root_ + "/usr"), 0755u);
  EXPECT_EQ(mode_of(root_ + "/tmp"), 01777u);
  EXPECT_EQ(mode_of(root_ + "/root"), 0700u) << "missing parents get the MODE too";
  EXPECT_EQ(mode_of(root_ + "/root/a/b"), 0700u);
  EXPECT_EQ(mode_of(root_ + "/bin/busybox"), 0755u);
  EXPECT_EQ(fs::file_size(root_ + "/bin/busybox"), fs::file_size("/bin/busybox"));
  EXPECT_EQ(fs::read_symlink(root_ + "/bin/sh"), "busybox");
  EXPECT_EQ(slurp(root_ + "/etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
  EXPECT_EQ(mode_of(root_ + "/etc/passwd"), 0644u);
  EXPECT_EQ(slurp(root_ + "/etc/group"), "root:x:0:root\nwheel:x:10:root\n");
  EXPECT_EQ(mode_of(root_ + "/etc/group"), 0640u) << "append keeps the mode it was created with";
  EXPECT_EQ(mode_of(root_ + "/etc/init.d"), 0755u);
  EXPECT_EQ(mode_of(root_ + "/etc/init.d/rcS"), 0744u);
  struct stat st {};
  ASSERT_EQ(::lstat((root_ + "/dev/null").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(major(st.st_rdev), 1u);
  EXPECT_EQ(minor(st.st_rdev), 3u);
  EXPECT_EQ(st.st_mode & 07777, 0666u);
  // busybox --install -s, run chrooted, made its applet links in the rootfs.
  ASSERT_TRUE(fs::is_symlink(root_ + "/bin/ls"));
  EXPECT_EQ(fs::read_symlink(root_ + "/bin/ls"), "/bin/busybox");
  EXPECT_TRUE(fs::is_symlink(root_ + "/sbin/ifconfig") || fs::is_symlink(root_ + "/bin/ifconfig"));
}

TEST_F(TemplateRecipeTest, WriteTruncatesAndSetsTheMode) {
  step(StepKind::write, {"etc/motd", "0600", "a long first text\n"});
  step(StepKind::write, {"etc/motd", "0644", "short\n"});
  step(StepKind::mkdir, {"0750", "etc"});
  Result<void> r = run();
  ASSERT_TRUE(r.ok()) << r.error().render();
  EXPECT_EQ(slurp(root_ + "/etc/motd"), "short\n");
  EXPECT_EQ(mode_of(root_ + "/etc/motd"), 0644u);
  EXPECT_EQ(mode_of(root_ + "/etc"), 0750u) << "an existing directory gets the MODE of mkdir";
}

TEST_F(TemplateRecipeTest, CopyKeepsSetIdBitsAndHostMode) {
  std::string host = top_ + "/prog";
  std::ofstream(host) << "data";
  ::chmod(host.c_str(), 0750);
  step(StepKind::copy, {host, "usr/bin/prog"});
  step(StepKind::copy, {host, "usr/bin/suid", "4755"});
  Result<void> r = run();
  ASSERT_TRUE(r.ok()) << r.error().render();
  EXPECT_EQ(mode_of(root_ + "/usr/bin/prog"), 0750u);
  EXPECT_EQ(mode_of(root_ + "/usr/bin/suid"), 04755u);
  EXPECT_EQ(mode_of(root_ + "/usr"), 0755u);
  EXPECT_EQ(slurp(root_ + "/usr/bin/suid"), "data");
}

TEST_F(TemplateRecipeTest, SymlinksInsideTheRootfsAreFollowed) {
  fs::create_directories(root_ + "/usr/lib");
  fs::create_symlink("usr/lib", root_ + "/lib");
  fs::create_symlink("../usr/lib/real", root_ + "/usr/alias");
  std::ofstream(root_ + "/usr/lib/real") << "";
  step(StepKind::write, {"lib/x", "0644", "via a relative link\n"});
  step(StepKind::append, {"usr/alias", "0644", "appended\n"});
  Result<void> r = run();
  ASSERT_TRUE(r.ok()) << r.error().render();
  EXPECT_EQ(slurp(root_ + "/usr/lib/x"), "via a relative link\n");
  EXPECT_EQ(slurp(root_ + "/usr/lib/real"), "appended\n");
}

TEST_F(TemplateRecipeTest, APlantedSymlinkCannotSendAWriteOutside) {
  std::string outside = top_ + "/outside";
  fs::create_directories(outside);
  std::ofstream(outside + "/passwd") << "host\n";
  fs::create_directories(root_ + "/etc");
  fs::create_symlink(outside + "/passwd", root_ + "/etc/passwd");  // absolute, to a host file
  fs::create_symlink("../../outside", root_ + "/etc/up");          // relative, climbing out
  fs::create_symlink(outside, root_ + "/var");                     // a directory on the way

  for (auto [kind, args] : std::vector<std::pair<StepKind, std::vector<std::string>>>{
           {StepKind::write, {"etc/passwd", "0644", "pwned\n"}},
           {StepKind::append, {"etc/passwd", "0644", "pwned\n"}},
           {StepKind::write, {"etc/up/passwd", "0644", "pwned\n"}},
           {StepKind::mkdir, {"0755", "var/log"}},
           {StepKind::copy, {"/bin/sh", "var/sh"}},
           {StepKind::symlink, {"x", "var/link"}},
           {StepKind::device, {"c", "1", "3", "0666", "var/null"}},
       }) {
    t_.rootfs.clear();
    step(kind, args);
    Result<void> r = run();
    ASSERT_FALSE(r.ok()) << args.back();
    EXPECT_EQ(r.error().sys_errno(), EXDEV) << r.error().render();
    EXPECT_NE(r.error().render().find("leaves the rootfs through a symlink"), std::string::npos) << r.error().render();
  }
  EXPECT_EQ(slurp(outside + "/passwd"), "host\n");
  EXPECT_EQ(std::distance(fs::directory_iterator(outside), fs::directory_iterator()), 1);
  EXPECT_TRUE(fs::is_symlink(root_ + "/etc/passwd")) << "what was there is kept";
}

TEST_F(TemplateRecipeTest, FailureInANewRootfsRemovesIt) {
  step(StepKind::mkdir, {"0755", "etc", "var/log"});
  step(StepKind::write, {"etc/hostname", "0644", "c1\n"});
  step(StepKind::symlink, {"busybox", "bin/sh"});
  step(StepKind::write, {"etc/hostname/x", "0644", "fails: etc/hostname is a file\n"});
  step(StepKind::write, {"never", "0644", "x"});
  Result<void> r = run();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().render(), top_ + "/t.tmpl:4:3: write ROOTFS/etc/hostname/x 0644 " +
                                    "\"fails: etc/hostname is a file\\n\": open `" + root_ +
                                    "/etc/hostname`: Not a directory");
  EXPECT_FALSE(fs::exists(root_));
}

TEST_F(TemplateRecipeTest, FailureInAnExistingRootfsRemovesOnlyWhatItMade) {
  fs::create_directories(root_ + "/etc");
  std::ofstream(root_ + "/etc/keep") << "kept\n";
  step(StepKind::mkdir, {"0755", "etc/new/deep", "var"});
  step(StepKind::write, {"etc/made", "0644", "x"});
  step(StepKind::append, {"etc/keep", "0644", "more\n"});
  step(StepKind::copy, {"/bin/sh", "usr/bin/sh"});
  step(StepKind::symlink, {"made", "etc/link"});
  step(StepKind::symlink, {"again", "etc/link"});  // EEXIST
  Result<void> r = run();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().sys_errno(), EEXIST);
  EXPECT_NE(r.error().render().find(top_ + "/t.tmpl:6:3: symlink ROOTFS/etc/link -> again: symlink `" + root_ +
                                    "/etc/link`: File exists"),
            std::string::npos)
      << r.error().render();
  EXPECT_TRUE(fs::is_directory(root_ + "/etc"));
  EXPECT_EQ(slurp(root_ + "/etc/keep"), "kept\nmore\n") << "an append to an existing file is not undone";
  std::vector<std::string> left;
  for (const auto& e : fs::recursive_directory_iterator(root_)) left.push_back(e.path().string());
  std::sort(left.begin(), left.end());
  EXPECT_EQ(left, (std::vector<std::string>{root_ + "/etc", root_ + "/etc/keep"}));
}

TEST_F(TemplateRecipeTest, FailureInAnEmptyRootfsEmptiesItAndKeepsIt) {
  if (!is_root()) GTEST_SKIP() << "chroot needs root";
  if (!fs::exists("/bin/busybox")) GTEST_SKIP() << "needs /bin/busybox";
  fs::create_directories(root_);
  ::chmod(root_.c_str(), 0711);
  step(StepKind::copy, {"/bin/busybox", "bin/busybox"});
  step(StepKind::chroot, {"/bin/busybox", "sh", "-c", "touch /made-by-the-command; exit 3"});
  Result<void> r = run();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().render(), top_ + "/t.tmpl:2:3: chroot /bin/busybox sh -c \"touch /made-by-the-command; exit 3\": " +
                                    "`/bin/busybox sh -c touch /made-by-the-command; exit 3` exited with status 3");
  ASSERT_TRUE(fs::is_directory(root_));
  EXPECT_TRUE(fs::is_empty(root_)) << "even what the command made is gone";
  EXPECT_EQ(mode_of(root_), 0711u);
}

TEST_F(TemplateRecipeTest, ChrootOfAMissingCommand) {
  if (!is_root()) GTEST_SKIP() << "chroot needs root";
  step(StepKind::mkdir, {"0755", "bin"});
  step(StepKind::chroot, {"/bin/nothing-here"});
  Result<void> r = run();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().sys_errno(), ENOENT);
  EXPECT_EQ(r.error().render(), top_ + "/t.tmpl:2:3: chroot /bin/nothing-here: execute `/bin/nothing-here`: " +
                                    "No such file or directory");
  EXPECT_FALSE(fs::exists(root_));
}

TEST_F(TemplateRecipeTest, ABinaryRunsChrootedWithOnlyItsLibraries) {
  if (!is_root()) GTEST_SKIP() << "chroot needs root";
  if (!fs::exists("/bin/ls")) GTEST_SKIP() << "needs /bin/ls";
  step(StepKind::binary, {"/bin/ls", "bin/ls"});
  step(StepKind::write, {"marker", "0644", ""});
  step(StepKind::chroot, {"/bin/ls", "/marker"});
  Result<void> r = run();
  ASSERT_TRUE(r.ok()) << r.error().render();
  EXPECT_TRUE(fs::exists(root_ + "/lib64/ld-linux-x86-64.so.2"));
  EXPECT_TRUE(fs::exists(root_ + "/lib/x86_64-linux-gnu/libc.so.6"));
}

// A create's handler of SIGINT, SIGTERM and SIGHUP ends the running
// command with SIGTERM (interrupt_running_step). An interruption that comes
// before or while the command is forked must end it too: the forked child
// must not run that inherited handler, which would swallow the SIGTERM,
// before its command is exec'd. Run in a forked tester: the request stays.
TEST(RunCommandTest, AnInterruptionBeforeTheForkStillEndsTheCommand) {
  pid_t tester = ::fork();
  ASSERT_GE(tester, 0);
  if (tester == 0) {
    struct sigaction sa {};
    sa.sa_handler = [](int) { interrupt_running_step(); };
    sigemptyset(&sa.sa_mask);
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &sa, nullptr);
    interrupt_running_step();
    for (int i = 0; i < 10; ++i) {
      Result<void> r = run_command({"sleep", "3"});
      if (r.ok() || r.error().render() != "`sleep 3` was killed by signal 15") ::_exit(1 + i);
    }
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(tester, &status, 0), tester);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "run " << WEXITSTATUS(status) << " of 10 was not ended";
}

TEST_F(TemplateRecipeTest, ExtractATarball) {
  std::string src = top_ + "/src";
  fs::create_directories(src + "/etc/ssh");
  std::ofstream(src + "/etc/ssh/sshd_config") << "Port 22\n";
  ::chmod((src + "/etc/ssh/sshd_config").c_str(), 0600);
  ::chmod((src + "/etc/ssh").c_str(), 0711);
  fs::create_symlink("/run", src + "/var-run");
  std::string tarball = top_ + "/fs.tar.gz";
  ASSERT_EQ(std::system(("tar -czf " + tarball + " -C " + src + " .").c_str()), 0);
  step(StepKind::extract, {tarball});
  step(StepKind::extract, {tarball, "opt/copy"});
  Result<void> r = run();
  ASSERT_TRUE(r.ok()) << r.error().render();
  for (const std::string& base : {root_, root_ + "/opt/copy"}) {
    EXPECT_EQ(slurp(base + "/etc/ssh/sshd_config"), "Port 22\n");
    EXPECT_EQ(mode_of(base + "/etc/ssh/sshd_config"), 0600u);
    EXPECT_EQ(mode_of(base + "/etc/ssh"), 0711u);
    EXPECT_EQ(fs::read_symlink(base + "/var-run"), "/run");
  }
}

TEST_F(TemplateRecipeTest, ABrokenTarballFailsAndIsUndone) {
  std::string tarball = top_ + "/broken.tar.gz";
  std::ofstream(tarball) << "this is not a tarball";
  step(StepKind::mkdir, {"0755", "etc"});
  step(StepKind::extract, {tarball, "opt"});
  Result<void> r = run();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().render().find(top_ + "/t.tmpl:2:3: extract " + tarball + " -> ROOTFS/opt: `tar -x -p "
                                    "--numeric-owner -f " + tarball + " -C .` exited with status 2"),
            std::string::npos)
      << r.error().render();
  EXPECT_FALSE(fs::exists(root_));
}

TEST_F(TemplateRecipeTest, ExtractWithExclusionPatterns) {
  std::string src = top_ + "/src";
  fs::create_directories(src + "/var/log/apt");
  fs::create_directories(src + "/var/cache");
  fs::create_directories(src + "/etc");
  std::ofstream(src + "/var/log/apt/history.log") << "x";
  std::ofstream(src + "/var/cache/c") << "x";
  std::ofstream(src + "/var/keep") << "x";
  std::ofstream(src + "/etc/var") << "x";
  std::string tarball = top_ + "/fs.tar.xz";
  ASSERT_EQ(std::system(("tar -cJf " + tarball + " -C " + src + " .").c_str()), 0);
  step(StepKind::extract, {tarball, ".", "./var/log", "./var/cache/*"});
  Recipe r = recipe();
  EXPECT_EQ(describe(r), "extract " + tarball + " -> ROOTFS excluding ./var/log ./var/cache/*\n");
  Result<void> done = execute(r, sources_);
  ASSERT_TRUE(done.ok()) << done.error().render();
  EXPECT_FALSE(fs::exists(root_ + "/var/log")) << "a directory excluded with all in it";
  EXPECT_TRUE(fs::is_directory(root_ + "/var/cache"));
  EXPECT_FALSE(fs::exists(root_ + "/var/cache/c"));
  EXPECT_TRUE(fs::exists(root_ + "/var/keep"));
  EXPECT_TRUE(fs::exists(root_ + "/etc/var")) << "patterns are anchored at the start of a name";
}

TEST_F(TemplateRecipeTest, SubstituteReplaceAndPrint) {
  t_.tokens = {Token{"LXC_NAME", Text{"${name}", {file_, 1, 1}}, {file_, 1, 1}},
               Token{"LXC_ROOTFS", Text{"${rootfs}", {file_, 2, 1}}, {file_, 2, 1}}};
  step(StepKind::write, {"etc/hostname", "0644", "LXC_NAME\n"});
  step(StepKind::write, {"etc/hosts", "0600", "127.0.1.1 LXC_NAME\n# LXC_ROOTFS_MOUNT\n"});
  step(StepKind::symlink, {"hostname", "etc/hostname-link"});
  step(StepKind::write, {"etc/init/tty.conf", "0644", "exec mingetty tty1 # mingetty\nmingetty\n\nnone\n"});
  step(StepKind::substitute, {"etc/hostname", "etc/hosts", "etc/hostname-link", "etc/missing", "etc/init",
                              "etc/hostname/below-a-file"});
  step(StepKind::replace, {"etc/init/tty.conf", "mingetty", "mingetty --nohangup"});
  step(StepKind::replace, {"etc/none", "a", "b"});
  step(StepKind::print, {"\n---\nHello LXC_NAME\n"});
  Recipe r = recipe();
  ::testing::internal::CaptureStdout();
  Result<void> done = execute(r, sources_);
  std::string printed = ::testing::internal::GetCapturedStdout();
  ASSERT_TRUE(done.ok()) << done.error().render();
  EXPECT_EQ(slurp(root_ + "/etc/hostname"), "c1\n");
  EXPECT_EQ(slurp(root_ + "/etc/hosts"), "127.0.1.1 c1\n# " + root_ + "_MOUNT\n");
  EXPECT_EQ(mode_of(root_ + "/etc/hosts"), 0600u) << "edited in place, its mode kept";
  EXPECT_TRUE(fs::is_symlink(root_ + "/etc/hostname-link")) << "a link inside the rootfs is followed, and kept";
  EXPECT_EQ(slurp(root_ + "/etc/init/tty.conf"),
            "exec mingetty --nohangup tty1 # mingetty\nmingetty --nohangup\n\nnone\n")
      << "the first on each line only, as sed s|a|b| without g";
  EXPECT_FALSE(fs::exists(root_ + "/etc/missing"));
  EXPECT_FALSE(fs::exists(root_ + "/etc/none"));
  EXPECT_EQ(printed, "\n---\nHello LXC_NAME\n") << "print shows its text as it is";
  EXPECT_EQ(describe(r).substr(describe(r).find("substitute")),
            "substitute ROOTFS/etc/hostname\n"
            "substitute ROOTFS/etc/hosts\n"
            "substitute ROOTFS/etc/hostname-link\n"
            "substitute ROOTFS/etc/missing\n"
            "substitute ROOTFS/etc/init\n"
            "substitute ROOTFS/etc/hostname/below-a-file\n"
            "replace ROOTFS/etc/init/tty.conf \"mingetty\" -> \"mingetty --nohangup\"\n"
            "replace ROOTFS/etc/none \"a\" -> \"b\"\n"
            "print \"\\n---\\nHello LXC_NAME\\n\"\n");
}

TEST_F(TemplateRecipeTest, SubstituteRefusesALinkOutOfTheRootfs) {
  std::string outside = top_ + "/outside";
  std::ofstream(outside) << "LXC_NAME\n";
  t_.tokens = {Token{"LXC_NAME", Text{"${name}", {file_, 1, 1}}, {file_, 1, 1}}};
  step(StepKind::write, {"etc/hostname", "0644", "LXC_NAME\n"});
  step(StepKind::symlink, {outside, "etc/evil"});
  step(StepKind::substitute, {"etc/hostname", "etc/evil"});
  Result<void> done = run();
  ASSERT_FALSE(done.ok());
  EXPECT_NE(done.error().render().find(top_ + "/t.tmpl:3:3: substitute ROOTFS/etc/evil: refusing a path that leaves "
                                              "the rootfs through a symlink `" + root_ + "/etc/evil`"),
            std::string::npos)
      << done.error().render();
  EXPECT_EQ(slurp(outside), "LXC_NAME\n");
  EXPECT_FALSE(fs::exists(root_)) << "what the run made is removed";
}

TEST_F(TemplateRecipeTest, DescribeListsEveryStepThenTheConfig) {
  std::string host = top_ + "/prog";
  std::ofstream(host) << "x";
  ::chmod(host.c_str(), 0755);
  step(StepKind::mkdir, {"0755", "etc", "bin"});
  step(StepKind::copy, {host, "bin/prog"});
  step(StepKind::symlink, {"prog", "bin/sh"});
  step(StepKind::write, {"etc/passwd", "0644", "root:x:0:0:root:/root:/bin/sh\n"});
  step(StepKind::append, {"etc/group", "0644", "root:x:0:root\n"});
  step(StepKind::device, {"c", "1", "3", "0666", "dev/null"});
  step(StepKind::extract, {host});
  step(StepKind::chroot, {"/bin/prog", "--install", "-s", "two words"});
  t_.config = {Text{"lxc.uts.name = ${name}", {file_, 20, 3}}, Text{"", {file_, 21, 1}},
               Text{"lxc.signal.halt = SIGUSR1", {file_, 22, 3}}};
  std::string expected = "mkdir 0755 ROOTFS/etc\n"
                         "mkdir 0755 ROOTFS/bin\n"
                         "copy " + host + " -> ROOTFS/bin/prog 0755\n"
                         "symlink ROOTFS/bin/sh -> prog\n"
                         "write ROOTFS/etc/passwd 0644 \"root:x:0:0:root:/root:/bin/sh\\n\"\n"
                         "append ROOTFS/etc/group 0644 \"root:x:0:root\\n\"\n"
                         "device c 1 3 0666 ROOTFS/dev/null\n"
                         "extract " + host + " -> ROOTFS\n"
                         "chroot /bin/prog --install -s \"two words\"\n";
  EXPECT_EQ(describe(recipe()), expected);
  EXPECT_FALSE(fs::exists(root_)) << "describing writes nothing";
}

TEST_F(TemplateRecipeTest, DescribeDebootstrap) {
  Recipe r;
  r.rootfs = root_;
  r.steps.push_back(ResolvedStep{StepKind::debootstrap, {"bookworm", "http://deb.debian.org/debian"}, 0, {}});
  EXPECT_EQ(describe(r), "debootstrap bookworm http://deb.debian.org/debian -> ROOTFS\n");
}

TEST_F(TemplateRecipeTest, DebootstrapCommands) {
  std::string tarball = detail::debootstrap_tarball("bookworm", "amd64", "");
  EXPECT_EQ(tarball, "/var/cache/corral/debootstrap/bookworm-amd64.tar");
  EXPECT_EQ(detail::debootstrap_make_argv("bookworm", "http://m/debian", "", tarball + ".partial", "/var/cache/w"),
            (std::vector<std::string>{"debootstrap", "--variant=minbase",
                                      "--make-tarball=/var/cache/corral/debootstrap/bookworm-amd64.tar.partial",
                                      "bookworm", "/var/cache/w", "http://m/debian"}));
  EXPECT_EQ(detail::debootstrap_unpack_argv("bookworm", "http://m/debian", "", tarball, "/srv/c1/rootfs"),
            (std::vector<std::string>{"debootstrap", "--variant=minbase",
                                      "--unpack-tarball=/var/cache/corral/debootstrap/bookworm-amd64.tar",
                                      "bookworm", "/srv/c1/rootfs", "http://m/debian"}));
}

TEST_F(TemplateRecipeTest, DebootstrapWithPackages) {
  // Another package list is another cache file, and both commands get it.
  std::string tarball = detail::debootstrap_tarball("bookworm", "amd64", "systemd-sysv,iproute2");
  EXPECT_EQ(tarball, "/var/cache/corral/debootstrap/bookworm-amd64+systemd-sysv,iproute2.tar");
  EXPECT_EQ(detail::debootstrap_make_argv("bookworm", "http://m/debian", "systemd-sysv,iproute2", tarball, "/w"),
            (std::vector<std::string>{"debootstrap", "--variant=minbase", "--include=systemd-sysv,iproute2",
                                      "--make-tarball=" + tarball, "bookworm", "/w", "http://m/debian"}));
  EXPECT_EQ(detail::debootstrap_unpack_argv("bookworm", "http://m/debian", "systemd-sysv,iproute2", tarball, "/r"),
            (std::vector<std::string>{"debootstrap", "--variant=minbase", "--include=systemd-sysv,iproute2",
                                      "--unpack-tarball=" + tarball, "bookworm", "/r", "http://m/debian"}));
  Recipe r;
  r.rootfs = root_;
  r.steps.push_back(ResolvedStep{StepKind::debootstrap, {"bookworm", "http://m/debian", "systemd-sysv"}, 0, {}});
  EXPECT_EQ(describe(r), "debootstrap bookworm http://m/debian + systemd-sysv -> ROOTFS\n");
}

TEST_F(TemplateRecipeTest, RelativeRootfsIsRefused) {
  Recipe r;
  r.rootfs = "rootfs";
  Result<void> done = execute(r, sources_);
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(done.error().sys_errno(), EINVAL);
}

TEST_F(TemplateRecipeTest, AnExistingFileAsRootfsIsRefused) {
  std::ofstream(root_) << "";
  Recipe r;
  r.rootfs = root_;
  Result<void> done = execute(r, sources_);
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(done.error().sys_errno(), ENOTDIR);
  EXPECT_TRUE(fs::is_regular_file(root_));
}

}  // namespace
}  // namespace corral::tmpl
