// SPDX-License-Identifier: Apache-2.0
#include "i2c_pump.h"

#include "native/i2c.h"
#include "ram_pump.h"

// SRAM code, as in ram_pump.cc.
#define FOTA_RAMFUNC \
  __attribute__((section(".data.ramfunc,\"aw\",%progbits @"), noinline, long_call))

namespace fota::boot {

namespace {

constexpr uint32_t kNvicIcpr0 = 0xE000'E280;

inline volatile uint32_t& r(uint32_t a) {
  return *reinterpret_cast<volatile uint32_t*>(a);
}

}  // namespace

FOTA_RAMFUNC void i2c_pump(PumpState* s) {
  uint32_t sr1 = r(i2c1::kSr1);
  if ((sr1 & i2c1::kSr1Work) == 0) return;
  if ((sr1 & i2c1::kSr1Addr) != 0) {
    const uint32_t sr2 = r(i2c1::kSr2);  // SR1 then SR2: ADDR cleared, SCL released
    if ((sr2 & i2c1::kSr2Tra) != 0) {
      // A read: the count byte first. Replies wait here only when the host talks over I2C.
      uint32_t n = s->link == kLinkI2c ? s->tx_head - s->tx_tail : 0;
      if (n > native::kI2cMaxReadCount) n = native::kI2cMaxReadCount;
      s->i2c_left = n;
      r(i2c1::kDr) = n;
    }
    sr1 = r(i2c1::kSr1);
  }
  if ((sr1 & i2c1::kSr1Rxne) != 0) {
    const uint8_t byte = static_cast<uint8_t>(r(i2c1::kDr));  // after SR1: also clears BTF
    ring_receive(s->ring, byte);
    s->link = kLinkI2c;
  } else if ((sr1 & (i2c1::kSr1Btf | i2c1::kSr1Txe)) == (i2c1::kSr1Btf | i2c1::kSr1Txe)) {
    // The master acknowledged the last byte and wants another.
    if (s->i2c_left != 0) {
      r(i2c1::kDr) = s->tx[s->tx_tail % sizeof(s->tx)];
      s->tx_tail = s->tx_tail + 1;
      s->i2c_left = s->i2c_left - 1;
    } else {
      r(i2c1::kDr) = native::kI2cFiller;
    }
  }
  if ((sr1 & i2c1::kSr1Errors) != 0) {
    r(i2c1::kSr1) = ~(sr1 & i2c1::kSr1Errors) & 0xFFFFu;  // rc_w0; AF ends a read
    if ((sr1 & i2c1::kSr1Af) != 0) s->i2c_left = 0;
  }
  if ((sr1 & i2c1::kSr1Stopf) != 0) r(i2c1::kCr1) = r(i2c1::kCr1);  // SR1 then CR1: STOPF
  r(kNvicIcpr0) = 1u << 31;                                         // I2C1_EV
  r(kNvicIcpr0 + 4) = 1u << 0;                                      // I2C1_ER
}

}  // namespace fota::boot
