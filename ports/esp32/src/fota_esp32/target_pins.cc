// SPDX-License-Identifier: Apache-2.0
#include "fota_esp32/target_pins.h"

#include "driver/gpio.h"

namespace fota::esp32 {
namespace {

gpio_num_t pin(int gpio) {
  return static_cast<gpio_num_t>(gpio);
}

// Sets the level first, then the direction: the pin never shows the wrong level.
bool drive(int gpio, bool level, gpio_mode_t mode) {
  return gpio_reset_pin(pin(gpio)) == ESP_OK &&
         gpio_set_level(pin(gpio), level ? 1U : 0U) == ESP_OK &&
         gpio_set_direction(pin(gpio), mode) == ESP_OK;
}

}  // namespace

bool GpioPins::begin() {
  if (config_.boot0_gpio >= 0 &&
      !drive(config_.boot0_gpio, !config_.boot0_active_high, GPIO_MODE_OUTPUT)) {
    return false;
  }
  return drive(config_.nrst_gpio, config_.nrst_active_low,
               config_.nrst_open_drain ? GPIO_MODE_OUTPUT_OD : GPIO_MODE_OUTPUT);
}

an3155::PortStatus GpioPins::set_boot0(bool high) {
  if (config_.boot0_gpio < 0) {
    return high ? an3155::PortStatus::kUnsupported : an3155::PortStatus::kOk;
  }
  const bool level = config_.boot0_active_high ? high : !high;
  return gpio_set_level(pin(config_.boot0_gpio), level ? 1U : 0U) == ESP_OK
             ? an3155::PortStatus::kOk
             : an3155::PortStatus::kIoError;
}

an3155::PortStatus GpioPins::set_reset(bool asserted) {
  const bool level = config_.nrst_active_low ? !asserted : asserted;
  return gpio_set_level(pin(config_.nrst_gpio), level ? 1U : 0U) == ESP_OK
             ? an3155::PortStatus::kOk
             : an3155::PortStatus::kIoError;
}

}  // namespace fota::esp32
