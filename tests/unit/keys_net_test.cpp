// The network keys: what golden cases cannot pin down (random hwaddr
// digits, host interfaces) and the model behind the tricky rules (type
// wiping, IPv4 prefix and broadcast, sticky gateway flags).
#include <gtest/gtest.h>
#include <net/if.h>

#include <algorithm>
#include <regex>
#include <set>

#include "config/loader.hpp"

using namespace corral::config;

namespace {

LoadResult load(const std::string& text) { return load_text(text, "net.conf"); }

std::string warnings(const LoadResult& r) { return r.render(); }

}  // namespace

TEST(NetHwaddr, EveryXBecomesAHexDigitAndTheAddressStaysUnicast) {
  const std::regex mac("^00:16:3e:[0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}$");
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    LoadResult r = load("lxc.net.0.type = veth\nlxc.net.0.hwaddr = 00:16:3e:xx:Xx:xX\n");
    ASSERT_TRUE(r.ok()) << r.render();
    std::string hw = *get_item(r.config, "lxc.net.0.hwaddr");
    EXPECT_TRUE(std::regex_match(hw, mac)) << hw;
    seen.insert(hw);
  }
  // 24 random bits per address: 50 draws are all different in practice.
  EXPECT_GT(seen.size(), 45u);
}

TEST(NetHwaddr, SecondDigitIsEvenSoTheMulticastBitIsClear) {
  std::set<char> second;
  for (int i = 0; i < 200; ++i) {
    LoadResult r = load("lxc.net.0.type = veth\nlxc.net.0.hwaddr = xx:xx:xx:xx:xx:xx\n");
    ASSERT_TRUE(r.ok());
    std::string hw = *get_item(r.config, "lxc.net.0.hwaddr");
    ASSERT_EQ(hw.size(), 17u);
    int nibble = std::stoi(hw.substr(1, 1), nullptr, 16);
    EXPECT_EQ(nibble % 2, 0) << hw;
    second.insert(hw[1]);
  }
  // All eight even digits show up, so the digit is random too.
  EXPECT_EQ(second.size(), 8u);
}

TEST(NetHwaddr, OnlyXIsReplacedAndShowPrintsTheExpandedValue) {
  LoadResult r = load("lxc.net.0.type = veth\nlxc.net.0.hwaddr = 0x:AB:x\n");
  ASSERT_TRUE(r.ok());
  std::string hw = *get_item(r.config, "lxc.net.0.hwaddr");
  EXPECT_TRUE(std::regex_match(hw, std::regex("^0[02468ace]:AB:[0-9a-f]$"))) << hw;
  std::string shown = show(r.config);
  EXPECT_NE(shown.find("lxc.net.0.hwaddr = " + hw + "\n"), std::string::npos) << shown;
  // Loading the printed form keeps the digits: nothing is left to expand.
  LoadResult again = load(shown);
  EXPECT_EQ(get_item(again.config, "lxc.net.0.hwaddr"), hw);
}

TEST(NetType, TypeWipesEverySettingAndAppliesTheTypeDefaults) {
  LoadResult r = load(
      "lxc.net.3.type = veth\n"
      "lxc.net.3.flags = up\n"
      "lxc.net.3.link = br0\n"
      "lxc.net.3.veth.mode = router\n"
      "lxc.net.3.veth.vlan.id = 7\n"
      "lxc.net.3.ipv4.address = 10.0.0.2/24\n"
      "lxc.net.3.ipv6.gateway = dev\n"
      "lxc.net.3.type = macvlan\n");
  ASSERT_TRUE(r.ok()) << r.render();
  const NetDev& d = r.config.net.at(3);
  EXPECT_EQ(d.index, 3u);
  EXPECT_EQ(d.type, NetType::macvlan);
  EXPECT_FALSE(d.up);
  EXPECT_EQ(d.link, "");
  EXPECT_TRUE(d.ipv4.empty());
  EXPECT_FALSE(d.ipv6_gateway.is_dev);
  EXPECT_FALSE(d.veth_vlan_id.has_value());
  EXPECT_EQ(d.macvlan_mode, "private");
  EXPECT_EQ(d.type_origin.line, 8u);
  // The warning names what was lost.
  EXPECT_NE(warnings(r).find("flags, link, ipv4.address, ipv6.gateway, veth.mode, veth.vlan.id"), std::string::npos)
      << warnings(r);
}

