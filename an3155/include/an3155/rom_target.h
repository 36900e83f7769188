// SPDX-License-Identifier: Apache-2.0
// The update engine's Target over ST's ROM bootloader (AN3155): what `fota flash`, `fota agent`
// and the ESP32 port drive. Flash through the Bootloader's Read/Write Memory and Extended Erase;
// the boot log through bootcore's own MetaLog over RomFlash; the verdict from the target's console
// (the application's USART1, 115200 8N1) after the reset into the application. Freestanding: no
// heap, fixed buffers. The host gives it the read cache's storage and, optionally, hooks: where
// console lines go and the OS's words for a failed port or pin (RomTargetHooks).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "an3155/an3155.h"
#include "an3155/rom_flash.h"
#include "bootcore/meta_log.h"
#include "update/target.h"

namespace fota::an3155 {

struct RomTargetOptions {
  // Program/erase width set before the first erase; kX8 leaves the ROM's default after reset.
  Parallelism parallelism = Parallelism::kX32;
  // True: open() enters the ROM with BOOT0/NRST and reboot() resets into the application. False
  // (no pins wired): the target is already in the ROM (sync only) and the user resets it.
  bool use_pins = true;
  // The application's console, read by observe().
  uint32_t console_baud = 115200;
};

// What the host adds to RomTarget's messages and where console lines go. Optional; every hook
// has a default that says nothing.
class RomTargetHooks {
 public:
  // Every console line seen while observing (without line ending).
  virtual void on_console_line(std::string_view line) { (void)line; }
  // Where the link goes ("/dev/ttyUSB0", "the target UART"), for messages; "" to say nothing.
  virtual const char* link_name() const { return ""; }
  // The OS's words for the last failure of the link or the pins ("" when it has none).
  virtual const char* link_detail() const { return ""; }
  virtual const char* pin_detail() const { return ""; }

 protected:
  ~RomTargetHooks() = default;
};

// update::TargetError for a driver status.
[[nodiscard]] update::TargetError to_target_error(Status status);

class RomTarget final : public update::Target {
 public:
  // `link` and `clock` are the ones `rom` runs over (the console is read on the same UART).
  // `cache_storage` backs the session's ReadCache (see an3155::ReadCache; a few KB). `hooks` may
  // be nullptr.
  RomTarget(Bootloader& rom, ByteLink& link, Clock& clock, std::span<uint8_t> cache_storage,
            const RomTargetOptions& options = {}, RomTargetHooks* hooks = nullptr);
  static constexpr size_t kErrorSize = 256;
  static constexpr size_t kConsoleLineSize = 160;  // longer console lines are cut

  RomTarget(const RomTarget&) = delete;
  RomTarget& operator=(const RomTarget&) = delete;

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
  bool can_reset() const override { return options_.use_pins; }
  const char* last_error() const override { return error_.data(); }
  // The boot line's refused=<slot>:<why> for the observed slot since the last commit() (the
  // engine may re-enter the ROM and reboot again to read the log after a revert).
  const char* refusal() const override { return refusal_.data(); }

  // What the last successful open() read: Get's answer (bootloader version, commands, PID) and
  // the unique ID and flash size.
  const DeviceInfo& device_info() const { return info_; }
  const update::DeviceId& device_id() const { return id_; }
  Bootloader& rom() { return rom_; }

 private:
  update::TargetError failed(Status status, std::string_view what, std::string_view where = {});
  update::TargetError log_failed(bootcore::LogStatus status, std::string_view what);
  void describe(Status status);

  Bootloader& rom_;
  ByteLink& link_;
  Clock& clock_;
  RomTargetOptions options_;
  RomTargetHooks* hooks_;
  ReadCache cache_;
  std::optional<RomFlash> flash_;
  std::optional<bootcore::MetaLog> log_;
  DeviceInfo info_{};
  update::DeviceId id_{};
  bool console_ = false;  // the link is set up for the console (after reboot())
  bool booted_ = false;   // a boot of the observed slot was seen since the last reboot()
  std::array<char, kConsoleLineSize> line_{};
  size_t line_size_ = 0;
  std::array<char, kErrorSize> error_{};
  size_t error_size_ = 0;
  std::array<char, 32> refusal_{};
};

}  // namespace fota::an3155
