// SPDX-License-Identifier: Apache-2.0
// The connection to a target's ROM bootloader (serial port + pin backend + AN3155 driver) and
// the device's identity, shared by `fota flash` and `fota info`.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "an3155/an3155.h"
#include "ports_linux/pins.h"
#include "ports_linux/serial_port.h"
#include "status/expected.h"

namespace CLI {
class App;
}  // namespace CLI

namespace fota::cli {

struct ConnectionOptions {
  std::string port;
  std::string pins = "none";
  uint32_t baud = 115200;
  unsigned retries = 5;
  bool pipeline = true;  // pipelined Write/Read Memory with fallback (an3155::Options::pipeline)
};

// Adds --port, --pins and --baud: what every command that talks to the ROM takes.
void add_connection_options(CLI::App& cmd, ConnectionOptions& options);

struct DeviceIdentity {
  an3155::DeviceInfo info;
  std::array<uint8_t, 12> uid{};
  uint16_t flash_kb = 0;
  std::string uid_hex() const;
};

class RomConnection {
 public:
  // Opens the port and the pins.
  Expected<void> open(const ConnectionOptions& options);
  // Enters the ROM (pins) or just syncs (pins "none"), then identifies the device.
  Expected<DeviceIdentity> enter_and_identify();
  // Resets the target into its application (with pins "none" there is nothing to drive).
  Expected<void> leave();
  an3155::Bootloader& rom() { return *rom_; }
  ports::SerialPort& port() { return port_; }
  ports::Pins* pins() { return pins_.get(); }
  an3155::Clock& clock() { return clock_; }
  // The driver status with what the port or the pins reported, and the command that failed.
  std::string describe_failure(an3155::Status status) const;

 private:
  ports::SerialPort port_;
  std::unique_ptr<ports::Pins> pins_;
  ports::SystemClock clock_;
  std::optional<an3155::Bootloader> rom_;
};

}  // namespace fota::cli
