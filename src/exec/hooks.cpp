#include "exec/hooks.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>

#include "util/fd.hpp"

namespace corral::exec {

namespace {

/// The last non-empty line of a hook's output, to put in the error.
std::string last_line(const std::string& out) {
  size_t end = out.find_last_not_of("\n\r ");
  if (end == std::string::npos) return "";
  size_t start = out.rfind('\n', end);
  start = start == std::string::npos ? 0 : start + 1;
  return out.substr(start, end - start + 1);
}

}  // namespace

Result<void> run_hook_command(const std::string& key, const HookCommand& hook, const EnvList& env) {
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) return Error::system("pipe", "", errno);
  UniqueFd rd(pipefd[0]), wr(pipefd[1]);
  // Everything the child needs is built before fork: only async-signal-safe
  // calls happen after it.
  std::vector<std::string> env_store;
  for (char** e = environ; *e; ++e) {
    std::string_view kv(*e);
    std::string_view name = kv.substr(0, kv.find('='));
    bool replaced = false;
    for (const auto& [n, v] : env) replaced = replaced || n == name;
    if (!replaced) env_store.emplace_back(kv);
  }
  for (const auto& [n, v] : env) env_store.push_back(n + "=" + v);
  std::vector<char*> envp;
  for (std::string& s : env_store) envp.push_back(s.data());
  envp.push_back(nullptr);
  const char* argv[] = {"/bin/sh", "-c", hook.shell.c_str(), nullptr};

  pid_t pid = ::fork();
  if (pid < 0) return Error::system("fork for hook", hook.value, errno);
  if (pid == 0) {
    // Only its copy on 0 goes to the hook (dup2 onto itself would keep
    // close-on-exec).
    int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null == 0) ::fcntl(0, F_SETFD, 0);
    else if (null > 0) ::dup2(null, 0);
    ::dup2(wr.get(), 1);
    ::dup2(wr.get(), 2);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execve("/bin/sh", const_cast<char* const*>(argv), envp.data());
    ::_exit(127);
  }
  wr.reset();
  std::string output;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(rd.get(), buf, sizeof buf);
    if (n > 0) {
      // Keep the tail only: a chatty hook must not grow the monitor.
      output.append(buf, static_cast<size_t>(n));
      if (output.size() > 65536) output.erase(0, output.size() - 16384);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    break;
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return Error::system("wait for hook", hook.value, errno);
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  std::string why = WIFEXITED(status) ? "exited with status " + std::to_string(WEXITSTATUS(status))
                                      : std::string("was killed by signal ") + strsignal(WTERMSIG(status));
  std::string tail = last_line(output);
  Error e(Error::Kind::system, key + " '" + hook.value + "' (" + hook.where + ") " + why +
                                   (tail.empty() ? "" : ": " + tail));
  return e;
}

Result<void> run_hooks(const RunHooks& hooks, const EnvList& env, bool version1) {
  std::string type = config::kHookNames[static_cast<size_t>(hooks.type)];
  EnvList full = env;
  if (version1) {
    full.emplace_back("LXC_HOOK_TYPE", type);
    full.emplace_back("LXC_HOOK_SECTION", "lxc");
  }
  for (const HookCommand& h : hooks.commands) CORRAL_TRY(run_hook_command("lxc.hook." + type, h, full));
  return {};
}

}  // namespace corral::exec
