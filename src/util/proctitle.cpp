#include "util/proctitle.hpp"

#include <linux/prctl.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

namespace corral {

bool set_process_title(const std::string& title) {
  ::prctl(PR_SET_NAME, title.substr(0, 15).c_str(), 0, 0, 0);
  // Fields of /proc/self/stat after the command (which may hold blanks).
  std::ifstream in("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream rest(stat.substr(close + 2));
  std::vector<unsigned long> f(3);  // fields 1-3 (pid, comm) are not in `rest`
  std::string word;
  while (rest >> word) f.push_back(std::strtoul(word.c_str(), nullptr, 10));
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
