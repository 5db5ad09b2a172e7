// Template expansion: parameters, `${NAME}` references and their error
// columns, requirement and host checks, rootfs path rules, and the shared
// libraries of `binary` read from the ELF file. Templates are built by hand
// (the parser is tested on its own); the source file is written to disk so
// that error columns in quoted words can be checked.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "template/template.hpp"

namespace corral::tmpl {
namespace {

namespace fs = std::filesystem;

class TemplateExpandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/corral-expand.XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    top_ = dir;
    file_ = sources_.add(top_ + "/busybox.tmpl", {});
    t_.name = "busybox";
    t_.path = top_ + "/busybox.tmpl";
    t_.description = "test";
    in_ = Inputs{"c1", "/var/lib/lxc/c1", "/var/lib/lxc/c1/rootfs", {}};
  }
  void TearDown() override { fs::remove_all(top_); }

  /// The template's source: only the lines error columns are read from.
  void source(const std::string& text) { std::ofstream(top_ + "/busybox.tmpl") << text; }

  Text text(std::string raw, uint32_t line = 1, uint32_t col = 1) { return Text{std::move(raw), {file_, line, col}}; }

  void param(std::string name, std::string def, ParamType type = ParamType::string, uint32_t line = 1) {
    t_.params.push_back(Param{name, type, text(std::move(def), line, 20), "", {file_, line, 1}});
  }
  void step(StepKind k, std::vector<std::string> args, uint32_t line = 1) {
    RecipeStep s{k, {}, {file_, line, 3}};
    uint32_t col = 10;
    for (std::string& a : args) {
      s.args.push_back(text(std::move(a), line, col));
      col += 10;
    }
    t_.rootfs.push_back(std::move(s));
  }

  Result<Recipe> expand() { return tmpl::expand(t_, in_, sources_); }

  /// The config lines a recipe adds to an empty configuration.
  static std::vector<std::string> lines(const Recipe& r) {
    Result<std::vector<ConfigLine>> rendered = render_config(r, {});
    EXPECT_TRUE(rendered.ok());
    std::vector<std::string> out;
    if (rendered)
      for (const ConfigLine& l : rendered.value()) out.push_back(l.text);
    return out;
  }

  /// The rendered error of an expansion that must fail.
  std::string error() {
    Result<Recipe> r = expand();
    EXPECT_FALSE(r.ok());
    return r.ok() ? "" : r.error().render();
  }

  std::string top_;
  uint32_t file_ = 0;
  config::SourceTable sources_;
  Template t_;
  Inputs in_;
};

TEST_F(TemplateExpandTest, BuiltinsDefaultsAndOverrides) {
  param("host", "${name}.lan");
  param("release", "bookworm");
  param("greeting", "hi ${host} on ${release}");
  t_.config = {text("lxc.uts.name = ${name}"), text("# ${path} ${rootfs}"), text("x = ${greeting}")};
  in_.params["release"] = "trixie ${name}";  // a command-line value is taken literally
  Result<Recipe> r = expand();
  ASSERT_TRUE(r.ok()) << r.error().render();
  EXPECT_EQ(r.value().rootfs, "/var/lib/lxc/c1/rootfs");
  EXPECT_EQ(lines(r.value()), (std::vector<std::string>{"lxc.uts.name = c1", "# /var/lib/lxc/c1 /var/lib/lxc/c1/rootfs",
                                                        "x = hi c1.lan on trixie ${name}"}));
}

TEST_F(TemplateExpandTest, RootfsMustBeAbsoluteAndNotSlash) {
  in_.rootfs = "rootfs";
  EXPECT_NE(error().find("the rootfs `rootfs` must be an absolute path other than /"), std::string::npos);
  in_.rootfs = "/";
  EXPECT_NE(error().find("must be an absolute path"), std::string::npos);
  in_.rootfs = "/srv/r//";
  Result<Recipe> r = expand();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().rootfs, "/srv/r");
}

TEST_F(TemplateExpandTest, AFileOrPathParameterWithAnEmptyDefaultIsRequired) {
  param("fstree", "", ParamType::file, 4);
  EXPECT_NE(error().find(":4:1: parameter `--fstree` is required (it has no default): give `--fstree FILE` after `--`"),
            std::string::npos)
      << error();
  param("out", "", ParamType::path, 5);
  in_.params["fstree"] = "/bin/sh";
  EXPECT_NE(error().find("parameter `--out` is required"), std::string::npos) << error();
  in_.params["out"] = "/tmp";
  EXPECT_TRUE(expand().ok());
  // An empty string parameter is just empty.
  param("note", "", ParamType::string, 6);
  EXPECT_TRUE(expand().ok());
}

