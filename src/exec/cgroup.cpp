#include "exec/cgroup.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/sched.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstddef>
#include <optional>
#include <set>
#include <span>
#include <string_view>
#include <thread>

#include "util/fs.hpp"
#include "util/proctitle.hpp"
#include "util/raw_syscall.hpp"
#include "util/strings.hpp"

namespace corral::exec {
namespace {

/// The cgroup2 files a delegated cgroup's owner needs (LXC's
/// chown_cgroup_wrapper): its container's and an attach leaf's.
constexpr const char* kDelegatedV2Files[] = {"cgroup.procs", "cgroup.subtree_control", "cgroup.threads"};

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::string_view kCgroupRoot = "/sys/fs/cgroup";
constexpr int kMaxRetrySuffix = 999;           // NAME-1 ... NAME-999, as CGROUP_CREATE_RETRY
constexpr milliseconds kMaxPollInterval{100};  // freezer and kill polling, growing from 1 ms

// ---- small file helpers -----------------------------------------------------------------

std::string join_path(std::string_view a, std::string_view b) {
  std::string out(a);
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  while (!b.empty() && b.front() == '/') b.remove_prefix(1);
  if (b.empty()) return out;
  if (out.empty() || out.back() != '/') out += '/';
  out += b;
  return out;
}

std::string hierarchy_root(const CgroupHierarchy& h) { return join_path(kCgroupRoot, h.mount_dir); }

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

/// Reads a whole cgroup file; errno on failure.
int read_text(const std::string& path, std::string* out) {
  Result<std::string> text = read_text_file(path);
  if (!text) return text.error().sys_errno();
  *out = std::move(text.value());
  return 0;
}

/// One write(2) of the whole value, as cgroup files want it; errno on failure.
int write_text(const std::string& path, std::string_view value) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  ssize_t n;
  do {
    n = ::write(fd, value.data(), value.size());
  } while (n < 0 && errno == EINTR);
  int e = n < 0 ? errno : static_cast<size_t>(n) == value.size() ? 0 : EIO;
  ::close(fd);
  return e;
}

Result<void> write_or_error(const std::string& path, std::string_view value) {
  if (int e = write_text(path, value)) return Error::system("write", path, e);
  return {};
}

std::optional<uint64_t> parse_u64(std::string_view s) {
  s = trim(s);
  if (s.empty()) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    uint64_t next = v * 10 + static_cast<uint64_t>(c - '0');
    if (next / 10 != v) return std::nullopt;
    v = next;
  }
  return v;
}

std::optional<uint64_t> read_u64(const std::string& path) {
  std::optional<std::string> text = try_read_text_file(path);
  return text ? parse_u64(*text) : std::nullopt;
}

/// The value of `key` in a flat-keyed file ("key value" lines: cpu.stat, memory.stat).
std::optional<uint64_t> keyed_value(const std::string& text, std::string_view key) {
  for (std::string_view line : split(text, '\n')) {
    std::vector<std::string_view> f = split_blanks(line);
    if (f.size() == 2 && f[0] == key) return parse_u64(f[1]);
  }
  return std::nullopt;
}

