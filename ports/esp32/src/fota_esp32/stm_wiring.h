// SPDX-License-Identifier: Apache-2.0
// The STM32 side as every sketch wires it (docs/esp32.md): the UART, BOOT0/NRST on GPIOs, the
// clock, the StmTarget over them (ROM bootloader or native path: Kconfig FOTA_TRANSPORT_NATIVE,
// or target.use()), one HTTP(S) source per slot image and the update progress in NVS.
#pragma once

#include "fota_esp32/esp_clock.h"
#include "fota_esp32/http_source.h"
#include "fota_esp32/nvs_progress_store.h"
#include "fota_esp32/stm_target.h"
#include "fota_esp32/target_pins.h"
#include "fota_esp32/uart_link.h"

namespace fota::esp32 {

struct StmWiring {
  UartLink uart;
  GpioPins pins;
  EspClock clock;
  StmTarget target{uart, pins, clock};
  HttpRangeSource image_a;
  HttpRangeSource image_b;
  NvsProgressStore progress;

  // Sets up the UART and the pins.
  [[nodiscard]] bool begin() { return uart.begin() && pins.begin(); }
};

}  // namespace fota::esp32
