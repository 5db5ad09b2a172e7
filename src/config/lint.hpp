// Checks that go beyond what LXC does when it loads a config: what would
// make the container fail at start (a mount entry that does not parse, a
// missing or broken fstab file or seccomp policy). LXC accepts such a config
// and fails later; `corral config check` reports them now, as warnings, so
// that the accept/reject verdict stays LXC's.
#pragma once

#include "config/config.hpp"
#include "config/diagnostics.hpp"

namespace corral::config {

struct LintResult {
  SourceTable sources;  // the config's files plus the fstab/policy files read
  Diagnostics diagnostics;
  std::string render() const { return diagnostics.render(sources); }
};

LintResult lint(const Config& cfg);

}  // namespace corral::config
