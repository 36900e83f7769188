// SPDX-License-Identifier: Apache-2.0
// The core's clocks (an3155's and the update engine's) on an ESP32: esp_timer (microseconds since
// boot, 64-bit: never wraps) and a FreeRTOS delay that yields to the Wi-Fi and MQTT tasks.
#pragma once

#include "an3155/port.h"
#include "update/clock.h"

namespace fota::esp32 {

class EspClock final : public an3155::Clock, public update::Clock {
 public:
  uint64_t now_us() override;
  // At least `ms` (rounded up to whole RTOS ticks).
  void delay_ms(uint32_t ms) override;
  uint64_t now_ms() override { return now_us() / 1000; }
};

}  // namespace fota::esp32
