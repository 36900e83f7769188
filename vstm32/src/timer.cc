// SPDX-License-Identifier: Apache-2.0
#include "timer.h"

#include <algorithm>

namespace vstm32 {

namespace {
__extension__ typedef unsigned __int128 Wide;
constexpr uint32_t kCen = 1u << 0, kUdis = 1u << 1, kUrs = 1u << 2, kOpm = 1u << 3, kArpe = 1u << 7;
constexpr uint32_t kUif = 1u << 0, kUie = 1u << 0;
}  // namespace

Timer::Timer(DeviceHost& host, const char* name, uint32_t base, ClockGate gate, bool apb2,
             unsigned channels, unsigned counter_bits, unsigned update_irq, unsigned cc_irq)
    : BusDevice(name, base, 0x400, gate),
      host_(host),
      apb2_(apb2),
      channels_(channels),
      counter_mask_(counter_bits == 32 ? 0xFFFF'FFFFu : 0xFFFFu),
      update_line_(update_irq),
      cc_line_(cc_irq),
      shared_line_(update_irq == cc_irq) {
  irq_numbers_.push_back(static_cast<uint8_t>(update_irq));
  if (!shared_line_ && channels != 0) irq_numbers_.push_back(static_cast<uint8_t>(cc_irq));
  reset();
}

void Timer::reset() {
  cr1_ = cr2_ = smcr_ = dier_ = sr_ = ccmr1_ = ccmr2_ = ccer_ = 0;
  psc_ = psc_active_ = 0;
  arr_ = arr_active_ = counter_mask_;
  ccr_.fill(0);
  rcr_ = bdtr_ = dcr_ = 0;
  phase_ = 0;
  origin_ps_ = 0;
  synced_tick_ = 0;
  update_line_.set(host_, false);
  cc_line_.set(host_, false);
}

uint64_t Timer::timer_clock_hz() const {
  // RM0090 6.2: timers run at the APB clock when its prescaler is 1, else at twice it.
  const uint64_t pclk = apb2_ ? host_.pclk2_hz() : host_.pclk1_hz();
  return pclk == host_.hclk_hz() ? pclk : 2 * pclk;
}

uint64_t Timer::tick_of(uint64_t ps) const {
  if (ps <= origin_ps_) return 0;
  return static_cast<uint64_t>(Wide{ps - origin_ps_} * timer_clock_hz() /
                               (Wide{psc_active_ + 1ull} * kPsPerSecond));
}

uint64_t Timer::time_of_tick(uint64_t tick) const {
  const Wide num = Wide{tick} * (psc_active_ + 1ull) * kPsPerSecond;
  const uint64_t hz = std::max<uint64_t>(timer_clock_hz(), 1);
  return origin_ps_ + static_cast<uint64_t>((num + hz - 1) / hz);
}

uint32_t Timer::counter() const {
  return down() ? arr_active_ - std::min(phase_, arr_active_) : phase_;
}

void Timer::restart_time_base(uint64_t at_ps) {
  origin_ps_ = at_ps;
  synced_tick_ = 0;
}

void Timer::mark_compares(uint64_t from_phase, uint64_t to_phase) {
  for (unsigned ch = 0; ch < channels_; ++ch) {
    if (ccr_[ch] > arr_active_) continue;
    const uint64_t target = down() ? arr_active_ - ccr_[ch] : ccr_[ch];
    if (target > from_phase && target <= to_phase) sr_ |= 2u << ch;
  }
}

void Timer::update_event(uint64_t at_ps) {
  (void)at_ps;
  if (cr1_ & kUdis) return;
  psc_active_ = psc_;
  arr_active_ = arr_;
  sr_ |= kUif;
  mark_compares(0, 0);             // CCR at the first count of the new period (phase 0)
  if (cr1_ & kOpm) cr1_ &= ~kCen;  // one-pulse: the counter stops at the update event
}

void Timer::sync() {
  const uint64_t now = host_.now_ps();
  for (int round = 0; running() && round < 8; ++round) {
    const uint64_t k = tick_of(now);
    if (k <= synced_tick_) return;
    const uint64_t delta = k - synced_tick_;
    const uint64_t to_wrap = uint64_t{arr_active_} - std::min(phase_, arr_active_) + 1;
    if (delta < to_wrap) {
      mark_compares(phase_, phase_ + delta);
      phase_ += static_cast<uint32_t>(delta);
      synced_tick_ = k;
      return;
    }
    mark_compares(phase_, arr_active_);
    const uint64_t wrap_tick = synced_tick_ + to_wrap;
    const uint64_t at = time_of_tick(wrap_tick);
    const uint32_t old_psc = psc_active_;
    phase_ = 0;
    synced_tick_ = wrap_tick;
    update_event(at);
    if (!running()) return;
    if (psc_active_ != old_psc) {
      restart_time_base(at);  // the new prescaler counts from the update event on
      continue;
    }
    // Whole periods at the same rate: their flags are all set already; skip them at once.
    const uint64_t period = uint64_t{arr_active_} + 1;
    const uint64_t rest = k - synced_tick_;
    if (rest >= period) {
      mark_compares(0, arr_active_);
      synced_tick_ += (rest / period) * period;
    }
  }
}

uint64_t Timer::next_event_ps() const {
  if (!running()) return kNever;
  uint64_t ticks = UINT64_MAX;
  const uint64_t phase = std::min(phase_, arr_active_);
  if ((dier_ & kUie) && !(sr_ & kUif)) ticks = uint64_t{arr_active_} - phase + 1;
  for (unsigned ch = 0; ch < channels_; ++ch) {
    if (!(dier_ & (2u << ch)) || (sr_ & (2u << ch)) || ccr_[ch] > arr_active_) continue;
    const uint64_t target = down() ? arr_active_ - ccr_[ch] : ccr_[ch];
    const uint64_t d = target > phase ? target - phase : uint64_t{arr_active_} + 1 - phase + target;
    ticks = std::min(ticks, d);
  }
  if (ticks == UINT64_MAX) return kNever;
  return time_of_tick(synced_tick_ + ticks);
}

void Timer::advance(uint64_t) {
  sync();
  update_irq();
}

void Timer::update_irq() {
  const bool update = (dier_ & kUie) && (sr_ & kUif);
  const bool cc = (dier_ & sr_ & 0x1Eu) != 0;
  if (shared_line_) {
    update_line_.set(host_, update || cc);
  } else {
    update_line_.set(host_, update);
    cc_line_.set(host_, cc);
  }
}

uint32_t Timer::read(uint32_t offset) {
  switch (offset) {
    case 0x00: return cr1_;
    case 0x04: return cr2_;
    case 0x08: return smcr_;
    case 0x0C: return dier_;
    case 0x10: sync(); return sr_;
    case 0x14: return 0;  // EGR is write-only
    case 0x18: return ccmr1_;
    case 0x1C: return ccmr2_;
    case 0x20: return ccer_;
    case 0x24: sync(); return counter();
    case 0x28: return psc_;
    case 0x2C: return arr_;
    case 0x30: return rcr_;
    case 0x34:
    case 0x38:
    case 0x3C:
    case 0x40: return ccr_[(offset - 0x34) / 4];
    case 0x44: return bdtr_;
    case 0x48: return dcr_;
    default: return 0;
  }
}

void Timer::write(const RegWrite& w) {
  const uint64_t now = host_.now_ps();
  sync();
  switch (w.offset) {
    case 0x00: {
      const bool was_running = running();
      const bool was_down = down();
      cr1_ = w.merge(cr1_) & 0x3FFu;
      if (!was_running && running()) restart_time_base(now);
      if (was_down != down()) phase_ = arr_active_ - std::min(phase_, arr_active_);
      if (!(cr1_ & kArpe)) arr_active_ = arr_;
      break;
    }
    case 0x04: cr2_ = w.merge(cr2_) & 0xFFu; break;
    case 0x08: smcr_ = w.merge(smcr_) & 0xFFF7u; break;
    case 0x0C: dier_ = w.merge(dier_) & 0x5F5Fu; break;
    case 0x10: sr_ &= w.merge(0xFFFF'FFFFu); break;  // rc_w0
    case 0x14: {
      const uint32_t v = w.merge(0);
      if (v & 1u) {  // UG: reinitialise the counter and load the preloads
        phase_ = 0;
        psc_active_ = psc_;
        arr_active_ = arr_;
        if (!(cr1_ & kUrs)) sr_ |= kUif;
        restart_time_base(now);
      }
      sr_ |= v & 0x1Eu & ((1u << (channels_ + 1)) - 1);  // CCxG
      break;
    }
    case 0x18: ccmr1_ = w.merge(ccmr1_); break;
    case 0x1C: ccmr2_ = w.merge(ccmr2_); break;
    case 0x20: ccer_ = w.merge(ccer_); break;
    case 0x24: {
      const uint32_t v = w.merge(counter()) & counter_mask_;
      phase_ = down() ? arr_active_ - std::min(v, arr_active_) : v;
      restart_time_base(now);
      break;
    }
    case 0x28: psc_ = w.merge(psc_) & 0xFFFFu; break;  // takes effect at the next update event
    case 0x2C:
      arr_ = w.merge(arr_) & counter_mask_;
      if (!(cr1_ & kArpe)) arr_active_ = arr_;
      break;
    case 0x30: rcr_ = w.merge(rcr_) & 0xFFu; break;
    case 0x34:
    case 0x38:
    case 0x3C:
    case 0x40: {
      const unsigned ch = (w.offset - 0x34) / 4;
      if (ch < channels_) ccr_[ch] = w.merge(ccr_[ch]) & counter_mask_;
      break;
    }
    case 0x44: bdtr_ = w.merge(bdtr_); break;
    case 0x48: dcr_ = w.merge(dcr_); break;
    default: break;
  }
  update_irq();
  host_.reschedule(next_event_ps());
}

}  // namespace vstm32
