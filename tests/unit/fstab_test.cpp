// Mount lines (spec/fstab-and-mount-entries.md §2-§4): the grammar, glibc's
// field splitting and escapes, and the decoded options.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <tao/pegtl/contrib/analyze.hpp>

#include <string>
#include <vector>

#include "config/fstab.hpp"
#include "grammar/fstab.hpp"

namespace {

using namespace corral::config;
namespace g = corral::grammar::fstab;

TEST(FstabGrammar, AnalyzeFindsNoProblem) {
  EXPECT_EQ(tao::pegtl::analyze<g::file>(), 0u);
  EXPECT_EQ(tao::pegtl::analyze<g::single_line>(), 0u);
}

// Fields as glibc 2.36's getmntent_r returns them (checked with a test
// program on the same inputs).
struct FieldCase {
  const char* line;
  const char* source;
  const char* target;
  const char* fstype;
  const char* options;
  int freq;
  int passno;
};

TEST(MountEntry, FieldsLikeGetmntent) {
  const FieldCase cases[] = {
      {"a b c d", "a", "b", "c", "d", 0, 0},
      {"  \ta\t b  c \t d  ", "a", "b", "c", "d", 0, 0},
      {"a b c d 1 2", "a", "b", "c", "d", 1, 2},
      {"a b c d 1x 2", "a", "b", "c", "d", 1, 0},
      {"a b c d 5 # c", "a", "b", "c", "d", 5, 0},
      {"a b c d # c", "a", "b", "c", "d", 0, 0},
      {"a b c d 1 2 3 4", "a", "b", "c", "d", 1, 2},
      {"a b c d\r", "a", "b", "c", "d\r", 0, 0},
      {"a b c d 1 2\r", "a", "b", "c", "d", 1, 2},
      {"a\\040b\\011c\\012d\\134e\\\\f x y z", "a b\tc\nd\\e\\f", "x", "y", "z", 0, 0},
      {"a\\054b\\\\\\\\040 x y z", "a\\054b\\\\040", "x", "y", "z", 0, 0},
      {"a\\04 \\0400 y z", "a\\04", " 0", "y", "z", 0, 0},
      {"a\\ b c d", "a\\", "b", "c", "d", 0, 0},
      {"a b c d -1 +3", "a", "b", "c", "d", -1, 3},
  };
  for (const FieldCase& c : cases) {
    MountEntry e = parse_mount_entry(c.line);
    EXPECT_EQ(e.source, c.source) << c.line;
    EXPECT_EQ(e.target, c.target) << c.line;
    EXPECT_EQ(e.fstype, c.fstype) << c.line;
    EXPECT_EQ(e.options, c.options) << c.line;
    EXPECT_EQ(e.freq, c.freq) << c.line;
    EXPECT_EQ(e.passno, c.passno) << c.line;
  }
}

struct OptionCase {
  const char* options;
  unsigned long flags;
  unsigned long clear;
  unsigned long propagation;
  const char* data;
};

TEST(MountEntry, OptionsAreMatchedExactly) {
  const OptionCase cases[] = {
      {"defaults", 0, 0, 0, ""},
      {"ro", MS_RDONLY, 0, 0, ""},
      {"ro,rw", 0, MS_RDONLY, 0, ""},
      {"rw,ro", MS_RDONLY, MS_RDONLY, 0, ""},
      {"nosuid,nodev,noexec", MS_NOSUID | MS_NODEV | MS_NOEXEC, 0, 0, ""},
      {"suid,dev,exec", 0, MS_NOSUID | MS_NODEV | MS_NOEXEC, 0, ""},
      {"noatime,nodiratime,relatime,strictatime", MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME, 0, 0,
       ""},
      {"atime,diratime,norelatime,nostrictatime", 0, MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME, 0,
       ""},
      {"bind", MS_BIND, 0, 0, ""},
      {"rbind", MS_BIND | MS_REC, 0, 0, ""},
      {"private", 0, 0, MS_PRIVATE, ""},
      {"shared", 0, 0, MS_SHARED, ""},
      {"slave", 0, 0, MS_SLAVE, ""},
      {"unbindable", 0, 0, MS_UNBINDABLE, ""},
      {"rprivate", 0, 0, MS_PRIVATE | MS_REC, ""},
      {"rshared", 0, 0, MS_SHARED | MS_REC, ""},
      {"rslave", 0, 0, MS_SLAVE | MS_REC, ""},
      {"runbindable", 0, 0, MS_UNBINDABLE | MS_REC, ""},
      // 5.0.2 ignores these entirely.
      {"sync,async,dirsync,lazytime,mand,nomand,remount", 0, 0, 0, ""},
      // Everything else is filesystem data, in order; empty pieces are skipped.
      {"size=10M,nosuid,mode=755", MS_NOSUID, 0, 0, "size=10M,mode=755"},
      {"noacl,user_xattr,ro", MS_RDONLY, 0, 0, "noacl,user_xattr"},
      {"rwx,nodevice", 0, 0, 0, "rwx,nodevice"},
      {",,ro,,size=1M,", MS_RDONLY, 0, 0, "size=1M"},
      {"mode=1777\\054size=1M", 0, 0, 0, "mode=1777\\054size=1M"},
  };
  for (const OptionCase& c : cases) {
    std::string line = std::string("/s t none ") + c.options;
    MountEntry e = parse_mount_entry(line);
    EXPECT_EQ(e.flags, c.flags) << c.options;
    EXPECT_EQ(e.clear_flags, c.clear) << c.options;
    EXPECT_EQ(e.propagation, c.propagation) << c.options;
    EXPECT_EQ(e.data, c.data) << c.options;
  }
}

TEST(MountEntry, LxcOptions) {
  MountEntry e = parse_mount_entry("/srv/a srv/a none bind,create=dir,optional,relative 0 0");
  EXPECT_TRUE(e.create_dir);
  EXPECT_FALSE(e.create_file);
  EXPECT_TRUE(e.optional);
  EXPECT_TRUE(e.relative);
  EXPECT_EQ(e.data, "");
  EXPECT_EQ(parse_mount_entry("/a b none bind,create=file").create_file, true);
  EXPECT_EQ(parse_mount_entry("/a b none bind,idmap=container").idmap, "container");
  EXPECT_EQ(parse_mount_entry("/a b none rbind,idmap=/proc/1/ns/user").idmap, "/proc/1/ns/user");
  // Exact tokens: 'nooptional' is data, not 'optional'.
  MountEntry n = parse_mount_entry("a b tmpfs nooptional");
  EXPECT_FALSE(n.optional);
  EXPECT_EQ(n.data, "nooptional");
}

struct ErrorCase {
  const char* value;
  uint32_t offset;
  uint32_t length;
  const char* message;
};

TEST(MountEntry, Errors) {
  const ErrorCase cases[] = {
      {"", 0, 0, "empty mount entry: expected 'SOURCE TARGET TYPE OPTIONS [FREQ [PASSNO]]'"},
      {"  # proc proc proc defaults", 2, 1,
       "this mount entry starts with '#', so LXC treats it as a comment and mounts nothing"},
      {"proc", 4, 1,
       "expected the mount target (field 2): a mount line reads 'SOURCE TARGET TYPE OPTIONS [FREQ [PASSNO]]'"},
      {"proc proc ", 10, 1,
       "expected the filesystem type (field 3): a mount line reads 'SOURCE TARGET TYPE OPTIONS [FREQ [PASSNO]]'"},
      {"proc proc proc", 14, 1,
       "expected the mount options (field 4): a mount line reads 'SOURCE TARGET TYPE OPTIONS [FREQ [PASSNO]]'"},
      {"/a b none rbind,shared,rslave", 23, 6, "more than one propagation option: 'shared' and 'rslave'"},
      {"a b tmpfs create=dir,create=file", 10, 22, "'create=dir' and 'create=file' cannot both be given"},
      {"a b tmpfs create=dirs", 10, 11, "unknown option 'create=dirs': expected 'create=dir' or 'create=file'"},
      {"a b tmpfs optional=1", 10, 10, "'optional' takes no value"},
      {"/a b none bind,relative=yes", 15, 12, "'relative' takes no value"},
      {"/a b none bind,idmap=", 15, 6, "'idmap=' needs 'container' or the absolute path of a user namespace file"},
      {"/a b none bind,idmap=ns", 15, 8, "'idmap=ns': expected 'container' or an absolute path"},
      {"/a b none bind,idmap=container,idmap=/x", 31, 8,
       "more than one 'idmap=' option (the first is 'idmap=container')"},
      {"/a b none idmap=container", 10, 15, "an 'idmap=' mount must be a bind mount: add 'bind' or 'rbind'"},
      {"/a b tmpfs bind,idmap=container", 5, 5, "an 'idmap=' mount needs the filesystem type 'none', not 'tmpfs'"},
      {"/a b none bind,idmap=container,uid=0", 10, 26,
       "an 'idmap=' mount cannot have filesystem data options ('uid=0')"},
      {"/dev/sdb1 mnt auto defaults", 14, 4,
       "filesystem type 'auto' is not supported: name the type, or use 'none' for a bind mount"},
      {"dev/null proc/kcore none bind", 0, 8, "the source of a bind mount must be an absolute path"},
  };
  for (const ErrorCase& c : cases) {
    try {
      parse_mount_entry(c.value);
      ADD_FAILURE() << "no error for '" << c.value << "'";
    } catch (const ValueError& e) {
      EXPECT_EQ(e.message, c.message) << c.value;
      EXPECT_EQ(e.offset, c.offset) << c.value;
      EXPECT_EQ(e.length, c.length) << c.value;
    }
  }
}

TEST(MountEntry, WarningsPointIntoTheValue) {
  std::vector<ValueError> w;
  MountEntry e = parse_mount_entry("/a\\054 b none bind,sync,noacl,ro,rw 0 x", &w);
  EXPECT_EQ(e.data, "noacl");
  ASSERT_EQ(w.size(), 5u);
  EXPECT_EQ(w[0].message, "'\\054' is not an escape: the backslash and the digits are kept as they are");
  EXPECT_EQ(w[0].offset, 2u);
  EXPECT_EQ(w[0].length, 4u);
  EXPECT_EQ(w[1].message, "'sync' has no effect: LXC 5.0.2 ignores this mount option");
  EXPECT_EQ(w[1].offset, 19u);
  EXPECT_EQ(w[2].message, "'noacl' is passed to the filesystem as data; LXC 5.0.2 drops unknown options silently");
  EXPECT_EQ(w[3].message, "'rw' overrides 'ro' given earlier in the options");
  EXPECT_EQ(w[3].offset, 33u);
  EXPECT_EQ(w[4].message,
            "'x' is not a number: field 6 is the fsck pass number, which LXC ignores");
  EXPECT_EQ(w[4].offset, 38u);
}

TEST(MountEntry, PrefixNoteForWordsOldLxcWouldMisread) {
  std::vector<ValueError> w;
  parse_mount_entry("a b tmpfs nodevice", &w);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].notes,
            std::vector<std::string>{"LXC 5.0.2 matches option names by prefix and would read it as 'nodev'"});
}

