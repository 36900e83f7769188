// SPDX-License-Identifier: Apache-2.0
// Pin backends for BOOT0/NRST: libgpiod lines, the serial port's DTR/RTS modem lines, and
// vstm32's control socket. make_pins() parses the `--pins` spec of `fota flash`:
//   vstm32:SOCKET
//   gpiod:CHIP,boot0=N,nrst=M[,boot0-active-low][,nrst-active-high]
//   serial-dtr-rts[:boot0=rts|dtr|!rts|!dtr,nrst=dtr|rts|!dtr|!rts]   (default boot0=rts,nrst=dtr)
#pragma once

#include <memory>
#include <string>

#include "an3155/port.h"
#include "ports_linux/serial_port.h"
#include "status/expected.h"

namespace fota::ports {

class Pins : public an3155::TargetPins {
 public:
  virtual ~Pins() = default;
  virtual std::string describe() const = 0;
  const std::string& last_error() const { return last_error_; }

 protected:
  std::string last_error_;
};

// vstm32 control socket: `boot0 0|1`, `nrst low|high`; each reply must be "ok".
class Vstm32Pins final : public Pins {
 public:
  ~Vstm32Pins() override;
  Expected<void> connect(const std::string& socket_path);
  an3155::PortStatus set_boot0(bool high) override;
  an3155::PortStatus set_reset(bool asserted) override;
  std::string describe() const override { return "vstm32:" + path_; }
  // Sends one command line and returns the reply line.
  Expected<std::string> command(const std::string& line);

 private:
  int fd_ = -1;
  std::string path_;
  std::string buffer_;
};

// Modem lines of the serial port. A line "asserted" drives the adapter's pin LOW (RS-232
// convention of USB-UART chips); `invert` flips that for boards with a transistor/inverter.
struct ModemLine {
  int tiocm_bit;
  bool invert;
};

class SerialModemPins final : public Pins {
 public:
  SerialModemPins(SerialPort& port, ModemLine boot0, ModemLine nrst)
      : port_(port), boot0_(boot0), nrst_(nrst) {}
  an3155::PortStatus set_boot0(bool high) override;
  an3155::PortStatus set_reset(bool asserted) override;
  std::string describe() const override;

 private:
  SerialPort& port_;
  ModemLine boot0_, nrst_;
};

struct GpiodSpec {
  std::string chip;  // "gpiochip0" or /dev/gpiochip0
  unsigned boot0_line = 0;
  unsigned nrst_line = 0;
  bool boot0_active_low = false;  // BOOT0 is active high on the STM32
  bool nrst_active_low = true;    // NRST is active low
};

class GpiodPins final : public Pins {
 public:
  ~GpiodPins() override;
  Expected<void> open(const GpiodSpec& spec);
  an3155::PortStatus set_boot0(bool high) override;
  an3155::PortStatus set_reset(bool asserted) override;
  std::string describe() const override;

 private:
  GpiodSpec spec_;
  void* chip_ = nullptr;   // gpiod_chip*
  void* boot0_ = nullptr;  // gpiod_line*
  void* nrst_ = nullptr;
};

// Parses a --pins spec and opens the backend; `serial` is needed for serial-dtr-rts.
Expected<std::unique_ptr<Pins>> make_pins(const std::string& spec, SerialPort* serial);

// Wall clock for the driver (steady clock, real sleeps).
class SystemClock final : public an3155::Clock {
 public:
  uint64_t now_us() override;
  void delay_ms(uint32_t ms) override;
};

}  // namespace fota::ports
