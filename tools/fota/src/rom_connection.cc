// SPDX-License-Identifier: Apache-2.0
#include "rom_connection.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>

#include "an3155/rom_flash.h"
#include "format/flash_map.h"
#include "update/target.h"

namespace fota::cli {

void add_connection_options(CLI::App& cmd, ConnectionOptions& options) {
  cmd.add_option("--port", options.port, "serial port (e.g. /dev/ttyUSB0, a pty)")->required();
  cmd.add_option("--pins", options.pins,
                 "BOOT0/NRST backend: vstm32:SOCK | gpiod:CHIP,boot0=N,nrst=M[,boot0-active-low]"
                 "[,nrst-active-high] | serial-dtr-rts[:boot0=[!]rts,nrst=[!]dtr] | none (target "
                 "already in the ROM)")
      ->capture_default_str();
  cmd.add_option("--baud", options.baud, "baud rate (8E1)")->capture_default_str();
}

std::string DeviceIdentity::uid_hex() const {
  return update::uid_text(uid).data();
}

Expected<void> RomConnection::open(const ConnectionOptions& options) {
  FOTA_TRY_EXPECTED(port_.open(options.port));
  if (options.pins != "none") {
    auto pins = ports::make_pins(options.pins, &port_);
    if (!pins) return pins.failure();
    pins_ = std::move(*pins);
  }
  if (ports::baud_to_speed(options.baud) == 0) {
    return fail("unsupported baud rate " + std::to_string(options.baud));
  }
  an3155::Options rom_options;
  rom_options.baud = options.baud;
  rom_options.retries = options.retries;
  rom_options.pipeline = options.pipeline;
  rom_.emplace(port_, pins_.get(), clock_, rom_options);
  return {};
}

std::string RomConnection::describe_failure(an3155::Status status) const {
  std::string text = an3155::to_string(status);
  if (status == an3155::Status::kLinkError && !port_.last_error().empty()) {
    text += ": " + port_.last_error();
  }
  if (status == an3155::Status::kPinError && pins_ && !pins_->last_error().empty()) {
    text += ": " + pins_->last_error();
  }
  if (status != an3155::Status::kLinkError && status != an3155::Status::kPinError &&
      status != an3155::Status::kNoSync) {
    text += std::string(" (command: ") + an3155::to_string(rom_->last_opcode()) + ")";
  }
  return text;
}

Expected<DeviceIdentity> RomConnection::enter_and_identify() {
  an3155::Status status = pins_ ? rom_->enter() : rom_->sync();
  if (status != an3155::Status::kOk) {
    return fail("cannot reach the ROM bootloader on " + port_.path() + ": " +
                describe_failure(status));
  }
  DeviceIdentity id;
  status = rom_->identify(id.info);
  if (status == an3155::Status::kWrongDevice) {
    return fail(fmt::format(
        "wrong device: product ID 0x{:03X}, expected 0x413 (STM32F40x/41x); refusing to touch it",
        id.info.pid));
  }
  if (status != an3155::Status::kOk) {
    return fail("identification failed: " + describe_failure(status));
  }
  status = an3155::read_checked(*rom_, flash_map::kUniqueIdAddress, id.uid, true);
  if (status == an3155::Status::kOk) {
    uint8_t size[2];
    status = an3155::read_checked(*rom_, flash_map::kFlashSizeAddress, size, true);
    id.flash_kb = static_cast<uint16_t>(size[0] | size[1] << 8);
  }
  if (status == an3155::Status::kProtected) {
    return fail(
        "the device is readout-protected (RDP level 1): its ROM bootloader refuses to read even "
        "the unique ID, so nothing can be read or written through it; update the device through "
        "our bootloader's native path (docs/security.md)");
  }
  if (status != an3155::Status::kOk) {
    return fail("cannot read the unique ID / flash size: " + describe_failure(status));
  }
  return id;
}

Expected<void> RomConnection::leave() {
  if (!pins_) return {};  // pins "none": the user resets the target with BOOT0 low
  const an3155::Status status = rom_->leave();
  if (status != an3155::Status::kOk)
    return fail("cannot leave the ROM: " + describe_failure(status));
  return {};
}

}  // namespace fota::cli
