// SPDX-License-Identifier: Apache-2.0
// termios serial port for the AN3155 driver: 8E1 (or 8N1) at any standard baud. Works on real
// UARTs, USB adapters and pseudo-terminals (a pty forces CS8 and drops PARENB: accepted, and
// reported by parity_applied()).
#pragma once

#include <string>

#include "an3155/port.h"
#include "status/expected.h"

namespace fota::ports {

class SerialPort final : public an3155::ByteLink {
 public:
  SerialPort() = default;
  ~SerialPort();
  SerialPort(const SerialPort&) = delete;
  SerialPort& operator=(const SerialPort&) = delete;

  // Opens `path` raw, 115200 8E1. The failure names the path.
  Expected<void> open(const std::string& path);
  void close();
  bool is_open() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  // false when the device cannot keep PARENB (a pty): the line itself then decides parity.
  bool parity_applied() const { return parity_applied_; }
  const std::string& last_error() const { return last_error_; }

  an3155::PortStatus write(std::span<const uint8_t> bytes) override;
  an3155::PortStatus read(std::span<uint8_t> out, uint32_t timeout_ms, size_t& got) override;
  an3155::PortStatus flush_input() override;
  an3155::PortStatus configure(uint32_t baud, an3155::Parity parity) override;

  // Modem lines (for the DTR/RTS pin backend). asserted = line active (TIOCMBIS).
  bool set_modem_line(int tiocm_bit, bool asserted);

 private:
  an3155::PortStatus fail(const char* what);
  void request_low_latency();
  int fd_ = -1;
  std::string path_;
  std::string last_error_;
  bool parity_applied_ = true;
};

// Maps 1200..4000000 to a termios speed constant; 0 when not a standard rate.
unsigned baud_to_speed(uint32_t baud);

}  // namespace fota::ports
