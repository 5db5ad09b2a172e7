// Times commands in rotation: each round runs every command in turn, a
// block of BLOCK timed runs after one untimed one. Rotating keeps a VM
// that speeds up or slows down during the measurement from favouring one
// command (hyperfine runs all of one command's runs in a row); blocks keep
// each timed run after a run of the same command, as back-to-back runs
// are, instead of after another command whose deferred kernel work (a
// network namespace's cleanup, cgroup releases) would land on it. Wall
// time from fork to the end of waitpid; any failure stops the run.
//
// usage: round_robin ROUNDS BLOCK NAME CMD [ARG...] [;; NAME CMD [ARG...]]...
// prints, per command: NAME MEDIAN_MS P25_MS P75_MS
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct Command {
  std::string name;
  std::vector<char*> argv;  // null-terminated
  std::vector<double> ms;
};

double now_ms() {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

// The wall time of one run, or a negative value when it did not exit 0.
double run_once(Command& c) {
  double start = now_ms();
  pid_t pid = fork();
  if (pid == 0) {
    execvp(c.argv[0], c.argv.data());
    _exit(127);
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid) return -1;
  double took = now_ms() - start;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? took : -1;
}

double percentile(std::vector<double> v, size_t num, size_t den) {
  std::sort(v.begin(), v.end());
  return v[v.size() * num / den];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: round_robin ROUNDS BLOCK NAME CMD [ARG...] [;; NAME CMD [ARG...]]...\n");
    return 2;
  }
  const int rounds = std::atoi(argv[1]);
  const int block = std::atoi(argv[2]);
  std::vector<Command> commands;
  for (int i = 3; i < argc;) {
    Command c;
    c.name = argv[i++];
    while (i < argc && std::strcmp(argv[i], ";;") != 0) c.argv.push_back(argv[i++]);
    ++i;  // past ";;"
    if (c.argv.empty()) {
      std::fprintf(stderr, "round_robin: %s has no command\n", c.name.c_str());
      return 2;
    }
    c.argv.push_back(nullptr);
    commands.push_back(std::move(c));
  }
  if (rounds < 1 || block < 1) {
    std::fprintf(stderr, "round_robin: ROUNDS and BLOCK must be at least 1\n");
    return 2;
  }
  for (int round = 0; round < rounds; ++round) {
    for (Command& c : commands) {
      for (int i = -1; i < block; ++i) {
        double ms = run_once(c);
        if (ms < 0) {
          std::fprintf(stderr, "round_robin: %s failed\n", c.name.c_str());
          return 1;
        }
        if (i >= 0) c.ms.push_back(ms);
      }
    }
  }
  for (const Command& c : commands)
    std::printf("%s %.3f %.3f %.3f\n", c.name.c_str(), percentile(c.ms, 1, 2), percentile(c.ms, 1, 4),
                percentile(c.ms, 3, 4));
  return 0;
}
