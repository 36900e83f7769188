// SPDX-License-Identifier: Apache-2.0
#include "fota_esp32/http_source.h"

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "esp_http_client.h"
#include "fota_esp32/backoff.h"
#include "fota_esp32/http_common.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"

namespace fota::esp32 {
namespace {

esp_err_t handler(esp_http_client_event_t* event) {
  return static_cast<HttpRangeSource*>(event->user_data)->on_event(event);
}

}  // namespace

HttpRangeSource::~HttpRangeSource() {
  close();
  if (client_ != nullptr) (void)esp_http_client_cleanup(client_);
}

void HttpRangeSource::set_error(const char* format, ...) {
  va_list args;
  va_start(args, format);
  std::vsnprintf(error_.data(), error_.size(), format, args);
  va_end(args);
}

bool HttpRangeSource::begin(const char* url) {
  end();
  if (std::strlen(url) >= url_.size()) return false;
  std::strcpy(url_.data(), url);
  if (client_ != nullptr) (void)esp_http_client_cleanup(client_);
  esp_http_client_config_t config = http_client_config(url_.data(), handler, this);
  config.keep_alive_enable = true;
  client_ = esp_http_client_init(&config);
  return client_ != nullptr;
}

void HttpRangeSource::end() {
  close();
  etag_[0] = '\0';
  error_[0] = '\0';
  total_ = 0;
}

void HttpRangeSource::close() {
  if (open_) (void)esp_http_client_close(client_);
  open_ = false;
}

int HttpRangeSource::on_event(esp_http_client_event* event) {
  if (event->event_id != HTTP_EVENT_ON_HEADER) return ESP_OK;
  if (same_header_name(event->header_key, "ETag")) {
    std::snprintf(response_etag_.data(), response_etag_.size(), "%s", event->header_value);
  } else if (same_header_name(event->header_key, "Content-Range")) {
    // "bytes START-END/TOTAL"
    const char* text = std::strchr(event->header_value, ' ');
    if (text != nullptr) range_start_ = std::strtoll(text + 1, nullptr, 10);
    const char* slash = std::strchr(event->header_value, '/');
    if (slash != nullptr && slash[1] != '*') total_ = std::strtoull(slash + 1, nullptr, 10);
  }
  return ESP_OK;
}

update::SourceStatus HttpRangeSource::open_at(uint32_t offset) {
  close();
  response_etag_[0] = '\0';
  range_start_ = -1;
  std::array<char, 32> range{};
  std::snprintf(range.data(), range.size(), "bytes=%lu-", static_cast<unsigned long>(offset));
  (void)esp_http_client_set_header(client_, "Range", range.data());
  if (etag_[0] != '\0') (void)esp_http_client_set_header(client_, "If-Match", etag_.data());
  const esp_err_t err = esp_http_client_open(client_, 0);
  if (err != ESP_OK) {
    set_error("GET %s: %s", url_.data(), esp_err_to_name(err));
    return update::SourceStatus::kIoError;
  }
  open_ = true;
  const int64_t length = esp_http_client_fetch_headers(client_);
  const int status = esp_http_client_get_status_code(client_);
  if (status == 416) {  // offset at or past the end
    close();
    return update::SourceStatus::kEnd;
  }
  if (status == 412) {
    set_error("GET %s: the file changed on the server (ETag %s no longer matches)", url_.data(),
              etag_.data());
    close();
    return update::SourceStatus::kChanged;
  }
  const bool whole = status == 200 && offset == 0;
  if (!(status == 206 || whole)) {
    set_error(
        status == 200 ? "GET %s: the server ignores Range requests (HTTP %d)" : "GET %s: HTTP %d",
        url_.data(), status);
    close();
    return update::SourceStatus::kIoError;
  }
  if (length < 0 || esp_http_client_is_chunked_response(client_) ||
      (status == 206 && range_start_ != static_cast<int64_t>(offset))) {
    set_error("GET %s: the answer has no length or the wrong range", url_.data());
    close();
    return update::SourceStatus::kIoError;
  }
  if (whole) total_ = static_cast<uint64_t>(length);
  if (etag_[0] == '\0') {
    etag_ = response_etag_;
  } else if (response_etag_[0] != '\0' && std::strcmp(etag_.data(), response_etag_.data()) != 0) {
    set_error("GET %s: the file changed on the server (ETag %s, was %s)", url_.data(),
              response_etag_.data(), etag_.data());
    close();
    return update::SourceStatus::kChanged;
  }
  position_ = offset;
  remaining_ = static_cast<uint64_t>(length);
  return update::SourceStatus::kOk;
}

update::SourceStatus HttpRangeSource::read(uint32_t offset, std::span<uint8_t> out, size_t& got) {
  got = 0;
  if (client_ == nullptr) {
    set_error("HTTP source used before begin()");
    return update::SourceStatus::kIoError;
  }
  Backoff backoff(kWifiBackoffFirstMs, kWifiBackoffMaxMs);
  for (unsigned attempt = 0; attempt <= kHttpRetries; ++attempt) {
    if (attempt > 0) vTaskDelay(pdMS_TO_TICKS(backoff.next_ms()));
    const uint32_t at = offset + static_cast<uint32_t>(got);
    if (!open_ || position_ != at) {
      const update::SourceStatus status = open_at(at);
      if (status == update::SourceStatus::kEnd || status == update::SourceStatus::kChanged) {
        return status;
      }
      if (status != update::SourceStatus::kOk) continue;
    }
    while (got < out.size()) {
      if (remaining_ == 0) {
        close();
        return update::SourceStatus::kEnd;  // the resource ends here
      }
      const size_t want =
          out.size() - got < remaining_ ? out.size() - got : static_cast<size_t>(remaining_);
      const int n = esp_http_client_read(client_, reinterpret_cast<char*>(out.data() + got),
                                         static_cast<int>(want));
      if (n <= 0) {  // cut before Content-Length: re-open at this byte
        set_error("GET %s: connection lost at byte %lu", url_.data(),
                  static_cast<unsigned long>(position_));
        close();
        break;
      }
      got += static_cast<size_t>(n);
      position_ += static_cast<uint32_t>(n);
      remaining_ -= static_cast<uint64_t>(n);
    }
    if (got == out.size()) return update::SourceStatus::kOk;
  }
  return update::SourceStatus::kIoError;
}

}  // namespace fota::esp32
