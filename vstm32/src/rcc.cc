// SPDX-License-Identifier: Apache-2.0
#include "rcc.h"

#include <algorithm>

#include "machine_impl.h"

namespace vstm32 {

namespace {
constexpr uint64_t kHseHz = 8'000'000;  // the Discovery board's crystal
constexpr uint64_t kHsiHz = 16'000'000;
}  // namespace

void Rcc::reset() {
  const uint32_t flags = csr & 0xFF00'0000u;
  cr_ = 0x83;
  pllcfgr_ = 0x2400'3010;
  cfgr_ = cir_ = 0;
  ahb1enr = 0x0010'0000;
  ahb2enr_ = ahb3enr_ = apb1enr_ = apb2enr = 0;
  ahb1lpenr_ = 0x7E67'91FF;
  ahb2lpenr_ = 0xF1;
  ahb3lpenr_ = 1;
  apb1lpenr_ = 0x36FE'C9FF;
  apb2lpenr_ = 0x0007'5F33;
  bdcr_ = sscgr_ = 0;
  plli2scfgr_ = 0x2000'3000;
  rstr_.fill(0);
  apb1rstr_ = apb2rstr_ = 0;
  csr = flags;
}

uint32_t Rcc::sysclk_hz() const {
  const uint32_t sws = cfgr_ & 3u;
  if (sws == 1 && (cr_ & (1u << 16))) return kHseHz;
  if (sws == 2 && (cr_ & (1u << 24))) {
    const uint64_t src = (pllcfgr_ & (1u << 22)) ? kHseHz : kHsiHz;
    const uint64_t m = std::max<uint32_t>(pllcfgr_ & 0x3Fu, 2);
    const uint64_t n = std::max<uint32_t>((pllcfgr_ >> 6) & 0x1FFu, 2);
    const uint64_t p = 2 * (((pllcfgr_ >> 16) & 3u) + 1);
    return static_cast<uint32_t>(src * n / m / p);
  }
  return kHsiHz;
}

uint32_t Rcc::hclk_hz() const {
  const uint32_t hpre = (cfgr_ >> 4) & 0xFu;
  static constexpr unsigned kShift[] = {1, 2, 3, 4, 6, 7, 8, 9};
  return hpre < 8 ? sysclk_hz() : sysclk_hz() >> kShift[hpre - 8];
}

uint32_t Rcc::pclk1_hz() const {
  const uint32_t ppre1 = (cfgr_ >> 10) & 7u;
  return ppre1 < 4 ? hclk_hz() : hclk_hz() >> (ppre1 - 3);
}

uint32_t Rcc::pclk2_hz() const {
  const uint32_t ppre2 = (cfgr_ >> 13) & 7u;
  return ppre2 < 4 ? hclk_hz() : hclk_hz() >> (ppre2 - 3);
}

bool Rcc::enabled(ClockGate gate) const {
  const uint32_t bit = 1u << gate.bit;
  switch (gate.bus) {
    case ClockGate::kAhb1: return (ahb1enr & bit) != 0;
    case ClockGate::kAhb2: return (ahb2enr_ & bit) != 0;
    case ClockGate::kAhb3: return (ahb3enr_ & bit) != 0;
    case ClockGate::kApb1: return (apb1enr_ & bit) != 0;
    case ClockGate::kApb2: return (apb2enr & bit) != 0;
    case ClockGate::kAlways: return true;
  }
  return true;
}

uint32_t Rcc::read(uint32_t offset) {
  switch (offset) {
    case 0x00: {
      uint32_t v = cr_ & ~((1u << 1) | (1u << 17) | (1u << 25) | (1u << 27));
      if (v & 1u) v |= 1u << 1;           // HSIRDY
      if (v & (1u << 16)) v |= 1u << 17;  // HSERDY
      if (v & (1u << 24)) v |= 1u << 25;  // PLLRDY
      if (v & (1u << 26)) v |= 1u << 27;  // PLLI2SRDY
      return v;
    }
    case 0x04: return pllcfgr_;
    case 0x08: {
      // SWS follows SW when the source is ready.
      const uint32_t sw = cfgr_ & 3u;
      const bool ready =
          sw == 0 || (sw == 1 && (cr_ & (1u << 16))) || (sw == 2 && (cr_ & (1u << 24)));
      return (cfgr_ & ~0xCu) | ((ready ? sw : 0u) << 2);
    }
    case 0x0C: return cir_;
    case 0x10: return rstr_[0];
    case 0x14: return rstr_[1];
    case 0x18: return rstr_[2];
    case 0x20: return apb1rstr_;
    case 0x24: return apb2rstr_;
    case 0x30: return ahb1enr;
    case 0x34: return ahb2enr_;
    case 0x38: return ahb3enr_;
    case 0x40: return apb1enr_;
    case 0x44: return apb2enr;
    case 0x50: return ahb1lpenr_;
    case 0x54: return ahb2lpenr_;
    case 0x58: return ahb3lpenr_;
    case 0x60: return apb1lpenr_;
    case 0x64: return apb2lpenr_;
    case 0x70: return bdcr_ | ((bdcr_ & 1u) << 1);  // LSERDY follows LSEON
    case 0x74: return csr | ((csr & kCsrLsiOn) ? kCsrLsiRdy : 0u);
    case 0x80: return sscgr_;
    case 0x84: return plli2scfgr_;
    default: return 0;
  }
}

void Rcc::write(const RegWrite& w) {
  auto resets = [this](uint32_t& reg, uint32_t v, ClockGate::Bus bus) {
    const uint32_t rising = v & ~reg;
    reg = v;
    for (unsigned bit = 0; bit < 32; ++bit) {
      if (rising & (1u << bit)) hooks_.reset_device(ClockGate{bus, static_cast<uint8_t>(bit)});
    }
  };
  switch (w.offset) {
    case 0x00:
    case 0x04:
    case 0x08: {
      hooks_.clock_change(true);
      if (w.offset == 0x00) cr_ = w.merge(cr_);
      if (w.offset == 0x04) pllcfgr_ = w.merge(pllcfgr_);
      if (w.offset == 0x08) cfgr_ = w.merge(cfgr_) & ~0xCu;
      hooks_.clock_change(false);
      break;
    }
    case 0x0C: cir_ = w.merge(cir_); break;
    case 0x10: resets(rstr_[0], w.merge(rstr_[0]), ClockGate::kAhb1); break;
    case 0x14: resets(rstr_[1], w.merge(rstr_[1]), ClockGate::kAhb2); break;
    case 0x18: resets(rstr_[2], w.merge(rstr_[2]), ClockGate::kAhb3); break;
    case 0x20: resets(apb1rstr_, w.merge(apb1rstr_), ClockGate::kApb1); break;
    case 0x24: resets(apb2rstr_, w.merge(apb2rstr_), ClockGate::kApb2); break;
    case 0x30: ahb1enr = w.merge(ahb1enr); break;
    case 0x34: ahb2enr_ = w.merge(ahb2enr_); break;
    case 0x38: ahb3enr_ = w.merge(ahb3enr_); break;
    case 0x40: apb1enr_ = w.merge(apb1enr_); break;
    case 0x44: apb2enr = w.merge(apb2enr); break;
    case 0x50: ahb1lpenr_ = w.merge(ahb1lpenr_); break;
    case 0x54: ahb2lpenr_ = w.merge(ahb2lpenr_); break;
    case 0x58: ahb3lpenr_ = w.merge(ahb3lpenr_); break;
    case 0x60: apb1lpenr_ = w.merge(apb1lpenr_); break;
    case 0x64: apb2lpenr_ = w.merge(apb2lpenr_); break;
    case 0x70: bdcr_ = w.merge(bdcr_); break;
    case 0x74: {
      const uint32_t v = w.merge(csr);
      if (v & kCsrRmvf) csr &= ~0xFE00'0000u;  // RMVF clears every reset flag
      csr = (csr & 0xFE00'0000u) | (v & kCsrLsiOn);
      break;
    }
    case 0x80: sscgr_ = w.merge(sscgr_); break;
    case 0x84: plli2scfgr_ = w.merge(plli2scfgr_); break;
    default: break;
  }
}

}  // namespace vstm32
