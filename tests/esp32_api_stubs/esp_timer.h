// SPDX-License-Identifier: Apache-2.0
// Declarations from the ESP-IDF v5 esp_timer API reference, for type-checking only.
#pragma once
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif
int64_t esp_timer_get_time(void);
#ifdef __cplusplus
}
#endif
