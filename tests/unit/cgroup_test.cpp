// ContainerCgroups on the real cgroups of this host (needs root). Every test
// uses cgroups whose names carry a tag unique to the test
// (corral-test-<pid>-<n>); TearDown kills the test's children and removes
// every cgroup with that tag, also when the test failed half-way.
#include "exec/cgroup.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/sched.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "runtime/janitor.hpp"

namespace corral::exec {
namespace {

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

std::string read_file(const std::string& path) {
  std::string out;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "<cannot open " + path + ">";
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return out;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

bool write_file(const std::string& path, const std::string& value) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::write(fd, value.data(), value.size()) == static_cast<ssize_t>(value.size());
  ::close(fd);
  return ok;
}

std::vector<std::string> subdirs(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != ".." && e->d_type == DT_DIR) out.push_back(dir + "/" + name);
  }
  ::closedir(d);
  return out;
}

/// Thaws a cgroup tree, so that killed frozen tasks can die.
void thaw_tree(const std::string& dir) {
  write_file(dir + "/freezer.state", "THAWED");
  write_file(dir + "/cgroup.freeze", "0");
  for (const std::string& sub : subdirs(dir)) thaw_tree(sub);
}

void remove_tree(const std::string& dir) {
  for (const std::string& sub : subdirs(dir)) remove_tree(sub);
  for (int i = 0; i < 100 && ::rmdir(dir.c_str()) != 0 && errno == EBUSY; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

std::string root_of(const CgroupHierarchy& h) {
  return h.mount_dir.empty() ? "/sys/fs/cgroup" : "/sys/fs/cgroup/" + h.mount_dir;
}
std::string base_of(const CgroupHierarchy& h) { return h.base == "/" ? root_of(h) : root_of(h) + h.base; }

/// The cgroup of a process or thread (`proc_dir` is /proc/PID or
/// /proc/PID/task/TID) in hierarchy `h`, as a path below the mount.
std::string cgroup_at(const std::string& proc_dir, const CgroupHierarchy& h) {
  std::string want = h.unified ? "" : [&] {
    std::string s;
    for (const std::string& c : h.controllers) s += (s.empty() ? "" : ",") + c;
    return s;
  }();
  std::string text = read_file(proc_dir + "/cgroup");
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    std::string line = text.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    pos = end == std::string::npos ? text.size() : end + 1;
    size_t a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    if (line.substr(a + 1, b - a - 1) == want) return line.substr(b + 1);
  }
  return "<none>";
}

std::string cgroup_of(pid_t pid, const CgroupHierarchy& h) { return cgroup_at("/proc/" + std::to_string(pid), h); }

long cpu_ticks(pid_t pid) {
  std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  // fields after "pid (comm)": state is 3rd, utime the 14th
  std::vector<std::string> f;
  size_t pos = close + 2;
  while (pos < stat.size()) {
    size_t sp = stat.find(' ', pos);
    f.push_back(stat.substr(pos, sp - pos));
    if (sp == std::string::npos) break;
    pos = sp + 1;
  }
  return f.size() > 12 ? std::stol(f[11]) + std::stol(f[12]) : -1;
}

class CgroupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to create cgroups";
    host_ = probe_host();
    if (host_.cgroup_hierarchies.empty()) GTEST_SKIP() << "no cgroup hierarchy is mounted";
    static int counter = 0;
    tag_ = "corral-test-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
  }

  void TearDown() override {
    if (tag_.empty()) return;
    for (pid_t p : children_) ::kill(p, SIGKILL);
    std::vector<std::string> mine;
    for (const CgroupHierarchy& h : host_.cgroup_hierarchies)
      for (const std::string& dir : subdirs(base_of(h)))
        if (dir.find(tag_) != std::string::npos) mine.push_back(dir);
    for (const std::string& dir : mine) thaw_tree(dir);
    for (pid_t p : children_) ::waitpid(p, nullptr, 0);
    for (const std::string& dir : mine) remove_tree(dir);
    for (const std::string& dir : mine) EXPECT_FALSE(exists(dir)) << "left behind: " << dir;
  }

  /// The host's cgroup2 hierarchy, or nullptr.
  const CgroupHierarchy* unified_hierarchy() const {
    for (const CgroupHierarchy& h : host_.cgroup_hierarchies)
      if (h.unified) return &h;
    return nullptr;
  }

  CreateCgroups step() const {
    CreateCgroups s;
    s.monitor = "lxc.monitor." + tag_;
    s.payload = "lxc.payload." + tag_;
    s.pivot = tag_ + ".pivot";
    return s;
  }

  /// lxc.cgroup.dir.container TAG-container with init in its "ns" below.
  CreateCgroups inner_step() const {
    CreateCgroups s = step();
    s.payload = tag_ + "-container";
    s.payload_inner = tag_ + "-container/ns";
    s.payload_retry = s.monitor_retry = false;
    return s;
  }

  /// A child that waits for a byte on a pipe, then burns `busy_ms` of CPU
  /// (and tries `probe` when given), then sleeps until killed.
  pid_t spawn(int busy_ms = 0, int* go_fd = nullptr) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return -1;
    pid_t pid = ::fork();
    if (pid == 0) {
      ::close(fds[1]);
      char c;
      if (go_fd && ::read(fds[0], &c, 1) != 1) ::_exit(2);
      auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(busy_ms);
      while (std::chrono::steady_clock::now() < until) {
      }
      for (;;) ::pause();
    }
    ::close(fds[0]);
    if (go_fd)
      *go_fd = fds[1];
    else
      ::close(fds[1]);
    if (pid > 0) children_.push_back(pid);
    return pid;
  }

  void expect_v1_clash_rolled_back(Result<void> (*add)(ContainerCgroups&, const CreateCgroups&));

  HostFacts host_;
  std::string tag_;
  std::vector<pid_t> children_;
};

// ---- create --------------------------------------------------------------------------------

TEST_F(CgroupTest, CreateMakesMonitorAndPayloadInEveryHierarchy) {
  Result<ContainerCgroups> cg = ContainerCgroups::create(host_, step());
  ASSERT_TRUE(cg) << cg.error().render();
  EXPECT_EQ(cg.value().monitor_name(), "lxc.monitor." + tag_);
  EXPECT_EQ(cg.value().payload_name(), "lxc.payload." + tag_);
  std::vector<std::string> payload = cg.value().payload_dirs(), monitor = cg.value().monitor_dirs();
  ASSERT_EQ(payload.size(), host_.cgroup_hierarchies.size());
  ASSERT_EQ(monitor.size(), host_.cgroup_hierarchies.size());
  std::vector<std::string> listed = list_lxc_cgroups(host_);
  for (size_t i = 0; i < payload.size(); ++i) {
    const CgroupHierarchy& h = host_.cgroup_hierarchies[i];
    EXPECT_EQ(payload[i], base_of(h) + "/lxc.payload." + tag_);
    EXPECT_EQ(monitor[i], base_of(h) + "/lxc.monitor." + tag_);
    EXPECT_TRUE(exists(payload[i] + "/cgroup.procs")) << payload[i];
    EXPECT_TRUE(exists(monitor[i] + "/cgroup.procs")) << monitor[i];
    EXPECT_NE(std::find(listed.begin(), listed.end(), payload[i]), listed.end()) << payload[i];
    EXPECT_NE(std::find(listed.begin(), listed.end(), monitor[i]), listed.end()) << monitor[i];
    if (!h.unified && std::find(h.controllers.begin(), h.controllers.end(), "cpuset") != h.controllers.end()) {
      // cpuset1_initialize: both got the parent's cpus and mems
      EXPECT_EQ(trimmed(read_file(payload[i] + "/cpuset.cpus")), trimmed(read_file(base_of(h) + "/cpuset.cpus")));
      EXPECT_EQ(trimmed(read_file(payload[i] + "/cpuset.mems")), trimmed(read_file(base_of(h) + "/cpuset.mems")));
      EXPECT_EQ(trimmed(read_file(payload[i] + "/cgroup.clone_children")), "1");
    }
  }
  Result<void> d = cg.value().destroy();
  ASSERT_TRUE(d) << d.error().render();
  for (const std::string& dir : payload) EXPECT_FALSE(exists(dir)) << dir;
  for (const std::string& dir : monitor) EXPECT_FALSE(exists(dir)) << dir;
  for (const std::string& dir : list_lxc_cgroups(host_)) EXPECT_EQ(dir.find(tag_), std::string::npos) << dir;
  EXPECT_TRUE(cg.value().destroy()) << "destroy is idempotent";
}

