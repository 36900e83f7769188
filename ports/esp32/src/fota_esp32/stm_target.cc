// SPDX-License-Identifier: Apache-2.0
#include "fota_esp32/stm_target.h"

#include <cstdio>
#include <new>

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

StmTarget::RomPath::RomPath(an3155::ByteLink& link, an3155::TargetPins& pins, an3155::Clock& clock,
                            std::span<uint8_t> cache, RomConsoleEcho& echo)
    : rom(link, &pins, clock, rom_options()),
      target(rom, link, clock, cache, an3155::RomTargetOptions{}, &echo) {}

StmTarget::StmTarget(an3155::ByteLink& link, an3155::TargetPins& pins, an3155::Clock& clock,
                     Transport transport)
    : link_(link), pins_(pins), clock_(clock), transport_(transport) {
  use(transport);
}

StmTarget::~StmTarget() {
  destroy();
}

void StmTarget::destroy() {
  if (active_ == nullptr) return;
  if (transport_ == Transport::kRom) {
    std::launder(reinterpret_cast<RomPath*>(path_))->~RomPath();
  } else {
    std::launder(reinterpret_cast<native::NativeTarget*>(path_))->~NativeTarget();
  }
  active_ = nullptr;
}

void StmTarget::use(Transport transport) {
  destroy();
  transport_ = transport;
  if (transport == Transport::kRom) {
    auto* path = new (path_)
        RomPath(link_, pins_, clock_, std::span(buffer_).first(kRomReadCacheBytes), echo_);
    active_ = &path->target;
    return;
  }
  native::NativeTargetOptions options;
  options.entry = native::Entry::kPinReset;  // NRST pulse, sync in the listening window
  options.baud = kNativeBaud;
  options.on_console = echo_native_console;
  active_ = new (path_) native::NativeTarget(link_, clock_, &pins_, buffer_, options);
}

update::TargetError StmTarget::open(update::DeviceId& id) {
  return active_->open(id);
}
update::TargetError StmTarget::read_boot_state(update::BootState& state) {
  return active_->read_boot_state(state);
}
update::TargetError StmTarget::begin_write() {
  return active_->begin_write();
}
update::TargetError StmTarget::resume_point(flash_map::Slot slot, update::ResumePoint& point) {
  return active_->resume_point(slot, point);
}
update::TargetError StmTarget::begin_image(flash_map::Slot slot,
                                           std::span<const uint8_t, kImageHeaderSize> header,
                                           uint32_t start_payload) {
  return active_->begin_image(slot, header, start_payload);
}
update::TargetError StmTarget::erase_sector(unsigned sector) {
  return active_->erase_sector(sector);
}
update::TargetError StmTarget::write(uint32_t address, std::span<const uint8_t> data) {
  return active_->write(address, data);
}
update::TargetError StmTarget::read(uint32_t address, std::span<uint8_t> out) {
  return active_->read(address, out);
}
update::TargetError StmTarget::commit(flash_map::Slot slot, const ImageHeader& header) {
  return active_->commit(slot, header);
}
update::TargetError StmTarget::reboot() {
  return active_->reboot();
}
update::TargetError StmTarget::observe(flash_map::Slot slot, uint32_t wait_ms,
                                       update::Observation& seen) {
  return active_->observe(slot, wait_ms, seen);
}

}  // namespace fota::esp32
