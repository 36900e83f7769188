// SPDX-License-Identifier: Apache-2.0
// Time for the engine: progress intervals and outcome deadlines. Waiting happens inside
// Target::observe() and Source::read(), never in the engine.
#pragma once

#include <cstdint>

namespace fota::update {

class Clock {
 public:
  virtual uint64_t now_ms() = 0;

 protected:
  ~Clock() = default;
};

}  // namespace fota::update
