// SPDX-License-Identifier: Apache-2.0
// What `vstm32 run` drives: a device with a simulated clock, USART1 bytes with times, pins,
// power and events. The one implementation is vstm32::Machine (machine_device.cc); the interface
// keeps the event loop testable without a CPU.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gdb_server.h"
#include "status/expected.h"
#include "vstm32/machine.h"
#include "vstm32/rom_bootloader.h"
#include "vstm32/rom_bus.h"

namespace vstm32::cli {

struct TimedByte {
  uint8_t byte;
  uint64_t at_ns;
  uint32_t baud = 0;  // tx: the firmware's rate when it sent the byte (0: not known)
};

class Device {
 public:
  virtual ~Device() = default;
  virtual uint64_t now_ns() const = 0;
  // Run the device up to simulated time `t_ns` (>= now).
  virtual void advance_to(uint64_t t_ns) = 0;
  // The next time the device needs to run even without input (nullopt: idle until input).
  virtual std::optional<uint64_t> next_event_ns() const = 0;
  virtual void rx_byte(uint8_t byte, uint64_t at_ns) = 0;
  virtual std::vector<TimedByte> take_tx() = 0;
  // Frame size on the wire now: 11 for 8E1 (ROM), 10 for 8N1.
  virtual unsigned bits_per_byte() const = 0;

  // The other U(S)ARTs (port 2..6; port 1 is the functions above).
  virtual void rx_byte(unsigned port, uint8_t byte, uint64_t at_ns) = 0;
  virtual std::vector<TimedByte> take_tx(unsigned port) = 0;
  virtual unsigned bits_per_byte(unsigned port) const = 0;
  // The rate the firmware programmed (0: not configured); USART1 in ROM mode: 0 (autobaud).
  virtual uint32_t firmware_baud(unsigned port) const = 0;
  // I2C1's external master (vstm32/i2c_bus.h): one transaction, the device running meanwhile.
  virtual I2cResult i2c_transfer(const I2cTransfer& transfer) = 0;
  virtual void i2c_set_speed_hz(uint32_t hz) = 0;
  // Drives an input pin (port 0 = A); false: no such pin.
  virtual bool set_pin(unsigned port, unsigned pin, bool level) = 0;

  virtual void set_boot0(bool high) = 0;
  virtual void set_nrst(bool asserted) = 0;
  virtual void pulse_nrst() = 0;
  virtual void set_power(bool on) = 0;
  virtual std::string status() const = 0;  // "key=value ..." for the status reply
  virtual std::vector<std::string> take_events() = 0;
  // Fault injection; fails when the device cannot do it.
  virtual fota::Expected<void> cut_after_instructions(uint64_t n) = 0;
  virtual fota::Expected<void> cut_at_flash_step(uint64_t n, double fraction) = 0;
  virtual fota::Expected<void> cut_random(uint64_t seed, uint64_t window_ns,
                                          uint64_t flash_ops) = 0;
  virtual void cancel_cut() = 0;
  virtual fota::Expected<void> save() = 0;
  // The debugger's view (`--gdb`); nullptr: the device cannot be debugged. While halted, time
  // stands still and advance_to does nothing.
  virtual DebugTarget* debug_target() { return nullptr; }
  [[nodiscard]] bool halted() {
    DebugTarget* t = debug_target();
    return t != nullptr && t->halted();
  }
};

// vstm32::Machine (CPU, peripherals, ROM bootloader) over a persisted flash image file.
fota::Expected<std::unique_ptr<Device>> make_machine_device(const MachineConfig& config);

}  // namespace vstm32::cli
