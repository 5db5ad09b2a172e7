// libFuzzer target: seccomp_verdict (src/exec/seccomp.cpp) over any bytes
// taken as a classic BPF program, asked about the system call that the
// same bytes make: it must answer, never read out of bounds or loop.
#include <linux/filter.h>
#include <linux/seccomp.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "exec/seccomp.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  struct seccomp_data call {};
  std::memcpy(&call, data, std::min(size, sizeof call));
  corral::exec::SeccompProgram program;
  program.filter.resize(std::min<size_t>(size / sizeof(struct sock_filter), BPF_MAXINSNS));
  if (!program.filter.empty())
    std::memcpy(program.filter.data(), data, program.filter.size() * sizeof(struct sock_filter));
  (void)corral::exec::seccomp_allows(corral::exec::seccomp_verdict(program, call));
  return 0;
}
