// SPDX-License-Identifier: Apache-2.0
#include "fota_esp32/http_common.h"

#include "esp_crt_bundle.h"
#include "fota_esp32/config.h"

namespace fota::esp32 {

esp_http_client_config_t http_client_config(const char* url, http_event_handle_cb handler,
                                            void* user_data) {
  esp_http_client_config_t config{};
  config.url = url;
  config.timeout_ms = kHttpTimeoutMs;
  config.event_handler = handler;
  config.user_data = user_data;
  config.buffer_size = kHttpRxBufferBytes;
  config.buffer_size_tx = kHttpTxBufferBytes;
  config.crt_bundle_attach = esp_crt_bundle_attach;
  return config;
}

bool same_header_name(const char* a, const char* b) {
  for (; *a != '\0' && *b != '\0'; ++a, ++b) {
    const char x = (*a >= 'A' && *a <= 'Z') ? static_cast<char>(*a - 'A' + 'a') : *a;
    const char y = (*b >= 'A' && *b <= 'Z') ? static_cast<char>(*b - 'A' + 'a') : *b;
    if (x != y) return false;
  }
  return *a == *b;
}

}  // namespace fota::esp32
