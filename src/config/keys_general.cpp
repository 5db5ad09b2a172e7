// Key table, general section: rootfs, mounts, uts, arch, init, environment,
// id maps, console and terminals, signals, start-up and logging.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdint>
#include <cstdlib>

#include "config/key_kinds.hpp"
#include "config/keys.hpp"
#include "util/strings.hpp"

namespace corral::config {

namespace {

using namespace kinds;

// ---- lxc.include: handled by the loader -------------------------------------
void set_include(SetContext& c, const KeyRef&, std::string_view v) {
  if (!v.empty()) c.include(v);
}
void show_nothing(const Config&, const KeySpec&, std::string&) {}

// ---- rootfs -------------------------------------------------------------------
void set_rootfs_path(SetContext& c, const KeyRef&, std::string_view v) {
  if (v.empty()) {
    c.cfg.rootfs_path = {"", c.origin};  // the storage type is kept, as in LXC
    return;
  }
  size_t colon = v.find(':');
  std::string_view path = v;
  if (colon != std::string_view::npos) {
    c.cfg.rootfs_type = {std::string(v.substr(0, colon)), c.origin};
    path = v.substr(colon + 1);
  }
  c.cfg.rootfs_path = {path.empty() ? std::string() : simplify_path(path), c.origin};
}
void show_rootfs_path(const Config& cfg, const KeySpec& k, std::string& out) {
  if (cfg.rootfs_type.value.empty() && cfg.rootfs_path.value.empty()) return;
  std::string v = cfg.rootfs_type.value.empty() ? cfg.rootfs_path.value
                                                : cfg.rootfs_type.value + ":" + cfg.rootfs_path.value;
  show_line(out, k.name, v);
}

void set_rootfs_mount(SetContext& c, const KeyRef&, std::string_view v) {
  c.cfg.rootfs_mount.origin = c.origin;
  if (v.empty()) c.cfg.rootfs_mount.value.reset();  // unset, not the default
  else c.cfg.rootfs_mount.value = simplify_path(v);
}

void set_rootfs_options(SetContext& c, const KeyRef&, std::string_view v) {
  // LXC searches these as substrings; mount-entry-only options make no
  // sense for the rootfs.
  for (std::string_view bad : {"create=dir", "create=file", "optional", "relative"}) {
    if (size_t at = v.find(bad); at != std::string_view::npos) {
      throw ValueError{"'" + std::string(bad) + "' is only valid in lxc.mount.entry, not for the rootfs",
                       static_cast<uint32_t>(at), static_cast<uint32_t>(bad.size())};
    }
  }
  for (std::string_view opt : split(v, ',')) {
    if (opt.substr(0, 6) != "idmap=") continue;
    std::string_view target = opt.substr(6);
    auto at = static_cast<uint32_t>(opt.data() - v.data());
    if (target.empty()) throw ValueError{"'idmap=' needs 'container' or the path of a user namespace", at, 6};
    if (target != "container") {
      // LXC opens the namespace file while parsing; a missing one is an error.
      // O_NONBLOCK: a FIFO must not hang the parser.
      int fd = ::open(std::string(target).c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
      if (fd < 0) {
        throw ValueError{"cannot open user namespace `" + std::string(target) + "`", at,
                         static_cast<uint32_t>(opt.size())};
      }
      ::close(fd);
    }
  }
  c.cfg.rootfs_options = {std::string(v), c.origin};
}

// ---- mounts ------------------------------------------------------------------------
void set_mount_entry(SetContext& c, const KeyRef& k, std::string_view v) {
  if (!v.empty() && v.front() == '#') c.warn("this mount entry starts with '#', so LXC treats it as a comment", 0, 0);
  set_string_list<&Config::mount_entries>(c, k, v);
}

void set_mount_fstab(SetContext& c, const KeyRef& k, std::string_view v) {
  if (v.empty()) fail("an empty value is not allowed (LXC rejects it; delete the line to have no fstab)");
  set_path<&Config::mount_fstab>(c, k, v);
}

struct AutoToken {
  std::string_view token;
  int group;  // 0 proc, 1 sys, 2 cgroup
};
constexpr AutoToken kAutoTokens[] = {
    {"proc", 0},           {"proc:mixed", 0},         {"proc:rw", 0},
    {"sys", 1},            {"sys:ro", 1},             {"sys:mixed", 1},          {"sys:rw", 1},
    {"cgroup", 2},         {"cgroup:mixed", 2},       {"cgroup:ro", 2},          {"cgroup:rw", 2},
    {"cgroup:force", 2},   {"cgroup:mixed:force", 2}, {"cgroup:ro:force", 2},    {"cgroup:rw:force", 2},
    {"cgroup-full", 2},    {"cgroup-full:mixed", 2},  {"cgroup-full:ro", 2},     {"cgroup-full:rw", 2},
    {"cgroup-full:force", 2}, {"cgroup-full:mixed:force", 2}, {"cgroup-full:ro:force", 2},
    {"cgroup-full:rw:force", 2}, {"cgroup2", 2}, {"cgroup2:ro", 2}, {"cgroup2:force", 2}, {"cgroup2:ro:force", 2},
};

void set_mount_auto(SetContext& c, const KeyRef&, std::string_view v) {
  MountAuto& m = c.cfg.mount_auto;
  if (v.empty()) {
    m = MountAuto{};
    return;
  }
  m.origin = c.origin;
  for (std::string_view tok : split_blanks(v)) {
    auto offset = static_cast<uint32_t>(tok.data() - v.data());
    if (tok.substr(0, 9) == "shmounts:") {
      std::string_view rest = tok.substr(9);
      size_t colon = rest.find(':');
      std::string_view host = rest.substr(0, colon);
      std::string_view cont = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
      if (host.empty()) {
        throw ValueError{"shmounts needs a host path: 'shmounts:HOST[:CONTAINER]'", offset,
                         static_cast<uint32_t>(tok.size())};
      }
      if (host[0] != '/') {
        c.warn("relative shmounts host path `" + std::string(host) +
                   "` is resolved against the current directory when the container starts",
               offset + 9, static_cast<uint32_t>(host.size()));
      }
      if (!cont.empty() && cont[0] != '/') {
        c.warn("the shmounts container path `" + std::string(cont) +
                   "` is not absolute: LXC drops its first character when it mounts it",
               offset + 9 + static_cast<uint32_t>(host.size()) + 1, static_cast<uint32_t>(cont.size()));
      }
      m.shmounts_host = host;
      m.shmounts_container = cont.empty() ? "/dev/.lxc-mounts" : std::string(cont);
      continue;
    }
    const AutoToken* found = nullptr;
    for (const AutoToken& t : kAutoTokens)
      if (t.token == tok) found = &t;
    if (!found) {
      ValueError e{"unknown lxc.mount.auto token '" + std::string(tok) + "'", offset, static_cast<uint32_t>(tok.size())};
      std::vector<std::string_view> names;
      for (const AutoToken& t : kAutoTokens) names.push_back(t.token);
      if (auto m2 = closest_match(to_lower(tok), names, 3)) e.notes.push_back("did you mean '" + std::string(*m2) + "'?");
      throw e;
    }
    std::string canonical(tok);
    if (tok == "proc") canonical = "proc:mixed";
    if (tok == "sys") canonical = "sys:mixed";
    (found->group == 0 ? m.proc : found->group == 1 ? m.sys : m.cgroup) = canonical;
  }
}
std::optional<std::string> get_mount_auto(const Config& cfg, const KeyRef&) {
  // LXC prints proc, sys and the cgroup v1 modes; ":force" variants,
  // cgroup2 and shmounts print nothing.
  const MountAuto& m = cfg.mount_auto;
  std::vector<std::string> parts;
  if (!m.proc.empty()) parts.push_back(m.proc);
  if (!m.sys.empty()) parts.push_back(m.sys);
  if (!m.cgroup.empty() && m.cgroup.find(":force") == std::string::npos && m.cgroup.rfind("cgroup2", 0) != 0)
    parts.push_back(m.cgroup);
  return join(parts, " ");
}
void show_mount_auto(const Config& cfg, const KeySpec& k, std::string& out) {
  const MountAuto& m = cfg.mount_auto;
  std::vector<std::string> parts;
  for (const std::string* s : {&m.proc, &m.sys, &m.cgroup})
    if (!s->empty()) parts.push_back(*s);
  if (!m.shmounts_host.empty()) parts.push_back("shmounts:" + m.shmounts_host + ":" + m.shmounts_container);
  if (!parts.empty()) show_line(out, k.name, join(parts, " "));
}

void set_autodev_tmpfs_size(SetContext& c, const KeyRef&, std::string_view v) {
  c.cfg.autodev_tmpfs_size.origin = c.origin;
  if (v.empty()) {
    c.cfg.autodev_tmpfs_size.value = 500000;
    return;
  }
  try {
    c.cfg.autodev_tmpfs_size.value = parse_int(v);
  } catch (const ValueError&) {
    c.warn("not a number of bytes; LXC silently uses 500000 instead", 0, 0);
    c.cfg.autodev_tmpfs_size.value = 500000;
  }
}

// ---- uts, arch ----------------------------------------------------------------
void set_uts_name(SetContext& c, const KeyRef& k, std::string_view v) {
  if (v.size() >= 65) fail("host name is " + std::to_string(v.size()) + " bytes long; at most 64 are allowed");
  set_string<&Config::uts_name>(c, k, v);
}

void set_arch(SetContext& c, const KeyRef&, std::string_view v) {
  static constexpr std::string_view k32[] = {"arm",  "armel", "armhf",   "armv7l", "athlon", "i386", "i486", "i586",
                                             "i686", "linux32", "mips", "mipsel", "ppc",    "powerpc", "x86"};
  static constexpr std::string_view k64[] = {"aarch64", "amd64",   "arm64",   "linux64",  "mips64",
                                             "mips64el", "ppc64",  "ppc64el", "ppc64le",  "powerpc64",
                                             "riscv64", "s390x",   "x86_64"};
  if (v.empty()) fail("an empty value is not allowed (LXC rejects it; delete the line instead)");
  for (std::string_view a : k32)
    if (a == v) {
      c.cfg.arch = {"i686", c.origin};
      return;
    }
  for (std::string_view a : k64)
    if (a == v) {
      c.cfg.arch = {"x86_64", c.origin};
      return;
    }
  ValueError e{"unknown architecture '" + std::string(v) + "'"};
  std::vector<std::string_view> names(std::begin(k32), std::end(k32));
  names.insert(names.end(), std::begin(k64), std::end(k64));
  if (auto m = closest_match(v, names, 2)) e.notes.push_back("did you mean '" + std::string(*m) + "'?");
  throw e;
}

// ---- unsigned numbers that LXC prints as signed int ---------------------------------
// lxc.init.uid/gid, lxc.start.delay and lxc.monitor.unshare are stored
// unsigned but printed with "%d": 4294967295 reads back as -1. A negative
// number is rejected on input, so show writes the unsigned value.
template <auto Member>
std::optional<std::string> get_as_int(const Config& cfg, const KeyRef&) {
  return std::to_string(static_cast<int32_t>((cfg.*Member).value));
}
template <auto Member>
void show_unsigned(const Config& cfg, const KeySpec& k, std::string& out) {
  if ((cfg.*Member).value != (fresh_config().*Member).value) show_line(out, k.name, std::to_string((cfg.*Member).value));
}

// ---- init ------------------------------------------------------------------------
void set_init_groups(SetContext& c, const KeyRef&, std::string_view v) {
  auto& list = c.cfg.init_groups;
  if (v.empty()) {
    list.clear();
    return;
  }
  List<uint32_t> parsed;
  for (std::string_view item : split(v, ',')) {
    if (item.empty()) continue;  // "1,,2," is 1 and 2
    try {
      parsed.push_back({parse_uint(item), c.origin});
    } catch (ValueError& e) {
      e.offset = static_cast<uint32_t>(item.data() - v.data());
      e.length = static_cast<uint32_t>(item.size());
      e.message = "group '" + std::string(item) + "' is not a numeric group id";
      throw;
    }
  }
  if (parsed.empty()) fail("expected a comma-separated list of numeric group ids");
  list.insert(list.end(), parsed.begin(), parsed.end());
}
std::optional<std::string> get_init_groups(const Config& cfg, const KeyRef&) {
  std::vector<std::string> parts;
  for (const auto& g : cfg.init_groups) parts.push_back(std::to_string(static_cast<int32_t>(g.value)));
  return join(parts, ",");
}
void show_init_groups(const Config& cfg, const KeySpec& k, std::string& out) {
  std::vector<std::string> parts;
  for (const auto& g : cfg.init_groups) parts.push_back(std::to_string(g.value));
  if (!parts.empty()) show_line(out, k.name, join(parts, ","));
}

void set_environment(SetContext& c, const KeyRef& k, std::string_view v) {
  if (!v.empty() && v.find('=') == std::string_view::npos) {
    // A bare NAME copies the variable from the environment of whoever
    // loads the configuration, as LXC does.
    const char* env = std::getenv(std::string(v).c_str());
    if (!env) {
      throw ValueError{"'" + std::string(v) + "' has no '=' and is not set in the current environment",
                       0, 0, {"write NAME=VALUE, or export NAME before loading the configuration"}};
    }
    set_string_list<&Config::environment>(c, k, std::string(v) + "=" + env);
    return;
  }
  set_string_list<&Config::environment>(c, k, v);
}

// ---- id maps -------------------------------------------------------------------------
void set_idmap(SetContext& c, const KeyRef&, std::string_view v) {
  if (v.empty()) {
    c.cfg.idmaps.clear();
    return;
  }
  std::vector<std::string_view> f;
  size_t i = 0;
  while (i < v.size()) {
    while (i < v.size() && (v[i] == ' ' || v[i] == '\t' || v[i] == '\r')) ++i;
    size_t s = i;
    while (i < v.size() && v[i] != ' ' && v[i] != '\t' && v[i] != '\r') ++i;
    if (i > s) f.push_back(v.substr(s, i - s));
  }
  if (f.size() != 4) fail("expected 'u|g NSID HOSTID RANGE' (4 fields), got " + std::to_string(f.size()));
  if (f[0] != "u" && f[0] != "g") {
    throw ValueError{"the map type must be 'u' or 'g'", static_cast<uint32_t>(f[0].data() - v.data()),
                     static_cast<uint32_t>(f[0].size())};
  }
  IdMap m{f[0][0], 0, 0, 0};
  uint64_t* dst[] = {&m.ns_id, &m.host_id, &m.range};
  for (int n = 0; n < 3; ++n) {
    try {
      *dst[n] = parse_u64(f[n + 1]);
    } catch (ValueError& e) {
      e.offset = static_cast<uint32_t>(f[n + 1].data() - v.data());
      e.length = static_cast<uint32_t>(f[n + 1].size());
      throw;
    }
  }
  c.cfg.idmaps.push_back({m, c.origin});
}
std::optional<std::string> get_idmap(const Config& cfg, const KeyRef&) {
  std::vector<std::string> lines;
  for (const auto& m : cfg.idmaps) {
    lines.push_back(std::string(1, m.value.type) + " " + std::to_string(m.value.ns_id) + " " +
                    std::to_string(m.value.host_id) + " " + std::to_string(m.value.range));
  }
  return join(lines, "\n");  // no trailing newline, as in LXC
}

// ---- console, tty ----------------------------------------------------------------
template <auto Member>
void set_console_size(SetContext& c, const KeyRef&, std::string_view v) {
  auto& s = c.cfg.*Member;
  s.origin = c.origin;
  if (v.empty()) {
    s.value = 0;
    return;
  }
  bool ignored_letter = false;
  s.value = parse_console_size(v, &ignored_letter);
  if (ignored_letter) {
    std::string number(trim_right_blanks(v.substr(0, v.size() - 1)));
    c.warn("LXC ignores a one-letter suffix: '" + std::string(v) + "' means " + number +
               (number == "1" ? " byte" : " bytes") + "; write KB, MB or GB",
           static_cast<uint32_t>(v.size() - 1), 1);
  }
}

// Sizes are powers of two from 4096 to 2^63; 2^63 itself cannot be written
// (it is past LLONG_MAX) but 2^63 - 1 rounds up to it.
template <auto Member>
void show_console_size(const Config& cfg, const KeySpec& k, std::string& out) {
  uint64_t v = (cfg.*Member).value;
  if (v == (fresh_config().*Member).value) return;
  show_line(out, k.name, std::to_string(v > uint64_t{INT64_MAX} ? uint64_t{INT64_MAX} : v));
}

void set_tty_dir(SetContext& c, const KeyRef& k, std::string_view v) {
  if (v.size() >= 256) fail("directory name is longer than 255 bytes");
  set_string<&Config::tty_dir>(c, k, v);
}

// ---- logging ------------------------------------------------------------------------
void set_log_level(SetContext& c, const KeyRef&, std::string_view v) {
  c.cfg.log_level = {v.empty() ? -1 : parse_log_level(v), c.origin};
}
std::optional<std::string> get_log_level(const Config& cfg, const KeyRef&) {
  return std::string(log_level_name(cfg.log_level.value));
}

// LXC opens the log file while parsing (creating it and any missing parent
// directory) and rejects the line when that fails. corral creates nothing;
// it rejects what fails for whoever loads the file: a component that is not
// a directory, a name longer than NAME_MAX, a path that is a directory.
void set_log_file(SetContext& c, const KeyRef&, std::string_view v) {
  if (v.empty()) {
    c.cfg.log_file = {"", c.origin};
    return;
  }
  std::string path = simplify_path(v);
  size_t from = path[0] == '/' ? 1 : 0;
  bool walking = true;  // every directory so far exists
  while (from <= path.size()) {
    size_t slash = path.find('/', from);
    size_t end = slash == std::string::npos ? path.size() : slash;
    if (end - from > 255) fail("a file name in the path is longer than 255 bytes");
    struct stat st {};
    std::string prefix = path.substr(0, end);
    if (walking && ::stat(prefix.c_str(), &st) == 0) {
      if (slash != std::string::npos && !S_ISDIR(st.st_mode)) {
        fail("`" + prefix + "` is not a directory, so LXC cannot create the log file `" + path + "`");
      }
      if (slash == std::string::npos && S_ISDIR(st.st_mode)) fail("`" + path + "` is a directory, not a log file");
    } else {
      walking = false;  // LXC would create the rest
    }
    if (slash == std::string::npos) break;
    from = slash + 1;
  }
  c.cfg.log_file = {path, c.origin};
}

void set_log_syslog(SetContext& c, const KeyRef& k, std::string_view v) {
  if (!v.empty()) {
    std::string lower = to_lower(v);
    bool ok = lower == "daemon" || (lower.size() == 6 && lower.rfind("local", 0) == 0 && lower[5] >= '0' && lower[5] <= '7');
    if (!ok) fail("unknown syslog facility '" + std::string(v) + "' (expected daemon or local0 to local7)");
  }
  set_string<&Config::log_syslog>(c, k, v);
}

// ---- lists of blank-separated tokens ------------------------------------------------
void set_groups(SetContext& c, const KeyRef&, std::string_view v) {
  if (v.empty()) {
    c.cfg.groups.clear();
    return;
  }
  for (std::string_view t : split_blanks(v)) c.cfg.groups.push_back({std::string(t), c.origin});
}

#define K(name, kind, summary, example, set, get) \
  KeySpec { name, KeyShape::exact, KeyKind::kind, section, summary, example, set, get }

}  // namespace

void add_general_keys(std::vector<KeySpec>& out) {
  std::string_view section = "general";
  KeySpec include = K("lxc.include", special, "read another file, or every *.conf file of a directory, at this point",
                      "/usr/share/lxc/config/common.conf", set_include, nullptr);
  include.show = show_nothing;
  out.push_back(include);

  section = "rootfs";
  KeySpec rootfs = K("lxc.rootfs.path", scalar, "the container's root file system, optionally prefixed by its storage type",
                     "dir:/var/lib/lxc/c1/rootfs", set_rootfs_path, get_string<&Config::rootfs_path>);
  rootfs.show = show_rootfs_path;
  out.push_back(rootfs);
  out.push_back(K("lxc.rootfs.mount", scalar, "where the rootfs is mounted on the host before pivot_root",
                  "/var/lib/corral/rootfs", set_rootfs_mount, get_optional<&Config::rootfs_mount>));
  out.push_back(K("lxc.rootfs.options", scalar, "mount options for the rootfs (comma-separated)", "ro,noatime",
                  set_rootfs_options, get_string<&Config::rootfs_options>));
  out.push_back(K("lxc.rootfs.managed", scalar, "0 when the rootfs is not managed by LXC (not removed on destroy)", "0",
                  (set_bool<&Config::rootfs_managed, true>), get_bool<&Config::rootfs_managed>));

  section = "mounts";
  out.push_back(K("lxc.mount.entry", list, "one fstab line to mount at start", "proc proc proc nodev,noexec,nosuid 0 0",
                  set_mount_entry, get_string_list<&Config::mount_entries>));
  out.push_back(K("lxc.mount.fstab", scalar, "an fstab file whose lines are mounted at start", "/var/lib/lxc/c1/fstab",
                  set_mount_fstab, get_string<&Config::mount_fstab>));
  KeySpec automount = K("lxc.mount.auto", tokens, "standard file systems to mount: proc, sys, cgroup, shmounts variants",
                        "proc:mixed sys:ro cgroup:mixed", set_mount_auto, get_mount_auto);
  automount.show = show_mount_auto;
  out.push_back(automount);
  out.push_back(K("lxc.autodev", scalar, "1 to mount a tmpfs on /dev and create the standard device nodes", "1",
                  (set_bool<&Config::autodev, false>), get_bool<&Config::autodev>));
  out.push_back(K("lxc.autodev.tmpfs.size", scalar, "size in bytes of the /dev tmpfs (0 means 500000)", "1000000",
                  set_autodev_tmpfs_size, get_number<&Config::autodev_tmpfs_size>));

  section = "uts";
  out.push_back(K("lxc.uts.name", scalar, "the container's host name (at most 64 bytes)", "c1", set_uts_name,
                  get_string<&Config::uts_name>));
  out.push_back(K("lxc.arch", scalar, "the architecture personality: a 32-bit or 64-bit name", "x86_64", set_arch,
                  get_string<&Config::arch>));

  section = "init";
  out.push_back(K("lxc.init.cmd", scalar, "the command started as the container's init (split on spaces)",
                  "/sbin/init", set_string<&Config::init_cmd>, get_string<&Config::init_cmd>));
  out.push_back(K("lxc.execute.cmd", scalar, "the command lxc-execute runs when none is given", "/bin/sh -c 'echo hi'",
                  set_string<&Config::execute_cmd>, get_string<&Config::execute_cmd>));
  out.push_back(K("lxc.init.cwd", scalar, "the working directory of init, inside the container", "/root",
                  set_path<&Config::init_cwd>, get_string<&Config::init_cwd>));
  KeySpec uid = K("lxc.init.uid", scalar, "the user id init runs as", "1000", set_uint<&Config::init_uid>,
                  get_as_int<&Config::init_uid>);
  uid.show = show_unsigned<&Config::init_uid>;
  out.push_back(uid);
  KeySpec gid = K("lxc.init.gid", scalar, "the group id init runs as", "1000", set_uint<&Config::init_gid>,
                  get_as_int<&Config::init_gid>);
  gid.show = show_unsigned<&Config::init_gid>;
  out.push_back(gid);
  KeySpec groups = K("lxc.init.groups", list, "supplementary group ids of init (comma-separated)", "10,20",
                     set_init_groups, get_init_groups);
  groups.show = show_init_groups;
  out.push_back(groups);
  out.push_back(K("lxc.environment", list, "an environment variable NAME=VALUE for init (a bare NAME copies the caller's)",
                  "TERM=linux", set_environment, get_string_list<&Config::environment>));

  section = "idmap";
  out.push_back(K("lxc.idmap", list, "a user (u) or group (g) id mapping: NSID HOSTID RANGE", "u 0 100000 65536",
                  set_idmap, get_idmap));

  section = "console";
  out.push_back(K("lxc.console.path", scalar, "a host device to use as console, or none", "none",
                  set_path<&Config::console_path>, get_string<&Config::console_path>));
  out.push_back(K("lxc.console.logfile", scalar, "a file that receives the console output",
                  "/var/log/lxc/c1.console", set_path<&Config::console_logfile>, get_string<&Config::console_logfile>));
  out.push_back(K("lxc.console.rotate", scalar, "1 to rotate the console log file", "1",
                  (set_bool<&Config::console_rotate>), get_bool<&Config::console_rotate>));
  KeySpec console_size = K("lxc.console.size", scalar, "size of the console log file: auto or N[KB|MB|GB]", "64KB",
                           set_console_size<&Config::console_size>, get_number<&Config::console_size>);
  console_size.show = show_console_size<&Config::console_size>;
  out.push_back(console_size);
  KeySpec buffer_size = K("lxc.console.buffer.size", scalar, "size of the console ring buffer: auto or N[KB|MB|GB]",
                          "auto", set_console_size<&Config::console_buffer_size>,
                          get_number<&Config::console_buffer_size>);
  buffer_size.show = show_console_size<&Config::console_buffer_size>;
  out.push_back(buffer_size);
  out.push_back(K("lxc.tty.max", scalar, "number of ttys to create for the container", "4",
                  set_uint<&Config::tty_max>, get_number<&Config::tty_max>));
  out.push_back(K("lxc.tty.dir", scalar, "a directory under /dev for the container's ttys", "lxc", set_tty_dir,
                  get_string<&Config::tty_dir>));
  out.push_back(K("lxc.pty.max", scalar, "maximum number of ptys in the container's devpts", "1024",
                  set_uint<&Config::pty_max>, get_number<&Config::pty_max>));

  section = "signals";
  out.push_back(K("lxc.signal.halt", scalar, "the signal that asks init to halt (default SIGPWR)", "SIGTERM",
                  set_signal<&Config::signal_halt>, get_number<&Config::signal_halt>));
  out.push_back(K("lxc.signal.reboot", scalar, "the signal that asks init to reboot (default SIGINT)", "SIGINT",
                  set_signal<&Config::signal_reboot>, get_number<&Config::signal_reboot>));
  out.push_back(K("lxc.signal.stop", scalar, "the signal that stops init by force (default SIGKILL)", "SIGKILL",
                  set_signal<&Config::signal_stop>, get_number<&Config::signal_stop>));
  out.push_back(K("lxc.monitor.signal.pdeath", scalar, "the signal init gets when the monitor dies (empty: none)",
                  "SIGKILL", set_signal<&Config::monitor_signal_pdeath>, get_number<&Config::monitor_signal_pdeath>));
  KeySpec unshare = K("lxc.monitor.unshare", scalar, "non-zero to give the monitor its own mount namespace", "1",
                      set_uint<&Config::monitor_unshare>, get_as_int<&Config::monitor_unshare>);
  unshare.show = show_unsigned<&Config::monitor_unshare>;
  out.push_back(unshare);

  section = "start";
  out.push_back(K("lxc.start.auto", scalar, "1 to start the container when the host boots", "1",
                  (set_bool<&Config::start_auto>), get_bool<&Config::start_auto>));
  KeySpec delay = K("lxc.start.delay", scalar, "seconds to wait after starting this container at boot", "5",
                    set_uint<&Config::start_delay>, get_as_int<&Config::start_delay>);
  delay.show = show_unsigned<&Config::start_delay>;
  out.push_back(delay);
  out.push_back(K("lxc.start.order", scalar, "boot start order; higher starts first", "10",
                  set_int<&Config::start_order>, get_number<&Config::start_order>));
  out.push_back(K("lxc.group", tokens, "autostart groups this container belongs to", "web db", set_groups,
                  get_string_list<&Config::groups>));
  out.push_back(K("lxc.ephemeral", scalar, "1 to destroy the container when it stops", "1",
                  (set_bool<&Config::ephemeral>), get_bool<&Config::ephemeral>));

  section = "logging";
  out.push_back(K("lxc.log.level", scalar, "log priority: 0-8 or TRACE, DEBUG, INFO, NOTICE, WARN, ERROR, CRIT, ALERT, FATAL",
                  "INFO", set_log_level, get_log_level));
  out.push_back(K("lxc.log.file", scalar, "the file that receives the container's log", "/var/log/lxc/c1.log",
                  set_log_file, get_string<&Config::log_file>));
  out.push_back(K("lxc.log.syslog", scalar, "send the log to syslog with this facility: daemon or local0-7", "daemon",
                  set_log_syslog, get_string<&Config::log_syslog>));
}

}  // namespace corral::config