TEST_F(TemplateExpandTest, UnknownParameterSuggestsAndListsTheDeclaredOnes) {
  param("release", "bookworm");
  param("busybox-path", "/bin/busybox");
  in_.params["relase"] = "trixie";
  EXPECT_EQ(error(),
            "template busybox has no parameter `--relase`; did you mean `--release`? "
            "(it takes --release, --busybox-path)");
  t_.params.clear();
  in_.params = {{"zzz", "1"}};
  EXPECT_EQ(error(), "template busybox has no parameter `--zzz` (it takes none)");
}

TEST_F(TemplateExpandTest, UndefinedReferenceInABareWordAtItsColumn) {
  source("rootfs {\n  mkdir 0755 a/${nme}\n}\n");
  t_.rootfs.push_back(RecipeStep{StepKind::mkdir, {text("0755", 2, 9), text("a/${nme}", 2, 14)}, {file_, 2, 3}});
  EXPECT_EQ(error(), top_ + "/busybox.tmpl:2:16: undefined parameter `${nme}`; did you mean `${name}`?");
}

TEST_F(TemplateExpandTest, UndefinedReferenceInAQuotedWordCountsItsEscapes) {
  // `\n` and `\"` take two source bytes for one.
  source("  write etc/motd 0644 \"a\\n\\\"b${who}\"\n");
  t_.rootfs.push_back(RecipeStep{
      StepKind::write, {text("etc/motd", 1, 9), text("0644", 1, 18), text("a\n\"b${who}", 1, 23)}, {file_, 1, 3}});
  //  write etc/motd 0644 "a\n\"b${who}"   the quote is column 23, `$` column 30
  EXPECT_EQ(error(), top_ + "/busybox.tmpl:1:30: undefined parameter `${who}`");
}

TEST_F(TemplateExpandTest, UndefinedReferenceInAConfigLine) {
  t_.config = {text("lxc.uts.name = ${nam}", 7, 3)};
  EXPECT_EQ(error(), top_ + "/busybox.tmpl:7:18: undefined parameter `${nam}`; did you mean `${name}`?");
}

TEST_F(TemplateExpandTest, EscapedDollarAndBackslashAreLiteral) {
  // Raw text keeps `\$` and `\\` escaped (parse.cpp); expansion decodes them.
  t_.config = {text("a = \\${name} \\\\ ${name} $x"), text("b = c:\\\\d")};
  Result<Recipe> r = expand();
  ASSERT_TRUE(r.ok()) << r.error().render();
  EXPECT_EQ(lines(r.value()), (std::vector<std::string>{"a = ${name} \\ c1 $x", "b = c:\\d"}));
}

TEST_F(TemplateExpandTest, ColumnAfterAnEscapedBackslashInABareWord) {
  // The bare word a\b${x} is raw a\\b${x}: one source byte for the pair.
  t_.config = {text("a\\\\b${x}", 4, 1)};
  EXPECT_EQ(error(), top_ + "/busybox.tmpl:4:4: undefined parameter `${x}`");
}

TEST_F(TemplateExpandTest, ADefaultCannotUseALaterParameter) {
  param("first", "${second}", ParamType::string, 3);
  param("second", "x", ParamType::string, 4);
  EXPECT_EQ(error(), top_ + "/busybox.tmpl:3:20: `${second}` refers to a parameter declared after this one");
}

TEST_F(TemplateExpandTest, ParameterTypes) {
  std::string file = top_ + "/key.pub";
  std::ofstream(file) << "ssh-ed25519 AAAA\n";
  param("p", "/srv", ParamType::path);
  param("f", file, ParamType::file);
  param("n", "42", ParamType::number);
  param("b1", "yes", ParamType::boolean);
  param("b2", "0", ParamType::boolean);
  param("b3", "TRUE", ParamType::boolean);
  t_.config = {text("${p} ${f} ${n} ${b1} ${b2} ${b3}")};
  Result<Recipe> r = expand();
  ASSERT_TRUE(r.ok()) << r.error().render();
  EXPECT_EQ(lines(r.value())[0], "/srv " + file + " 42 true false true");
}

