// SPDX-License-Identifier: Apache-2.0
// The manifest pointer polled over HTTP(S) with esp_http_client (seed 001; `fota agent`'s
// [release] manifest_url): one conditional GET with If-None-Match: <the last ETag>. What the
// answer means is the core's agent::pointer_status, the rule the Linux agent applies to its HEAD;
// a changed manifest's bytes go to a buffer the caller lends (the sketch's message buffer) and
// stay there until the next poll. TLS verifies against ESP-IDF's certificate bundle.
#pragma once

#include <array>
#include <span>
#include <string_view>

#include "agent/device_loop.h"
#include "fota_esp32/config.h"
#include "update/progress.h"

struct esp_http_client_event;

namespace fota::esp32 {

class ManifestPointer {
 public:
  ManifestPointer() = default;
  ManifestPointer(const ManifestPointer&) = delete;
  ManifestPointer& operator=(const ManifestPointer&) = delete;

  // `url` is copied; `body` receives a changed manifest (a larger one is a failed poll). False
  // when the URL is empty or longer than kUrlMaxBytes - 1.
  [[nodiscard]] bool begin(const char* url, std::span<char> body);
  [[nodiscard]] bool configured() const { return url_[0] != '\0'; }

  // One poll: kChanged with the new ETag and the manifest, kUnchanged, or kFailed with a
  // sentence. The views stay valid until the next call.
  [[nodiscard]] agent::PollResult poll(std::string_view known_etag);

  // The esp_http_client event handler (public for the C callback; not for callers).
  int on_event(esp_http_client_event* event);

 private:
  agent::PollResult failed(const char* format, ...) __attribute__((format(printf, 2, 3)));

  std::array<char, kUrlMaxBytes> url_{};
  std::span<char> body_;
  std::array<char, update::kEtagSize> known_{};
  std::array<char, update::kEtagSize> etag_{};
  std::array<char, 200> error_{};
};

}  // namespace fota::esp32
