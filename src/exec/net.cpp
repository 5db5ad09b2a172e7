#include "exec/net.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/ipvlan.h>
#include <netlink/route/link/macvlan.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/link/vlan.h>
#include <netlink/route/route.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <string_view>

#include "config/values.hpp"
#include "util/strings.hpp"

namespace corral::exec {

namespace {

// ---- libnl objects, owned ---------------------------------------------------------

/// A unique_ptr deleter that calls libnl's release function `Free`.
template <auto Free>
struct NlRelease {
  template <typename T>
  void operator()(T* p) const { Free(p); }
};
using Sock = std::unique_ptr<nl_sock, NlRelease<nl_socket_free>>;
using Link = std::unique_ptr<rtnl_link, NlRelease<rtnl_link_put>>;
using Addr = std::unique_ptr<nl_addr, NlRelease<nl_addr_put>>;
using RtAddr = std::unique_ptr<rtnl_addr, NlRelease<rtnl_addr_put>>;
using Route = std::unique_ptr<rtnl_route, NlRelease<rtnl_route_put>>;
using Cache = std::unique_ptr<nl_cache, NlRelease<nl_cache_free>>;

/// libnl's NLE_* code as an errno, for Error::system's text.
int errno_of(int nle) {
  switch (nle < 0 ? -nle : nle) {
    case NLE_EXIST: return EEXIST;
    case NLE_OBJ_NOTFOUND:
    case NLE_NODEV: return ENODEV;
    case NLE_PERM: return EPERM;
    case NLE_INVAL: return EINVAL;
    case NLE_BUSY: return EBUSY;
    case NLE_NOMEM: return ENOMEM;
    case NLE_RANGE: return ERANGE;
    case NLE_AF_NOSUPPORT: return EAFNOSUPPORT;
    case NLE_OPNOTSUPP: return EOPNOTSUPP;
    case NLE_NOADDR: return EADDRNOTAVAIL;
    case NLE_NOACCESS: return EACCES;
    default: return 0;
  }
}

/// An error from a libnl call: errno's text where libnl's code has one.
Error nl_error(std::string what, std::string name, int nle) {
  if (int e = errno_of(nle)) return Error::system(std::move(what), std::move(name), e);
  return Error(Error::Kind::system, what + (name.empty() ? "" : " `" + name + "`") + ": " + nl_geterror(nle));
}

Result<Sock> route_socket() {
  Sock s(nl_socket_alloc());
  if (!s) return Error::system("allocate a netlink socket", "", ENOMEM);
  if (int rc = nl_connect(s.get(), NETLINK_ROUTE); rc < 0) return nl_error("connect a netlink socket", "", rc);
  return s;
}

/// A netlink socket of the namespace `netns`: a socket belongs to the
/// namespace it was made in, wherever its owner goes afterwards.
Result<Sock> route_socket_in(int netns, int own_netns) {
  if (::setns(netns, CLONE_NEWNET) != 0) return Error::system("enter the container's network namespace", "", errno);
  Result<Sock> s = route_socket();
  if (::setns(own_netns, CLONE_NEWNET) != 0)
    return Error::system("return to the monitor's network namespace", "", errno);
  return s;
}

Result<Addr> parse_addr(const std::string& text, int family) {
  nl_addr* a = nullptr;
  if (int rc = nl_addr_parse(text.c_str(), family, &a); rc < 0) return nl_error("parse the address", text, rc);
  return Addr(a);
}

/// The link named `name`, or ENODEV.
Result<Link> find_link(nl_sock* sk, const std::string& name) {
  rtnl_link* l = nullptr;
  if (int rc = rtnl_link_get_kernel(sk, 0, name.c_str(), &l); rc < 0) return nl_error("find the interface", name, rc);
  return Link(l);
}

Result<Link> find_link(nl_sock* sk, int ifindex) {
  rtnl_link* l = nullptr;
  if (int rc = rtnl_link_get_kernel(sk, ifindex, nullptr, &l); rc < 0)
    return nl_error("find the interface with index " + std::to_string(ifindex), "", rc);
  return Link(l);
}

/// "lxc.net.0.link 'br0' (at FILE:LINE:COL)".
std::string key_text(const NetDevice& d, std::string_view sub, const std::string& value) {
  std::string where = d.where;
  for (const auto& [k, w] : d.where_keys)
    if (k == sub) where = w;
  return "lxc.net." + std::to_string(d.index) + "." + std::string(sub) + " '" + value + "'" +
         (where.empty() ? "" : " (at " + where + ")");
}

/// A route to `dst` ("default" or ADDR/PREFIX) through `ifindex`, via
/// `gateway` unless it is empty.
Result<void> add_route(nl_sock* sk, int family, const std::string& dst, int ifindex, const std::string& gateway,
                       bool scope_link) {
  Route route(rtnl_route_alloc());
  if (!route) return Error::system("allocate a route", "", ENOMEM);
  rtnl_route_set_family(route.get(), static_cast<uint8_t>(family));
  CORRAL_TRY_ASSIGN(Addr to, parse_addr(dst, family));
  if (int rc = rtnl_route_set_dst(route.get(), to.get()); rc < 0) return nl_error("set the route's destination", dst, rc);
  if (scope_link) rtnl_route_set_scope(route.get(), RT_SCOPE_LINK);
  rtnl_nexthop* nh = rtnl_route_nh_alloc();
  if (!nh) return Error::system("allocate a next hop", "", ENOMEM);
  rtnl_route_nh_set_ifindex(nh, ifindex);
  if (!gateway.empty()) {
    Result<Addr> via = parse_addr(gateway, family);
    if (!via) {
      rtnl_route_nh_free(nh);
      return std::move(via.error());
    }
    rtnl_route_nh_set_gateway(nh, via.value().get());
  }
  rtnl_route_add_nexthop(route.get(), nh);  // the route owns it now
  if (int rc = rtnl_route_add(sk, route.get(), NLM_F_CREATE | NLM_F_EXCL); rc < 0)
    return nl_error("add the route to " + dst + (gateway.empty() ? "" : " via " + gateway), "", rc);
  return {};
}

/// Adds (or deletes) VLAN `vid` on the bridge port `port`, as `bridge vlan
/// add|del dev PORT vid VID [pvid untagged]` does: an AF_BRIDGE link
/// request with IFLA_BRIDGE_VLAN_INFO (libnl has no call for it).
Result<void> bridge_port_vlan(nl_sock* sk, int port, uint16_t vid, bool untagged, bool del) {
  std::unique_ptr<nl_msg, void (*)(nl_msg*)> msg(nlmsg_alloc_simple(del ? RTM_DELLINK : RTM_SETLINK, NLM_F_REQUEST),
                                                 nlmsg_free);
  if (!msg) return Error::system("allocate a netlink message", "", ENOMEM);
  ifinfomsg ifi{};
  ifi.ifi_family = AF_BRIDGE;
  ifi.ifi_index = port;
  bridge_vlan_info info{};
  info.vid = vid;
  if (untagged) info.flags = BRIDGE_VLAN_INFO_PVID | BRIDGE_VLAN_INFO_UNTAGGED;
  nlattr* spec = nullptr;
  if (nlmsg_append(msg.get(), &ifi, sizeof ifi, NLMSG_ALIGNTO) < 0 || !(spec = nla_nest_start(msg.get(), IFLA_AF_SPEC)) ||
      nla_put(msg.get(), IFLA_BRIDGE_VLAN_INFO, sizeof info, &info) < 0)
    return Error::system("build the bridge VLAN request", "", ENOMEM);
  nla_nest_end(msg.get(), spec);
  int rc = nl_send_sync(sk, msg.release());  // frees the message and waits for the answer
  if (rc < 0) return nl_error(std::string(del ? "remove" : "add") + " VLAN " + std::to_string(vid) + " on the bridge port", "", rc);
  return {};
}

/// LXC's bridge VLAN setup of a veth host end (spec/config-keys.md,
/// veth.vlan.id): the bridge must filter VLANs; veth.vlan.id replaces the
/// bridge's default untagged VLAN (none at all for `none`), and each
/// veth.vlan.tagged.id is added tagged.
Result<void> setup_port_vlans(nl_sock* sk, const NetDevice& d, int port) {
  if (!d.vlan_untagged && d.vlan_tagged.empty()) return {};
  std::string key = d.vlan_untagged
                        ? key_text(d, "veth.vlan.id", *d.vlan_untagged < 0 ? "none" : std::to_string(*d.vlan_untagged))
                        : key_text(d, "veth.vlan.tagged.id", std::to_string(d.vlan_tagged.front()));
  std::string dir = "/sys/class/net/" + d.link + "/bridge/";
  std::string filtering, default_pvid;
  {
    std::ifstream in(dir + "vlan_filtering");
    if (!(in >> filtering))
      return Error::config(key + ": this kernel has no bridge VLAN filtering (" + dir +
                           "vlan_filtering is missing: CONFIG_BRIDGE_VLAN_FILTERING)");
  }
  if (filtering != "1")
    return Error::config(key + ": VLAN filtering is not enabled on the bridge " + d.link + " (ip link set " + d.link +
                         " type bridge vlan_filtering 1)");
  unsigned long pvid = 0;
  if (std::ifstream in(dir + "default_pvid"); in >> pvid) default_pvid = std::to_string(pvid);
  if (d.vlan_untagged && std::to_string(*d.vlan_untagged) != default_pvid) {
    if (pvid != 0) CORRAL_TRY(bridge_port_vlan(sk, port, static_cast<uint16_t>(pvid), false, true));
    if (*d.vlan_untagged >= 0) CORRAL_TRY(bridge_port_vlan(sk, port, static_cast<uint16_t>(*d.vlan_untagged), true, false));
  }
  for (uint16_t vid : d.vlan_tagged) CORRAL_TRY(bridge_port_vlan(sk, port, vid, false, false));
  return {};
}

/// The first address of `family` on the host's interface `ifindex` (the
/// gateway `auto`).
Result<std::string> first_address(nl_sock* sk, int ifindex, int family) {
  nl_cache* raw = nullptr;
  if (int rc = rtnl_addr_alloc_cache(sk, &raw); rc < 0) return nl_error("list the host's addresses", "", rc);
  Cache cache(raw);
  for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o)) {
    auto* a = reinterpret_cast<rtnl_addr*>(o);
    if (rtnl_addr_get_ifindex(a) != ifindex || rtnl_addr_get_family(a) != family) continue;
    if (family == AF_INET6 && rtnl_addr_get_scope(a) != RT_SCOPE_UNIVERSE) continue;
    char buf[INET6_ADDRSTRLEN] = {};
    nl_addr* local = rtnl_addr_get_local(a);
    if (!local || !inet_ntop(family, nl_addr_get_binary_addr(local), buf, sizeof buf)) continue;
    return std::string(buf);
  }
  return Error::system("find an address on the link for the gateway 'auto'", "", EADDRNOTAVAIL);
}

