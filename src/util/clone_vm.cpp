#include "util/clone_vm.hpp"

#include <sanitizer/asan_interface.h>
#include <sys/mman.h>

#include <cerrno>
#include <utility>

namespace corral {

ChildStack::ChildStack(ChildStack&& other) noexcept
    : base_(std::exchange(other.base_, nullptr)), size_(std::exchange(other.size_, 0)) {}

ChildStack& ChildStack::operator=(ChildStack&& other) noexcept {
  if (this != &other) {
    this->~ChildStack();
    base_ = std::exchange(other.base_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

ChildStack::~ChildStack() {
  if (!base_) return;
  // A child's frames leave AddressSanitizer's marks on the stack (a no-op
  // in other builds): cleared, or memory mapped here later would seem
  // poisoned.
  ASAN_UNPOISON_MEMORY_REGION(static_cast<char*>(base_) + kGuard, size_);
  ::munmap(base_, kGuard + size_);
  base_ = nullptr;
}

Result<ChildStack> ChildStack::map(size_t size, const char* what) {
  void* map = ::mmap(nullptr, kGuard + size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (map == MAP_FAILED) return Error::system(std::string("map the stack of ") + what, "", errno);
  if (::mprotect(map, kGuard, PROT_NONE) != 0) {
    int e = errno;
    ::munmap(map, kGuard + size);
    return Error::system(std::string("guard the stack of ") + what, "", e);
  }
  ChildStack s;
  s.base_ = map;
  s.size_ = size;
  return s;
}

#include "util/clone3_run.inc"

}  // namespace corral
