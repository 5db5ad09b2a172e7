#include "template/create.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "config/loader.hpp"
#include "config/values.hpp"
#include "template/template.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace corral::tmpl {

namespace {

constexpr const char* kTemplateSuffix = ".tmpl";

bool is_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

Result<std::string> read_whole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::system("open", path, errno);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// A parsed template, with the source table its positions refer to.
struct LoadedTemplate {
  Template tmpl;
  config::SourceTable sources;
};

Result<LoadedTemplate> load_template(const std::string& name) {
  std::optional<std::string> file = find_template(name);
  if (!file) {
    std::string where;
    for (const std::string& d : template_dirs()) where += (where.empty() ? "" : ", ") + d;
    return Error::usage("template '" + name + "' not found (looked in " + where + ")");
  }
  Result<std::string> text = read_whole(*file);
  if (!text) return std::move(text.error());
  LoadedTemplate t;
  uint32_t id = t.sources.add(*file, {});
  config::Diagnostics diags;
  std::optional<Template> parsed = parse_template(text.value(), *file, id, diags);
  if (!parsed || diags.error_count() > 0) return Error::config(diags.render(t.sources));
  t.tmpl = std::move(*parsed);
  return t;
}

const Param* find_param(const Template& t, const std::string& name) {
  for (const Param& p : t.params)
    if (p.name == name) return &p;
  return nullptr;
}

/// "--NAME VALUE" / "--NAME=VALUE" pairs after "--"; a boolean parameter
/// given alone ("--flag") is true.
Result<std::map<std::string, std::string>> parse_template_args(const Template& t,
                                                               const std::vector<std::string>& args) {
  std::map<std::string, std::string> out;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.size() < 3 || a.compare(0, 2, "--") != 0)
      return Error::usage("template argument '" + a + "': expected --PARAMETER VALUE (see --help)");
    std::string name = a.substr(2), value;
    size_t eq = name.find('=');
    if (eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    } else {
      const Param* p = find_param(t, name);
      bool flag = p && p->type == ParamType::boolean &&
                  (i + 1 == args.size() || args[i + 1].compare(0, 2, "--") == 0);
      if (flag) {
        value = "true";
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return Error::usage("template argument '" + a + "' needs a value");
      }
    }
    out[name] = value;  // expand() refuses names the template does not declare
  }
  return out;
}

/// The initial config as lxc-create keeps it: every non-empty line as
/// written, with the x's of lxc.net.N.hwaddr values made random.
std::vector<std::string> initial_lines(const std::string& text) {
  std::vector<std::string> out;
  for (std::string_view line : split(text, '\n')) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    std::string l(line);
    size_t eq = l.find('=');
    if (eq != std::string::npos) {
      std::string key = l.substr(0, eq);
      key.erase(0, key.find_first_not_of(" \t"));
      key.erase(key.find_last_not_of(" \t") + 1);
      bool hwaddr = key.compare(0, 8, "lxc.net.") == 0 && key.size() > 15 &&
                    key.compare(key.size() - 7, 7, ".hwaddr") == 0;
      if (hwaddr) l = l.substr(0, eq + 1) + config::expand_hwaddr(l.substr(eq + 1));
    }
    out.push_back(std::move(l));
  }
  return out;
}

std::string header(const std::string& template_path, const std::vector<std::string>& args) {
  std::string params;
  for (const std::string& a : args) params += (params.empty() ? "" : " ") + a;
  return "# Template used to create this container: " + template_path + "\n" +
         "# Parameters passed to the template:" + (params.empty() ? "" : " " + params) + "\n" +
         "# For additional config options, please look at corral.conf(5)\n"
         "\n"
         "# Uncomment the following line to support nesting containers:\n"
         "#lxc.include = /usr/share/lxc/config/nesting.conf\n"
         "# (Be aware this has security implications)\n"
         "\n";
}


// An interrupted create removes what it made: the signals that usually end
// a tool set this flag instead and end the command a step is running, and
// the create checks the flag between phases.
volatile std::sig_atomic_t interrupted = 0;
void on_interrupt(int) {
  interrupted = 1;
  interrupt_running_step();
}

