// SPDX-License-Identifier: Apache-2.0
// The native protocol's byte link over I2C (native/i2c.h): an an3155::ByteLink that the host
// driver (native/host.h) runs over unchanged. It turns the byte stream into master transactions on
// an I2cBus (Linux i2c-dev, vstm32's I2C endpoint, a machine in tests): writes in chunks, with
// retries while the device does not acknowledge its address (not listening yet); reads by polling
// (count byte, then that many stream bytes).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "an3155/port.h"
#include "native/i2c.h"

namespace fota::native {

enum class I2cBusStatus : uint8_t {
  kOk = 0,
  kNack,     // the address (or a written byte) was not acknowledged
  kIoError,  // the adapter failed (bus stuck, timeout, device file gone)
};

// One I2C master: whole transactions, START to STOP.
class I2cBus {
 public:
  [[nodiscard]] virtual I2cBusStatus write(uint8_t address, std::span<const uint8_t> bytes) = 0;
  [[nodiscard]] virtual I2cBusStatus read(uint8_t address, std::span<uint8_t> out) = 0;

 protected:
  ~I2cBus() = default;
};

struct I2cLinkOptions {
  uint8_t address = kI2cAddress;
  uint32_t max_write = 4096;       // stream bytes per write transaction (i2c-dev allows 8192)
  uint32_t poll_bytes = 32;        // stream bytes a poll asks for (then as many as announced)
  uint32_t nack_timeout_ms = 100;  // a write retries this long while the address is NACKed
};

// Why the last operation failed (for the message the caller prints).
enum class I2cLinkError : uint8_t { kNone = 0, kNoAcknowledge, kBusError };
const char* to_string(I2cLinkError error);

class I2cLink final : public an3155::ByteLink {
 public:
  I2cLink(I2cBus& bus, an3155::Clock& clock, I2cLinkOptions options = {});

  // The device must acknowledge every write (nothing queues while it is in reset), there is no
  // baud rate, and the application's console is not on the bus.
  an3155::LinkTraits traits() const override {
    return {.needs_listener = true, .has_baud = false, .carries_console = false};
  }

  [[nodiscard]] an3155::PortStatus write(std::span<const uint8_t> bytes) override;
  [[nodiscard]] an3155::PortStatus read(std::span<uint8_t> out, uint32_t timeout_ms,
                                        size_t& got) override;
  [[nodiscard]] an3155::PortStatus flush_input() override;
  // I2C has no baud rate: the SCL rate is the adapter's. Accepted and ignored.
  [[nodiscard]] an3155::PortStatus configure(uint32_t baud, an3155::Parity parity) override;

  [[nodiscard]] I2cLinkError last_error() const { return error_; }
  [[nodiscard]] uint8_t address() const { return options_.address; }
  struct Stats {
    uint32_t writes = 0, polls = 0, empty_polls = 0, address_nacks = 0;
  };
  [[nodiscard]] const Stats& stats() const { return stats_; }

 private:
  // One read transaction; false on a bus error. Appends what the device handed over to the
  // buffer; `more` receives how many bytes it announced beyond them.
  bool poll(uint32_t want, uint32_t& more);

  static constexpr size_t kBufferSize = 4096;

  I2cBus& bus_;
  an3155::Clock& clock_;
  I2cLinkOptions options_;
  uint8_t scratch_[1 + kI2cMaxReadCount] = {};
  uint8_t rx_[kBufferSize] = {};
  size_t rx_begin_ = 0, rx_end_ = 0;
  I2cLinkError error_ = I2cLinkError::kNone;
  Stats stats_;
};

}  // namespace fota::native
