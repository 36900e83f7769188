// SPDX-License-Identifier: Apache-2.0
// update::Target over ST's ROM bootloader (AN3155): what `fota flash` and `fota agent` drive.
// Flash access through the ROM's Read/Write Memory and Extended Erase; the boot log through
// bootcore's own MetaLog over an3155::RomFlash; the verdict from the target's console (USART1,
// 115200 8N1) after the reset into the application.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "an3155/rom_flash.h"
#include "bootcore/meta_log.h"
#include "rom_connection.h"
#include "update/target.h"

namespace fota::cli {

struct RomTargetOptions {
  // ROM program/erase width set before the first erase: "x8" (ROM default), "x16", "x32".
  std::string parallelism = "x32";
  // Called with every console line seen while observing (without line ending).
  std::function<void(const std::string&)> on_console;
};

class RomTarget final : public update::Target {
 public:
  // `connection` must be open (port and pins); RomTarget enters and leaves the ROM.
  RomTarget(RomConnection& connection, RomTargetOptions options);
  ~RomTarget();
  RomTarget(const RomTarget&) = delete;
  RomTarget& operator=(const RomTarget&) = delete;

  update::TargetError open(update::DeviceId& id) override;
  update::TargetError read_boot_state(update::BootState& state) override;
  update::TargetError begin_write() override;
  update::TargetError erase_sector(unsigned sector) override;
  update::TargetError write(uint32_t address, std::span<const uint8_t> data) override;
  update::TargetError read(uint32_t address, std::span<uint8_t> out) override;
  update::TargetError commit(flash_map::Slot slot, const ImageHeader& header) override;
  update::TargetError reboot() override;
  update::TargetError observe(flash_map::Slot slot, uint32_t wait_ms,
                              update::Observation& seen) override;
  bool can_reset() const override { return connection_.pins() != nullptr; }
  const char* last_error() const override { return error_.c_str(); }
  const char* refusal() const override { return refusal_.c_str(); }

  // The identity read by the last successful open() (for messages: "UID ...").
  const DeviceIdentity& identity() const { return identity_; }

 private:
  update::TargetError failed(an3155::Status status, const std::string& what);
  update::TargetError log_failed(bootcore::LogStatus status, const std::string& what);

  RomConnection& connection_;
  RomTargetOptions options_;
  DeviceIdentity identity_;
  // Read cache of the ROM session (log records, slot headers): see an3155::ReadCache.
  std::vector<uint8_t> cache_storage_ = std::vector<uint8_t>(16 * 1024);
  an3155::ReadCache cache_{cache_storage_};
  std::optional<an3155::RomFlash> flash_;
  std::optional<bootcore::MetaLog> log_;
  bool console_ = false;  // the port is set up for the console (after reboot())
  bool booted_ = false;   // a boot of the observed slot was seen since the last reboot()
  std::string line_;
  std::string error_;
  // The boot line's refused=<slot>:<why> for the observed slot, since the last commit() (the
  // engine may re-enter the ROM and reboot again to read the log after a revert).
  std::string refusal_;
};

update::TargetError to_target_error(an3155::Status status);

}  // namespace fota::cli
