#include "util/proctitle.hpp"

#include <linux/prctl.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <fcntl.h>

#include <cstdlib>
#include <cstring>
#include <vector>

namespace corral {

std::vector<unsigned long> self_stat_fields() {
  char stat[1024];
  int fd = ::open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  ssize_t got = ::read(fd, stat, sizeof stat - 1);
  ::close(fd);
  if (got <= 0) return {};
  stat[got] = '\0';
  // The command name may hold blanks and parentheses: fields start after
  // the last ')'.
  const char* close = std::strrchr(stat, ')');
  if (!close) return {};
  std::vector<unsigned long> f(4);  // [3], the state letter, is skipped
  const char* p = close + 1;
  while (*p == ' ') ++p;
  while (*p && *p != ' ') ++p;
  for (;;) {
    while (*p == ' ' || *p == '\n') ++p;
    if (!*p) break;
    char* end = nullptr;
    f.push_back(std::strtoul(p, &end, 10));
    if (end == p) break;
    p = end;
  }
  return f;
}

bool set_process_title(const std::string& title) {
  std::vector<unsigned long> f = self_stat_fields();
  if (f.size() < 52) return false;
  // The new argument area lives for the rest of the process.
  static std::string area;
  area = title;
  area.push_back('\0');
  struct prctl_mm_map map {};
  map.start_code = f[26];
  map.end_code = f[27];
  map.start_stack = f[28];
  map.start_data = f[45];
  map.end_data = f[46];
  map.start_brk = f[47];
  map.brk = reinterpret_cast<unsigned long>(::sbrk(0));
  map.arg_start = reinterpret_cast<unsigned long>(area.data());
  map.arg_end = map.arg_start + area.size();
  map.env_start = f[50];
  map.env_end = f[51];
  map.exe_fd = static_cast<unsigned>(-1);
  return ::prctl(PR_SET_MM, PR_SET_MM_MAP, &map, sizeof map, 0) == 0;
}

}  // namespace corral
