// SPDX-License-Identifier: Apache-2.0
#include "fota_esp32/manifest_pointer.h"

#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "esp_http_client.h"
#include "fota_esp32/http_common.h"

namespace fota::esp32 {
namespace {

esp_err_t handler(esp_http_client_event_t* event) {
  return static_cast<ManifestPointer*>(event->user_data)->on_event(event);
}

}  // namespace

bool ManifestPointer::begin(const char* url, std::span<char> body) {
  const size_t length = std::strlen(url);
  if (length == 0 || length >= url_.size()) return false;
  std::memcpy(url_.data(), url, length + 1);
  body_ = body;
  return true;
}

agent::PollResult ManifestPointer::failed(const char* format, ...) {
  va_list args;
  va_start(args, format);
  std::vsnprintf(error_.data(), error_.size(), format, args);
  va_end(args);
  return {agent::PollStatus::kFailed, {}, {}, error_.data()};
}

int ManifestPointer::on_event(esp_http_client_event* event) {
  if (event->event_id == HTTP_EVENT_ON_HEADER && same_header_name(event->header_key, "ETag")) {
    std::snprintf(etag_.data(), etag_.size(), "%s", event->header_value);
  }
  return ESP_OK;
}

agent::PollResult ManifestPointer::poll(std::string_view known_etag) {
  if (!configured()) return failed("no manifest pointer URL configured");
  // The caller's view may point into known_: copy it before anything changes.
  std::snprintf(known_.data(), known_.size(), "%.*s", static_cast<int>(known_etag.size()),
                known_etag.data());
  etag_[0] = '\0';
  const esp_http_client_config_t config = http_client_config(url_.data(), handler, this);
  esp_http_client_handle_t client = esp_http_client_init(&config);
  if (client == nullptr) return failed("GET %s: cannot make the HTTP client", url_.data());
  if (known_[0] != '\0') (void)esp_http_client_set_header(client, "If-None-Match", known_.data());
  agent::PollResult result;
  esp_err_t err = esp_http_client_open(client, 0);
  if (err != ESP_OK) {
    result = failed("GET %s: %s", url_.data(), esp_err_to_name(err));
  } else {
    const int64_t length = esp_http_client_fetch_headers(client);
    const int status = esp_http_client_get_status_code(client);
    switch (length < 0 ? agent::PollStatus::kFailed
                       : agent::pointer_status(status, etag_.data(), known_.data())) {
      case agent::PollStatus::kUnchanged:
        result = {agent::PollStatus::kUnchanged, {}, {}, {}};
        break;
      case agent::PollStatus::kFailed:
        result = length < 0 ? failed("GET %s: no answer (the connection closed before the headers)",
                                     url_.data())
                            : failed("GET %s: HTTP %d", url_.data(), status);
        break;
      case agent::PollStatus::kChanged: {
        // Read to the end of the body (chunked or not); one byte more than fits is a failure.
        size_t got = 0;
        int n = 0;
        char spare = 0;
        while ((n = esp_http_client_read(
                    client, got < body_.size() ? body_.data() + got : &spare,
                    got < body_.size() ? static_cast<int>(body_.size() - got) : 1)) > 0) {
          got += static_cast<size_t>(n);
          if (got > body_.size()) break;
        }
        if (got > body_.size()) {
          result = failed("GET %s: the manifest is larger than %u bytes", url_.data(),
                          static_cast<unsigned>(body_.size()));
        } else if (n < 0) {
          result = failed("GET %s: connection lost after %u bytes", url_.data(),
                          static_cast<unsigned>(got));
        } else {
          result = {agent::PollStatus::kChanged, etag_.data(), {body_.data(), got}, {}};
        }
        break;
      }
    }
    (void)esp_http_client_close(client);
  }
  (void)esp_http_client_cleanup(client);
  return result;
}

}  // namespace fota::esp32
