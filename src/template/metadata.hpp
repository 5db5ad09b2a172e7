// LXC image metadata tarballs (spec/templates.md §6), as the `metadata`
// statement of a template reads them: unpacked while the template is
// expanded into a private directory that is removed again at once, their
// members kept in memory.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"

namespace corral::tmpl {

struct MetadataMember {
  std::string name;     // as in the tarball, without a leading "./"
  bool regular = false; // a regular file; else `content` is empty
  bool too_large = false;
  std::string content;
};

class Metadata {
 public:
  /// Unpacks `tarball` (tar recognises the compression) and keeps its
  /// top-level members. `mode` is "system" or "user" (see metadata_mode()).
  static Result<Metadata> read(const std::string& tarball, std::string mode);

  /// The member LXC's relevant_file() picks for `name`: NAME-MODE when the
  /// tarball has it, else NAME; then that name with ".5" (LXC's
  /// compatibility level) when the tarball has it. nullptr when none is there.
  const MetadataMember* find(std::string_view name) const;
  /// The names find() looks for, in the order it prefers them.
  std::vector<std::string> candidates(std::string_view name) const;

  const std::string& tarball() const { return tarball_; }

  /// The largest member read, in bytes.
  static constexpr size_t kMaxMember = 1 << 20;

 private:
  std::string tarball_;
  std::string mode_;
  std::map<std::string, MetadataMember, std::less<>> members_;
};

/// "system", or "user" when corral runs in a user namespace other than the
/// initial one (its uid_map is not the identity `0 0 4294967295`), as
/// lxc-local's in_userns() decides which members to use.
std::string metadata_mode();

/// The lines of a member's text, as `while read -r line` gives them: blanks
/// around each trimmed, empty lines skipped; a last line without '\n'
/// counts too. Each with its 1-based line number.
std::vector<std::pair<uint32_t, std::string>> member_list(std::string_view content);

}  // namespace corral::tmpl