bool is_dir_entry(const std::string& dir, const dirent* e) {
  if (e->d_type == DT_DIR) return true;
  if (e->d_type != DT_UNKNOWN) return false;
  struct stat st {};
  return ::lstat(join_path(dir, e->d_name).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

/// The sub-directories (child cgroups) of `dir`; none if it cannot be read.
std::vector<std::string> child_cgroups(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  while (const dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    if (is_dir_entry(dir, e)) out.push_back(join_path(dir, name));
  }
  ::closedir(d);
  return out;
}

/// The processes in `dir` and every cgroup below it.
void collect_pids(const std::string& dir, std::set<pid_t>* out) {
  if (std::optional<std::string> procs = try_read_text_file(join_path(dir, "cgroup.procs"))) {
    for (std::string_view line : split(*procs, '\n'))
      if (std::optional<uint64_t> pid = parse_u64(line)) out->insert(static_cast<pid_t>(*pid));
  }
  for (const std::string& child : child_cgroups(dir)) collect_pids(child, out);
}

/// rmdir(2) on a cgroup, retried briefly on EBUSY: a task that was just
/// killed can keep it populated for a moment.
int remove_cgroup(const std::string& dir) {
  for (int attempt = 0;; ++attempt) {
    if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return 0;
    if (errno != EBUSY || attempt == 50) return errno;
    std::this_thread::sleep_for(milliseconds(10));
  }
}

/// Best-effort teardown: every step runs; the first failure (with its
/// context, when given) is what the caller gets.
struct FirstError {
  std::optional<Error> first;
  void note(Result<void> r) {
    if (!r && !first) first = std::move(r.error());
  }
  void note(Result<void> r, const std::string& context) {
    if (!r) note(std::move(r.error().wrap(context)));
  }
  Result<void> result() const { return first ? Result<void>(*first) : Result<void>(); }
};

/// Removes a cgroup and everything below it, bottom-up (cgroup_tree_prune).
Result<void> remove_cgroup_tree(const std::string& dir) {
  FirstError errors;
  for (const std::string& child : child_cgroups(dir)) errors.note(remove_cgroup_tree(child));
  if (int e = remove_cgroup(dir)) errors.note(Error::system("rmdir", dir, e));
  return errors.result();
}

/// The parts of a cgroup path below the base. Like __cgroup_tree_create,
/// refuses parts that walk upwards; empty parts are skipped.
Result<std::vector<std::string>> path_parts(const std::string& rel, std::string_view what) {
  std::vector<std::string> parts;
  for (std::string_view p : split(rel, '/')) {
    if (p.empty() || p == ".") continue;
    if (p.substr(0, 2) == "..")
      return Error::usage(std::string(what) + " cgroup `" + rel + "` walks upwards (\"..\"), which is not allowed");
    parts.emplace_back(p);
  }
  if (parts.empty()) return Error::usage(std::string(what) + " cgroup name is empty");
  return parts;
}

constexpr const char* kCpusetFiles[] = {"cpuset.cpus", "cpuset.mems"};

/// The parent's value of a cpuset file, trimmed: what a new cgroup gets.
Result<std::string> parent_cpuset(const std::string& parent, const char* file) {
  std::string theirs;
  if (int e = read_text(join_path(parent, file), &theirs)) return Error::system("read", join_path(parent, file), e);
  return std::string(trim(theirs));
}

/// cpuset1_initialize: a new v1 cpuset cgroup has no cpus and no mems, and
/// no task can be moved into it until it has both. Copies the parent's and
/// turns on clone_children so that deeper levels inherit them. (LXC also
/// computes the parent's cpus minus isolated and offline ones, but then
/// writes the unmodified parent list either way; so does this.) A `fresh`
/// directory, made just now, holds either nothing or its parent's values
/// (the parent's clone_children), so its own are not read first.
Result<void> cpuset_init(const std::string& parent, const std::string& child, bool fresh) {
  for (const char* file : kCpusetFiles) {
    std::string mine;
    if (!fresh && read_text(join_path(child, file), &mine) == 0 && !trim(mine).empty()) continue;
    Result<std::string> theirs = parent_cpuset(parent, file);
    if (!theirs) return std::move(theirs.error());
    if (theirs.value().empty()) continue;
    CORRAL_TRY(write_or_error(join_path(child, file), theirs.value()));
  }
  return write_or_error(join_path(child, "cgroup.clone_children"), "1");
}

/// mkdir -p `base`/`parts`; the last part must be new unless `reuse_last`.
/// Every directory made is appended to `made`, so that a caller can undo.
Result<void> make_tree(const std::string& base, const std::vector<std::string>& parts, bool reuse_last, bool cpuset_v1,
                       std::vector<std::string>* made) {
  std::string cur = base;
  for (size_t i = 0; i < parts.size(); ++i) {
    std::string parent = cur;
    cur = join_path(cur, parts[i]);
    bool last = i + 1 == parts.size();
    bool fresh = ::mkdir(cur.c_str(), 0755) == 0;
    if (fresh)
      made->push_back(cur);
    else if (errno != EEXIST || (last && !reuse_last))
      return Error::system("mkdir", cur, errno);
    if (cpuset_v1 && i == 0) CORRAL_TRY(cpuset_init(parent, cur, fresh));
  }
  return {};
}

void undo(std::vector<std::string>* made) {
  for (auto it = made->rbegin(); it != made->rend(); ++it) ::rmdir(it->c_str());
  made->clear();
}

bool has(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

/// "file:line:col" of a CgroupWrite, or "" when no line is to blame.
std::string at(const std::string& where) { return where.empty() ? std::string() : where + ": "; }

std::string quoted(std::string_view s) { return "'" + escape_control(s) + "'"; }

bool is_devices_file(std::string_view file) { return file.substr(0, 7) == "devices"; }

/// Waits until `done` holds, polling with a growing interval; false on timeout.
template <class Pred>
bool poll_until(Pred done, int timeout_ms) {
  auto deadline = Clock::now() + milliseconds(timeout_ms < 0 ? 0 : timeout_ms);
  milliseconds step{1};
  for (;;) {
    if (done()) return true;
    if (timeout_ms >= 0 && Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(step);
    step = std::min(step * 2, kMaxPollInterval);
  }
}

bool events_frozen(const std::string& text, bool want) {
  for (std::string_view line : split(text, '\n'))
    if (trim(line) == (want ? "frozen 1" : "frozen 0")) return true;
  return false;
}

/// Waits for "frozen 0|1" in cgroup.events, woken by the kernel's POLLPRI
/// notification (re-read at least every kMaxPollInterval in case one is missed).
Result<void> wait_events(const std::string& dir, bool want, int timeout_ms) {
  std::string path = join_path(dir, "cgroup.events");
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error::system("open", path, errno);
  auto deadline = Clock::now() + milliseconds(timeout_ms < 0 ? 0 : timeout_ms);
  for (;;) {
    char buf[512];
    ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    if (n < 0) {
      int e = errno;
      ::close(fd);
      return Error::system("read", path, e);
    }
    if (events_frozen(std::string(buf, static_cast<size_t>(n)), want)) break;
    int wait = static_cast<int>(kMaxPollInterval.count());
    if (timeout_ms >= 0) {
      auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) {
        ::close(fd);
        return Error::system(want ? "waiting for \"frozen 1\" in" : "waiting for \"frozen 0\" in", path, ETIMEDOUT);
      }
      wait = static_cast<int>(std::min<long long>(left, wait));
    }
    pollfd p{fd, POLLPRI, 0};
    ::poll(&p, 1, wait);
  }
  ::close(fd);
  return {};
}

// ---- device rules: v1 device paths and the cgroup2 device program ------------------------

struct DeviceRule {
  char type = 'a';  // 'a', 'b', 'c'
  int major = -1;   // -1 = '*'
  int minor = -1;
  std::string access;  // up to three of r, w, m
  bool allow = false;
};

/// device_cgroup_parse_access: up to three characters of "rwm".
bool parse_access(std::string_view s, std::string* out) {
  out->clear();
  for (size_t i = 0; i < 3 && i < s.size(); ++i) {
    char c = s[i];
    if (c == '\n') break;
    if (c != 'r' && c != 'w' && c != 'm') return false;
    *out += c;
  }
  return true;
}

/// device_cgroup_rule_parse_devpath: "/dev/PATH ACCESS" (anything after
/// the access word is ignored) becomes a rule for that device node.
Result<DeviceRule> parse_devpath(std::string_view value) {
  std::vector<std::string_view> words = split_blanks(value);
  DeviceRule r;
  r.allow = true;
  if (words.size() < 2 || !parse_access(words[1], &r.access))
    return Error(Error::Kind::config, "expected a device path and an access mode (r, w, m) in " + quoted(value));
  std::string path(words[0]);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Error::system("stat", path, errno);
  if (S_ISBLK(st.st_mode))
    r.type = 'b';
  else if (S_ISCHR(st.st_mode))
    r.type = 'c';
  else
    return Error(Error::Kind::config, "`" + path + "` is not a block or character device");
  r.major = static_cast<int>(major(st.st_rdev));
  r.minor = static_cast<int>(minor(st.st_rdev));
  return r;
}

std::string rule_text(const DeviceRule& r) {
  return std::string(1, r.type) + " " + std::to_string(r.major) + ":" + std::to_string(r.minor) + " " + r.access;
}

/// A major or minor number: '*' (-1) or digits.
bool parse_number(std::string_view* s, int* out) {
  if (!s->empty() && s->front() == '*') {
    *out = -1;
    s->remove_prefix(1);
    return true;
  }
  size_t n = 0;
  long long v = 0;
  while (n < s->size() && std::isdigit(static_cast<unsigned char>((*s)[n]))) {
    v = v * 10 + ((*s)[n] - '0');
    if (v > 0x7fffffff) return false;
    ++n;
  }
  if (n == 0) return false;
  *out = static_cast<int>(v);
  s->remove_prefix(n);
  return true;
}

/// device_cgroup_rule_parse: "a" (a global rule, returned with type 'A'),
/// or "TYPE MAJOR:MINOR ACCESS" with '*' for any number.
std::optional<DeviceRule> parse_device_rule(std::string_view key, std::string_view v) {
  DeviceRule r;
  r.allow = key == "devices.allow";
  if (v == "a") {
    r.type = 'A';
    return r;
  }
  if (v.size() < 2 || (v[0] != 'a' && v[0] != 'b' && v[0] != 'c') || !std::isspace(static_cast<unsigned char>(v[1])))
    return std::nullopt;
  r.type = v[0];
  v.remove_prefix(2);
  if (!parse_number(&v, &r.major) || v.empty() || v.front() != ':') return std::nullopt;
  v.remove_prefix(1);
  if (!parse_number(&v, &r.minor) || v.empty() || !std::isspace(static_cast<unsigned char>(v.front())))
    return std::nullopt;
  v.remove_prefix(1);
  if (!parse_access(v, &r.access)) return std::nullopt;
  return r;
}

/// The rules as LXC keeps them (bpf_list_add_device): a global rule sets
/// the default and clears the list; a rule equal to an earlier one in
/// type, numbers and access replaces its verdict.
struct DeviceList {
  bool allow_by_default = false;  // LXC's zero-initialised list type: an allowlist, everything else denied
  std::vector<DeviceRule> rules;

  void add(const DeviceRule& r) {
    if (r.type == 'A') {
      allow_by_default = r.allow;
      rules.clear();
      return;
    }
    for (DeviceRule& cur : rules) {
      if (cur.type == r.type && cur.major == r.major && cur.minor == r.minor && cur.access == r.access) {
        cur.allow = r.allow;
        return;
      }
    }
    rules.push_back(r);
  }
};

bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn i{};
  i.code = code;
  i.dst_reg = dst & 0xf;
  i.src_reg = src & 0xf;
  i.off = off;
  i.imm = imm;
  return i;
}

/// The program LXC's cgroup2_devices.c generates: r2 = device type,
/// r3 = access, r4 = major, r5 = minor; per rule a chain of "skip to the
/// next rule unless it matches" jumps and the verdict; the default last.
/// An allowlist only carries allow rules, a denylist only deny rules.
std::vector<bpf_insn> device_program(const DeviceList& list) {
  std::vector<bpf_insn> p = {
      insn(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_2, BPF_REG_1, offsetof(bpf_cgroup_dev_ctx, access_type), 0),
      insn(BPF_ALU | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 0xFFFF),
      insn(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_3, BPF_REG_1, offsetof(bpf_cgroup_dev_ctx, access_type), 0),
      insn(BPF_ALU | BPF_RSH | BPF_K, BPF_REG_3, 0, 0, 16),
      insn(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_4, BPF_REG_1, offsetof(bpf_cgroup_dev_ctx, major), 0),
      insn(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_5, BPF_REG_1, offsetof(bpf_cgroup_dev_ctx, minor), 0),
  };
  for (const DeviceRule& r : list.rules) {
    if (r.allow == list.allow_by_default) continue;  // bpf_device_add: redundant with the default
    int32_t mask = 0;
    for (char c : r.access)
      mask |= c == 'r' ? BPF_DEVCG_ACC_READ : c == 'w' ? BPF_DEVCG_ACC_WRITE : BPF_DEVCG_ACC_MKNOD;
    bool all_access = mask == (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD);
    int32_t type = r.type == 'b' ? BPF_DEVCG_DEV_BLOCK : r.type == 'c' ? BPF_DEVCG_DEV_CHAR : 0;
    int16_t skip = 1 + (all_access ? 0 : 1) + (type ? 1 : 0) + (r.major >= 0 ? 1 : 0) + (r.minor >= 0 ? 1 : 0);
    if (!all_access) {
      p.push_back(insn(BPF_ALU | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_3, 0, 0));
      p.push_back(insn(BPF_ALU | BPF_AND | BPF_K, BPF_REG_1, 0, 0, mask));
      p.push_back(insn(BPF_JMP | BPF_JNE | BPF_X, BPF_REG_1, BPF_REG_3, skip--, 0));
    }
    if (type) p.push_back(insn(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_2, 0, skip--, type));
    if (r.major >= 0) p.push_back(insn(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_4, 0, skip--, r.major));
    if (r.minor >= 0) p.push_back(insn(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_5, 0, skip--, r.minor));
    p.push_back(insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, r.allow ? 1 : 0));
    p.push_back(insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
  }
  p.push_back(insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, list.allow_by_default ? 1 : 0));
  p.push_back(insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
  return p;
}

int sys_bpf(int cmd, bpf_attr* attr) { return static_cast<int>(::syscall(__NR_bpf, cmd, attr, sizeof *attr)); }

/// Loads the program and attaches it to `dir` with BPF_F_ALLOW_MULTI, as
/// bpf_cgroup_devices_attach does. The fds are closed again: the cgroup
/// keeps the program until it is removed.
Result<void> attach_device_program(const std::string& dir, const DeviceList& list) {
  std::vector<bpf_insn> prog = device_program(list);
  static const char kLicense[] = "GPL";
  bpf_attr load{};
  load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  load.insns = reinterpret_cast<uint64_t>(prog.data());
  load.insn_cnt = static_cast<uint32_t>(prog.size());
  load.license = reinterpret_cast<uint64_t>(kLicense);
  int prog_fd = sys_bpf(BPF_PROG_LOAD, &load);
  if (prog_fd < 0) return Error::system("load the cgroup2 device program for", dir, errno);
  int cg_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cg_fd < 0) {
    int e = errno;
    ::close(prog_fd);
    return Error::system("open", dir, e);
  }
  bpf_attr attach{};
  attach.target_fd = static_cast<uint32_t>(cg_fd);
  attach.attach_bpf_fd = static_cast<uint32_t>(prog_fd);
  attach.attach_type = BPF_CGROUP_DEVICE;
  attach.attach_flags = BPF_F_ALLOW_MULTI;
  int rc = sys_bpf(BPF_PROG_ATTACH, &attach);
  int e = errno;
  ::close(cg_fd);
  ::close(prog_fd);
  if (rc < 0) return Error::system("attach the cgroup2 device program to", dir, e);
  return {};
}

// ---- /proc/PID/cgroup -----------------------------------------------------------------------

/// `a` is `b` or one of its ancestors ("/" is everyone's).
bool is_ancestor_or_same(std::string_view a, std::string_view b) {
  while (a.size() > 1 && a.back() == '/') a.remove_suffix(1);
  while (b.size() > 1 && b.back() == '/') b.remove_suffix(1);
  if (a == "/" || a.empty()) return true;
  return b == a || (b.size() > a.size() && b.compare(0, a.size(), a) == 0 && b[a.size()] == '/');
}

/// Where a container's payload is, given the cgroup of its init: up to the
/// last component named lxc.payload.* (init may have moved into a
/// sub-cgroup of its own, e.g. systemd's init.scope), else init's cgroup.
std::string payload_of(const std::string& init_path) {
  std::vector<std::string_view> parts = split(init_path, '/');
  size_t cut = parts.size();
  for (size_t i = parts.size(); i-- > 0;) {
    if (parts[i].substr(0, 12) == "lxc.payload.") {
      cut = i + 1;
      break;
    }
  }
  std::string out;
  for (size_t i = 0; i < cut; ++i)
    if (!parts[i].empty()) out += "/" + std::string(parts[i]);
  return out.empty() ? "/" : out;
}

}  // namespace