Result<void> add_address(nl_sock* sk, int ifindex, int family, const std::string& address, uint32_t prefix,
                         const std::string& broadcast) {
  RtAddr a(rtnl_addr_alloc());
  if (!a) return Error::system("allocate an address", "", ENOMEM);
  rtnl_addr_set_ifindex(a.get(), ifindex);
  rtnl_addr_set_family(a.get(), family);
  CORRAL_TRY_ASSIGN(Addr local, parse_addr(address, family));
  if (int rc = rtnl_addr_set_local(a.get(), local.get()); rc < 0) return nl_error("set the address", address, rc);
  rtnl_addr_set_prefixlen(a.get(), static_cast<int>(prefix));
  if (!broadcast.empty()) {
    CORRAL_TRY_ASSIGN(Addr bcast, parse_addr(broadcast, family));
    rtnl_addr_set_broadcast(a.get(), bcast.get());
  }
  if (int rc = rtnl_addr_add(sk, a.get(), 0); rc < 0)
    return nl_error("add the address " + address + "/" + std::to_string(prefix), "", rc);
  return {};
}

/// The broadcast address LXC 5.0 means to use: the address with every host
/// bit set (spec/config-keys.md, ipv4.address); none for /31 and /32.
std::string ipv4_broadcast(const config::Ipv4Address& a) {
  if (!a.broadcast.empty()) return a.broadcast;
  if (a.prefix >= 31) return {};
  in_addr in{};
  if (inet_pton(AF_INET, a.address.c_str(), &in) != 1) return {};
  uint32_t host_bits = a.prefix == 0 ? 0xffffffffu : (0xffffffffu >> a.prefix);
  in.s_addr = htonl(ntohl(in.s_addr) | host_bits);
  char buf[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &in, buf, sizeof buf);
  return buf;
}

}  // namespace

