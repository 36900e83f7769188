// SPDX-License-Identifier: Apache-2.0
// Declarations from the Arduino-ESP32 3.x WiFi library reference, for type-checking the examples
// only.
#pragma once
#include <stdint.h>

typedef enum {
  WL_IDLE_STATUS = 0,
  WL_NO_SSID_AVAIL = 1,
  WL_CONNECTED = 3,
  WL_CONNECT_FAILED = 4,
  WL_CONNECTION_LOST = 5,
  WL_DISCONNECTED = 6
} wl_status_t;
typedef enum { WIFI_OFF = 0, WIFI_STA = 1 } wifi_mode_t;

class WiFiClass {
 public:
  bool mode(wifi_mode_t mode);
  wl_status_t begin(const char* ssid, const char* passphrase = nullptr);
  bool reconnect();
  wl_status_t status();
};
extern WiFiClass WiFi;