std::vector<ProcCgroupLine> parse_proc_cgroup(std::string_view text) {
  std::vector<ProcCgroupLine> out;
  for (std::string_view line : split(text, '\n')) {
    size_t a = line.find(':');
    size_t b = a == std::string_view::npos ? a : line.find(':', a + 1);
    if (b == std::string_view::npos) continue;
    ProcCgroupLine l;
    for (std::string_view c : split(line.substr(a + 1, b - a - 1), ','))
      if (!c.empty()) l.controllers.emplace_back(c);
    l.path = std::string(line.substr(b + 1));
    out.push_back(std::move(l));
  }
  return out;
}

// ---- creating --------------------------------------------------------------------------------

/// cgfsng_monitor_create / cgfsng_payload_create: the same name (plus
/// `inner` below it) in every hierarchy; a failure anywhere removes what
/// this try made and, on a clash, tries the next suffix. Every directory
/// made is appended to `made`, in creation order.
Result<std::string> ContainerCgroups::create_everywhere(const std::vector<std::string>& parts, const std::string& name,
                                                        bool retry, const std::vector<std::string>& inner_parts,
                                                        std::vector<std::string>* made, Where where) {
  for (int idx = 0; idx <= (retry ? kMaxRetrySuffix : 0); ++idx) {
    std::vector<std::string> try_parts = parts;
    std::string try_name = name;
    if (idx) {
      try_parts.back() += "-" + std::to_string(idx);
      try_name += "-" + std::to_string(idx);
    }
    std::vector<std::string> tried;
    std::optional<Error> failed;
    for (Hierarchy& h : hierarchies_) {
      if (where == Where::v1_only && h.unified) continue;
      std::string dir = join_path(h.base_dir, join(try_parts, "/"));
      if (where == Where::unified_only && !h.unified) {
        // Made later under this name (add_payload_v1): it must be free now.
        if (::access(dir.c_str(), F_OK) == 0) {
          failed = Error::system("mkdir", dir, EEXIST);
          break;
        }
        continue;
      }
      bool cpuset_v1 = !h.unified && has(h.controllers, "cpuset");
      Result<void> r = make_tree(h.base_dir, try_parts, false, cpuset_v1, &tried);
      if (r && !inner_parts.empty()) r = make_tree(dir, inner_parts, false, cpuset_v1, &tried);
      if (!r) {
        failed = r.error();
        break;
      }
    }
    if (!failed) {
      made->insert(made->end(), tried.begin(), tried.end());
      return try_name;
    }
    undo(&tried);
    if (!retry || failed->sys_errno() != EEXIST) return *failed;
  }
  return Error(Error::Kind::system, "cgroups `" + name + "` to `" + name + "-" + std::to_string(kMaxRetrySuffix) +
                                        "` all exist in some hierarchy");
}

Result<ContainerCgroups> ContainerCgroups::create(const HostFacts& host, const CreateCgroups& step) {
  Result<ContainerCgroups> cg = create_payload(host, step);
  if (!cg) return cg;
  Result<void> monitor = cg.value().create_monitor(step);
  if (!monitor) {
    cg.value().undo_creation();
    return std::move(monitor.error());
  }
  return cg;
}