TEST_F(CgroupTest, CreateClashInOneHierarchyGivesTheSameSuffixEverywhere) {
  // lxc.payload.TAG exists only in the last hierarchy: every hierarchy must
  // use lxc.payload.TAG-1, and the first try leaves nothing behind.
  const CgroupHierarchy& last = host_.cgroup_hierarchies.back();
  std::string taken = base_of(last) + "/lxc.payload." + tag_;
  ASSERT_EQ(::mkdir(taken.c_str(), 0755), 0);
  Result<ContainerCgroups> cg = ContainerCgroups::create(host_, step());
  ASSERT_TRUE(cg) << cg.error().render();
  EXPECT_EQ(cg.value().payload_name(), "lxc.payload." + tag_ + "-1");
  EXPECT_EQ(cg.value().monitor_name(), "lxc.monitor." + tag_);
  for (size_t i = 0; i < host_.cgroup_hierarchies.size(); ++i) {
    const CgroupHierarchy& h = host_.cgroup_hierarchies[i];
    EXPECT_EQ(cg.value().payload_dirs()[i], base_of(h) + "/lxc.payload." + tag_ + "-1");
    EXPECT_TRUE(exists(cg.value().payload_dirs()[i]));
    if (i + 1 < host_.cgroup_hierarchies.size()) {
      EXPECT_FALSE(exists(base_of(h) + "/lxc.payload." + tag_)) << "first try not rolled back in " << base_of(h);
    }
  }
  EXPECT_TRUE(cg.value().destroy());
  EXPECT_TRUE(exists(taken)) << "destroy removed a cgroup it did not make";
}

TEST_F(CgroupTest, CreateExplicitNameClashFailsAndLeavesNothing) {
  CreateCgroups s = step();
  s.payload_retry = false;  // lxc.cgroup.dir.container: no suffixes
  const CgroupHierarchy& last = host_.cgroup_hierarchies.back();
  std::string taken = base_of(last) + "/lxc.payload." + tag_;
  ASSERT_EQ(::mkdir(taken.c_str(), 0755), 0);
  Result<ContainerCgroups> cg = ContainerCgroups::create(host_, s);
  ASSERT_FALSE(cg);
  EXPECT_EQ(cg.error().sys_errno(), EEXIST);
  EXPECT_NE(cg.error().render().find("creating the payload cgroup"), std::string::npos) << cg.error().render();
  EXPECT_NE(cg.error().render().find(taken), std::string::npos) << cg.error().render();
  for (const CgroupHierarchy& h : host_.cgroup_hierarchies) {
    EXPECT_FALSE(exists(base_of(h) + "/lxc.monitor." + tag_)) << "monitor left behind in " << base_of(h);
    if (&h != &last) {
      EXPECT_FALSE(exists(base_of(h) + "/lxc.payload." + tag_)) << base_of(h);
    }
  }
}

// ---- the v1 payload after the clone (CreateCgroups::v1_payload_after_clone)

/// The first v1 hierarchy, or nullptr on a pure cgroup2 host.
const CgroupHierarchy* first_v1(const HostFacts& host) {
  for (const CgroupHierarchy& h : host.cgroup_hierarchies)
    if (!h.unified) return &h;
  return nullptr;
}

TEST_F(CgroupTest, PayloadInTwoStepsPicksANameFreeInTheV1HierarchiesFirst) {
  const CgroupHierarchy* v1 = first_v1(host_);
  if (!v1) GTEST_SKIP() << "no v1 hierarchy";
  CreateCgroups s = step();
  s.v1_payload_after_clone = true;
  std::string taken = base_of(*v1) + "/lxc.payload." + tag_;
  ASSERT_EQ(::mkdir(taken.c_str(), 0755), 0);
  Result<ContainerCgroups> cg = ContainerCgroups::create_payload(host_, s);
  ASSERT_TRUE(cg) << cg.error().render();
  EXPECT_EQ(cg.value().payload_name(), "lxc.payload." + tag_ + "-1");
  for (const CgroupHierarchy& h : host_.cgroup_hierarchies) {
    std::string dir = base_of(h) + "/lxc.payload." + tag_ + "-1";
    EXPECT_EQ(exists(dir), h.unified) << dir;  // v1 not yet
  }
  Result<void> v1_made = cg.value().add_payload_v1(s);
  ASSERT_TRUE(v1_made) << v1_made.error().render();
  for (const std::string& dir : cg.value().payload_dirs()) EXPECT_TRUE(exists(dir)) << dir;
  // The cpuset is usable: a process can enter it.
  pid_t child = spawn();
  ASSERT_GT(child, 0);
  Result<void> entered = cg.value().enter_payload(child);
  EXPECT_TRUE(entered) << entered.error().render();
  EXPECT_TRUE(cg.value().destroy());  // kills it; the fixture reaps it
  for (const std::string& dir : cg.value().payload_dirs()) EXPECT_FALSE(exists(dir)) << dir;
  EXPECT_TRUE(exists(taken)) << "destroy removed a cgroup it did not make";
}

TEST_F(CgroupTest, PayloadInTwoStepsMakesTheInnerCgroupInBoth) {
  CreateCgroups s = inner_step();
  s.v1_payload_after_clone = true;
  Result<ContainerCgroups> cg = ContainerCgroups::create_payload(host_, s);
  ASSERT_TRUE(cg) << cg.error().render();
  Result<void> v1_made = cg.value().add_payload_v1(s);
  ASSERT_TRUE(v1_made) << v1_made.error().render();
  pid_t child = spawn();
  ASSERT_GT(child, 0);
  Result<void> entered = cg.value().enter_payload(child);
  ASSERT_TRUE(entered) << entered.error().render();
  for (size_t i = 0; i < host_.cgroup_hierarchies.size(); ++i) {
    const CgroupHierarchy& h = host_.cgroup_hierarchies[i];
    EXPECT_EQ(cg.value().init_dirs()[i], base_of(h) + "/" + tag_ + "-container/ns");
    EXPECT_EQ(root_of(h) + cgroup_of(child, h), cg.value().init_dirs()[i]);
  }
  Result<void> d = cg.value().destroy();
  ASSERT_TRUE(d) << d.error().render();
  for (const std::string& dir : cg.value().payload_dirs()) EXPECT_FALSE(exists(dir)) << dir;
}

/// add_payload_v1 the way the monitor runs it while init mounts
/// (exec/container.cpp): prepared, then raw system calls, then recorded.
Result<void> add_payload_v1_batched(ContainerCgroups& cg, const CreateCgroups& s) {
  Result<std::optional<ContainerCgroups::PayloadV1Batch>> batch = cg.prepare_payload_v1(s);
  if (!batch) return std::move(batch.error());
  if (!batch.value()) return Error(Error::Kind::internal, "no batch for this payload");
  batch.value()->run();
  return cg.finish_payload_v1(*batch.value());
}

/// A v1 payload whose name was taken after the check (in the last v1
/// hierarchy): `add` fails, rolls back, and destroy() leaves the other's.
void CgroupTest::expect_v1_clash_rolled_back(Result<void> (*add)(ContainerCgroups&, const CreateCgroups&)) {
  const CgroupHierarchy* v1 = first_v1(host_);
  if (!v1) GTEST_SKIP() << "no v1 hierarchy";
  CreateCgroups s = step();
  s.v1_payload_after_clone = true;
  Result<ContainerCgroups> cg = ContainerCgroups::create_payload(host_, s);
  ASSERT_TRUE(cg) << cg.error().render();
  const CgroupHierarchy* last_v1 = nullptr;
  for (const CgroupHierarchy& h : host_.cgroup_hierarchies)
    if (!h.unified) last_v1 = &h;
  std::string taken = base_of(*last_v1) + "/lxc.payload." + tag_;
  ASSERT_EQ(::mkdir(taken.c_str(), 0755), 0);
  Result<void> v1_made = add(cg.value(), s);
  ASSERT_FALSE(v1_made);
  EXPECT_EQ(v1_made.error().render(), "creating the payload cgroup `lxc.payload." + tag_ +
                                          "` in the v1 hierarchies: mkdir `" + taken + "`: File exists");
  for (const CgroupHierarchy& h : host_.cgroup_hierarchies) {
    if (&h == last_v1) continue;
    EXPECT_EQ(exists(base_of(h) + "/lxc.payload." + tag_), h.unified) << "not rolled back in " << base_of(h);
  }
  EXPECT_TRUE(cg.value().destroy());
  EXPECT_TRUE(exists(taken)) << "destroy removed a cgroup it did not make";
  for (const CgroupHierarchy& h : host_.cgroup_hierarchies) {
    if (h.unified) {
      EXPECT_FALSE(exists(base_of(h) + "/lxc.payload." + tag_));
    }
  }
}

