// SPDX-License-Identifier: Apache-2.0
// Declarations from the ESP-IDF v5 NVS API reference, for type-checking only.
#pragma once
#include "esp_err.h"
#include "nvs.h"
#ifdef __cplusplus
extern "C" {
#endif
esp_err_t nvs_flash_init(void);
esp_err_t nvs_flash_erase(void);
#ifdef __cplusplus
}
#endif
