#include "template/create.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
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

const Param* find_short(const Template& t, char letter) {
  for (const Param& p : t.params)
    if (p.short_name == letter) return &p;
  return nullptr;
}

/// "-C VALUE" / "-CVALUE", as getopt reads a short option; a boolean
/// parameter given alone ("-C", last or before another option) is true.
Result<void> parse_short_arg(const Template& t, const std::vector<std::string>& args, size_t& i,
                             std::map<std::string, std::string>& out) {
  const std::string& a = args[i];
  const Param* p = find_short(t, a[1]);
  if (!p) {
    std::vector<std::string> shorts;
    for (const Param& q : t.params)
      if (q.short_name) shorts.push_back(std::string("-") + q.short_name + " (--" + q.name + ")");
    return Error::usage("template argument '" + a + "': template " + t.name + " has no option -" + a[1] +
                        (shorts.empty() ? " (it takes no short options)" : " (it takes " + join(shorts, ", ") + ")"));
  }
  if (a.size() > 2) out[p->name] = a.substr(2);
  else if (p->type == ParamType::boolean && (i + 1 == args.size() || args[i + 1].starts_with('-')))
    out[p->name] = "true";
  else if (i + 1 < args.size()) out[p->name] = args[++i];
  else return Error::usage("template argument '" + a + "' needs a value");
  return {};
}