TEST_F(CgroupTest, PayloadV1ThatAppearedMeanwhileFailsAndIsLeftAlone) {
  expect_v1_clash_rolled_back([](ContainerCgroups& cg, const CreateCgroups& s) { return cg.add_payload_v1(s); });
}

TEST_F(CgroupTest, PayloadV1BatchThatFindsTheNameTakenRollsBack) {
  expect_v1_clash_rolled_back(add_payload_v1_batched);
}

TEST_F(CgroupTest, PayloadV1BatchMakesUsableCgroups) {
  if (!first_v1(host_)) GTEST_SKIP() << "no v1 hierarchy";
  CreateCgroups s = step();
  s.v1_payload_after_clone = true;
  Result<ContainerCgroups> cg = ContainerCgroups::create_payload(host_, s);
  ASSERT_TRUE(cg) << cg.error().render();
  Result<void> v1_made = add_payload_v1_batched(cg.value(), s);
  ASSERT_TRUE(v1_made) << v1_made.error().render();
  for (const std::string& dir : cg.value().payload_dirs()) EXPECT_TRUE(exists(dir)) << dir;
  for (const CgroupHierarchy& h : host_.cgroup_hierarchies) {
    if (h.unified || std::find(h.controllers.begin(), h.controllers.end(), "cpuset") == h.controllers.end()) continue;
    std::string dir = base_of(h) + "/lxc.payload." + tag_;
    EXPECT_EQ(trimmed(read_file(dir + "/cpuset.cpus")), trimmed(read_file(base_of(h) + "/cpuset.cpus")));
    EXPECT_EQ(trimmed(read_file(dir + "/cpuset.mems")), trimmed(read_file(base_of(h) + "/cpuset.mems")));
    EXPECT_EQ(trimmed(read_file(dir + "/cgroup.clone_children")), "1");
  }
  // The cpuset is usable: a process can enter it.
  pid_t child = spawn();
  ASSERT_GT(child, 0);
  Result<void> entered = cg.value().enter_payload(child);
  EXPECT_TRUE(entered) << entered.error().render();
  EXPECT_TRUE(cg.value().destroy());
  for (const std::string& dir : cg.value().payload_dirs()) EXPECT_FALSE(exists(dir)) << dir;
}

TEST_F(CgroupTest, PayloadV1BatchIsNotForANestedPayload) {
  CreateCgroups s = inner_step();
  s.v1_payload_after_clone = true;
  Result<ContainerCgroups> cg = ContainerCgroups::create_payload(host_, s);
  ASSERT_TRUE(cg) << cg.error().render();
  Result<std::optional<ContainerCgroups::PayloadV1Batch>> batch = cg.value().prepare_payload_v1(s);
  ASSERT_TRUE(batch) << batch.error().render();
  EXPECT_FALSE(batch.value().has_value());
  EXPECT_TRUE(cg.value().destroy());
}

TEST_F(CgroupTest, CreateRejectsUpwardPaths) {
  CreateCgroups s = step();
  s.payload = "../escape";
  Result<ContainerCgroups> cg = ContainerCgroups::create(host_, s);
  ASSERT_FALSE(cg);
  EXPECT_NE(cg.error().render().find("walks upwards"), std::string::npos) << cg.error().render();
  for (const CgroupHierarchy& h : host_.cgroup_hierarchies) EXPECT_FALSE(exists(base_of(h) + "/lxc.monitor." + tag_));
}

TEST_F(CgroupTest, CreateInnerCgroupHoldsInit) {
  Result<ContainerCgroups> cg = ContainerCgroups::create(host_, inner_step());
  ASSERT_TRUE(cg) << cg.error().render();
  pid_t child = spawn();
  ASSERT_GT(child, 0);
  ASSERT_TRUE(cg.value().enter_payload(child));
  for (size_t i = 0; i < host_.cgroup_hierarchies.size(); ++i) {
    const CgroupHierarchy& h = host_.cgroup_hierarchies[i];
    EXPECT_EQ(cg.value().payload_dirs()[i], base_of(h) + "/" + tag_ + "-container");
    EXPECT_EQ(cg.value().init_dirs()[i], base_of(h) + "/" + tag_ + "-container/ns");
    EXPECT_EQ(root_of(h) + cgroup_of(child, h), cg.value().init_dirs()[i]);
  }
  Result<void> d = cg.value().destroy();
  ASSERT_TRUE(d) << d.error().render();
  for (const std::string& dir : cg.value().payload_dirs()) EXPECT_FALSE(exists(dir)) << dir;
}

TEST_F(CgroupTest, CreateKeepsTheCpusOfAnExistingFirstLevel) {
  // A first level that exists already keeps the cpus it was given; one made
  // now gets the parent's.
  const CgroupHierarchy* cpuset = nullptr;
  for (const CgroupHierarchy& h : host_.cgroup_hierarchies)
    if (!h.unified && std::find(h.controllers.begin(), h.controllers.end(), "cpuset") != h.controllers.end())
      cpuset = &h;
  if (!cpuset) GTEST_SKIP() << "no v1 cpuset hierarchy here";
  std::string all = trimmed(read_file(base_of(*cpuset) + "/cpuset.cpus"));
  std::string first = all.substr(0, all.find_first_of("-,"));
  if (first == all) GTEST_SKIP() << "one cpu only";
  std::string top = base_of(*cpuset) + "/" + tag_ + "-top";
  ASSERT_EQ(::mkdir(top.c_str(), 0755), 0) << top;
  ASSERT_TRUE(write_file(top + "/cpuset.cpus", first));
  ASSERT_TRUE(write_file(top + "/cpuset.mems", trimmed(read_file(base_of(*cpuset) + "/cpuset.mems"))));
  CreateCgroups s = step();
  s.payload = tag_ + "-top/payload";
  s.payload_retry = false;
  Result<ContainerCgroups> cg = ContainerCgroups::create(host_, s);
  std::string kept = trimmed(read_file(top + "/cpuset.cpus"));
  std::string monitor_cpus = cg ? trimmed(read_file(base_of(*cpuset) + "/" + s.monitor + "/cpuset.cpus")) : "";
  if (cg) {
    EXPECT_TRUE(cg.value().destroy());
  }
  ::rmdir(top.c_str());
  ASSERT_TRUE(cg) << cg.error().render();
  EXPECT_EQ(kept, first);
  EXPECT_EQ(monitor_cpus, all);
}

TEST_F(CgroupTest, CreateRelativeUsesTheCallersCgroup) {
  // lxc.cgroup.relative: below self_base; here a stand-in cgroup of the test.
  HostFacts host = host_;
  for (CgroupHierarchy& h : host.cgroup_hierarchies) {
    std::string dir = base_of(h) + "/" + tag_ + "-self";
    ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0) << dir;
    if (!h.unified && std::find(h.controllers.begin(), h.controllers.end(), "cpuset") != h.controllers.end()) {
      ASSERT_TRUE(write_file(dir + "/cpuset.cpus", trimmed(read_file(base_of(h) + "/cpuset.cpus"))));
      ASSERT_TRUE(write_file(dir + "/cpuset.mems", trimmed(read_file(base_of(h) + "/cpuset.mems"))));
    }
    h.self_base = (h.base == "/" ? "" : h.base) + "/" + tag_ + "-self";
  }
  CreateCgroups s = step();
  s.relative = true;
  Result<ContainerCgroups> cg = ContainerCgroups::create(host, s);
  ASSERT_TRUE(cg) << cg.error().render();
  for (size_t i = 0; i < host.cgroup_hierarchies.size(); ++i)
    EXPECT_EQ(cg.value().payload_dirs()[i],
              base_of(host_.cgroup_hierarchies[i]) + "/" + tag_ + "-self/lxc.payload." + tag_);
  std::vector<std::string> listed = list_lxc_cgroups(host);
  EXPECT_NE(std::find(listed.begin(), listed.end(), cg.value().payload_dirs().front()), listed.end());
  EXPECT_TRUE(cg.value().destroy());
}

// ---- enter -----------------------------------------------------------------------------------