Result<void> Network::create(const CreateNetDevices& step, pid_t init_pid) {
  own_netns_.reset(::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!own_netns_) return Error::system("open the monitor's network namespace", "/proc/self/ns/net", errno);
  std::string path = "/proc/" + std::to_string(init_pid) + "/ns/net";
  container_netns_.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!container_netns_) return Error::system("open the container's network namespace", path, errno);
  CORRAL_TRY_ASSIGN(Sock host, route_socket());
  CORRAL_TRY_ASSIGN(Sock inner, route_socket_in(container_netns_.get(), own_netns_.get()));
  auto context = [](const NetDevice& d) { return "lxc.net." + std::to_string(d.index) + " (" + d.type_name + ")"; };
  // LXC's order: each device made (and its script.up run) in index order;
  // then, inside, those with a name of their own configured before those
  // the kernel names (eth%d), so that an explicit eth0 is not taken first.
  for (const NetDevice& d : step.devices) {
    Result<void> r = make_device(d, host.get(), inner.get());
    if (r) {
      r = run_script(d, made_.back(), "up");
      if (r) made_.back().script_up_ran = true;
    }
    if (!r) {
      r.error().wrap(context(d));
      return r;
    }
  }
  for (bool kernel_named : {false, true}) {
    for (const Made& m : made_) {
      if (!m.inner_ifindex || (m.dev->name.find('%') != std::string::npos) != kernel_named) continue;
      Result<void> r = configure_inside(*m.dev, host.get(), inner.get(), m.inner_ifindex);
      if (!r) {
        r.error().wrap(context(*m.dev));
        return r;
      }
    }
  }
  return {};
}

