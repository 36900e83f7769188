// SPDX-License-Identifier: Apache-2.0
// The four user LEDs of the STM32F4-Discovery on GPIOD (docs/stm32-facts.md).
#pragma once

#include <cstdint>

namespace fota::stm32 {

enum class Led : uint8_t { kGreen = 12, kOrange = 13, kRed = 14, kBlue = 15 };

void leds_init();  // GPIOD clock on, PD12..PD15 push-pull outputs, all off
void led_set(Led led, bool on);
void led_toggle(Led led);
void leds_all(bool on);
void leds_release();  // GPIOD back to its reset state (RCC reset pulse, clock off)

}  // namespace fota::stm32
