// The general section of the key table: the places where corral had to
// follow LXC 5.0.2 more closely than the spec said. Expected values were
// checked against LXC 5.0.2 through python3-lxc.
#include <gtest/gtest.h>

#include <string>

#include "config/loader.hpp"

namespace {

using corral::config::get_item;
using corral::config::load_text;
using corral::config::LoadResult;
using corral::config::Severity;

LoadResult load(const std::string& text) { return load_text(text, "t.conf"); }

std::string get(const LoadResult& r, std::string_view key) {
  std::optional<std::string> v = get_item(r.config, key);
  return v ? *v : "<nullopt>";
}

size_t count(const LoadResult& r, Severity s) {
  size_t n = 0;
  for (const auto& d : r.diagnostics.items()) n += d.severity == s;
  return n;
}

/// The show output loads back to itself.
void expect_round_trip(const LoadResult& r) {
  std::string shown = corral::config::show(r.config);
  LoadResult again = load(shown);
  ASSERT_TRUE(again.ok()) << shown << again.render();
  EXPECT_EQ(corral::config::show(again.config), shown);
}

// ---- signals ---------------------------------------------------------------------------

TEST(KeysGeneralSignals, NumbersMustStartWithADigit) {
  // LXC's sig_parse() takes the number path only for a leading digit.
  EXPECT_FALSE(load("lxc.signal.stop = \" 5\"\n").ok());
  EXPECT_FALSE(load("lxc.signal.stop = +5\n").ok());
  EXPECT_FALSE(load("lxc.signal.stop = -1\n").ok());
  LoadResult r = load("lxc.signal.stop = 0x1f\nlxc.signal.halt = 010\nlxc.signal.reboot = 2147483647\n");
  ASSERT_TRUE(r.ok()) << r.render();
  EXPECT_EQ(get(r, "lxc.signal.stop"), "31");
  EXPECT_EQ(get(r, "lxc.signal.halt"), "8");
  EXPECT_EQ(get(r, "lxc.signal.reboot"), "2147483647");
  // sig_num() returns the unsigned value as an int: 2^31 and up are negative.
  EXPECT_FALSE(load("lxc.signal.stop = 2147483648\n").ok());
  EXPECT_FALSE(load("lxc.signal.stop = 08\n").ok());
}

TEST(KeysGeneralSignals, RealTimeOffsetsAreCNumbers) {
  LoadResult r = load(
      "lxc.signal.stop = SIGRTMIN+001\nlxc.signal.halt = SIGRTMIN+010\n"
      "lxc.signal.reboot = sigrtmax-0X1E\nlxc.monitor.signal.pdeath = SIGRTMIN+0x1\n");
  ASSERT_TRUE(r.ok()) << r.render();
  EXPECT_EQ(get(r, "lxc.signal.stop"), "35");
  EXPECT_EQ(get(r, "lxc.signal.halt"), "42");
  EXPECT_EQ(get(r, "lxc.signal.reboot"), "34");
  EXPECT_EQ(get(r, "lxc.monitor.signal.pdeath"), "35");
  for (const char* bad : {"SIGRTMIN+08", "SIGRTMIN+ 1", "SIGRTMIN+-1", "SIGRTMIN+31", "SIGRTMIN+4294967296",
                          "SIGRTMIN-1", "SIGRTMAX+1", "SIGRTMIN", "SIGRT"}) {
    EXPECT_FALSE(load(std::string("lxc.signal.stop = ") + bad + "\n").ok()) << bad;
  }
}

// ---- console sizes ---------------------------------------------------------------------------

TEST(KeysGeneralConsole, ZeroIsRaisedToAPageButEmptyResets) {
  LoadResult r = load("lxc.console.size = 0\nlxc.console.buffer.size = 64KB\nlxc.console.buffer.size =\n");
  ASSERT_TRUE(r.ok()) << r.render();
  EXPECT_EQ(get(r, "lxc.console.size"), "4096");
  EXPECT_EQ(get(r, "lxc.console.buffer.size"), "0");
}

TEST(KeysGeneralConsole, TheSuffixIsTakenFromTheLastCharacters) {
  // "0x100a": the last letter is a one-letter suffix, so the number is 0x100.
  LoadResult r = load("lxc.console.size = 0x100a\nlxc.console.buffer.size = 0xfKB\n");
  ASSERT_TRUE(r.ok()) << r.render();
  EXPECT_EQ(get(r, "lxc.console.size"), "4096");
  EXPECT_EQ(get(r, "lxc.console.buffer.size"), "16384");
  EXPECT_EQ(count(r, Severity::warning), 1u);  // the ignored 'a'
  // "0x1fff" ends in two letters: the unknown suffix "ff".
  EXPECT_FALSE(load("lxc.console.size = 0x1fff\n").ok());
  EXPECT_FALSE(load("lxc.console.size = 5.\n").ok());
  EXPECT_FALSE(load("lxc.console.size = K\n").ok());
  EXPECT_FALSE(load("lxc.console.size = aK\n").ok());
}

TEST(KeysGeneralConsole, OverflowIsAnErrorNotAHang) {
  EXPECT_FALSE(load("lxc.console.size = 8589934592GB\n").ok());
  EXPECT_FALSE(load("lxc.console.size = 9223372036854775808\n").ok());
  LoadResult r = load("lxc.console.size = 9223372036854775807\n");
  ASSERT_TRUE(r.ok()) << r.render();
  EXPECT_EQ(get(r, "lxc.console.size"), "9223372036854775808");
  expect_round_trip(r);
}

// ---- numbers LXC prints as signed -------------------------------------------------------------------

TEST(KeysGeneralNumbers, LargeUnsignedValuesReadBackNegativeAndShowUnsigned) {
  LoadResult r = load(
      "lxc.init.uid = 4294967295\nlxc.init.gid = 2147483648\nlxc.start.delay = 4294967295\n"
      "lxc.monitor.unshare = 2147483648\nlxc.init.groups = 4294967295,5\nlxc.tty.max = 4294967295\n");
  ASSERT_TRUE(r.ok()) << r.render();
  EXPECT_EQ(get(r, "lxc.init.uid"), "-1");
  EXPECT_EQ(get(r, "lxc.init.gid"), "-2147483648");
  EXPECT_EQ(get(r, "lxc.start.delay"), "-1");
  EXPECT_EQ(get(r, "lxc.monitor.unshare"), "-2147483648");
  EXPECT_EQ(get(r, "lxc.init.groups"), "-1,5");
  EXPECT_EQ(get(r, "lxc.tty.max"), "4294967295");  // printed unsigned
  std::string shown = corral::config::show(r.config);
  EXPECT_NE(shown.find("lxc.init.uid = 4294967295\n"), std::string::npos) << shown;
  EXPECT_NE(shown.find("lxc.init.groups = 4294967295,5\n"), std::string::npos) << shown;
  expect_round_trip(r);
}

// ---- lxc.mount.auto shmounts -------------------------------------------------------------------------

TEST(KeysGeneralMountAuto, RelativeShmountsPathsAreAcceptedWithAWarning) {
  LoadResult r = load("lxc.mount.auto = shmounts:rel:mnt proc\n");
  ASSERT_TRUE(r.ok()) << r.render();
  EXPECT_EQ(count(r, Severity::warning), 2u) << r.render();
  EXPECT_EQ(get(r, "lxc.mount.auto"), "proc:mixed");
  expect_round_trip(r);
  EXPECT_FALSE(load("lxc.mount.auto = shmounts:\n").ok());
}

// ---- lxc.log.file --------------------------------------------------------------------------------------

TEST(KeysGeneralLogFile, PathsLxcCannotOpenAreRejected) {
  EXPECT_FALSE(load("lxc.log.file = /dev/null/c1.log\n").ok());     // not a directory
  EXPECT_FALSE(load("lxc.log.file = /dev/null/x/c1.log\n").ok());   // the same, deeper
  EXPECT_FALSE(load("lxc.log.file = /dev/\n").ok());                // a directory
  EXPECT_FALSE(load("lxc.log.file = /dev/" + std::string(256, 'n') + "\n").ok());
  LoadResult r = load("lxc.log.file = /dev//./null/\n");
  ASSERT_TRUE(r.ok()) << r.render();
  EXPECT_EQ(get(r, "lxc.log.file"), "/dev/null");
  // A missing directory is fine: LXC would create it.
  LoadResult missing = load("lxc.log.file = /corral-no-such-dir/sub/c1.log\n");
  ASSERT_TRUE(missing.ok()) << missing.render();
  EXPECT_EQ(get(missing, "lxc.log.file"), "/corral-no-such-dir/sub/c1.log");
}

}  // namespace
