// SPDX-License-Identifier: Apache-2.0
// Wall-clock time from SNTP (ESP-IDF's esp_sntp): the "time" and "since" fields of the agent's
// status messages (agent::StatusReport, as `fota agent` fills them from the system clock), and the
// time mbedTLS checks certificate validity against when CONFIG_MBEDTLS_HAVE_TIME_DATE is set.
#pragma once

#include <cstdint>

namespace fota::esp32 {

class SntpTime final {
 public:
  // Starts polling `server` (call once Wi-Fi is up; ESP-IDF re-synchronises every hour).
  void begin(const char* server);
  // True once the first synchronisation completed.
  bool synced() const;
  // Seconds since 1970, or 0 while not synchronised (the status then carries time 0: unknown).
  uint64_t unix_s() const;
};

}  // namespace fota::esp32