void ContainerCgroups::undo_creation() {
  undo(&made_);
  for (Hierarchy& h : hierarchies_) {
    h.monitor.clear();
    h.payload.clear();
    h.inner.clear();
  }
  payload_destroyed_ = monitor_destroyed_ = true;
}

Result<ContainerCgroups> ContainerCgroups::create_payload(const HostFacts& host, const CreateCgroups& step) {
  Result<ContainerCgroups> cg = for_host(host, step);
  if (!cg) return cg;
  CORRAL_TRY(cg.value().add_payload(step));
  return cg;
}

Result<ContainerCgroups> ContainerCgroups::create_monitor_first(const HostFacts& host, const CreateCgroups& step) {
  Result<ContainerCgroups> cg = for_host(host, step);
  if (!cg) return cg;
  CORRAL_TRY(cg.value().create_monitor(step));
  return cg;
}

Result<ContainerCgroups> ContainerCgroups::for_host(const HostFacts& host, const CreateCgroups& step) {
  ContainerCgroups cg;
  cg.layout_ = host.cgroup_layout;
  cg.pivot_name_ = step.pivot;
  for (const CgroupHierarchy& h : host.cgroup_hierarchies) {
    Hierarchy x;
    x.base_dir = join_path(hierarchy_root(h), step.relative ? h.self_base : h.base);
    x.origin = join_path(hierarchy_root(h), h.self_base);
    x.unified = h.unified;
    x.controllers = h.controllers;
    cg.hierarchies_.push_back(std::move(x));
  }
  if (!step.pivot.empty()) {
    Result<std::vector<std::string>> pivot = path_parts(step.pivot, "the pivot");
    if (!pivot) return pivot.error();
  }
  // Checked now so that a bad monitor name fails before anything is made.
  Result<std::vector<std::string>> monitor_parts = path_parts(step.monitor, "the monitor");
  if (!monitor_parts) return monitor_parts.error();
  Result<std::vector<std::string>> payload_parts = path_parts(step.payload, "the payload");
  if (!payload_parts) return payload_parts.error();
  return cg;
}

namespace {

/// payload_inner's path below the payload cgroup, as parts; none without one.
Result<std::vector<std::string>> inner_parts_of(const CreateCgroups& step) {
  if (step.payload_inner.empty()) return std::vector<std::string>();
  std::string prefix = step.payload + "/";
  if (step.payload_inner.compare(0, prefix.size(), prefix) != 0)
    return Error::usage("the inner cgroup `" + step.payload_inner + "` is not below the payload cgroup `" +
                        step.payload + "`");
  return path_parts(step.payload_inner.substr(prefix.size()), "the inner");
}

}  // namespace

Result<void> ContainerCgroups::add_payload(const CreateCgroups& step) {
  ContainerCgroups& cg = *this;
  Result<std::vector<std::string>> payload_parts = path_parts(step.payload, "the payload");
  if (!payload_parts) return payload_parts.error();
  Result<std::vector<std::string>> inner = inner_parts_of(step);
  if (!inner) return inner.error();
  const std::vector<std::string>& inner_parts = inner.value();

  const size_t made_before = made_.size();
  Result<std::string> payload =
      cg.create_everywhere(payload_parts.value(), step.payload, step.payload_retry, inner_parts, &cg.made_,
                           step.v1_payload_after_clone ? Where::unified_only : Where::all);
  if (!payload) return std::move(payload.error().wrap("creating the payload cgroup `" + step.payload + "`"));
  cg.payload_name_ = payload.value();
  for (Hierarchy& h : cg.hierarchies_) {
    h.payload = join_path(h.base_dir, cg.payload_name_);
    if (!inner_parts.empty()) h.inner = join_path(h.payload, join(inner_parts, "/"));
  }

  // __cgfsng_delegate_controllers, pure cgroup2 only: every cgroup from the
  // base down to init's parent enables the base's controllers for its
  // children, so that the limits can be written and the container can
  // delegate further.
  if (cg.layout_ == CgroupLayout::unified) {
    if (const Hierarchy* u = cg.unified()) {
      std::string controllers;
      if (std::optional<std::string> text = try_read_text_file(join_path(u->base_dir, "cgroup.controllers"))) {
        // split_blanks gives views into *text, which outlives the loop
        for (std::string_view c : split_blanks(trim(*text)))
          controllers += (controllers.empty() ? "+" : " +") + std::string(c);
      }
      if (!controllers.empty()) {
        std::string init_dir = u->init_dir();
        std::vector<std::string> chain;
        for (std::string d = init_dir; d.size() > u->base_dir.size(); d = d.substr(0, d.rfind('/')))
          chain.insert(chain.begin(), d.substr(0, d.rfind('/')));
        for (const std::string& d : chain) {
          Result<void> r = write_or_error(join_path(d, "cgroup.subtree_control"), controllers);
          if (!r) {
            // Only what this call made: a monitor cgroup made first stays
            // for destroy(), which also moves the monitor out of it.
            std::vector<std::string> payload_made(made_.begin() + static_cast<std::ptrdiff_t>(made_before), made_.end());
            made_.resize(made_before);
            undo(&payload_made);
            for (Hierarchy& h : hierarchies_) {
              h.payload.clear();
              h.inner.clear();
            }
            return std::move(r.error().wrap("delegating the controllers `" + controllers + "` to the payload cgroup"));
          }
        }
      }
    }
  }
  return {};
}

Result<void> ContainerCgroups::add_payload_v1(const CreateCgroups& step) {
  Result<std::vector<std::string>> parts = path_parts(payload_name_, "the payload");
  if (!parts) return parts.error();
  Result<std::vector<std::string>> inner = inner_parts_of(step);
  if (!inner) return inner.error();
  Result<std::string> made = create_everywhere(parts.value(), payload_name_, false, inner.value(), &made_, Where::v1_only);
  if (made) return {};
  return v1_payload_failed(std::move(made.error()));
}

Error ContainerCgroups::v1_payload_failed(Error e) {
  // What is there now is not this container's: destroy() leaves it alone.
  for (Hierarchy& h : hierarchies_) {
    if (h.unified) continue;
    h.payload.clear();
    h.inner.clear();
  }
  return std::move(e.wrap("creating the payload cgroup `" + payload_name_ + "` in the v1 hierarchies"));
}

Result<std::optional<ContainerCgroups::PayloadV1Batch>> ContainerCgroups::prepare_payload_v1(
    const CreateCgroups& step) {
  if (!step.payload_inner.empty() || payload_name_.find('/') != std::string::npos)
    return std::optional<PayloadV1Batch>();
  PayloadV1Batch batch;
  for (const Hierarchy& h : hierarchies_) {
    if (h.unified) continue;
    std::string dir = join_path(h.base_dir, payload_name_);
    batch.ops.push_back({dir, {}, true});
    if (!has(h.controllers, "cpuset")) continue;
    // cpuset_init of a fresh cgroup, its parent's values read now.
    for (const char* file : kCpusetFiles) {
      Result<std::string> theirs = parent_cpuset(h.base_dir, file);
      if (!theirs) return std::move(theirs.error());
      if (!theirs.value().empty()) batch.ops.push_back({join_path(dir, file), std::move(theirs.value()), false});
    }
    batch.ops.push_back({join_path(dir, "cgroup.clone_children"), "1", false});
  }
  // finish_payload_v1 moves the directories into made_ without allocating.
  made_.reserve(made_.size() + batch.ops.size());
  return std::optional<PayloadV1Batch>(std::move(batch));
}

