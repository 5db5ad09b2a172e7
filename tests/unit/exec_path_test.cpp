// util/exec_path: execvp's search with an explicit environment, as init
// uses it while it shares the monitor's memory and as the init shim does.
// Each case runs in a forked child, since success replaces the process.
#include "util/exec_path.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "util/fs.hpp"

namespace corral {
namespace {

class ExecPathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/corral-exec-path-test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { EXPECT_TRUE(remove_tree(dir_).ok()); }

  void write(const std::string& name, const std::string& text, mode_t mode) {
    std::ofstream(dir_ + "/" + name) << text;
    ASSERT_EQ(::chmod((dir_ + "/" + name).c_str(), mode), 0);
  }

  // The exit status of a child that calls exec_searching_path, or 200 + the
  // errno it returned when it did not exec.
  static int run(std::vector<std::string> args, std::vector<std::string> env) {
    std::vector<char*> argv, envp;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (std::string& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    pid_t pid = ::fork();
    if (pid == 0) ::_exit(200 + static_cast<int>(exec_searching_path(argv.data(), envp.data())));
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  std::string dir_;
};

TEST_F(ExecPathTest, SearchesThePathOfTheGivenEnvironment) {
  write("seven", "#!/bin/sh\nexit 7\n", 0755);
  EXPECT_EQ(run({"seven"}, {"PATH=/nonexistent:" + dir_}), 7);
  // Not the caller's PATH: the environment given has none, so /bin:/usr/bin.
  EXPECT_EQ(run({"seven"}, {}), 200 + ENOENT);
  EXPECT_EQ(run({"true"}, {}), 0);
}

TEST_F(ExecPathTest, ANameWithASlashIsNotSearched) {
  write("seven", "#!/bin/sh\nexit 7\n", 0755);
  EXPECT_EQ(run({dir_ + "/seven"}, {"PATH=/nonexistent"}), 7);
  EXPECT_EQ(run({"./nonexistent/seven"}, {"PATH=" + dir_}), 200 + ENOENT);
}

TEST_F(ExecPathTest, APermissionDeniedOutranksLaterMisses) {
  write("seven", "#!/bin/sh\nexit 7\n", 0644);
  EXPECT_EQ(run({"seven"}, {"PATH=" + dir_ + ":/nonexistent"}), 200 + EACCES);
}

TEST_F(ExecPathTest, AScriptWithoutInterpreterLineRunsInTheShell) {
  write("script", "exit $(($1 + 1))\n", 0755);
  EXPECT_EQ(run({"script", "4"}, {"PATH=" + dir_}), 5);
}

}  // namespace
}  // namespace corral
