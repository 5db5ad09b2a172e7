#include "runtime/destroy.hpp"

#include <sys/stat.h>

#include <cerrno>

#include "config/loader.hpp"
#include "exec/hooks.hpp"
#include "exec/plan.hpp"
#include "runtime/commands.hpp"
#include "util/fs.hpp"

namespace corral::runtime {

Result<void> destroy_container(const ContainerPaths& paths, bool force) {
  struct stat st {};
  if (::stat(paths.config().c_str(), &st) != 0) return Error::usage("Container is not defined");
  if (query_state(paths) != State::stopped) {
    if (!force) return Error::usage(paths.name + " is running");
    if (!stop_hard(paths)) return Error(Error::Kind::system, "could not stop " + paths.name);
  }
  config::LoadResult loaded = config::load_file(paths.config());
  if (!loaded.ok()) return Error::config(loaded.render());
  const config::Config& cfg = loaded.config;

  exec::PlanOptions opt;
  opt.name = paths.name;
  opt.lxcpath = paths.lxcpath;
  opt.config_file = paths.config();
  Result<exec::Plan> hooks = exec::plan_destroy_hooks(cfg, opt);
  if (!hooks) return std::move(hooks.error());
  for (const exec::Step& step : hooks.value().steps) {
    Result<void> r = exec::run_hooks(std::get<exec::RunHooks>(step.data), hooks.value().hook_env,
                                     hooks.value().hook_version1);
    if (!r) return std::move(r.error().wrap("lxc.hook.destroy failed; the container is kept"));
  }

  // A directory rootfs outside the container's directory is the
  // container's storage too (lxc-create --dir); one inside goes with it.
  std::string rootfs = cfg.rootfs_path.value;
  if (rootfs.compare(0, 4, "dir:") == 0) rootfs.erase(0, 4);
  // Never the host's root, nor a directory that holds the lxcpath.
  auto below = [](const std::string& path, const std::string& dir) {
    return path.compare(0, dir.size() + 1, dir + "/") == 0;
  };
  while (rootfs.size() > 1 && rootfs.back() == '/') rootfs.pop_back();
  // lxc.rootfs.managed = 0: the storage is not the container's to remove.
  bool own_storage = cfg.rootfs_managed.value && !rootfs.empty() && rootfs.front() == '/' && rootfs != "/" &&
                     !below(paths.dir(), rootfs) &&
                     (cfg.rootfs_type.value.empty() || cfg.rootfs_type.value == "dir");
  if (own_storage && !below(rootfs, paths.dir())) CORRAL_TRY(remove_tree(rootfs));
  return remove_tree(paths.dir());
}

}  // namespace corral::runtime
