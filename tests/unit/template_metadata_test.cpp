// The metadata tarball of a template (metadata.cpp) and what expand()
// makes of its members: LXC's relevant_file() lookup, lists, the errors of
// a tarball that cannot be used, and the steps, directives and container
// files that name members. Tarballs are made with tar(1) in a temporary
// directory, which is also TMPDIR, so that the private directory a read
// unpacks into can be seen to go.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "template/metadata.hpp"
#include "template/template.hpp"

namespace corral::tmpl {
namespace {

namespace fs = std::filesystem;

class TemplateMetadataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/corral-metadata-test.XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    top_ = dir;
    fs::create_directories(top_ + "/tmp");
    const char* old = std::getenv("TMPDIR");
    old_tmpdir_ = old ? old : "";
    had_tmpdir_ = old != nullptr;
    ::setenv("TMPDIR", (top_ + "/tmp").c_str(), 1);
  }
  void TearDown() override {
    if (had_tmpdir_) ::setenv("TMPDIR", old_tmpdir_.c_str(), 1);
    else ::unsetenv("TMPDIR");
    fs::remove_all(top_);
  }

  /// A tarball (xz, as LXC's images are) of `members`, named NAME.tar.xz.
  std::string tarball(const std::string& name, const std::map<std::string, std::string>& members) {
    std::string src = top_ + "/" + name + ".d";
    fs::create_directories(src);
    for (const auto& [member, content] : members) std::ofstream(src + "/" + member) << content;
    std::string out = top_ + "/" + name + ".tar.xz";
    EXPECT_EQ(std::system(("tar -C " + src + " -cJf " + out + " .").c_str()), 0);
    return out;
  }

  /// Parses `text` as template t.tmpl and expands it for container c1.
  Result<Recipe> expand_text(const std::string& text, std::map<std::string, std::string> params = {}) {
    std::string path = top_ + "/t.tmpl";
    std::ofstream(path) << text;
    sources_ = config::SourceTable{};
    uint32_t id = sources_.add(path, {});
    config::Diagnostics diags;
    std::optional<Template> t = parse_template(text, path, id, diags);
    EXPECT_TRUE(t.has_value()) << diags.render(sources_);
    if (!t) return Error::usage("parse");
    return expand(*t, Inputs{"c1", "/srv/lxc/c1", "/srv/lxc/c1/rootfs", std::move(params)}, sources_);
  }

  std::string error_of(const std::string& text, std::map<std::string, std::string> params = {}) {
    Result<Recipe> r = expand_text(text, std::move(params));
    EXPECT_FALSE(r.ok());
    return r.ok() ? "" : r.error().render();
  }

  /// The template's head: a metadata tarball given as --meta.
  static std::string head() { return "description \"t\"\nparam meta = \"\" : file\nmetadata \"${meta}\"\n"; }

  static std::vector<std::string> config_lines(const Recipe& r) {
    Result<std::vector<ConfigLine>> lines = render_config(r, {});
    std::vector<std::string> out;
    if (lines)
      for (const ConfigLine& l : lines.value()) out.push_back(l.text);
    return out;
  }

  bool tmpdir_empty() const { return fs::is_empty(top_ + "/tmp"); }

  std::string top_;
  std::string old_tmpdir_;
  bool had_tmpdir_ = false;
  config::SourceTable sources_;
};

TEST_F(TemplateMetadataTest, RelevantFileLookup) {
  // NAME-MODE wins over NAME; then ".5" is added when that exists.
  std::string t = tarball("m", {{"config", "c"},
                                {"config-user", "cu"},
                                {"excludes", "e"},
                                {"excludes.5", "e5"},
                                {"fstab-system", "fs"},
                                {"fstab-system.5", "fs5"},
                                {"templates-user.5", "tu5"}});
  Result<Metadata> system = Metadata::read(t, "system");
  ASSERT_TRUE(system.ok()) << system.error().render();
  Result<Metadata> user = Metadata::read(t, "user");
  ASSERT_TRUE(user.ok()) << user.error().render();
  auto content = [](const Metadata& m, std::string_view name) {
    const MetadataMember* f = m.find(name);
    return f ? f->content : "(none)";
  };
  EXPECT_EQ(content(system.value(), "config"), "c");
  EXPECT_EQ(content(user.value(), "config"), "cu");
  EXPECT_EQ(content(system.value(), "excludes"), "e5");
  EXPECT_EQ(content(system.value(), "fstab"), "fs5");
  EXPECT_EQ(content(user.value(), "fstab"), "(none)");
  // templates-user.5 alone: lxc-local looks for templates-user, then templates.5.
  EXPECT_EQ(content(user.value(), "templates"), "(none)");
  EXPECT_EQ(content(system.value(), "create-message"), "(none)");
  EXPECT_EQ(system.value().candidates("config"),
            (std::vector<std::string>{"config-system.5", "config-system", "config.5", "config"}));
  EXPECT_TRUE(tmpdir_empty()) << "the private directory is removed";
}

