// The container's network devices (spec/runtime.md §6.3, §5.4 step 6, §8.2),
// made with libnl by the monitor: each device is created in (or moved into)
// the container's network namespace under a transient name, then renamed
// and configured there through a netlink socket opened in that namespace,
// so the child finds its network ready. Undone at stop: physical devices go
// back under their own names, host ends of veth pairs are deleted.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "exec/hooks.hpp"
#include "exec/plan.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

struct nl_sock;  // libnl's, kept out of this header

namespace corral::exec {

class Network {
 public:
  /// For the container `name` whose init is `init_pid`; hooks get `hook_env`.
  Network(std::string name, EnvList hook_env, bool hook_version1)
      : name_(std::move(name)), hook_env_(std::move(hook_env)), hook_version1_(hook_version1) {}
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;

  /// Makes and configures every device of `step`, running each script.up
  /// after its device. What was made is remembered as it goes, so that
  /// teardown() also undoes a create() that failed half way.
  Result<void> create(const CreateNetDevices& step, pid_t init_pid);

  /// The host end of the veth pair of lxc.net.`index`, or "" (what LXC
  /// answers for a running container's lxc.net.N.veth.pair).
  std::string host_end(uint32_t index) const {
    for (const Made& m : made_)
      if (m.dev->index == index) return m.host_end;
    return {};
  }

  /// Runs each script.down, gives physical devices back to the monitor's
  /// namespace under their names and deletes what corral created on the
  /// host. Goes on after a failure; returns the first.
  Result<void> teardown();

 private:
  struct Made {
    const NetDevice* dev = nullptr;
    std::string host_end;   // veth: the host end's name
    int inner_ifindex = 0;  // the device's index in the container
    uint32_t phys_mtu = 0;  // phys: its MTU on the host, restored when it goes back
    bool script_up_ran = false;
  };

  /// Makes `d` (in the container under a transient name) and records it.
  Result<void> make_device(const NetDevice& d, nl_sock* host, nl_sock* inner);
  Result<void> configure_inside(const NetDevice& d, nl_sock* host, nl_sock* inner, int ifindex);
  Result<void> run_script(const NetDevice& d, const Made& m, const char* phase);

  std::string name_;
  EnvList hook_env_;
  bool hook_version1_ = false;
  UniqueFd own_netns_;        // the monitor's, where physical devices return
  UniqueFd container_netns_;  // held until teardown, so it outlives init
  std::vector<Made> made_;
};

/// What lxc-info -i and lxc-ls --fancy show of a running container's
/// network, as LXC's get_ips and get_interfaces see it.
struct ContainerNetwork {
  std::vector<std::string> interfaces;  // every interface, lo included, sorted
  std::vector<std::string> ipv4, ipv6;  // of every interface but lo, in getifaddrs() order; no link-local IPv6
};

/// Looked up in init's network namespace, which the caller enters and
/// leaves.
Result<ContainerNetwork> inspect_container_network(pid_t init_pid);

}  // namespace corral::exec
