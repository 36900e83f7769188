// SPDX-License-Identifier: Apache-2.0
// An I2C master on a vstm32::Machine's I2C1 (the native I2C link's bus in tests and benchmarks):
// every transaction runs the machine for its bus time at the master's SCL rate, stretched by the
// firmware as the slave model says. Counts the bus time and what an unstretched bus would take.
#pragma once

#include <cstdint>

#include "native/i2c_link.h"
#include "vstm32/machine.h"

namespace fota::native_test {

class MachineI2cBus final : public native::I2cBus {
 public:
  explicit MachineI2cBus(vstm32::Machine& machine, uint32_t speed_hz = 400'000);

  native::I2cBusStatus write(uint8_t address, std::span<const uint8_t> bytes) override;
  native::I2cBusStatus read(uint8_t address, std::span<uint8_t> out) override;

  struct Stats {
    uint64_t transfers = 0, bytes_written = 0, bytes_read = 0;
    uint64_t bus_ns = 0;          // START to STOP, summed
    uint64_t unstretched_ns = 0;  // the same transactions without any clock stretching
  };
  [[nodiscard]] const Stats& stats() const { return stats_; }
  void reset_stats() { stats_ = {}; }
  // The host process dies: no more transactions reach the bus.
  void disconnect() { connected_ = false; }

 private:
  native::I2cBusStatus finish(const vstm32::I2cResult& r, size_t bytes);

  vstm32::Machine& m_;
  uint32_t speed_hz_;
  bool connected_ = true;
  Stats stats_;
};

}  // namespace fota::native_test