Result<void> Network::make_device(const NetDevice& d, nl_sock* host, nl_sock* inner) {
  // Made under a transient name in the container, then renamed there: the
  // final name (eth%d, say) may only be known inside.
  const std::string transient = "crl" + random_alnum(8);
  Made made;
  made.dev = &d;
  switch (d.type) {
    case config::NetType::empty: break;  // nothing to make: only its scripts run
    case config::NetType::veth: {
      int bridge = 0;
      uint32_t mtu = d.mtu;
      if (!d.link.empty()) {
        Result<Link> br = find_link(host, d.link);
        if (!br) return Error::config(key_text(d, "link", d.link) + ": no such network interface on the host");
        const char* kind = rtnl_link_get_type(br.value().get());
        if (!kind || std::string_view(kind) != "bridge")
          return Error::config(key_text(d, "link", d.link) + ": not a bridge (it is " +
                               (kind ? "a " + std::string(kind) + " interface" : std::string("a plain interface")) +
                               "): corral attaches veth host ends to Linux bridges only");
        bridge = rtnl_link_get_ifindex(br.value().get());
        if (mtu == 0) mtu = rtnl_link_get_mtu(br.value().get());
      }
      std::string host_end = d.veth_pair.empty() ? "veth" + random_alnum(6) : d.veth_pair;
      // A random name taken already is drawn again, as LXC does.
      for (int tries = 0; d.veth_pair.empty() && tries < 10; ++tries) {
        if (!find_link(host, host_end)) break;
        host_end = "veth" + random_alnum(6);
      }
      Link veth(rtnl_link_veth_alloc());
      if (!veth) return Error::system("allocate a veth pair", "", ENOMEM);
      rtnl_link_set_name(veth.get(), host_end.c_str());
      // LXC's MAC for a host end, fe:xx:xx:xx:xx:xx: a bridge takes the
      // lowest MAC of its ports, and so never a container's.
      CORRAL_TRY_ASSIGN(Addr host_mac, parse_addr(config::expand_hwaddr("fe:xx:xx:xx:xx:xx"), AF_LLC));
      rtnl_link_set_addr(veth.get(), host_mac.get());
      if (mtu) rtnl_link_set_mtu(veth.get(), mtu);
      if (d.rx_queues) rtnl_link_set_num_rx_queues(veth.get(), d.rx_queues);
      if (d.tx_queues) rtnl_link_set_num_tx_queues(veth.get(), d.tx_queues);
      rtnl_link* peer = rtnl_link_veth_get_peer(veth.get());
      rtnl_link_set_name(peer, transient.c_str());
      if (mtu) rtnl_link_set_mtu(peer, mtu);
      if (d.rx_queues) rtnl_link_set_num_rx_queues(peer, d.rx_queues);
      if (d.tx_queues) rtnl_link_set_num_tx_queues(peer, d.tx_queues);
      rtnl_link_set_ns_fd(peer, container_netns_.get());
      rtnl_link_put(peer);
      if (int rc = rtnl_link_add(host, veth.get(), NLM_F_CREATE | NLM_F_EXCL); rc < 0) {
        if (errno_of(rc) == EEXIST)
          return Error::config((d.veth_pair.empty() ? "the host end `" + host_end + "`"
                                                    : key_text(d, "veth.pair", d.veth_pair)) +
                               ": an interface of that name exists on the host");
        return nl_error("create the veth pair", host_end, rc);
      }
      made.host_end = host_end;
      made_.push_back(made);  // from here on teardown deletes it
      CORRAL_TRY_ASSIGN(Link created, find_link(host, host_end));
      Link change(rtnl_link_alloc());
      if (bridge) rtnl_link_set_master(change.get(), bridge);
      rtnl_link_set_flags(change.get(), IFF_UP);
      if (int rc = rtnl_link_change(host, created.get(), change.get(), 0); rc < 0)
        return nl_error(bridge ? "attach the host end to the bridge " + d.link + " and set it up" : "set the host end up",
                        host_end, rc);
      int host_index = rtnl_link_get_ifindex(created.get());
      if (bridge) CORRAL_TRY(setup_port_vlans(host, d, host_index));
      for (const std::string& r : d.veth_ipv4_routes) CORRAL_TRY(add_route(host, AF_INET, r, host_index, "", true));
      for (const std::string& r : d.veth_ipv6_routes) CORRAL_TRY(add_route(host, AF_INET6, r, host_index, "", true));
      break;
    }
    case config::NetType::macvlan:
    case config::NetType::ipvlan:
    case config::NetType::vlan: {
      Result<Link> parent = find_link(host, d.link);
      if (!parent) return Error::config(key_text(d, "link", d.link) + ": no such network interface on the host");
      Link l(d.type == config::NetType::macvlan  ? rtnl_link_macvlan_alloc()
             : d.type == config::NetType::ipvlan ? rtnl_link_ipvlan_alloc()
                                                 : rtnl_link_vlan_alloc());
      if (!l) return Error::system("allocate a " + d.type_name + " interface", "", ENOMEM);
      rtnl_link_set_link(l.get(), rtnl_link_get_ifindex(parent.value().get()));
      rtnl_link_set_name(l.get(), transient.c_str());
      if (d.mtu) rtnl_link_set_mtu(l.get(), d.mtu);
      int rc = 0;
      if (d.type == config::NetType::macvlan) {
        rc = rtnl_link_macvlan_set_mode(l.get(), static_cast<uint32_t>(rtnl_link_macvlan_str2mode(d.macvlan_mode.c_str())));
      } else if (d.type == config::NetType::ipvlan) {
        rc = rtnl_link_ipvlan_set_mode(l.get(), static_cast<uint16_t>(rtnl_link_ipvlan_str2mode(d.ipvlan_mode.c_str())));
      } else {
        rc = rtnl_link_vlan_set_id(l.get(), d.vlan_id);
      }
      if (rc < 0) return nl_error("set up the " + d.type_name + " interface's mode", "", rc);
      // Straight into the container: the parent is looked up in the
      // namespace of the socket, the new device registered in the other.
      rtnl_link_set_ns_fd(l.get(), container_netns_.get());
      if (rc = rtnl_link_add(host, l.get(), NLM_F_CREATE | NLM_F_EXCL); rc < 0) {
        // The kernel answers so when it has no driver for the kind, even
        // after trying to load its module.
        if (errno_of(rc) == EOPNOTSUPP)
          return Error::config("lxc.net." + std::to_string(d.index) + ".type '" + d.type_name + "' (at " + d.where +
                               "): this kernel cannot make " + d.type_name + " interfaces (no " +
                               (d.type == config::NetType::macvlan  ? "CONFIG_MACVLAN"
                                : d.type == config::NetType::ipvlan ? "CONFIG_IPVLAN"
                                                                    : "CONFIG_VLAN_8021Q") +
                               ", or its module cannot be loaded)");
        return nl_error("create the " + d.type_name + " interface on " + d.link, "", rc);
      }
      made_.push_back(made);
      break;
    }
    case config::NetType::phys: {
      Result<Link> dev = find_link(host, d.link);
      if (!dev) return Error::config(key_text(d, "link", d.link) + ": no such network interface on the host");
      made.phys_mtu = rtnl_link_get_mtu(dev.value().get());
      Link change(rtnl_link_alloc());
      rtnl_link_set_name(change.get(), transient.c_str());
      rtnl_link_set_ns_fd(change.get(), container_netns_.get());
      if (int rc = rtnl_link_change(host, dev.value().get(), change.get(), 0); rc < 0)
        return nl_error("move the interface into the container", d.link, rc);
      made_.push_back(made);  // from here on teardown gives it back
      break;
    }
    default: return Error(Error::Kind::internal, "no way to make a network device of type " + d.type_name);
  }

  if (d.type == config::NetType::empty) {
    made_.push_back(made);
    return {};
  }
  CORRAL_TRY_ASSIGN(Link inside, find_link(inner, transient));
  made_.back().inner_ifindex = rtnl_link_get_ifindex(inside.get());
  return {};
}

