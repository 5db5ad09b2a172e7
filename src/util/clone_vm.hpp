// Children that share this process's memory (clone3 with CLONE_VM): the
// janitor's watcher (runtime/janitor.hpp) and init until it execs
// (exec/container.cpp). Such a child runs on a stack of its own and may
// not return through its parent's frames.
#pragma once

#include <linux/sched.h>

#include <cstddef>

#include "util/error.hpp"

namespace corral {

/// An anonymous stack with a guard page below it.
class ChildStack {
 public:
  ChildStack() = default;
  ChildStack(ChildStack&& other) noexcept;
  ChildStack& operator=(ChildStack&& other) noexcept;
  ChildStack(const ChildStack&) = delete;
  ChildStack& operator=(const ChildStack&) = delete;
  ~ChildStack();

  static Result<ChildStack> map(size_t size, const char* what);
  /// The lowest usable address and the usable size, as clone3 wants them.
  void* base() const { return base_ ? static_cast<char*>(base_) + kGuard : nullptr; }
  size_t size() const { return size_; }
  explicit operator bool() const { return base_ != nullptr; }

 private:
  static constexpr size_t kGuard = 4096;
  void* base_ = nullptr;
  size_t size_ = 0;
};

/// clone3(2) running fn(arg) in the child, on the stack `args` names, then
/// exit_group with its result. The child's pid, or -errno.
extern "C" long corral_clone3_run(struct clone_args* args, size_t size, int (*fn)(void*), void* arg);

}  // namespace corral
