// SPDX-License-Identifier: Apache-2.0
// The interface every memory-mapped peripheral model of vstm32::Machine implements, and what the
// machine offers such a model. A model is one class (its own .h/.cc pair) registered in the one
// device table (bus.cc, Machine::Impl::build_devices). The machine finds a model by address,
// forwards register accesses to it as whole words, asks it for the next simulated time at which
// something happens inside it (a timer update, a UART frame end) and calls advance() when that
// time has come. A model raises interrupts by driving NVIC input lines (IrqLine).
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "vstm32/machine.h"

namespace vstm32 {

inline constexpr uint64_t kNever = UINT64_MAX;
inline constexpr uint64_t kPsPerSecond = 1'000'000'000'000;

// A clock enable bit in RCC: the register (AHB1ENR, APB1ENR, APB2ENR ...) and the bit. The same
// bit in the matching xxxRSTR resets the peripheral.
struct ClockGate {
  enum Bus : uint8_t { kAhb1, kAhb2, kAhb3, kApb1, kApb2, kAlways };
  Bus bus = kAlways;
  uint8_t bit = 0;
};

// What a peripheral model may ask of the machine.
class DeviceHost {
 public:
  virtual ~DeviceHost() = default;
  [[nodiscard]] virtual uint64_t now_ps() const = 0;
  // The level of NVIC input `irq` (0..81, RM0090 table 61) as driven by one source. Sources are
  // ORed; a line that is high pends its interrupt (again after the handler returns while high).
  virtual void set_irq(unsigned irq, bool level) = 0;
  // The model's next_event_ps() moved earlier than before (a register write enabled something):
  // the machine shortens the run in progress so the event is not taken late.
  virtual void reschedule(uint64_t at_ps) = 0;
  virtual void event(MachineEvent::Kind kind, std::string text) = 0;
  // A bus error response for the access in progress (the core takes a BusFault -> HardFault).
  virtual void bus_error(uint32_t address, bool write) = 0;
  [[nodiscard]] virtual bool clock_enabled(ClockGate gate) const = 0;
  [[nodiscard]] virtual uint32_t hclk_hz() const = 0;
  [[nodiscard]] virtual uint32_t pclk1_hz() const = 0;
  [[nodiscard]] virtual uint32_t pclk2_hz() const = 0;
  // A DMA controller's access (dma.cc): memory or a peripheral register, as the bus matrix
  // gives the DMA (not CCM). False: nothing answers there (the stream's transfer error).
  virtual bool dma_transfer(uint32_t address, uint8_t* data, unsigned size, bool write) = 0;
  // A peripheral's DMA request may have risen: the controllers serve the streams it feeds.
  virtual void dma_requests_changed() = 0;
};

// One NVIC input driven by one model: remembers its level so the NVIC sees only changes.
class IrqLine {
 public:
  explicit IrqLine(unsigned irq) : irq_(irq) {}
  void set(DeviceHost& host, bool level) {
    if (level == level_) return;
    level_ = level;
    host.set_irq(irq_, level);
  }
  [[nodiscard]] unsigned irq() const { return irq_; }
  [[nodiscard]] bool level() const { return level_; }

 private:
  unsigned irq_;
  bool level_ = false;
};

// A register write: `value` already shifted to the bytes written, `mask` those bytes (a byte
// store to offset 5 has mask 0x0000'FF00 and offset 4).
struct RegWrite {
  uint32_t offset;  // word aligned, from the model's base
  uint32_t value;
  uint32_t mask;
  [[nodiscard]] uint32_t merge(uint32_t old) const { return (old & ~mask) | (value & mask); }
};

class BusDevice {
 public:
  BusDevice(const char* name, uint32_t base, uint32_t size, ClockGate gate = {})
      : name_(name), base_(base), size_(size), gate_(gate) {}
  virtual ~BusDevice() = default;
  BusDevice(const BusDevice&) = delete;
  BusDevice& operator=(const BusDevice&) = delete;

  [[nodiscard]] const char* name() const { return name_; }
  [[nodiscard]] uint32_t base() const { return base_; }
  [[nodiscard]] uint32_t size() const { return size_; }
  [[nodiscard]] ClockGate gate() const { return gate_; }

  // The word at `offset` (word aligned); a read may have side effects (a DR read clears RXNE).
  virtual uint32_t read(uint32_t offset) = 0;
  virtual void write(const RegWrite& w) = 0;
  // System reset (and the RCC reset bit of its gate). Backup-domain models keep their contents.
  virtual void reset() = 0;
  // When something next happens inside the model without a register access (kNever: nothing).
  [[nodiscard]] virtual uint64_t next_event_ps() const { return kNever; }
  // Simulated time reached `now_ps` (>= next_event_ps()): update flags, drive IRQ lines.
  virtual void advance(uint64_t now_ps) { (void)now_ps; }
  // The bus clocks are about to change / have changed (RCC CFGR, PLL): a model that counts in
  // clock ticks settles at the old rate first and continues at the new one.
  virtual void clocks_changing() {}
  virtual void clocks_changed() {}
  // NVIC lines the model can raise (so the NVIC knows which enabled IRQs have a source).
  [[nodiscard]] virtual std::span<const uint8_t> irqs() const { return {}; }
  // False for blocks that only store their registers (reported as unmodelled).
  [[nodiscard]] virtual bool modelled() const { return true; }

 private:
  const char* name_;
  uint32_t base_, size_;
  ClockGate gate_;
};

}  // namespace vstm32
