// SPDX-License-Identifier: Apache-2.0
// update::Target over ST's ROM bootloader for a host without heap or strings: the calls the Linux
// RomTarget (tools/fota) makes, on fixed buffers. Flash through an3155::Bootloader, the boot log
// through bootcore's MetaLog over an3155::RomFlash, the verdict from the target's console lines
// (update::parse_console_line) after the reset into the application.
#pragma once

#include <array>
#include <optional>

#include "an3155/an3155.h"
#include "an3155/rom_flash.h"
#include "bootcore/meta_log.h"
#include "fota_esp32/config.h"
#include "update/target.h"

namespace fota::esp32 {

class RomTarget final : public update::Target {
 public:
  // `link` and `clock` are the ones `rom` runs over (the console is read on the same UART).
  RomTarget(an3155::Bootloader& rom, an3155::ByteLink& link, an3155::Clock& clock)
      : rom_(rom), link_(link), clock_(clock) {}

  [[nodiscard]] update::TargetError open(update::DeviceId& id) override;
  [[nodiscard]] update::TargetError read_boot_state(update::BootState& state) override;
  [[nodiscard]] update::TargetError begin_write() override;
  [[nodiscard]] update::TargetError erase_sector(unsigned sector) override;
  [[nodiscard]] update::TargetError write(uint32_t address, std::span<const uint8_t> data) override;
  [[nodiscard]] update::TargetError read(uint32_t address, std::span<uint8_t> out) override;
  [[nodiscard]] update::TargetError commit(flash_map::Slot slot,
                                           const ImageHeader& header) override;
  [[nodiscard]] update::TargetError reboot() override;
  [[nodiscard]] update::TargetError observe(flash_map::Slot slot, uint32_t wait_ms,
                                            update::Observation& seen) override;
  const char* last_error() const override { return error_.data(); }

 private:
  update::TargetError failed(an3155::Status status, const char* what);
  update::TargetError failed_at(an3155::Status status, const char* what, uint32_t value);
  update::TargetError log_failed(bootcore::LogStatus status, const char* what);

  an3155::Bootloader& rom_;
  an3155::ByteLink& link_;
  an3155::Clock& clock_;
  std::array<uint8_t, kRomReadCacheBytes> cache_storage_{};
  an3155::ReadCache cache_{cache_storage_};
  std::optional<an3155::RomFlash> flash_;
  std::optional<bootcore::MetaLog> log_;
  bool console_ = false;  // the UART is set up for the console (after reboot())
  bool booted_ = false;   // a boot of the observed slot was seen since reboot()
  std::array<char, kConsoleLineBytes> line_{};
  size_t line_size_ = 0;
  std::array<char, 160> error_{};
};

}  // namespace fota::esp32
