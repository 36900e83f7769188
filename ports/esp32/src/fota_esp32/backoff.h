// SPDX-License-Identifier: Apache-2.0
// Exponential backoff for reconnects (Wi-Fi, MQTT, HTTP): first delay, doubled after each failure
// up to a cap, back to the first delay after a success. Plain C++ (unit-tested on the host).
#pragma once

#include <cstdint>

namespace fota::esp32 {

class Backoff {
 public:
  Backoff(uint32_t first_ms, uint32_t max_ms) : first_ms_(first_ms), max_ms_(max_ms) {}

  // The delay to wait before the next attempt; each call doubles the following one.
  uint32_t next_ms() {
    const uint32_t delay = current_ms_ == 0 ? first_ms_ : current_ms_;
    current_ms_ = delay >= max_ms_ / 2 ? max_ms_ : delay * 2;
    if (delay > max_ms_) return max_ms_;
    return delay;
  }
  void reset() { current_ms_ = 0; }
  // True when `now_ms` has reached the time set by schedule().
  bool due(uint64_t now_ms) const { return now_ms >= next_at_ms_; }
  // Sets the next attempt to now_ms + next_ms().
  void schedule(uint64_t now_ms) { next_at_ms_ = now_ms + next_ms(); }

 private:
  uint32_t first_ms_;
  uint32_t max_ms_;
  uint32_t current_ms_ = 0;
  uint64_t next_at_ms_ = 0;
};

}  // namespace fota::esp32