TEST_F(TemplateExpandTest, IllTypedParametersAreErrorsAtTheirValue) {
  param("p", "srv", ParamType::path, 2);
  param("f", top_ + "/missing", ParamType::file, 3);
  param("d", top_, ParamType::file, 4);
  param("n", "4x", ParamType::number, 5);
  param("b", "maybe", ParamType::boolean, 6);
  const std::string f = top_ + "/busybox.tmpl:";
  EXPECT_EQ(error(), f + "2:20: the default of parameter `p` (`srv`) is not an absolute path; parameter `p` is a path\n" +
                         f + "3:20: the default of parameter `f` (`" + top_ +
                         "/missing`) cannot be read: No such file or directory; parameter `f` is a file\n" + f +
                         "4:20: the default of parameter `d` (`" + top_ +
                         "`) is not a regular file; parameter `d` is a file\n" + f +
                         "5:20: the default of parameter `n` (`4x`) is not a decimal number; parameter `n` is a number\n" +
                         f +
                         "6:20: the default of parameter `b` (`maybe`) is not a boolean (true, false, yes, no, 1 or 0); "
                         "parameter `b` is a boolean");
}

TEST_F(TemplateExpandTest, IllTypedCommandLineValueNamesTheOption) {
  param("n", "1", ParamType::number, 2);
  in_.params["n"] = "ten";
  EXPECT_EQ(error(), top_ + "/busybox.tmpl:2:1: `--n` (`ten`) is not a decimal number; parameter `n` is a number");
}

TEST_F(TemplateExpandTest, MissingRequirementsNameThePackage) {
  param("bb", "/nonexistent/busybox");
  t_.requirements.push_back(Requirement{text("sh", 3, 9), "dash", {file_, 3, 1}});
  t_.requirements.push_back(Requirement{text("/bin/sh", 4, 9), "dash", {file_, 4, 1}});
  t_.requirements.push_back(Requirement{text("corral-no-such-command", 5, 9), "debootstrap", {file_, 5, 1}});
  t_.requirements.push_back(Requirement{text("${bb}", 6, 9), "busybox-static", {file_, 6, 1}});
  t_.requirements.push_back(Requirement{text("bin/sh", 7, 9), "dash", {file_, 7, 1}});
  const std::string f = top_ + "/busybox.tmpl:";
  EXPECT_EQ(error(), f +
                         "5:1: `corral-no-such-command` is required by template busybox: install the Debian package "
                         "debootstrap\n" +
                         f +
                         "6:1: `/nonexistent/busybox` is required by template busybox: install the Debian package "
                         "busybox-static\n" +
                         f + "7:9: requirement `bin/sh` is neither a command name nor an absolute path");
}

TEST_F(TemplateExpandTest, RequirementsFollowPath) {
  t_.requirements.push_back(Requirement{text("true"), "coreutils", {file_, 1, 1}});
  ASSERT_TRUE(expand().ok());
  const char* old = std::getenv("PATH");
  std::string saved = old ? old : "";
  ::setenv("PATH", top_.c_str(), 1);
  std::string e = error();
  ::setenv("PATH", saved.c_str(), 1);
  EXPECT_NE(e.find("`true` is required by template busybox: install the Debian package coreutils"), std::string::npos);
}

TEST_F(TemplateExpandTest, ModesAreThreeOrFourOctalDigits) {
  step(StepKind::mkdir, {"755", "a"});
  step(StepKind::mkdir, {"1777", "tmp"});
  Result<Recipe> r = expand();
  ASSERT_TRUE(r.ok()) << r.error().render();
  EXPECT_EQ(r.value().steps[0].mode, 0755u);
  EXPECT_EQ(r.value().steps[1].mode, 01777u);
  for (const char* bad : {"75", "07555", "0855", "rwx", ""}) {
    t_.rootfs.clear();
    step(StepKind::mkdir, {bad, "a"});
    EXPECT_NE(error().find(std::string("1:10: mode `") + bad + "`: expected 3 or 4 octal digits, like 0755"),
              std::string::npos)
        << bad;
  }
}

