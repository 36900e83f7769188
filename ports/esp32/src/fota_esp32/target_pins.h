// SPDX-License-Identifier: Apache-2.0
// an3155::TargetPins over two ESP32 GPIOs: BOOT0 (push-pull) and NRST (open drain by default).
// Active levels come from config.h. The 3-wire native option leaves BOOT0 unwired: pass -1.
#pragma once

#include "an3155/port.h"
#include "fota_esp32/config.h"

namespace fota::esp32 {

struct PinConfig {
  int boot0_gpio = kBoot0Gpio;  // -1: not wired (set_boot0(true) then fails)
  int nrst_gpio = kNrstGpio;
  bool boot0_active_high = kBoot0ActiveHigh;
  bool nrst_active_low = kNrstActiveLow;
  bool nrst_open_drain = kNrstOpenDrain;
};

class GpioPins final : public an3155::TargetPins {
 public:
  explicit GpioPins(const PinConfig& config = {}) : config_(config) {}

  // Drives both pins to their inactive level (BOOT0 low = boot from flash, NRST released) and
  // makes them outputs; false when the IDF refuses a pin.
  [[nodiscard]] bool begin();

  [[nodiscard]] an3155::PortStatus set_boot0(bool high) override;
  [[nodiscard]] an3155::PortStatus set_reset(bool asserted) override;

 private:
  PinConfig config_;
};

}  // namespace fota::esp32