void ContainerCgroups::PayloadV1Batch::run() {
  for (done = 0; done < ops.size(); ++done) {
    const Op& op = ops[done];
    long r;
    if (op.mkdir) {
      r = raw_syscall(__NR_mkdirat, AT_FDCWD, reinterpret_cast<long>(op.path.c_str()), 0755);
    } else {
      r = raw_syscall(__NR_openat, AT_FDCWD, reinterpret_cast<long>(op.path.c_str()), O_WRONLY | O_CLOEXEC);
      if (r >= 0) {
        long fd = r;
        r = raw_syscall(__NR_write, fd, reinterpret_cast<long>(op.value.data()), static_cast<long>(op.value.size()));
        raw_syscall(__NR_close, fd);
      }
    }
    if (r < 0) {
      err = static_cast<int>(-r);
      return;
    }
  }
}

Result<void> ContainerCgroups::finish_payload_v1(PayloadV1Batch& batch) {
  if (batch.done == batch.ops.size()) {
    for (PayloadV1Batch::Op& op : batch.ops)
      if (op.mkdir) made_.push_back(std::move(op.path));
    return {};
  }
  // What this batch made goes (the unified payload stays for destroy()).
  std::vector<std::string> batch_made;
  for (size_t i = 0; i < batch.done; ++i)
    if (batch.ops[i].mkdir) batch_made.push_back(batch.ops[i].path);
  undo(&batch_made);
  const PayloadV1Batch::Op& failed = batch.ops[batch.done];
  return v1_payload_failed(Error::system(failed.mkdir ? "mkdir" : "write", failed.path, batch.err));
}

Result<void> ContainerCgroups::create_monitor(const CreateCgroups& step) {
  Result<std::vector<std::string>> parts = path_parts(step.monitor, "the monitor");
  if (!parts) return parts.error();
  Result<std::string> monitor = create_everywhere(parts.value(), step.monitor, step.monitor_retry, {}, &made_);
  if (!monitor) return std::move(monitor.error().wrap("creating the monitor cgroup `" + step.monitor + "`"));
  adopt_monitor(monitor.value());
  return {};
}

void ContainerCgroups::adopt_monitor(const std::string& name) {
  monitor_name_ = name;
  for (Hierarchy& h : hierarchies_) h.monitor = join_path(h.base_dir, monitor_name_);
}

Result<ContainerCgroups> ContainerCgroups::for_pid(const HostFacts& host, pid_t init_pid) {
  std::string file = "/proc/" + std::to_string(init_pid) + "/cgroup";
  std::string text;
  if (int e = read_text(file, &text)) return Error::system("read", file, e);
  std::vector<ProcCgroupLine> lines = parse_proc_cgroup(text);
  ContainerCgroups cg;
  cg.layout_ = host.cgroup_layout;
  std::string outside;  // a cgroup that is no container's, for the message
  for (const CgroupHierarchy& h : host.cgroup_hierarchies) {
    auto line = std::find_if(lines.begin(), lines.end(), [&](const ProcCgroupLine& l) {
      if (h.unified) return l.controllers.empty();
      if (l.controllers.size() != h.controllers.size()) return false;
      return std::all_of(l.controllers.begin(), l.controllers.end(),
                         [&](const std::string& c) { return has(h.controllers, c); });
    });
    if (line == lines.end()) continue;
    std::string payload = payload_of(line->path);
    // Never treat the base (or anything above it) as a container's cgroup:
    // destroy() would kill and remove everything below it.
    if (is_ancestor_or_same(payload, h.base) || is_ancestor_or_same(payload, h.self_base)) {
      outside = line->path;
      continue;
    }
    Hierarchy x;
    x.base_dir = join_path(hierarchy_root(h), h.base);
    x.unified = h.unified;
    x.controllers = h.controllers;
    x.payload = join_path(hierarchy_root(h), payload);
    if (cg.payload_name_.empty()) {
      cg.payload_name_ =
          is_ancestor_or_same(h.base, payload) && h.base != "/" ? payload.substr(h.base.size()) : payload;
      while (!cg.payload_name_.empty() && cg.payload_name_.front() == '/') cg.payload_name_.erase(0, 1);
    }
    cg.hierarchies_.push_back(std::move(x));
  }
  if (cg.hierarchies_.empty()) {
    return Error(Error::Kind::system, "process " + std::to_string(init_pid) + " is in no container's cgroup" +
                                          (outside.empty() ? std::string() : " (it is in `" + outside + "`)"));
  }
  return cg;
}

// ---- entering ---------------------------------------------------------------------------------

Result<void> ContainerCgroups::enter(pid_t pid, bool monitor) {
  std::string value = std::to_string(pid);
  for (const Hierarchy& h : hierarchies_) {
    const std::string& dir = monitor ? h.monitor : h.init_dir();
    if (dir.empty()) return Error(Error::Kind::internal, "no monitor cgroup is known for this container");
    Result<void> r = write_or_error(join_path(dir, "cgroup.procs"), value);
    if (!r)
      return std::move(
          r.error().wrap("moving process " + value + " into the " + (monitor ? "monitor" : "payload") + " cgroup"));
  }
  return {};
}

Result<void> ContainerCgroups::enter_monitor(pid_t pid) { return enter(pid, true); }
Result<void> ContainerCgroups::enter_payload(pid_t pid) { return enter(pid, false); }

namespace {

/// Whether the calling process has exactly one thread; when unsure, no.
bool single_threaded() {
  std::vector<unsigned long> f = self_stat_fields();
  return f.size() > 20 && f[20] == 1;
}

}  // namespace

Result<void> ContainerCgroups::move_self(Target to, Where where) {
  const bool one_thread = where != Where::unified_only && single_threaded();  // matters on v1 only
  const std::string pid = std::to_string(::getpid());
  for (const Hierarchy& h : hierarchies_) {
    if (h.unified ? where == Where::v1_only : where == Where::unified_only) continue;
    const std::string& dir = to == Target::monitor ? h.monitor
                             : to == Target::origin ? (h.monitor.empty() ? std::string() : h.origin)
                                                    : h.init_dir();
    if (dir.empty()) {
      if (to == Target::origin) continue;
      return Error(Error::Kind::internal, "no monitor cgroup is known for this container");
    }
    Result<void> r = !h.unified && one_thread ? write_or_error(join_path(dir, "tasks"), "0")
                                              : write_or_error(join_path(dir, "cgroup.procs"), pid);
    if (!r) {
      const char* what = to == Target::monitor ? "into the monitor cgroup"
                         : to == Target::payload ? "into the payload cgroup"
                                                 : "back out of the monitor cgroup";
      return std::move(r.error().wrap("moving process " + pid + " " + what));
    }
  }
  return {};
}

Result<void> ContainerCgroups::enter_monitor_self(bool skip_unified) {
  CORRAL_TRY(move_self(Target::monitor, skip_unified ? Where::v1_only : Where::all));
  in_monitor_ = ::getpid();
  return {};
}
void ContainerCgroups::born_in_monitor() { in_monitor_ = ::getpid(); }
bool ContainerCgroups::caller_in_monitor() const { return in_monitor_ != 0 && in_monitor_ == ::getpid(); }
Result<void> ContainerCgroups::enter_payload_self(bool skip_unified) {
  return move_self(Target::payload, skip_unified ? Where::v1_only : Where::all);
}
Result<void> ContainerCgroups::leave_monitor_self() {
  CORRAL_TRY(move_self(Target::origin, Where::all));
  in_monitor_ = 0;
  return {};
}

