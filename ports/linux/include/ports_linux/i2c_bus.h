// SPDX-License-Identifier: Apache-2.0
// I2C masters for the native protocol's I2C link (native/i2c_link.h) on Linux: an i2c-dev adapter
// (/dev/i2c-N, one I2C_RDWR message per transaction) or vstm32's I2C1 endpoint
// (`vstm32 run --i2c1 tcp:PORT`, framing in docs/vstm32.md), chosen by the spec string.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "native/i2c_link.h"
#include "status/expected.h"

namespace fota::ports_linux {

class I2cMaster : public native::I2cBus {
 public:
  virtual ~I2cMaster() = default;
  // What the last failed transaction said (errno text or the endpoint's status), for messages.
  [[nodiscard]] virtual std::string last_detail() const = 0;
  [[nodiscard]] virtual std::string name() const = 0;
};

// "/dev/i2c-1" (any path: i2c-dev) or "tcp:PORT" (vstm32 on 127.0.0.1).
Expected<std::unique_ptr<I2cMaster>> open_i2c_master(const std::string& spec);

// Splits "SPEC[:ADDR]" (ADDR 7-bit, decimal or 0x hex) for command lines: "/dev/i2c-1:0x42",
// "tcp:5000:0x42". No ADDR: `default_address`.
struct I2cTarget {
  std::string spec;
  uint8_t address;
};
Expected<I2cTarget> parse_i2c_target(const std::string& text, uint8_t default_address);

}  // namespace fota::ports_linux
