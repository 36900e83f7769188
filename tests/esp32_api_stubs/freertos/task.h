// SPDX-License-Identifier: Apache-2.0
// Declarations from the FreeRTOS API reference, for type-checking only.
#pragma once
#include "freertos/FreeRTOS.h"
#ifdef __cplusplus
extern "C" {
#endif
void vTaskDelay(const TickType_t xTicksToDelay);
#ifdef __cplusplus
}
#endif
