// SPDX-License-Identifier: Apache-2.0
// What an external I2C master (a test, the `vstm32 run --i2c1` endpoint) asks of the I2C1 slave
// model: one transaction at a time, START + 7-bit address + data + STOP, timed at the master's
// SCL rate (100 or 400 kHz) and stretched by the slave as RM0090 describes.
#pragma once

#include <cstdint>
#include <vector>

namespace vstm32 {

// The `vstm32 run --i2c1 tcp:PORT` endpoint carries these transactions on a TCP stream, one at a
// time, in order (docs/vstm32.md, "I2C1"):
//   request  'W' (0x57), address (7-bit), length (u16 LE), the bytes to write
//            'R' (0x52), address, length (u16 LE, >= 1)
//   reply    status (I2cStatus), count (u16 LE: bytes acknowledged / bytes read), the bytes read
inline constexpr uint8_t kI2cWireWrite = 'W';
inline constexpr uint8_t kI2cWireRead = 'R';

struct I2cTransfer {
  uint8_t address = 0;  // 7-bit
  bool read = false;
  std::vector<uint8_t> data;  // bytes to write (write transfers)
  uint32_t read_length = 0;   // bytes to read (read transfers, >= 1)
};

enum class I2cStatus : uint8_t {
  kOk = 0,
  kAddressNack,  // nobody acknowledged the address (wrong address, peripheral off or not set up)
  kDataNack,     // the slave did not acknowledge a written byte (its ACK bit was 0)
  kTimeout,      // the slave stretched SCL longer than the master waits
};
const char* to_string(I2cStatus status);

struct I2cResult {
  I2cStatus status = I2cStatus::kOk;
  std::vector<uint8_t> data;  // bytes read
  uint32_t bytes_acked = 0;   // written bytes the slave acknowledged
  uint64_t start_ns = 0, end_ns = 0;
};

}  // namespace vstm32
