// LXC's value conventions (config-language.md §9).
#include <gtest/gtest.h>

#include "config/values.hpp"

using namespace corral::config;

TEST(Values, UnsignedFollowsStrtoulBaseZero) {
  EXPECT_EQ(parse_uint("010"), 8u);
  EXPECT_EQ(parse_uint("0x10"), 16u);
  EXPECT_EQ(parse_uint("+1"), 1u);
  EXPECT_EQ(parse_uint(" 7"), 7u);
  EXPECT_EQ(parse_uint("4294967295"), 4294967295u);
  EXPECT_THROW(parse_uint("08"), ValueError);
  EXPECT_THROW(parse_uint("-1"), ValueError);
  EXPECT_THROW(parse_uint(" -0"), ValueError);
  EXPECT_THROW(parse_uint("4294967296"), ValueError);
  EXPECT_THROW(parse_uint("1x"), ValueError);
  EXPECT_THROW(parse_uint(""), ValueError);
}

TEST(Values, SignedRange) {
  EXPECT_EQ(parse_int("-5"), -5);
  EXPECT_EQ(parse_int("-0x10"), -16);
  EXPECT_THROW(parse_int("2147483648"), ValueError);
}

TEST(Values, BoolIsZeroOrOne) {
  EXPECT_TRUE(parse_bool("01"));
  EXPECT_TRUE(parse_bool("0x1"));
  EXPECT_FALSE(parse_bool("0"));
  EXPECT_THROW(parse_bool("2"), ValueError);
  EXPECT_THROW(parse_bool("true"), ValueError);
}

TEST(Values, PathSimplification) {
  EXPECT_EQ(simplify_path("/a//b/"), "/a/b");
  EXPECT_EQ(simplify_path("/a/./b"), "/a/b");
  EXPECT_EQ(simplify_path("./a/b"), "a/b");
  EXPECT_EQ(simplify_path("/a/../b"), "/a/../b");
  EXPECT_EQ(simplify_path("/"), "/");
  EXPECT_EQ(simplify_path("//"), "/");
  EXPECT_EQ(simplify_path("/a/."), "/a");
  EXPECT_EQ(simplify_path("/a/.b"), "/a/.b");
  EXPECT_EQ(simplify_path("./"), ".");
  EXPECT_EQ(simplify_path("././"), ".");
  EXPECT_EQ(simplify_path("a/./b/."), "a/b");
  EXPECT_EQ(simplify_path(".//a"), "a");
  EXPECT_THROW(simplify_path(std::string(4096, 'a')), ValueError);
}

TEST(Values, Signals) {
  EXPECT_EQ(parse_signal("SIGTERM"), 15);
  EXPECT_EQ(parse_signal("sigpwr"), 30);
  EXPECT_EQ(parse_signal("9"), 9);
  EXPECT_EQ(parse_signal("999"), 999);
  EXPECT_EQ(parse_signal("SIGRTMIN+3"), 37);
  EXPECT_EQ(parse_signal("sigrtmax-0"), 64);
  EXPECT_THROW(parse_signal("TERM"), ValueError);
  EXPECT_THROW(parse_signal("SIGRTMIN"), ValueError);
  EXPECT_THROW(parse_signal("SIGRTMIN+31"), ValueError);
  EXPECT_THROW(parse_signal("SIGFOO"), ValueError);
}

TEST(Values, ConsoleSizes) {
  EXPECT_EQ(parse_console_size("auto"), 131072u);
  EXPECT_EQ(parse_console_size("5000"), 8192u);
  EXPECT_EQ(parse_console_size("1G"), 4096u);  // one letter is ignored
  EXPECT_EQ(parse_console_size("64 KB"), 65536u);
  EXPECT_EQ(parse_console_size("1mb"), 1048576u);
  EXPECT_EQ(parse_console_size("0"), 4096u);  // LXC raises 0 to a page too
  EXPECT_THROW(parse_console_size("1TB"), ValueError);
  EXPECT_THROW(parse_console_size("-1"), ValueError);
  EXPECT_THROW(parse_console_size("1KiB"), ValueError);
}

TEST(Values, LogLevels) {
  EXPECT_EQ(parse_log_level("info"), 2);
  EXPECT_EQ(parse_log_level("8"), 8);
  EXPECT_THROW(parse_log_level("9"), ValueError);
  EXPECT_THROW(parse_log_level("WARNING"), ValueError);
  EXPECT_THROW(parse_log_level("08"), ValueError);
  EXPECT_STREQ(log_level_name(-1), "NOTSET");
}