namespace {
UniqueFd open_cgroup_dir(const std::string& dir) {
  return dir.empty() ? UniqueFd() : UniqueFd(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
}
}  // namespace

UniqueFd ContainerCgroups::open_unified_init_dir() const {
  const Hierarchy* u = unified();
  return u ? open_cgroup_dir(u->init_dir()) : UniqueFd();
}
UniqueFd ContainerCgroups::open_unified_monitor_dir() const {
  const Hierarchy* u = unified();
  return u ? open_cgroup_dir(u->monitor) : UniqueFd();
}
UniqueFd ContainerCgroups::open_unified_origin_dir() const {
  const Hierarchy* u = unified();
  return u ? open_cgroup_dir(u->origin) : UniqueFd();
}

pid_t clone_into_cgroup(unsigned long flags, int* pidfd, int cgroup_fd) {
  struct clone_args args {};
  args.flags = flags | (pidfd ? CLONE_PIDFD : 0) | (cgroup_fd >= 0 ? CLONE_INTO_CGROUP : 0);
  args.pidfd = reinterpret_cast<uint64_t>(pidfd);
  args.exit_signal = SIGCHLD;
  args.cgroup = cgroup_fd >= 0 ? static_cast<uint64_t>(cgroup_fd) : 0;
  return static_cast<pid_t>(::syscall(SYS_clone3, &args, sizeof args));
}

// ---- as text, for the janitor ---------------------------------------------------------------------

namespace {

constexpr std::string_view kTextMagic = "corral-cgroups/1";

void put_field(std::string* out, std::string_view field) {
  *out += std::to_string(field.size());
  *out += ':';
  *out += field;
}

// Reads a decimal number of 1 to `max_digits` digits, nothing else.
bool small_number(std::string_view digits, size_t max_digits, size_t* n) {
  if (digits.empty() || digits.size() > max_digits) return false;
  *n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    *n = *n * 10 + static_cast<size_t>(c - '0');
  }
  return true;
}

// Takes one "LENGTH:BYTES" field off the front of `text`.
std::optional<std::string> take_field(std::string_view* text) {
  size_t colon = text->find(':'), length = 0;
  if (colon == std::string_view::npos || !small_number(text->substr(0, colon), 6, &length) ||
      text->size() - colon - 1 < length)
    return std::nullopt;
  std::string field(text->substr(colon + 1, length));
  text->remove_prefix(colon + 1 + length);
  return field;
}

}  // namespace

std::string ContainerCgroups::to_text() const {
  std::string out;
  put_field(&out, kTextMagic);
  put_field(&out, std::to_string(static_cast<int>(layout_)));
  put_field(&out, monitor_name_);
  put_field(&out, payload_name_);
  put_field(&out, pivot_name_);
  put_field(&out, std::to_string(hierarchies_.size()));
  for (const Hierarchy& h : hierarchies_) {
    put_field(&out, h.base_dir);
    put_field(&out, h.unified ? "1" : "0");
    put_field(&out, join(h.controllers, ","));
    put_field(&out, h.monitor);
    put_field(&out, h.payload);
    put_field(&out, h.inner);
    put_field(&out, h.origin);
  }
  return out;
}

std::optional<ContainerCgroups> ContainerCgroups::from_text(std::string_view text) {
  std::optional<std::string> magic = take_field(&text);
  if (!magic || *magic != kTextMagic) return std::nullopt;
  std::optional<std::string> layout = take_field(&text), monitor = take_field(&text), payload = take_field(&text),
                             pivot = take_field(&text), count = take_field(&text);
  size_t hierarchies = 0, layout_number = 0;
  if (!monitor || !payload || !pivot || !count || !small_number(*count, 3, &hierarchies) || !layout ||
      !small_number(*layout, 1, &layout_number) || layout_number > static_cast<size_t>(CgroupLayout::unified))
    return std::nullopt;
  ContainerCgroups cg;
  cg.layout_ = static_cast<CgroupLayout>(layout_number);
  cg.monitor_name_ = *monitor;
  cg.payload_name_ = *payload;
  cg.pivot_name_ = *pivot;
  for (size_t i = 0; i < hierarchies; ++i) {
    Hierarchy h;
    std::optional<std::string> fields[7];
    for (std::optional<std::string>& f : fields)
      if (!(f = take_field(&text))) return std::nullopt;
    if (*fields[1] != "0" && *fields[1] != "1") return std::nullopt;
    h.base_dir = *fields[0];
    h.unified = *fields[1] == "1";
    for (std::string_view c : split(*fields[2], ','))
      if (!c.empty()) h.controllers.emplace_back(c);
    h.monitor = *fields[3];
    h.payload = *fields[4];
    h.inner = *fields[5];
    h.origin = *fields[6];
    cg.hierarchies_.push_back(std::move(h));
  }
  if (!text.empty()) return std::nullopt;
  return cg;
}

// ---- limits -------------------------------------------------------------------------------------

const ContainerCgroups::Hierarchy* ContainerCgroups::find_controller(const std::string& controller) const {
  for (const Hierarchy& h : hierarchies_)
    if (!h.unified && has(h.controllers, controller)) return &h;
  return nullptr;
}

const ContainerCgroups::Hierarchy* ContainerCgroups::unified() const {
  for (const Hierarchy& h : hierarchies_)
    if (h.unified) return &h;
  return nullptr;
}

Result<void> ContainerCgroups::apply(const SetCgroupLimits& limits, std::vector<std::string>* warnings) {
  if (limits.writes.empty()) return {};
  std::string prefix = limits.version == 1 ? "lxc.cgroup." : "lxc.cgroup2.";
  auto setting = [&](const CgroupWrite& w) { return at(w.where) + prefix + w.file + " = " + quoted(w.value); };

  if (limits.version == 1) {
    // cg_legacy_set_data, in the order given (the plan puts memsw last).
    for (const CgroupWrite& w : limits.writes) {
      std::string controller = w.file.substr(0, w.file.find('.'));
      const Hierarchy* h = find_controller(controller);
      if (!h)
        return Error(Error::Kind::config, at(w.where) + prefix + w.file +
                                              ": no cgroup v1 hierarchy of this host has the '" + controller +
                                              "' controller");
      std::string value = w.value;
      if (w.file == "devices.allow" && !value.empty() && value.front() == '/') {
        Result<DeviceRule> rule = parse_devpath(value);
        if (!rule) return std::move(rule.error().wrap(setting(w)));
        value = rule_text(rule.value());
      }
      std::vector<std::string> dirs;
      if (controller == "cpuset" && !h->inner.empty()) dirs.push_back(h->inner);  // init's cgroup first, as LXC
      dirs.push_back(h->payload);
      for (const std::string& dir : dirs) {
        std::string path = join_path(dir, w.file);
        int e = write_text(path, value);
        if (!e) continue;
        Error err = Error::system("write", path, e);
        err.wrap(setting(w));
        // LXC only warns when the devices controller refuses (nested
        // or unprivileged: the parent's rules are stricter).
        if (is_devices_file(w.file) && (e == EACCES || e == EPERM)) {
          if (warnings) warnings->push_back(err.render());
          continue;
        }
        return err;
      }
    }
    return {};
  }

  if (limits.version != 2)
    return Error(Error::Kind::internal, "unknown cgroup version " + std::to_string(limits.version));
  const Hierarchy* u = unified();
  if (!u)
    return Error(Error::Kind::config,
                 at(limits.writes.front().where) + "lxc.cgroup2.*: the host has no cgroup2 hierarchy");
  // cgfsng_setup_limits: plain files go to the payload; device rules are
  // collected into one program (bpf_device_cgroup_prepare).
  DeviceList devices;
  bool any_device_rule = false;
  for (const CgroupWrite& w : limits.writes) {
    if (is_devices_file(w.file)) {
      any_device_rule = true;
      if (w.file == "devices.allow" && !w.value.empty() && w.value.front() == '/') {
        Result<DeviceRule> rule = parse_devpath(w.value);
        if (!rule) return std::move(rule.error().wrap(setting(w)));
        devices.add(rule.value());
      } else if (std::optional<DeviceRule> rule = parse_device_rule(w.file, w.value)) {
        devices.add(*rule);
      } else {
        return Error(Error::Kind::config,
                     setting(w) + ": expected 'a' or 'TYPE MAJOR:MINOR ACCESS' (TYPE a, b or c; '*' for any number)");
      }
      continue;
    }
    Result<void> r = write_or_error(join_path(u->payload, w.file), w.value);
    if (!r) return std::move(r.error().wrap(setting(w)));
  }
  // LXC attaches the program only when a rule other than "a" is left; a
  // lone "devices.deny = a" is applied here, as written.
  if (any_device_rule) {
    Result<void> r = attach_device_program(u->payload, devices);
    if (!r) return std::move(r.error().wrap(at(limits.writes.front().where) + "lxc.cgroup2.devices.*"));
  }
  return {};
}