TEST_F(TemplateMetadataTest, MembersWithoutTheDotSlashPrefix) {
  std::string src = top_ + "/plain";
  fs::create_directories(src);
  std::ofstream(src + "/config") << "lxc.arch = x86_64\n";
  std::string t = top_ + "/plain.tar.gz";
  ASSERT_EQ(std::system(("tar -C " + src + " -czf " + t + " config").c_str()), 0);
  Result<Metadata> m = Metadata::read(t, "system");
  ASSERT_TRUE(m.ok()) << m.error().render();
  ASSERT_NE(m.value().find("config"), nullptr);
  EXPECT_EQ(m.value().find("config")->content, "lxc.arch = x86_64\n");
}

TEST_F(TemplateMetadataTest, OnlyTheTopLevelIsRead) {
  std::string src = top_ + "/deep";
  fs::create_directories(src + "/etc/x");
  std::ofstream(src + "/etc/x/config") << "deep";
  std::ofstream(src + "/config") << "top";
  std::string t = top_ + "/deep.tar";
  ASSERT_EQ(std::system(("tar -C " + src + " -cf " + t + " . etc").c_str()), 0);
  Result<Metadata> m = Metadata::read(t, "system");
  ASSERT_TRUE(m.ok()) << m.error().render();
  EXPECT_EQ(m.value().find("config")->content, "top");
  // A top-level directory is there (as tar made it), not what is in it.
  ASSERT_NE(m.value().find("etc"), nullptr);
  EXPECT_FALSE(m.value().find("etc")->regular);
}

TEST_F(TemplateMetadataTest, ACorruptTarballSaysWhatTarSaid) {
  std::string t = top_ + "/corrupt.tar.xz";
  std::ofstream(t) << "this is no tarball";
  Result<Metadata> m = Metadata::read(t, "system");
  ASSERT_FALSE(m.ok());
  std::string msg = m.error().render();
  EXPECT_TRUE(msg.starts_with("cannot unpack the metadata tarball `" + t + "`: ")) << msg;
  EXPECT_EQ(msg.find("Exiting with failure status"), std::string::npos) << msg;
  EXPECT_TRUE(tmpdir_empty());
}

TEST_F(TemplateMetadataTest, MemberListsAsReadDoes) {
  EXPECT_EQ(member_list("  ./var/log \n\n\t./tmp\n./last"),
            (std::vector<std::pair<uint32_t, std::string>>{{1, "./var/log"}, {3, "./tmp"}, {4, "./last"}}));
  EXPECT_TRUE(member_list("").empty());
  EXPECT_TRUE(member_list("\n \n").empty());
}

TEST_F(TemplateMetadataTest, ExpandReadsTheMembers) {
  std::string t = tarball("m", {{"config", "lxc.arch = x86_64\n\n# LXC_NAME\n"},
                                {"excludes", "./var/log\n./var/cache\n"},
                                {"templates", "/etc/hostname\netc/hosts\n"},
                                {"fstab", "proc proc proc defaults 0 0 # LXC_NAME\n"},
                                {"create-message", "Hello LXC_NAME\n"}});
  std::string fstree = t;  // any readable file will do: nothing is extracted here
  Result<Recipe> r = expand_text(head() + "token LXC_NAME = ${name}\n"
                                          "container-file fstab metadata:fstab\n"
                                          "container-file missing metadata:missing\n"
                                          "rootfs {\n"
                                          "  extract \"${meta}\" . metadata:excludes ./tmp\n"
                                          "  substitute metadata:templates\n"
                                          "  print \"\\n---\\n\" metadata:create-message\n"
                                          "  print \"gone: \" metadata:missing\n"
                                          "}\n"
                                          "config {\n"
                                          "  @insert metadata:config\n"
                                          "  @if metadata:fstab \"lxc.mount.fstab = ${path}/fstab\"\n"
                                          "  @if metadata:missing \"lxc.never = 1\"\n"
                                          "}\n",
                                 {{"meta", t}});
  ASSERT_TRUE(r.ok()) << r.error().render();
  const Recipe& rec = r.value();
  ASSERT_EQ(rec.steps.size(), 4u);
  EXPECT_EQ(rec.steps[0].args, (std::vector<std::string>{t, ".", "./var/log", "./var/cache", "./tmp"}));
  EXPECT_EQ(rec.steps[1].kind, StepKind::substitute);
  EXPECT_EQ(rec.steps[1].args, (std::vector<std::string>{"etc/hostname"}));
  EXPECT_EQ(rec.steps[2].args, (std::vector<std::string>{"etc/hosts"}));
  EXPECT_EQ(rec.steps[3].kind, StepKind::print);
  EXPECT_EQ(rec.steps[3].args, (std::vector<std::string>{"\n---\nHello LXC_NAME\n"})) << "printed unsubstituted";
  ASSERT_EQ(rec.files.size(), 1u) << "no file for a member the tarball lacks";
  EXPECT_EQ(rec.files[0].name, "fstab");
  EXPECT_EQ(rec.files[0].content, "proc proc proc defaults 0 0 # c1\n") << "tokens replaced";
  EXPECT_EQ(config_lines(rec),
            (std::vector<std::string>{"lxc.arch = x86_64", "", "# c1", "lxc.mount.fstab = /srv/lxc/c1/fstab"}));
  // The inserted lines are where the member has them.
  ASSERT_GE(rec.config.size(), 3u);
  EXPECT_EQ(sources_.describe(rec.config[2].line.where), t + "(config):3:1");
  EXPECT_TRUE(tmpdir_empty());
}

