// SPDX-License-Identifier: Apache-2.0
// The control socket: a Unix stream socket, one text command per line, one reply line
// "ok[ ...]" or "error <message>" (events: one line per event, then "ok"). Drives the pins
// (BOOT0, NRST), power, fault injection and the UART bit-error rate like a test jig would.
//
//   boot0 0|1              nrst low|high        reset (NRST pulse)     power off|on
//   status                 events               ber RATE [SEED]        quit (stop vstm32)
//   cut instructions N     cut flash-step N [FRACTION]                 cut random SEED
//   pin PA0 0|1 (drive an input pin)   button press|down|up (the Discovery's user button, PA0)
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "status/expected.h"

namespace vstm32 {

struct ControlCommand {
  enum class Kind : uint8_t {
    kBoot0,  // flag = high
    kNrst,   // flag = asserted (low)
    kReset,
    kPower,  // flag = on
    kStatus,
    kEvents,
    kCutInstructions,  // count
    kCutFlashStep,     // count, fraction (0..1, default 0.5)
    kCutRandom,        // seed, window_ms, flash_ops
    kCutCancel,        // forget a planned cut
    kBer,              // rate, seed
    kQuit,
    kPin,     // port (0 = A), pin, flag = level
    kButton,  // count: 0 press (down, then up 100 ms later), 1 down, 2 up
  };
  Kind kind = Kind::kStatus;
  bool flag = false;
  uint64_t count = 0;
  double fraction = 0.5;
  double rate = 0.0;
  uint64_t seed = 1;
  uint64_t window_ms = 1000;  // cut random: a time uniformly in the next window_ms ...
  uint64_t flash_ops = 4096;  // ... or (half the seeds) one of the next flash_ops flash operations
  unsigned port = 0;
  unsigned pin = 0;
};

// Parses one line (without the newline). Returns the command or a failure that names what is
// wrong (sent back as "error <message>").
fota::Expected<ControlCommand> parse_control_line(std::string_view line);

// What the socket drives. Replies are complete lines without newline: "ok ...", "error ...";
// for events, the event lines followed by "ok".
class ControlTarget {
 public:
  virtual ~ControlTarget() = default;
  virtual std::vector<std::string> execute(const ControlCommand& command) = 0;
};

class ControlServer {
 public:
  // Refuses a path that exists and is not a stale socket (nobody accepting on it).
  static fota::Expected<std::unique_ptr<ControlServer>> open(const std::filesystem::path& path,
                                                             ControlTarget& target);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // File descriptors to poll for POLLIN (listening socket first, then clients).
  std::vector<int> fds() const;
  // Accepts and serves whatever is readable now (non-blocking).
  void service();
  bool quit_requested() const { return quit_; }

 private:
  struct Client {
    int fd;
    std::string pending;
  };
  ControlServer(ControlTarget& target) : target_(target) {}
  void serve_line(Client& client, std::string_view line);
  static bool send_all(int fd, const std::string& text);

  ControlTarget& target_;
  int listen_fd_ = -1;
  std::filesystem::path path_;
  std::vector<Client> clients_;
  bool quit_ = false;
};

// Client side (used by `vstm32 ctl` and tests): sends one command, returns the reply lines up to
// and including the final "ok..." / "error ..." line.
fota::Expected<std::vector<std::string>> control_request(const std::filesystem::path& path,
                                                         std::string_view command, int timeout_ms);

}  // namespace vstm32
