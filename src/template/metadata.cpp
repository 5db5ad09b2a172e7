// Reading an LXC image metadata tarball: see metadata.hpp.
#include "template/metadata.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>

#include "template/command.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace corral::tmpl {

namespace {

/// What tar said on its standard error, on one line: the reason a tarball
/// cannot be read ("This does not look like a tar archive").
std::string tar_complaint(const std::string& stderr_text) {
  std::vector<std::string> lines;
  for (std::string_view l : split(stderr_text, '\n')) {
    l = trim_blanks(l);
    if (l.starts_with("tar: ")) l.remove_prefix(5);
    // tar's closing summary says nothing the lines before did not.
    if (l.empty() || l.starts_with("Exiting with failure status") || l.starts_with("Error is not recoverable") ||
        l.starts_with("Child returned status"))
      continue;
    lines.emplace_back(l);
  }
  return join(lines, "; ");
}

}  // namespace

Result<Metadata> Metadata::read(const std::string& tarball, std::string mode) {
  Metadata m;
  m.tarball_ = tarball;
  m.mode_ = std::move(mode);
  TempDir dir;
  CORRAL_TRY(dir.make(temp_root(), "corral-metadata", "make a private directory for the metadata tarball"));
  // tar's complaints are kept for the message rather than shown loose.
  UniqueFd err(::memfd_create("tar-stderr", MFD_CLOEXEC));
  if (!err) return Error::system("memfd_create", "tar-stderr", errno);
  // Only the top level is read: a rootfs given as the metadata by mistake
  // is not unpacked whole (tar's exclusion `*` matches '/' too).
  Result<void> unpacked = run_command({"tar", "-x", "--no-same-owner", "--no-same-permissions", "--exclude=*/*/*",
                                       "--exclude=[!.]*/*", "-f", tarball, "-C", dir.path()},
                                      CommandOptions{-1, false, err.get()});
  if (!unpacked) {
    Result<std::string> said = read_all(err.get(), "tar's standard error", true);
    std::string why = said ? tar_complaint(said.value()) : "";
    return Error(Error::Kind::config, "cannot unpack the metadata tarball `" + tarball +
                                          "`: " + (why.empty() ? unpacked.error().render() : why));
  }
  UniqueFd top(::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!top) return Error::system("open", dir.path(), errno);
  UniqueFd listing(::dup(top.get()));
  DIR* d = listing ? ::fdopendir(listing.get()) : nullptr;
  if (!d) return Error::system("read the directory", dir.path(), errno);
  listing.release();  // closedir() closes it
  std::vector<std::string> names;
  while (struct dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  ::closedir(d);
  for (const std::string& n : names) {
    MetadataMember member{n, false, false, {}};
    struct stat st {};
    if (::fstatat(top.get(), n.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode)) {
      member.regular = true;
      if (static_cast<size_t>(st.st_size) > kMaxMember) {
        member.too_large = true;
      } else {
        // O_NOFOLLOW: the member checked above is the one read.
        UniqueFd fd(::openat(top.get(), n.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
        if (!fd) return Error::system("open", dir.path() + "/" + n, errno);
        CORRAL_TRY_ASSIGN(member.content, read_all(fd.get(), tarball + "(" + n + ")"));
      }
    }
    m.members_.emplace(n, std::move(member));
  }
  return m;
}

std::vector<std::string> Metadata::candidates(std::string_view name) const {
  std::string base(name);
  std::string with_mode = base + "-" + mode_;
  return {with_mode + ".5", with_mode, base + ".5", base};
}

const MetadataMember* Metadata::find(std::string_view name) const {
  std::string pick(name);
  if (members_.count(pick + "-" + mode_)) pick += "-" + mode_;
  if (members_.count(pick + ".5")) pick += ".5";
  auto it = members_.find(pick);
  return it == members_.end() ? nullptr : &it->second;
}

std::string metadata_mode() {
  std::ifstream in("/proc/self/uid_map");
  if (!in) return "system";
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string_view> f = split_blanks(line);
    if (f.size() == 3 && f[0] == "0" && f[1] == "0" && f[2] == "4294967295") return "system";
  }
  return "user";
}

std::vector<std::pair<uint32_t, std::string>> member_list(std::string_view content) {
  std::vector<std::pair<uint32_t, std::string>> out;
  uint32_t n = 0;
  for (std::string_view line : split(content, '\n')) {
    ++n;
    line = trim_blanks(line);
    if (!line.empty()) out.emplace_back(n, std::string(line));
  }
  return out;
}

}  // namespace corral::tmpl
