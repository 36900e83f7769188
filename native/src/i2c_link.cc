// SPDX-License-Identifier: Apache-2.0
#include "native/i2c_link.h"

namespace fota::native {

const char* to_string(I2cLinkError error) {
  switch (error) {
    case I2cLinkError::kNone: return "ok";
    case I2cLinkError::kNoAcknowledge: return "no device acknowledges the address";
    case I2cLinkError::kBusError: return "the I2C adapter reported an error";
  }
  return "unknown I2C link error";
}

I2cLink::I2cLink(I2cBus& bus, an3155::Clock& clock, I2cLinkOptions options)
    : bus_(bus), clock_(clock), options_(options) {
  if (options_.max_write == 0) options_.max_write = 1;
  if (options_.poll_bytes == 0) options_.poll_bytes = 1;
  if (options_.poll_bytes > kI2cMaxReadCount) options_.poll_bytes = kI2cMaxReadCount;
}

an3155::PortStatus I2cLink::write(std::span<const uint8_t> bytes) {
  while (!bytes.empty()) {
    const size_t n = bytes.size() < options_.max_write ? bytes.size() : options_.max_write;
    const uint64_t deadline_us = clock_.now_us() + uint64_t{options_.nack_timeout_ms} * 1000;
    for (;;) {
      const I2cBusStatus st = bus_.write(options_.address, bytes.first(n));
      ++stats_.writes;
      if (st == I2cBusStatus::kOk) break;
      if (st == I2cBusStatus::kIoError) {
        error_ = I2cLinkError::kBusError;
        return an3155::PortStatus::kIoError;
      }
      // Not acknowledged: the device is not listening (yet). Each attempt takes bus time.
      ++stats_.address_nacks;
      if (clock_.now_us() >= deadline_us) {
        error_ = I2cLinkError::kNoAcknowledge;
        return an3155::PortStatus::kIoError;
      }
    }
    bytes = bytes.subspan(n);
  }
  error_ = I2cLinkError::kNone;
  return an3155::PortStatus::kOk;
}

bool I2cLink::poll(uint32_t want, uint32_t& more) {
  more = 0;
  if (want > kI2cMaxReadCount) want = kI2cMaxReadCount;
  ++stats_.polls;
  const I2cBusStatus st = bus_.read(options_.address, std::span<uint8_t>(scratch_, 1 + want));
  if (st == I2cBusStatus::kIoError) {
    error_ = I2cLinkError::kBusError;
    return false;
  }
  if (st == I2cBusStatus::kNack) {
    // Not listening (busy, reset, or out of update mode): nothing to read now.
    ++stats_.address_nacks;
    error_ = I2cLinkError::kNoAcknowledge;
    return true;
  }
  error_ = I2cLinkError::kNone;
  const uint32_t announced = scratch_[0];
  const uint32_t n = announced < want ? announced : want;
  more = announced - n;
  if (n == 0) {
    ++stats_.empty_polls;
    return true;
  }
  if (rx_end_ + n > kBufferSize) {  // move the unread bytes to the front
    for (size_t i = rx_begin_; i < rx_end_; ++i) rx_[i - rx_begin_] = rx_[i];
    rx_end_ -= rx_begin_;
    rx_begin_ = 0;
  }
  for (uint32_t i = 0; i < n && rx_end_ < kBufferSize; ++i) rx_[rx_end_++] = scratch_[1 + i];
  return true;
}

an3155::PortStatus I2cLink::read(std::span<uint8_t> out, uint32_t timeout_ms, size_t& got) {
  got = 0;
  const uint64_t deadline_us = clock_.now_us() + uint64_t{timeout_ms} * 1000;
  uint32_t more = 0;  // stream bytes the device announced beyond what the last poll took
  // At least one poll per call, also with a timeout of 0 ("anything there now?").
  bool polled = false;
  for (;;) {
    while (got < out.size() && rx_begin_ < rx_end_) out[got++] = rx_[rx_begin_++];
    if (rx_begin_ == rx_end_) rx_begin_ = rx_end_ = 0;
    if (got == out.size()) return an3155::PortStatus::kOk;
    if (more == 0 && polled && clock_.now_us() >= deadline_us) {
      return an3155::PortStatus::kTimeout;
    }
    if (!poll(more != 0 ? more : options_.poll_bytes, more)) return an3155::PortStatus::kIoError;
    polled = true;
  }
}

an3155::PortStatus I2cLink::flush_input() {
  rx_begin_ = rx_end_ = 0;
  return an3155::PortStatus::kOk;
}

an3155::PortStatus I2cLink::configure(uint32_t baud, an3155::Parity parity) {
  (void)baud;
  (void)parity;
  return an3155::PortStatus::kOk;
}

}  // namespace fota::native
