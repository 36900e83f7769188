// SPDX-License-Identifier: Apache-2.0
// update::Clock on the steady clock.
#pragma once

#include <chrono>

#include "update/clock.h"

namespace fota::ports {

class UpdateClock final : public update::Clock {
 public:
  uint64_t now_ms() override {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::steady_clock::now().time_since_epoch())
                                     .count());
  }
};

}  // namespace fota::ports