TEST_F(CgroupTest, EnterPayloadShowsInProcCgroup) {
  Result<ContainerCgroups> cg = ContainerCgroups::create(host_, step());
  ASSERT_TRUE(cg) << cg.error().render();
  pid_t init = spawn(), monitor = spawn();
  ASSERT_GT(init, 0);
  ASSERT_GT(monitor, 0);
  Result<void> r = cg.value().enter_payload(init);
  ASSERT_TRUE(r) << r.error().render();
  r = cg.value().enter_monitor(monitor);
  ASSERT_TRUE(r) << r.error().render();
  for (size_t i = 0; i < host_.cgroup_hierarchies.size(); ++i) {
    const CgroupHierarchy& h = host_.cgroup_hierarchies[i];
    EXPECT_EQ(root_of(h) + cgroup_of(init, h), cg.value().payload_dirs()[i]);
    EXPECT_EQ(root_of(h) + cgroup_of(monitor, h), cg.value().monitor_dirs()[i]);
  }
  Result<void> bad = cg.value().enter_payload(999999999);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().render().find("moving process 999999999 into the payload cgroup"), std::string::npos)
      << bad.error().render();
}

// A forked child runs `body` and exits with its result (0 = pass); the
// test fails with `meaning` spelling out the codes.
#define EXPECT_CHILD_PASSES(body, meaning)                                   \
  do {                                                                       \
    pid_t child_ = ::fork();                                                 \
    if (child_ == 0) ::_exit((body)());                                      \
    ASSERT_GT(child_, 0);                                                    \
    int status_ = 0;                                                         \
    ASSERT_EQ(::waitpid(child_, &status_, 0), child_);                       \
    ASSERT_TRUE(WIFEXITED(status_));                                         \
    EXPECT_EQ(WEXITSTATUS(status_), 0) << meaning;                           \
  } while (0)

TEST_F(CgroupTest, SelfMovesEnterAndLeaveEveryHierarchy) {
  // The monitor's way in and out: "0" to v1's tasks, cgroup.procs on the
  // unified hierarchy; the same places as enter_monitor(pid).
  Result<ContainerCgroups> cg = ContainerCgroups::create(host_, step());
  ASSERT_TRUE(cg) << cg.error().render();
  ContainerCgroups& c = cg.value();
  auto body = [&]() -> int {
    std::vector<std::string> before;
    for (const CgroupHierarchy& h : host_.cgroup_hierarchies) before.push_back(cgroup_of(::getpid(), h));
    if (!c.enter_monitor_self(false)) return 10;
    for (size_t i = 0; i < host_.cgroup_hierarchies.size(); ++i) {
      const CgroupHierarchy& h = host_.cgroup_hierarchies[i];
      if (root_of(h) + cgroup_of(::getpid(), h) != c.monitor_dirs()[i]) return 11;
    }
    if (!c.leave_monitor_self()) return 12;
    for (size_t i = 0; i < host_.cgroup_hierarchies.size(); ++i)
      if (cgroup_of(::getpid(), host_.cgroup_hierarchies[i]) != before[i]) return 13;
    if (!c.enter_payload_self(false)) return 14;
    for (size_t i = 0; i < host_.cgroup_hierarchies.size(); ++i) {
      const CgroupHierarchy& h = host_.cgroup_hierarchies[i];
      if (root_of(h) + cgroup_of(::getpid(), h) != c.init_dirs()[i]) return 15;
    }
    return 0;
  };
  EXPECT_CHILD_PASSES(body, "10/12/14: a move failed; 11: not in the monitor; 13: not back; 15: not in the payload");
  // Both are empty again: destroy takes the one-rmdir way.
  Result<void> r = c.destroy();
  ASSERT_TRUE(r) << r.error().render();
  for (const std::string& dir : c.monitor_dirs()) EXPECT_FALSE(exists(dir)) << dir;
  for (const std::string& dir : c.payload_dirs()) EXPECT_FALSE(exists(dir)) << dir;
}

TEST_F(CgroupTest, MonitorCgroupMadeLateOrNeverGoesWithThePayload) {
  // The runtime's way when the start leaves the monitor cgroup to it
  // (StartOptions::monitor_cgroup_later): the payload alone first; the
  // monitor cgroup made and entered later, or never when the container
  // ends first. destroy() removes what exists and moves the monitor back.
  auto body = [&](bool made_late) -> int {
    Result<ContainerCgroups> cg = ContainerCgroups::create_payload(host_, step());
    if (!cg) return 9;
    ContainerCgroups& c = cg.value();
    for (const std::string& dir : c.monitor_dirs())
      if (!dir.empty()) return 10;
    std::vector<std::string> before;
    for (const CgroupHierarchy& h : host_.cgroup_hierarchies) before.push_back(cgroup_of(::getpid(), h));
    std::vector<std::string> monitor_dirs;
    if (made_late) {
      if (!c.create_monitor(step()) || !c.enter_monitor_self(false)) return 11;
      monitor_dirs = c.monitor_dirs();
      for (size_t i = 0; i < host_.cgroup_hierarchies.size(); ++i) {
        const CgroupHierarchy& h = host_.cgroup_hierarchies[i];
        if (root_of(h) + cgroup_of(::getpid(), h) != monitor_dirs[i]) return 12;
      }
    }
    std::vector<std::string> payload_dirs = c.payload_dirs();
    if (!c.destroy()) return 13;
    for (size_t i = 0; i < host_.cgroup_hierarchies.size(); ++i)
      if (cgroup_of(::getpid(), host_.cgroup_hierarchies[i]) != before[i]) return 14;
    for (const std::string& dir : payload_dirs)
      if (exists(dir)) return 15;
    for (const std::string& dir : monitor_dirs)
      if (exists(dir)) return 16;
    for (const CgroupHierarchy& h : host_.cgroup_hierarchies)
      if (exists(base_of(h) + "/" + step().pivot)) return 17;
    return 0;
  };
  const char* meaning = "9: no payload; 10: a monitor dir early; 11: late monitor not made or entered; "
                        "12: not in it; 13: destroy failed; 14: not back; 15/16: a dir left; 17: a pivot left";
  EXPECT_CHILD_PASSES([&] { return body(true); }, meaning);
  EXPECT_CHILD_PASSES([&] { return body(false); }, meaning);
}

TEST_F(CgroupTest, MonitorInsideThePayloadGoesWithIt) {
  // lxc.cgroup.dir.monitor below lxc.cgroup.dir.container: removing the
  // payload takes the monitor's cgroup with it.
  CreateCgroups s = step();
  s.payload = tag_ + "-nest";
  s.monitor = tag_ + "-nest/monitor";
  s.payload_retry = s.monitor_retry = false;
  Result<ContainerCgroups> cg = ContainerCgroups::create(host_, s);
  ASSERT_TRUE(cg) << cg.error().render();
  Result<void> d = cg.value().destroy();
  EXPECT_TRUE(d) << d.error().render();
  for (const std::string& dir : cg.value().payload_dirs()) EXPECT_FALSE(exists(dir)) << dir;
}

TEST_F(CgroupTest, SelfMoveOfAThreadedProcessTakesEveryThread) {
  // Writing "0" to tasks would move the calling thread only; a process with
  // a second thread goes through cgroup.procs so that no thread stays behind.
  Result<ContainerCgroups> cg = ContainerCgroups::create(host_, step());
  ASSERT_TRUE(cg) << cg.error().render();
  ContainerCgroups& c = cg.value();
  auto body = [&]() -> int {
    int ready[2], done[2];
    if (::pipe(ready) != 0 || ::pipe(done) != 0) return 9;
    pid_t tid = 0;
    std::thread other([&] {
      tid = static_cast<pid_t>(::syscall(SYS_gettid));
      char byte;
      if (::write(ready[1], "r", 1) != 1 || ::read(done[0], &byte, 1) != 1) return;
    });
    char byte;
    if (::read(ready[0], &byte, 1) != 1) return 9;
    int result = c.enter_monitor_self(false) ? 0 : 10;
    std::string task = "/proc/" + std::to_string(::getpid()) + "/task/" + std::to_string(tid);
    for (size_t i = 0; result == 0 && i < host_.cgroup_hierarchies.size(); ++i) {
      const CgroupHierarchy& h = host_.cgroup_hierarchies[i];
      if (root_of(h) + cgroup_at(task, h) != c.monitor_dirs()[i]) result = 11;
    }
    if (result == 0 && !c.leave_monitor_self()) result = 12;
    if (::write(done[1], "x", 1) != 1) result = 9;
    other.join();
    return result;
  };
  EXPECT_CHILD_PASSES(body, "9: test setup; 10/12: a move failed; 11: the second thread was left behind");
  EXPECT_TRUE(c.destroy());
}

