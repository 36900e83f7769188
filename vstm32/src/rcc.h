// SPDX-License-Identifier: Apache-2.0
// RCC (RM0090 section 7): the clock tree (HSI 16 MHz, HSE 8 MHz as on the Discovery board, the
// main PLL M/N/P, AHB/APB prescalers -> HCLK, PCLK1, PCLK2), ready flags that follow their
// enables at once, SWS following SW, clock enables, peripheral resets (AHB1/AHB2/APB1/APB2
// RSTR reset every model behind that bit), reset flags in CSR, LSI, backup domain control.
#pragma once

#include <array>
#include <functional>

#include "bus_device.h"

namespace vstm32 {

class Rcc final : public BusDevice {
 public:
  struct Hooks {
    std::function<void(bool before)> clock_change;     // around a clock tree change
    std::function<void(ClockGate gate)> reset_device;  // an xxxRSTR bit was set
  };
  explicit Rcc(Hooks hooks) : BusDevice("RCC", 0x4002'3800, 0x400), hooks_(std::move(hooks)) {}
  uint32_t read(uint32_t offset) override;
  void write(const RegWrite& w) override;
  void reset() override;  // keeps the reset flags in CSR

  [[nodiscard]] uint32_t sysclk_hz() const;
  [[nodiscard]] uint32_t hclk_hz() const;
  [[nodiscard]] uint32_t pclk1_hz() const;
  [[nodiscard]] uint32_t pclk2_hz() const;
  [[nodiscard]] bool enabled(ClockGate gate) const;

  uint32_t csr = 0;  // reset flags (written by the machine at each reset)
  uint32_t ahb1enr = 0x0010'0000, apb2enr = 0;  // the ROM's Go turns on what it used

 private:
  Hooks hooks_;
  uint32_t cr_ = 0x83, pllcfgr_ = 0x2400'3010, cfgr_ = 0, cir_ = 0;
  uint32_t ahb2enr_ = 0, ahb3enr_ = 0, apb1enr_ = 0;
  uint32_t ahb1lpenr_ = 0x7E67'91FF, ahb2lpenr_ = 0xF1, ahb3lpenr_ = 1, apb1lpenr_ = 0x36FE'C9FF,
           apb2lpenr_ = 0x0007'5F33;
  uint32_t bdcr_ = 0, sscgr_ = 0, plli2scfgr_ = 0x2000'3000;
  std::array<uint32_t, 5> rstr_{};  // AHB1, AHB2, AHB3, (reserved), APB1, APB2 below
  uint32_t apb1rstr_ = 0, apb2rstr_ = 0;
};

}  // namespace vstm32
