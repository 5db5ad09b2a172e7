// util/resident: the program's read-only pages leave the resident set and
// come back on use; what start-up wrote (RELRO: vtables, the GOT) stays.
#include "util/resident.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

namespace corral {
namespace {

long rss_file_kib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("RssFile:", 0) == 0) return std::atol(line.c_str() + 8);
  return -1;
}

struct Shape {
  virtual ~Shape() = default;
  virtual int corners() const = 0;
};
struct Square : Shape {
  int corners() const override { return 4; }
};

TEST(Resident, ReleasesCodeAndKeepsWhatStartUpWrote) {
  // Lots of this test program's code has run by now (the other tests, or
  // at least gtest's start-up), so its pages are mapped.
  long before = rss_file_kib();
  ASSERT_GT(before, 0);
  size_t released = release_program_pages();
  long after = rss_file_kib();
  EXPECT_GT(released, 0u);
  EXPECT_LT(after, before) << "released " << released << " bytes of ranges";
  // Code, read-only data and a vtable (relocated at start-up in a PIE)
  // all still work: they were given back, not lost.
  std::unique_ptr<Shape> s = std::make_unique<Square>();
  EXPECT_EQ(s->corners(), 4);
  EXPECT_EQ(std::string("read-only data"), "read-only data");
  EXPECT_GT(release_program_pages(), 0u);  // again: nothing breaks
}

}  // namespace
}  // namespace corral
