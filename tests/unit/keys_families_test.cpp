// The families section of the key table: prlimit parsing, map and multimap
// ordering and clearing, cgroup directories and hooks; expected values were
// checked against LXC 5.0.2's get_config_item.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "config/loader.hpp"

using namespace corral::config;

namespace {

LoadResult load(const std::string& text) { return load_text(text, "test.conf"); }

/// The value of `key` after loading `text`, which must be valid.
std::string get_after(const std::string& text, const std::string& key) {
  LoadResult r = load(text);
  EXPECT_TRUE(r.ok()) << text << r.render();
  std::optional<std::string> v = get_item(r.config, key);
  EXPECT_TRUE(v.has_value()) << key;
  return v.value_or("<unreadable>");
}

bool accepts(const std::string& text) { return load(text).ok(); }

}  // namespace

TEST(FamilyKeys, PrlimitAcceptsWhatLxcAccepts) {
  struct Case {
    const char* value;
    const char* get;
  };
  const Case cases[] = {
      {"1024", "1024"},
      {"10:20", "10:20"},
      {"10:10", "10"},
      {"unlimited", "unlimited"},
      {"unlimited:unlimited", "unlimited"},
      {"unlimited:5", "unlimited:5"},
      {"5:unlimited", "5:unlimited"},
      {"-1", "unlimited"},
      {"-1:5", "unlimited:5"},
      {"-2", "18446744073709551614"},
      {"18446744073709551615", "unlimited"},
      {"-18446744073709551615", "1"},
      {":5", "0:5"},
      {"5:", "5"},
      {":", "0"},
      {"5 : 7", "5:7"},
      {"5\t:\t7", "5:7"},
      {"+5", "5"},
      {"010", "10"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(get_after(std::string("lxc.prlimit.nofile = ") + c.value + "\n", "lxc.prlimit.nofile"), c.get)
        << c.value;
  }
}

TEST(FamilyKeys, PrlimitRejectsWhatLxcRejects) {
  for (const char* v : {"0x10", "1k", "1.5", "UNLIMITED", "unlimitedx", "unlimited5", "5 6", "1:2:3", "5:7:",
                        "5:-", "-", "5:0x1", "18446744073709551616", "5:18446744073709551616",
                        "-18446744073709551616", "\" unlimited\""}) {
    EXPECT_FALSE(accepts(std::string("lxc.prlimit.nofile = ") + v + "\n")) << v;
  }
}

TEST(FamilyKeys, PrlimitErrorPointsAtTheBadLimit) {
  LoadResult r = load("lxc.prlimit.nofile = 5:0x1\n");
  ASSERT_EQ(r.diagnostics.items().size(), 1u);
  const Diagnostic& d = r.diagnostics.items()[0];
  EXPECT_EQ(d.message, "lxc.prlimit.nofile: limit '0x1' is not a decimal number or 'unlimited'");
  EXPECT_EQ(d.origin.col, 24u);
  EXPECT_EQ(d.length, 3u);
}

TEST(FamilyKeys, PrlimitWarnsAboutWrappedNegativesOnlyForValidValues) {
  LoadResult ok = load("lxc.prlimit.nofile = -2:-1\n");
  EXPECT_TRUE(ok.ok());
  ASSERT_EQ(ok.diagnostics.warning_count(), 1u);
  EXPECT_EQ(ok.diagnostics.items()[0].message,
            "'-2' wraps around to 18446744073709551614; only -1 (unlimited) makes sense as a negative limit");
  LoadResult bad = load("lxc.prlimit.nofile = -2:0x1\n");
  EXPECT_EQ(bad.diagnostics.error_count(), 1u);
  EXPECT_EQ(bad.diagnostics.warning_count(), 0u);
}

TEST(FamilyKeys, PrlimitIsAMapWithReplaceInPlace) {
  std::string text =
      "lxc.prlimit.nofile = 10\n"
      "lxc.prlimit.nproc = 20\n"
      "lxc.prlimit.core = 30\n"
      "lxc.prlimit.nofile = 40:50\n"
      "lxc.prlimit.nproc =\n"
      "lxc.prlimit.nproc = 60\n";
  EXPECT_EQ(get_after(text, "lxc.prlimit"),
            "lxc.prlimit.nofile = 40:50\nlxc.prlimit.core = 30\nlxc.prlimit.nproc = 60\n");
  EXPECT_EQ(get_after(text, "lxc.prlimit.stack"), "");
  EXPECT_EQ(get_after(text + "lxc.prlimit =\nlxc.prlimit.as = 1\n", "lxc.prlimit"), "lxc.prlimit.as = 1\n");
}

TEST(FamilyKeys, PrlimitNamesAreOnlyCheckedAtStart) {
  // An empty or unknown resource is accepted (as by LXC), with a warning.
  LoadResult r = load("lxc.prlimit. = 10\nlxc.prlimit.nofle = 5\n");
  EXPECT_TRUE(r.ok()) << r.render();
  EXPECT_EQ(r.diagnostics.warning_count(), 2u);
  EXPECT_EQ(get_item(r.config, "lxc.prlimit."), "10");
  EXPECT_EQ(get_item(r.config, "lxc.prlimit"), "lxc.prlimit. = 10\nlxc.prlimit.nofle = 5\n");
  EXPECT_FALSE(accepts("lxc.prlimit = 10\n"));
  EXPECT_TRUE(accepts("lxc.prlimit =\n"));
  EXPECT_FALSE(accepts("lxc.prlimitx = 10\n"));
}

TEST(FamilyKeys, SysctlIsAMap) {
  std::string text =
      "lxc.sysctl.a = 1\n"
      "lxc.sysctl.b = 2\n"
      "lxc.sysctl.a = 3\n";
  EXPECT_EQ(get_after(text, "lxc.sysctl"), "lxc.sysctl.a = 3\nlxc.sysctl.b = 2\n");
  EXPECT_EQ(get_after(text, "lxc.sysctl.a"), "3");
  EXPECT_EQ(get_after(text, "lxc.sysctl.c"), "");
  EXPECT_EQ(get_after(text + "lxc.sysctl.a =\nlxc.sysctl.a = 5\n", "lxc.sysctl"),
            "lxc.sysctl.b = 2\nlxc.sysctl.a = 5\n");
  EXPECT_EQ(get_after(text + "lxc.sysctl =\nlxc.sysctl.c = 4\n", "lxc.sysctl"), "lxc.sysctl.c = 4\n");
}

TEST(FamilyKeys, ProcIsAMultimapReadBackWithoutSeparator) {
  std::string text =
      "lxc.proc.oom_score_adj = 10\n"
      "lxc.proc.x = 1\n"
      "lxc.proc.oom_score_adj = 20\n";
  EXPECT_EQ(get_after(text, "lxc.proc.oom_score_adj"), "1020");
  EXPECT_EQ(get_after(text, "lxc.proc"),
            "lxc.proc.oom_score_adj = 10\nlxc.proc.x = 1\nlxc.proc.oom_score_adj = 20\n");
  EXPECT_EQ(get_after(text + "lxc.proc.oom_score_adj =\n", "lxc.proc"), "lxc.proc.x = 1\n");
  EXPECT_EQ(get_after(text + "lxc.proc =\n", "lxc.proc"), "");
}

TEST(FamilyKeys, CgroupsAreMultimapsPerVersion) {
  std::string text =
      "lxc.cgroup.memory.limit = 1\n"
      "lxc.cgroup2.memory.max = 2\n"
      "lxc.cgroup.cpu.shares = 3\n"
      "lxc.cgroup.memory.limit = 4\n";
  EXPECT_EQ(get_after(text, "lxc.cgroup.memory.limit"), "1\n4\n");
  EXPECT_EQ(get_after(text, "lxc.cgroup"),
            "lxc.cgroup.memory.limit = 1\nlxc.cgroup.cpu.shares = 3\nlxc.cgroup.memory.limit = 4\n");
  EXPECT_EQ(get_after(text, "lxc.cgroup2"), "lxc.cgroup2.memory.max = 2\n");
  EXPECT_EQ(get_after(text + "lxc.cgroup =\n", "lxc.cgroup"), "");
  EXPECT_EQ(get_after(text + "lxc.cgroup =\n", "lxc.cgroup2"), "lxc.cgroup2.memory.max = 2\n");
  EXPECT_EQ(get_after(text + "lxc.cgroup2 =\n", "lxc.cgroup2"), "");
  EXPECT_FALSE(accepts("lxc.cgroup2x.y = 1\n"));
  EXPECT_FALSE(accepts("lxc.cgroup = 1\n"));
}

TEST(FamilyKeys, ExactCgroupKeysWinOverTheFamily) {
  std::string text =
      "lxc.cgroup.dir = a//b/\n"
      "lxc.cgroup.dir.foo = 1\n"
      "lxc.cgroup.relative = 1\n";
  EXPECT_EQ(get_after(text, "lxc.cgroup"), "lxc.cgroup.dir.foo = 1\n");
  EXPECT_EQ(get_after(text, "lxc.cgroup.dir"), "a/b");
  EXPECT_EQ(get_after(text, "lxc.cgroup.relative"), "1");
  EXPECT_FALSE(accepts("lxc.cgroup.dir = /abs\n"));
  EXPECT_FALSE(accepts("lxc.cgroup.dir.monitor = a..b\n"));
  EXPECT_TRUE(accepts("lxc.cgroup.dir.container.inner = a..b\n"));
  EXPECT_FALSE(accepts("lxc.cgroup.dir.container.inner = a/b\n"));
  EXPECT_EQ(get_after("lxc.cgroup.dir = a\nlxc.cgroup.dir =\n", "lxc.cgroup.dir"), "");
}

TEST(FamilyKeys, EmptySuffixOnlyWithEmptyValue) {
  for (const char* prefix : {"lxc.sysctl.", "lxc.proc.", "lxc.cgroup.", "lxc.cgroup2."}) {
    EXPECT_TRUE(accepts(std::string(prefix) + " =\n")) << prefix;
    EXPECT_FALSE(accepts(std::string(prefix) + " = 1\n")) << prefix;
  }
  EXPECT_TRUE(accepts("lxc.prlimit. = 1\n"));
}

TEST(FamilyKeys, HooksAreListsPerType) {
  std::string text =
      "lxc.hook.pre-start = /a\n"
      "lxc.hook.pre-start = /b\n"
      "lxc.hook.stop = /s\n"
      "lxc.hook.version = 1\n";
  EXPECT_EQ(get_after(text, "lxc.hook.pre-start"), "/a\n/b\n");
  EXPECT_EQ(get_after(text, "lxc.hook.mount"), "");
  EXPECT_EQ(get_after(text + "lxc.hook.pre-start =\n", "lxc.hook.stop"), "/s\n");
  EXPECT_EQ(get_after(text + "lxc.hook.pre-start =\n", "lxc.hook.pre-start"), "");
  // The bare key clears every type but not the version, and cannot be read.
  LoadResult r = load(text + "lxc.hook =\n");
  ASSERT_TRUE(r.ok()) << r.render();
  EXPECT_EQ(get_item(r.config, "lxc.hook.pre-start"), "");
  EXPECT_EQ(get_item(r.config, "lxc.hook.stop"), "");
  EXPECT_EQ(get_item(r.config, "lxc.hook.version"), "1");
  EXPECT_EQ(get_item(r.config, "lxc.hook"), std::nullopt);
  EXPECT_EQ(get_item(r.config, "lxc.hook.foo"), std::nullopt);
  EXPECT_FALSE(accepts("lxc.hook = /a\n"));
  EXPECT_FALSE(accepts("lxc.hook.foo =\n"));
  EXPECT_FALSE(accepts("lxc.hook.version = 2\n"));
  EXPECT_FALSE(accepts("lxc.hook.version = yes\n"));
}

TEST(FamilyKeys, ShowRecreatesFamiliesInOrder) {
  std::string text =
      "lxc.prlimit.nofile = 10:20\n"
      "lxc.prlimit. = unlimited\n"
      "lxc.sysctl.b = 2\n"
      "lxc.sysctl.a = \" x \"\n"
      "lxc.proc.p = 1\n"
      "lxc.proc.p = 2\n"
      "lxc.cgroup2.devices.allow = c 1:3 rwm\n"
      "lxc.cgroup.x = 1\n"
      "lxc.hook.start = /a\n";
  LoadResult r = load(text);
  ASSERT_TRUE(r.ok()) << r.render();
  std::string shown = show(r.config);
  EXPECT_EQ(shown,
            "lxc.cgroup.x = 1\n"
            "lxc.cgroup2.devices.allow = c 1:3 rwm\n"
            "lxc.hook.start = /a\n"
            "lxc.prlimit.nofile = 10:20\n"
            "lxc.prlimit. = unlimited\n"
            "lxc.sysctl.b = 2\n"
            "lxc.sysctl.a = \" x \"\n"
            "lxc.proc.p = 1\n"
            "lxc.proc.p = 2\n");
  LoadResult again = load(shown);
  ASSERT_TRUE(again.ok()) << again.render();
  EXPECT_EQ(show(again.config), shown);
}
