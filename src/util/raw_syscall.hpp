// System calls that never touch errno, for code that shares its memory and
// thread pointer with another process (the janitor's watcher, init while it
// shares the monitor's memory) or has no libc at all (the init shim).
// Header-only and freestanding: it includes nothing from libc.
#pragma once

#include <asm/unistd.h>

namespace corral {

#if defined(__x86_64__)
/// The result, or -errno.
[[gnu::always_inline]] inline long raw_syscall(long n, long a = 0, long b = 0, long c = 0, long d = 0, long e = 0) {
  long ret;
  register long r10 asm("r10") = d;
  register long r8 asm("r8") = e;
  asm volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8) : "rcx", "r11", "memory");
  return ret;
}
#elif defined(__aarch64__)
[[gnu::always_inline]] inline long raw_syscall(long n, long a = 0, long b = 0, long c = 0, long d = 0, long e = 0) {
  register long x8 asm("x8") = n;
  register long x0 asm("x0") = a;
  register long x1 asm("x1") = b;
  register long x2 asm("x2") = c;
  register long x3 asm("x3") = d;
  register long x4 asm("x4") = e;
  asm volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4) : "memory");
  return x0;
}
#else
#error "util/raw_syscall.hpp: raw system calls are written for x86_64 and aarch64 only"
#endif

}  // namespace corral