TEST_F(TemplateExpandTest, MkdirBecomesOneStepPerDirectoryWithCanonicalPaths) {
  step(StepKind::mkdir, {"0755", "./etc//init.d/", "bin", "a/./b"});
  Result<Recipe> r = expand();
  ASSERT_TRUE(r.ok()) << r.error().render();
  ASSERT_EQ(r.value().steps.size(), 3u);
  EXPECT_EQ(r.value().steps[0].args, std::vector<std::string>{"etc/init.d"});
  EXPECT_EQ(r.value().steps[1].args, std::vector<std::string>{"bin"});
  EXPECT_EQ(r.value().steps[2].args, std::vector<std::string>{"a/b"});
  for (const ResolvedStep& s : r.value().steps) EXPECT_EQ(s.where.line, 1u);
}

TEST_F(TemplateExpandTest, DotDotIsRefused) {
  step(StepKind::mkdir, {"0755", "etc/../../host"});
  step(StepKind::write, {"..", "0644", "x"}, 2);
  step(StepKind::symlink, {"/etc", "a/.."}, 3);
  const std::string f = top_ + "/busybox.tmpl:";
  EXPECT_EQ(error(), f + "1:20: rootfs path `etc/../../host` has a `..` component; paths cannot leave the rootfs\n" + f +
                         "2:10: rootfs path `..` has a `..` component; paths cannot leave the rootfs\n" + f +
                         "3:20: rootfs path `a/..` has a `..` component; paths cannot leave the rootfs");
}

TEST_F(TemplateExpandTest, AbsoluteAndEmptyDestinationsAreRefused) {
  step(StepKind::copy, {"/bin/sh", "/bin/sh"});
  step(StepKind::write, {"", "0644", "x"}, 2);
  step(StepKind::device, {"c", "1", "3", "0666", "."}, 3);
  const std::string f = top_ + "/busybox.tmpl:";
  EXPECT_EQ(error(),
            f + "1:20: rootfs path `/bin/sh` is absolute; paths in the rootfs are written relative to it\n" + f +
                "2:10: rootfs path `` is empty\n" + f + "3:50: rootfs path `.` names the rootfs itself");
}

TEST_F(TemplateExpandTest, DestinationFromAParameterIsCheckedAfterExpansion) {
  param("dir", "/etc");
  step(StepKind::mkdir, {"0755", "${dir}"}, 2);
  EXPECT_EQ(error(),
            top_ + "/busybox.tmpl:2:20: rootfs path `/etc` is absolute; paths in the rootfs are written relative to it");
}

TEST_F(TemplateExpandTest, HostSourcesMustBeAbsoluteExistingFiles) {
  step(StepKind::copy, {"bin/sh", "bin/sh"});
  step(StepKind::copy, {top_ + "/missing", "x"}, 2);
  step(StepKind::copy, {top_, "x"}, 3);
  step(StepKind::extract, {top_ + "/missing.tar"}, 4);
  const std::string f = top_ + "/busybox.tmpl:";
  EXPECT_EQ(error(), f + "1:10: host file `bin/sh` must be an absolute host path\n" + f + "2:10: host file `" + top_ +
                         "/missing` cannot be read: No such file or directory\n" + f + "3:10: host file `" + top_ +
                         "` is not a regular file\n" + f + "4:10: host file `" + top_ +
                         "/missing.tar` cannot be read: No such file or directory");
}

TEST_F(TemplateExpandTest, CopyTakesTheHostModeUnlessGiven) {
  std::string file = top_ + "/f";
  std::ofstream(file) << "x";
  ::chmod(file.c_str(), 0640);
  step(StepKind::copy, {file, "etc/f"});
  step(StepKind::copy, {file, "etc/g", "4755"});
  Result<Recipe> r = expand();
  ASSERT_TRUE(r.ok()) << r.error().render();
  EXPECT_EQ(r.value().steps[0].mode, 0640u);
  EXPECT_EQ(r.value().steps[1].mode, 04755u);
  EXPECT_EQ(r.value().steps[1].args, (std::vector<std::string>{file, "etc/g"}));
  EXPECT_EQ(r.value().host_files, std::vector<std::string>{file});  // read twice, listed once
}

TEST_F(TemplateExpandTest, DeviceArguments) {
  step(StepKind::device, {"c", "1", "3", "0666", "dev/null"});
  Result<Recipe> r = expand();
  ASSERT_TRUE(r.ok()) << r.error().render();
  EXPECT_EQ(r.value().steps[0].args, (std::vector<std::string>{"c", "1", "3", "dev/null"}));
  EXPECT_EQ(r.value().steps[0].mode, 0666u);
  t_.rootfs.clear();
  step(StepKind::device, {"p", "x1", "99999999", "0666", "dev/null"});
  const std::string f = top_ + "/busybox.tmpl:";
  EXPECT_EQ(error(), f + "1:10: device type `p`: expected `c` or `b`\n" + f +
                         "1:20: device major `x1`: expected a decimal number up to 4095\n" + f +
                         "1:30: device minor `99999999`: expected a decimal number up to 1048575");
}