class InterruptGuard {
 public:
  InterruptGuard() {
    struct sigaction sa {};
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < kSignals.size(); ++i) ::sigaction(kSignals[i], &sa, &old_[i]);
    interrupted = 0;
  }
  ~InterruptGuard() {
    for (size_t i = 0; i < kSignals.size(); ++i) ::sigaction(kSignals[i], &old_[i], nullptr);
  }
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

 private:
  static constexpr std::array<int, 3> kSignals{SIGINT, SIGTERM, SIGHUP};
  std::array<struct sigaction, 3> old_{};
};

}  // namespace

std::vector<std::string> template_dirs() {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("CORRAL_TEMPLATE_PATH"))
    for (std::string_view d : split(env, ':'))
      if (!d.empty()) dirs.emplace_back(d);
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg)
    dirs.push_back(std::string(xdg) + "/corral/templates");
  else if (const char* home = std::getenv("HOME"); home && *home)
    dirs.push_back(std::string(home) + "/.local/share/corral/templates");
#ifdef CORRAL_TEMPLATE_DIR
  dirs.emplace_back(CORRAL_TEMPLATE_DIR);
#endif
#ifdef CORRAL_SOURCE_TEMPLATE_DIR
  dirs.emplace_back(CORRAL_SOURCE_TEMPLATE_DIR);
#endif
  return dirs;
}

std::optional<std::string> find_template(const std::string& name) {
  if (name.find('/') != std::string::npos) {
    if (!is_file(name)) return std::nullopt;
    char* real = ::realpath(name.c_str(), nullptr);
    std::string out = real ? real : name;
    std::free(real);
    return out;
  }
  for (const std::string& d : template_dirs()) {
    std::string file = d + "/" + name + kTemplateSuffix;
    if (is_file(file)) return file;
  }
  return std::nullopt;
}

bool is_no_template(const std::string& name) {
  return std::string_view("none").substr(0, name.size()) == name;
}

Result<std::string> template_usage(const std::string& name) {
  Result<LoadedTemplate> t = load_template(name);
  if (!t) return std::move(t.error());
  const Template& tm = t.value().tmpl;
  std::string out = "Template " + tm.name + ": " + tm.description + "\n(" + tm.path + ")\n";
  if (!tm.params.empty()) {
    out += "\nParameters, given after -- as --NAME VALUE:\n";
    for (const Param& p : tm.params) {
      out += "  --" + p.name + " " + to_upper(param_type_name(p.type)) + "\n";
      if (!p.help.empty()) out += "      " + p.help + "\n";
      out += "      default: " + (p.default_value.raw.empty() ? std::string("(empty)") : p.default_value.raw) + "\n";
    }
  }
  if (!tm.requirements.empty()) {
    out += "\nNeeds on the host:\n";
    for (const Requirement& r : tm.requirements) out += "  " + r.what.raw + " (Debian package " + r.package + ")\n";
  }
  return out;
}

