// Declarative container templates (corral-template(5)): the model a
// template file parses into, its expansion against parameters and host
// facts into a Recipe, and the execution of a Recipe into a rootfs and a
// config fragment. Parsing and expansion write nothing (a metadata tarball
// is unpacked into a private directory, removed at once); execution
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

/// `param NAME [-C] = DEFAULT : TYPE "HELP"`.
struct Param {
  std::string name;
  ParamType type = ParamType::string;
  Text default_value;
  std::string help;
  Origin where;
  char short_name = 0;  // `-C` sets it too (0: none)
};

/// `metadata TARBALL`: an LXC image metadata tarball, read while the
/// template is expanded; steps and directives name its members as
/// `metadata:NAME`.
struct MetadataDecl {
  Text tarball;
  Origin where;
};

/// `token NAME = VALUE`: NAME is replaced by VALUE in the configuration,
/// in the container files and in the rootfs files `substitute` names.
struct Token {
  std::string name;
  Text value;
  Origin where;
};

/// `container-file NAME CONTENT`: a file beside the container's config.
struct ContainerFileDecl {
  Text name;
  Text content;  // a word, or `metadata:MEMBER`
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
  extract,      // extract HOST-TARBALL [DEST [EXCLUDE...]] (tar, compression guessed; numeric owners kept)
  debootstrap,  // debootstrap RELEASE MIRROR        (into the rootfs, with a cache)
  chroot,       // chroot COMMAND [ARG...]            (run chrooted into the rootfs)
  substitute,   // substitute FILE...                 (the template's tokens replaced in each)
  replace,      // replace FILE OLD NEW               (the first OLD of each line, as sed s|OLD|NEW|)
  print,        // print TEXT...                      (to standard output)
};

/// The keyword of a step kind ("mkdir", ...), as templates write it.
const char* step_name(StepKind kind);

/// Whether a step or a directive takes `n` arguments (the parser's table).
bool arity_ok(StepKind kind, size_t n);

struct RecipeStep {
  StepKind kind = StepKind::mkdir;
  std::vector<Text> args;  // in the order written, the keyword excluded
  Origin where;
};

/// The directives of the config block (`@KEYWORD WORD...`), which edit the
/// configuration rather than add a line to it.
enum class DirectiveKind {
  move,    // @move PATTERN BUCKET        (lines so far matching PATTERN, taken out)
  emit,    // @emit BUCKET [LINE...]      (them here, after LINE..., when there are any)
  insert,  // @insert metadata:NAME       (the member's lines here; it must exist)
  if_,     // @if metadata:NAME LINE...   (the LINEs when the member exists)
};

/// The keyword of a directive ("move", ...), without its '@'.
const char* directive_name(DirectiveKind kind);
bool arity_ok(DirectiveKind kind, size_t n);

/// One line of the config block: a line of text, or a directive.
struct ConfigItem {
  ConfigItem(Text line) : text(std::move(line)), where(text.where) {}  // implicit: most items are lines
  ConfigItem(DirectiveKind d, std::vector<Text> a, Origin w) : directive(d), args(std::move(a)), where(w) {}

  std::optional<DirectiveKind> directive;  // nullopt: a line of text
  Text text;                               // the line (text only)
  std::vector<Text> args;                  // the directive's words
  Origin where;                            // the line, or the directive's '@'
};

struct Template {
  std::string name;        // the file name without .tmpl
  std::string path;        // the file it was read from
  std::string description;
  std::vector<Param> params;
  std::vector<Requirement> requirements;
  std::optional<MetadataDecl> metadata;
  std::vector<Token> tokens;                // in the order declared: the order they are replaced in
  std::vector<ContainerFileDecl> files;
  std::vector<RecipeStep> rootfs;
  std::vector<ConfigItem> config;           // `config { ... }`
};

/// Parses a template; every error is added to `diags` (file:line:col as the
/// config loader reports them, through `sources`). `file_id` is the id of
/// `path` in `sources`.
std::optional<Template> parse_template(std::string_view text, const std::string& path, uint32_t file_id,
                                       config::Diagnostics& diags);

/// What the command line gives: the built-in parameters and the template's
/// own (`--NAME VALUE`, `--NAME=VALUE`, `-C VALUE` after `--`).
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

/// A line of the configuration, and where it was written: the template, a
/// member of the metadata tarball, or (file 0) elsewhere.
struct ConfigLine {
  std::string text;
  Origin where;
};

/// An expanded config item: a line, or one of the directives that edit the
/// configuration (`@insert` and `@if` have become lines).
struct ConfigOp {
  enum class Kind { line, move, emit } kind = Kind::line;
  ConfigLine line;                  // line
  std::string pattern;              // move: a POSIX basic regular expression
  std::string bucket;               // move, emit
  std::vector<ConfigLine> heading;  // emit: written before the bucket's lines, when there are any
  Origin where;
};

struct TokenValue {
  std::string name;
  std::string value;
};

/// A file written beside the config, its tokens replaced.
struct ContainerFile {
  std::string name;  // one file name, in LXCPATH/NAME
  std::string content;
  Origin where;
};

struct Recipe {
  std::string rootfs;                   // absolute
  std::vector<ResolvedStep> steps;
  std::vector<ConfigOp> config;         // applied by render_config()
  std::vector<TokenValue> tokens;       // in the order they are replaced in
  std::vector<ContainerFile> files;
  std::vector<std::string> host_files;  // every host file or command the steps read, all present
};

/// Expands parameters (unknown or ill-typed ones are errors naming the
/// template's line), reads the metadata tarball, checks every requirement,
/// every host path the steps read and every rootfs path (no `..`, no
/// absolute path) before anything is written. Errors carry the template's
/// file:line:col, or the line of a metadata member (added to `sources` as
/// `TARBALL(MEMBER)`).
Result<Recipe> expand(const Template& t, const Inputs& in, config::SourceTable& sources);

/// The configuration the recipe makes of the lines there are before the
/// template's (the initial configuration and the lxc.rootfs.path line): its
/// ops applied in order, then its tokens replaced in every line. Fails only
/// on a pattern that does not compile (expand() checks them all).
Result<std::vector<ConfigLine>> render_config(const Recipe& r, std::vector<ConfigLine> base);

/// Why `pattern` is not a POSIX basic regular expression (regerror's
/// words), or nullopt: @move reads its pattern as sed reads an address.
std::optional<std::string> pattern_problem(const std::string& pattern);

/// `text` with each token replaced by its value, one token after the other
/// and every occurrence (LXC's `sed -i s#NAME#VALUE#g`, literally).
std::string substitute_tokens(std::string text, const std::vector<TokenValue>& tokens);

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
