// SPDX-License-Identifier: Apache-2.0
// The random number generator (RM0090 section 24): CR RNGEN/IE, SR DRDY (a new word 40 PLL48CLK
// periods after enabling and after each DR read, taken as 48 MHz: 0.83 us), DR, the HASH_RNG
// interrupt (IRQ 80) on DRDY with IE. Words come from a generator seeded by MachineConfig::seed
// (reproducible runs), not from noise; the seed and clock error flags never rise.
#pragma once

#include "bus_device.h"

namespace vstm32 {

class Rng final : public BusDevice {
 public:
  Rng(DeviceHost& host, uint64_t seed)
      : BusDevice("RNG", 0x5006'0800, 0x400, ClockGate{ClockGate::kAhb2, 6}),
        host_(host),
        seed_(seed * 0x9E37'79B9'7F4A'7C15ull + 0x2545'F491'4F6C'DD1Dull) {}
  uint32_t read(uint32_t offset) override;
  void write(const RegWrite& w) override;
  void reset() override;
  [[nodiscard]] uint64_t next_event_ps() const override;
  void advance(uint64_t now_ps) override;
  [[nodiscard]] std::span<const uint8_t> irqs() const override { return {&kIrq, 1}; }

 private:
  static constexpr uint8_t kIrq = 80;
  static constexpr uint64_t kReadyPs = 40 * kPsPerSecond / 48'000'000;
  [[nodiscard]] bool ready() const;
  void update_irq();
  DeviceHost& host_;
  uint64_t seed_;
  uint64_t state_ = 0;
  uint32_t cr_ = 0;
  uint64_t ready_at_ps_ = kNever;
  IrqLine irq_{kIrq};
};

}  // namespace vstm32
