// SPDX-License-Identifier: Apache-2.0
#include "gpio.h"

#include <cstdio>

namespace vstm32 {

namespace {
const char* const kPortNames[] = {"GPIOA", "GPIOB", "GPIOC", "GPIOD", "GPIOE",
                                  "GPIOF", "GPIOG", "GPIOH", "GPIOI"};
}

Gpio::Gpio(DeviceHost& host, unsigned port)
    : BusDevice(kPortNames[port], 0x4002'0000 + port * 0x400, 0x400,
                ClockGate{ClockGate::kAhb1, static_cast<uint8_t>(port)}),
      host_(host),
      port_(port) {
  reset();
}

void Gpio::reset() {
  const uint32_t before = idr();
  moder_ = otyper_ = ospeedr_ = pupdr_ = lckr_ = afrl_ = afrh_ = 0;
  if (port_ == 0) {  // PA13-15: debug pins
    moder_ = 0xA800'0000;
    pupdr_ = 0x6400'0000;
    ospeedr_ = 0x0C00'0000;
  } else if (port_ == 1) {  // PB3-4: debug pins
    moder_ = 0x0000'0280;
    pupdr_ = 0x0000'0100;
    ospeedr_ = 0x0000'00C0;
  }
  set_odr(0);  // the LEDs go off with the reset
  notify(before);
}

uint32_t Gpio::idr() const {
  uint32_t v = 0;
  for (unsigned pin = 0; pin < 16; ++pin) {
    const uint32_t bit = 1u << pin;
    const unsigned mode = (moder_ >> (2 * pin)) & 3u;
    bool level;
    if (mode == 1) {
      level = (odr_ & bit) != 0;  // output: the pin reads back what it drives
      if ((otyper_ & bit) && (odr_ & bit) && (driven_ & bit)) level = (levels_ & bit) != 0;
    } else if (driven_ & bit) {
      level = (levels_ & bit) != 0;
    } else {
      level = ((pupdr_ >> (2 * pin)) & 3u) == 1;  // floating reads 0, pull-up 1
    }
    if (level) v |= bit;
  }
  return v;
}

void Gpio::notify(uint32_t before) {
  const uint32_t after = idr();
  if (!listener_ || before == after) return;
  for (unsigned pin = 0; pin < 16; ++pin) {
    if (((before ^ after) >> pin) & 1u) listener_(port_, pin, (after >> pin) & 1u);
  }
}

void Gpio::set_input(unsigned pin, bool level) {
  const uint32_t before = idr();
  driven_ |= 1u << pin;
  levels_ = level ? levels_ | (1u << pin) : levels_ & ~(1u << pin);
  notify(before);
}

void Gpio::set_odr(uint32_t odr) {
  const uint32_t old = odr_;
  odr_ = odr & 0xFFFFu;
  if (port_ == 3 && ((old ^ odr_) & 0xF000u)) {
    const uint32_t leds = odr_ >> 12;
    char text[64];
    std::snprintf(text, sizeof text, "leds green=%u orange=%u red=%u blue=%u", leds & 1u,
                  (leds >> 1) & 1u, (leds >> 2) & 1u, (leds >> 3) & 1u);
    host_.event(MachineEvent::Kind::kLed, text);
  }
}

uint32_t Gpio::read(uint32_t offset) {
  switch (offset) {
    case 0x00: return moder_;
    case 0x04: return otyper_;
    case 0x08: return ospeedr_;
    case 0x0C: return pupdr_;
    case 0x10: return idr();
    case 0x14: return odr_;
    case 0x18: return 0;  // BSRR is write-only
    case 0x1C: return lckr_;
    case 0x20: return afrl_;
    case 0x24: return afrh_;
    default: return 0;
  }
}

void Gpio::write(const RegWrite& w) {
  const uint32_t before = idr();
  switch (w.offset) {
    case 0x00: moder_ = w.merge(moder_); break;
    case 0x04: otyper_ = w.merge(otyper_); break;
    case 0x08: ospeedr_ = w.merge(ospeedr_); break;
    case 0x0C: pupdr_ = w.merge(pupdr_); break;
    case 0x14: set_odr(w.merge(odr_)); break;
    case 0x18: {
      const uint32_t v = w.merge(0);
      set_odr((odr_ | (v & 0xFFFFu)) & ~(v >> 16));
      break;
    }
    case 0x1C: lckr_ = w.merge(lckr_); break;
    case 0x20: afrl_ = w.merge(afrl_); break;
    case 0x24: afrh_ = w.merge(afrh_); break;
    default: break;
  }
  notify(before);
}

// ---- EXTI ----

Exti::Exti(DeviceHost& host) : BusDevice("EXTI", 0x4001'3C00, 0x400), host_(host) {}

void Exti::reset() {
  imr_ = emr_ = rtsr_ = ftsr_ = pr_ = 0;
  for (IrqLine& l : lines_) l.set(host_, false);
}

void Exti::pin_changed(unsigned line, bool level, bool port_selected) {
  if (!port_selected || line > 15) return;
  const uint32_t bit = 1u << line;
  if ((level && (rtsr_ & bit)) || (!level && (ftsr_ & bit))) {
    pr_ |= bit;
    update_irqs();
  }
}

void Exti::update_irqs() {
  const uint32_t active = pr_ & imr_;
  for (unsigned i = 0; i < 5; ++i) lines_[i].set(host_, (active >> i) & 1u);
  lines_[5].set(host_, (active & 0x03E0u) != 0);
  lines_[6].set(host_, (active & 0xFC00u) != 0);
}

uint32_t Exti::read(uint32_t offset) {
  switch (offset) {
    case 0x00: return imr_;
    case 0x04: return emr_;
    case 0x08: return rtsr_;
    case 0x0C: return ftsr_;
    case 0x10: return 0;  // SWIER reads back 0 once the pending bit is set
    case 0x14: return pr_;
    default: return 0;
  }
}

void Exti::write(const RegWrite& w) {
  constexpr uint32_t kLines = 0x007F'FFFFu;
  switch (w.offset) {
    case 0x00: imr_ = w.merge(imr_) & kLines; break;
    case 0x04: emr_ = w.merge(emr_) & kLines; break;
    case 0x08: rtsr_ = w.merge(rtsr_) & kLines; break;
    case 0x0C: ftsr_ = w.merge(ftsr_) & kLines; break;
    case 0x10: pr_ |= w.merge(0) & imr_ & kLines; break;  // SWIER: software trigger
    case 0x14: pr_ &= ~(w.merge(0) & kLines); break;      // PR: rc_w1
    default: break;
  }
  update_irqs();
}

// ---- SYSCFG ----

Syscfg::Syscfg(DeviceHost& host)
    : BusDevice("SYSCFG", 0x4001'3800, 0x400, ClockGate{ClockGate::kApb2, 14}), host_(host) {}

void Syscfg::reset() {
  memrmp_ = pmc_ = cmpcr_ = 0;
  exticr_.fill(0);
}

uint32_t Syscfg::read(uint32_t offset) {
  switch (offset) {
    case 0x00: return memrmp_;
    case 0x04: return pmc_;
    case 0x08:
    case 0x0C:
    case 0x10:
    case 0x14: return exticr_[(offset - 0x08) / 4];
    case 0x20: return cmpcr_ | ((cmpcr_ & 1u) << 8);  // READY follows CMP_PD
    default: return 0;
  }
}

void Syscfg::write(const RegWrite& w) {
  if (!host_.clock_enabled(gate())) return;  // SYSCFG needs its APB2 clock to take writes
  switch (w.offset) {
    case 0x00: memrmp_ = w.merge(memrmp_) & 7u; break;
    case 0x04: pmc_ = w.merge(pmc_) & (1u << 23); break;
    case 0x08:
    case 0x0C:
    case 0x10:
    case 0x14: {
      uint32_t& r = exticr_[(w.offset - 0x08) / 4];
      r = w.merge(r) & 0xFFFFu;
      break;
    }
    case 0x20: cmpcr_ = w.merge(cmpcr_) & 1u; break;
    default: break;
  }
}

}  // namespace vstm32
