// execvp(3) with an explicit environment, for processes that may not
// touch `environ` or errno: init while it shares the monitor's memory
// (exec/child.cpp) and the init shim, which has no libc (shim/init.cpp).
// Header-only and freestanding.
#pragma once

#include <linux/errno.h>

#include "util/raw_syscall.hpp"

namespace corral::detail {

inline const char* env_value(char* const* envp, const char* name) {
  for (; *envp; ++envp) {
    const char* e = *envp;
    const char* n = name;
    while (*n && *e == *n) ++e, ++n;
    if (!*n && *e == '=') return e + 1;
  }
  return nullptr;
}

inline bool has_slash(const char* s) {
  for (; *s; ++s)
    if (*s == '/') return true;
  return false;
}

// execve, and for a file the kernel cannot run (ENOEXEC) the shell on it,
// as execvp does for a script without "#!".
inline long exec_or_shell(const char* file, char* const* argv, char* const* envp) {
  long error = -raw_syscall(__NR_execve, reinterpret_cast<long>(file), reinterpret_cast<long>(argv),
                            reinterpret_cast<long>(envp));
  if (error != ENOEXEC) return error;
  constexpr int kMaxArgs = 1024;
  const char* sh_argv[kMaxArgs + 2];
  sh_argv[0] = "/bin/sh";
  sh_argv[1] = file;
  int n = 1;
  while (argv[n] && n < kMaxArgs) sh_argv[n + 1] = argv[n], ++n;
  if (argv[n]) return E2BIG;
  sh_argv[n + 1] = nullptr;
  raw_syscall(__NR_execve, reinterpret_cast<long>("/bin/sh"), reinterpret_cast<long>(sh_argv),
              reinterpret_cast<long>(envp));
  return ENOEXEC;
}

}  // namespace corral::detail

namespace corral {

/// Execs argv[0], searched for in the PATH of `envp` (/bin:/usr/bin when it
/// has none) unless it has a slash, as execvp does. Returns only on
/// failure, with the errno to report (EACCES if any candidate was denied).
inline long exec_searching_path(char* const* argv, char* const* envp) {
  if (detail::has_slash(argv[0])) return detail::exec_or_shell(argv[0], argv, envp);
  const char* path = detail::env_value(envp, "PATH");
  if (!path) path = "/bin:/usr/bin";
  unsigned long name_len = 0;
  while (argv[0][name_len]) ++name_len;
  long error = ENOENT;
  bool denied = false;
  char candidate[4096];
  for (const char* dir = path;;) {
    const char* end = dir;
    while (*end && *end != ':') ++end;
    unsigned long dir_len = static_cast<unsigned long>(end - dir);
    if (dir_len + 1 + name_len + 1 <= sizeof candidate) {
      unsigned long at = 0;
      for (unsigned long i = 0; i < dir_len; ++i) candidate[at++] = dir[i];
      if (dir_len == 0) candidate[at++] = '.';  // an empty entry is the current directory
      candidate[at++] = '/';
      for (unsigned long i = 0; i <= name_len; ++i) candidate[at++] = argv[0][i];
      error = detail::exec_or_shell(candidate, argv, envp);
      if (error == EACCES)
        denied = true;
      else if (error != ENOENT && error != ENOTDIR) return error;
    }
    if (!*end) break;
    dir = end + 1;
  }
  return denied ? EACCES : error;
}

}  // namespace corral
