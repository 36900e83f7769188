// SPDX-License-Identifier: Apache-2.0
// Bit-error injection on the virtual UART line.
#include "vstm32/serial.h"

namespace vstm32 {

void BitErrorInjector::configure(double rate, uint64_t seed) {
  rate_ = rate < 0.0 ? 0.0 : rate > 1.0 ? 1.0 : rate;
  rng_.seed(seed);
  draw_gap();
}

void BitErrorInjector::draw_gap() {
  if (rate_ <= 0.0) return;
  if (rate_ >= 1.0) {
    gap_ = 0;
    return;
  }
  // Clean bits before the next error: geometric, so each bit is independent with p = rate.
  std::geometric_distribution<uint64_t> gap(rate_);
  gap_ = gap(rng_);
}

uint8_t BitErrorInjector::apply(uint8_t byte) {
  if (rate_ <= 0.0) return byte;
  uint8_t out = byte;
  for (unsigned bit = 0; bit < 8; ++bit) {
    if (gap_ > 0) {
      --gap_;
      continue;
    }
    out = static_cast<uint8_t>(out ^ (1u << bit));
    ++bits_flipped_;
    draw_gap();
  }
  if (out != byte) ++bytes_corrupted_;
  return out;
}

}  // namespace vstm32
