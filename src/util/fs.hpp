// File-system helpers shared by the template engine and the runtime.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "util/error.hpp"

namespace corral {

/// rm -rf that neither follows symbolic links nor crosses into another
/// mounted file system (a bind mount inside a rootfs is left alone, as
/// lxc-destroy does). A missing path is not an error.
Result<void> remove_tree(const std::string& path);

/// The whole contents of a file; an error reads "WHAT `PATH`: strerror".
Result<std::string> read_text_file(const std::string& path, const std::string& what = "cannot read");
/// The same, or nothing when the file cannot be read.
std::optional<std::string> try_read_text_file(const std::string& path);

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

/// A private directory (mkdtemp(3), mode 0700) that is removed, with all
/// in it, when the object goes.
class TempDir {
 public:
  TempDir() = default;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();
  /// Makes PARENT/PREFIX.XXXXXX; an error reads "WHAT `PATH`: strerror".
  Result<void> make(const std::string& parent, const std::string& prefix, const std::string& what);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

/// $TMPDIR when it is an absolute path, else /tmp.
std::string temp_root();

/// One line of an id map: ids NS_ID .. NS_ID+RANGE-1 of a user namespace
/// are host ids HOST_ID .. HOST_ID+RANGE-1 (lxc.idmap).
struct IdRange {
  uint64_t ns_id = 0;
  uint64_t host_id = 0;
  uint64_t range = 0;
};

/// The host id that container id `id` maps to through `maps` (IdRange, or
/// anything with the same three fields, such as config::IdMap), if any.
template <class Map>
std::optional<uint64_t> host_id_of(const std::vector<Map>& maps, uint64_t id) {
  for (const Map& m : maps)
    if (id >= m.ns_id && id - m.ns_id < m.range) return m.host_id + (id - m.ns_id);
  return std::nullopt;
}

struct OwnershipShift {
  size_t changed = 0;          // files, directories, links and nodes whose owner or group changed
  size_t unmapped = 0;         // of those, the ones with an id that no map covers
  std::string first_unmapped;  // the first of them, for a message
};

/// Gives everything below and including `root` the owner and group it would
/// have had if made inside a user namespace with these maps: each uid and
/// gid is taken as a container id and replaced by its host id. An id that
/// no map covers becomes `fallback_uid`/`fallback_gid` (the container's
/// root). Symbolic links are changed themselves, not followed; another file
/// system mounted below is not entered; hard links are changed once.
/// Set-user-ID and set-group-ID bits, which chown(2) clears, are put back.
Result<OwnershipShift> shift_ownership(const std::string& root, const std::vector<IdRange>& uids,
                                       const std::vector<IdRange>& gids, uid_t fallback_uid, gid_t fallback_gid);

}  // namespace corral
