// SPDX-License-Identifier: Apache-2.0
// What the port's two HTTP users (HttpRangeSource: the images; ManifestPointer: the channel
// pointer) set up alike with esp_http_client: the client configuration (timeouts, buffer sizes
// from config.h, TLS through ESP-IDF's certificate bundle) and header names compared as HTTP
// compares them.
#pragma once

#include "esp_http_client.h"

namespace fota::esp32 {

// `url` and `user_data` must outlive the client; `handler` receives the response headers.
[[nodiscard]] esp_http_client_config_t http_client_config(const char* url,
                                                          http_event_handle_cb handler,
                                                          void* user_data);

// Header names are case-insensitive (RFC 9110).
[[nodiscard]] bool same_header_name(const char* a, const char* b);

}  // namespace fota::esp32
