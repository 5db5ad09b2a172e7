// Declarative container templates (corral-template(5)): the model a
// template file parses into, its expansion against parameters and host
// facts into a Recipe, and the execution of a Recipe into a rootfs and a
// config fragment. Parsing and expansion touch nothing on disk; execution
// removes what it made when a step fails (spec/templates.md §1 step 10).
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/diagnostics.hpp"
#include "util/error.hpp"

namespace corral::tmpl {

using config::Origin;

/// A string as written in the template: `${NAME}` references are expanded
/// later (expand()); `where` is the position of its first character.
struct Text {
  std::string raw;
  Origin where;
};

enum class ParamType { string, path, file, number, boolean };

/// The type's name as templates write it ("string", ...).
const char* param_type_name(ParamType type);

/// `param NAME = DEFAULT : TYPE "HELP"`.
struct Param {
  std::string name;
  ParamType type = ParamType::string;
  Text default_value;
  std::string help;
  Origin where;
};

/// `require "WHAT" from PACKAGE`: a host command (a bare name, looked up in
/// PATH) or an absolute host path that must exist before anything is made;
/// the message names the Debian package.
struct Requirement {
  Text what;
  std::string package;
  Origin where;
};

/// The fixed vocabulary of rootfs steps. Paths in the rootfs are relative to
/// it and never leave it; host paths are absolute.
enum class StepKind {
  mkdir,        // mkdir MODE DIR...                 (parents made too, each with MODE)
  copy,         // copy HOST-FILE DEST [MODE]
  binary,       // binary HOST-BINARY DEST           (plus the shared libraries it needs, at their host paths)
  symlink,      // symlink TARGET LINK
  write,        // write DEST MODE "CONTENT"         (truncates)
  append,       // append DEST MODE "CONTENT"
  device,       // device c|b MAJOR MINOR MODE DEST
  extract,      // extract HOST-TARBALL [DEST]       (tar, compression guessed; numeric owners kept)
  debootstrap,  // debootstrap RELEASE MIRROR        (into the rootfs, with a cache)
  chroot,       // chroot COMMAND [ARG...]            (run chrooted into the rootfs)
};

/// The keyword of a step kind ("mkdir", ...), as templates write it.
const char* step_name(StepKind kind);

struct RecipeStep {
  StepKind kind = StepKind::mkdir;
  std::vector<Text> args;  // in the order written, the keyword excluded
  Origin where;
};

struct Template {
  std::string name;        // the file name without .tmpl
  std::string path;        // the file it was read from
  std::string description;
  std::vector<Param> params;
  std::vector<Requirement> requirements;
  std::vector<RecipeStep> rootfs;
  std::vector<Text> config;  // `config { ... }`: lxc.* lines, one per Text
};

/// Parses a template; every error is added to `diags` (file:line:col as the
/// config loader reports them, through `sources`). `file_id` is the id of
/// `path` in `sources`.
std::optional<Template> parse_template(std::string_view text, const std::string& path, uint32_t file_id,
                                       config::Diagnostics& diags);

/// What the command line gives: the built-in parameters and the template's
/// own (`--NAME VALUE` / `--NAME=VALUE` after `--`).
struct Inputs {
  std::string name;    // ${name}: the container's name
  std::string path;    // ${path}: LXCPATH/NAME
  std::string rootfs;  // ${rootfs}: the rootfs directory (absolute)
  std::map<std::string, std::string> params;
};

/// A step with every argument expanded and checked.
struct ResolvedStep {
  StepKind kind = StepKind::mkdir;
  std::vector<std::string> args;
  mode_t mode = 0;  // for the kinds that take one
  Origin where;
};

struct Recipe {
  std::string rootfs;                   // absolute
  std::vector<ResolvedStep> steps;
  std::vector<std::string> config;      // expanded lxc.* lines
  std::vector<std::string> host_files;  // every host file or command the steps read, all present
};

/// Expands parameters (unknown or ill-typed ones are errors naming the
/// template's line), checks every requirement, every host path the steps
/// read and every rootfs path (no `..`, no absolute path) before anything is
/// written. Errors carry the template's file:line:col.
Result<Recipe> expand(const Template& t, const Inputs& in, const config::SourceTable& sources);

/// Runs the steps in order. On failure everything the steps made is removed
/// (the rootfs directory itself included when it did not exist before) and
/// the error names the step's line, the path and errno.
Result<void> execute(const Recipe& r, const config::SourceTable& sources);

/// Ends the command a running step waits for (tar, debootstrap, a chroot
/// command) with SIGTERM, so that an interrupted create need not wait for
/// it; execute() then fails and removes what it made. Async-signal-safe:
/// meant for a signal handler.
void interrupt_running_step();

/// The steps as `corral create --dry-run` prints them: one line per step,
/// ROOTFS standing for the rootfs directory.
std::string describe(const Recipe& r);

}  // namespace corral::tmpl
