// SPDX-License-Identifier: Apache-2.0
// Declarations from the ESP-IDF v5 esp_http_client API reference, for type-checking only.
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "esp_err.h"
typedef struct esp_http_client* esp_http_client_handle_t;
typedef enum {
  HTTP_EVENT_ERROR = 0,
  HTTP_EVENT_ON_CONNECTED,
  HTTP_EVENT_HEADERS_SENT,
  HTTP_EVENT_ON_HEADER,
  HTTP_EVENT_ON_DATA,
  HTTP_EVENT_ON_FINISH,
  HTTP_EVENT_DISCONNECTED,
  HTTP_EVENT_REDIRECT,
} esp_http_client_event_id_t;
typedef struct esp_http_client_event {
  esp_http_client_event_id_t event_id;
  esp_http_client_handle_t client;
  void* data;
  int data_len;
  void* user_data;
  char* header_key;
  char* header_value;
} esp_http_client_event_t;
typedef esp_err_t (*http_event_handle_cb)(esp_http_client_event_t* evt);
typedef enum {
  HTTP_METHOD_GET = 0,
  HTTP_METHOD_POST,
  HTTP_METHOD_HEAD = 4
} esp_http_client_method_t;
typedef struct {
  const char* url;
  const char* cert_pem;
  esp_http_client_method_t method;
  int timeout_ms;
  bool disable_auto_redirect;
  int max_redirection_count;
  http_event_handle_cb event_handler;
  int buffer_size;
  int buffer_size_tx;
  void* user_data;
  esp_err_t (*crt_bundle_attach)(void* conf);
  bool keep_alive_enable;
} esp_http_client_config_t;
#ifdef __cplusplus
extern "C" {
#endif
esp_http_client_handle_t esp_http_client_init(const esp_http_client_config_t* config);
esp_err_t esp_http_client_set_header(esp_http_client_handle_t client, const char* key,
                                     const char* value);
esp_err_t esp_http_client_delete_header(esp_http_client_handle_t client, const char* key);
esp_err_t esp_http_client_open(esp_http_client_handle_t client, int write_len);
int64_t esp_http_client_fetch_headers(esp_http_client_handle_t client);
int esp_http_client_read(esp_http_client_handle_t client, char* buffer, int len);
int esp_http_client_get_status_code(esp_http_client_handle_t client);
int64_t esp_http_client_get_content_length(esp_http_client_handle_t client);
bool esp_http_client_is_chunked_response(esp_http_client_handle_t client);
esp_err_t esp_http_client_close(esp_http_client_handle_t client);
esp_err_t esp_http_client_cleanup(esp_http_client_handle_t client);
#ifdef __cplusplus
}
#endif
