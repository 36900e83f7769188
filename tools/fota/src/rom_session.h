// SPDX-License-Identifier: Apache-2.0
// Shared by `fota flash` and `fota info`: the connection to a target's ROM bootloader (serial
// port + pin backend + AN3155 driver), device identification, progress output and exit codes.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "an3155/an3155.h"
#include "an3155/rom_flash.h"
#include "bootcore/meta_log.h"
#include "ports_linux/pins.h"
#include "ports_linux/serial_port.h"

namespace fota::cli {

// Documented in docs/flashing.md ("Exit codes").
enum ExitCode : int {
  kExitOk = 0,
  kExitUsage = 1,         // bad command line
  kExitBadRelease = 2,    // release/image/file invalid: nothing was touched on the device
  kExitNoDevice = 3,      // port, pins, sync or identification failed: nothing was touched
  kExitFlashFailed = 4,   // link/NACK/timeout while erasing/writing/committing
  kExitVerifyFailed = 5,  // read-back differs from the image (--verify=readback)
  kExitReverted = 6,      // the new image did not confirm; the device runs the previous one
  kExitNoOutcome = 7,     // no outcome within --outcome-timeout (still on trial)
};

struct ConnectionOptions {
  std::string port;
  std::string pins = "none";
  uint32_t baud = 115200;
  unsigned retries = 5;
  bool pipeline = true;  // pipelined Write/Read Memory with fallback (an3155::Options::pipeline)
};

struct DeviceIdentity {
  an3155::DeviceInfo info;
  std::array<uint8_t, 12> uid{};
  uint16_t flash_kb = 0;
  std::string uid_hex() const;
};

class RomConnection {
 public:
  // Opens the port and the pins; false + message on failure.
  bool open(const ConnectionOptions& options, std::string& error);
  // Enters the ROM (pins) or just syncs (pins "none"), then identifies the device.
  an3155::Status enter_and_identify(DeviceIdentity& id, std::string& error);
  an3155::Status leave(std::string& error);
  an3155::Bootloader& rom() { return *rom_; }
  ports::SerialPort& port() { return port_; }
  ports::Pins* pins() { return pins_.get(); }
  std::string describe_failure(an3155::Status status) const;

 private:
  ports::SerialPort port_;
  std::unique_ptr<ports::Pins> pins_;
  ports::SystemClock clock_;
  std::optional<an3155::Bootloader> rom_;
};

// Phase/percent/rate/ETA reporting: a bar on a terminal, plain lines otherwise, JSON lines with
// --json (on stdout; messages then go to stderr only).
class Progress {
 public:
  Progress(bool json, bool quiet);
  void phase(const std::string& name, uint64_t total_bytes);
  void advance(uint64_t bytes);
  void done();
  void message(const std::string& text);                      // informational line
  void event(const std::string& json_object_without_braces);  // --json only: extra fields
  bool json() const { return json_; }

 private:
  void draw(bool final_line);
  bool json_, quiet_, tty_;
  std::string phase_;
  uint64_t total_ = 0, done_ = 0;
  double start_s_ = 0, last_draw_s_ = 0;
  int last_decile_ = -1;
};

double now_seconds();
std::string hex32(uint32_t value);
std::string json_escape(const std::string& text);

}  // namespace fota::cli
