// SPDX-License-Identifier: Apache-2.0
#include "fota_esp32/sntp_time.h"

#include <ctime>

#include "esp_sntp.h"

namespace fota::esp32 {

namespace {
// 2024-01-01: an RTC that was never set starts at 1970, so an earlier time is not real time.
constexpr std::time_t kPlausibleUnixS = 1704067200;
}  // namespace

void SntpTime::begin(const char* server) {
  if (esp_sntp_enabled()) return;
  esp_sntp_setoperatingmode(ESP_SNTP_OPMODE_POLL);
  esp_sntp_setservername(0, server);
  esp_sntp_init();
}

bool SntpTime::synced() const {
  return sntp_get_sync_status() == SNTP_SYNC_STATUS_COMPLETED ||
         std::time(nullptr) >= kPlausibleUnixS;
}

uint64_t SntpTime::unix_s() const {
  const std::time_t now = std::time(nullptr);
  return now >= kPlausibleUnixS ? static_cast<uint64_t>(now) : 0;
}

}  // namespace fota::esp32
