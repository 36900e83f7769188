// SPDX-License-Identifier: Apache-2.0
// The STM32 as the update engine sees it, over either path, chosen at run time (Kconfig
// FOTA_TRANSPORT_NATIVE gives the default): ST's ROM bootloader (the core's an3155::RomTarget:
// 8E1 up to 115200 baud, BOOT0 + NRST) or our bootloader's update mode (the core's
// native::NativeTarget: NRST pulse and sync, 8N1 at kNativeBaud; the 3-wire option). Both run
// over the same UART, pins and clock adapters; only the chosen one exists (constructed in one
// storage buffer, sized for the larger), and one buffer serves as the ROM read cache or the
// native resend ring. Plain C++ over the core (no ESP-IDF call), so the host tests run it.
#pragma once

#include <array>
#include <cstddef>
#include <span>

#include "an3155/an3155.h"
#include "an3155/rom_target.h"
#include "fota_esp32/config.h"
#include "fota_esp32/rom_target.h"
#include "native/target.h"
#include "update/target.h"

namespace fota::esp32 {

enum class Transport : uint8_t { kRom, kNative };
inline constexpr Transport kDefaultTransport =
    kTransportNative ? Transport::kNative : Transport::kRom;

class StmTarget final : public update::Target {
 public:
  StmTarget(an3155::ByteLink& link, an3155::TargetPins& pins, an3155::Clock& clock,
            Transport transport = kDefaultTransport);
  ~StmTarget();
  StmTarget(const StmTarget&) = delete;
  StmTarget& operator=(const StmTarget&) = delete;

  // Switches the path (between updates, never during one).
  void use(Transport transport);
  Transport transport() const { return transport_; }

  // update::Target: every call goes to the chosen path's target.
  update::TargetKind kind() const override { return active_->kind(); }
  update::TargetError open(update::DeviceId& id) override { return active_->open(id); }
  update::TargetError read_boot_state(update::BootState& s) override {
    return active_->read_boot_state(s);
  }
  update::TargetError begin_write() override { return active_->begin_write(); }
  update::TargetError resume_point(flash_map::Slot slot, update::ResumePoint& point) override {
    return active_->resume_point(slot, point);
  }
  update::TargetError begin_image(flash_map::Slot slot,
                                  std::span<const uint8_t, kImageHeaderSize> header,
                                  uint32_t start_payload) override {
    return active_->begin_image(slot, header, start_payload);
  }
  update::TargetError erase_sector(unsigned sector) override {
    return active_->erase_sector(sector);
  }
  update::TargetError write(uint32_t address, std::span<const uint8_t> data) override {
    return active_->write(address, data);
  }
  update::TargetError read(uint32_t address, std::span<uint8_t> out) override {
    return active_->read(address, out);
  }
  update::TargetError commit(flash_map::Slot slot, const ImageHeader& header) override {
    return active_->commit(slot, header);
  }
  update::TargetError reboot() override { return active_->reboot(); }
  update::TargetError observe(flash_map::Slot slot, uint32_t wait_ms,
                              update::Observation& seen) override {
    return active_->observe(slot, wait_ms, seen);
  }
  bool can_reset() const override { return active_->can_reset(); }
  const char* last_error() const override { return active_->last_error(); }
  const char* refusal() const override { return active_->refusal(); }

 private:
  // The ROM path: ST's bootloader driver and the engine's target over it.
  struct RomPath {
    RomPath(an3155::ByteLink& link, an3155::TargetPins& pins, an3155::Clock& clock,
            std::span<uint8_t> cache, RomConsoleEcho& echo);
    an3155::Bootloader rom;
    an3155::RomTarget target;
  };
  static constexpr size_t kPathBytes = sizeof(RomPath) > sizeof(native::NativeTarget)
                                           ? sizeof(RomPath)
                                           : sizeof(native::NativeTarget);
  void destroy();

  an3155::ByteLink& link_;
  an3155::TargetPins& pins_;
  an3155::Clock& clock_;
  Transport transport_;
  std::array<uint8_t, kNativeRingBytes> buffer_{};  // ROM read cache or native ring
  RomConsoleEcho echo_;
  // The chosen path's objects (RomPath or NativeTarget), placed by use().
  alignas(RomPath) alignas(native::NativeTarget) std::byte path_[kPathBytes];
  update::Target* active_ = nullptr;
};

}  // namespace fota::esp32