TEST_F(TemplateMetadataTest, AMissingConfigIsAnErrorAtTheInsert) {
  std::string t = tarball("m", {{"fstab", "x\n"}});
  EXPECT_EQ(error_of(head() + "config {\n  @insert metadata:config\n}\n", {{"meta", t}}),
            top_ + "/t.tmpl:5:11: @insert: the metadata tarball `" + t +
                "` has no `config` (looked for config-system.5, config-system, config.5 and config)");
}

TEST_F(TemplateMetadataTest, ACorruptTarballIsAnErrorAtTheStatement) {
  std::string t = top_ + "/corrupt.tar.xz";
  std::ofstream(t) << "garbage";
  std::string err = error_of(head() + "config {\n  @insert metadata:config\n}\n", {{"meta", t}});
  EXPECT_TRUE(err.starts_with(top_ + "/t.tmpl:3:10: cannot unpack the metadata tarball `" + t + "`: ")) << err;
  EXPECT_EQ(err.find('\n'), std::string::npos) << "the members are not looked for again: " << err;
}

TEST_F(TemplateMetadataTest, ATemplatesEntryWithDotDotIsAnErrorAtItsLine) {
  std::string t = tarball("m", {{"templates", "/etc/hostname\n../../etc/shadow\n/etc/../../x\n"}});
  EXPECT_EQ(error_of(head() + "token A = a\nrootfs {\n  substitute metadata:templates\n}\n", {{"meta", t}}),
            t + "(templates):2:1: rootfs path `../../etc/shadow` has a `..` component; paths cannot leave the "
                "rootfs\n" +
                t + "(templates):3:1: rootfs path `/etc/../../x` has a `..` component; paths cannot leave the rootfs");
}

TEST_F(TemplateMetadataTest, MembersThatCannotBeRead) {
  std::string src = top_ + "/odd";
  fs::create_directories(src + "/config");
  fs::create_symlink("/etc/passwd", src + "/fstab");
  std::ofstream(src + "/create-message") << std::string(Metadata::kMaxMember + 1, 'x');
  std::string t = top_ + "/odd.tar";
  ASSERT_EQ(std::system(("tar -C " + src + " -cf " + t + " .").c_str()), 0);
  std::string err = error_of(head() + "container-file fstab metadata:fstab\n"
                                      "rootfs {\n  print metadata:create-message\n}\n"
                                      "config {\n  @insert metadata:config\n}\n",
                             {{"meta", t}});
  EXPECT_NE(err.find("container-file: `fstab` in the metadata tarball `" + t + "` is not a regular file"),
            std::string::npos)
      << err;
  EXPECT_NE(err.find(":6:9: print: `create-message` in the metadata tarball `" + t + "` is larger than 1024 KiB"),
            std::string::npos)
      << err;
  EXPECT_NE(err.find("@insert: `config` in the metadata tarball `" + t + "` is not a regular file"),
            std::string::npos)
      << err;
}

TEST_F(TemplateMetadataTest, MemberWordsNeedAMetadataStatement) {
  EXPECT_EQ(error_of("description \"t\"\nconfig {\n  @insert metadata:config\n}\n"),
            top_ + "/t.tmpl:3:11: @insert: `metadata:config` names a member of the metadata tarball, but template t "
                   "reads none (add a statement `metadata FILE`)");
  std::string t = tarball("m", {{"config", ""}});
  EXPECT_EQ(error_of(head() + "config {\n  @insert metadata:\n  @if config x\n}\n", {{"meta", t}}),
            top_ + "/t.tmpl:5:11: @insert: `metadata:` does not name a member: write `metadata:NAME`, NAME a file "
                   "name in the tarball\n" +
                top_ + "/t.tmpl:6:7: @if takes a member of the metadata tarball as `metadata:NAME`, not `config`");
}

