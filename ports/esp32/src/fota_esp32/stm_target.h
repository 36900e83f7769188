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
#include "update/forwarding_target.h"

namespace fota::esp32 {

enum class Transport : uint8_t { kRom, kNative };
inline constexpr Transport kDefaultTransport =
    kTransportNative ? Transport::kNative : Transport::kRom;

// Every update::Target call goes to the chosen path's target.
class StmTarget final : public update::ForwardingTarget {
 public:
  StmTarget(an3155::ByteLink& link, an3155::TargetPins& pins, an3155::Clock& clock,
            Transport transport = kDefaultTransport);
  ~StmTarget();
  StmTarget(const StmTarget&) = delete;
  StmTarget& operator=(const StmTarget&) = delete;

  // Switches the path (between updates, never during one).
  void use(Transport transport);
  Transport transport() const { return transport_; }

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
};

}  // namespace fota::esp32