TEST_F(CgroupTest, CloneIntoTheUnifiedInitCgroup) {
  // What the runtime does for init: born in the cgroup2 payload by clone3's
  // CLONE_INTO_CGROUP, then the v1 moves with the unified one skipped.
  const CgroupHierarchy* unified = unified_hierarchy();
  Result<ContainerCgroups> cg = ContainerCgroups::create(host_, step());
  ASSERT_TRUE(cg) << cg.error().render();
  ContainerCgroups& c = cg.value();
  UniqueFd dir = c.open_unified_init_dir();
  if (!unified) {
    EXPECT_FALSE(dir.valid());
    GTEST_SKIP() << "no cgroup2 hierarchy here";
  }
  ASSERT_TRUE(dir.valid());
  pid_t child = clone_into_cgroup(0, nullptr, dir.get());
  if (child == 0) {
    if (!c.enter_payload_self(true)) ::_exit(10);
    for (size_t i = 0; i < host_.cgroup_hierarchies.size(); ++i) {
      const CgroupHierarchy& h = host_.cgroup_hierarchies[i];
      if (root_of(h) + cgroup_of(::getpid(), h) != c.init_dirs()[i]) ::_exit(11);
    }
    ::_exit(0);
  }
  ASSERT_GT(child, 0) << std::strerror(errno);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "10: the v1 moves failed; 11: not in the payload everywhere";
  EXPECT_TRUE(c.destroy());
}

TEST_F(CgroupTest, MonitorBornInItsCgroupThenPayloadBeside) {
  // A daemon monitor's way: the monitor cgroup first, the monitor cloned
  // into its unified part, the payload added; a helper it clones into its
  // origin (the janitor) stays out of the monitor cgroup; the v1 parts
  // entered; the monitor's destroy() moves it out and removes everything.
  if (!unified_hierarchy()) GTEST_SKIP() << "no cgroup2 hierarchy here";
  Result<ContainerCgroups> first = ContainerCgroups::create_monitor_first(host_, step());
  ASSERT_TRUE(first) << first.error().render();
  std::vector<std::string> monitor_dirs = first.value().monitor_dirs();
  for (const std::string& dir : monitor_dirs) EXPECT_TRUE(exists(dir)) << dir;
  for (const std::string& dir : first.value().payload_dirs()) EXPECT_TRUE(dir.empty()) << dir;
  UniqueFd into = first.value().open_unified_monitor_dir();
  ASSERT_TRUE(into.valid());
  pid_t monitor = clone_into_cgroup(0, nullptr, into.get());
  if (monitor == 0) {
    ContainerCgroups c = first.value();
    c.born_in_monitor();
    if (!c.caller_in_monitor()) ::_exit(9);
    if (!c.add_payload(step())) ::_exit(10);
    UniqueFd origin = c.open_unified_origin_dir();
    pid_t helper = clone_into_cgroup(0, nullptr, origin.get());
    if (helper == 0) {
      for (const CgroupHierarchy& h : host_.cgroup_hierarchies)
        if (cgroup_of(::getpid(), h).find("lxc.monitor.") != std::string::npos) ::_exit(1);
      ::_exit(0);
    }
    int status = 0;
    if (helper < 0 || ::waitpid(helper, &status, 0) != helper || status != 0) ::_exit(14);
    if (!c.enter_monitor_self(true)) ::_exit(11);
    for (size_t i = 0; i < host_.cgroup_hierarchies.size(); ++i) {
      const CgroupHierarchy& h = host_.cgroup_hierarchies[i];
      if (root_of(h) + cgroup_of(::getpid(), h) != c.monitor_dirs()[i]) ::_exit(12);
      if (!exists(c.payload_dirs()[i])) ::_exit(13);
    }
    ::_exit(c.destroy() ? 0 : 15);
  }
  ASSERT_GT(monitor, 0) << std::strerror(errno);
  int status = 0;
  ASSERT_EQ(::waitpid(monitor, &status, 0), monitor);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "9: not marked; 10: no payload; 11: v1 moves failed; 12: not in the monitor "
                                       "cgroup everywhere; 13: no payload dir; 14: the helper was in it; 15: destroy";
  for (const std::string& dir : monitor_dirs) EXPECT_FALSE(exists(dir)) << dir;
}

TEST_F(CgroupTest, AddPayloadFailureKeepsTheMonitorCgroup) {
  // add_payload undoes only what it made: the monitor cgroup made before
  // stays for destroy(), which knows the monitor may be in it.
  Result<ContainerCgroups> first = ContainerCgroups::create_monitor_first(host_, step());
  ASSERT_TRUE(first) << first.error().render();
  ContainerCgroups& c = first.value();
  CreateCgroups s = step();
  s.payload_retry = false;
  std::string taken = base_of(host_.cgroup_hierarchies.back()) + "/" + s.payload;
  ASSERT_EQ(::mkdir(taken.c_str(), 0755), 0) << taken;
  Result<void> r = c.add_payload(s);
  ::rmdir(taken.c_str());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().render().find("File exists"), std::string::npos) << r.error().render();
  for (const std::string& dir : c.monitor_dirs()) EXPECT_TRUE(exists(dir)) << dir;
  for (size_t i = 0; i + 1 < host_.cgroup_hierarchies.size(); ++i)
    EXPECT_FALSE(exists(base_of(host_.cgroup_hierarchies[i]) + "/" + s.payload));
  EXPECT_TRUE(c.destroy());
  for (const std::string& dir : c.monitor_dirs()) EXPECT_FALSE(exists(dir)) << dir;
}

// ---- limits ----------------------------------------------------------------------------------

const CgroupHierarchy* v1_with(const HostFacts& host, const std::string& controller) {
  for (const CgroupHierarchy& h : host.cgroup_hierarchies)
    if (!h.unified && std::find(h.controllers.begin(), h.controllers.end(), controller) != h.controllers.end())
      return &h;
  return nullptr;
}

TEST_F(CgroupTest, LimitsV1AreWrittenAndReadBack) {
  if (!v1_with(host_, "memory") || !v1_with(host_, "pids")) GTEST_SKIP() << "no v1 memory and pids hierarchies";
  Result<ContainerCgroups> cg = ContainerCgroups::create(host_, step());
  ASSERT_TRUE(cg) << cg.error().render();
  SetCgroupLimits limits;
  limits.version = 1;
  limits.writes = {{"memory.limit_in_bytes", "67108864", "test.conf:2:1"}, {"pids.max", "42", "test.conf:3:1"}};
  std::vector<std::string> warnings;
  Result<void> r = cg.value().apply(limits, &warnings);
  ASSERT_TRUE(r) << r.error().render();
  EXPECT_TRUE(warnings.empty());
  std::string memory = base_of(*v1_with(host_, "memory")) + "/lxc.payload." + tag_;
  std::string pids = base_of(*v1_with(host_, "pids")) + "/lxc.payload." + tag_;
  EXPECT_EQ(trimmed(read_file(memory + "/memory.limit_in_bytes")), "67108864");
  EXPECT_EQ(trimmed(read_file(pids + "/pids.max")), "42");
}

TEST_F(CgroupTest, LimitsUnknownControllerNamesTheLine) {
  Result<ContainerCgroups> cg = ContainerCgroups::create(host_, step());
  ASSERT_TRUE(cg) << cg.error().render();
  SetCgroupLimits limits;
  limits.version = 1;
  limits.writes = {{"bogus.limit", "1", "test.conf:7:1"}};
  Result<void> r = cg.value().apply(limits, nullptr);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().render(),
            "test.conf:7:1: lxc.cgroup.bogus.limit: no cgroup v1 hierarchy of this host has the 'bogus' controller");
}

TEST_F(CgroupTest, LimitsBadFileOrValueNameTheLineValueAndPath) {
  if (!v1_with(host_, "memory")) GTEST_SKIP() << "no v1 memory hierarchy";
  Result<ContainerCgroups> cg = ContainerCgroups::create(host_, step());
  ASSERT_TRUE(cg) << cg.error().render();
  std::string memory = base_of(*v1_with(host_, "memory")) + "/lxc.payload." + tag_;
  SetCgroupLimits limits;
  limits.version = 1;
  limits.writes = {{"memory.no_such_file", "1", "test.conf:4:1"}};
  Result<void> r = cg.value().apply(limits, nullptr);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().render(), "test.conf:4:1: lxc.cgroup.memory.no_such_file = '1': write `" + memory +
                                    "/memory.no_such_file`: No such file or directory");
  limits.writes = {{"memory.limit_in_bytes", "lots", "test.conf:5:1"}};
  r = cg.value().apply(limits, nullptr);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().sys_errno(), EINVAL);
  EXPECT_EQ(r.error().render(), "test.conf:5:1: lxc.cgroup.memory.limit_in_bytes = 'lots': write `" + memory +
                                    "/memory.limit_in_bytes`: Invalid argument");
}

