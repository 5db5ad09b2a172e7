// The config a recipe makes (config_text.cpp): lines, @move into buckets
// with sed's regular expressions, @emit with its heading, and the tokens
// replaced afterwards, as lxc-local edits <path>/config
// (spec/templates.md §6). Recipes are built by hand; expand() is tested in
// template_metadata_test.cpp.
#include <gtest/gtest.h>

#include "template/template.hpp"

namespace corral::tmpl {
namespace {

ConfigOp line(std::string text) {
  ConfigOp op;
  op.line = {std::move(text), {}};
  return op;
}

ConfigOp move(std::string pattern, std::string bucket) {
  ConfigOp op;
  op.kind = ConfigOp::Kind::move;
  op.pattern = std::move(pattern);
  op.bucket = std::move(bucket);
  return op;
}

ConfigOp emit(std::string bucket, std::vector<std::string> heading = {}) {
  ConfigOp op;
  op.kind = ConfigOp::Kind::emit;
  op.bucket = std::move(bucket);
  for (std::string& h : heading) op.heading.push_back({std::move(h), {}});
  return op;
}

std::vector<ConfigLine> base(std::vector<std::string> texts) {
  std::vector<ConfigLine> out;
  uint32_t n = 0;
  for (std::string& t : texts) out.push_back({std::move(t), {0, ++n, 1}});
  return out;
}

std::string render(const Recipe& r, std::vector<std::string> before) {
  Result<std::vector<ConfigLine>> lines = render_config(r, base(std::move(before)));
  EXPECT_TRUE(lines.ok()) << (lines.ok() ? "" : lines.error().render());
  std::string out;
  if (lines)
    for (const ConfigLine& l : lines.value()) out += l.text + "\n";
  return out;
}

/// templates/local.tmpl's config block, expanded for container c1 in
/// /srv/lxc, with the image's config as lines.
Recipe local_recipe(const std::vector<std::string>& image_config, bool fstab) {
  Recipe r;
  r.config = {move("lxc.net.0", "network"), move("lxc.", "container"), line(""),
              line("# Distribution configuration")};
  for (const std::string& l : image_config) r.config.push_back(line(l));
  r.config.push_back(line(""));
  r.config.push_back(line("# Container specific configuration"));
  r.config.push_back(emit("container"));
  if (fstab) r.config.push_back(line("lxc.mount.fstab = /srv/lxc/c1/fstab"));
  r.config.push_back(line("lxc.uts.name = c1"));
  r.config.push_back(emit("network", {"", "# Network configuration"}));
  r.tokens = {{"LXC_NAME", "c1"},
              {"LXC_PATH", "/srv/lxc/c1"},
              {"LXC_ROOTFS", "/srv/lxc/c1/rootfs"},
              {"LXC_TEMPLATE_CONFIG", "/usr/share/lxc/config"},
              {"LXC_HOOK_DIR", "/usr/share/lxc/hooks"}};
  return r;
}

TEST(TemplateConfig, LinesAreAppendedInOrder) {
  Recipe r;
  r.config = {line("lxc.uts.name = c1"), line(""), line("# c")};
  EXPECT_EQ(render(r, {"lxc.rootfs.path = dir:/r"}), "lxc.rootfs.path = dir:/r\nlxc.uts.name = c1\n\n# c\n");
}

// What lxc-create -t local made with LXC 5.0.2 (spec/templates.md §6, the
// "verified result"): an initial config with network lines and a cap.drop.
TEST(TemplateConfig, TheLocalRewriteAsLxcDoesIt) {
  Recipe r = local_recipe({"lxc.include = LXC_TEMPLATE_CONFIG/common.conf", "lxc.arch = x86_64"}, true);
  EXPECT_EQ(render(r, {"lxc.net.0.type = empty", "lxc.net.0.flags = up", "lxc.cap.drop = sys_time",
                       "lxc.rootfs.path = dir:/srv/lxc/c1/rootfs"}),
            "\n"
            "# Distribution configuration\n"
            "lxc.include = /usr/share/lxc/config/common.conf\n"
            "lxc.arch = x86_64\n"
            "\n"
            "# Container specific configuration\n"
            "lxc.cap.drop = sys_time\n"
            "lxc.rootfs.path = dir:/srv/lxc/c1/rootfs\n"
            "lxc.mount.fstab = /srv/lxc/c1/fstab\n"
            "lxc.uts.name = c1\n"
            "\n"
            "# Network configuration\n"
            "lxc.net.0.type = empty\n"
            "lxc.net.0.flags = up\n");
}

TEST(TemplateConfig, LinesThatMatchNoPatternStayOnTop) {
  // `lxc.` is a regular expression: the '.' matches the '-' of "lxc-create",
  // so that comment moves, as sed moves it; "# spaced" stays where it was.
  Recipe r = local_recipe({"lxc.arch = x86_64"}, false);
  EXPECT_EQ(render(r, {"# made by lxc-create", "   # spaced", "lxc.rootfs.path = dir:/r"}),
            "   # spaced\n"
            "\n"
            "# Distribution configuration\n"
            "lxc.arch = x86_64\n"
            "\n"
            "# Container specific configuration\n"
            "# made by lxc-create\n"
            "lxc.rootfs.path = dir:/r\n"
            "lxc.uts.name = c1\n");
}

TEST(TemplateConfig, AnEmptyBucketEmitsNoHeading) {
  Recipe r = local_recipe({}, false);
  std::string out = render(r, {"lxc.rootfs.path = dir:/r"});
  EXPECT_EQ(out.find("# Network configuration"), std::string::npos) << out;
  EXPECT_TRUE(out.ends_with("lxc.uts.name = c1\n")) << out;
}

TEST(TemplateConfig, AMoveTakesOnlyTheLinesAboveIt) {
  Recipe r;
  r.config = {move("^b", "bs"), line("b = 2"), emit("bs", {"# moved"})};
  EXPECT_EQ(render(r, {"a = 1", "b = 1", "c = 1"}), "a = 1\nc = 1\nb = 2\n# moved\nb = 1\n");
}

TEST(TemplateConfig, TwoMovesIntoOneBucketKeepTheirOrder) {
  Recipe r;
  r.config = {move("^a", "x"), move("^c", "x"), emit("x")};
  EXPECT_EQ(render(r, {"c = 1", "a = 1", "b = 1", "a = 2"}), "b = 1\na = 1\na = 2\nc = 1\n");
}

TEST(TemplateConfig, PatternsAreBasicRegularExpressions) {
  // As sed's addresses: '.' any character, '\.' a dot, '\+' GNU's one or more.
  Recipe r;
  r.config = {move("lxc\\.net\\.[0-9]\\+\\.type", "types"), emit("types")};
  EXPECT_EQ(render(r, {"lxc.net.12.type = veth", "lxcXnet.0.type = x", "lxc.net.0.link = br0"}),
            "lxcXnet.0.type = x\nlxc.net.0.link = br0\nlxc.net.12.type = veth\n");
  EXPECT_EQ(pattern_problem("lxc\\.net"), std::nullopt);
  EXPECT_NE(pattern_problem("lxc[.net"), std::nullopt);
}

TEST(TemplateConfig, ABadPatternIsAnError) {
  Recipe r;
  r.config = {move("a\\{1", "x"), emit("x")};
  Result<std::vector<ConfigLine>> lines = render_config(r, base({"a"}));
  ASSERT_FALSE(lines.ok());
  EXPECT_NE(lines.error().render().find("@move: pattern `a\\{1`"), std::string::npos) << lines.error().render();
}

TEST(TemplateConfig, LinesKeepWhereTheyCameFrom) {
  Recipe r;
  ConfigOp from_member = line("lxc.arch = x86_64");
  from_member.line.where = {7, 3, 1};
  r.config = {move("rootfs", "c"), from_member, emit("c")};
  Result<std::vector<ConfigLine>> lines = render_config(r, base({"lxc.rootfs.path = dir:/r"}));
  ASSERT_TRUE(lines.ok());
  ASSERT_EQ(lines.value().size(), 2u);
  EXPECT_EQ(lines.value()[0].where.file, 7u);
  EXPECT_EQ(lines.value()[0].where.line, 3u);
  EXPECT_EQ(lines.value()[1].where.line, 1u) << "the moved line is the first base line";
}

TEST(TemplateConfig, TokensAreReplacedEverywhereAfterTheMoves) {
  Recipe r;
  r.config = {move("LXC_NAME", "named"), emit("named")};
  r.tokens = {{"LXC_NAME", "c1"}};
  // The move sees the token; the lines written have it replaced, the
  // lines of the initial config too.
  EXPECT_EQ(render(r, {"lxc.uts.name = LXC_NAME", "x = LXC_NAMELXC_NAME"}),
            "lxc.uts.name = c1\nx = c1c1\n");
}

TEST(TemplateConfig, SubstitutionIsLiteralOneTokenAfterTheOther) {
  std::vector<TokenValue> lxc = {{"LXC_NAME", "c1"},
                                 {"LXC_PATH", "/srv/c1"},
                                 {"LXC_ROOTFS", "/srv/c1/rootfs"},
                                 {"LXC_TEMPLATE_CONFIG", "/usr/share/lxc/config"},
                                 {"LXC_HOOK_DIR", "/usr/share/lxc/hooks"}};
  EXPECT_EQ(substitute_tokens("LXC_NAME LXC_PATH LXC_ROOTFS LXC_TEMPLATE_CONFIG LXC_HOOK_DIR\n", lxc),
            "c1 /srv/c1 /srv/c1/rootfs /usr/share/lxc/config /usr/share/lxc/hooks\n");
  // Substrings are replaced, as sed does: LXC_ROOTFS_MOUNT is mangled.
  EXPECT_EQ(substitute_tokens("LXC_ROOTFS_MOUNT", lxc), "/srv/c1/rootfs_MOUNT");
  // No regular expression and no '&' of sed's replacement: values are literal.
  EXPECT_EQ(substitute_tokens("LXC_NAME", {{"LXC_NAME", "a&b#c\\1"}}), "a&b#c\\1");
  // A later token is replaced in what an earlier one put in.
  EXPECT_EQ(substitute_tokens("A", {{"A", "xBx"}, {"B", "y"}}), "xyx");
  EXPECT_EQ(substitute_tokens("B", {{"A", "x"}}), "B");
  EXPECT_EQ(substitute_tokens("", {{"A", "x"}}), "");
}

}  // namespace
}  // namespace corral::tmpl
