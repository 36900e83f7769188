// SPDX-License-Identifier: Apache-2.0
// The update agent on an ESP32 as an ESP-IDF application: NVS, then the agent (AgentApp: the STM32
// on the UART and pins, MQTT, SNTP, the manifest pointer, the decision loop `fota agent` runs on
// Linux), then Wi-Fi in station mode through ESP-IDF's event loop, reconnecting with a backoff.
// What FotaAgent.ino does with Arduino's WiFi, here without Arduino.
#include <atomic>
#include <cstdio>
#include <cstring>
#include <string_view>

#include "StmFota.h"
#include "esp_event.h"
#include "esp_netif.h"
#include "esp_timer.h"
#include "esp_wifi.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "nvs_flash.h"

namespace {

// Fill in: network, broker, where images may come from, the release signing public key(s).
constexpr char kSsid[] = "your-ssid";
constexpr char kPassword[] = "your-password";
constexpr char kBroker[] = "mqtts://broker.example.com:8883";
constexpr std::string_view kUrlPrefixes[] = {"https://example.com/releases"};
constexpr fota::esp32::Ed25519Verifier::PublicKey kTrustedKeys[] = {{}};

fota::esp32::AgentApp app({kBroker, nullptr, nullptr, kUrlPrefixes, kTrustedKeys});
std::atomic<bool> online{false};
std::atomic<bool> disconnected{false};

uint64_t now_ms() {
  return static_cast<uint64_t>(esp_timer_get_time()) / 1000;
}

// Runs on the event loop task: only flags; the main task reconnects (with its backoff).
void on_network_event(void*, esp_event_base_t base, int32_t id, void*) {
  if (base == WIFI_EVENT && id == WIFI_EVENT_STA_START) {
    (void)esp_wifi_connect();
  } else if (base == WIFI_EVENT && id == WIFI_EVENT_STA_DISCONNECTED) {
    online = false;
    disconnected = true;
  } else if (base == IP_EVENT && id == IP_EVENT_STA_GOT_IP) {
    online = true;
  }
}

bool init_nvs() {
  esp_err_t err = nvs_flash_init();
  if (err == ESP_ERR_NVS_NO_FREE_PAGES || err == ESP_ERR_NVS_NEW_VERSION_FOUND) {
    // The NVS partition was written by another layout: start it afresh (the agent's resume
    // record and reverted releases are lost, not the STM32's firmware).
    if (nvs_flash_erase() != ESP_OK) return false;
    err = nvs_flash_init();
  }
  return err == ESP_OK;
}

bool start_wifi() {
  if (esp_netif_init() != ESP_OK || esp_event_loop_create_default() != ESP_OK ||
      esp_netif_create_default_wifi_sta() == nullptr) {
    return false;
  }
  const wifi_init_config_t init = WIFI_INIT_CONFIG_DEFAULT();
  if (esp_wifi_init(&init) != ESP_OK ||
      esp_event_handler_instance_register(WIFI_EVENT, ESP_EVENT_ANY_ID, on_network_event, nullptr,
                                          nullptr) != ESP_OK ||
      esp_event_handler_instance_register(IP_EVENT, IP_EVENT_STA_GOT_IP, on_network_event, nullptr,
                                          nullptr) != ESP_OK) {
    return false;
  }
  wifi_config_t config{};
  static_assert(sizeof kSsid <= sizeof config.sta.ssid, "SSID longer than 32 bytes");
  static_assert(sizeof kPassword <= sizeof config.sta.password, "password longer than 64 bytes");
  std::memcpy(config.sta.ssid, kSsid, sizeof kSsid);
  std::memcpy(config.sta.password, kPassword, sizeof kPassword);
  return esp_wifi_set_mode(WIFI_MODE_STA) == ESP_OK &&
         esp_wifi_set_config(WIFI_IF_STA, &config) == ESP_OK && esp_wifi_start() == ESP_OK;
}

}  // namespace

extern "C" void app_main(void) {
  if (!init_nvs()) {
    std::printf("fota: NVS does not start\n");
    return;
  }
  if (!app.begin()) return;  // it said why on the console
  if (!start_wifi()) {
    std::printf("fota: Wi-Fi does not start\n");
    return;
  }
  fota::esp32::Backoff reconnect(fota::esp32::kWifiBackoffFirstMs, fota::esp32::kWifiBackoffMaxMs);
  for (;;) {
    if (!online) {
      if (disconnected && reconnect.due(now_ms())) {
        disconnected = false;
        (void)esp_wifi_connect();
        reconnect.schedule(now_ms());
      }
      vTaskDelay(pdMS_TO_TICKS(100));
      continue;
    }
    reconnect.reset();
    if (!app.step()) vTaskDelay(pdMS_TO_TICKS(100));
  }
}