TEST_F(TemplateExpandTest, SymlinkWriteExtractDebootstrapChroot) {
  std::string tarball = top_ + "/fs.tar.gz";
  std::ofstream(tarball) << "not checked here";
  step(StepKind::symlink, {"/run", "var/run"});
  step(StepKind::write, {"etc/hostname", "0644", "${name}\n"});
  step(StepKind::append, {"etc/group", "0644", "root:x:0:\n"});
  step(StepKind::extract, {tarball});
  step(StepKind::extract, {tarball, "opt/x/"});
  step(StepKind::debootstrap, {"bookworm", "http://deb.debian.org/debian"});
  step(StepKind::chroot, {"/bin/busybox", "--install", "-s"});
  // debootstrap need not be installed: a stand-in in PATH is all expand() looks at.
  fs::create_directories(top_ + "/bin");
  std::ofstream(top_ + "/bin/debootstrap") << "#!/bin/sh\nexit 1\n";
  ::chmod((top_ + "/bin/debootstrap").c_str(), 0755);
  const char* old = std::getenv("PATH");
  std::string saved = old ? old : "";
  ::setenv("PATH", (top_ + "/bin:" + saved).c_str(), 1);
  Result<Recipe> r = expand();
  ::setenv("PATH", saved.c_str(), 1);
  ASSERT_TRUE(r.ok()) << r.error().render();
  const auto& s = r.value().steps;
  ASSERT_EQ(s.size(), 7u);
  EXPECT_EQ(s[0].args, (std::vector<std::string>{"/run", "var/run"}));
  EXPECT_EQ(s[1].args, (std::vector<std::string>{"etc/hostname", "c1\n"}));
  EXPECT_EQ(s[3].args, (std::vector<std::string>{tarball, "."}));
  EXPECT_EQ(s[4].args, (std::vector<std::string>{tarball, "opt/x"}));
  EXPECT_EQ(s[5].args, (std::vector<std::string>{"bookworm", "http://deb.debian.org/debian"}));
  EXPECT_EQ(s[6].args, (std::vector<std::string>{"/bin/busybox", "--install", "-s"}));
  // The tarball and the commands the steps run on the host.
  ASSERT_EQ(r.value().host_files.size(), 3u);
  EXPECT_EQ(r.value().host_files[0], tarball);
  EXPECT_EQ(r.value().host_files[1].substr(r.value().host_files[1].rfind('/')), "/tar");
  EXPECT_EQ(r.value().host_files[2], top_ + "/bin/debootstrap");
}

TEST_F(TemplateExpandTest, ToolsTheStepsRunMustBeInPath) {
  std::string tarball = top_ + "/fs.tar";
  std::ofstream(tarball) << "";
  step(StepKind::extract, {tarball}, 2);
  step(StepKind::debootstrap, {"bookworm", "http://deb.debian.org/debian"}, 3);
  const char* old = std::getenv("PATH");
  std::string saved = old ? old : "";
  ::setenv("PATH", top_.c_str(), 1);
  std::string e = error();
  ::setenv("PATH", saved.c_str(), 1);
  const std::string f = top_ + "/busybox.tmpl:";
  EXPECT_EQ(e, f + "2:3: `tar` is required by step extract of template busybox: install the Debian package tar\n" + f +
                   "3:3: `debootstrap` is required by step debootstrap of template busybox: install the Debian "
                   "package debootstrap");
}

TEST_F(TemplateExpandTest, DebootstrapReleaseIsOneWord) {
  step(StepKind::debootstrap, {"../etc", "http://m"});
  EXPECT_NE(error().find("1:10: debootstrap release `../etc` is not a release name"), std::string::npos);
}

TEST_F(TemplateExpandTest, DebootstrapPackagesArePackageNames) {
  step(StepKind::debootstrap, {"bookworm", "http://m", "systemd-sysv,Bad Name"});
  EXPECT_NE(error().find("debootstrap packages `systemd-sysv,Bad Name` are not Debian package names separated by "
                         "commas"),
            std::string::npos)
      << error();
  step(StepKind::debootstrap, {"bookworm", "http://m", "a,,b"});
  EXPECT_NE(error().find("debootstrap packages `a,,b`"), std::string::npos) << "an empty name between commas";
}