Result<void> Network::configure_inside(const NetDevice& d, nl_sock* host, nl_sock* inner, int ifindex) {
  // The name, MAC and MTU, while the device is down; then the addresses;
  // then up; then the routes, which need it up (LXC's order).
  CORRAL_TRY_ASSIGN(Link current, find_link(inner, ifindex));
  Link change(rtnl_link_alloc());
  rtnl_link_set_name(change.get(), d.name.c_str());
  if (!d.hwaddr.empty()) {
    CORRAL_TRY_ASSIGN(Addr mac, parse_addr(d.hwaddr, AF_LLC));
    rtnl_link_set_addr(change.get(), mac.get());
  }
  if (d.mtu) rtnl_link_set_mtu(change.get(), d.mtu);
  if (int rc = rtnl_link_change(inner, current.get(), change.get(), 0); rc < 0) {
    if (errno_of(rc) == EEXIST)
      return Error::config(key_text(d, "name", d.name) + ": the container has an interface of that name already");
    return nl_error("rename and configure the interface in the container as", d.name, rc);
  }
  for (const config::Ipv4Address& a : d.ipv4)
    CORRAL_TRY(add_address(inner, ifindex, AF_INET, a.address, a.prefix, ipv4_broadcast(a)));
  for (const config::Ipv6Address& a : d.ipv6) CORRAL_TRY(add_address(inner, ifindex, AF_INET6, a.address, a.prefix, ""));
  if (!d.up) return {};
  CORRAL_TRY_ASSIGN(Link renamed, find_link(inner, ifindex));
  Link up(rtnl_link_alloc());
  rtnl_link_set_flags(up.get(), IFF_UP);
  if (int rc = rtnl_link_change(inner, renamed.get(), up.get(), 0); rc < 0)
    return nl_error("set the interface up in the container", d.name, rc);

  for (int family : {AF_INET, AF_INET6}) {
    const config::Gateway& g = family == AF_INET ? d.ipv4_gateway : d.ipv6_gateway;
    if (!g.is_auto && !g.is_dev && g.address.empty()) continue;
    if (g.is_dev) {
      CORRAL_TRY(add_route(inner, family, "default", ifindex, "", true));
      continue;
    }
    std::string via = g.address;
    if (g.is_auto) {
      CORRAL_TRY_ASSIGN(Link link, find_link(host, d.link));
      Result<std::string> first = first_address(host, rtnl_link_get_ifindex(link.get()), family);
      if (!first) {
        first.error().wrap(key_text(d, family == AF_INET ? "ipv4.gateway" : "ipv6.gateway", "auto") + " on " + d.link);
        return std::move(first.error());
      }
      via = first.value();
    }
    Result<void> r = add_route(inner, family, "default", ifindex, via, false);
    if (!r) {
      // A gateway outside the interface's subnets is reached through a
      // route to it alone first, as LXC does.
      std::string host_route = via + (family == AF_INET ? "/32" : "/128");
      if (add_route(inner, family, host_route, ifindex, "", true)) r = add_route(inner, family, "default", ifindex, via, false);
    }
    if (!r) {
      r.error().wrap(key_text(d, family == AF_INET ? "ipv4.gateway" : "ipv6.gateway", g.is_auto ? "auto" : via));
      return r;
    }
  }
  return {};
}

