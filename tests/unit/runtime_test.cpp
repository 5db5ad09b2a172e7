// The runtime's small pieces: socket names, states, defines, attach
// namespace lists, and the monitor/child message channel.
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/container_args.hpp"
#include "exec/attach.hpp"
#include "exec/message.hpp"
#include "runtime/commands.hpp"
#include "runtime/lxcpath.hpp"
#include "util/strings.hpp"

namespace corral {
namespace {

TEST(ContainerPaths, CommandSocketIsLxcs) {
  runtime::ContainerPaths p{"/var/lib/lxc", "web"};
  EXPECT_EQ(p.command_socket(), "/var/lib/lxc/web/command");
  EXPECT_EQ(p.config(), "/var/lib/lxc/web/config");
  EXPECT_EQ(p.lock_file(), "/run/lxc/lock/var/lib/lxc/.web");
}

TEST(ContainerPaths, LongNamesAreHashedAsLxcDoes) {
  // FNV-1a 64 of "<lxcpath>/<name>", as lxc_make_abstract_socket_name does.
  std::string lxcpath = "/" + std::string(100, 'p');
  runtime::ContainerPaths p{lxcpath, "c"};
  std::string name = p.command_socket();
  ASSERT_EQ(name.size(), std::string("lxc/0123456789abcdef/command").size());
  EXPECT_EQ(name.substr(0, 4), "lxc/");
  EXPECT_EQ(name.substr(20), "/command");
  // A path that just fits is not hashed.
  runtime::ContainerPaths fits{"/" + std::string(90, 'p'), "c"};
  EXPECT_EQ(fits.command_socket(), fits.lxcpath + "/c/command");
}

TEST(ContainerPaths, LockMakesItsDirectoriesAndHoldsOneStart) {
  const char* xdg = ::getenv("XDG_RUNTIME_DIR");
  if (::geteuid() != 0 && !(xdg && *xdg)) GTEST_SKIP() << "no runtime directory of this user's (XDG_RUNTIME_DIR)";
  std::string top = "/corral-unit-lock-" + std::to_string(::getpid());
  runtime::ContainerPaths p{top + "/lxc", "c"};
  std::string file = p.lock_file();
  std::string under = file.substr(0, file.find(top) + top.size());
  struct Cleanup {
    std::string file, under;
    ~Cleanup() {
      ::unlink(file.c_str());
      ::rmdir((under + "/lxc").c_str());
      ::rmdir(under.c_str());
    }
  } cleanup{file, under};
  {
    Result<UniqueFd> first = runtime::lock_container(p, false);
    ASSERT_TRUE(first) << first.error().render();
    EXPECT_EQ(::access(file.c_str(), F_OK), 0) << file;
    Result<UniqueFd> second = runtime::lock_container(p, false);
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().sys_errno(), EAGAIN) << second.error().render();
  }
  EXPECT_TRUE(runtime::lock_container(p, false)) << "free again once the first is closed";
}

TEST(ContainerPaths, NormalizesTrailingSlashes) {
  EXPECT_EQ(runtime::normalize_lxcpath("/var/lib/lxc//"), "/var/lib/lxc");
  EXPECT_EQ(runtime::normalize_lxcpath("/"), "/");
}

TEST(States, NamesAndNumbersAreLxcs) {
  EXPECT_STREQ(runtime::state_name(runtime::State::stopped), "STOPPED");
  EXPECT_STREQ(runtime::state_name(runtime::State::thawed), "THAWED");
  EXPECT_EQ(runtime::parse_state("FROZEN"), runtime::State::frozen);
  EXPECT_EQ(static_cast<int>(*runtime::parse_state("RUNNING")), 2);
  EXPECT_FALSE(runtime::parse_state("running").has_value());  // exact upper case, as LXC
}

TEST(Defines, SplitLikeLxcStart) {
  auto d = cli::split_define(" lxc.uts.name = 'web' ");
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->first, "lxc.uts.name");
  EXPECT_EQ(d->second, "web");
  auto eq = cli::split_define("lxc.environment=A=B");
  ASSERT_TRUE(eq.has_value());
  EXPECT_EQ(eq->second, "A=B");
  EXPECT_FALSE(cli::split_define("uts.name=web").has_value());
  EXPECT_FALSE(cli::split_define("lxc.uts.name").has_value());
}

