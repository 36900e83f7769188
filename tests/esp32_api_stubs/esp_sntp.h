// SPDX-License-Identifier: Apache-2.0
// Declarations from the ESP-IDF v5 SNTP API reference (esp_sntp.h), for type-checking only.
#pragma once
#include <stdbool.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif
typedef enum { ESP_SNTP_OPMODE_POLL, ESP_SNTP_OPMODE_LISTENONLY } esp_sntp_operatingmode_t;
typedef enum {
  SNTP_SYNC_STATUS_RESET,
  SNTP_SYNC_STATUS_COMPLETED,
  SNTP_SYNC_STATUS_IN_PROGRESS
} sntp_sync_status_t;
void esp_sntp_setoperatingmode(esp_sntp_operatingmode_t operating_mode);
void esp_sntp_setservername(uint8_t idx, const char* server);
void esp_sntp_init(void);
bool esp_sntp_enabled(void);
sntp_sync_status_t sntp_get_sync_status(void);
#ifdef __cplusplus
}
#endif