TEST_F(CgroupTest, LimitsV1DevicePathBecomesARule) {
  if (!v1_with(host_, "devices")) GTEST_SKIP() << "no v1 devices hierarchy";
  Result<ContainerCgroups> cg = ContainerCgroups::create(host_, step());
  ASSERT_TRUE(cg) << cg.error().render();
  SetCgroupLimits devices;
  devices.version = 1;
  devices.device_rules = true;
  devices.writes = {{"devices.deny", "a", "t:1:1"},
                    {"devices.allow", "/dev/null rwm", "t:2:1"},
                    {"devices.allow", "c 1:5 r", "t:3:1"}};
  std::vector<std::string> warnings;
  Result<void> r = cg.value().apply(devices, &warnings);
  ASSERT_TRUE(r) << r.error().render();
  std::string list = read_file(base_of(*v1_with(host_, "devices")) + "/lxc.payload." + tag_ + "/devices.list");
  EXPECT_EQ(list, "c 1:3 rwm\nc 1:5 r\n");
  devices.writes = {{"devices.allow", "/etc/hostname rwm", "t:9:1"}};
  r = cg.value().apply(devices, &warnings);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().render().find("t:9:1: lxc.cgroup.devices.allow = '/etc/hostname rwm'"), std::string::npos)
      << r.error().render();
}

TEST_F(CgroupTest, LimitsRefusedDeviceRuleIsOnlyAWarning) {
  // A parent that denies a device makes the kernel refuse to allow it
  // below with EPERM: LXC warns and goes on.
  if (!v1_with(host_, "devices")) GTEST_SKIP() << "no v1 devices hierarchy";
  CreateCgroups s = step();
  s.payload = tag_ + "-parent/lxc.payload." + tag_;
  Result<ContainerCgroups> cg = ContainerCgroups::create(host_, s);
  ASSERT_TRUE(cg) << cg.error().render();
  ASSERT_TRUE(write_file(base_of(*v1_with(host_, "devices")) + "/" + tag_ + "-parent/devices.deny", "c 1:3 rwm"));
  SetCgroupLimits devices;
  devices.version = 1;
  devices.device_rules = true;
  devices.writes = {{"devices.allow", "c 1:3 rwm", "t:2:1"}};
  std::vector<std::string> warnings;
  Result<void> r = cg.value().apply(devices, &warnings);
  ASSERT_TRUE(r) << r.error().render();
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("t:2:1: lxc.cgroup.devices.allow = 'c 1:3 rwm': write `"), std::string::npos)
      << warnings[0];
  EXPECT_TRUE(cg.value().destroy());
}

// ---- freezer ---------------------------------------------------------------------------------

TEST_F(CgroupTest, FreezeAndThawAChild) {
  const CgroupHierarchy* freezer = v1_with(host_, "freezer");
  if (!freezer) GTEST_SKIP() << "no v1 freezer hierarchy";
  Result<ContainerCgroups> cg = ContainerCgroups::create(host_, step());
  ASSERT_TRUE(cg) << cg.error().render();
  int go = -1;
  pid_t child = spawn(60000, &go);  // spins for a minute once told to
  ASSERT_GT(child, 0);
  ASSERT_TRUE(cg.value().enter_payload(child));
  ASSERT_EQ(::write(go, "g", 1), 1);
  ::close(go);
  std::string state = base_of(*freezer) + "/lxc.payload." + tag_ + "/freezer.state";
  EXPECT_FALSE(cg.value().frozen());
  Result<void> r = cg.value().freeze(10000);
  ASSERT_TRUE(r) << r.error().render();
  EXPECT_EQ(trimmed(read_file(state)), "FROZEN");
  EXPECT_TRUE(cg.value().frozen());
  long before = cpu_ticks(child);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(cpu_ticks(child), before) << "a frozen child kept running";
  r = cg.value().thaw(10000);
  ASSERT_TRUE(r) << r.error().render();
  EXPECT_EQ(trimmed(read_file(state)), "THAWED");
  EXPECT_FALSE(cg.value().frozen());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_GT(cpu_ticks(child), before) << "the thawed child does not run";
}

// ---- stats -----------------------------------------------------------------------------------

TEST_F(CgroupTest, StatsCountABusyChild) {
  Result<ContainerCgroups> cg = ContainerCgroups::create(host_, step());
  ASSERT_TRUE(cg) << cg.error().render();
  int go = -1;
  pid_t child = spawn(200, &go);
  ASSERT_GT(child, 0);
  ASSERT_TRUE(cg.value().enter_payload(child));
  ContainerCgroups::Stats idle = cg.value().stats();
  ASSERT_EQ(::write(go, "g", 1), 1);
  ::close(go);
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  ContainerCgroups::Stats s = cg.value().stats();
  ASSERT_TRUE(s.cpu_ns.has_value());
  EXPECT_GT(*s.cpu_ns, 100'000'000u) << "200 ms of spinning";
  EXPECT_GE(*s.cpu_ns, idle.cpu_ns.value_or(0));
  if (v1_with(host_, "memory")) {
    ASSERT_TRUE(s.memory_bytes.has_value());
    EXPECT_GT(*s.memory_bytes, 0u);
    EXPECT_TRUE(s.kmem_bytes.has_value());
  }
  if (v1_with(host_, "blkio")) {
    EXPECT_TRUE(s.blkio_bytes.has_value());
  }
}

// ---- destroy ---------------------------------------------------------------------------------

TEST_F(CgroupTest, DestroyKillsWhatIsInsideAndRemovesSubCgroups) {
  Result<ContainerCgroups> cg = ContainerCgroups::create(host_, step());
  ASSERT_TRUE(cg) << cg.error().render();
  pid_t init = spawn(), grandchild = spawn();
  ASSERT_GT(init, 0);
  ASSERT_GT(grandchild, 0);
  ASSERT_TRUE(cg.value().enter_payload(init));
  // The container made cgroups of its own, one process in one of them.
  for (const std::string& dir : cg.value().payload_dirs()) {
    ASSERT_EQ(::mkdir((dir + "/sub").c_str(), 0755), 0) << dir;
    ASSERT_EQ(::mkdir((dir + "/sub/deeper").c_str(), 0755), 0) << dir;
  }
  for (const std::string& dir : cg.value().payload_dirs()) {
    if (dir.find("/cpuset/") != std::string::npos) {
      write_file(dir + "/sub/cpuset.cpus", trimmed(read_file(dir + "/cpuset.cpus")));
      write_file(dir + "/sub/cpuset.mems", trimmed(read_file(dir + "/cpuset.mems")));
      write_file(dir + "/sub/deeper/cpuset.cpus", trimmed(read_file(dir + "/cpuset.cpus")));
      write_file(dir + "/sub/deeper/cpuset.mems", trimmed(read_file(dir + "/cpuset.mems")));
    }
    ASSERT_TRUE(write_file(dir + "/sub/deeper/cgroup.procs", std::to_string(grandchild))) << dir;
  }
  Result<void> r = cg.value().destroy();
  ASSERT_TRUE(r) << r.error().render();
  for (pid_t p : {init, grandchild}) {
    int status = 0;
    ASSERT_EQ(::waitpid(p, &status, 0), p);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;
  }
  children_.clear();
  for (const std::string& dir : cg.value().payload_dirs()) EXPECT_FALSE(exists(dir)) << dir;
  for (const std::string& dir : cg.value().monitor_dirs()) EXPECT_FALSE(exists(dir)) << dir;
}

TEST_F(CgroupTest, DestroyKillsAFrozenContainer) {
  if (!v1_with(host_, "freezer")) GTEST_SKIP() << "no v1 freezer hierarchy";
  Result<ContainerCgroups> cg = ContainerCgroups::create(host_, step());
  ASSERT_TRUE(cg) << cg.error().render();
  pid_t init = spawn();
  ASSERT_GT(init, 0);
  ASSERT_TRUE(cg.value().enter_payload(init));
  ASSERT_TRUE(cg.value().freeze(10000));
  Result<void> r = cg.value().destroy();
  ASSERT_TRUE(r) << r.error().render();
  int status = 0;
  ASSERT_EQ(::waitpid(init, &status, 0), init);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  children_.clear();
  for (const std::string& dir : cg.value().payload_dirs()) EXPECT_FALSE(exists(dir)) << dir;
}