TEST(MountEntry, Comments) {
  EXPECT_TRUE(mount_entry_is_comment(""));
  EXPECT_TRUE(mount_entry_is_comment(" \t "));
  EXPECT_TRUE(mount_entry_is_comment("  # x"));
  EXPECT_FALSE(mount_entry_is_comment("proc proc proc defaults"));
}

TEST(Fstab, EveryLineIsCheckedAndGoodEntriesAreKept) {
  std::string text =
      "# comment\n"
      "\n"
      "proc proc proc nodev 0 0\n"
      "only two\n"
      "  tmpfs run tmpfs shared,slave\n"
      "sysfs sys sysfs ro\n";
  Diagnostics diags;
  SourceTable sources;
  std::vector<MountEntry> entries = parse_fstab(text, "fstab", diags, sources);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].source, "proc");
  EXPECT_EQ(entries[0].origin.line, 3u);
  EXPECT_EQ(entries[0].origin.col, 1u);
  EXPECT_EQ(entries[1].source, "sysfs");
  EXPECT_EQ(entries[1].origin.line, 6u);
  ASSERT_EQ(diags.error_count(), 2u);
  EXPECT_EQ(sources.describe(diags.items()[0].origin), "fstab:4:9");
  EXPECT_EQ(sources.describe(diags.items()[1].origin), "fstab:5:26");
  EXPECT_EQ(diags.render(sources),
            "fstab:4:9: error: expected the filesystem type (field 3): a mount line reads 'SOURCE TARGET TYPE "
            "OPTIONS [FREQ [PASSNO]]'\n"
            " 4 | only two\n"
            "   |         ^\n"
            " note: LXC fills missing fields with empty strings, which cannot be mounted\n"
            "fstab:5:26: error: more than one propagation option: 'shared' and 'slave'\n"
            " 5 |   tmpfs run tmpfs shared,slave\n"
            "   |                          ^~~~~\n"
            " note: LXC would combine them in one mount(2) call, which the kernel refuses\n");
}

TEST(Fstab, LongLinesAndNulBytesAreErrors) {
  std::string ok = "tmpfs t tmpfs size=1M," + std::string(4094 - 24, 'y') + "=1\n";
  std::string cut = "tmpfs t tmpfs size=1M," + std::string(4095 - 24, 'y') + "=1\n";
  Diagnostics diags;
  SourceTable sources;
  EXPECT_EQ(parse_fstab(ok, "f", diags, sources).size(), 1u);
  EXPECT_EQ(diags.error_count(), 0u);
  EXPECT_EQ(parse_fstab(cut, "f", diags, sources).size(), 0u);
  EXPECT_EQ(diags.error_count(), 1u);
  EXPECT_EQ(parse_fstab(std::string("# a\0b\nx y z w\n", 14), "f", diags, sources).size(), 1u);
  EXPECT_EQ(diags.error_count(), 2u);
}

}  // namespace