Result<void> Network::run_script(const NetDevice& d, const Made& m, const char* phase) {
  const std::string& script = std::string_view(phase) == "up" ? d.script_up : d.script_down;
  if (script.empty()) return {};
  // LXC's arguments: TYPE, then the link, then (veth) the host end, joined
  // with single blanks, so an empty link vanishes in the shell's split.
  std::string args = d.type_name;
  if (d.type != config::NetType::empty) args += " " + d.link;
  if (d.type == config::NetType::veth) args += " " + m.host_end;
  HookCommand cmd;
  cmd.value = script;
  cmd.shell = "exec " + script;
  if (!hook_version1_) cmd.shell += " " + name_ + " net " + phase + " " + args;
  cmd.where = std::string_view(phase) == "up" ? d.where_script_up : d.where_script_down;
  EnvList env = hook_env_;
  if (hook_version1_) {
    env.emplace_back("LXC_HOOK_TYPE", phase);
    env.emplace_back("LXC_HOOK_SECTION", "net");
    env.emplace_back("LXC_NET_TYPE", d.type_name);
    if (!d.link.empty()) env.emplace_back("LXC_NET_PARENT", d.link);
    if (!m.host_end.empty()) env.emplace_back("LXC_NET_PEER", m.host_end);
  }
  return run_hook_command("lxc.net." + std::to_string(d.index) + ".script." + phase, cmd, env);
}

