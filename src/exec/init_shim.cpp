// The init shim of execute, as corral carries it: the freestanding program
// of src/shim/init.cpp, built apart (CMakeLists.txt) and included here
// byte for byte.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>

#include "exec/child.hpp"

#ifndef CORRAL_INIT_SHIM_PATH
#error "CORRAL_INIT_SHIM_PATH names the built init shim (CMakeLists.txt)"
#endif

asm(".section .rodata\n"
    ".balign 16\n"
    ".globl corral_init_shim_image\n"
    ".hidden corral_init_shim_image\n"
    "corral_init_shim_image:\n"
    ".incbin \"" CORRAL_INIT_SHIM_PATH "\"\n"
    ".globl corral_init_shim_image_end\n"
    ".hidden corral_init_shim_image_end\n"
    "corral_init_shim_image_end:\n"
    ".previous\n");

extern "C" const char corral_init_shim_image[];
extern "C" const char corral_init_shim_image_end[];

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

namespace corral::exec {

Result<UniqueFd> init_shim_file() {
  // MFD_EXEC: executable even where vm.memfd_noexec makes memfds
  // non-executable by default; kernels before 6.3 do not know the flag.
  UniqueFd fd(::memfd_create("init", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC));
  if (!fd && errno == EINVAL) fd.reset(::memfd_create("init", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!fd) return Error::system("make a memfd for the init shim", "", errno);
  const char* at = corral_init_shim_image;
  while (at < corral_init_shim_image_end) {
    ssize_t n = ::write(fd.get(), at, static_cast<size_t>(corral_init_shim_image_end - at));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Error::system("write the init shim into its memfd", "", errno);
    at += n;
  }
  if (::fcntl(fd.get(), F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) != 0)
    return Error::system("seal the init shim's memfd", "", errno);
  // exec refuses a file open for writing (ETXTBSY): a read-only descriptor.
  std::string self = "/proc/self/fd/" + std::to_string(fd.get());
  UniqueFd ro(::open(self.c_str(), O_RDONLY | O_CLOEXEC));
  if (!ro) return Error::system("reopen the init shim's memfd", self, errno);
  return ro;
}

}  // namespace corral::exec
