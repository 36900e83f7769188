// SPDX-License-Identifier: Apache-2.0
// The two (three) small seams the AN3155 driver runs over: a byte link to USART1 of the target,
// the target's BOOT0/NRST pins, and a clock. The core never sleeps or reads a clock by itself, so
// the same code runs on Linux (ports/linux), on an ESP32 and against scripted fakes in tests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace fota::an3155 {

enum class PortStatus : uint8_t {
  kOk = 0,
  kTimeout,      // read: fewer bytes than asked arrived before the deadline
  kIoError,      // the device went away (cable pulled, port closed) or the OS refused
  kUnsupported,  // e.g. a baud rate the port cannot do
};

enum class Parity : uint8_t { kNone, kEven };

// What kind of wire a ByteLink is; the drivers adapt to it. The defaults describe a UART.
struct LinkTraits {
  // A write reaches the device only while it listens (an I2C master needs its address
  // acknowledged), so nothing can be queued on the line while the device is held in reset.
  bool needs_listener = false;
  // The line has a rate that configure() sets; else configure() is accepted and ignored.
  bool has_baud = true;
  // The application's console (USART1 lines) arrives on this link too.
  bool carries_console = true;
};

class ByteLink {
 public:
  virtual LinkTraits traits() const { return {}; }
  [[nodiscard]] virtual PortStatus write(std::span<const uint8_t> bytes) = 0;
  // Reads up to out.size() bytes, returning once all arrived or timeout_ms passed; `got` says how
  // many arrived (kTimeout when fewer than asked).
  [[nodiscard]] virtual PortStatus read(std::span<uint8_t> out, uint32_t timeout_ms,
                                        size_t& got) = 0;
  // Drops whatever was received but not read yet.
  [[nodiscard]] virtual PortStatus flush_input() = 0;
  [[nodiscard]] virtual PortStatus configure(uint32_t baud, Parity parity) = 0;

 protected:
  ~ByteLink() = default;
};

class TargetPins {
 public:
  [[nodiscard]] virtual PortStatus set_boot0(bool high) = 0;
  // asserted = NRST held low (target in reset).
  [[nodiscard]] virtual PortStatus set_reset(bool asserted) = 0;

 protected:
  ~TargetPins() = default;
};

class Clock {
 public:
  virtual uint64_t now_us() = 0;
  virtual void delay_ms(uint32_t ms) = 0;

 protected:
  ~Clock() = default;
};

}  // namespace fota::an3155
