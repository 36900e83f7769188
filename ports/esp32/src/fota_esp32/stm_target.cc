// SPDX-License-Identifier: Apache-2.0
#include "fota_esp32/stm_target.h"

#include <cstdio>

namespace fota::esp32 {
namespace {

static_assert(kNativeRingBytes >= native::kMaxData && kNativeRingBytes >= kRomReadCacheBytes);

void echo_native_console(void*, const char* line) {
  std::printf("stm32: %s\n", line);
}

an3155::Options rom_options() {
  an3155::Options options;
  options.baud = kRomBaud;
  return options;
}

}  // namespace

StmTarget::StmTarget(an3155::ByteLink& link, an3155::TargetPins& pins, an3155::Clock& clock,
                     Transport transport)
    : link_(link),
      pins_(pins),
      clock_(clock),
      transport_(transport),
      rom_(link, &pins, clock, rom_options()) {
  use(transport);
}

void StmTarget::use(Transport transport) {
  transport_ = transport;
  rom_target_.reset();
  native_target_.reset();
  if (transport == Transport::kRom) {
    rom_target_.emplace(rom_, link_, clock_, std::span(buffer_).first(kRomReadCacheBytes),
                        an3155::RomTargetOptions{}, &echo_);
    return;
  }
  native::NativeTargetOptions options;
  options.entry = native::Entry::kPinReset;  // NRST pulse, sync in the listening window
  options.baud = kNativeBaud;
  options.on_console = echo_native_console;
  native_target_.emplace(link_, clock_, &pins_, buffer_, options);
}

update::Target& StmTarget::active() {
  if (native_target_) return *native_target_;
  return *rom_target_;
}

const update::Target& StmTarget::active() const {
  if (native_target_) return *native_target_;
  return *rom_target_;
}

update::TargetError StmTarget::open(update::DeviceId& id) {
  return active().open(id);
}
update::TargetError StmTarget::read_boot_state(update::BootState& state) {
  return active().read_boot_state(state);
}
update::TargetError StmTarget::begin_write() {
  return active().begin_write();
}
update::TargetError StmTarget::resume_point(flash_map::Slot slot, update::ResumePoint& point) {
  return active().resume_point(slot, point);
}
update::TargetError StmTarget::begin_image(flash_map::Slot slot,
                                           std::span<const uint8_t, kImageHeaderSize> header,
                                           uint32_t start_payload) {
  return active().begin_image(slot, header, start_payload);
}
update::TargetError StmTarget::erase_sector(unsigned sector) {
  return active().erase_sector(sector);
}
update::TargetError StmTarget::write(uint32_t address, std::span<const uint8_t> data) {
  return active().write(address, data);
}
update::TargetError StmTarget::read(uint32_t address, std::span<uint8_t> out) {
  return active().read(address, out);
}
update::TargetError StmTarget::commit(flash_map::Slot slot, const ImageHeader& header) {
  return active().commit(slot, header);
}
update::TargetError StmTarget::reboot() {
  return active().reboot();
}
update::TargetError StmTarget::observe(flash_map::Slot slot, uint32_t wait_ms,
                                       update::Observation& seen) {
  return active().observe(slot, wait_ms, seen);
}

}  // namespace fota::esp32
