// SPDX-License-Identifier: Apache-2.0
#include "rng.h"

namespace vstm32 {

void Rng::reset() {
  cr_ = 0;
  ready_at_ps_ = kNever;
  state_ = seed_;
  irq_.set(host_, false);
}

bool Rng::ready() const {
  return (cr_ & 4u) && host_.now_ps() >= ready_at_ps_;
}

void Rng::update_irq() {
  irq_.set(host_, (cr_ & 8u) && ready());
}

uint64_t Rng::next_event_ps() const {
  return (cr_ & 8u) && !irq_.level() ? ready_at_ps_ : kNever;
}

void Rng::advance(uint64_t) {
  update_irq();
}

uint32_t Rng::read(uint32_t offset) {
  if (!host_.clock_enabled(gate())) return 0;
  switch (offset) {
    case 0x00: return cr_;
    case 0x04: return ready() ? 1u : 0u;
    case 0x08: {
      if (!ready()) return 0;
      state_ ^= state_ << 13;  // xorshift64
      state_ ^= state_ >> 7;
      state_ ^= state_ << 17;
      ready_at_ps_ = host_.now_ps() + kReadyPs;
      update_irq();
      return static_cast<uint32_t>(state_ >> 32);
    }
    default: return 0;
  }
}

void Rng::write(const RegWrite& w) {
  if (!host_.clock_enabled(gate())) return;
  if (w.offset == 0x00) {
    const bool was_on = (cr_ & 4u) != 0;
    cr_ = w.merge(cr_) & 0xCu;
    if (!was_on && (cr_ & 4u)) ready_at_ps_ = host_.now_ps() + kReadyPs;
    if (!(cr_ & 4u)) ready_at_ps_ = kNever;
    host_.reschedule(next_event_ps());
  }
  update_irq();
}

}  // namespace vstm32
