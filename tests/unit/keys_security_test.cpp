// The security section of the key table: the shared capability list and
// its mode, namespaces, the two time-offset slots and the seccomp
// notification proxy. Expected values were checked against LXC 5.0.2.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "config/loader.hpp"

namespace {

using corral::config::Config;
using corral::config::get_item;
using corral::config::load_text;
using corral::config::LoadResult;

LoadResult load(const std::string& text) { return load_text(text, "t.conf"); }

std::string get(const LoadResult& r, std::string_view key) {
  std::optional<std::string> v = get_item(r.config, key);
  return v ? *v : "<nullopt>";
}

/// The messages of all errors, one per line.
std::string errors(const LoadResult& r) {
  std::string out;
  for (const auto& d : r.diagnostics.items())
    if (d.severity == corral::config::Severity::error) out += d.message + "\n";
  return out;
}

std::string first_notes(const LoadResult& r) {
  std::string out;
  for (const auto& d : r.diagnostics.items()) {
    for (const auto& n : d.notes) out += n + "\n";
    break;
  }
  return out;
}

int host_last_cap() {
  std::ifstream in("/proc/sys/kernel/cap_last_cap");
  int n = -1;
  in >> n;
  return n;
}

// ---- capabilities ------------------------------------------------------------------

TEST(KeysSecurityCaps, DropAndKeepReadBackTheSameListAsWritten) {
  LoadResult r = load("lxc.cap.drop = sys_admin 0x15\tmknod\nlxc.cap.drop = +5 050 mknod\n");
  ASSERT_TRUE(r.ok()) << r.render();
  EXPECT_EQ(get(r, "lxc.cap.drop"), "sys_admin\n0x15\nmknod\n+5\n050\nmknod\n");
  EXPECT_EQ(get(r, "lxc.cap.keep"), "sys_admin\n0x15\nmknod\n+5\n050\nmknod\n");
  EXPECT_EQ(r.config.cap_mode, corral::config::CapMode::drop);
  ASSERT_EQ(r.config.caps.size(), 6u);
  EXPECT_EQ(r.config.caps[1].value.cap, 21);  // 0x15
  EXPECT_EQ(r.config.caps[4].value.cap, 40);  // 050 is octal
  EXPECT_EQ(corral::config::show(r.config), "lxc.cap.drop = sys_admin 0x15 mknod +5 050 mknod\n");
}

TEST(KeysSecurityCaps, KeepNoneEmptiesTheListButKeepsTheMode) {
  LoadResult r = load("lxc.cap.keep = sys_admin\nlxc.cap.keep = chown none kill\n");
  ASSERT_TRUE(r.ok()) << r.render();
  EXPECT_EQ(get(r, "lxc.cap.keep"), "kill\n");

  LoadResult none = load("lxc.cap.keep = mknod none\n");
  ASSERT_TRUE(none.ok()) << none.render();
  EXPECT_EQ(get(none, "lxc.cap.keep"), "");
  EXPECT_EQ(none.config.cap_mode, corral::config::CapMode::keep);
  EXPECT_EQ(corral::config::show(none.config), "lxc.cap.keep = none\n");
  // The mode survives the empty list: drop is still refused.
  LoadResult after = load("lxc.cap.keep = none\nlxc.cap.drop = mknod\n");
  EXPECT_FALSE(after.ok());
  EXPECT_EQ(errors(after), "lxc.cap.drop: cannot be combined with lxc.cap.keep, which is already set (the two keys share one list)\n");
  EXPECT_EQ(first_notes(after), "'lxc.cap.keep' was set at t.conf:1:1\n"
                                "write 'lxc.cap.keep =' first to clear the list, or use only one of the two keys\n");
}

TEST(KeysSecurityCaps, KeepAfterDropIsAnErrorUntilTheListIsCleared) {
  EXPECT_FALSE(load("lxc.cap.drop = mknod\nlxc.cap.keep = mknod\n").ok());
  EXPECT_FALSE(load("lxc.cap.drop = mknod\nlxc.cap.keep = none\n").ok());
  for (const char* clear : {"lxc.cap.drop =\n", "lxc.cap.keep =\n"}) {
    LoadResult r = load(std::string("lxc.cap.drop = mknod\n") + clear + "lxc.cap.keep = sys_time\n");
    ASSERT_TRUE(r.ok()) << r.render();
    EXPECT_EQ(r.config.cap_mode, corral::config::CapMode::keep);
    EXPECT_EQ(get(r, "lxc.cap.drop"), "sys_time\n");
  }
  LoadResult cleared = load("lxc.cap.drop = mknod\nlxc.cap.keep =\n");
  ASSERT_TRUE(cleared.ok());
  EXPECT_EQ(cleared.config.cap_mode, corral::config::CapMode::none);
  EXPECT_EQ(corral::config::show(cleared.config), "");
}

TEST(KeysSecurityCaps, ARejectedLineLeavesTheListAlone) {
  LoadResult r = load("lxc.cap.drop = mknod\nlxc.cap.drop = sys_time bogus\n");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(get(r, "lxc.cap.drop"), "mknod\n");
  // A keep line that fails does not switch the mode either.
  LoadResult k = load("lxc.cap.keep = bogus\nlxc.cap.drop = mknod\n");
  EXPECT_EQ(errors(k), "lxc.cap.keep: unknown capability 'bogus'\n");
}

TEST(KeysSecurityCaps, NumbersUpToTheHostsLastCapability) {
  int last = host_last_cap();
  ASSERT_GE(last, 0);
  EXPECT_TRUE(load("lxc.cap.drop = " + std::to_string(last) + "\n").ok());
  LoadResult over = load("lxc.cap.drop = " + std::to_string(last + 1) + "\n");
  EXPECT_EQ(errors(over), "lxc.cap.drop: capability number " + std::to_string(last + 1) +
                              " is above the last capability of the running kernel (" + std::to_string(last) + ")\n");
  EXPECT_FALSE(load("lxc.cap.drop = -1\n").ok());
  EXPECT_FALSE(load("lxc.cap.drop = 08\n").ok());
  EXPECT_FALSE(load("lxc.cap.drop = 4294967296\n").ok());
}

TEST(KeysSecurityCaps, LibcapSpellingsGetANote) {
  for (const char* spelling : {"CAP_SYS_ADMIN", "SYS_ADMIN", "cap_sys_admin"}) {
    LoadResult r = load(std::string("lxc.cap.drop = ") + spelling + "\n");
    EXPECT_EQ(errors(r), std::string("lxc.cap.drop: unknown capability '") + spelling + "'\n");
    EXPECT_EQ(first_notes(r), "did you mean 'sys_admin'?\n"
                              "capabilities are written in lower case without the 'CAP_' prefix\n");
  }
  EXPECT_EQ(first_notes(load("lxc.cap.drop = net_admn\n")), "did you mean 'net_admin'?\n");
  EXPECT_EQ(errors(load("lxc.cap.drop = none\n")), "lxc.cap.drop: 'none' is only valid in lxc.cap.keep\n");
}

// ---- namespaces -----------------------------------------------------------------------

TEST(KeysSecurityNamespaces, LinesAddUpInTheFixedOrder) {
  LoadResult r = load("lxc.namespace.clone = NET User\nlxc.namespace.clone = time pid net\n");
  ASSERT_TRUE(r.ok()) << r.render();
  EXPECT_EQ(get(r, "lxc.namespace.clone"), "user\npid\nnet\ntime\n");
  EXPECT_EQ(get(r, "lxc.namespace.keep"), "");
  EXPECT_EQ(corral::config::show(r.config), "lxc.namespace.clone = user pid net time\n");
}

TEST(KeysSecurityNamespaces, CloneAndKeepExcludeEachOther) {
  EXPECT_EQ(errors(load("lxc.namespace.clone = net\nlxc.namespace.keep = pid\n")),
            "lxc.namespace.keep: cannot be combined with lxc.namespace.clone, which is already set\n");
  EXPECT_FALSE(load("lxc.namespace.keep = net\nlxc.namespace.clone = pid\n").ok());
  LoadResult r = load("lxc.namespace.keep = net\nlxc.namespace.keep =\nlxc.namespace.clone = pid\n");
  ASSERT_TRUE(r.ok()) << r.render();
  EXPECT_EQ(get(r, "lxc.namespace.clone"), "pid\n");
}

TEST(KeysSecurityNamespaces, LongNamesAreSuggested) {
  LoadResult r = load("lxc.namespace.clone = mount\n");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(first_notes(r), "did you mean 'mnt'?\n");
  EXPECT_EQ(first_notes(load("lxc.namespace.keep = network\n")), "did you mean 'net'?\n");
}

TEST(KeysSecurityNamespaces, ShareTakesExactLowerCaseNames) {
  LoadResult r = load("lxc.namespace.share.net = c2\nlxc.namespace.share.uts = 1234\nlxc.namespace.share.uts =\n");
  ASSERT_TRUE(r.ok()) << r.render();
  EXPECT_EQ(get(r, "lxc.namespace.share.net"), "c2");
  EXPECT_EQ(get(r, "lxc.namespace.share.uts"), "");  // LXC prints "(null)"
  EXPECT_EQ(get(r, "lxc.namespace.share.mount"), "<nullopt>");
  EXPECT_EQ(get(r, "lxc.namespace.share.NET"), "<nullopt>");
  EXPECT_EQ(corral::config::show(r.config), "lxc.namespace.share.net = c2\n");

  LoadResult bad = load("lxc.namespace.share.mount = 1\n");
  EXPECT_EQ(errors(bad), "lxc.namespace.share.mount: unknown namespace 'mount' (expected one of user, mnt, pid, uts, "
                         "ipc, net, cgroup, time)\n");
  EXPECT_EQ(first_notes(bad), "did you mean 'lxc.namespace.share.mnt'?\n");
  // Even the empty value checks the name, as LXC does.
  EXPECT_FALSE(load("lxc.namespace.share.bogus =\n").ok());
  EXPECT_FALSE(load("lxc.namespace.share. = 1\n").ok());
  EXPECT_FALSE(load("lxc.namespace.share = 1\n").ok());
}

// ---- time offsets ---------------------------------------------------------------------

TEST(KeysSecurityTime, TwoSlotsEachReplacedByItsOwnUnits) {
  LoadResult r = load("lxc.time.offset.boot = 10s\nlxc.time.offset.boot = 100ms\nlxc.time.offset.boot = 2m\n");
  ASSERT_TRUE(r.ok()) << r.render();
  EXPECT_EQ(r.config.time_offset_boot.seconds, 120);
  EXPECT_EQ(r.config.time_offset_boot.nanoseconds, 100000000);
  // get prints only the seconds slot when it is set.
  EXPECT_EQ(get(r, "lxc.time.offset.boot"), "120 s\n");
  // show keeps both, so that loading it back gives the same offset.
  std::string shown = corral::config::show(r.config);
  EXPECT_EQ(shown, "lxc.time.offset.boot = 120s\nlxc.time.offset.boot = 100000000ns\n");
  LoadResult again = load(shown);
  EXPECT_EQ(again.config.time_offset_boot.seconds, 120);
  EXPECT_EQ(again.config.time_offset_boot.nanoseconds, 100000000);
}

TEST(KeysSecurityTime, BootAndMonotonicPrintDifferently) {
  LoadResult fresh = load("");
  EXPECT_EQ(get(fresh, "lxc.time.offset.boot"), "0 ns\n");
  EXPECT_EQ(get(fresh, "lxc.time.offset.monotonic"), "0ns\n");
  LoadResult r = load("lxc.time.offset.boot = -5ns\nlxc.time.offset.monotonic = 7us\n");
  ASSERT_TRUE(r.ok()) << r.render();
  EXPECT_EQ(get(r, "lxc.time.offset.boot"), "-5 ns\n");
  EXPECT_EQ(get(r, "lxc.time.offset.monotonic"), "7000ns\n");
  LoadResult s = load("lxc.time.offset.monotonic = 1h\n");
  EXPECT_EQ(get(s, "lxc.time.offset.monotonic"), "3600s\n");
}

TEST(KeysSecurityTime, EmptyResetsBothSlots) {
  LoadResult r = load("lxc.time.offset.monotonic = 3s\nlxc.time.offset.monotonic = 4ns\nlxc.time.offset.monotonic =\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.config.time_offset_monotonic.seconds, 0);
  EXPECT_EQ(r.config.time_offset_monotonic.nanoseconds, 0);
  EXPECT_EQ(corral::config::show(r.config), "");
}

TEST(KeysSecurityTime, AtMostTwoBytesFollowTheNumber) {
  EXPECT_TRUE(load("lxc.time.offset.boot = 5 s\n").ok());
  EXPECT_TRUE(load("lxc.time.offset.boot = 5\ts\n").ok());
  EXPECT_EQ(errors(load("lxc.time.offset.boot = 5 ms\n")),
            "lxc.time.offset.boot: no blank is allowed between the number and a two-letter unit\n");
  for (const char* bad : {"5", "5d", "5S", "1.5s", "0x10s", "s", "5 s x", "\"5 \""})
    EXPECT_FALSE(load(std::string("lxc.time.offset.boot = ") + bad + "\n").ok()) << bad;
}

TEST(KeysSecurityTime, NegativeOnlyInSecondsAndNanoseconds) {
  // LXC 5.0.2's overflow check refuses every negative h, m, ms and us value.
  EXPECT_TRUE(load("lxc.time.offset.boot = -9223372036854775808s\n").ok());
  LoadResult h = load("lxc.time.offset.boot = -2h\n");
  EXPECT_EQ(errors(h), "lxc.time.offset.boot: a negative offset must be written in s (LXC rejects negative values in h)\n");
  EXPECT_EQ(first_notes(h), "write '-7200s'\n");
  EXPECT_EQ(first_notes(load("lxc.time.offset.boot = -3us\n")), "write '-3000ns'\n");
  EXPECT_TRUE(load("lxc.time.offset.boot = -0h\n").ok());
}

TEST(KeysSecurityTime, Overflow) {
  EXPECT_TRUE(load("lxc.time.offset.boot = 2562047788015215h\n").ok());
  EXPECT_FALSE(load("lxc.time.offset.boot = 2562047788015216h\n").ok());
  EXPECT_FALSE(load("lxc.time.offset.boot = 9223372036854775808s\n").ok());
  EXPECT_TRUE(load("lxc.time.offset.boot = 9223372036854ms\n").ok());
  EXPECT_FALSE(load("lxc.time.offset.boot = 9223372036855ms\n").ok());
}

// ---- seccomp notification proxy ---------------------------------------------------------

TEST(KeysSecurityNotifyProxy, GetStripsTheSchemeAndTheAt) {
  LoadResult abs = load("lxc.seccomp.notify.proxy = unix://run//agent.sock\n");
  ASSERT_TRUE(abs.ok()) << abs.render();
  EXPECT_EQ(get(abs, "lxc.seccomp.notify.proxy"), "//run//agent.sock");  // not simplified
  EXPECT_EQ(corral::config::show(abs.config), "lxc.seccomp.notify.proxy = unix://run//agent.sock\n");

  LoadResult abstract = load("lxc.seccomp.notify.proxy = unix:@agent\n");
  ASSERT_TRUE(abstract.ok());
  EXPECT_EQ(get(abstract, "lxc.seccomp.notify.proxy"), "agent");
  EXPECT_EQ(corral::config::show(abstract.config), "lxc.seccomp.notify.proxy = unix:@agent\n");

  LoadResult cleared = load("lxc.seccomp.notify.proxy = unix:@agent\nlxc.seccomp.notify.proxy =\n");
  EXPECT_EQ(get(cleared, "lxc.seccomp.notify.proxy"), "");
}

TEST(KeysSecurityNotifyProxy, AddressLengthLimit) {
  for (char kind : {'/', '@'}) {
    std::string fits = std::string(1, kind) + std::string(106, 'a');  // 107 bytes
    EXPECT_TRUE(load("lxc.seccomp.notify.proxy = unix:" + fits + "\n").ok()) << kind;
    LoadResult over = load("lxc.seccomp.notify.proxy = unix:" + fits + "a\n");
    EXPECT_EQ(errors(over),
              "lxc.seccomp.notify.proxy: the socket address is 108 bytes long; at most 107 fit in a unix socket "
              "address\n");
  }
}

TEST(KeysSecurityNotifyProxy, Errors) {
  EXPECT_EQ(first_notes(load("lxc.seccomp.notify.proxy = /run/a.sock\n")), "did you mean 'unix:/run/a.sock'?\n");
  EXPECT_EQ(first_notes(load("lxc.seccomp.notify.proxy = UNIX:/run/a.sock\n")), "the 'unix:' prefix is lower-case\n");
  for (const char* bad : {"unix:", "unix:@", "unix:rel", "unix: /x", "tcp:1.2.3.4:5"})
    EXPECT_FALSE(load(std::string("lxc.seccomp.notify.proxy = ") + bad + "\n").ok()) << bad;
}

}  // namespace