TEST_F(CgroupTest, DestroyMovesTheMonitorBackAndOthersToThePivot) {
  // The monitor (here a forked child of the test) tears down its own
  // container: it goes back to the cgroup it came from, so the pivot is not
  // kept busy by it; anything else left in the monitor cgroup (a hook's
  // leftover) goes to the pivot.
  Result<ContainerCgroups> cg = ContainerCgroups::create(host_, step());
  ASSERT_TRUE(cg) << cg.error().render();
  pid_t leftover = spawn();
  ASSERT_GT(leftover, 0);
  pid_t monitor = ::fork();
  if (monitor == 0) {
    ContainerCgroups mine = cg.value();
    if (!mine.enter_monitor(::getpid()) || !mine.enter_monitor(leftover)) ::_exit(10);
    if (!mine.destroy()) ::_exit(11);
    for (const CgroupHierarchy& h : host_.cgroup_hierarchies) {
      std::string origin = h.self_base == "/" ? "/" : h.self_base;
      if (cgroup_of(::getpid(), h) != origin) ::_exit(12);
      std::string pivot = (h.base == "/" ? "" : h.base) + "/" + tag_ + ".pivot";
      if (cgroup_of(leftover, h) != pivot) ::_exit(13);
    }
    ::_exit(0);
  }
  ASSERT_GT(monitor, 0);
  int status = 0;
  ASSERT_EQ(::waitpid(monitor, &status, 0), monitor);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "10: enter, 11: destroy, 12: monitor not back, 13: leftover not in the pivot";
  for (const std::string& dir : cg.value().monitor_dirs()) EXPECT_FALSE(exists(dir)) << dir;
  // The pivot is shared (LXC's containers leave theirs): once the leftover
  // has gone, another teardown of the same container leaves it alone.
  ::kill(leftover, SIGKILL);
  ::waitpid(leftover, nullptr, 0);
  Result<void> r = cg.value().destroy();
  ASSERT_TRUE(r) << r.error().render();
  for (const CgroupHierarchy& h : host_.cgroup_hierarchies) EXPECT_TRUE(exists(base_of(h) + "/" + tag_ + ".pivot"));
}

TEST_F(CgroupTest, DestroyLeavesAPivotItDidNotMake) {
  // An empty pivot that was there before (LXC's) survives a teardown whose
  // monitor cgroup is busy for a moment, or already gone.
  for (const CgroupHierarchy& h : host_.cgroup_hierarchies)
    ASSERT_EQ(::mkdir((base_of(h) + "/" + tag_ + ".pivot").c_str(), 0755), 0);
  Result<ContainerCgroups> cg = ContainerCgroups::create(host_, step());
  ASSERT_TRUE(cg) << cg.error().render();
  ContainerCgroups copy = cg.value();
  Result<void> r = cg.value().destroy();
  ASSERT_TRUE(r) << r.error().render();
  r = copy.destroy();  // everything already gone
  ASSERT_TRUE(r) << r.error().render();
  for (const CgroupHierarchy& h : host_.cgroup_hierarchies) EXPECT_TRUE(exists(base_of(h) + "/" + tag_ + ".pivot"));
}

// ---- for_pid ---------------------------------------------------------------------------------

// ---- the janitor ---------------------------------------------------------------------------

TEST_F(CgroupTest, TextNamesTheSameDirectoriesAndRefusesAnythingElse) {
  Result<ContainerCgroups> cg = ContainerCgroups::create(host_, step());
  ASSERT_TRUE(cg) << cg.error().render();
  std::string text = cg.value().to_text();
  EXPECT_EQ(text.find('\n'), std::string::npos);
  std::optional<ContainerCgroups> back = ContainerCgroups::from_text(text);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->payload_dirs(), cg.value().payload_dirs());
  EXPECT_EQ(back->monitor_dirs(), cg.value().monitor_dirs());
  EXPECT_EQ(back->init_dirs(), cg.value().init_dirs());
  EXPECT_EQ(back->to_text(), text);
  for (const std::string& bad : {std::string(), std::string("garbage"), text.substr(0, text.size() - 1), text + "x",
                                 "17:corral-cgroups/1" + text.substr(text.find(':') + 17),
                                 "16:corral-cgroups/2" + text.substr(text.find(':') + 17)})
    EXPECT_FALSE(ContainerCgroups::from_text(bad)) << bad;
  ASSERT_TRUE(back->destroy());
  for (const std::string& dir : cg.value().payload_dirs()) EXPECT_FALSE(exists(dir)) << dir;
  for (const std::string& dir : cg.value().monitor_dirs()) EXPECT_FALSE(exists(dir)) << dir;
}

