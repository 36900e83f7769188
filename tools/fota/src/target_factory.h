// SPDX-License-Identifier: Apache-2.0
// The engine's Target for one device on an open RomConnection, by transport: ST's ROM bootloader
// (AN3155, RomTarget), our bootloader's native update mode (native::NativeTarget), or "auto": ask
// for our bootloader first (a HELLO after a pin reset + sync) and take the ROM path when nothing
// answers. Shared by `fota flash` (--transport) and `fota agent` ([[device]] transport).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "native/target.h"
#include "ports_linux/pins.h"
#include "rom_connection.h"
#include "rom_target.h"
#include "status/expected.h"
#include "update/target.h"

namespace CLI {
class App;
}  // namespace CLI

namespace fota::cli {

struct TransportOptions {
  std::string transport = "rom";  // rom | native | auto
  uint32_t native_baud = 921'600;
  bool native_hello = false;  // the device is already in update mode (no pin reset + sync first)
  // auto: once our bootloader answered the probe, LEAVE update mode (the application runs again
  // until the first open()) instead of keeping the device there for it.
  bool leave_after_probe = false;
  std::string parallelism = "x32";  // ROM path: program/erase width
  // Every console line seen while observing the new image (without line ending).
  std::function<void(const std::string&)> on_console;
};

// --native-entry pin|hello into `entry` (`fota flash`, `fota info`).
void add_native_entry_option(CLI::App& cmd, std::string& entry);

class DeviceTarget {
 public:
  // Probes (auto) and builds the target over `connection`, which must be open and outlive it.
  static std::unique_ptr<DeviceTarget> make(RomConnection& connection,
                                            const TransportOptions& options);
  DeviceTarget(const DeviceTarget&) = delete;
  DeviceTarget& operator=(const DeviceTarget&) = delete;

  update::Target& target();
  bool native() const { return native_.has_value(); }
  // "rom" or "native" (auto resolved).
  const std::string& transport() const { return transport_; }
  // auto only: what the probe found, as a sentence ("" without a probe).
  const std::string& probe_note() const { return probe_note_; }
  native::NativeTarget* native_target() { return native_ ? &*native_ : nullptr; }

 private:
  DeviceTarget() = default;

  ports::SystemClock clock_;
  std::vector<uint8_t> ring_ = std::vector<uint8_t>(64 * 1024);
  std::function<void(const std::string&)> console_;
  std::optional<RomTarget> rom_;
  std::optional<native::NativeTarget> native_;
  std::string transport_;
  std::string probe_note_;
};

}  // namespace fota::cli
