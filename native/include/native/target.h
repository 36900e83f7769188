// SPDX-License-Identifier: Apache-2.0
// update::Target over our bootloader's update mode (the native protocol, docs/native-protocol.md):
// a streaming target, so the same engine sequence that drives the ROM path drives this one. The
// header goes to the device at BEGIN (checked there before anything is erased), the device erases
// lazily and programs while the next frames arrive, the resume point comes from QUERY, and END
// makes the device verify CRC-32 + SHA-256 of the whole image, append TRIAL and reboot into it.
// Portable and freestanding (host, Cortex-M, ESP32): over the an3155 port interfaces, no heap.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "an3155/port.h"
#include "native/host.h"
#include "update/target.h"

namespace fota::native {

// How open() reaches update mode. Without pins it can only say HELLO.
enum class Entry : uint8_t {
  kPinReset = 0,  // pulse NRST and send sync bytes through the listening window
  kHello,         // the first open(): the bootloader is already in update mode (app request, no
                  // valid image, or a probe woke it); later open()s use the pins
};

struct NativeTargetOptions {
  Entry entry = Entry::kPinReset;
  uint32_t baud = 921'600;  // switched to after HELLO when the device offers it (115200: stay)
  HostOptions host;
  uint32_t hello_timeout_ms = 1'000;  // Entry::kHello: how long to say HELLO
  // Called with every console line seen while observing (without line ending); may be nullptr.
  void (*on_console)(void* context, const char* line) = nullptr;
  void* console_context = nullptr;
};

class NativeTarget final : public update::Target {
 public:
  // `pins` may be nullptr (Entry::kHello only; no trial supervision resets). `ring` keeps the
  // payload bytes in flight for resends: at least kMaxData bytes; 8 x kMaxData for full speed.
  NativeTarget(an3155::ByteLink& link, an3155::Clock& clock, an3155::TargetPins* pins,
               std::span<uint8_t> ring, const NativeTargetOptions& options = {});
  NativeTarget(const NativeTarget&) = delete;
  NativeTarget& operator=(const NativeTarget&) = delete;
  ~NativeTarget() = default;

  update::TargetKind kind() const override { return update::TargetKind::kStreaming; }
  [[nodiscard]] update::TargetError open(update::DeviceId& id) override;
  [[nodiscard]] update::TargetError read_boot_state(update::BootState& state) override;
  [[nodiscard]] update::TargetError resume_point(flash_map::Slot slot,
                                                 update::ResumePoint& point) override;
  [[nodiscard]] update::TargetError begin_image(flash_map::Slot slot,
                                                std::span<const uint8_t, kImageHeaderSize> header,
                                                uint32_t start_payload) override;
  [[nodiscard]] update::TargetError erase_sector(unsigned sector) override;
  [[nodiscard]] update::TargetError write(uint32_t address, std::span<const uint8_t> data) override;
  [[nodiscard]] update::TargetError read(uint32_t address, std::span<uint8_t> out) override;
  [[nodiscard]] update::TargetError commit(flash_map::Slot slot,
                                           const ImageHeader& header) override;
  [[nodiscard]] update::TargetError reboot() override;
  [[nodiscard]] update::TargetError observe(flash_map::Slot slot, uint32_t wait_ms,
                                            update::Observation& seen) override;
  bool can_reset() const override { return pins_ != nullptr; }
  const char* last_error() const override { return error_; }

  // The HELLO reply of the last open() and the transfer figures (frames, resends, resume).
  const HelloReply& hello() const { return hello_; }
  const HostSession& session() const { return session_; }

 private:
  update::TargetError failed(HostError error, const char* what);
  void set_error(const char* a, const char* b = "", const char* c = "");

  an3155::ByteLink& link_;
  an3155::Clock& clock_;
  an3155::TargetPins* pins_;
  std::span<uint8_t> ring_;
  NativeTargetOptions options_;
  HostSession session_;
  HelloReply hello_;
  bool in_update_mode_ = false;
  bool opened_before_ = false;
  bool begun_ = false;
  bool ended_ = false;  // END accepted: the device reboots by itself
  uint32_t slot_base_ = 0;
  uint32_t next_address_ = 0;
  bool console_ = false;
  bool booted_ = false;
  char line_[160] = {};
  size_t line_size_ = 0;
  char error_[160] = {};
};

}  // namespace fota::native
