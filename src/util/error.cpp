#include "util/error.hpp"

#include <cstring>

namespace corral {

Error Error::system(std::string what, std::string path, int err) {
  Error e(Kind::system, std::move(what));
  e.path_ = std::move(path);
  e.errno_ = err;
  return e;
}

Error Error::io(std::string what, std::string path, int err) {
  Error e(Kind::io, std::move(what));
  e.path_ = std::move(path);
  e.errno_ = err;
  return e;
}

std::string Error::render() const {
  std::string out;
  for (auto it = context_.rbegin(); it != context_.rend(); ++it) {
    out += *it;
    out += ": ";
  }
  if (!loc_.file.empty()) {
    out += loc_.file;
    if (loc_.line) out += ":" + std::to_string(loc_.line);
    if (loc_.col) out += ":" + std::to_string(loc_.col);
    out += ": ";
  }
  out += message_;
  if (!path_.empty()) out += " `" + path_ + "`";
  if (errno_) {
    out += ": ";
    out += std::strerror(errno_);
  }
  return out;
}

const char* Error::what() const noexcept {
  rendered_ = render();
  return rendered_.c_str();
}

}  // namespace corral
