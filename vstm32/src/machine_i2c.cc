// SPDX-License-Identifier: Apache-2.0
// Machine's I2C1 master side: an external master's transactions on the I2C1 slave model (i2c.h),
// the machine running while the bus is busy.
#include <algorithm>

#include "i2c.h"
#include "machine_impl.h"

namespace vstm32 {

void Machine::i2c_set_speed_hz(uint32_t hz) {
  impl_->i2c1->set_speed_hz(hz);
}

uint32_t Machine::i2c_speed_hz() const {
  return impl_->i2c1->speed_hz();
}

bool Machine::i2c_start(const I2cTransfer& transfer) {
  return impl_->i2c1->start(transfer);
}

bool Machine::i2c_busy() const {
  return impl_->i2c1->busy();
}

std::optional<I2cResult> Machine::i2c_take_result() {
  return impl_->i2c1->take_result();
}

I2cResult Machine::i2c_transfer(const I2cTransfer& transfer, uint64_t timeout_ns) {
  Impl& s = *impl_;
  I2c& bus = *s.i2c1;
  if (!bus.start(transfer)) {
    bus.abort(I2cStatus::kTimeout);  // a transfer left behind: the master gave up on it
    (void)bus.take_result();
    (void)bus.start(transfer);
  }
  const uint64_t bit_ns = std::max<uint64_t>(1'000'000'000 / bus.speed_hz(), 1);
  uint64_t held_since_ns = 0;
  bool held = false;
  for (;;) {
    if (std::optional<I2cResult> r = bus.take_result()) return *r;
    const uint64_t now_ns = s.now_ns();
    const uint64_t next_ps = bus.next_event_ps();
    if (next_ps == kNever) {
      // The slave holds SCL low: the master waits, up to its timeout.
      if (!held) {
        held = true;
        held_since_ns = now_ns;
      } else if (now_ns - held_since_ns >= timeout_ns) {
        bus.abort(I2cStatus::kTimeout);
        continue;
      }
      advance_to(now_ns + 2 * bit_ns);
    } else {
      held = false;
      advance_to(std::max(now_ns + 1, (next_ps + kPsPerNs - 1) / kPsPerNs));
    }
    // Without power or in reset the peripheral is at its reset state (no address matches), and
    // without a running CPU the machine does not advance its models: the bus still moves on.
    if (!s.powered || s.nrst_low) bus.reset();
    if (!s.powered || s.mode != Mode::kCpu) {
      if (bus.next_event_ps() <= s.now_ps()) bus.advance(s.now_ps());
    }
  }
}

}  // namespace vstm32
