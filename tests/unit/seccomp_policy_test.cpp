// Seccomp policies (spec/seccomp-policy.md): the grammar, LXC's verdict on
// many policies, and the typed result.
#include <gtest/gtest.h>
#include <seccomp.h>
#include <sys/mount.h>
#include <tao/pegtl/contrib/analyze.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "config/seccomp_policy.hpp"
#include "grammar/seccomp.hpp"

namespace {

using namespace corral::config;
namespace g = corral::grammar::seccomp;

struct Parsed {
  SeccompPolicy policy;
  Diagnostics diags;
  SourceTable sources;
  std::string rendered() const { return diags.render(sources); }
};

Parsed parse(std::string_view text, const char* machine = "x86_64") {
  Parsed p;
  p.policy = parse_seccomp_policy(text, "test.policy", p.diags, p.sources, SeccompHost{machine});
  return p;
}

bool on_x86_64() { return seccomp_arch_native() == SCMP_ARCH_X86_64; }
/// libseccomp accepts 'notify' only where the kernel offers it (API level 5).
bool has_notify() { return seccomp_api_get() >= 5; }

TEST(SeccompGrammar, AnalyzeFindsNoProblem) {
  EXPECT_EQ(tao::pegtl::analyze<g::version>(), 0u);
  EXPECT_EQ(tao::pegtl::analyze<g::v1_rest>(), 0u);
  EXPECT_EQ(tao::pegtl::analyze<g::v2_rest>(), 0u);
  EXPECT_EQ(tao::pegtl::analyze<g::arg_groups>(), 0u);
}

// Whether liblxc accepts a policy. Every row was run through the policy
// parser of LXC (parse_config and the functions it calls, unchanged) with
// libseccomp 2.5.4 on x86_64; corral must reach the same verdict.
struct Verdict {
  const char* text;
  bool lxc_accepts;
};

const Verdict kVerdicts[] = {
    {"2\ndenylist\nread errno 1\n", true},
    {"2\ndenylist\nread kill\n", true},
    {"2\ndenylist\nread allow\n", false},
    {"2\ndenylist\nread trap\n", true},
    {"2\ndenylist\nread notify\n", true},
    {"2\ndenylist\nread\n", true},
    {"2\ndenylist\nread \n", true},
    {"2\ndenylist\nread #x\n", true},
    {"2\ndenylist\nread # see [1]\n", false},
    {"2\ndenylist\nread #[0,1,==]\n", true},
    {"2\ndenylist\nread [0,1,==]\n", false},
    {"2\ndenylist\nread errno\n", false},
    {"2\ndenylist\nread errno x\n", false},
    {"2\ndenylist\nread errnox\n", false},
    {"2\ndenylist\nread errno1\n", true},
    {"2\ndenylist\nread errno 1x\n", true},
    {"2\ndenylist\nread errno -1\n", false},
    {"2\ndenylist\nread errno 4094\n", true},
    {"2\ndenylist\nread errno 4095\n", false},
    {"2\ndenylist\nread errno 65541\n", true},
    {"2\ndenylist\nread errno 65536\n", true},
    {"2\ndenylist\nread errno 99999999999\n", false},
    {"2\ndenylist\nread errno\t3\n", true},
    {"2\ndenylist\nread errno 1 [0,1,==]\n", true},
    {"2\ndenylist\nread errno 1 [0,1,==\n", true},
    {"2\ndenylist\nread errno 1 [0,1,==]]\n", true},
    {"2\ndenylist\nread errno 1 ]][0,1,==]\n", false},
    {"2\ndenylist\nread errno 1 ] [0,1,==]\n", false},
    {"2\ndenylist\nread errno 1 [0,1,==] \n", false},
    {"2\ndenylist\nread errno 1 [0,1,==][1,2,!=]\n", true},
    {"2\ndenylist\nread errno 1 [0,1,==] x [1,2,!=]\n", true},
    {"2\ndenylist\nread errno 1 [6,1,==]\n", false},
    {"2\ndenylist\nread errno 1 [-1,1,==]\n", false},
    {"2\ndenylist\nread errno 1 [0x5,1,==]\n", true},
    {"2\ndenylist\nread errno 1 [0x,1,==]\n", true},
    {"2\ndenylist\nread errno 1 [08,1,==]\n", false},
    {"2\ndenylist\nread errno 1 [010,1,==]\n", false},
    {"2\ndenylist\nread errno 1 [4294967296,1,==]\n", true},
    {"2\ndenylist\nread errno 1 [ 1,1,==]\n", true},
    {"2\ndenylist\nread errno 1 [+1,1,==]\n", true},
    {"2\ndenylist\nread errno 1 [0,,==]\n", false},
    {"2\ndenylist\nread errno 1 [0, 1,==]\n", true},
    {"2\ndenylist\nread errno 1 [0,1 ,==]\n", false},
    {"2\ndenylist\nread errno 1 [0,0x,==]\n", false},
    {"2\ndenylist\nread errno 1 [0,0x10,==]\n", true},
    {"2\ndenylist\nread errno 1 [0,010,==]\n", true},
    {"2\ndenylist\nread errno 1 [0,18446744073709551615,==]\n", true},
    {"2\ndenylist\nread errno 1 [0,18446744073709551616,==]\n", false},
    {"2\ndenylist\nread errno 1 [0,+5,==]\n", true},
    {"2\ndenylist\nread errno 1 [0,12345678901234567890123,==]\n", false},
    {"2\ndenylist\nread errno 1 [0,123456789012345678901234,==]\n", false},
    {"2\ndenylist\nread errno 1 [0,1,==5]\n", true},
    {"2\ndenylist\nread errno 1 [0,1,==,]\n", true},
    {"2\ndenylist\nread errno 1 [0,1,==,5]\n", true},
    {"2\ndenylist\nread errno 1 [0,1,==,5,6]\n", true},
    {"2\ndenylist\nread errno 1 [0,1,==,x]\n", false},
    {"2\ndenylist\nread errno 1 [0,1,&=,0x12345678901234567890]\n", false},
    {"2\ndenylist\nread errno 1 [0,1,&=,00000000000000000000000001]\n", true},
    {"2\ndenylist\nread errno 1 [0,1,SCMP_CMP_EQ]\n", true},
    {"2\ndenylist\nread errno 1 [0,1,SCMP_CMP_MASKED_EQ,3]\n", true},
    {"2\ndenylist\nread errno 1 [0,1,<]\n", true},
    {"2\ndenylist\nread errno 1 [0,1,=]\n", false},
    {"2\ndenylist\nread errno 1 [0,1,^]\n", false},
    {"2\ndenylist\nread errno 1 [0,1]\n", false},
    {"2\ndenylist\nread errno 1 [0]\n", false},
    {"2\ndenylist\nread errno 1 []\n", false},
    {"2\ndenylist\nread errno 1 [\n", false},
    {"2\ndenylist\nread errno 1 [0,1,==][1,1,==][2,1,==][3,1,==][4,1,==][5,1,==]x\n", true},
    {"2\ndenylist\nread errno 1 [0,1,==][1,1,==][2,1,==][3,1,==][4,1,==] x\n", false},
    {"2\ndenylist\nread errno 1 [0,1,==][1,1,==][2,1,==][3,1,==][4,1,==][5,1,==][0,1,==]\n", true},
    {"2\ndenylist\nread errno 1 [0,1,==][0,2,==]\n", false},
    {"2\ndenylist\nre]ad errno 1 [0,1,==]\n", false},
    {"2\ndenylist\nre[ad errno 1\n", false},
    {"2\ndenylist\nfoo errno 1 [9,1,==]\n", false},
    {"2\ndenylist\nfoo bar\n", false},
    {"2\ndenylist\nfoo errno 5000\n", true},
    {"2\ndenylist\nfoo allow\n", true},
    {"2\ndenylist\n  # c\n", true},
    {"2\ndenylist\n  kill\n", true},
    {"2\ndenylist\n  mknod errno 2\n", false},
    {"2\ndenylist\nmknod\terrno 2\n", false},
    {"2\ndenylist\nmknod\tkill\n", true},
    {"2\ndenylist\nreject_force_umount\n", true},
    {"2\ndenylist\nreject_force_umount allow\n", true},
    {"2\ndenylist\nreject_force_umount junk\n", false},
    {"2\ndenylist\nreject_force_umountx\n", true},
    {"2\ndenylist\nreject_force_umount [0,1,==]\n", false},
    {"2\ndenylist\nreject_force_umount kill [9,1,==]\n", false},
    {"2\ndenylist\n[x86]\n", true},
    {"2\ndenylist\n[x86] \n", false},
    {"2\ndenylist\n[foo]\n", false},
    {"2\ndenylist\n[ALL]\n", true},
    {"2\ndenylist\n[Arm64]\n", false},
    {"2\ndenylist\n[x86]\r\n", false},
    {"2\ndenylist\nread\r\n", true},
    {"2\ndenylist\nread errno 1\r\n", true},
    {"2\ndenylist\nread errno 1 [0,1,==]\r\n", false},
    {"2\ndenylist\n\n", true},
    {"2\ndenylist\n#\n", true},
    {"2\ndenylist\nsocketcall errno 1\n", true},
    {"2\ndenylist\nsocketcall allow\n", false},
    {"2\ndenylist\n133\n", true},
    {"2\ndenylist\nMKNOD allow\n", true},
    {"2\ndenylist\nread errno 1 [0,0x100000000,==]\n", true},
    {"2\ndenylist\nread killer\n", true},
    {"2\ndenylist\nread errno 0x10\n", true},
    {"", false},
    {"2", false},
    {"2\n", false},
    {"2\n\n", false},
    {"3\ndenylist\n", false},
    {"0\ndenylist\n", false},
    {"-2\ndenylist\n", false},
    {"+2\ndenylist\n", true},
    {"02\ndenylist\n", true},
    {"  \n 2\n\n  denylist\n", true},
    {"2 denylist\n", true},
    {"2denylist\n", true},
    {"4294967298\ndenylist\n", true},
    {"x\n", false},
    {"2\nDENYLIST\n", false},
    {"2\ndenylistfoo\n", true},
    {"2\nblacklist\n", true},
    {"2\nwhitelist\n", true},
    {"2\nallowlist\n", true},
    {"2\nallowlist \n", false},
    {"2\nallowlist ", true},
    {"2\nallowlist kill\n", true},
    {"2\nallowlist allow\n", true},
    {"2\nallowlist allow\nread\n", false},
    {"2\nallowlist kill\nread kill\n", false},
    {"2\nallowlist\nread kill\n", false},
    {"2\nallowlist\nread\n", true},
    {"2\ndenylist errno 38\nmknod\n", true},
    {"2\ndenylist errno 38\nmknod errno 38\n", false},
    {"2\ndenylist errno 65574\nmknod errno 38\n", false},
    {"2\ndenylist errno 4095\n", false},
    {"2\ndenylist errno\n", false},
    {"2\ndenylist errno x\n", false},
    {"2\ndenylist foo\n", false},
    {"2\ndenylist #c\n", false},
    {"2\ndenylist\tkill\n", true},
    {"2\ndenylist\tkill now\n", false},
    {"2\ndenylist  kill\n", true},
    {"2\ndenylist debug\n", false},
    {"2\ndebug denylist\n", false},
    {"2\ndenylist trap\n", true},
    {"2\ndenylist notify\nread errno 1\n", true},
    {"2\ndenylist killer\n", true},
    {"2\ndenylist errno 13\nreject_force_umount\n", false},
    {"2\ndenylist errno 13\nreject_force_umount\n[arm]\nreject_force_umount\n", false},
    {"1\nallowlist\n0\n1\n60\n", true},
    {"1\nwhitelist\n0\n", false},
    {"1\nallowlist extra\n0\n", true},
    {"1\n# allowlist\n0\n", true},
    {"1\nallowlist debug\n0\n", false},
    {"1\nallowlist\n\n", false},
    {"1\nallowlist\n0\n\n", false},
    {"1\nallowlist\n# c\n", false},
    {"1\nallowlist\nread\n", false},
    {"1\nallowlist\n-1\n", false},
    {"1\nallowlist\n99999\n", true},
    {"1\nallowlist\n 5 x\n", true},
    {"1\nallowlist\n0x10\n", true},
    {"1\nallowlist\n0\n0\n", true},
    {"1\nallowlist", true},
    {"1\nallowlist\n5", true},
    {"1\ndenylist\n", false},
    {"2\ndenylist\n[arm64]\nfoo bar\n[all]\nread\n", true},
    {"2\ndenylist\n[x86]\nread allow\n", false},
    {"2\ndenylist\n[arm]\nread allow\n", true},
    {"2\ndenylist\nread errno 1 [0,1,==][1,2,==]\nread errno 3 [0,1,==]\n", false},
    {"2\ndenylist\nread errno 1 [0,1,==]\nread errno 3 [0,1,==][1,2,==]\n", true},
    {"2\ndenylist\nread errno 1 [0,1,==]\nread kill [0,1,==]\n", false},
    {"2\ndenylist\nread errno 2\nread errno 3\n", true},
    {"2\ndenylist\nread errno 3 [0,1,==]\nread errno 1\n", true},
    {"2\r\ndenylist\r\nread errno 1\r\nmknod\r\n", true},
    {"2\r\ndenylist\r\n[x86]\r\n", false},
    {"2\ndenylist\nkexec_file_load allow\n", false},
    {"2\nallowlist errno 1\nread errno 1\n", false},
    {"2\nallowlist trap\nread trap\n", false},
};

TEST(SeccompPolicy, SameVerdictAsLxc) {
  if (!on_x86_64()) GTEST_SKIP() << "the verdicts were taken on x86_64";
  for (const Verdict& v : kVerdicts) {
    if (!has_notify() && std::string_view(v.text).find("notify") != std::string_view::npos) continue;
    Parsed p = parse(v.text);
    EXPECT_EQ(p.diags.error_count() == 0, v.lxc_accepts) << "policy:\n" << v.text << "\ncorral says:\n" << p.rendered();
  }
}

TEST(SeccompPolicy, HeaderDefaults) {
  struct Case {
    const char* text;
    SeccompListType type;
    const char* filter_default;
    const char* rule_default;
  };
  const Case cases[] = {
      {"2\ndenylist\n", SeccompListType::denylist, "allow", "kill"},
      {"2\nblacklist\n", SeccompListType::denylist, "allow", "kill"},
      {"2\nallowlist\n", SeccompListType::allowlist, "kill", "allow"},
      {"2\nwhitelist\n", SeccompListType::allowlist, "kill", "allow"},
      {"2\ndenylist errno 38\n", SeccompListType::denylist, "errno 38", "kill"},
      {"2\nallowlist errno 38\n", SeccompListType::allowlist, "errno 38", "allow"},
      {"2\nallowlist  trap\n", SeccompListType::allowlist, "trap", "allow"},
      {"2\ndenylistfoo kill\n", SeccompListType::denylist, "kill", "kill"},
      {"2\ndenylist\tkill\n", SeccompListType::denylist, "allow", "kill"},  // a tab does not separate
      {"2\ndenylist errno 65574\n", SeccompListType::denylist, "errno 38", "kill"},
      {"2\ndenylist ", SeccompListType::denylist, "allow", "kill"},  // a space at the very end is harmless
      {"1\nallowlist\n", SeccompListType::allowlist, "kill", "allow"},
  };
  for (const Case& c : cases) {
    Parsed p = parse(c.text);
    EXPECT_EQ(p.diags.error_count(), 0u) << c.text << p.rendered();
    EXPECT_EQ(p.policy.type, c.type) << c.text;
    EXPECT_EQ(p.policy.default_action.str(), c.filter_default) << c.text;
    EXPECT_EQ(p.policy.rule_default.str(), c.rule_default) << c.text;
  }
}

TEST(SeccompPolicy, VersionIsReadLikeScanf) {
  EXPECT_EQ(parse("\n \t\n+002\n\n  denylist\n").policy.version, 2);
  EXPECT_EQ(parse("2 denylist\n").policy.type, SeccompListType::denylist);
  EXPECT_EQ(parse("1 allowlist\n").policy.version, 1);
  // glibc keeps the low 32 bits of the long that strtol returns.
  Parsed wrapped = parse("4294967298\ndenylist\n");
  EXPECT_EQ(wrapped.diags.error_count(), 0u) << wrapped.rendered();
  EXPECT_EQ(wrapped.policy.version, 2);
  Parsed bad = parse("\n\n 3\ndenylist\n");
  ASSERT_EQ(bad.diags.error_count(), 1u);
  EXPECT_EQ(bad.diags.items()[0].origin.line, 3u);
  EXPECT_EQ(bad.diags.items()[0].origin.col, 2u);
  EXPECT_EQ(bad.diags.items()[0].message, "unsupported policy version '3': expected 1 or 2");
}

TEST(SeccompPolicy, ActionsAndErrnoNumbers) {
  if (!on_x86_64() || !has_notify()) GTEST_SKIP();
  Parsed p = parse("2\ndenylist errno 99\nread killer\nwrite errno1\nclose errno 65541\nopen errno 0x10\nstat trap\n"
                   "fstat notify\nlstat allow [0,1,==]\npoll errno\t7 # why\n");
  ASSERT_EQ(p.diags.error_count(), 0u) << p.rendered();
  const std::vector<SeccompRule>& r = p.policy.rules;
  ASSERT_EQ(r.size(), 8u);
  EXPECT_EQ(r[0].action.str(), "kill");
  EXPECT_EQ(r[1].action.str(), "errno 1");
  EXPECT_EQ(r[2].action.str(), "errno 5");  // cut to 16 bits
  EXPECT_EQ(r[3].action.str(), "errno 0");  // scanf stops at 'x'
  EXPECT_EQ(r[4].action.scmp(), SCMP_ACT_TRAP);
  EXPECT_EQ(r[5].action.scmp(), SCMP_ACT_NOTIFY);
  EXPECT_EQ(r[6].action.scmp(), SCMP_ACT_ALLOW);
  EXPECT_EQ(r[7].action.scmp(), SCMP_ACT_ERRNO(7));
  EXPECT_TRUE(p.policy.wants_notify);
  EXPECT_EQ(p.diags.warning_count(), 3u) << p.rendered();  // killer, 65541, 0x10
}

TEST(SeccompPolicy, ArgumentGroups) {
  if (!on_x86_64()) GTEST_SKIP();
  Parsed p = parse("2\ndenylist\nioctl errno 1 [1,0x5412,==]\n"
                   "write errno 1 [0, 3,>=] [1,010,&=,0x18][2,18446744073709551615,SCMP_CMP_NE]\n"
                   "openat errno 1 [ +2,0,SCMP_CMP_MASKED_EQ,0x200\n");
  ASSERT_EQ(p.diags.error_count(), 0u) << p.rendered();
  const std::vector<SeccompRule>& r = p.policy.rules;
  ASSERT_EQ(r.size(), 3u);
  ASSERT_EQ(r[0].args.size(), 1u);
  EXPECT_EQ(r[0].args[0].index, 1u);
  EXPECT_EQ(r[0].args[0].value, 0x5412u);
  EXPECT_EQ(r[0].args[0].op, SeccompCompare::eq);
  EXPECT_EQ(r[0].args[0].origin.col, 15u);
  ASSERT_EQ(r[1].args.size(), 3u);
  EXPECT_EQ(r[1].args[0].op, SeccompCompare::ge);
  EXPECT_EQ(r[1].args[0].value, 3u);
  EXPECT_EQ(r[1].args[1].op, SeccompCompare::masked_eq);
  EXPECT_EQ(r[1].args[1].value, 8u);  // octal
  EXPECT_EQ(r[1].args[1].mask, 0x18u);
  EXPECT_EQ(r[1].args[2].value, UINT64_MAX);
  EXPECT_EQ(r[1].args[2].op, SeccompCompare::ne);
  ASSERT_EQ(r[2].args.size(), 1u);
  EXPECT_EQ(r[2].args[0].index, 2u);
  EXPECT_EQ(r[2].args[0].mask, 0x200u);
}

TEST(SeccompPolicy, SeventhGroupIsIgnoredWithAWarning) {
  if (!on_x86_64()) GTEST_SKIP();
  Parsed p = parse("2\ndenylist\nread errno 1 [0,1,==][1,1,==][2,1,==][3,1,==][4,1,==][5,1,==][0,9,nonsense\n");
  ASSERT_EQ(p.diags.error_count(), 0u) << p.rendered();
  ASSERT_EQ(p.policy.rules.size(), 1u);
  EXPECT_EQ(p.policy.rules[0].args.size(), 6u);
  ASSERT_EQ(p.diags.warning_count(), 1u);
  EXPECT_EQ(p.diags.items()[0].message, "LXC reads at most six argument groups: the rest of the line is ignored");
  EXPECT_EQ(p.diags.items()[0].origin.col, 62u);
}

TEST(SeccompPolicy, RejectForceUmount) {
  if (!on_x86_64()) GTEST_SKIP();
  Parsed p = parse("2\nallowlist\nreject_force_umount # the rest is checked, then ignored\n");
  ASSERT_EQ(p.diags.error_count(), 0u) << p.rendered();
  ASSERT_EQ(p.policy.rules.size(), 1u);
  const SeccompRule& r = p.policy.rules[0];
  EXPECT_TRUE(r.reject_force_umount);
  EXPECT_EQ(r.name, "umount2");
  EXPECT_EQ(r.action.str(), "errno 13");
  ASSERT_EQ(r.args.size(), 1u);
  EXPECT_EQ(r.args[0].index, 1u);
  EXPECT_EQ(r.args[0].op, SeccompCompare::masked_eq);
  EXPECT_EQ(r.args[0].value, static_cast<uint64_t>(MNT_FORCE));
  EXPECT_EQ(r.args[0].mask, static_cast<uint64_t>(MNT_FORCE));
  EXPECT_EQ(r.arches, (std::vector<uint32_t>{SCMP_ARCH_X86_64, SCMP_ARCH_X86, SCMP_ARCH_X32}));
}

TEST(SeccompPolicy, SectionsDecideWhetherRulesAreUsed) {
  if (!on_x86_64()) GTEST_SKIP();
  const char* text = "2\ndenylist\nmknod errno 1\n[arm64]\nchroot errno 1\n[X86]\nkexec_load errno 1\n"
                     "[all]\nacct errno 1\n";
  Parsed x86_64 = parse(text, "x86_64");
  ASSERT_EQ(x86_64.diags.error_count(), 0u) << x86_64.rendered();
  std::vector<std::string> names;
  for (const SeccompRule& r : x86_64.policy.rules) names.push_back(r.name);
  EXPECT_EQ(names, (std::vector<std::string>{"mknod", "kexec_load", "acct"}));
  // A section only gates the rules: they are added on every ABI.
  EXPECT_EQ(x86_64.policy.rules[1].section, "X86");
  EXPECT_EQ(x86_64.policy.rules[1].arches, (std::vector<uint32_t>{SCMP_ARCH_X86_64, SCMP_ARCH_X86, SCMP_ARCH_X32}));

  // On a host LXC 5.0.2 does not know, only [all] is used.
  Parsed riscv = parse(text, "riscv64");
  names.clear();
  for (const SeccompRule& r : riscv.policy.rules) names.push_back(r.name);
  EXPECT_EQ(names, std::vector<std::string>{"acct"});
}

TEST(SeccompPolicy, ErrorsInUnusedSectionsAreWarnings) {
  Parsed p = parse("2\ndenylist\n[arm64]\nmknod errno 1 [0,1,=]\n[all]\nmknod errno 1\n");
  EXPECT_EQ(p.diags.error_count(), 0u) << p.rendered();
  ASSERT_EQ(p.diags.warning_count(), 1u);
  EXPECT_EQ(p.diags.items()[0].origin.line, 4u);
  ASSERT_FALSE(p.diags.items()[0].notes.empty());
  EXPECT_NE(p.diags.items()[0].notes.back().find("skips section '[arm64]'"), std::string::npos);
}

TEST(SeccompPolicy, EveryErrorIsReported) {
  Parsed p = parse("2\ndenylist\nread blah\n[nope]\nwrite errno 1 [9,1,==]\nclose errno\n");
  ASSERT_EQ(p.diags.error_count(), 4u) << p.rendered();
  std::vector<uint32_t> lines;
  for (const Diagnostic& d : p.diags.items()) lines.push_back(d.origin.line);
  EXPECT_EQ(lines, (std::vector<uint32_t>{3, 4, 5, 6}));
}

TEST(SeccompPolicy, UnknownNamesAreSkippedWithAWarning) {
  if (!on_x86_64()) GTEST_SKIP();
  Parsed p = parse("2\ndenylist\nmknd errno 1\nMKNOD errno 1\n133\nmknod\tkill\nmknod errno 1\n");
  EXPECT_EQ(p.diags.error_count(), 0u) << p.rendered();
  ASSERT_EQ(p.policy.rules.size(), 1u);
  EXPECT_EQ(p.policy.rules[0].origin.line, 7u);
  ASSERT_EQ(p.diags.warning_count(), 4u);
  EXPECT_EQ(p.diags.items()[0].notes, std::vector<std::string>{"did you mean 'mknod'?"});
  EXPECT_EQ(p.diags.items()[1].notes, std::vector<std::string>{"names are case-sensitive: did you mean 'mknod'?"});
  EXPECT_EQ(p.diags.items()[2].notes,
            std::vector<std::string>{"version 2 rules name system calls; numbers are not accepted"});
  EXPECT_EQ(p.diags.items()[3].message, "unknown system call 'mknod\\tkill': LXC ignores this rule");
}

TEST(SeccompPolicy, CrlfIsOneWarning) {
  if (!on_x86_64()) GTEST_SKIP();
  Parsed p = parse("2\r\ndenylist\r\nmknod errno 1\r\nchroot\r\nacct\r\n");
  EXPECT_EQ(p.diags.error_count(), 0u) << p.rendered();
  ASSERT_EQ(p.diags.warning_count(), 1u) << p.rendered();
  EXPECT_EQ(p.diags.items()[0].origin.line, 3u);
  // The rule with an action still works; the bare names are lost.
  ASSERT_EQ(p.policy.rules.size(), 1u);
  EXPECT_EQ(p.policy.rules[0].name, "mknod");
}

TEST(SeccompPolicy, ConflictsFoundByLibseccomp) {
  if (!on_x86_64()) GTEST_SKIP();
  Parsed p = parse("2\ndenylist\nwrite errno 1 [0,1,==][1,2,==]\nwrite errno 3 [0,1,==]\n");
  ASSERT_EQ(p.diags.error_count(), 1u) << p.rendered();
  EXPECT_EQ(p.diags.items()[0].origin.line, 4u);
  EXPECT_EQ(p.diags.items()[0].notes, std::vector<std::string>{"the earlier rule for 'write' is at line 3"});
}

// From the first rule with arguments after another for the same call, each
// add is rehearsed in one forked copy of the filters; the copy must see every
// later add too, or it would not loop where LXC's filter loops.
TEST(SeccompPolicy, RehearsalSeesEveryLaterAdd) {
  if (!on_x86_64()) GTEST_SKIP();
  std::string text = "2\ndenylist\npersonality errno 1 [0,0,==]\npersonality errno 1 [0,8,==]\n";  // copy starts
  text += "read errno 1 [0,3,<][1,0,<=][2,0x10,>]\n";  // line 5: no earlier 'read' rule, so added unrehearsed
  for (int i = 0; i < 20; ++i) text += "write errno 1 [0," + std::to_string(i) + ",==]\n";
  text += "write errno 2 [0,3,==]\n";          // line 26: conflicts with line 9
  text += "read errno 1 [0,3,<] [2,0x10,>]\n";  // line 27: loops after line 5
  Parsed p;
  p.policy = parse_seccomp_policy(text, "test.policy", p.diags, p.sources,
                                  SeccompHost{"x86_64", std::chrono::milliseconds(100)});
  ASSERT_EQ(p.diags.error_count(), 2u) << p.rendered();
  EXPECT_EQ(p.diags.items()[0].origin.line, 26u);
  EXPECT_NE(p.diags.items()[0].message.find("conflicts with an earlier rule"), std::string::npos);
  EXPECT_EQ(p.diags.items()[1].origin.line, 27u);
  EXPECT_NE(p.diags.items()[1].message.find("never finishes adding this rule"), std::string::npos);
  EXPECT_EQ(p.diags.items()[1].notes[0], "the earlier rules for 'read' with arguments are at line 5");
}

// Found by fuzz_seccomp: a name with a NUL byte in it resolves (as a C
// string) to the call before the NUL; the add that loops must be rehearsed
// all the same, not made here, where it would never return.
TEST(SeccompPolicy, RehearsedByTheCallNotTheNameAsWritten) {
  if (!on_x86_64()) GTEST_SKIP();
  std::string text = "2\ndenylist\nread errno 1 [0,3,<][1,0,<=][2,0x10,>]\n";
  text += std::string("read\0\0x", 7) + " errno 1 [0,3,<] [2,0x10,>]\n";  // line 4
  Parsed p;
  p.policy = parse_seccomp_policy(text, "test.policy", p.diags, p.sources,
                                  SeccompHost{"x86_64", std::chrono::milliseconds(100)});
  ASSERT_GE(p.diags.error_count(), 1u) << p.rendered();
  bool never_finishes = false;
  for (const auto& d : p.diags.items())
    if (d.origin.line == 4 && d.message.find("never finishes adding this rule") != std::string::npos) never_finishes = true;
  EXPECT_TRUE(never_finishes) << p.rendered();
}

TEST(SeccompPolicy, ManyArgumentRulesForOneCall) {
  if (!on_x86_64()) GTEST_SKIP();
  std::string text = "2\ndenylist\n";
  for (int i = 0; i < 300; ++i) text += "ioctl errno 1 [1," + std::to_string(0x5400 + i) + ",==]\n";
  Parsed p = parse(text);
  EXPECT_EQ(p.diags.error_count(), 0u) << p.rendered();
  EXPECT_EQ(p.policy.rules.size(), 300u);
}

TEST(SeccompPolicy, VersionOne) {
  if (!on_x86_64()) GTEST_SKIP();
  Parsed p = parse("1\nallowlist\n0\n  1 trailing words\n60\n");
  ASSERT_EQ(p.diags.error_count(), 0u) << p.rendered();
  ASSERT_EQ(p.policy.rules.size(), 3u);
  EXPECT_EQ(p.policy.rules[0].name, "read");
  EXPECT_EQ(p.policy.rules[1].nr, 1);
  EXPECT_EQ(p.policy.rules[1].origin.col, 3u);
  EXPECT_EQ(p.policy.rules[2].name, "exit");
  EXPECT_EQ(p.policy.rules[2].action.str(), "allow");
  EXPECT_EQ(p.policy.arches, std::vector<uint32_t>{SCMP_ARCH_X86_64});
}

}  // namespace
