// Hooks (spec/runtime.md §9): `/bin/sh -c "exec HOOK ARGS"` with LXC's
// environment; stdout and stderr are captured, a non-zero exit or a signal
// is a failure that names the hook and shows the end of its output.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "exec/plan.hpp"
#include "util/error.hpp"

namespace corral::exec {

/// Runs one command the way hooks run; a failure names `key` (the config
/// key that set it) and the command's line.
Result<void> run_hook_command(const std::string& key, const HookCommand& hook, const EnvList& env);

/// Runs the hooks of one type in config order; the first failure stops.
/// `env` is added to the caller's environment; version 1 hooks also get
/// LXC_HOOK_TYPE and LXC_HOOK_SECTION.
Result<void> run_hooks(const RunHooks& hooks, const EnvList& env, bool version1);

}  // namespace corral::exec
