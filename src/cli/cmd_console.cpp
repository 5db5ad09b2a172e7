// lxc-console / `corral console` (spec/cli.md §11): the monitor hands over
// the master of a tty (or of the console); this tool copies between it and
// the terminal until the escape sequence (Ctrl+a q by default).
#include <getopt.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/container_args.hpp"
#include "runtime/commands.hpp"

namespace corral::cli {

int lxc_console_main(const std::string& prog, const std::vector<std::string>& args) {
  long ttynum = -1;
  int escape = 1;  // Ctrl+a
  LxcTool tool{prog, "--name=NAME [--tty NUMBER]", prog + " logs on the container with the identifier NAME", {}, {}};
  tool.options = {{"tty", 't', required_argument, "Console tty number"},
                  {"escape", 'e', required_argument, "Prefix for escape command"}};
  tool.on_option = [&](char s, const char*, const char* arg) {
    if (s == 't') {
      char* end = nullptr;
      ttynum = std::strtol(arg, &end, 10);
      return *arg && !*end;
    }
    if (s == 'e') {
      // "x" or "^x": a control character; only lowercase letters work in LXC.
      std::string e = arg;
      char ch = e.size() == 2 && e[0] == '^' ? e[1] : e.size() == 1 ? e[0] : 0;
      escape = ch - 'a' + 1;
      return ch != 0;
    }
    return true;
  };
  LxcCommon common;
  if (std::optional<int> done = parse_lxc_args_named(tool, args, common)) return *done;
  Reporter out(prog, common);
  runtime::ContainerPaths paths = container_paths(common);
  Result<runtime::Client> c = runtime::Client::connect(paths);
  if (!c) {
    out.error(paths.name + " is not running");
    return 1;
  }
  Result<runtime::Reply> r = c.value().call(runtime::Cmd::get_tty_fd, static_cast<uint64_t>(ttynum));
  if (!r || r.value().closed || r.value().ret < 0 || r.value().fds.empty()) {
    out.error("Bad file descriptor - Denied access to tty");
    return 1;
  }
  int master = r.value().fds[0].get();
  int number = static_cast<int>(r.value().slot);
  if (escape > 0) {
    char e = static_cast<char>('a' + escape - 1);
    std::fprintf(stderr,
                 "\nConnected to tty %d\nType <Ctrl+%c q> to exit the console, <Ctrl+%c Ctrl+%c> to enter Ctrl+%c "
                 "itself\n",
                 number, e, e, e, e);
  }
  struct termios saved {};
  bool raw = ::tcgetattr(0, &saved) == 0;
  if (raw) {
    struct termios t = saved;
    ::cfmakeraw(&t);
    ::tcsetattr(0, TCSAFLUSH, &t);
    struct winsize ws {};
    if (::ioctl(0, TIOCGWINSZ, &ws) == 0) ::ioctl(master, TIOCSWINSZ, &ws);
  }
  bool saw_escape = false;
  for (;;) {
    struct pollfd p[3] = {{master, POLLIN, 0}, {0, POLLIN, 0}, {c.value().fd(), POLLIN, 0}};
    if (::poll(p, 3, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (p[2].revents) break;  // the monitor went away: the container stopped
    if (p[0].revents & (POLLIN | POLLHUP)) {
      char buf[4096];
      ssize_t n = ::read(master, buf, sizeof buf);
      if (n <= 0) break;
      if (::write(1, buf, static_cast<size_t>(n)) < 0) break;
    }
    if (p[1].revents & (POLLIN | POLLHUP)) {
      char buf[1024];
      ssize_t n = ::read(0, buf, sizeof buf);
      if (n <= 0) break;
      std::string send;
      bool quit = false;
      for (ssize_t i = 0; i < n && !quit; ++i) {
        char ch = buf[i];
        if (saw_escape) {
          saw_escape = false;
          if (ch == 'q') quit = true;
          else send += ch;  // escape twice sends one
        } else if (escape > 0 && ch == escape) {
          saw_escape = true;
        } else {
          send += ch;
        }
      }
      if (!send.empty() && ::write(master, send.data(), send.size()) < 0) break;
      if (quit) break;
    }
  }
  if (raw) ::tcsetattr(0, TCSAFLUSH, &saved);
  std::fprintf(stderr, "\n");
  return 0;
}

}  // namespace corral::cli