TEST(AttachNamespaces, ParsesBothSpellings) {
  EXPECT_EQ(exec::parse_attach_namespaces("MOUNT|PID"), static_cast<unsigned long>(CLONE_NEWNS | CLONE_NEWPID));
  EXPECT_EQ(exec::parse_attach_namespaces("net|uts"), static_cast<unsigned long>(CLONE_NEWNET | CLONE_NEWUTS));
  EXPECT_FALSE(exec::parse_attach_namespaces("MOUNT|BOGUS").has_value());
}

TEST(JsonQuote, EscapesWhatJsonNeeds) {
  EXPECT_EQ(json_quote("a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\n\\u0001\"");
}

TEST(SyncChannel, CarriesMessagesAndDescriptors) {
  int pair[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair), 0);
  UniqueFd a(pair[0]), b(pair[1]);
  int pipefd[2];
  ASSERT_EQ(::pipe(pipefd), 0);
  UniqueFd rd(pipefd[0]), wr(pipefd[1]);
  ASSERT_TRUE(exec::send_sync(a.get(), exec::SyncKind::fds, 3, 0, "console", {rd.get()}).ok());
  ASSERT_TRUE(exec::send_sync(a.get(), exec::SyncKind::error, 5, EPERM, "step mount-proc: boom").ok());
  bool eof = false;
  Result<exec::SyncMessage> m = exec::recv_sync(b.get(), &eof);
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(eof);
  EXPECT_EQ(m.value().kind, exec::SyncKind::fds);
  EXPECT_EQ(m.value().text, "console");
  ASSERT_EQ(m.value().fds.size(), 1u);
  // The received descriptor is the same pipe.
  ASSERT_EQ(::write(wr.get(), "x", 1), 1);
  char c = 0;
  ASSERT_EQ(::read(m.value().fds[0].get(), &c, 1), 1);
  EXPECT_EQ(c, 'x');
  Result<exec::SyncMessage> e = exec::recv_sync(b.get(), &eof);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e.value().kind, exec::SyncKind::error);
  EXPECT_EQ(e.value().step, 5);
  EXPECT_EQ(e.value().err, EPERM);
  EXPECT_EQ(e.value().text, "step mount-proc: boom");
  a.reset();
  Result<exec::SyncMessage> end = exec::recv_sync(b.get(), &eof);
  ASSERT_TRUE(end.ok());
  EXPECT_TRUE(eof);
}

// A child that fails before it reads the monitor's last word closes its
// end with that word unread: the kernel then reports ECONNRESET once, and
// the child's error must still come through.
TEST(SyncChannel, ErrorOfAPeerThatLeftAMessageUnreadComesThrough) {
  int pair[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair), 0);
  UniqueFd monitor(pair[0]), child(pair[1]);
  ASSERT_TRUE(exec::send_sync(child.get(), exec::SyncKind::error, 3, ENOENT, "step mount-rootfs: gone").ok());
  ASSERT_TRUE(exec::send_sync(monitor.get(), exec::SyncKind::cgroups, 0).ok());
  child.reset();
  bool eof = false;
  Result<exec::SyncMessage> e = exec::recv_sync(monitor.get(), &eof);
  ASSERT_TRUE(e.ok()) << e.error().render();
  EXPECT_FALSE(eof);
  EXPECT_EQ(e.value().kind, exec::SyncKind::error);
  EXPECT_EQ(e.value().text, "step mount-rootfs: gone");
  Result<exec::SyncMessage> end = exec::recv_sync(monitor.get(), &eof);
  ASSERT_TRUE(end.ok()) << end.error().render();
  EXPECT_TRUE(eof);
}

}  // namespace
}  // namespace corral
