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
    : ForwardingTarget(nullptr), link_(link), pins_(pins), clock_(clock), transport_(transport) {
  use(transport);
}

StmTarget::~StmTarget() {
  destroy();
}

void StmTarget::destroy() {
  if (!forwarding()) return;
  if (transport_ == Transport::kRom) {
    std::launder(reinterpret_cast<RomPath*>(path_))->~RomPath();
  } else {
    std::launder(reinterpret_cast<native::NativeTarget*>(path_))->~NativeTarget();
  }
  forward_to(nullptr);
}

void StmTarget::use(Transport transport) {
  destroy();
  transport_ = transport;
  if (transport == Transport::kRom) {
    auto* path = new (path_)
        RomPath(link_, pins_, clock_, std::span(buffer_).first(kRomReadCacheBytes), echo_);
    forward_to(&path->target);
    return;
  }
  native::NativeTargetOptions options;
  options.entry = native::Entry::kPinReset;  // NRST pulse, sync in the listening window
  options.baud = kNativeBaud;
  options.on_console = echo_native_console;
  forward_to(new (path_) native::NativeTarget(link_, clock_, &pins_, buffer_, options));
}

}  // namespace fota::esp32
