// The key table itself: complete entries, lookup by structure, and the
// example of every key round-tripping through set, get and show.
#include <gtest/gtest.h>

#include <set>

#include "config/keys.hpp"
#include "config/loader.hpp"

using namespace corral::config;

namespace {

/// A concrete key for a table entry: lxc.net.[i].type -> lxc.net.0.type.
std::string instantiate(const KeySpec& k) {
  std::string name(k.name);
  if (auto at = name.find("[i]"); at != std::string::npos) name.replace(at, 3, "0");
  // The namespace.share family only takes namespace names.
  if (k.shape == KeyShape::family) name = std::string(k.prefix) + (k.prefix == "lxc.namespace.share" ? ".net" : ".example");
  return name;
}

}  // namespace

TEST(Registry, EveryKeyIsDocumentedAndUnique) {
  std::set<std::string_view> seen;
  for (const KeySpec& k : all_keys()) {
    EXPECT_TRUE(seen.insert(k.name).second) << "duplicate " << k.name;
    EXPECT_FALSE(k.summary.empty()) << k.name;
    EXPECT_FALSE(k.section.empty()) << k.name;
    EXPECT_NE(k.set, nullptr) << k.name;
    if (k.shape == KeyShape::family) {
      EXPECT_FALSE(k.prefix.empty()) << k.name;
    }
  }
}

TEST(Registry, ExampleOfEveryKeyRoundTrips) {
  for (const KeySpec& k : all_keys()) {
    if (k.example.empty() || k.name == "lxc.include") continue;
    std::string key = instantiate(k);
    std::string text;
    // Type-specific network subkeys need their type first.
    if (k.shape == KeyShape::net && key.find(".veth.") != std::string::npos) text = "lxc.net.0.type = veth\n";
    if (k.shape == KeyShape::net && key.find(".macvlan.") != std::string::npos) text = "lxc.net.0.type = macvlan\n";
    if (k.shape == KeyShape::net && key.find(".ipvlan.") != std::string::npos) text = "lxc.net.0.type = ipvlan\n";
    if (k.shape == KeyShape::net && key.find(".vlan.id") != std::string::npos && key.find("veth") == std::string::npos)
      text = "lxc.net.0.type = vlan\n";
    text += key + " = " + std::string(k.example) + "\n";
    LoadResult first = load_text(text, "example.conf");
    ASSERT_TRUE(first.ok()) << key << ": " << first.render();
    std::string shown = show(first.config);
    LoadResult second = load_text(shown, "shown.conf");
    ASSERT_TRUE(second.ok()) << key << " printed as:\n" << shown << second.render();
    EXPECT_EQ(show(second.config), shown) << key;
    EXPECT_EQ(get_item(first.config, key), get_item(second.config, key)) << key;
  }
}

TEST(Registry, UnknownKeySuggestsTheClosest) {
  Lookup l = lookup_key("lxc.uts.nmae");
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.error, "unknown key 'lxc.uts.nmae'");
  ASSERT_EQ(l.notes.size(), 1u);
  EXPECT_EQ(l.notes[0], "did you mean 'lxc.uts.name'?");
}

TEST(Registry, LegacyKeysNameTheirReplacement) {
  Lookup l = lookup_key("lxc.network.0.type");
  ASSERT_FALSE(l.ok());
  ASSERT_EQ(l.notes.size(), 1u);
  EXPECT_NE(l.notes[0].find("lxc.net.N"), std::string::npos);
  l = lookup_key("lxc.rootfs");
  ASSERT_EQ(l.notes.size(), 1u);
  EXPECT_NE(l.notes[0].find("lxc.rootfs.path"), std::string::npos);
  l = lookup_key("lxc.pivotdir");
  ASSERT_EQ(l.notes.size(), 1u);
  EXPECT_NE(l.notes[0].find("removed"), std::string::npos);
}

TEST(Registry, ExtraPartsMakeAKeyUnknown) {
  EXPECT_FALSE(lookup_key("lxc.uts.name.x").ok());
  EXPECT_FALSE(lookup_key("lxc.uts .name").ok());
  EXPECT_FALSE(lookup_key("LXC.uts.name").ok());
}

TEST(Registry, QuoteValueOnlyWhenNeeded) {
  EXPECT_EQ(quote_value("abc"), "abc");
  EXPECT_EQ(quote_value(" a"), "\" a\"");
  EXPECT_EQ(quote_value("\"x\""), "\"\"x\"\"");
  EXPECT_EQ(quote_value("'x'"), "\"'x'\"");
  EXPECT_EQ(quote_value("\"x"), "\"x");
}
