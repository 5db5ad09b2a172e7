// Where a container lives (spec/runtime.md §3): its directory under the
// lxcpath, the disk lock, and the name of its monitor's command socket.
#pragma once

#include <string>
#include <vector>

#include "util/error.hpp"
#include "util/fd.hpp"

namespace corral::runtime {

struct ContainerPaths {
  std::string lxcpath;  // without trailing '/'
  std::string name;

  std::string dir() const { return lxcpath + "/" + name; }
  std::string config() const { return dir() + "/config"; }
  /// The abstract socket name without its leading NUL: "<lxcpath>/<name>/command",
  /// or "lxc/<fnv1a-64 hex>/command" when that does not fit (LXC's rule).
  std::string command_socket() const;
  /// <rundir>/lxc/lock/<lxcpath>/.<name>
  std::string lock_file() const;
};

/// lxcpath with trailing slashes removed ("/" stays).
std::string normalize_lxcpath(std::string path);

/// An exclusive fcntl lock on the container's lock file, held while the
/// object lives. Fails with EAGAIN-like errors when someone holds it and
/// `wait` is false.
Result<UniqueFd> lock_container(const ContainerPaths& paths, bool wait);

/// Names of the containers defined under lxcpath (a directory holding a
/// `config`), sorted bytewise; hidden entries skipped.
std::vector<std::string> defined_containers(const std::string& lxcpath);

/// Names of running containers of lxcpath, from the command sockets listed
/// in /proc/net/unix (hashed names are asked for theirs).
std::vector<std::string> active_containers(const std::string& lxcpath);

}  // namespace corral::runtime
