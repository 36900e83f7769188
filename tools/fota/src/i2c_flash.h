// SPDX-License-Identifier: Apache-2.0
// `fota flash --i2c SPEC[:ADDR]`: the native path over I2C (docs/native-protocol.md, "I2C
// binding"): our bootloader's update mode as an I2C slave, reached through Linux i2c-dev or
// vstm32's I2C1 endpoint. Wakes the bootloader through the pins when they are given (pin reset +
// sync within the listening window), else expects it in update mode already (application request,
// no valid image); installs the release's image for the slot the bootloader offers.
#pragma once

#include <string>

namespace fota::cli {

struct I2cFlashOptions {
  std::string target;       // SPEC[:ADDR]
  std::string release_dir;  // manifest.json + images
  std::string pins = "none";
  bool quiet = false;
};

// Returns an exit code (exit_code.h); errors go to stderr.
int flash_over_i2c(const I2cFlashOptions& options);

}  // namespace fota::cli
