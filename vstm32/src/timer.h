// SPDX-License-Identifier: Apache-2.0
// TIM1-TIM8 (RM0090 sections 17-20) as far as counting goes: prescaler (preloaded, loaded at the
// update event), counter up or down, ARR with or without preload (ARPE), update event by
// overflow/underflow or EGR.UG (URS, UDIS), one-pulse mode, capture/compare registers as output
// compare: CCxIF when the counter matches CCRx, update and CC interrupts (DIER). The counter is
// computed from simulated time, not stepped: a timer costs nothing until its next interrupt.
// Not modelled: input capture, PWM pin levels, centre-aligned counting, slave/master modes,
// repetition counter and break (TIM1/8), DMA requests.
#pragma once

#include <array>
#include <vector>

#include "bus_device.h"

namespace vstm32 {

class Timer final : public BusDevice {
 public:
  // `channels` 0 (TIM6/7) or 4; `counter_bits` 16 or 32 (TIM2, TIM5); `update_irq` and `cc_irq`
  // (cc_irq == update_irq for the general-purpose timers, which have one line).
  Timer(DeviceHost& host, const char* name, uint32_t base, ClockGate gate, bool apb2,
        unsigned channels, unsigned counter_bits, unsigned update_irq, unsigned cc_irq);

  uint32_t read(uint32_t offset) override;
  void write(const RegWrite& w) override;
  void reset() override;
  [[nodiscard]] uint64_t next_event_ps() const override;
  void advance(uint64_t now_ps) override;
  [[nodiscard]] std::span<const uint8_t> irqs() const override { return irq_numbers_; }
  void clocks_changing() override { sync(); }
  void clocks_changed() override { restart_time_base(host_.now_ps()); }

 private:
  [[nodiscard]] uint64_t timer_clock_hz() const;
  [[nodiscard]] uint64_t tick_of(uint64_t ps) const;  // whole ticks since origin_ps_
  [[nodiscard]] uint64_t time_of_tick(uint64_t tick) const;
  [[nodiscard]] uint32_t counter() const;  // CNT as the firmware reads it
  void sync();                             // brings phase_ up to now, raising flags
  void restart_time_base(uint64_t at_ps);  // origin at `at_ps`, the current phase kept
  void update_event(uint64_t at_ps);
  void update_irq();
  void mark_compares(uint64_t from_phase, uint64_t to_phase);  // matches in (from, to]
  [[nodiscard]] bool running() const { return (cr1_ & 1u) != 0; }
  [[nodiscard]] bool down() const { return (cr1_ & (1u << 4)) != 0; }

  DeviceHost& host_;
  bool apb2_;
  unsigned channels_;
  uint32_t counter_mask_;
  std::vector<uint8_t> irq_numbers_;
  IrqLine update_line_;
  IrqLine cc_line_;
  bool shared_line_;
  uint32_t cr1_ = 0, cr2_ = 0, smcr_ = 0, dier_ = 0, sr_ = 0, ccmr1_ = 0, ccmr2_ = 0, ccer_ = 0;
  uint32_t psc_ = 0, psc_active_ = 0, arr_ = 0xFFFF, arr_active_ = 0xFFFF;
  std::array<uint32_t, 4> ccr_{};
  uint32_t rcr_ = 0, bdtr_ = 0, dcr_ = 0;
  // Counting: phase_ counts up from 0 to ARR in both directions (CNT = ARR - phase_ when down).
  uint32_t phase_ = 0;
  uint64_t origin_ps_ = 0;    // a tick boundary: phase_ was `origin_phase` then
  uint64_t synced_tick_ = 0;  // ticks since origin already accounted for
};

}  // namespace vstm32
