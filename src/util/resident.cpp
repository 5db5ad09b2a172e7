#include "util/resident.hpp"

#include <elf.h>
#include <link.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>

namespace corral {

namespace {

struct Release {
  size_t page = 0;
  size_t released = 0;
};

// Called for the main program first; returning non-zero ends the walk there.
int release_main_program(struct dl_phdr_info* info, size_t, void* data) {
  auto& r = *static_cast<Release*>(data);
  uintptr_t relro_begin = 0, relro_end = 0;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_GNU_RELRO) continue;
    relro_begin = info->dlpi_addr + ph.p_vaddr;
    relro_end = relro_begin + ph.p_memsz;
  }
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_LOAD || (ph.p_flags & PF_W) != 0) continue;
    uintptr_t begin = info->dlpi_addr + ph.p_vaddr, end = begin + ph.p_memsz;
    if (begin < relro_end && relro_begin < end) continue;  // written at start-up
    // Whole pages inside the segment only: a page shared with a neighbour
    // could hold something written.
    begin = (begin + r.page - 1) / r.page * r.page;
    end = end / r.page * r.page;
    if (begin >= end) continue;
    if (::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED) == 0) r.released += end - begin;
  }
  return 1;
}

}  // namespace

size_t release_program_pages() {
  Release r;
  r.page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  ::dl_iterate_phdr(release_main_program, &r);
  return r.released;
}

}  // namespace corral
