// The monitor's command socket (spec/runtime.md §4), byte-compatible with
// LXC 5.0.2 on x86_64: a request header {cmd, datalen, slot} then datalen
// bytes; a response header {ret, datalen, slot} with optional fds, then
// datalen bytes. Small results travel in the slot. So LXC's tools can ask
// a corral monitor, and corral's tools an LXC one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/lxcpath.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

namespace corral::runtime {

enum class Cmd : int32_t {
  get_tty_fd = 0,
  stop = 2,
  get_state = 3,
  get_init_pid = 4,
  get_clone_flags = 5,
  get_config_item = 7,
  get_name = 8,
  get_lxcpath = 9,
  add_state_client = 10,
  freeze = 15,
  unfreeze = 16,
  get_init_pidfd = 18,
};

enum class State : int32_t {
  stopped = 0,
  starting = 1,
  running = 2,
  stopping = 3,
  aborting = 4,
  freezing = 5,
  frozen = 6,
  thawed = 7,
};
inline constexpr int kStateCount = 8;

const char* state_name(State s);
std::optional<State> parse_state(std::string_view name);

struct WireRequest {
  int32_t cmd;
  int32_t datalen;
  uint64_t slot;
};
struct WireResponse {
  int32_t ret;
  int32_t datalen;
  uint64_t slot;
};
/// What a state client receives on a wanted transition.
struct WireStateMsg {
  int32_t type;  // 0: state
  char name[256];
  int32_t value;
};
static_assert(sizeof(WireRequest) == 16 && sizeof(WireResponse) == 16 && sizeof(WireStateMsg) == 264);
/// The most data a request may carry; the monitor drops a client that
/// announces more.
inline constexpr size_t kMaxRequestData = 65536;

struct Reply {
  int32_t ret = 0;
  uint64_t slot = 0;
  std::string data;
  std::vector<UniqueFd> fds;
  bool closed = false;  // the monitor closed the connection instead of answering
  /// data up to its first NUL.
  std::string text() const { return data.substr(0, data.find('\0')); }
};

/// One connection to a monitor.
class Client {
 public:
  /// Connects to the container's monitor; a container that is not running
  /// gives an Error with errno ECONNREFUSED.
  static Result<Client> connect(const ContainerPaths& paths);
  static Result<Client> connect_abstract(const std::string& name);

  /// Sends one request and reads the answer.
  Result<Reply> call(Cmd cmd, uint64_t slot = 0, std::string_view data = {});
  int fd() const { return fd_.get(); }

 private:
  UniqueFd fd_;
};

/// Whether the error of connect() means "no monitor": the container is STOPPED.
bool not_running(const Error& e);

/// The state of a container: STOPPED when no monitor answers.
State query_state(const ContainerPaths& paths);
/// A key of the running container's config (GET_CONFIG_ITEM); nullopt when
/// it is not running, or the value is empty or invalid.
std::optional<std::string> query_config_item(const ContainerPaths& paths, const std::string& key);
/// Init's pid, or nullopt when the container is not running.
std::optional<pid_t> query_init_pid(const ContainerPaths& paths);

/// lxc-stop -k: the STOP command (lxc.signal.stop to init), then waits for
/// the monitor to close the connection, i.e. for the container to be gone.
/// False when the stop failed; true also when it was not running.
bool stop_hard(const ContainerPaths& paths);

/// Binds the command socket; EADDRINUSE means the container runs already.
Result<UniqueFd> listen_command_socket(const ContainerPaths& paths);

/// Reads exactly n bytes (false on EOF or error).
bool read_full(int fd, void* buf, size_t n);
bool write_full(int fd, const void* buf, size_t n);

}  // namespace corral::runtime