Result<void> Network::teardown() {
  Result<void> first;
  auto keep = [&](Result<void> r) {
    if (!r && first.ok()) first = std::move(r);
  };
  if (made_.empty()) return first;
  Result<Sock> host = route_socket();
  Result<Sock> inner = container_netns_ ? route_socket_in(container_netns_.get(), own_netns_.get())
                                        : Result<Sock>(Error::system("the container's network namespace", "", ENOENT));
  for (auto it = made_.rbegin(); it != made_.rend(); ++it) {
    const NetDevice& d = *it->dev;
    if (it->script_up_ran) keep(run_script(d, *it, "down"));
    if (d.type == config::NetType::phys && inner && it->inner_ifindex) {
      // Back where it came from, under its own name.
      Result<Link> dev = find_link(inner.value().get(), it->inner_ifindex);
      if (!dev) {
        keep(std::move(dev.error()));
        continue;
      }
      Link change(rtnl_link_alloc());
      rtnl_link_set_name(change.get(), d.link.c_str());
      if (it->phys_mtu) rtnl_link_set_mtu(change.get(), it->phys_mtu);  // as it was, as LXC does
      rtnl_link_set_ns_fd(change.get(), own_netns_.get());
      if (int rc = rtnl_link_change(inner.value().get(), dev.value().get(), change.get(), 0); rc < 0)
        keep(nl_error("give the interface back to the host as", d.link, rc));
    } else if (d.type != config::NetType::veth && inner && it->inner_ifindex) {
      // A macvlan, ipvlan or vlan device: deleted now, not left to the end
      // of the container's namespace, which the kernel dismantles later on
      // its own time. Until then the host's device stays taken (a second
      // passthru macvlan on it is refused with EINVAL).
      Result<Link> dev = find_link(inner.value().get(), it->inner_ifindex);
      if (dev) {
        std::string name = rtnl_link_get_name(dev.value().get());
        if (int rc = rtnl_link_delete(inner.value().get(), dev.value().get()); rc < 0 && errno_of(rc) != ENODEV)
          keep(nl_error("delete the container's interface", name, rc));
      }
    } else if (!it->host_end.empty() && host) {
      // Deleting one end deletes the pair; gone already if the container's
      // namespace went first.
      Result<Link> end = find_link(host.value().get(), it->host_end);
      if (end) {
        if (int rc = rtnl_link_delete(host.value().get(), end.value().get()); rc < 0 && errno_of(rc) != ENODEV)
          keep(nl_error("delete the veth host end", it->host_end, rc));
      }
    }
  }
  made_.clear();
  container_netns_.reset();
  if (!host) keep(std::move(host.error()));
  return first;
}

