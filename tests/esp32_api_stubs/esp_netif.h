// SPDX-License-Identifier: Apache-2.0
// Declarations from the ESP-IDF v5 ESP-NETIF API reference, for type-checking only.
#pragma once
#include <stdint.h>

#include "esp_err.h"
#include "esp_event.h"
typedef struct esp_netif_obj esp_netif_t;
typedef enum { IP_EVENT_STA_GOT_IP = 0, IP_EVENT_STA_LOST_IP } ip_event_t;
#ifdef __cplusplus
extern "C" {
#endif
extern esp_event_base_t const IP_EVENT;
esp_err_t esp_netif_init(void);
esp_netif_t* esp_netif_create_default_wifi_sta(void);
#ifdef __cplusplus
}
#endif