TEST_F(TemplateExpandTest, WrongArgumentCountsAreRefused) {
  step(StepKind::copy, {"/bin/sh"}, 2);
  step(StepKind::chroot, {}, 3);
  const std::string f = top_ + "/busybox.tmpl:";
  EXPECT_EQ(error(), f + "2:3: wrong number of arguments for `copy`\n" + f + "3:3: wrong number of arguments for `chroot`");
}

/// What ldd reports for `binary`: the paths it loads, vdso excluded.
std::set<std::string> ldd(const std::string& binary) {
  std::set<std::string> out;
  FILE* p = ::popen(("ldd " + binary + " 2>/dev/null").c_str(), "r");
  if (!p) return out;
  char line[1024];
  while (std::fgets(line, sizeof line, p)) {
    std::string l = line;
    size_t arrow = l.find("=> ");
    size_t start = arrow == std::string::npos ? l.find_first_not_of(" \t") : arrow + 3;
    size_t end = l.find(" (", start);
    if (start == std::string::npos || end == std::string::npos || l[start] != '/') continue;
    out.insert(l.substr(start, end - start));
  }
  ::pclose(p);
  return out;
}

TEST_F(TemplateExpandTest, BinaryBringsItsInterpreterAndLibraries) {
  if (!fs::exists("/bin/ls") || !fs::exists("/usr/bin/ldd")) GTEST_SKIP() << "needs /bin/ls and ldd";
  step(StepKind::binary, {"/bin/ls", "bin/ls"}, 5);
  Result<Recipe> r = expand();
  ASSERT_TRUE(r.ok()) << r.error().render();
  const auto& s = r.value().steps;
  ASSERT_GE(s.size(), 3u);
  EXPECT_EQ(s[0].kind, StepKind::binary);
  EXPECT_EQ(s[0].args, (std::vector<std::string>{"/bin/ls", "bin/ls"}));
  EXPECT_EQ(s[0].mode, 0755u);
  std::set<std::string> copied;
  for (size_t i = 1; i < s.size(); ++i) {
    EXPECT_EQ(s[i].kind, StepKind::copy);
    EXPECT_EQ(s[i].args[1], s[i].args[0].substr(1)) << "a library lands at its host path";
    EXPECT_EQ(s[i].where.line, 5u);
    copied.insert(s[i].args[0]);
  }
  EXPECT_EQ(s[1].args[0], "/lib64/ld-linux-x86-64.so.2") << "the interpreter comes first";
  EXPECT_EQ(copied, ldd("/bin/ls"));
  EXPECT_TRUE(copied.count("/lib/x86_64-linux-gnu/libc.so.6"));
  std::vector<std::string> expected_host{"/bin/ls"};
  for (size_t i = 1; i < s.size(); ++i) expected_host.push_back(s[i].args[0]);
  EXPECT_EQ(r.value().host_files, expected_host);
}

TEST_F(TemplateExpandTest, TwoBinariesShareTheirLibraries) {
  if (!fs::exists("/bin/ls") || !fs::exists("/bin/cat")) GTEST_SKIP() << "needs /bin/ls and /bin/cat";
  step(StepKind::binary, {"/bin/ls", "bin/ls"});
  step(StepKind::binary, {"/bin/cat", "bin/cat"});
  Result<Recipe> r = expand();
  ASSERT_TRUE(r.ok()) << r.error().render();
  std::vector<std::string> dests;
  for (const ResolvedStep& s : r.value().steps) dests.push_back(s.args[1]);
  std::set<std::string> unique(dests.begin(), dests.end());
  EXPECT_EQ(unique.size(), dests.size());
  EXPECT_EQ(std::count(dests.begin(), dests.end(), "bin/cat"), 1);
}

TEST_F(TemplateExpandTest, StaticBinaryHasNoLibraries) {
  if (!fs::exists("/bin/busybox") || !ldd("/bin/busybox").empty())
    GTEST_SKIP() << "needs a static /bin/busybox (busybox-static)";
  step(StepKind::binary, {"/bin/busybox", "bin/busybox"});
  Result<Recipe> r = expand();
  ASSERT_TRUE(r.ok()) << r.error().render();
  ASSERT_EQ(r.value().steps.size(), 1u);
  EXPECT_EQ(r.value().host_files, std::vector<std::string>{"/bin/busybox"});
}

