#include "cli/container_args.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iostream>

#include "config/loader.hpp"
#include "config/values.hpp"
#include "util/strings.hpp"

namespace corral::cli {

namespace {

constexpr const char* kLevels[] = {"TRACE", "DEBUG", "INFO", "NOTICE", "WARN", "ERROR", "CRIT", "ALERT", "FATAL"};

int level_of(const std::string& name) {
  std::string upper;
  for (char ch : name) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  for (int i = 0; i < 9; ++i)
    if (upper == kLevels[i]) return i;
  return 5;
}

}  // namespace

Reporter::Reporter(std::string prog, const LxcCommon& common)
    : prog_(std::move(prog)), name_(common.name.value_or("")), quiet_(common.quiet) {
  logfile_ = common.logfile;
  if (!common.logpriority.empty()) {
    priority_ = level_of(common.logpriority);
    priority_given_ = true;
    // -l without -o: the container's own log file (spec/cli.md §0).
    if (logfile_.empty() && !name_.empty()) {
      logfile_ = common.lxcpath == "/var/lib/lxc" ? "/var/log/lxc/" + name_ + ".log"
                                                  : common.lxcpath + "/" + name_ + "/" + name_ + ".log";
    }
  }
  if (logfile_ == "none") logfile_.clear();
  // Absolute: a daemon monitor writes it too, from /.
  if (!logfile_.empty() && logfile_.front() != '/') {
    if (char* cwd = ::getcwd(nullptr, 0)) {
      logfile_ = std::string(cwd) + "/" + logfile_;
      std::free(cwd);
    }
  }
  // Made at once, as LXC makes it when its log is set up: a run with
  // nothing to report leaves the (empty) file a user was told to read.
  if (!logfile_.empty()) {
    int fd = ::open(logfile_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd >= 0) ::close(fd);
  }
}

void Reporter::log(const char* level, const std::string& message) const {
  if (logfile_.empty()) return;
  FILE* f = std::fopen(logfile_.c_str(), "ae");
  if (!f) return;
  struct timeval tv {};
  ::gettimeofday(&tv, nullptr);
  struct tm tm {};
  ::gmtime_r(&tv.tv_sec, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d%H%M%S", &tm);
  std::fprintf(f, "%s %s %s.%03ld %-8s corral - %s\n", prog_.c_str(), name_.c_str(), stamp,
               static_cast<long>(tv.tv_usec / 1000), level, message.c_str());
  std::fclose(f);
}

void Reporter::error(const std::string& message) const {
  if (!quiet_) std::cerr << prog_ << ": " << (name_.empty() ? "" : name_ + ": ") << message << "\n";
  if (priority_ <= 5) log("ERROR", message);
}

void Reporter::warn(const std::string& message) const {
  if (!quiet_) std::cerr << prog_ << ": " << (name_.empty() ? "" : name_ + ": ") << "warning: " << message << "\n";
  if (priority_ <= 4) log("WARN", message);
}

void Reporter::log_error(const std::string& message) const {
  if (priority_ <= 5) log("ERROR", message);
}

void Reporter::info(const std::string& message) const {
  if (priority_ <= 2) log("INFO", message);
}

runtime::ContainerPaths container_paths(const LxcCommon& common) {
  return runtime::ContainerPaths{runtime::normalize_lxcpath(common.lxcpath), common.name.value_or("")};
}

std::optional<std::pair<std::string, std::string>> split_define(const std::string& arg) {
  size_t eq = arg.find('=');
  if (eq == std::string::npos) return std::nullopt;
  std::string key(trim_blanks(std::string_view(arg).substr(0, eq)));
  std::string value(trim_blanks(std::string_view(arg).substr(eq + 1)));
  if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front())
    value = value.substr(1, value.size() - 2);
  if (key.compare(0, 4, "lxc.") != 0) return std::nullopt;
  return std::make_pair(key, value);
}

std::string config_path(const LxcCommon& common) {
  return common.rcfile.empty() ? container_paths(common).config() : common.rcfile;
}

bool rcfile_loads(const Reporter& out, const LxcCommon& common) {
  if (common.rcfile.empty() || config::load_file(common.rcfile).ok()) return true;
  out.error("Failed to load rcfile");
  return false;
}

std::optional<LoadedContainer> load_container(const Reporter& out, const LxcCommon& common,
                                              const std::vector<std::string>& defines,
                                              const std::string& missing_message) {
  LoadedContainer c;
  c.paths = container_paths(common);
  c.config_path = config_path(common);
  struct stat st {};
  if (::stat(c.config_path.c_str(), &st) != 0) {
    out.error(common.rcfile.empty() ? missing_message : "Failed to load rcfile `" + c.config_path + "`");
    return std::nullopt;
  }
  config::LoadResult r = config::load_file(c.config_path);
  if (!r.ok()) {
    std::cerr << r.render();
    out.error("Failed to load config `" + c.config_path + "`");
    return std::nullopt;
  }
  c.config = std::move(r.config);
  for (const std::string& d : defines) {
    std::optional<std::pair<std::string, std::string>> kv = split_define(d);
    if (!kv) {
      out.error("invalid define '" + d + "': expected KEY=VALUE with a key starting with 'lxc.'");
      return std::nullopt;
    }
    config::Diagnostics diags;
    if (!config::set_item(c.config, kv->first, kv->second, diags)) {
      std::cerr << diags.render(c.config.sources);
      out.error("Failed to set '" + kv->first + "' to '" + kv->second + "'");
      return std::nullopt;
    }
  }
  return c;
}

std::optional<exec::Plan> plan_container(const Reporter& out, const LoadedContainer& c, exec::RunMode mode,
                                         const std::vector<std::string>& command) {
  exec::PlanOptions opts;
  opts.name = c.paths.name;
  opts.lxcpath = c.paths.lxcpath;
  opts.config_file = c.config_path;
  opts.command = command;
  opts.mode = mode;
  opts.log_level = out.log_priority();
  opts.host = exec::probe_host();
  Result<exec::Plan> plan = exec::make_plan(c.config, opts);
  if (!plan) {
    out.error(plan.error().render());
    return std::nullopt;
  }
  // LXC starts silently; what it would silently do differently is logged.
  for (const exec::PlanWarning& w : plan.value().warnings)
    out.info((w.where.empty() ? "" : w.where + ": ") + w.message);
  return std::move(plan.value());
}

}  // namespace corral::cli