TEST_F(TemplateMetadataTest, TheMetadataTarballMustBeAFile) {
  EXPECT_EQ(error_of(head(), {{"meta", top_ + "/none.tar"}}),
            top_ + "/t.tmpl:2:7: `--meta` (`" + top_ +
                "/none.tar`) cannot be read: No such file or directory; parameter `meta` is a file\n" +
                top_ + "/t.tmpl:3:10: metadata tarball `" + top_ +
                "/none.tar` cannot be read: No such file or directory");
}

TEST_F(TemplateMetadataTest, BucketsAreFilledThenEmittedOnce) {
  std::string t = tarball("m", {{"config", ""}});
  std::string err = error_of(head() + "config {\n"
                              "  @emit early\n"
                              "  @move a early\n"
                              "  @move b kept\n"
                              "  @emit early\n"
                              "  @emit early\n"
                              "  @move c early\n"
                              "  @move \"\" x\n"
                              "  @move lxc[ y\n"
                              "  @move a Bad\n"
                              "}\n",
                     {{"meta", t}});
  // regerror's words are glibc's.
  const std::string bad = "/t.tmpl:12:9: @move: pattern `lxc[` is not a regular expression: ";
  size_t why = err.find(bad);
  ASSERT_NE(why, std::string::npos) << err;
  why += bad.size();
  err.erase(why, err.find('\n', why) - why);
  EXPECT_EQ(err,
            top_ + "/t.tmpl:5:9: @emit: no @move above fills bucket `early`\n" + top_ +
                "/t.tmpl:9:9: @emit: bucket `early` is emitted twice (first at " + top_ + "/t.tmpl:8:3)\n" + top_ +
                "/t.tmpl:10:11: @move: bucket `early` is emitted above, at " + top_ +
                "/t.tmpl:8:3; its lines would be lost\n" + top_ +
                "/t.tmpl:11:9: @move: the pattern is empty (it would take every line)\n" + top_ +
                "/t.tmpl:12:9: @move: pattern `lxc[` is not a regular expression: \n" +
                top_ + "/t.tmpl:13:11: bucket name `Bad`: lowercase letters, digits and '-', starting with a letter\n" +
                top_ + "/t.tmpl:7:3: @move: bucket `kept` is never emitted: add `@emit kept` where its lines go\n" +
                top_ + "/t.tmpl:11:3: @move: bucket `x` is never emitted: add `@emit x` where its lines go\n" +
                top_ + "/t.tmpl:12:3: @move: bucket `y` is never emitted: add `@emit y` where its lines go");
}

TEST_F(TemplateMetadataTest, TokensAndContainerFiles) {
  EXPECT_EQ(error_of("description \"t\"\nparam v = \"a\\nb\"\ntoken T = \"${v}\"\n"
                     "container-file config x\ncontainer-file a/b x\ncontainer-file .. x\n"
                     "container-file n x\ncontainer-file n y\n"),
            top_ + "/t.tmpl:3:11: the value of token T holds a newline: a token is replaced within a line\n" + top_ +
                "/t.tmpl:4:16: container-file `config`: corral writes that file itself\n" + top_ +
                "/t.tmpl:5:16: container-file `a/b`: expected a file name, without '/'\n" + top_ +
                "/t.tmpl:6:16: container-file `..`: expected a file name, without '/'\n" + top_ +
                "/t.tmpl:8:16: container-file `n` is declared twice");
  Result<Recipe> r = expand_text("description \"t\"\ntoken N = ${name}\ncontainer-file notes \"for N\\n\"\n");
  ASSERT_TRUE(r.ok()) << r.error().render();
  ASSERT_EQ(r.value().files.size(), 1u);
  EXPECT_EQ(r.value().files[0].content, "for c1\n");
  EXPECT_EQ(r.value().tokens.size(), 1u);
}

TEST_F(TemplateMetadataTest, SubstituteNeedsTokensAndReplaceAText) {
  EXPECT_EQ(error_of("description \"t\"\nrootfs {\n  substitute etc/hosts\n  replace etc/a \"\" x\n"
                     "  extract /etc/hostname . \"\"\n}\n"),
            top_ + "/t.tmpl:3:3: substitute replaces the template's tokens, and template t declares none (add `token "
                   "NAME = VALUE` statements)\n" +
                top_ + "/t.tmpl:4:17: the text replace looks for is empty\n" + top_ +
                "/t.tmpl:5:27: an exclusion pattern of extract is empty");
}

}  // namespace
}  // namespace corral::tmpl