TEST_F(TemplateExpandTest, BinaryMustBeAnElfFile) {
  std::string script = top_ + "/script";
  std::ofstream(script) << "#!/bin/sh\necho hi\n";
  step(StepKind::binary, {script, "bin/script"});
  EXPECT_EQ(error(), top_ + "/busybox.tmpl:1:10: binary: `" + script + "` is not an ELF file");
}

TEST_F(TemplateExpandTest, AnUndefinedReferenceDoesNotAlsoReportTheStep) {
  step(StepKind::copy, {"${undefined-thing}", "/abs"}, 2);
  EXPECT_EQ(error(), top_ + "/busybox.tmpl:2:10: undefined parameter `${undefined-thing}`");
}

TEST_F(TemplateExpandTest, EveryProblemIsReportedInOrder) {
  param("n", "x", ParamType::number, 1);
  in_.params["bogus"] = "1";
  t_.requirements.push_back(Requirement{text("corral-no-such-command", 2, 9), "pkg", {file_, 2, 1}});
  step(StepKind::mkdir, {"0755", "/abs"}, 3);
  t_.config = {text("a = ${undefined}", 4, 3)};
  Result<Recipe> r = expand();
  ASSERT_FALSE(r.ok());
  // The first problem has no position (the command line): it leads the message.
  EXPECT_TRUE(r.error().loc().file.empty());
  const std::string f = top_ + "/busybox.tmpl:";
  EXPECT_EQ(r.error().render(),
            "template busybox has no parameter `--bogus` (it takes --n)\n" + f +
                "1:20: the default of parameter `n` (`x`) is not a decimal number; parameter `n` is a number\n" + f +
                "2:1: `corral-no-such-command` is required by template busybox: install the Debian package pkg\n" + f +
                "3:20: rootfs path `/abs` is absolute; paths in the rootfs are written relative to it\n" + f +
                "4:7: undefined parameter `${undefined}`");
}

TEST_F(TemplateExpandTest, ErrorCarriesTheTemplatePosition) {
  step(StepKind::mkdir, {"0755", "../x"}, 9);
  Result<Recipe> r = expand();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().loc().file, top_ + "/busybox.tmpl");
  EXPECT_EQ(r.error().loc().line, 9u);
  EXPECT_EQ(r.error().loc().col, 20u);
  EXPECT_EQ(r.error().kind(), Error::Kind::config);
}

}  // namespace
}  // namespace corral::tmpl

namespace corral::tmpl {
namespace {

// The raw-text convention shared with parse.cpp (`\$` and `\\` kept
// escaped, other escapes decoded) checked end to end on parsed text.
TEST_F(TemplateExpandTest, ParsedTemplateExpandsWithExactColumns) {
  const std::string text =
      "description \"d\"\n"
      "param motd = \"a\\tb \\${name} \\\\ ${name}\"\n"
      "rootfs {\n"
      "  write etc/motd 0644 \"${motd}\\n\"\n"
      "  write etc/issue 0644 \"x\\\"\\n${nobody}\"\n"
      "}\n"
      "config {\n"
      "  lxc.uts.name = ${name}\n"
      "  # ${path} stays\n"
      "}\n";
  source(text);
  config::Diagnostics diags;
  std::optional<Template> t = parse_template(text, top_ + "/busybox.tmpl", file_, diags);
  ASSERT_TRUE(t) << diags.render(sources_);
  t_ = *t;
  t_.name = "busybox";
  std::string e = error();
  //   write etc/issue 0644 "x\"\n${nobody}"   the quote is column 24, `$` column 30
  EXPECT_EQ(e, top_ + "/busybox.tmpl:5:30: undefined parameter `${nobody}`");
  t_.rootfs.pop_back();
  Result<Recipe> r = expand();
  ASSERT_TRUE(r.ok()) << r.error().render();
  EXPECT_EQ(r.value().steps[0].args[1], "a\tb ${name} \\ c1\n");
  EXPECT_EQ(lines(r.value())[0], "lxc.uts.name = c1");
  EXPECT_EQ(lines(r.value())[1], "# ${path} stays");
}

}  // namespace
}  // namespace corral::tmpl
