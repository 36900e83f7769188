// SPDX-License-Identifier: Apache-2.0
// update::Source over HTTP(S) with esp_http_client: one streaming GET that serves sequential reads;
// a read elsewhere (resume, re-read) or a cut connection re-opens it with "Range: bytes=N-".
// Bytes are counted against Content-Length (a short body is a cut, never the end of the image);
// the first ETag is kept and sent as If-Match, so a release replaced on the server is reported
// as kChanged instead of being mixed into the slot. TLS verifies against ESP-IDF's certificate
// bundle.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "fota_esp32/config.h"
#include "update/progress.h"
#include "update/source.h"

struct esp_http_client;
struct esp_http_client_event;

namespace fota::esp32 {

class HttpRangeSource final : public update::Source {
 public:
  HttpRangeSource() = default;
  ~HttpRangeSource();
  HttpRangeSource(const HttpRangeSource&) = delete;
  HttpRangeSource& operator=(const HttpRangeSource&) = delete;

  // `url` (http:// or https://) is copied; false when too long or the client cannot be made.
  [[nodiscard]] bool begin(const char* url);
  // Closes the connection and forgets the ETag (next release).
  void end();

  [[nodiscard]] update::SourceStatus read(uint32_t offset, std::span<uint8_t> out,
                                          size_t& got) override;
  const char* etag() const override { return etag_.data(); }
  const char* last_error() const override { return error_.data(); }
  // Size of the whole resource once a response said it (Content-Range / Content-Length), else 0.
  uint64_t total_size() const { return total_; }

  // The esp_http_client event handler (public for the C callback; not for callers).
  int on_event(esp_http_client_event* event);

 private:
  update::SourceStatus open_at(uint32_t offset);
  void close();
  // Long URLs are cut in the message, never in the request.
  void set_error(const char* format, ...) __attribute__((format(printf, 2, 3)));

  esp_http_client* client_ = nullptr;
  std::array<char, kUrlMaxBytes> url_{};
  bool open_ = false;
  uint32_t position_ = 0;   // image offset of the next byte the open response delivers
  uint64_t remaining_ = 0;  // bytes the open response still owes
  uint64_t total_ = 0;
  int64_t range_start_ = -1;  // first byte of the open response's Content-Range
  std::array<char, update::kEtagSize> etag_{};
  std::array<char, update::kEtagSize> response_etag_{};
  std::array<char, 200> error_{};
};

}  // namespace fota::esp32