/// "--NAME VALUE" / "--NAME=VALUE" pairs after "--", and the short options
/// the template declares; a boolean parameter given alone ("--flag") is true.
Result<std::map<std::string, std::string>> parse_template_args(const Template& t,
                                                               const std::vector<std::string>& args) {
  std::map<std::string, std::string> out;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.size() >= 2 && a[0] == '-' && a[1] != '-') {
      CORRAL_TRY(parse_short_arg(t, args, i, out));
      continue;
    }
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
  // A relative file or path is where the caller means it, as a template
  // script run in lxc-create's working directory sees it.
  for (auto& [name, value] : out) {
    const Param* p = find_param(t, name);
    if (!p || (p->type != ParamType::file && p->type != ParamType::path) || value.empty() || value.front() == '/')
      continue;
    char* cwd = ::getcwd(nullptr, 0);
    if (!cwd) return Error::system("getcwd for the relative path", value, errno);
    while (value.starts_with("./")) value.erase(0, 2);
    value = std::string(cwd) + (std::string_view(cwd) == "/" ? "" : "/") + value;
    std::free(cwd);
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

/// Every line of `text` indented by two blanks (empty lines left empty),
/// as --dry-run shows a file.
std::string indented(const std::string& text) {
  std::string out;
  std::vector<std::string_view> pieces = split(text, '\n');
  // split() gives an empty last piece after the final newline
  if (!pieces.empty() && pieces.back().empty()) pieces.pop_back();
  for (std::string_view l : pieces) out += l.empty() ? "\n" : "  " + std::string(l) + "\n";
  return out;
}

/// The loader's diagnostics of the config to be written, with the lines
/// that come from a metadata member placed there (`TARBALL(config):3:1`)
/// rather than in a file that does not exist yet. `body` holds the lines
/// from line `first_line` on; the template file itself is source 1 of
/// `template_sources`, and its lines are left where the config has them.
std::string config_errors(const config::LoadResult& check, const std::vector<ConfigLine>& body, uint32_t first_line,
                          const config::SourceTable& template_sources) {
  config::SourceTable sources = check.config.sources;
  const std::string written = sources.files.empty() ? "" : sources.files.front().path;
  std::map<uint32_t, uint32_t> ids;  // a source of template_sources -> its id in `sources`
  auto member_origin = [&](Origin o) -> std::optional<Origin> {
    if (o.file != 1 || o.line < first_line || o.line - first_line >= body.size()) return std::nullopt;
    Origin from = body[o.line - first_line].where;
    const config::SourceFile* f = template_sources.get(from.file);
    if (!f || from.file == 1) return std::nullopt;
    uint32_t& id = ids[from.file];
    if (id == 0) id = sources.add(f->path, {});
    return Origin{id, from.line, o.col};
  };
  config::Diagnostics out;
  for (config::Diagnostic d : check.diagnostics.items()) {
    if (std::optional<Origin> at = member_origin(d.origin)) {
      d.notes.push_back("the line as it would be written at " + written + ":" + std::to_string(d.origin.line) +
                        ", its tokens replaced");
      d.origin = *at;
    }
    out.add(std::move(d));
  }
  // A file included from such a line names it as where it is included.
  // (By index: member_origin() may add to the table.)
  for (size_t i = 0, n = sources.files.size(); i < n; ++i)
    if (std::optional<Origin> at = member_origin(sources.files[i].included_from)) sources.files[i].included_from = *at;
  return out.render(sources);
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
    out += "\nParameters, given after -- as --NAME VALUE (or -C VALUE):\n";
    for (const Param& p : tm.params) {
      out += std::string("  ") + (p.short_name ? std::string("-") + p.short_name + ", " : "") + "--" + p.name + " " +
             to_upper(param_type_name(p.type)) + "\n";
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

/// lxc.idmap as create uses it: the maps, and the host ids of the
/// container's root (ns id 0; the first mapped id when 0 is not mapped).
struct MappedRoot {
  std::vector<IdRange> uids, gids;
  uid_t uid = 0;
  gid_t gid = 0;
};
std::optional<MappedRoot> mapped_root(const config::Config& cfg) {
  if (cfg.idmaps.empty()) return std::nullopt;
  MappedRoot m;
  for (const auto& item : cfg.idmaps)
    (item.value.type == 'u' ? m.uids : m.gids).push_back({item.value.ns_id, item.value.host_id, item.value.range});
  auto root_of = [](const std::vector<IdRange>& maps) -> uint32_t {
    if (std::optional<uint64_t> h = host_id_of(maps, 0)) return static_cast<uint32_t>(*h);
    return maps.empty() ? 0 : static_cast<uint32_t>(maps.front().host_id);
  };
  m.uid = root_of(m.uids);
  m.gid = root_of(m.gids);
  return m;
}

Result<CreateOutcome> create_container(const CreateRequest& req) {
  const runtime::ContainerPaths& paths = req.paths;
  const bool with_template = !is_no_template(req.template_name);
  // From here on SIGINT, SIGTERM and SIGHUP end the command a step or the
  // metadata read runs, and the create stops cleanly: a metadata tarball's
  // private directory is removed too.
  InterruptGuard guard;

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
  std::vector<ConfigLine> body;
  for (std::string& l : lines) body.push_back({std::move(l), {}});
  std::string text;
  if (with_template) {
    Result<std::map<std::string, std::string>> params = parse_template_args(tmpl->tmpl, req.template_args);
    if (!params) return std::move(params.error());
    Inputs in{paths.name, paths.dir(), rootfs, std::move(params.value())};
    Result<Recipe> r = expand(tmpl->tmpl, in, tmpl->sources);
    if (interrupted) return Error(Error::Kind::system, "interrupted: nothing was made");
    if (!r) return std::move(r.error());
    recipe = std::move(r.value());
    // The template's lines follow, and may rearrange, those there are.
    body.push_back({"lxc.rootfs.path = dir:" + rootfs, {}});
    Result<std::vector<ConfigLine>> rendered = render_config(*recipe, std::move(body));
    if (!rendered) return rendered.error().wrap("template " + tmpl->tmpl.path);
    body = std::move(rendered.value());
    text = header(tmpl->tmpl.path, req.template_args);
  }
  auto first_body_line = static_cast<uint32_t>(std::count(text.begin(), text.end(), '\n') + 1);
  for (const ConfigLine& l : body) text += l.text + "\n";
  // A template whose config lines do not load is refused before anything
  // is made (the loader names the line in the config to be, or in the
  // metadata tarball that line comes from).
  config::LoadResult check = config::load_text(text, paths.config());
  if (!check.ok()) {
    if (!tmpl) return Error::config(check.render());
    Error e = Error::config(config_errors(check, body, first_body_line, tmpl->sources));
    return e.wrap("the config made by template " + tmpl->tmpl.path + " is not valid");
  }

  CreateOutcome out;
  if (req.dry_run) {
    std::string& d = out.dry_run_text;
    d = "container " + paths.dir() + "\n";
    if (recipe) d += "template " + tmpl->tmpl.path + "\nrootfs (ROOTFS) " + rootfs + "\nsteps:\n" + describe(*recipe);
    if (recipe)
      for (const ContainerFile& f : recipe->files)
        d += "file " + paths.dir() + "/" + f.name + ":\n" + indented(f.content);
    d += "config " + paths.config() + ":\n" + indented(text);
    return out;
  }

  // 2. Writing: the container directory, a `partial` marker while the
  // rootfs is built, the config; any failure removes all of it.
  bool made_dir = false, made_rootfs = false, wrote_config = false;
  std::vector<std::string> made_files;  // container files this run made
  // Best effort: the error that made us undo is the one worth reporting.
  auto undo = [&](Error e) -> Result<CreateOutcome> {
    if (made_rootfs) static_cast<void>(remove_tree(rootfs));
    if (made_dir) {
      static_cast<void>(remove_tree(paths.dir()));
    } else {
      if (wrote_config) ::unlink(paths.config().c_str());
      for (const std::string& f : made_files) ::unlink(f.c_str());
    }
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
  // With lxc.idmap the container's root (a host user) must reach its
  // rootfs, and own what the template makes: LXC runs the template in the
  // user namespace; corral builds as itself and then maps every owner.
  std::optional<MappedRoot> mapped = mapped_root(check.config);
  if (mapped && made_dir && ::chown(paths.dir().c_str(), mapped->uid, mapped->gid) != 0)
    return undo(Error::system("give the container's directory to its root", paths.dir(), errno));
  std::string partial = paths.dir() + "/partial";
  if (with_template) {
    int fd = ::open(partial.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0000);
    if (fd < 0) return undo(Error::system("create", partial, errno));
    ::close(fd);
    made_rootfs = !exists(rootfs);
    Result<void> built = execute(*recipe, tmpl->sources);
    if (!built) return undo(std::move(built.error()));
    if (mapped) {
      Result<OwnershipShift> shifted = shift_ownership(rootfs, mapped->uids, mapped->gids, mapped->uid, mapped->gid);
      if (!shifted) return undo(std::move(shifted.error().wrap("lxc.idmap")));
      if (shifted.value().unmapped > 0 && req.warn)
        req.warn(std::to_string(shifted.value().unmapped) + " files of the rootfs had owners that lxc.idmap does not map " +
                 "(the first: " + shifted.value().first_unmapped + "); they now belong to the container's root");
    }
    for (const ContainerFile& f : recipe->files) {
      std::string file = paths.dir() + "/" + f.name;
      bool existed = exists(file);
      Result<void> written = write_file_atomic(file, f.content, 0644);
      if (!written) return undo(std::move(written.error().wrap(tmpl->sources.describe(f.where))));
      if (!existed) made_files.push_back(file);
    }
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