TEST(NetType, DefaultsPerType) {
  LoadResult r = load(
      "lxc.net.0.type = veth\nlxc.net.1.type = ipvlan\nlxc.net.2.type = empty\nlxc.net.3.mtu = 1400\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.config.net.at(0).veth_mode, "bridge");
  // LXC documents l3 but leaves l2 (enum value 0).
  EXPECT_EQ(r.config.net.at(1).ipvlan_mode, "l2");
  EXPECT_EQ(r.config.net.at(1).ipvlan_isolation, "bridge");
  EXPECT_EQ(r.config.net.at(2).name, "lo");
  // Created by another key: type empty, but no forced name.
  EXPECT_EQ(r.config.net.at(3).type, NetType::empty);
  EXPECT_EQ(r.config.net.at(3).name, "");
  EXPECT_EQ(get_item(r.config, "lxc.net"), "veth\nipvlan\nempty\nempty\n");
}

TEST(NetType, EmptyTypeIsInvalidAndTypeSpecificKeysCannotBeRead) {
  LoadResult r = load("lxc.net.0.type = veth\nlxc.net.0.type =\nlxc.net.1.type = vlan\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.config.net.at(0).type, NetType::invalid);
  EXPECT_EQ(get_item(r.config, "lxc.net"), "(invalid)\nvlan\n");
  EXPECT_EQ(get_item(r.config, "lxc.net.0.type"), "");
  EXPECT_EQ(get_item(r.config, "lxc.net.0.veth.mode"), std::nullopt);
  EXPECT_EQ(get_item(r.config, "lxc.net.1.vlan.id"), "0");
  EXPECT_EQ(get_item(r.config, "lxc.net.1.veth.pair"), std::nullopt);
  EXPECT_EQ(get_item(r.config, "lxc.net.1.macvlan.mode"), std::nullopt);
  // Neither lxc.net.N nor an interface that does not exist can be read.
  EXPECT_EQ(get_item(r.config, "lxc.net.1"), std::nullopt);
  EXPECT_EQ(get_item(r.config, "lxc.net.2.type"), std::nullopt);
}

TEST(NetIpv4, PrefixFromTheLastOctetWhenAbsent) {
  LoadResult r = load(
      "lxc.net.0.type = veth\n"
      "lxc.net.0.ipv4.address = 192.168.1.127\n"
      "lxc.net.0.ipv4.address = 192.168.1.128\n"
      "lxc.net.0.ipv4.address = 192.168.1.223\n"
      "lxc.net.0.ipv4.address = 10.1.1.224\n"
      "lxc.net.0.ipv4.address = 10.1.1.0\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(get_item(r.config, "lxc.net.0.ipv4.address"),
            "192.168.1.127/8\n192.168.1.128/16\n192.168.1.223/24\n10.1.1.224/0\n10.1.1.0/8");
  // A warning when the result differs from the address class: not for
  // 192.168.1.223 (/24 both ways) nor 10.1.1.0 (/8 both ways).
  std::string w = warnings(r);
  size_t count = 0;
  for (size_t at = w.find("no prefix length"); at != std::string::npos; at = w.find("no prefix length", at + 1))
    ++count;
  EXPECT_EQ(count, 3u) << w;
}

TEST(NetIpv4, BroadcastIsKeptAsWrittenAndOnlyShown) {
  LoadResult r = load(
      "lxc.net.0.type = veth\n"
      "lxc.net.0.ipv4.address = 10.0.0.2/24 10.0.0.255\n"
      "lxc.net.0.ipv4.address = 10.0.1.2/0x18\n");
  ASSERT_TRUE(r.ok());
  const NetDev& d = r.config.net.at(0);
  ASSERT_EQ(d.ipv4.size(), 2u);
  EXPECT_EQ(d.ipv4[0].value.address, "10.0.0.2");
  EXPECT_EQ(d.ipv4[0].value.prefix, 24u);
  EXPECT_EQ(d.ipv4[0].value.broadcast, "10.0.0.255");
  EXPECT_EQ(d.ipv4[1].value.prefix, 24u);
  EXPECT_EQ(d.ipv4[1].value.broadcast, "");  // derived at start
  EXPECT_EQ(d.ipv4[0].origin.line, 2u);
  EXPECT_EQ(get_item(r.config, "lxc.net.0.ipv4.address"), "10.0.0.2/24\n10.0.1.2/24");
  EXPECT_NE(show(r.config).find("lxc.net.0.ipv4.address = 10.0.0.2/24 10.0.0.255\n"), std::string::npos);
}

TEST(NetGateway, FlagsAreStickyAsInLxc) {
  // dev, then an address: dev stays and wins.
  LoadResult r = load("lxc.net.0.type = veth\nlxc.net.0.ipv4.gateway = dev\nlxc.net.0.ipv4.gateway = 10.0.0.1\n");
  ASSERT_TRUE(r.ok());
  const Gateway& g = r.config.net.at(0).ipv4_gateway;
  EXPECT_TRUE(g.is_dev);
  EXPECT_FALSE(g.is_auto);
  EXPECT_EQ(g.address, "10.0.0.1");
  EXPECT_EQ(get_item(r.config, "lxc.net.0.ipv4.gateway"), "dev");

  // auto, then an address: the address clears auto.
  r = load("lxc.net.0.type = veth\nlxc.net.0.ipv6.gateway = auto\nlxc.net.0.ipv6.gateway = FD00::1\n");
  EXPECT_EQ(get_item(r.config, "lxc.net.0.ipv6.gateway"), "fd00::1");

  // dev, then auto: both flags are set; an empty value clears neither.
  r = load("lxc.net.0.type = veth\nlxc.net.0.ipv4.gateway = dev\nlxc.net.0.ipv4.gateway = auto\n"
           "lxc.net.0.ipv4.gateway =\n");
  const Gateway& both = r.config.net.at(0).ipv4_gateway;
  EXPECT_TRUE(both.is_dev);
  EXPECT_TRUE(both.is_auto);
  EXPECT_EQ(get_item(r.config, "lxc.net.0.ipv4.gateway"), "auto");
  // The printed form recreates both flags.
  LoadResult again = load(show(r.config));
  EXPECT_TRUE(again.config.net.at(0).ipv4_gateway.is_dev);
  EXPECT_TRUE(again.config.net.at(0).ipv4_gateway.is_auto);
}

TEST(NetVeth, VlanIdZeroIsDifferentFromUnset) {
  LoadResult r = load("lxc.net.0.type = veth\nlxc.net.0.veth.vlan.id = 0\nlxc.net.1.type = veth\n"
                      "lxc.net.2.type = veth\nlxc.net.2.veth.vlan.id = none\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.config.net.at(0).veth_vlan_id, 0);
  EXPECT_EQ(r.config.net.at(1).veth_vlan_id, std::nullopt);
  EXPECT_EQ(r.config.net.at(2).veth_vlan_id, -1);
  EXPECT_EQ(get_item(r.config, "lxc.net.0.veth.vlan.id"), "0");
  EXPECT_EQ(get_item(r.config, "lxc.net.1.veth.vlan.id"), "0");
  EXPECT_EQ(get_item(r.config, "lxc.net.2.veth.vlan.id"), "-1");
}

TEST(NetPhys, LinkWithPlusMatchesAHostInterfaceAndResetsTheInterface) {
  // Take a real interface of this host, so the test does not depend on names.
  struct if_nameindex* list = if_nameindex();
  ASSERT_NE(list, nullptr);
  std::vector<std::pair<unsigned, std::string>> found;
  for (struct if_nameindex* p = list; p->if_index != 0; ++p) found.emplace_back(p->if_index, p->if_name);
  if_freenameindex(list);
  std::sort(found.begin(), found.end());
  std::vector<std::string> names;
  for (const auto& f : found) names.push_back(f.second);
  if (names.empty()) GTEST_SKIP() << "no network interfaces";
  const std::string& target = names.front();
  // The full name plus '+' matches only names starting with it; the last wins.
  std::string expected;
  for (const std::string& n : names)
    if (n.rfind(target, 0) == 0) expected = n;

  LoadResult r = load("lxc.net.0.type = phys\nlxc.net.0.name = inside\nlxc.net.0.flags = up\nlxc.net.0.link = " +
                      target + "+\n");
  ASSERT_TRUE(r.ok()) << r.render();
  const NetDev& d = r.config.net.at(0);
  EXPECT_EQ(d.link, expected);
  EXPECT_EQ(d.type, NetType::phys);
  // LXC re-applies `type = phys` for the match: earlier settings are gone.
  EXPECT_EQ(d.name, "");
  EXPECT_FALSE(d.up);
  EXPECT_NE(warnings(r).find("flags, name"), std::string::npos) << warnings(r);

  // Other types keep the value verbatim.
  r = load("lxc.net.0.type = veth\nlxc.net.0.link = " + target + "+\n");
  EXPECT_EQ(get_item(r.config, "lxc.net.0.link"), target + "+");
}

TEST(NetApi, SetItemCreatesAndDeletesInterfaces) {
  Config cfg;
  Diagnostics diags;
  EXPECT_TRUE(set_item(cfg, "lxc.net.4.type", "veth", diags));
  EXPECT_TRUE(set_item(cfg, "lxc.net.4.veth.pair", "vethX", diags));
  EXPECT_EQ(get_item(cfg, "lxc.net.4.veth.pair"), "vethX");
  EXPECT_EQ(cfg.net.at(4).origins.count("veth.pair"), 1u);
  EXPECT_FALSE(set_item(cfg, "lxc.net.4", "veth", diags));
  EXPECT_TRUE(set_item(cfg, "lxc.net.4", "", diags));
  EXPECT_TRUE(cfg.net.empty());
  EXPECT_FALSE(set_item(cfg, "lxc.net.4.name", "", diags));  // nothing to clear
  EXPECT_TRUE(set_item(cfg, "lxc.net.4.name", "eth0", diags));
  EXPECT_TRUE(set_item(cfg, "lxc.net", "", diags));
  EXPECT_TRUE(cfg.net.empty());
  EXPECT_FALSE(set_item(cfg, "lxc.net", "x", diags));
}
