// SPDX-License-Identifier: Apache-2.0
// The Cortex-M4 system control space (0xE000'E000): SysTick, NVIC (ISER/ICER/ISPR/ICPR/IABR/
// IPR/STIR) and SCB (CPUID, ICSR, VTOR, AIRCR with PRIGROUP and SYSRESETREQ, SCR, CCR, SHPR,
// SHCSR, CFSR/HFSR/BFAR, CPACR), and DBGMCU. The exception logic they feed is nvic.cc.
#pragma once

#include <array>

#include "bus_device.h"

namespace vstm32 {

class Scs final : public BusDevice {
 public:
  explicit Scs(Machine::Impl& m) : BusDevice("SCS", 0xE000'E000, 0x1000), m_(m) {}
  uint32_t read(uint32_t offset) override;
  void write(const RegWrite& w) override;
  void reset() override {}  // its state lives in Machine::Impl (scb, systick, nvic)

 private:
  Machine::Impl& m_;
};

// The DWT (0xE000'1000, ARMv7-M ARM C1.8) as far as timing code uses it: CTRL (CYCCNTENA;
// NUMCOMP 4), CYCCNT counting the core's cycles (Machine::cycles(): the cycle model's, or one a
// instruction with it off) while DEMCR.TRCENA (in the SCS) and CYCCNTENA are set, PCSR and the
// lock access register. Comparators store only; the profiling counters (CPICNT...FOLDCNT) read 0.
class Dwt final : public BusDevice {
 public:
  explicit Dwt(Machine::Impl& m) : BusDevice("DWT", 0xE000'1000, 0x1000), m_(m) {}
  uint32_t read(uint32_t offset) override;
  void write(const RegWrite& w) override;
  void reset() override {}  // Machine::Impl::dwt: the debug domain keeps it over system resets

 private:
  Machine::Impl& m_;
  std::array<uint32_t, 16> comparators_{};  // COMP, MASK, FUNCTION of 4 comparators (0x20-0x5C)
  bool warned_ = false;
};

class DbgMcu final : public BusDevice {
 public:
  DbgMcu() : BusDevice("DBGMCU", 0xE004'2000, 0x400) {}
  uint32_t read(uint32_t offset) override;
  void write(const RegWrite& w) override;
  void reset() override { regs_.fill(0); }

 private:
  std::array<uint32_t, 4> regs_{};
};

// The FLASH interface registers (RM0090 section 3.9): ACR, KEYR, OPTKEYR, SR, CR, OPTCR. The
// cell operations they start are Machine::Impl's (flash_interface.cc).
class FlashInterface final : public BusDevice {
 public:
  explicit FlashInterface(Machine::Impl& m) : BusDevice("FLASH", 0x4002'3C00, 0x400), m_(m) {}
  uint32_t read(uint32_t offset) override;
  void write(const RegWrite& w) override;
  void reset() override {}  // Machine::Impl::fctl, reset with the machine
  [[nodiscard]] std::span<const uint8_t> irqs() const override { return {&kIrq, 1}; }

 private:
  static constexpr uint8_t kIrq = 4;  // FLASH global interrupt
  uint32_t read_register(uint32_t offset);
  void write_register(const RegWrite& w);
  Machine::Impl& m_;
};

}  // namespace vstm32
