// SPDX-License-Identifier: Apache-2.0
// libFuzzer: arbitrary bytes on USART1 RX into the ROM model (both versions, any RDP) never crash
// it, never schedule a byte before the request, and leave flash untouched unless an ACK said so.
#include <cstddef>
#include <cstdint>

#include "fake_rom_bus.h"
#include "vstm32/rom_bootloader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  static vstm32::testing::FakeRomBus* bus = new vstm32::testing::FakeRomBus();
  bus->flash.fill(0xFF);
  bus->tx.clear();
  bus->rdp = data[0] & 1 ? 0x55 : 0xAA;
  bus->nwrp = data[0] & 2 ? 0x0FDF : 0x0FFF;
  vstm32::RomBootloader rom(*bus,
                            data[0] & 4 ? vstm32::RomVersion::kV3_1 : vstm32::RomVersion::kV9_1);
  rom.reset(0);
  uint64_t t = rom.ready_at_ns();
  rom.on_rx_byte(0x7F, t);
  for (size_t i = 1; i < size && rom.active(); ++i) {
    t += 1'000 + (data[i] & 0x0F) * 50'000;  // sometimes faster than the ROM is ready
    const uint64_t sent = t;
    const size_t before = bus->tx.size();
    rom.on_rx_byte(data[i], t);
    for (size_t j = before; j < bus->tx.size(); ++j) {
      if (bus->tx[j].at_ns < sent) __builtin_trap();
    }
  }
  if (bus->programmed_bytes != 0 && rom.stats().acks == 0) __builtin_trap();
  return 0;
}