Result<ContainerNetwork> inspect_container_network(pid_t init_pid) {
  UniqueFd own(::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!own) return Error::system("open this process's network namespace", "/proc/self/ns/net", errno);
  std::string path = "/proc/" + std::to_string(init_pid) + "/ns/net";
  UniqueFd theirs(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!theirs) return Error::system("open the container's network namespace", path, errno);
  if (::setns(theirs.get(), CLONE_NEWNET) != 0) return Error::system("enter the container's network namespace", path, errno);
  ifaddrs* list = nullptr;
  int rc = ::getifaddrs(&list);
  int err = errno;
  if (::setns(own.get(), CLONE_NEWNET) != 0) {
    if (list) ::freeifaddrs(list);
    return Error::system("return to this process's network namespace", "", errno);
  }
  if (rc != 0) return Error::system("list the container's addresses", "", err);
  ContainerNetwork out;
  for (ifaddrs* a = list; a; a = a->ifa_next) {
    std::string name = a->ifa_name;
    if (std::find(out.interfaces.begin(), out.interfaces.end(), name) == out.interfaces.end())
      out.interfaces.push_back(name);
    if (!a->ifa_addr || name == "lo") continue;
    char buf[INET6_ADDRSTRLEN] = {};
    if (a->ifa_addr->sa_family == AF_INET) {
      inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(a->ifa_addr)->sin_addr, buf, sizeof buf);
      out.ipv4.emplace_back(buf);
    } else if (a->ifa_addr->sa_family == AF_INET6) {
      auto* in6 = reinterpret_cast<sockaddr_in6*>(a->ifa_addr);
      if (in6->sin6_scope_id != 0) continue;  // link-local
      inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf);
      out.ipv6.emplace_back(buf);
    }
  }
  ::freeifaddrs(list);
  std::sort(out.interfaces.begin(), out.interfaces.end());
  return out;
}

}  // namespace corral::exec