// ---- freezer ---------------------------------------------------------------------------------------

Result<void> ContainerCgroups::set_freezer(bool freeze, int timeout_ms) {
  const char* what = freeze ? "freezing the container" : "thawing the container";
  // cgfsng_freeze: the v1 freezer unless the host is pure cgroup2. A hybrid
  // host without a v1 freezer falls back to cgroup2's cgroup.freeze.
  const Hierarchy* v1 = layout_ == CgroupLayout::unified ? nullptr : find_controller("freezer");
  if (v1) {
    std::string file = join_path(v1->init_dir(), "freezer.state");
    std::string want = freeze ? "FROZEN" : "THAWED";
    Result<void> r = write_or_error(file, want);
    if (!r) return std::move(r.error().wrap(what));
    // Reading freezer.state makes the kernel re-check FREEZING cgroups.
    bool ok = poll_until(
        [&] {
          std::optional<std::string> s = try_read_text_file(file);
          return s && trim(*s) == want;
        },
        timeout_ms);
    if (!ok) return std::move(Error::system("waiting for " + want + " in", file, ETIMEDOUT).wrap(what));
    return {};
  }
  const Hierarchy* u = unified();
  if (!u) return Error(Error::Kind::system, std::string(what) + ": the host has no freezer");
  std::string dir = u->init_dir();
  Result<void> r = write_or_error(join_path(dir, "cgroup.freeze"), freeze ? "1" : "0");
  if (!r) return std::move(r.error().wrap(what));
  r = wait_events(dir, freeze, timeout_ms);
  if (!r) return std::move(r.error().wrap(what));
  return {};
}

Result<void> ContainerCgroups::freeze(int timeout_ms) { return set_freezer(true, timeout_ms); }
Result<void> ContainerCgroups::thaw(int timeout_ms) { return set_freezer(false, timeout_ms); }

bool ContainerCgroups::frozen() const {
  const Hierarchy* v1 = layout_ == CgroupLayout::unified ? nullptr : find_controller("freezer");
  if (v1) {
    std::optional<std::string> s = try_read_text_file(join_path(v1->init_dir(), "freezer.state"));
    return s && trim(*s) == "FROZEN";
  }
  const Hierarchy* u = unified();
  if (!u) return false;
  std::optional<std::string> events = try_read_text_file(join_path(u->init_dir(), "cgroup.events"));
  return events && events_frozen(*events, true);
}

// ---- stats -------------------------------------------------------------------------------------------

ContainerCgroups::Stats ContainerCgroups::stats() const {
  Stats s;
  const Hierarchy* u = unified();
  if (const Hierarchy* h = find_controller("cpuacct")) {
    s.cpu_ns = read_u64(join_path(h->payload, "cpuacct.usage"));
  } else if (u) {
    if (std::optional<std::string> text = try_read_text_file(join_path(u->payload, "cpu.stat")))
      if (std::optional<uint64_t> usec = keyed_value(*text, "usage_usec")) s.cpu_ns = *usec * 1000;
  }
  if (const Hierarchy* h = find_controller("blkio")) {
    // print_stats of lxc_info.c: the number on the last line, "Total N".
    std::optional<std::string> text = try_read_text_file(join_path(h->payload, "blkio.throttle.io_service_bytes"));
    if (text) {
      for (std::string_view line : split(*text, '\n')) {
        std::vector<std::string_view> f = split_blanks(line);
        if (f.size() == 2 && f[0] == "Total") s.blkio_bytes = parse_u64(f[1]);
      }
    }
  } else if (u) {
    if (std::optional<std::string> text = try_read_text_file(join_path(u->payload, "io.stat"))) {
      uint64_t total = 0;
      for (std::string_view line : split(*text, '\n')) {
        for (std::string_view field : split_blanks(line)) {
          size_t eq = field.find('=');
          if (eq == std::string_view::npos) continue;
          std::string_view key = field.substr(0, eq);
          if (key == "rbytes" || key == "wbytes") total += parse_u64(field.substr(eq + 1)).value_or(0);
        }
      }
      s.blkio_bytes = total;
    }
  }
  if (const Hierarchy* h = find_controller("memory")) {
    s.memory_bytes = read_u64(join_path(h->payload, "memory.usage_in_bytes"));
    s.kmem_bytes = read_u64(join_path(h->payload, "memory.kmem.usage_in_bytes"));
    if (std::optional<std::string> text = try_read_text_file(join_path(h->payload, "memory.stat")))
      s.swap_bytes = keyed_value(*text, "swap");
  } else if (u) {
    s.memory_bytes = read_u64(join_path(u->payload, "memory.current"));
    if (std::optional<std::string> text = try_read_text_file(join_path(u->payload, "memory.stat"))) {
      s.kmem_bytes = keyed_value(*text, "kernel");
      s.swap_bytes = keyed_value(*text, "swap");
    }
  }
  return s;
}

// ---- teardown -----------------------------------------------------------------------------------

Result<void> ContainerCgroups::kill_payload() {
  const pid_t self = ::getpid();
  auto remaining = [&] {
    std::set<pid_t> pids;
    for (const Hierarchy& h : hierarchies_)
      if (!h.payload.empty()) collect_pids(h.payload, &pids);
    pids.erase(self);
    return pids;
  };
  // Frozen tasks only die once thawed: thaw every cgroup of the tree (the
  // container may have frozen sub-cgroups of its own), as STOP unfreezes.
  auto thaw_tree = [&](auto&& self_ref, const std::string& dir, const char* file, const char* value) -> void {
    if (::access(join_path(dir, file).c_str(), W_OK) == 0) write_text(join_path(dir, file), value);
    for (const std::string& child : child_cgroups(dir)) self_ref(self_ref, child, file, value);
  };
  auto deadline = Clock::now() + kKillTimeout;
  milliseconds step{1};
  for (bool first = true;; first = false) {
    std::set<pid_t> pids = remaining();
    if (pids.empty()) return {};
    if (Clock::now() >= deadline) {
      std::vector<std::string> listed;
      for (pid_t p : pids) listed.push_back(std::to_string(p));
      return Error(Error::Kind::system, "processes " + join(listed, " ") + " are still in the payload cgroup `" +
                                            payload_name_ + "` " + std::to_string(kKillTimeout.count() / 1000) +
                                            " s after SIGKILL");
    }
    // cgroup.kill (Linux 5.14) kills a cgroup2 tree without racing forks.
    if (const Hierarchy* u = unified(); u && !u->payload.empty()) write_text(join_path(u->payload, "cgroup.kill"), "1");
    for (pid_t p : pids) ::kill(p, SIGKILL);
    if (first) {
      for (const Hierarchy& h : hierarchies_) {
        if (h.payload.empty()) continue;
        if (h.unified)
          thaw_tree(thaw_tree, h.payload, "cgroup.freeze", "0");
        else if (has(h.controllers, "freezer"))
          thaw_tree(thaw_tree, h.payload, "freezer.state", "THAWED");
      }
    }
    std::this_thread::sleep_for(step);
    step = std::min(step * 2, kMaxPollInterval);
  }
}

Result<void> ContainerCgroups::delegate_to(uid_t uid, gid_t gid) {
  // LXC's chown_cgroup_wrapper(): the files a delegated cgroup needs.
  static const char* const kV1Files[] = {"tasks", "cgroup.procs", "cgroup.clone_children"};
  for (const Hierarchy& h : hierarchies_) {
    for (const std::string* dir : {&h.payload, &h.inner}) {
      if (dir->empty()) continue;
      if (::chown(dir->c_str(), uid, gid) != 0) return Error::system("give the cgroup to the container's root", *dir, errno);
      for (const char* file : h.unified ? std::span(kDelegatedV2Files) : std::span(kV1Files)) {
        std::string path = *dir + "/" + file;
        if (::chown(path.c_str(), uid, gid) != 0 && errno != ENOENT)
          return Error::system("give the cgroup to the container's root", path, errno);
      }
    }
  }
  return {};
}

