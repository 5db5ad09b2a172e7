// Mount lines: one `lxc.mount.entry` value or a whole `lxc.mount.fstab`
// file (spec/fstab-and-mount-entries.md §2-§4), read the way glibc's
// getmntent_r reads them and decoded into what LXC does with them.
//
// LXC accepts any lxc.mount.entry value when it loads a config and reads the
// fstab file only at start, so these functions are meant for start time and
// for `corral config check`; the config loader itself stores the raw text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/diagnostics.hpp"
#include "config/values.hpp"

namespace corral::config {

struct MountEntry {
  Origin origin;  // the line (and the column of the first field) in an fstab file
  // The four string fields, escapes decoded; `options` is the whole field.
  std::string source;
  std::string target;
  std::string fstype;
  std::string options;
  int freq = 0;    // ignored by LXC
  int passno = 0;  // ignored by LXC

  // The options field, decoded (§4). Tokens are matched exactly.
  unsigned long flags = 0;        // MS_* for mount(2): each flag token applied in order (MS_BIND, MS_REC included)
  unsigned long clear_flags = 0;  // MS_* named by a clearing token (`rw`, `dev`, `suid`, ...), as LXC's attr_clr
  unsigned long propagation = 0;  // MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE, with MS_REC; 0: unchanged
  bool create_dir = false;
  bool create_file = false;
  bool optional = false;
  bool relative = false;
  std::string idmap;  // "" (none), "container", or the path of a user namespace file
  std::string data;   // tokens with '=' and unknown words, comma-joined, for mount(2)
  /// Tokens that LXC 5.0.2 ignores entirely (`sync`, `async`, `dirsync`,
  /// `lazytime`, `mand`, `nomand`, `remount`).
  std::vector<std::string> ignored;

  bool is_bind() const;
};

/// True for a value that LXC treats as a comment or as nothing: blank, or
/// starting with '#' after blanks. parse_mount_entry throws for those.
bool mount_entry_is_comment(std::string_view value);

/// Parses one lxc.mount.entry value. Throws ValueError (offset and length
/// select the bad part of the value) at the first error; problems that LXC
/// lets pass are appended to `warnings` when it is given.
MountEntry parse_mount_entry(std::string_view value, std::vector<ValueError>* warnings = nullptr);

/// Parses a whole lxc.mount.fstab file. `file_name` is added to `sources`;
/// every error and warning goes to `diags` (all of them, not only the first).
/// Returns the entries without errors, in file order.
std::vector<MountEntry> parse_fstab(std::string_view text, const std::string& file_name, Diagnostics& diags,
                                    SourceTable& sources);

/// One line describing everything that was decoded, for golden tests and
/// `--dry-run` style output: `source -> target type ... flags=... data=...`.
std::string describe(const MountEntry& e);

}  // namespace corral::config
