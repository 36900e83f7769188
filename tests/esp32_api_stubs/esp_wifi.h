// SPDX-License-Identifier: Apache-2.0
// Declarations from the ESP-IDF v5 Wi-Fi API reference (station mode), for type-checking only.
#pragma once
#include <stdint.h>

#include "esp_err.h"
#include "esp_event.h"
typedef enum { WIFI_MODE_NULL = 0, WIFI_MODE_STA, WIFI_MODE_AP, WIFI_MODE_APSTA } wifi_mode_t;
typedef enum { WIFI_IF_STA = 0, WIFI_IF_AP } wifi_interface_t;
typedef struct {
  uint8_t ssid[32];
  uint8_t password[64];
} wifi_sta_config_t;
typedef struct {
  uint8_t ssid[32];
  uint8_t password[64];
} wifi_ap_config_t;
typedef union {
  wifi_ap_config_t ap;
  wifi_sta_config_t sta;
} wifi_config_t;
typedef struct {
  int static_rx_buf_num;
  int dynamic_rx_buf_num;
} wifi_init_config_t;
#define WIFI_INIT_CONFIG_DEFAULT() \
  { 10, 32 }
typedef enum {
  WIFI_EVENT_WIFI_READY = 0,
  WIFI_EVENT_SCAN_DONE,
  WIFI_EVENT_STA_START,
  WIFI_EVENT_STA_STOP,
  WIFI_EVENT_STA_CONNECTED,
  WIFI_EVENT_STA_DISCONNECTED,
} wifi_event_t;
#ifdef __cplusplus
extern "C" {
#endif
extern esp_event_base_t const WIFI_EVENT;
esp_err_t esp_wifi_init(const wifi_init_config_t* config);
esp_err_t esp_wifi_set_mode(wifi_mode_t mode);
esp_err_t esp_wifi_set_config(wifi_interface_t interface, wifi_config_t* conf);
esp_err_t esp_wifi_start(void);
esp_err_t esp_wifi_connect(void);
#ifdef __cplusplus
}
#endif