Result<void> ContainerCgroups::destroy() {
  Result<void> payload = destroy_payload();
  Result<void> monitor = destroy_monitor();
  return payload ? monitor : payload;
}

Result<void> ContainerCgroups::destroy_payload() {
  if (payload_destroyed_) return {};
  FirstError errors;
  // cgfsng_payload_destroy: the payload tree in every hierarchy. After a
  // normal exit each payload is empty and one rmdir removes it; processes
  // left or sub-cgroups the container made take the longer way.
  bool payload_left = false;
  for (const Hierarchy& h : hierarchies_)
    if (!h.payload.empty() && ::rmdir(h.payload.c_str()) != 0 && errno != ENOENT) payload_left = true;
  if (payload_left) {
    errors.note(kill_payload(), "stopping the container's processes");
    for (const Hierarchy& h : hierarchies_)
      if (!h.payload.empty()) errors.note(remove_cgroup_tree(h.payload), "removing the payload cgroup");
  }
  if (errors.first) return *errors.first;
  payload_destroyed_ = true;
  return {};
}

Result<void> ContainerCgroups::destroy_monitor() {
  if (monitor_destroyed_) return {};
  FirstError errors;
  // The calling monitor leaves its cgroup first; then an empty monitor
  // cgroup goes with one rmdir.
  if (in_monitor_ == ::getpid()) errors.note(leave_monitor_self(), "moving the monitor back to its cgroup");
  // cgfsng_monitor_destroy: what is in the monitor cgroup (the monitor
  // itself, hooks it left behind) moves to the pivot so the monitor cgroup
  // can go; the pivot goes too once nobody is left in it.
  for (const Hierarchy& h : hierarchies_) {
    if (h.monitor.empty()) continue;
    std::string pivot = pivot_name_.empty() ? std::string() : join_path(h.base_dir, pivot_name_);
    // The pivot is shared with LXC's containers (which leave it behind) and
    // other corral ones: removed only when this call made it and what it
    // moved there has ended already.
    bool made_pivot = false;
    auto remove_pivot = [&] {
      if (made_pivot && ::rmdir(pivot.c_str()) != 0 && errno != ENOENT && errno != EBUSY && errno != ENOTEMPTY)
        errors.note(Error::system("rmdir", pivot, errno), "removing the pivot cgroup");
    };
    // Empty: gone with one rmdir. Already gone: nothing to do.
    if (::rmdir(h.monitor.c_str()) == 0 || errno == ENOENT) continue;
    std::set<pid_t> pids;
    collect_pids(h.monitor, &pids);
    // The calling monitor goes back to its own cgroup; the pivot is only
    // made when something else is left (rmdir and mkdir are slow on v1).
    bool others = std::any_of(pids.begin(), pids.end(),
                              [&](pid_t p) { return p != ::getpid() || h.origin.empty(); });
    if (pids.count(::getpid()) && !h.origin.empty() && !others) {
      Result<void> back = write_or_error(join_path(h.origin, "cgroup.procs"), std::to_string(::getpid()));
      errors.note(back, "moving the monitor back to its cgroup");
    } else if (!pids.empty() && !pivot.empty()) {
      Result<std::vector<std::string>> parts = path_parts(pivot_name_, "the pivot");
      std::vector<std::string> made;
      bool cpuset_v1 = !h.unified && has(h.controllers, "cpuset");
      Result<void> r =
          parts ? make_tree(h.base_dir, parts.value(), true, cpuset_v1, &made) : Result<void>(parts.error());
      made_pivot = !made.empty();
      for (pid_t p : pids) {
        if (!r) break;
        // The monitor itself goes back where it came from, so that the
        // pivot is left empty and can go (LXC leaves it behind).
        std::string to = p == ::getpid() && !h.origin.empty() ? h.origin : pivot;
        r = write_or_error(join_path(to, "cgroup.procs"), std::to_string(p));
        if (!r && r.error().sys_errno() == ESRCH) r = {};
      }
      errors.note(r, "moving the monitor to the pivot cgroup `" + pivot_name_ + "`");
    }
    errors.note(remove_cgroup_tree(h.monitor), "removing the monitor cgroup");
    remove_pivot();
  }
  if (errors.first) return *errors.first;
  monitor_destroyed_ = true;
  return {};
}

// ---- paths -----------------------------------------------------------------------------------------

int join_cgroup(const std::string& dir, pid_t pid) { return write_text(join_path(dir, "cgroup.procs"), std::to_string(pid)); }

int join_unified_leaf(const std::string& payload, pid_t pid) {
  struct stat owner {};
  if (::stat(payload.c_str(), &owner) != 0) return errno;
  // 0, or the errno; *made when this call made the leaf (removed again
  // when it cannot be given its owner).
  auto make_leaf = [&](const std::string& leaf, bool* made) {
    *made = ::mkdir(leaf.c_str(), 0755) == 0;
    if (!*made) return errno == EEXIST ? 0 : errno;
    if (owner.st_uid == 0 && owner.st_gid == 0) return 0;
    std::vector<std::string> paths = {leaf};
    for (const char* file : kDelegatedV2Files) paths.push_back(join_path(leaf, file));
    for (const std::string& path : paths) {
      if (::chown(path.c_str(), owner.st_uid, owner.st_gid) != 0) {
        int e = errno;
        ::rmdir(leaf.c_str());
        *made = false;
        return e;
      }
    }
    return 0;
  };
  bool made = false;
  if (int e = make_leaf(join_path(payload, ".lxc"), &made)) return e;
  if (join_cgroup(join_path(payload, ".lxc"), pid) == 0) return 0;
  int e = join_cgroup(payload, pid);
  for (int n = 1; e == EBUSY && n < 1000; ++n) {
    std::string leaf = join_path(payload, ".lxc-" + std::to_string(n));
    if ((e = make_leaf(leaf, &made))) return e;
    e = join_cgroup(leaf, pid);
    if (e && made) ::rmdir(leaf.c_str());
  }
  return e;
}

std::vector<std::string> ContainerCgroups::payload_dirs() const {
  std::vector<std::string> out;
  for (const Hierarchy& h : hierarchies_) out.push_back(h.payload);
  return out;
}

std::string ContainerCgroups::unified_payload_dir() const {
  for (const Hierarchy& h : hierarchies_)
    if (h.unified) return h.payload;
  return {};
}

std::vector<std::string> ContainerCgroups::init_dirs() const {
  std::vector<std::string> out;
  for (const Hierarchy& h : hierarchies_) out.push_back(h.init_dir());
  return out;
}

std::vector<std::string> ContainerCgroups::monitor_dirs() const {
  std::vector<std::string> out;
  for (const Hierarchy& h : hierarchies_)
    if (!h.monitor.empty()) out.push_back(h.monitor);
  return out;
}

std::vector<std::string> list_lxc_cgroups(const HostFacts& host) {
  std::vector<std::string> out;
  for (const CgroupHierarchy& h : host.cgroup_hierarchies) {
    std::vector<std::string> bases = {join_path(hierarchy_root(h), h.base)};
    std::string self = join_path(hierarchy_root(h), h.self_base);
    if (self != bases.front()) bases.push_back(self);
    for (const std::string& base : bases) {
      for (const std::string& dir : child_cgroups(base)) {
        std::string_view name = std::string_view(dir).substr(dir.rfind('/') + 1);
        if (name == "lxc.pivot" || name.substr(0, 12) == "lxc.monitor." || name.substr(0, 12) == "lxc.payload.")
          out.push_back(dir);
      }
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace corral::exec
