// SPDX-License-Identifier: Apache-2.0
// Declarations from the ESP-IDF v5 GPIO API reference, for type-checking only.
#pragma once
#include <stdint.h>

#include "esp_err.h"
typedef enum { GPIO_NUM_NC = -1, GPIO_NUM_0 = 0, GPIO_NUM_MAX = 40 } gpio_num_t;
typedef enum {
  GPIO_MODE_DISABLE = 0,
  GPIO_MODE_INPUT = 1,
  GPIO_MODE_OUTPUT = 2,
  GPIO_MODE_OUTPUT_OD = 6,
  GPIO_MODE_INPUT_OUTPUT_OD = 7,
  GPIO_MODE_INPUT_OUTPUT = 3,
} gpio_mode_t;
#ifdef __cplusplus
extern "C" {
#endif
esp_err_t gpio_reset_pin(gpio_num_t gpio_num);
esp_err_t gpio_set_direction(gpio_num_t gpio_num, gpio_mode_t mode);
esp_err_t gpio_set_level(gpio_num_t gpio_num, uint32_t level);
#ifdef __cplusplus
}
#endif
