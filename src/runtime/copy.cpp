#include "runtime/copy.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "config/loader.hpp"
#include "config/values.hpp"
#include "exec/hooks.hpp"
#include "exec/mounts.hpp"
#include "runtime/commands.hpp"
#include "runtime/destroy.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace corral::runtime {

namespace {

/// The key of a config line ("lxc.uts.name"), or "" for a comment or a
/// line without '='.
std::string_view key_of(std::string_view line) {
  std::string_view t = trim_blanks(line);
  if (t.empty() || t.front() == '#') return {};
  size_t eq = t.find('=');
  return eq == std::string_view::npos ? std::string_view() : trim_blanks(t.substr(0, eq));
}

bool is_hwaddr_key(std::string_view key) {
  constexpr std::string_view tail = ".hwaddr";
  return key.size() > tail.size() && key.substr(key.size() - tail.size()) == tail &&
         (key.substr(0, 8) == "lxc.net." || key.substr(0, 12) == "lxc.network.");
}

/// A path of a file the source keeps in its own directory (a hook script,
/// the lxc.mount.fstab file) as it is in the copy's; any other unchanged.
/// LXC's copyhooks and copy_fstab move those files too.
std::string moved_path(std::string_view value, const CopyRequest& req) {
  std::string from = req.source.dir() + "/";
  if (value.substr(0, from.size()) != from) return std::string(value);
  return req.target.dir() + "/" + std::string(value.substr(from.size()));
}

/// The lines whose value may name such a file.
bool names_own_file(std::string_view key) { return key.substr(0, 9) == "lxc.hook." || key == "lxc.mount.fstab"; }

/// The copy's config text (see copy_container).
std::string copied_config(std::string_view source, const CopyRequest& req, const std::string& new_rootfs) {
  std::string out;
  for (std::string_view line : split(source, '\n')) {
    if (trim_blanks(line).empty()) continue;
    std::string_view key = key_of(line);
    if (names_own_file(key)) {
      std::string_view value = trim_blanks(line.substr(line.find('=') + 1));
      if (std::string moved = moved_path(value, req); moved != value) {
        out += std::string(key) + " = " + moved + "\n";
        continue;
      }
    }
    if (key == "lxc.rootfs.path" || key == "lxc.rootfs") continue;
    if (!req.keep_name && (key == "lxc.uts.name" || key == "lxc.utsname")) continue;
    if (!req.keep_mac && is_hwaddr_key(key)) {
      out += std::string(key) + " = " + config::expand_hwaddr("00:16:3e:xx:xx:xx") + "\n";
      continue;
    }
    out += std::string(line) + "\n";
  }
  if (!new_rootfs.empty()) out += "lxc.rootfs.path = " + new_rootfs + "\n";
  if (!req.keep_name) out += "lxc.uts.name = " + req.target.name + "\n";
  if (req.ephemeral && !req.keep_data) out += "lxc.ephemeral = 1\n";
  for (const std::string& e : req.mount_entries) out += "lxc.mount.entry = " + e + "\n";
  return out;
}

/// Copies the files the source keeps in its own directory and names in its
/// configuration (hook scripts, by the first word of the hook; the
/// lxc.mount.fstab file) to the same place in the copy's: mode and owner
/// kept, missing directories made.
Result<void> copy_own_files(const config::Config& cfg, const CopyRequest& req) {
  std::vector<std::string> files;
  for (const auto& list : cfg.hooks)
    for (const auto& item : list) files.emplace_back(item.value.substr(0, item.value.find_first_of(" \t")));
  files.push_back(cfg.mount_fstab.value);
  for (const std::string& file : files) {
    std::string to = moved_path(file, req);
    struct stat st {};
    if (to == file || ::stat(to.c_str(), &st) == 0) continue;  // elsewhere, or copied already
    if (::stat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;  // LXC fails on it at start, not here
    Result<std::string> text = read_text_file(file);
    if (!text) return std::move(text.error());
    CORRAL_TRY(exec::mkdir_beneath(req.target.dir(), to.substr(0, to.rfind('/')), 0755));
    CORRAL_TRY(write_file_atomic(to, text.value(), st.st_mode & 07777));
    if (::chown(to.c_str(), st.st_uid, st.st_gid) != 0) return Error::system("chown", to, errno);
  }
  return {};
}

/// /etc/hostname of the copy names it, when the file is there (looked up
/// beneath the rootfs: a link cannot lead the write out of it).
Result<void> rename_host(const std::string& rootfs, const std::string& name) {
  UniqueFd root(::open(rootfs.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root) return Error::system("open", rootfs, errno);
  int fd = exec::openat2_beneath(root.get(), "etc/hostname", O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? Result<void>() : Error::system("open", rootfs + "/etc/hostname", errno);
  UniqueFd file(fd);
  std::string text = name + "\n";
  if (::write(file.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()))
    return Error::system("write", rootfs + "/etc/hostname", errno);
  return {};
}

/// lxc.hook.clone of the copy's config, with LXC's environment; version 0
/// hooks get `NEW lxc clone HOOK-ARGS...`.
Result<void> run_clone_hooks(const config::Config& cfg, const CopyRequest& req, const std::string& rootfs,
                             const std::string& rootfs_value) {
  const auto& hooks = cfg.hooks[static_cast<size_t>(config::HookType::clone)];
  if (hooks.empty()) return {};
  bool v1 = cfg.hook_version.value;
  exec::EnvList env = {{"LXC_SRC_NAME", req.source.name},
                       {"LXC_NAME", req.target.name},
                       {"LXC_ROOTFS_MOUNT", rootfs},
                       {"LXC_ROOTFS_PATH", rootfs_value},  // as the copy's lxc.rootfs.path says, "dir:" and all
                       {"LXC_CONFIG_FILE", req.target.config()}};
  exec::RunHooks run{config::HookType::clone, {}};
  for (const auto& item : hooks) {
    // The copy's own hook when it was the source's (as LXC runs it).
    exec::HookCommand cmd = exec::hook_command(moved_path(item.value, req), req.target.name, config::HookType::clone,
                                               v1, cfg.sources.describe(item.origin));
    for (const std::string& a : req.hook_args) cmd.shell += " " + a;  // lxc-copy's arguments after --
    run.commands.push_back(std::move(cmd));
  }
  return exec::run_hooks(run, env, v1);
}

}  // namespace

Result<std::string> bind_mount_entry(const std::string& spec) {
  constexpr std::string_view kBind = "bind=";
  if (spec.compare(0, kBind.size(), kBind) != 0)
    return Error::usage("-m " + spec + ": only bind=SRC[:DST][:ro|rw] mounts are supported (overlay= is not yet)");
  std::vector<std::string> parts;
  for (std::string_view p : split(std::string_view(spec).substr(kBind.size()), ':')) parts.emplace_back(p);
  std::string mode = "rw";
  if (parts.size() > 1 && (parts.back() == "ro" || parts.back() == "rw")) {
    mode = parts.back();
    parts.pop_back();
  }
  if (parts.empty() || parts.size() > 2 || parts[0].empty() || parts[0].front() != '/')
    return Error::usage("-m " + spec + ": write bind=SRC[:DST][:ro|rw], SRC an absolute path");
  std::string dst = parts.size() == 2 && !parts[1].empty() ? parts[1] : parts[0];
  while (!dst.empty() && dst.front() == '/') dst.erase(0, 1);  // relative to the rootfs
  struct stat st {};
  bool dir = ::stat(parts[0].c_str(), &st) != 0 || S_ISDIR(st.st_mode);
  return parts[0] + " " + dst + " none bind,optional," + mode + ",create=" + (dir ? "dir" : "file") + " 0 0";
}

Result<void> copy_container(const CopyRequest& req) {
  struct stat st {};
  if (::stat(req.source.config().c_str(), &st) != 0) return Error::usage("Container is not defined");
  if (!(req.ephemeral && req.allow_running) && query_state(req.source) != State::stopped)
    return Error::usage(req.source.name + " is running: lxc-copy copies a stopped container" +
                        (req.ephemeral ? " (-a allows an ephemeral copy of a running one)" : ""));
  if (::stat(req.target.config().c_str(), &st) == 0) return Error::usage("`" + req.target.config() + "` exists");
  config::LoadResult loaded = config::load_file(req.source.config());
  if (!loaded.ok()) return Error::config(loaded.render());
  const config::Config& cfg = loaded.config;
  std::string from = cfg.rootfs_path.value;
  if (!cfg.rootfs_type.value.empty() && cfg.rootfs_type.value != "dir")
    return Error::usage("lxc.rootfs.path: storage type '" + cfg.rootfs_type.value +
                        "': corral copies directory root file systems only");
  Result<std::string> text = read_text_file(req.source.config());
  if (!text) return std::move(text.error());

  // Everything below is undone on failure.
  if (::mkdir(req.target.lxcpath.c_str(), 0755) != 0 && errno != EEXIST)
    return Error::system("mkdir", req.target.lxcpath, errno);
  if (::mkdir(req.target.dir().c_str(), 0770) != 0) return Error::system("mkdir", req.target.dir(), errno);
  auto undo = [&](Error e) -> Result<void> {
    static_cast<void>(remove_tree(req.target.dir()));
    return e;
  };
  if (::chmod(req.target.dir().c_str(), 0770) != 0) return undo(Error::system("chmod", req.target.dir(), errno));
  // The copy's directories belong to whoever the source's does: with
  // lxc.idmap, the container's root, which must reach its rootfs and, for
  // an ephemeral copy, write the overlay's upper directory.
  struct stat owner {};
  if (::stat(req.source.dir().c_str(), &owner) != 0) return undo(Error::system("stat", req.source.dir(), errno));
  auto give = [&](const std::string& dir) -> Result<void> {
    if (::chown(dir.c_str(), owner.st_uid, owner.st_gid) != 0) return Error::system("chown", dir, errno);
    return {};
  };
  if (Result<void> given = give(req.target.dir()); !given) return undo(std::move(given.error()));
  std::string rootfs = from.empty() ? std::string() : req.target.dir() + (req.ephemeral ? "/overlay/delta" : "/rootfs");
  std::string rootfs_value = from.empty() ? std::string() : req.ephemeral ? "overlay:" + from + ":" + rootfs : "dir:" + rootfs;
  if (!from.empty() && req.ephemeral) {
    // The overlay's upper directory; the work directory is made beside it
    // at start.
    for (const std::string& dir : {req.target.dir() + "/overlay", rootfs}) {
      if (::mkdir(dir.c_str(), 0755) != 0) return undo(Error::system("mkdir", dir, errno));
      if (Result<void> given = give(dir); !given) return undo(std::move(given.error()));
    }
  } else if (!from.empty()) {
    Result<void> copied = copy_tree(from, rootfs);
    if (!copied) return undo(std::move(copied.error().wrap("copy the rootfs")));
    if (!req.keep_name) {
      Result<void> named = rename_host(rootfs, req.target.name);
      if (!named) return undo(std::move(named.error()));
    }
  }
  Result<void> saved = write_file_atomic(req.target.config(), copied_config(text.value(), req, rootfs_value), 0640);
  if (!saved) return undo(std::move(saved.error()));
  if (Result<void> own = copy_own_files(cfg, req); !own) return undo(std::move(own.error()));
  Result<void> hooked = run_clone_hooks(cfg, req, rootfs, rootfs_value);
  if (!hooked) return undo(std::move(hooked.error()));
  if (req.rename) {
    Result<void> gone = destroy_container(req.source, false);
    if (!gone) return std::move(gone.error().wrap("the copy " + req.target.name + " was made, but the source stays"));
  }
  return {};
}

}  // namespace corral::runtime
