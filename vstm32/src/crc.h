// SPDX-License-Identifier: Apache-2.0
// The CRC calculation unit (RM0090 section 4): DR/IDR/CR, polynomial 0x04C1'1DB7 MSB first,
// clocked by AHB1ENR bit 12 (registers read 0 and ignore writes without it).
#pragma once

#include "bus_device.h"

namespace vstm32 {

class Crc final : public BusDevice {
 public:
  explicit Crc(DeviceHost& host)
      : BusDevice("CRC", 0x4002'3000, 0x400, ClockGate{ClockGate::kAhb1, 12}), host_(host) {}
  uint32_t read(uint32_t offset) override;
  void write(const RegWrite& w) override;
  void reset() override {
    dr_ = 0xFFFF'FFFF;
    idr_ = 0;
  }

 private:
  DeviceHost& host_;
  uint32_t dr_ = 0xFFFF'FFFF;
  uint8_t idr_ = 0;
};

}  // namespace vstm32
