// SPDX-License-Identifier: Apache-2.0
#include "fota_esp32/esp_clock.h"

#include "esp_timer.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"

namespace fota::esp32 {

uint64_t EspClock::now_us() {
  return static_cast<uint64_t>(esp_timer_get_time());
}

void EspClock::delay_ms(uint32_t ms) {
  if (ms == 0) return;
  // +1: the tick in progress is partly over when the delay starts.
  vTaskDelay(static_cast<TickType_t>((ms + portTICK_PERIOD_MS - 1) / portTICK_PERIOD_MS + 1));
}

}  // namespace fota::esp32
