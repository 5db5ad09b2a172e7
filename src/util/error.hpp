// One error type for the whole library: what went wrong, where in a file or
// in which step, with which errno, plus the context added on the way up.
#pragma once

#include <cstdint>
#include <exception>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace corral {

/// A position in a source file; line and col are 1-based, 0 means unknown.
struct SourceLoc {
  std::string file;
  uint32_t line = 0;
  uint32_t col = 0;
};

class Error : public std::exception {
 public:
  enum class Kind { config, usage, io, system, internal };

  Error(Kind kind, std::string message) : kind_(kind), message_(std::move(message)) {}

  static Error config(std::string message, SourceLoc loc = {}) {
    Error e(Kind::config, std::move(message));
    e.loc_ = std::move(loc);
    return e;
  }
  static Error usage(std::string message) { return Error(Kind::usage, std::move(message)); }
  /// A failed system call: `what` names the operation, `path` the object.
  static Error system(std::string what, std::string path, int err);
  static Error io(std::string what, std::string path, int err);

  /// Prepends context, like crun_error_wrap: "outer: inner".
  Error& wrap(std::string context) {
    context_.push_back(std::move(context));
    return *this;
  }

  Kind kind() const { return kind_; }
  const SourceLoc& loc() const { return loc_; }
  int sys_errno() const { return errno_; }
  const std::string& path() const { return path_; }
  const std::string& message() const { return message_; }

  /// The whole message: contexts (outermost first), the message, strerror.
  std::string render() const;
  const char* what() const noexcept override;

 private:
  Kind kind_;
  std::string message_;
  SourceLoc loc_;
  std::string path_;
  int errno_ = 0;
  std::vector<std::string> context_;
  mutable std::string rendered_;
};

/// Either a value or an Error; used across the fork and in src/exec where
/// exceptions are not wanted.
template <class T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error error) : v_(std::move(error)) {}
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const T& value() const& { return std::get<0>(v_); }
  Error& error() { return std::get<1>(v_); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

/// Success without a value, or an Error: what a step returns.
template <>
class Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), failed_(true) {}
  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  Error& error() { return error_; }
  const Error& error() const { return error_; }

 private:
  Error error_{Error::Kind::internal, ""};
  bool failed_ = false;
};

/// Returns the error of a failed Result from the calling function.
#define CORRAL_TRY(expr)                      \
  do {                                        \
    auto corral_try_result_ = (expr);         \
    if (!corral_try_result_.ok())             \
      return std::move(corral_try_result_.error()); \
  } while (0)

#define CORRAL_CONCAT_(a, b) a##b
#define CORRAL_CONCAT(a, b) CORRAL_CONCAT_(a, b)
#define CORRAL_TRY_ASSIGN_(decl, expr, tmp) \
  auto tmp = (expr);                         \
  if (!tmp.ok()) return std::move(tmp.error()); \
  decl = std::move(tmp.value())
/// `CORRAL_TRY_ASSIGN(Foo foo, make_foo());`: declares foo from the value of
/// a Result, or returns its error from the calling function.
#define CORRAL_TRY_ASSIGN(decl, expr) CORRAL_TRY_ASSIGN_(decl, expr, CORRAL_CONCAT(corral_try_value_, __LINE__))

}  // namespace corral
