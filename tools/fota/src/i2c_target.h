// SPDX-License-Identifier: Apache-2.0
// The update engine's native target over I2C (docs/native-protocol.md, "I2C binding"): an I2C
// master (Linux i2c-dev or vstm32's I2C1 endpoint), the native I2C byte link on it, the pins
// (NRST only) and a native::NativeTarget over them, the same target `--transport native` builds
// over a UART. Used by `fota flash --i2c SPEC[:ADDR]`.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "native/i2c_link.h"
#include "native/target.h"
#include "ports_linux/i2c_bus.h"
#include "ports_linux/pins.h"
#include "status/expected.h"

namespace fota::cli {

class I2cTarget {
 public:
  // `spec`: "/dev/i2c-N[:ADDR]" or "tcp:PORT[:ADDR]"; `pins`: a --pins spec or "none" (then the
  // device must already be in update mode: Entry::kHello).
  static Expected<std::unique_ptr<I2cTarget>> open(const std::string& spec, const std::string& pins,
                                                   native::NativeTargetOptions options);
  I2cTarget(const I2cTarget&) = delete;
  I2cTarget& operator=(const I2cTarget&) = delete;

  native::NativeTarget& target() { return *target_; }
  bool has_pins() const { return pins_ != nullptr; }
  // "tcp:127.0.0.1:5000 address 0x42"
  const std::string& where() const { return where_; }
  // What the bus said about the last failure ("" when nothing): "no device acknowledges the
  // address (...)".
  std::string link_detail() const;

 private:
  I2cTarget() = default;

  ports::SystemClock clock_;
  std::unique_ptr<ports_linux::I2cMaster> bus_;
  std::unique_ptr<native::I2cLink> link_;
  std::unique_ptr<ports::Pins> pins_;
  std::vector<uint8_t> ring_ = std::vector<uint8_t>(64 * 1024);
  std::unique_ptr<native::NativeTarget> target_;
  std::string where_;
};

}  // namespace fota::cli
