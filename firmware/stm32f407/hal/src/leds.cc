// SPDX-License-Identifier: Apache-2.0
#include "stm32f407/leds.h"

#include "stm32f407/regs.h"

namespace fota::stm32 {

namespace {
constexpr uint32_t kGpiod = gpio::kGpiod;
constexpr uint32_t bit(Led led) {
  return 1u << static_cast<unsigned>(led);
}
}  // namespace

void leds_init() {
  reg(rcc::kAhb1enr) = reg(rcc::kAhb1enr) | rcc::kAhb1Gpiod;
  dsb();
  reg(kGpiod + gpio::kBsrr) = 0xFu << (12 + 16);  // all off before they become outputs
  reg(kGpiod + gpio::kModer) = (reg(kGpiod + gpio::kModer) & ~0xFF00'0000u) | 0x5500'0000u;
}

void led_set(Led led, bool on) {
  reg(kGpiod + gpio::kBsrr) = on ? bit(led) : bit(led) << 16;
}

void led_toggle(Led led) {
  led_set(led, (reg(kGpiod + gpio::kOdr) & bit(led)) == 0);
}

void leds_all(bool on) {
  reg(kGpiod + gpio::kBsrr) = on ? 0xFu << 12 : 0xFu << 28;
}

void leds_release() {
  leds_all(false);
  reg(rcc::kAhb1rstr) = reg(rcc::kAhb1rstr) | rcc::kAhb1Gpiod;
  reg(rcc::kAhb1rstr) = reg(rcc::kAhb1rstr) & ~rcc::kAhb1Gpiod;
  reg(rcc::kAhb1enr) = reg(rcc::kAhb1enr) & ~rcc::kAhb1Gpiod;
}

}  // namespace fota::stm32
