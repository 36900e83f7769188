// SPDX-License-Identifier: Apache-2.0
// Declarations from the ESP-IDF v5 random number generation API reference, for type-checking only.
#pragma once
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif
uint32_t esp_random(void);
#ifdef __cplusplus
}
#endif
