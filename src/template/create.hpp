// Creating a container from a template (lxc-create, spec/templates.md §1):
// the initial config, the template expanded and checked before anything is
// written, the rootfs built, the config saved with LXC's header; a failure
// or an interruption removes what was made.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "runtime/lxcpath.hpp"
#include "util/error.hpp"

namespace corral::tmpl {

/// Where templates are looked up, in order: $CORRAL_TEMPLATE_PATH (a colon
/// list), $XDG_DATA_HOME/corral/templates (default ~/.local/share/...),
/// the installed PREFIX/share/corral/templates, and the source tree's
/// templates/ for a binary run from its build directory.
std::vector<std::string> template_dirs();

/// The file of template `name` ("busybox" → ".../busybox.tmpl"; a name
/// with a '/' is a file path as given). nullopt when there is none.
std::optional<std::string> find_template(const std::string& name);

/// lxc-create's "-t none" (or a prefix of it, or empty): no template.
bool is_no_template(const std::string& name);

struct CreateRequest {
  runtime::ContainerPaths paths;
  std::string template_name;               // see is_no_template
  std::optional<std::string> config_file;  // -f; else default_config when it exists
  std::string default_config = "/etc/lxc/default.conf";
  std::string rootfs_dir;                  // --dir; "" = LXCPATH/NAME/rootfs
  std::vector<std::string> template_args;  // after "--": --PARAM VALUE or --PARAM=VALUE
  bool dry_run = false;                    // print the recipe and the config; write nothing
  std::function<void(const std::string&)> warn;  // warnings about what was made
};

struct CreateOutcome {
  std::string dry_run_text;  // what --dry-run prints
};

/// Creates the container; the error says what failed and where (a template
/// error carries its file:line:col).
Result<CreateOutcome> create_container(const CreateRequest& req);

/// `corral create -t NAME --help`: the template's description and
/// parameters with their types, defaults and help.
Result<std::string> template_usage(const std::string& name);

}  // namespace corral::tmpl