/// Whether `holds()` comes true within `seconds` (polled every 20 ms).
template <typename Predicate>
bool within(int seconds, Predicate holds) {
  for (int i = 0; i < seconds * 50; ++i) {
    if (holds()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return holds();
}

/// Whether `dirs` are all gone within `seconds`.
bool gone_within(const std::vector<std::string>& dirs, int seconds) {
  return within(seconds, [&] { return std::none_of(dirs.begin(), dirs.end(), exists); });
}

TEST_F(CgroupTest, JanitorRemovesTheCgroupsOfAKilledMonitor) {
  // A "monitor" (a child of the test) starts the janitor, publishes twice
  // (the second text takes the other slot), and is killed: the janitor
  // executes corral, which kills the container's process and removes the
  // payload and monitor cgroups.
  Result<ContainerCgroups> cg = ContainerCgroups::create(host_, step());
  ASSERT_TRUE(cg) << cg.error().render();
  pid_t init = spawn();
  ASSERT_GT(init, 0);
  ASSERT_TRUE(cg.value().enter_payload(init));
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t monitor = ::fork();
  ASSERT_GE(monitor, 0);
  if (monitor == 0) {
    runtime::Janitor janitor;
    if (!janitor.spawn(tag_, -1, CORRAL_BINARY)) ::_exit(1);
    if (!janitor.publish(cg.value()) || !janitor.publish(cg.value())) ::_exit(2);
    std::string pid = std::to_string(janitor.pid());
    if (::write(ready[1], pid.c_str(), pid.size()) <= 0) ::_exit(3);
    for (;;) ::pause();
  }
  ::close(ready[1]);
  char buf[32] = {};
  ASSERT_GT(::read(ready[0], buf, sizeof buf - 1), 0) << "the monitor could not start its janitor";
  ::close(ready[0]);
  pid_t janitor = std::atoi(buf);
  // It names itself once it runs, perhaps only after the monitor's word.
  std::string comm;
  within(2, [&] { return (comm = trimmed(read_file("/proc/" + std::string(buf) + "/comm"))) == "corral-janitor"; });
  EXPECT_EQ(comm, "corral-janitor");
  ::kill(monitor, SIGKILL);
  ::waitpid(monitor, nullptr, 0);
  std::vector<std::string> all = cg.value().payload_dirs();
  for (const std::string& dir : cg.value().monitor_dirs()) all.push_back(dir);
  ASSERT_TRUE(gone_within(all, 15)) << "the janitor left the cgroups";  // TearDown kills init then
  int status = 0;
  EXPECT_EQ(::waitpid(init, &status, 0), init);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;
  children_.clear();
  EXPECT_TRUE(gone_within({"/proc/" + std::to_string(janitor)}, 5)) << "the janitor stays";
}

TEST_F(CgroupTest, JanitorDismissedLeavesEverythingAndGoes) {
  Result<ContainerCgroups> cg = ContainerCgroups::create(host_, step());
  ASSERT_TRUE(cg) << cg.error().render();
  auto body = [&]() -> int {
    runtime::Janitor janitor;
    if (!janitor.spawn(tag_, -1, CORRAL_BINARY)) return 10;
    if (!janitor.publish(cg.value())) return 11;
    pid_t pid = janitor.pid();
    janitor.dismiss();
    int status = 0;
    if (::waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return 12;
    return 0;
  };
  EXPECT_CHILD_PASSES(body, "10: spawn; 11: publish; 12: the janitor did not exit 0 at the goodbye");
  for (const std::string& dir : cg.value().payload_dirs()) EXPECT_TRUE(exists(dir)) << dir;
  for (const std::string& dir : cg.value().monitor_dirs()) EXPECT_TRUE(exists(dir)) << dir;
}

TEST_F(CgroupTest, JanitorOfAMonitorKilledBeforeAnyPublishTouchesNothing) {
  Result<ContainerCgroups> cg = ContainerCgroups::create(host_, step());
  ASSERT_TRUE(cg) << cg.error().render();
  auto body = [&]() -> int {
    pid_t monitor = ::fork();
    if (monitor == 0) {
      runtime::Janitor janitor;
      if (!janitor.spawn(tag_, -1, CORRAL_BINARY)) ::_exit(1);
      for (;;) ::pause();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ::kill(monitor, SIGKILL);
    ::waitpid(monitor, nullptr, 0);
    return 0;
  };
  EXPECT_CHILD_PASSES(body, "setup");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  for (const std::string& dir : cg.value().payload_dirs()) EXPECT_TRUE(exists(dir)) << dir;
}

TEST_F(CgroupTest, ForPidFindsTheSameDirs) {
  Result<ContainerCgroups> cg = ContainerCgroups::create(host_, step());
  ASSERT_TRUE(cg) << cg.error().render();
  pid_t init = spawn();
  ASSERT_GT(init, 0);
  ASSERT_TRUE(cg.value().enter_payload(init));
  Result<ContainerCgroups> found = ContainerCgroups::for_pid(host_, init);
  ASSERT_TRUE(found) << found.error().render();
  EXPECT_EQ(found.value().payload_dirs(), cg.value().payload_dirs());
  EXPECT_EQ(found.value().payload_name(), "lxc.payload." + tag_);
  EXPECT_TRUE(found.value().monitor_dirs().empty());
  // init moved itself into a sub-cgroup (systemd's init.scope): same payload
  for (const std::string& dir : cg.value().payload_dirs()) {
    ASSERT_EQ(::mkdir((dir + "/init.scope").c_str(), 0755), 0);
    if (dir.find("/cpuset/") != std::string::npos) {
      write_file(dir + "/init.scope/cpuset.cpus", trimmed(read_file(dir + "/cpuset.cpus")));
      write_file(dir + "/init.scope/cpuset.mems", trimmed(read_file(dir + "/cpuset.mems")));
    }
    ASSERT_TRUE(write_file(dir + "/init.scope/cgroup.procs", std::to_string(init)));
  }
  found = ContainerCgroups::for_pid(host_, init);
  ASSERT_TRUE(found) << found.error().render();
  EXPECT_EQ(found.value().payload_dirs(), cg.value().payload_dirs());
  if (v1_with(host_, "freezer")) {
    ASSERT_TRUE(found.value().freeze(10000));
    EXPECT_TRUE(cg.value().frozen());
    ASSERT_TRUE(found.value().thaw(10000));
  }
  EXPECT_TRUE(found.value().stats().cpu_ns.has_value());
}

TEST_F(CgroupTest, ForPidRefusesAProcessOutsideAnyContainer) {
  Result<ContainerCgroups> found = ContainerCgroups::for_pid(host_, 1);
  ASSERT_FALSE(found);
  EXPECT_NE(found.error().render().find("process 1 is in no container's cgroup"), std::string::npos)
      << found.error().render();
  found = ContainerCgroups::for_pid(host_, 999999999);
  ASSERT_FALSE(found);
  EXPECT_EQ(found.error().sys_errno(), ENOENT);
}

// ---- a pure cgroup2 host, simulated on the unified hierarchy --------------------------------

class CgroupUnifiedTest : public CgroupTest {
 protected:
  void SetUp() override {
    CgroupTest::SetUp();
    if (IsSkipped()) return;
    const CgroupHierarchy* u = unified_hierarchy();
    if (!u) GTEST_SKIP() << "no cgroup2 hierarchy";
    // A base of our own, so that the test's own cgroup is untouched.
    std::string base = (u->base == "/" ? "" : u->base) + "/" + tag_ + "-base";
    ASSERT_EQ(::mkdir((root_of(*u) + base).c_str(), 0755), 0);
    CgroupHierarchy h = *u;
    h.base = h.self_base = base;
    pure_.cgroup_layout = CgroupLayout::unified;
    pure_.cgroup_hierarchies = {h};
  }
  HostFacts pure_;
};

TEST_F(CgroupUnifiedTest, LimitsFreezeStatsDestroy) {
  Result<ContainerCgroups> cg = ContainerCgroups::create(pure_, step());
  ASSERT_TRUE(cg) << cg.error().render();
  ASSERT_EQ(cg.value().payload_dirs().size(), 1u);
  std::string payload = cg.value().payload_dirs()[0];
  std::string base = base_of(pure_.cgroup_hierarchies[0]);
  EXPECT_EQ(payload, base + "/lxc.payload." + tag_);
  // delegation: the base enables what it has for its children
  std::string available = trimmed(read_file(base + "/cgroup.controllers"));
  EXPECT_EQ(trimmed(read_file(base + "/cgroup.subtree_control")), available);

  SetCgroupLimits limits;
  limits.version = 2;
  limits.writes = {{"cgroup.max.descendants", "3", "t:1:1"}};
  Result<void> r = cg.value().apply(limits, nullptr);
  ASSERT_TRUE(r) << r.error().render();
  EXPECT_EQ(trimmed(read_file(payload + "/cgroup.max.descendants")), "3");
  limits.writes = {{"nosuch.file", "3", "t:2:1"}};
  r = cg.value().apply(limits, nullptr);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().render(),
            "t:2:1: lxc.cgroup2.nosuch.file = '3': write `" + payload + "/nosuch.file`: No such file or directory");

  int go = -1;
  pid_t init = spawn(60000, &go);
  ASSERT_GT(init, 0);
  ASSERT_TRUE(cg.value().enter_payload(init));
  ASSERT_EQ(::write(go, "g", 1), 1);
  ::close(go);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  r = cg.value().freeze(10000);
  ASSERT_TRUE(r) << r.error().render();
  EXPECT_EQ(trimmed(read_file(payload + "/cgroup.freeze")), "1");
  EXPECT_NE(read_file(payload + "/cgroup.events").find("frozen 1"), std::string::npos);
  EXPECT_TRUE(cg.value().frozen());
  r = cg.value().thaw(10000);
  ASSERT_TRUE(r) << r.error().render();
  EXPECT_FALSE(cg.value().frozen());
  ContainerCgroups::Stats s = cg.value().stats();
  ASSERT_TRUE(s.cpu_ns.has_value()) << "cpu.stat usage_usec";
  EXPECT_GT(*s.cpu_ns, 50'000'000u);

  r = cg.value().freeze(10000);  // destroy must kill a frozen cgroup2 container too
  ASSERT_TRUE(r) << r.error().render();
  r = cg.value().destroy();
  ASSERT_TRUE(r) << r.error().render();
  int status = 0;
  ASSERT_EQ(::waitpid(init, &status, 0), init);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  children_.clear();
  EXPECT_FALSE(exists(payload));
  EXPECT_FALSE(exists(base + "/lxc.monitor." + tag_));
}

TEST_F(CgroupUnifiedTest, DeviceProgram) {
  Result<ContainerCgroups> cg = ContainerCgroups::create(pure_, step());
  ASSERT_TRUE(cg) << cg.error().render();
  SetCgroupLimits devices;
  devices.version = 2;
  devices.device_rules = true;
  devices.writes = {{"devices.deny", "a", "t:1:1"},
                    {"devices.allow", "c 1:3 rwm", "t:2:1"},       // /dev/null
                    {"devices.allow", "/dev/urandom r", "t:3:1"},  // 1:9, read only
                    {"devices.allow", "c 1:5 rwm", "t:4:1"},
                    {"devices.deny", "c 1:5 rwm", "t:5:1"}};  // same rule again: now a deny, so /dev/zero is denied
  // The child probes the devices once it is in the cgroup with the program.
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  pid_t child = ::fork();
  if (child == 0) {
    char c;
    if (::read(fds[0], &c, 1) != 1) ::_exit(100);
    int code = 0;
    int fd = ::open("/dev/null", O_RDWR);
    if (fd < 0) code |= 1;
    ::close(fd);
    fd = ::open("/dev/zero", O_RDONLY);
    if (fd >= 0 || errno != EPERM) code |= 2;
    ::close(fd);
    fd = ::open("/dev/urandom", O_RDONLY);
    if (fd < 0) code |= 4;
    ::close(fd);
    fd = ::open("/dev/urandom", O_WRONLY);
    if (fd >= 0 || errno != EPERM) code |= 8;
    ::close(fd);
    ::_exit(code);
  }
  ASSERT_GT(child, 0);
  children_.push_back(child);
  ::close(fds[0]);
  ASSERT_TRUE(cg.value().enter_payload(child));
  Result<void> r = cg.value().apply(devices, nullptr);
  ASSERT_TRUE(r) << r.error().render();
  ASSERT_EQ(::write(fds[1], "g", 1), 1);
  ::close(fds[1]);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  children_.clear();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0)
      << "1: null denied, 2: zero allowed, 4: urandom read denied, 8: urandom write allowed";

  devices.writes = {{"devices.allow", "x 1:3 rwm", "t:6:1"}};
  r = cg.value().apply(devices, nullptr);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().render().find("t:6:1: lxc.cgroup2.devices.allow = 'x 1:3 rwm': expected 'a' or"),
            std::string::npos)
      << r.error().render();
  EXPECT_TRUE(cg.value().destroy());
}

}  // namespace
}  // namespace corral::exec
