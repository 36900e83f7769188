// SPDX-License-Identifier: Apache-2.0
// Declarations from the FreeRTOS / ESP-IDF API reference, for type-checking only.
#pragma once
#include <stdint.h>
typedef uint32_t TickType_t;
typedef void* QueueHandle_t;
#ifndef configTICK_RATE_HZ
#define configTICK_RATE_HZ 100
#endif
#define portTICK_PERIOD_MS ((TickType_t)1000 / configTICK_RATE_HZ)
#define pdMS_TO_TICKS(ms) \
  ((TickType_t)(((TickType_t)(ms) * (TickType_t)configTICK_RATE_HZ) / (TickType_t)1000U))
#define portMAX_DELAY (TickType_t)0xffffffffUL
