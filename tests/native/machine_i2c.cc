// SPDX-License-Identifier: Apache-2.0
#include "machine_i2c.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace fota::native_test {

MachineI2cBus::MachineI2cBus(vstm32::Machine& machine, uint32_t speed_hz)
    : m_(machine), speed_hz_(speed_hz) {
  m_.i2c_set_speed_hz(speed_hz);
}

native::I2cBusStatus MachineI2cBus::finish(const vstm32::I2cResult& r, size_t bytes) {
  ++stats_.transfers;
  stats_.bus_ns += r.end_ns - r.start_ns;
  // START + address + ACK (10), 9 per byte, STOP (1); only the address when it was refused.
  const uint64_t bits = r.status == vstm32::I2cStatus::kAddressNack ? 11 : 11 + 9 * bytes;
  stats_.unstretched_ns += bits * 1'000'000'000 / speed_hz_;
  switch (r.status) {
    case vstm32::I2cStatus::kOk: return native::I2cBusStatus::kOk;
    case vstm32::I2cStatus::kAddressNack:
    case vstm32::I2cStatus::kDataNack: return native::I2cBusStatus::kNack;
    case vstm32::I2cStatus::kTimeout: return native::I2cBusStatus::kIoError;
  }
  return native::I2cBusStatus::kIoError;
}

native::I2cBusStatus MachineI2cBus::write(uint8_t address, std::span<const uint8_t> bytes) {
  if (!connected_) return native::I2cBusStatus::kIoError;
  vstm32::I2cTransfer t;
  t.address = address;
  t.data.assign(bytes.begin(), bytes.end());
  const vstm32::I2cResult r = m_.i2c_transfer(t);
  stats_.bytes_written += r.bytes_acked;
  if (std::getenv("I2C_TRACE") != nullptr &&
      (bytes.size() < 64 || r.status != vstm32::I2cStatus::kOk)) {
    std::printf("%.3f ms write %zu status=%d\n", static_cast<double>(r.start_ns) / 1e6,
                bytes.size(), static_cast<int>(r.status));
  }
  return finish(r, bytes.size());
}

native::I2cBusStatus MachineI2cBus::read(uint8_t address, std::span<uint8_t> out) {
  if (!connected_) return native::I2cBusStatus::kIoError;
  vstm32::I2cTransfer t;
  t.address = address;
  t.read = true;
  t.read_length = static_cast<uint32_t>(out.size());
  const vstm32::I2cResult r = m_.i2c_transfer(t);
  std::fill(out.begin(), out.end(), uint8_t{0xFF});
  std::copy_n(r.data.begin(), std::min(r.data.size(), out.size()), out.begin());
  stats_.bytes_read += r.data.size();
  if (std::getenv("I2C_TRACE") != nullptr &&
      ((!r.data.empty() && r.data[0] != 0) || r.status != vstm32::I2cStatus::kOk)) {
    std::printf("%.3f ms read %u:", static_cast<double>(r.start_ns) / 1e6,
                r.data.empty() ? 0u : r.data[0]);
    for (size_t i = 1; i < r.data.size() && i <= 24; ++i) std::printf(" %02x", r.data[i]);
    std::printf(" status=%d\n", static_cast<int>(r.status));
  }
  return finish(r, out.size());
}

}  // namespace fota::native_test
