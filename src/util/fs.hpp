// File-system helpers shared by the template engine and the runtime.
#pragma once

#include <sys/types.h>

#include <string>

#include "util/error.hpp"

namespace corral {

/// rm -rf that neither follows symbolic links nor crosses into another
/// mounted file system (a bind mount inside a rootfs is left alone, as
/// lxc-destroy does). A missing path is not an error.
Result<void> remove_tree(const std::string& path);

/// The whole contents of a file; an error reads "WHAT `PATH`: strerror".
Result<std::string> read_text_file(const std::string& path, const std::string& what = "cannot read");

/// Writes `text` to PATH.new (made with `mode`, less the umask), syncs it
/// and renames it to `path`: readers see the old file or the whole new
/// one. On failure PATH.new is removed.
Result<void> write_file_atomic(const std::string& path, const std::string& text, mode_t mode);

/// cp -a of the directory `from` into the new directory `to` (which must not
/// exist), as LXC copies a directory rootfs (rsync -aXHS --numeric-ids):
/// contents, owners by number, modes, timestamps, extended attributes (file
/// capabilities among them), symbolic links as links, device nodes, FIFOs
/// and hard links. Another file system mounted below `from` is not entered:
/// its mount point is copied as an empty directory.
Result<void> copy_tree(const std::string& from, const std::string& to);

}  // namespace corral
