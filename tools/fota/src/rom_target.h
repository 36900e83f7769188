// SPDX-License-Identifier: Apache-2.0
// The core's an3155::RomTarget (the engine's Target over ST's ROM bootloader) on Linux: what
// `fota flash` and `fota agent` drive over a RomConnection. Adds only the host's parts: the read
// cache in memory, console lines to a callback, the serial port's path and the OS's error text in
// messages, and the device identity as `fota` prints it.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "an3155/rom_target.h"
#include "rom_connection.h"

namespace fota::cli {

struct RomTargetOptions {
  // ROM program/erase width set before the first erase: "x8" (ROM default), "x16", "x32".
  std::string parallelism = "x32";
  // Called with every console line seen while observing (without line ending).
  std::function<void(const std::string&)> on_console;
};

class RomTarget final : private an3155::RomTargetHooks {
 public:
  // `connection` must be open (port and pins); the target enters and leaves the ROM.
  RomTarget(RomConnection& connection, RomTargetOptions options);

  // What the engine drives.
  update::Target& core() { return core_; }
  const char* last_error() const { return core_.last_error(); }
  // The device's secure-boot refusal of the observed slot ("" when none).
  const char* refusal() const { return core_.refusal(); }
  // The identity read by the last successful open() (for messages: "UID ...").
  DeviceIdentity identity() const;

 private:
  void on_console_line(std::string_view line) override;
  const char* link_name() const override { return connection_.port().path().c_str(); }
  const char* link_detail() const override { return connection_.port().last_error().c_str(); }
  const char* pin_detail() const override;

  RomConnection& connection_;
  std::function<void(const std::string&)> on_console_;
  std::vector<uint8_t> read_cache_ = std::vector<uint8_t>(16 * 1024);
  an3155::RomTarget core_;
};

}  // namespace fota::cli
