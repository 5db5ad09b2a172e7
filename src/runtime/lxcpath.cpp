#include "runtime/lxcpath.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <fstream>

#include "exec/mounts.hpp"
#include "runtime/commands.hpp"

namespace corral::runtime {

namespace {

uint64_t fnv1a_64(const std::string& s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::string run_dir() {
  if (::geteuid() == 0) return "/run";
  const char* xdg = ::getenv("XDG_RUNTIME_DIR");
  return xdg && *xdg ? xdg : "/run";
}

}  // namespace

std::string ContainerPaths::command_socket() const {
  std::string full = lxcpath + "/" + name + "/command";
  if (full.size() <= 105) return full;
  char buf[64];
  std::snprintf(buf, sizeof buf, "lxc/%016" PRIx64 "/command", fnv1a_64(lxcpath + "/" + name));
  return buf;
}

std::string ContainerPaths::lock_file() const { return run_dir() + "/lxc/lock" + lxcpath + "/." + name; }

std::string normalize_lxcpath(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

Result<UniqueFd> lock_container(const ContainerPaths& paths, bool wait) {
  std::string file = paths.lock_file();
  UniqueFd fd(::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd && errno == ENOENT) {  // the first lock below this lxcpath
    CORRAL_TRY(exec::mkdir_beneath("", file.substr(0, file.rfind('/')), 0755));
    fd.reset(::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  }
  if (!fd) return Error::system("open the lock file", file, errno);
  struct flock fl {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  while (::fcntl(fd.get(), wait ? F_OFD_SETLKW : F_OFD_SETLK, &fl) != 0) {
    if (errno == EINTR) continue;
    return Error::system("lock", file, errno);
  }
  return fd;
}

std::vector<std::string> defined_containers(const std::string& lxcpath) {
  std::vector<std::string> names;
  DIR* d = ::opendir(lxcpath.c_str());
  if (!d) return names;
  while (struct dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::string config = lxcpath + "/" + e->d_name + "/config";
    if (::access(config.c_str(), F_OK) == 0) names.emplace_back(e->d_name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> active_containers(const std::string& lxcpath) {
  std::vector<std::string> names;
  std::ifstream in("/proc/net/unix");
  std::string line;
  std::string prefix = "@" + lxcpath + "/";
  const std::string suffix = "/command";
  while (std::getline(in, line)) {
    size_t at = line.find(" @");
    if (at == std::string::npos) continue;
    std::string path = line.substr(at + 1);
    if (path.size() < suffix.size() || path.compare(path.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
    std::string middle;
    if (path.compare(0, prefix.size(), prefix) == 0) {
      middle = path.substr(prefix.size(), path.size() - prefix.size() - suffix.size());
      if (middle.empty() || middle.find('/') != std::string::npos) continue;
    } else if (path.compare(0, 5, "@lxc/") == 0) {
      // A hashed name: ask the monitor who it is.
      Result<Client> c = Client::connect_abstract(path.substr(1));
      if (!c) continue;
      Result<Reply> p = c.value().call(Cmd::get_lxcpath);
      if (!p || p.value().text() != lxcpath) continue;
      Result<Client> c2 = Client::connect_abstract(path.substr(1));
      if (!c2) continue;
      Result<Reply> n = c2.value().call(Cmd::get_name);
      if (!n) continue;
      middle = n.value().text();
    } else {
      continue;
    }
    if (std::find(names.begin(), names.end(), middle) == names.end()) names.push_back(middle);
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace corral::runtime