Result<CreateOutcome> create_container(const CreateRequest& req) {
  const runtime::ContainerPaths& paths = req.paths;
  const bool with_template = !is_no_template(req.template_name);

  // 1. Everything that can be checked is checked before the first write.
  std::optional<LoadedTemplate> tmpl;
  if (with_template) {
    Result<LoadedTemplate> t = load_template(req.template_name);
    if (!t) return std::move(t.error());
    tmpl = std::move(t.value());
  } else if (!req.template_args.empty()) {
    return Error::usage("template arguments given, but no template (-t)");
  }
  if (!req.rootfs_dir.empty() && req.rootfs_dir.front() != '/') return Error::usage("--dir should use absolute path");
  if (exists(paths.config())) return Error::usage("Container already exists");

  std::string initial_file = req.config_file.value_or(is_file(req.default_config) ? req.default_config : "");
  std::vector<std::string> lines;
  std::optional<std::string> configured_rootfs;
  if (!initial_file.empty()) {
    config::LoadResult loaded = config::load_file(initial_file);
    if (!loaded.ok()) return Error::config(loaded.render());
    Result<std::string> text = read_whole(initial_file);
    if (!text) return std::move(text.error());
    lines = initial_lines(text.value());
    if (std::optional<std::string> r = config::get_item(loaded.config, "lxc.rootfs.path"); r && !r->empty())
      configured_rootfs = *r;
  }

  std::string rootfs;
  if (configured_rootfs) {
    rootfs = *configured_rootfs;
    if (rootfs.compare(0, 4, "dir:") == 0) rootfs.erase(0, 4);
    if (rootfs.empty() || rootfs.front() != '/')
      return Error::usage("lxc.rootfs.path '" + *configured_rootfs +
                          "': corral creates only directory root file systems (dir:/ABSOLUTE/PATH)");
  } else {
    rootfs = req.rootfs_dir.empty() ? paths.dir() + "/rootfs" : req.rootfs_dir;
  }

  std::optional<Recipe> recipe;
  std::string text;
  if (with_template) {
    Result<std::map<std::string, std::string>> params = parse_template_args(tmpl->tmpl, req.template_args);
    if (!params) return std::move(params.error());
    Inputs in{paths.name, paths.dir(), rootfs, std::move(params.value())};
    Result<Recipe> r = expand(tmpl->tmpl, in, tmpl->sources);
    if (!r) return std::move(r.error());
    recipe = std::move(r.value());
    text = header(tmpl->tmpl.path, req.template_args);
  }
  for (const std::string& l : lines) text += l + "\n";
  if (with_template) {
    text += "lxc.rootfs.path = dir:" + rootfs + "\n";
    for (const std::string& l : recipe->config) text += l + "\n";
  }
  // A template whose config lines do not load is refused before anything
  // is made (the loader names the line in the config to be).
  config::LoadResult check = config::load_text(text, paths.config());
  if (!check.ok()) {
    Error e = Error::config(check.render());
    if (tmpl) e.wrap("the config made by template " + tmpl->tmpl.path + " is not valid");
    return e;
  }

  CreateOutcome out;
  if (req.dry_run) {
    std::string& d = out.dry_run_text;
    d = "container " + paths.dir() + "\n";
    if (recipe) d += "template " + tmpl->tmpl.path + "\nrootfs (ROOTFS) " + rootfs + "\nsteps:\n" + describe(*recipe);
    d += "config " + paths.config() + ":\n";
    for (std::string_view l : split(text, '\n')) d += l.empty() ? "\n" : "  " + std::string(l) + "\n";
    // split() gives an empty last piece after the final newline
    if (d.size() > 1 && d.compare(d.size() - 2, 2, "\n\n") == 0) d.pop_back();
    return out;
  }

  // 2. Writing: the container directory, a `partial` marker while the
  // rootfs is built, the config; any failure removes all of it.
  InterruptGuard guard;
  bool made_dir = false, made_rootfs = false, wrote_config = false;
  // Best effort: the error that made us undo is the one worth reporting.
  auto undo = [&](Error e) -> Result<CreateOutcome> {
    if (made_rootfs) static_cast<void>(remove_tree(rootfs));
    if (made_dir) static_cast<void>(remove_tree(paths.dir()));
    else if (wrote_config) ::unlink(paths.config().c_str());
    return e;
  };
  if (::mkdir(paths.lxcpath.c_str(), 0755) != 0 && errno != EEXIST)
    return Error::system("mkdir", paths.lxcpath, errno);
  if (::mkdir(paths.dir().c_str(), 0770) == 0)
    made_dir = true;
  else if (errno != EEXIST)
    return Error::system("mkdir", paths.dir(), errno);
  // 0770 whatever the umask, as LXC makes it.
  if (made_dir && ::chmod(paths.dir().c_str(), 0770) != 0) return undo(Error::system("chmod", paths.dir(), errno));
  std::string partial = paths.dir() + "/partial";
  if (with_template) {
    int fd = ::open(partial.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0000);
    if (fd < 0) return undo(Error::system("create", partial, errno));
    ::close(fd);
    made_rootfs = !exists(rootfs);
    Result<void> built = execute(*recipe, tmpl->sources);
    if (!built) return undo(std::move(built.error()));
  }
  if (interrupted) return undo(Error(Error::Kind::system, "interrupted: nothing was left behind"));
  Result<void> saved = write_file_atomic(paths.config(), text, 0640);
  if (!saved) return undo(std::move(saved.error()));
  wrote_config = true;
  if (with_template) ::unlink(partial.c_str());
  if (interrupted) return undo(Error(Error::Kind::system, "interrupted: nothing was left behind"));
  return out;
}

}  // namespace corral::tmpl
