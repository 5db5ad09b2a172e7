// Key table, network section: the bare `lxc.net`, `lxc.net.N` and every
// `lxc.net.N.<sub>` (config-language.md §6, config-keys.md "Network").
//
// The subkeys live in one table (kSubs) that drives the setters, getters and
// the printer; the KeySpecs are generated from it. The whole network section
// is printed by the show function of `lxc.net`, interface by interface, the
// type first: a `type` line resets every other setting of an interface.
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/random.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <utility>

#include "config/keys.hpp"
#include "util/strings.hpp"

namespace corral::config {

namespace {

/// Interface names hold at most IFNAMSIZ - 1 bytes; LXC truncates longer ones.
constexpr size_t kIfNameMax = IFNAMSIZ - 1;
constexpr std::string_view kSection = "network";

// ---- types ---------------------------------------------------------------------
struct TypeName {
  NetType type;
  std::string_view name;
};
constexpr TypeName kTypes[] = {
    {NetType::veth, "veth"}, {NetType::macvlan, "macvlan"}, {NetType::ipvlan, "ipvlan"}, {NetType::vlan, "vlan"},
    {NetType::phys, "phys"}, {NetType::empty, "empty"},     {NetType::none, "none"},
};

std::string_view type_name(NetType t) {
  for (const TypeName& n : kTypes)
    if (n.type == t) return n.name;
  return "(invalid)";  // what LXC's `lxc.net` prints after `type =`
}

/// An interface as a `type` line leaves it: every other setting reset, and
/// the per-type defaults applied. `empty` forces the name `lo`; the ipvlan
/// mode stays l2 because LXC's "l3" default is never applied (l2 is 0).
NetDev fresh_netdev(uint32_t index, NetType type) {
  NetDev d;
  d.index = index;
  d.type = type;
  switch (type) {
    case NetType::empty: d.name = "lo"; break;
    case NetType::veth: d.veth_mode = "bridge"; break;
    case NetType::macvlan: d.macvlan_mode = "private"; break;
    case NetType::ipvlan:
      d.ipvlan_mode = "l2";
      d.ipvlan_isolation = "bridge";
      break;
    default: break;
  }
  return d;
}

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

std::string net_key(uint32_t index, std::string_view sub) {
  return "lxc.net." + std::to_string(index) + "." + std::string(sub);
}

/// "a, b or c"
std::string either(std::initializer_list<std::string_view> choices) {
  std::string out;
  size_t i = 0;
  for (std::string_view c : choices) {
    if (i > 0) out += i + 1 == choices.size() ? " or " : ", ";
    out += c;
    ++i;
  }
  return out;
}

/// One of a fixed set of words, case-sensitive as in LXC.
std::string_view choose(std::string_view what, std::string_view v, std::initializer_list<std::string_view> choices) {
  for (std::string_view c : choices)
    if (c == v) return c;
  ValueError e{"unknown " + std::string(what) + " " + quoted(v) + " (expected " + either(choices) + ")"};
  std::vector<std::string_view> names(choices);
  if (auto m = closest_match(to_lower(v), names, 2)) e.notes.push_back("did you mean '" + std::string(*m) + "'?");
  throw e;
}

// ---- numbers, exactly as LXC reads them ------------------------------------------
/// lxc_safe_uint: strtoul base 0, leading blanks and '+', no '-', 32 bits.
std::optional<uint32_t> lxc_uint(std::string_view s) {
  try {
    return parse_uint(s);
  } catch (const ValueError&) {
    return std::nullopt;
  }
}

/// LXC's get_u16: strtoul base 0 with no check for '-' ("-0" is 0).
std::optional<uint16_t> lxc_u16(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::string buf(s);
  char* end = nullptr;
  errno = 0;
  unsigned long v = std::strtoul(buf.c_str(), &end, 0);
  if (end == buf.c_str() || *end != '\0' || errno != 0 || v > 0xFFFF) return std::nullopt;
  return static_cast<uint16_t>(v);
}

// ---- addresses --------------------------------------------------------------------
std::optional<in_addr> pton4(std::string_view s) {
  in_addr a{};
  if (inet_pton(AF_INET, std::string(s).c_str(), &a) != 1) return std::nullopt;
  return a;
}
std::optional<in6_addr> pton6(std::string_view s) {
  in6_addr a{};
  if (inet_pton(AF_INET6, std::string(s).c_str(), &a) != 1) return std::nullopt;
  return a;
}
std::string ntop4(const in_addr& a) {
  char buf[INET_ADDRSTRLEN];
  return inet_ntop(AF_INET, &a, buf, sizeof buf);
}
std::string ntop6(const in6_addr& a) {
  char buf[INET6_ADDRSTRLEN];
  return inet_ntop(AF_INET6, &a, buf, sizeof buf);
}

uint32_t offset_in(std::string_view whole, std::string_view part) {
  return static_cast<uint32_t>(part.data() - whole.data());
}
uint32_t size_of(std::string_view s) { return static_cast<uint32_t>(s.size()); }

/// LXC 5.0.2 derives a missing IPv4 prefix with IN_CLASSA/B/C applied to
/// the address in network byte order, so on x86-64 the LAST octet decides.
uint32_t prefix_from_last_octet(const in_addr& a) {
  auto last = static_cast<uint8_t>(ntohl(a.s_addr) & 0xFF);
  if (last < 128) return 8;
  if (last < 192) return 16;
  if (last < 224) return 24;
  return 0;
}
/// The classful prefix a reader expects: from the first octet.
uint32_t prefix_from_class(const in_addr& a) {
  auto first = static_cast<uint8_t>(ntohl(a.s_addr) >> 24);
  if (first < 128) return 8;
  if (first < 192) return 16;
  if (first < 224) return 24;
  return 0;
}

// ---- interface names -----------------------------------------------------------------
/// Stores an interface name, truncated to 15 bytes with a warning as LXC
/// truncates it silently.
void set_ifname(SetContext& c, std::string& field, std::string_view v) {
  if (v.size() > kIfNameMax) {
    c.warn("interface name " + quoted(v) + " is longer than " + std::to_string(kIfNameMax) +
               " bytes; LXC truncates it to " + quoted(v.substr(0, kIfNameMax)),
           static_cast<uint32_t>(kIfNameMax), static_cast<uint32_t>(v.size() - kIfNameMax));
    v = v.substr(0, kIfNameMax);
  }
  field = std::string(v);
}

/// The host's interfaces in index order, as LXC's netns_getifaddrs lists them.
std::vector<std::string> host_interfaces() {
  struct if_nameindex* list = if_nameindex();
  if (!list) fail(std::string("cannot list the host's network interfaces: ") + std::strerror(errno));
  std::vector<std::pair<unsigned, std::string>> found;
  for (struct if_nameindex* p = list; p->if_index != 0; ++p) found.emplace_back(p->if_index, p->if_name);
  if_freenameindex(list);
  std::sort(found.begin(), found.end());
  std::vector<std::string> names;
  for (auto& f : found) names.push_back(std::move(f.second));
  return names;
}

// ---- hwaddr -------------------------------------------------------------------------
// ---- the subkey table ------------------------------------------------------------------
struct Sub {
  std::string_view name;        // lxc.net.[i].<sub>
  std::optional<NetType> only;  // type-specific subkeys
  KeyKind kind;
  std::string_view summary;
  std::string_view example;
  /// Applies a value; an empty value clears (only called when the subkey
  /// applies to the interface's type).
  void (*set)(SetContext&, NetDev&, std::string_view);
  std::optional<std::string> (*get)(const NetDev&);
  /// Writes the lines that recreate this subkey's state after a `type` line.
  void (*print)(const NetDev&, const std::string& key, std::string& out);
};

constexpr size_t kPatternSize = std::string_view("lxc.net.[i].").size();
std::string_view sub_of(const Sub& s) { return s.name.substr(kPatternSize); }

// -- type
void set_type(SetContext& c, NetDev& d, std::string_view v);
std::optional<std::string> get_type(const NetDev& d) {
  // A reset type prints as "(null)" in LXC, "" here (like other unset values).
  return d.type == NetType::invalid ? std::string() : std::string(type_name(d.type));
}
void print_type(const NetDev& d, const std::string& key, std::string& out) {
  if (d.type == NetType::invalid) {
    // `type =` only works on an interface that exists.
    show_line(out, key, "empty");
    show_line(out, key, "");
    return;
  }
  show_line(out, key, type_name(d.type));
}

// -- flags
void set_flags(SetContext& c, NetDev& d, std::string_view v) {
  if (!v.empty() && v != "up") {
    c.warn("LXC does not read this value: any non-empty value means 'up'; write 'up', or remove the line", 0, 0);
  }
  d.up = !v.empty();
}
std::optional<std::string> get_flags(const NetDev& d) { return std::string(d.up ? "up" : ""); }
void print_flags(const NetDev& d, const std::string& key, std::string& out) {
  if (d.up) show_line(out, key, "up");
}

// -- plain strings
template <std::string NetDev::*Member>
std::optional<std::string> get_field(const NetDev& d) {
  return d.*Member;
}
template <std::string NetDev::*Member>
void print_field(const NetDev& d, const std::string& key, std::string& out) {
  if (d.*Member != fresh_netdev(d.index, d.type).*Member) show_line(out, key, d.*Member);
}
template <std::string NetDev::*Member>
void set_verbatim(SetContext&, NetDev& d, std::string_view v) {
  d.*Member = std::string(v);
}
template <std::string NetDev::*Member>
void set_name_field(SetContext& c, NetDev& d, std::string_view v) {
  set_ifname(c, d.*Member, v);
}

std::vector<std::string_view> changed_subkeys(const NetDev& d);

// -- link
void set_link(SetContext& c, NetDev& d, std::string_view v) {
  if (v.empty() || v.back() != '+' || d.type != NetType::phys) {
    set_ifname(c, d.link, v);
    return;
  }
  // phys with "eth+": LXC matches the prefix against the host's interfaces
  // now; each match re-applies `type = phys` (a reset) and sets the link, so
  // the last match wins and earlier settings of the interface are lost.
  std::string_view prefix = v.substr(0, v.size() - 1);
  std::optional<std::string> match;
  for (const std::string& name : host_interfaces())
    if (std::string_view(name).substr(0, prefix.size()) == prefix) match = name;
  if (!match) {
    c.warn("no host interface name starts with " + quoted(prefix) + "; LXC leaves the link unchanged", 0, 0);
    return;
  }
  std::vector<std::string_view> lost = changed_subkeys(d);
  std::erase(lost, std::string_view("link"));
  if (!lost.empty()) {
    std::vector<std::string> names(lost.begin(), lost.end());
    c.warn("matching " + quoted(v) + " resets interface " + std::to_string(d.index) + " as 'type = phys' does: " +
               join(names, ", ") + " from earlier lines are lost; put this line right after the type",
           0, 0);
  }
  Origin type_origin = d.type_origin;
  d = fresh_netdev(d.index, NetType::phys);
  d.type_origin = type_origin;
  d.link = *match;
}

// -- hwaddr
void set_hwaddr(SetContext&, NetDev& d, std::string_view v) { d.hwaddr = v.empty() ? std::string() : expand_hwaddr(v); }

// -- mtu
void set_mtu(SetContext& c, NetDev& d, std::string_view v) {
  if (!v.empty() && !lxc_uint(v)) {
    c.warn("mtu " + quoted(v) + " is not a number; LXC accepts it here but fails to start the container", 0, 0);
  }
  d.mtu = std::string(v);
}

// -- l2proxy
void set_l2proxy(SetContext&, NetDev& d, std::string_view v) { d.l2proxy = v.empty() ? false : parse_bool(v); }
std::optional<std::string> get_l2proxy(const NetDev& d) { return std::string(d.l2proxy ? "1" : "0"); }
void print_l2proxy(const NetDev& d, const std::string& key, std::string& out) {
  if (d.l2proxy) show_line(out, key, "1");
}

// -- ipv4.address
void set_ipv4_address(SetContext& c, NetDev& d, std::string_view v) {
  if (v.empty()) {
    d.ipv4.clear();
    return;
  }
  // LXC splits at the first space (broadcast), then at the first '/' (prefix).
  size_t space = v.find(' ');
  std::string_view with_prefix = v.substr(0, space);
  size_t slash = with_prefix.find('/');
  std::string_view addr = with_prefix.substr(0, slash);
  constexpr std::string_view kForm = "write ADDRESS[/PREFIX][ BROADCAST], for example 10.0.3.2/24 10.0.3.255";
  auto with_notes = [&](ValueError e) {
    if (v.find('\t') != std::string_view::npos)
      e.notes.push_back("separate the broadcast address with one space, not a tab");
    e.notes.emplace_back(kForm);
    return e;
  };
  auto a = pton4(addr);
  if (!a) throw with_notes(ValueError{"invalid IPv4 address " + quoted(addr), 0, size_of(addr)});
  // LXC checks the broadcast address before the prefix; either way the
  // line is rejected, and a bad prefix is the likelier mistake to report.
  Ipv4Address out{ntop4(*a), 0, ""};
  if (slash != std::string_view::npos) {
    std::string_view p = with_prefix.substr(slash + 1);
    auto n = lxc_uint(p);
    if (!n || *n > 32) {
      ValueError e{"invalid IPv4 prefix length " + quoted(p) + " (expected 0 to 32)", offset_in(v, p) - 1,
                   size_of(p) + 1};
      if (p.empty() && space != std::string_view::npos) e.notes.push_back("no blank is allowed after '/'");
      throw with_notes(std::move(e));
    }
    out.prefix = *n;
  } else {
    out.prefix = prefix_from_last_octet(*a);
  }
  if (space != std::string_view::npos) {
    std::string_view bcast = v.substr(space + 1);
    auto b = pton4(bcast);
    if (!b) {
      if (!bcast.empty() && is_blank(bcast.front())) {
        throw with_notes(ValueError{"expected exactly one space between the address and the broadcast address",
                                    static_cast<uint32_t>(space), 2});
      }
      throw with_notes(
          ValueError{"invalid IPv4 broadcast address " + quoted(bcast), offset_in(v, bcast), size_of(bcast)});
    }
    out.broadcast = ntop4(*b);
  }
  if (slash == std::string_view::npos && out.prefix != prefix_from_class(*a)) {
    c.warn("no prefix length: LXC derives /" + std::to_string(out.prefix) + " from the last octet of " + quoted(addr) +
               " (a byte-order bug), not /" + std::to_string(prefix_from_class(*a)) +
               " from its class; write the prefix length",
           0, size_of(addr));
  }
  d.ipv4.push_back({std::move(out), c.origin});
}
std::optional<std::string> get_ipv4_address(const NetDev& d) {
  std::vector<std::string> lines;
  for (const auto& a : d.ipv4) lines.push_back(a.value.address + "/" + std::to_string(a.value.prefix));
  return join(lines, "\n");
}
void print_ipv4_address(const NetDev& d, const std::string& key, std::string& out) {
  for (const auto& a : d.ipv4) {
    std::string v = a.value.address + "/" + std::to_string(a.value.prefix);
    if (!a.value.broadcast.empty()) v += " " + a.value.broadcast;
    show_line(out, key, v);
  }
}

// -- ipv6.address
void set_ipv6_address(SetContext& c, NetDev& d, std::string_view v) {
  if (v.empty()) {
    d.ipv6.clear();
    return;
  }
  size_t slash = v.find('/');
  std::string_view addr = v.substr(0, slash);
  Ipv6Address out{"", 64};
  if (slash != std::string_view::npos) {
    std::string_view p = v.substr(slash + 1);
    auto n = lxc_uint(p);
    if (!n)
      throw ValueError{"invalid IPv6 prefix length " + quoted(p) + " (expected 0 to 128)", offset_in(v, p) - 1,
                       size_of(p) + 1};
    if (*n > 128) {
      c.warn("prefix length " + std::to_string(*n) +
                 " is larger than 128; LXC accepts it but the kernel rejects it at start",
             offset_in(v, p) - 1, size_of(p) + 1);
    }
    out.prefix = *n;
  }
  auto a = pton6(addr);
  if (!a) {
    ValueError e{
        "invalid IPv6 address " + quoted(addr), 0, size_of(addr), {"write ADDRESS[/PREFIX], for example fd00::2/64"}};
    if (addr.find('%') != std::string_view::npos)
      e.notes.insert(e.notes.begin(), "a zone index ('%eth0') is not accepted");
    throw e;
  }
  out.address = ntop6(*a);
  d.ipv6.push_back({std::move(out), c.origin});
}
std::optional<std::string> get_ipv6_address(const NetDev& d) {
  std::vector<std::string> lines;
  for (const auto& a : d.ipv6) lines.push_back(a.value.address + "/" + std::to_string(a.value.prefix));
  return join(lines, "\n");
}
void print_ipv6_address(const NetDev& d, const std::string& key, std::string& out) {
  for (const auto& a : d.ipv6) show_line(out, key, a.value.address + "/" + std::to_string(a.value.prefix));
}

// -- gateways: `auto`, `dev` and an address are sticky flags, as in LXC.
template <int Family>
void set_gateway(SetContext& c, NetDev& d, std::string_view v) {
  Gateway& g = Family == AF_INET ? d.ipv4_gateway : d.ipv6_gateway;
  g.origin = c.origin;
  if (v.empty()) {
    // Only the address is cleared; `auto` and `dev` stay.
    if (g.is_auto || g.is_dev) {
      c.warn("an empty value clears only the gateway address; '" + std::string(g.is_auto ? "auto" : "dev") +
                 "' from an earlier line stays in effect (set the type again to reset it)",
             0, 0);
    }
    g.address.clear();
    return;
  }
  if (v == "auto") {
    g.address.clear();
    g.is_auto = true;
    return;
  }
  if (v == "dev") {
    g.address.clear();
    g.is_auto = false;
    g.is_dev = true;
    return;
  }
  std::string addr;
  if (Family == AF_INET) {
    if (auto a = pton4(v)) addr = ntop4(*a);
  } else {
    if (auto a = pton6(v)) addr = ntop6(*a);
  }
  if (addr.empty()) {
    std::string fam = Family == AF_INET ? "IPv4" : "IPv6";
    ValueError e{"invalid " + fam + " gateway " + quoted(v) + " (expected auto, dev or an " + fam + " address)"};
    if (v.find('/') != std::string_view::npos) e.notes.push_back("a gateway takes no prefix length");
    if (auto m = closest_match(to_lower(v), {"auto", "dev"}, 1))
      e.notes.push_back("did you mean '" + std::string(*m) + "'?");
    throw e;
  }
  if (g.is_dev) {
    c.warn("'dev' from an earlier line stays in effect and takes precedence over this address (LXC never clears it)",
           0, 0);
  }
  g.address = std::move(addr);
  g.is_auto = false;
}
template <int Family>
std::optional<std::string> get_gateway(const NetDev& d) {
  const Gateway& g = Family == AF_INET ? d.ipv4_gateway : d.ipv6_gateway;
  if (g.is_auto) return std::string("auto");
  if (g.is_dev) return std::string("dev");
  return g.address;
}
template <int Family>
void print_gateway(const NetDev& d, const std::string& key, std::string& out) {
  // `dev` first (it clears auto), then `auto` (it clears the address).
  const Gateway& g = Family == AF_INET ? d.ipv4_gateway : d.ipv6_gateway;
  if (g.is_dev) show_line(out, key, "dev");
  if (g.is_auto) show_line(out, key, "auto");
  if (!g.address.empty()) show_line(out, key, g.address);
}

// -- enumerated modes; "" is the reset value, read back as "(invalid)"
template <std::string NetDev::*Member>
std::optional<std::string> get_mode(const NetDev& d) {
  return (d.*Member).empty() ? std::string("(invalid)") : d.*Member;
}
void set_veth_mode(SetContext&, NetDev& d, std::string_view v) {
  d.veth_mode = v.empty() ? std::string() : std::string(choose("veth mode", v, {"bridge", "router"}));
}
void set_macvlan_mode(SetContext&, NetDev& d, std::string_view v) {
  d.macvlan_mode =
      v.empty() ? std::string() : std::string(choose("macvlan mode", v, {"private", "vepa", "bridge", "passthru"}));
}
void set_ipvlan_mode(SetContext&, NetDev& d, std::string_view v) {
  d.ipvlan_mode = v.empty() ? std::string() : std::string(choose("ipvlan mode", v, {"l3", "l3s", "l2"}));
}
void set_ipvlan_isolation(SetContext&, NetDev& d, std::string_view v) {
  d.ipvlan_isolation =
      v.empty() ? std::string() : std::string(choose("ipvlan isolation", v, {"bridge", "private", "vepa"}));
}

// -- veth routes: ADDRESS/PREFIX, the prefix mandatory
template <int Family>
void set_route(SetContext& c, NetDev& d, std::string_view v) {
  List<std::string>& list = Family == AF_INET ? d.veth_ipv4_routes : d.veth_ipv6_routes;
  if (v.empty()) {
    list.clear();
    return;
  }
  const bool v4 = Family == AF_INET;
  const uint32_t max = v4 ? 32 : 128;
  std::string form = v4 ? "ADDRESS/PREFIX, for example 192.0.2.0/24" : "ADDRESS/PREFIX, for example 2001:db8::/32";
  size_t slash = v.find('/');
  if (slash == std::string_view::npos || slash + 1 == v.size()) {
    throw ValueError{std::string("a route needs a prefix length: expected ") + form};
  }
  // LXC reads the prefix first; the address is the likelier mistake to report.
  std::string_view addr = v.substr(0, slash);
  std::string canonical;
  if (v4) {
    if (auto a = pton4(addr)) canonical = ntop4(*a);
  } else {
    if (auto a = pton6(addr)) canonical = ntop6(*a);
  }
  if (canonical.empty()) {
    throw ValueError{std::string("invalid ") + (v4 ? "IPv4" : "IPv6") + " address " + quoted(addr), 0,
                     size_of(addr), {"expected " + form}};
  }
  std::string_view p = v.substr(slash + 1);
  auto n = lxc_uint(p);
  if (!n || *n > max) {
    throw ValueError{"invalid prefix length " + quoted(p) + " (expected 0 to " + std::to_string(max) + ")",
                     static_cast<uint32_t>(slash), size_of(p) + 1};
  }
  list.push_back({canonical + "/" + std::to_string(*n), c.origin});
}
template <List<std::string> NetDev::*Member>
std::optional<std::string> get_routes(const NetDev& d) {
  std::vector<std::string> lines;
  for (const auto& r : d.*Member) lines.push_back(r.value);
  return join(lines, "\n");
}
template <List<std::string> NetDev::*Member>
void print_routes(const NetDev& d, const std::string& key, std::string& out) {
  for (const auto& r : d.*Member) show_line(out, key, r.value);
}

// -- VLANs
constexpr uint16_t kBridgeVlanMax = 4094;

uint16_t parse_vlan_id(std::string_view v, uint16_t max, bool none_ok) {
  auto n = lxc_u16(v);
  if (!n || *n > max) {
    ValueError e{"invalid VLAN id " + quoted(v) + " (expected " + std::string(none_ok ? "none or " : "") + "0 to " +
                 std::to_string(max) + ")"};
    if (!none_ok && v == "none") e.notes.push_back("'none' is only valid for veth.vlan.id");
    if (none_ok && to_lower(v) == "none") e.notes.push_back("did you mean 'none'?");
    throw e;
  }
  return *n;
}
void set_veth_vlan_id(SetContext&, NetDev& d, std::string_view v) {
  if (v.empty()) d.veth_vlan_id.reset();
  else if (v == "none") d.veth_vlan_id = -1;
  else d.veth_vlan_id = parse_vlan_id(v, kBridgeVlanMax, true);
}
std::optional<std::string> get_veth_vlan_id(const NetDev& d) { return std::to_string(d.veth_vlan_id.value_or(0)); }
void print_veth_vlan_id(const NetDev& d, const std::string& key, std::string& out) {
  if (d.veth_vlan_id) show_line(out, key, *d.veth_vlan_id < 0 ? "none" : std::to_string(*d.veth_vlan_id));
}

void set_veth_vlan_tagged(SetContext& c, NetDev& d, std::string_view v) {
  if (v.empty()) {
    d.veth_vlan_tagged.clear();
    return;
  }
  d.veth_vlan_tagged.push_back({parse_vlan_id(v, kBridgeVlanMax, false), c.origin});
}
std::optional<std::string> get_veth_vlan_tagged(const NetDev& d) {
  std::vector<std::string> lines;
  for (const auto& id : d.veth_vlan_tagged) lines.push_back(std::to_string(id.value));
  return join(lines, "\n");
}
void print_veth_vlan_tagged(const NetDev& d, const std::string& key, std::string& out) {
  for (const auto& id : d.veth_vlan_tagged) show_line(out, key, std::to_string(id.value));
}

void set_vlan_id(SetContext&, NetDev& d, std::string_view v) {
  d.vlan_id = v.empty() ? 0 : parse_vlan_id(v, 0xFFFF, false);
}
std::optional<std::string> get_vlan_id(const NetDev& d) { return std::to_string(d.vlan_id); }
void print_vlan_id(const NetDev& d, const std::string& key, std::string& out) {
  if (d.vlan_id != 0) show_line(out, key, std::to_string(d.vlan_id));
}

// -- veth queues: a positive int
template <std::optional<int32_t> NetDev::*Member>
void set_queues(SetContext&, NetDev& d, std::string_view v) {
  if (v.empty()) {
    (d.*Member).reset();
    return;
  }
  int32_t n = 0;
  try {
    n = parse_int(v);
  } catch (const ValueError&) {
    n = 0;
  }
  if (n <= 0) fail("expected a positive number of queues, got " + quoted(v));
  d.*Member = n;
}
template <std::optional<int32_t> NetDev::*Member>
std::optional<std::string> get_queues(const NetDev& d) {
  return d.*Member ? std::to_string(*(d.*Member)) : std::string();
}
template <std::optional<int32_t> NetDev::*Member>
void print_queues(const NetDev& d, const std::string& key, std::string& out) {
  if (d.*Member) show_line(out, key, std::to_string(*(d.*Member)));
}

template <std::string NetDev::*Member>
void print_mode(const NetDev& d, const std::string& key, std::string& out) {
  // The reset value "" prints as an empty line, which resets it again.
  if (d.*Member != fresh_netdev(d.index, d.type).*Member) show_line(out, key, d.*Member);
}

const Sub kSubs[] = {
    {"lxc.net.[i].type", std::nullopt, KeyKind::scalar,
     "the interface type: veth, macvlan, ipvlan, vlan, phys, empty or none (resets the other settings)", "veth",
     set_type, get_type, print_type},
    {"lxc.net.[i].flags", std::nullopt, KeyKind::scalar, "'up' to bring the interface up (any value means up)", "up",
     set_flags, get_flags, print_flags},
    {"lxc.net.[i].link", std::nullopt, KeyKind::scalar,
     "the host interface to use: a bridge for veth, the parent for macvlan/ipvlan/vlan, the device for phys",
     "lxcbr0", set_link, get_field<&NetDev::link>, print_field<&NetDev::link>},
    {"lxc.net.[i].name", std::nullopt, KeyKind::scalar, "the interface name inside the container (at most 15 bytes)",
     "eth0", set_name_field<&NetDev::name>, get_field<&NetDev::name>, print_field<&NetDev::name>},
    {"lxc.net.[i].hwaddr", std::nullopt, KeyKind::scalar,
     "the MAC address; each x is replaced by a random hex digit when the file is read", "00:16:3e:12:34:56",
     set_hwaddr, get_field<&NetDev::hwaddr>, print_field<&NetDev::hwaddr>},
    {"lxc.net.[i].mtu", std::nullopt, KeyKind::scalar, "the interface MTU", "1500", set_mtu, get_field<&NetDev::mtu>,
     print_field<&NetDev::mtu>},
    {"lxc.net.[i].l2proxy", std::nullopt, KeyKind::scalar,
     "1 to add proxy ARP/NDP entries on the link for the interface's addresses", "1", set_l2proxy, get_l2proxy,
     print_l2proxy},
    {"lxc.net.[i].ipv4.address", std::nullopt, KeyKind::list,
     "an IPv4 address: ADDRESS[/PREFIX][ BROADCAST] (one per line)", "10.0.3.2/24", set_ipv4_address,
     get_ipv4_address, print_ipv4_address},
    {"lxc.net.[i].ipv4.gateway", std::nullopt, KeyKind::scalar, "the IPv4 default gateway: auto, dev or an address",
     "10.0.3.1", set_gateway<AF_INET>, get_gateway<AF_INET>, print_gateway<AF_INET>},
    {"lxc.net.[i].ipv6.address", std::nullopt, KeyKind::list, "an IPv6 address: ADDRESS[/PREFIX] (one per line)",
     "fd00::2/64", set_ipv6_address, get_ipv6_address, print_ipv6_address},
    {"lxc.net.[i].ipv6.gateway", std::nullopt, KeyKind::scalar, "the IPv6 default gateway: auto, dev or an address",
     "fd00::1", set_gateway<AF_INET6>, get_gateway<AF_INET6>, print_gateway<AF_INET6>},
    {"lxc.net.[i].script.up", std::nullopt, KeyKind::scalar, "a script run on the host after the interface is created",
     "/usr/local/bin/net-up", set_verbatim<&NetDev::script_up>, get_field<&NetDev::script_up>,
     print_field<&NetDev::script_up>},
    {"lxc.net.[i].script.down", std::nullopt, KeyKind::scalar,
     "a script run on the host before the interface is destroyed", "/usr/local/bin/net-down",
     set_verbatim<&NetDev::script_down>, get_field<&NetDev::script_down>, print_field<&NetDev::script_down>},
    {"lxc.net.[i].veth.pair", NetType::veth, KeyKind::scalar, "the name of the host side of a veth pair", "vethc1",
     set_name_field<&NetDev::veth_pair>, get_field<&NetDev::veth_pair>, print_field<&NetDev::veth_pair>},
    {"lxc.net.[i].veth.mode", NetType::veth, KeyKind::scalar, "veth mode: bridge (default) or router", "router",
     set_veth_mode, get_mode<&NetDev::veth_mode>, print_mode<&NetDev::veth_mode>},
    {"lxc.net.[i].veth.ipv4.route", NetType::veth, KeyKind::list,
     "an IPv4 route to the container via the host side of the veth: ADDRESS/PREFIX", "192.0.2.0/24",
     set_route<AF_INET>, get_routes<&NetDev::veth_ipv4_routes>, print_routes<&NetDev::veth_ipv4_routes>},
    {"lxc.net.[i].veth.ipv6.route", NetType::veth, KeyKind::list,
     "an IPv6 route to the container via the host side of the veth: ADDRESS/PREFIX", "2001:db8::/64",
     set_route<AF_INET6>, get_routes<&NetDev::veth_ipv6_routes>, print_routes<&NetDev::veth_ipv6_routes>},
    {"lxc.net.[i].veth.vlan.id", NetType::veth, KeyKind::scalar,
     "the untagged VLAN of the veth's bridge port: none or 0 to 4094", "100", set_veth_vlan_id, get_veth_vlan_id,
     print_veth_vlan_id},
    {"lxc.net.[i].veth.vlan.tagged.id", NetType::veth, KeyKind::list,
     "a tagged VLAN of the veth's bridge port: 0 to 4094 (one per line)", "200", set_veth_vlan_tagged,
     get_veth_vlan_tagged, print_veth_vlan_tagged},
    {"lxc.net.[i].veth.n_rxqueues", NetType::veth, KeyKind::scalar, "the number of receive queues of the veth", "4",
     set_queues<&NetDev::veth_n_rxqueues>, get_queues<&NetDev::veth_n_rxqueues>,
     print_queues<&NetDev::veth_n_rxqueues>},
    {"lxc.net.[i].veth.n_txqueues", NetType::veth, KeyKind::scalar, "the number of transmit queues of the veth", "4",
     set_queues<&NetDev::veth_n_txqueues>, get_queues<&NetDev::veth_n_txqueues>,
     print_queues<&NetDev::veth_n_txqueues>},
    {"lxc.net.[i].macvlan.mode", NetType::macvlan, KeyKind::scalar,
     "macvlan mode: private (default), vepa, bridge or passthru", "bridge", set_macvlan_mode,
     get_mode<&NetDev::macvlan_mode>, print_mode<&NetDev::macvlan_mode>},
    {"lxc.net.[i].ipvlan.mode", NetType::ipvlan, KeyKind::scalar, "ipvlan mode: l2 (the actual default), l3 or l3s",
     "l3", set_ipvlan_mode, get_mode<&NetDev::ipvlan_mode>, print_mode<&NetDev::ipvlan_mode>},
    {"lxc.net.[i].ipvlan.isolation", NetType::ipvlan, KeyKind::scalar,
     "ipvlan isolation: bridge (default), private or vepa", "private", set_ipvlan_isolation,
     get_mode<&NetDev::ipvlan_isolation>, print_mode<&NetDev::ipvlan_isolation>},
    {"lxc.net.[i].vlan.id", NetType::vlan, KeyKind::scalar, "the VLAN id of a vlan interface: 0 to 65535", "100",
     set_vlan_id, get_vlan_id, print_vlan_id},
};

bool applies(const Sub& s, const NetDev& d) { return !s.only || *s.only == d.type; }

/// The subkeys whose state differs from what a `type` line leaves.
std::vector<std::string_view> changed_subkeys(const NetDev& d) {
  NetDev base = fresh_netdev(d.index, d.type);
  // An interface created by another key has no name rather than `lo`.
  if (d.type == NetType::empty && d.name.empty()) base.name.clear();
  std::vector<std::string_view> out;
  for (const Sub& s : kSubs) {
    if (sub_of(s) == "type" || !applies(s, d)) continue;
    std::string now, before;
    s.print(d, "", now);
    s.print(base, "", before);
    if (now != before) out.push_back(sub_of(s));
  }
  return out;
}

void set_type(SetContext& c, NetDev& d, std::string_view v) {
  NetType type = NetType::invalid;
  if (!v.empty()) {
    std::vector<std::string_view> names;
    for (const TypeName& t : kTypes) {
      names.push_back(t.name);
      if (t.name == v) type = t.type;
    }
    if (type == NetType::invalid) {
      ValueError e{"unknown network type " + quoted(v) +
                   " (expected veth, macvlan, ipvlan, vlan, phys, empty or none)"};
      if (auto m = closest_match(to_lower(v), names, 2)) e.notes.push_back("did you mean '" + std::string(*m) + "'?");
      throw e;
    }
  }
  std::vector<std::string_view> lost = changed_subkeys(d);
  if (!lost.empty()) {
    std::vector<std::string> names(lost.begin(), lost.end());
    c.warn("'type' resets every other setting of interface " + std::to_string(d.index) + ": " + join(names, ", ") +
               " from earlier lines " + (lost.size() == 1 ? "is" : "are") + " lost; put the type line first",
           0, 0);
  }
  if (type == NetType::invalid) {
    c.warn("an empty type leaves interface " + std::to_string(d.index) +
               " without a type; LXC accepts it but fails to start the container",
           0, 0);
  }
  d = fresh_netdev(d.index, type);
  d.type_origin = c.origin;
}

// ---- dispatch from the KeySpecs -----------------------------------------------------------
[[noreturn]] void wrong_type(const Sub& s, const NetDev& d) {
  std::string sub(sub_of(s));
  std::string want(type_name(*s.only));
  std::string has = d.type == NetType::invalid ? "no type (reset by an empty 'type')"
                                               : "type " + quoted(type_name(d.type));
  throw ValueError{quoted(sub) + " applies only to " + want + " interfaces, but interface " +
                       std::to_string(d.index) + " has " + has,
                   0, 0,
                   {d.type == NetType::empty || d.type == NetType::invalid
                        ? "write '" + net_key(d.index, "type") + " = " + want + "' before this line"
                        : "remove the line, or change the interface's type (a 'type' line must come first)"}};
}

void set_sub(const Sub& s, SetContext& c, const KeyRef& k, std::string_view v) {
  auto& net = c.cfg.net;
  auto it = net.find(k.net_index);
  if (v.empty()) {
    // LXC clears through the existing interface, and fails when there is none.
    if (it == net.end()) {
      throw ValueError{"interface " + std::to_string(k.net_index) +
                           " is not defined, so there is nothing to clear (LXC rejects this line)",
                       0, 0,
                       {"remove the line, or define the interface first, for example with '" +
                        net_key(k.net_index, "type") + " = veth'"}};
    }
    // Clearing a subkey that does not apply to the type is a no-op.
    if (!applies(s, it->second)) return;
  } else if (it == net.end()) {
    // The first key that names an index creates the interface, with type
    // `empty` and no name, even when the value then turns out to be wrong.
    NetDev d;
    d.index = k.net_index;
    d.type_origin = c.origin;
    it = net.emplace(k.net_index, std::move(d)).first;
  }
  NetDev& dev = it->second;
  if (!applies(s, dev)) wrong_type(s, dev);
  s.set(c, dev, v);
  dev.origins[std::string(sub_of(s))] = c.origin;
}

template <size_t I>
void set_sub_key(SetContext& c, const KeyRef& k, std::string_view v) {
  set_sub(kSubs[I], c, k, v);
}

template <size_t I>
std::optional<std::string> get_sub_key(const Config& cfg, const KeyRef& k) {
  auto it = cfg.net.find(k.net_index);
  if (it == cfg.net.end() || !applies(kSubs[I], it->second)) return std::nullopt;
  return kSubs[I].get(it->second);
}

/// Subkeys are printed by `lxc.net`, interface by interface.
void show_with_lxc_net(const Config&, const KeySpec&, std::string&) {}

// ---- lxc.net and lxc.net.N ------------------------------------------------------------------
void set_net(SetContext& c, const KeyRef&, std::string_view v) {
  if (!v.empty()) {
    throw ValueError{"'lxc.net' takes no value: an empty value deletes every network interface", 0, 0,
                     {"configure an interface with lxc.net.N.<subkey>, for example 'lxc.net.0.type = veth'"}};
  }
  c.cfg.net.clear();
}
std::optional<std::string> get_net(const Config& cfg, const KeyRef&) {
  std::string out;
  for (const auto& [index, d] : cfg.net) {
    out += type_name(d.type);
    out += '\n';
  }
  return out;
}
void show_net(const Config& cfg, const KeySpec&, std::string& out) {
  for (const auto& [index, d] : cfg.net) {
    std::string prefix = "lxc.net." + std::to_string(index) + ".";
    for (const Sub& s : kSubs)
      if (applies(s, d)) s.print(d, prefix + std::string(sub_of(s)), out);
  }
}

void set_net_device(SetContext& c, const KeyRef& k, std::string_view v) {
  if (!v.empty()) {
    std::string key = "lxc.net." + std::to_string(k.net_index);
    ValueError e{quoted(key) + " takes no value: an empty value deletes interface " + std::to_string(k.net_index)};
    for (const TypeName& t : kTypes)
      if (t.name == v)
        e.notes.push_back("to set the type, write '" + net_key(k.net_index, "type") + " = " + std::string(v) + "'");
    throw e;
  }
  c.cfg.net.erase(k.net_index);
}

template <size_t... I>
void add_subkeys(std::vector<KeySpec>& out, std::index_sequence<I...>) {
  (out.push_back(KeySpec{kSubs[I].name, KeyShape::net, kSubs[I].kind, kSection, kSubs[I].summary, kSubs[I].example,
                         set_sub_key<I>, get_sub_key<I>, show_with_lxc_net}),
   ...);
}

}  // namespace

void add_net_keys(std::vector<KeySpec>& out) {
  out.push_back(KeySpec{"lxc.net", KeyShape::exact, KeyKind::special, kSection,
                        "only empty: deletes every network interface", "", set_net, get_net, show_net});
  out.push_back(KeySpec{"lxc.net.[i]", KeyShape::net, KeyKind::special, kSection,
                        "only empty: deletes interface i", "", set_net_device, nullptr, show_with_lxc_net});
  add_subkeys(out, std::make_index_sequence<std::size(kSubs)>{});
}

}  // namespace corral::config
