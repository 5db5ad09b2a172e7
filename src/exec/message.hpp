// The monitor and the child it clones talk over one SOCK_SEQPACKET pair
// (spec/runtime.md §5.3). The monitor runs its steps and tells the child
// where to go on; the child runs its steps up to the next monitor step and
// says where it stopped. Errors cross as structured records; file
// descriptors (console and tty masters; id-mapped mount trees the other
// way) travel with SCM_RIGHTS. A successful exec closes the child's end (it
// is O_CLOEXEC): the monitor reads end-of-file.
//
// The child shares the monitor's memory until it execs (exec/container.cpp),
// so the two take turns and never use the heap at once: after `go` the
// monitor only waits (or makes the v1 payload cgroups with raw system
// calls, ContainerCgroups::PayloadV1Batch, before its `cgroups`); a child
// that tells the monitor something the monitor acts on (`fds`, `entered`
// when the monitor has cgroups to enter, `exec` with namespaces) waits for
// its `ack` first, as the monitor does after `trees`. The turn passes with
// the message and comes back with the `ack`: the receiver frees the message
// before it acknowledges, and the sender frees what it sent only once the
// `ack` is in. When no `ack` comes, the child goes on at once, and what the
// monitor does up to its next receive must not touch the heap.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"
#include "util/fd.hpp"

namespace corral::exec {

enum class SyncKind : int32_t {
  go = 1,     // monitor → child: run your steps from `step`
  at = 2,     // child → monitor: stopped before `step` (a monitor step)
  error = 3,  // child → monitor: `step` failed; text = rendered error, err = errno
  fds = 4,    // child → monitor: `step` made these fds (console master, tty masters)
  exec = 5,   // child → monitor: about to exec init; end-of-file now means it did;
              // carries the container's namespaces, text = their names joined by ','
              // (acknowledged when it does)
  trees = 6,  // monitor → child, before a `go`: id-mapped mount trees; text has one
              // character per planned tree, '1' (its fd follows) or '0' (an optional
              // tree that could not be made)
  cgroups = 7,  // monitor → child: the v1 payload cgroups exist (EnterCgroups::wait_for_v1);
                // step 1: the monitor acknowledges `entered` (it enters its own then)
  entered = 8,  // child → monitor: in them now (after cgroups)
  ack = 9,      // either way: the message before was handled; the receiver's turn
};

struct SyncMessage {
  SyncKind kind = SyncKind::go;
  int32_t step = 0;
  int32_t err = 0;
  std::string text;
  std::vector<UniqueFd> fds;
};

/// The longest text a message carries; longer ones are cut.
inline constexpr size_t kMaxSyncText = 8192;

/// Sends one message (with fds, if any). Allocates nothing unless it fails.
Result<void> send_sync(int sock, SyncKind kind, int32_t step, int32_t err = 0, std::string_view text = {},
                       const std::vector<int>& fds = {});

/// Receives one message; `eof` is set when the peer closed its end.
Result<SyncMessage> recv_sync(int sock, bool* eof);

}  // namespace corral::exec
