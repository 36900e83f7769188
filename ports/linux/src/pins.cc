// SPDX-License-Identifier: Apache-2.0
#include "ports_linux/pins.h"

#include <gpiod.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <sstream>
#include <thread>
#include <vector>

namespace fota::ports {

using an3155::PortStatus;

// ---- vstm32 control socket ----

Vstm32Pins::~Vstm32Pins() {
  if (fd_ >= 0) ::close(fd_);
}

Expected<void> Vstm32Pins::connect(const std::string& socket_path) {
  path_ = socket_path;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof addr.sun_path) {
    return fota::fail("control socket path too long: " + socket_path);
  }
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return fota::fail("cannot connect to vstm32 control socket " + socket_path + ": " +
                      std::strerror(errno));
  }
  return {};
}

Expected<std::string> Vstm32Pins::command(const std::string& line) {
  const std::string out = line + "\n";
  if (::send(fd_, out.data(), out.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(out.size())) {
    return fota::fail("vstm32 control socket " + path_ + ": " + std::strerror(errno));
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    const size_t nl = buffer_.find('\n');
    if (nl != std::string::npos) {
      std::string reply = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      return reply;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return fota::fail("vstm32 control socket " + path_ + ": no reply to '" + line + "'");
    }
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[512];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
      return fota::fail("vstm32 control socket " + path_ + " closed");
    }
    buffer_.append(buf, static_cast<size_t>(n));
  }
}

namespace {
PortStatus expect_ok(Vstm32Pins& pins, const std::string& line, std::string& error) {
  const auto reply = pins.command(line);
  if (!reply) {
    error = reply.error();
  } else if (reply->rfind("ok", 0) == 0) {
    return PortStatus::kOk;
  } else {
    error = "vstm32 refused '" + line + "': " + *reply;
  }
  return PortStatus::kIoError;
}
}  // namespace

PortStatus Vstm32Pins::set_boot0(bool high) {
  return expect_ok(*this, high ? "boot0 1" : "boot0 0", last_error_);
}

PortStatus Vstm32Pins::set_reset(bool asserted) {
  return expect_ok(*this, asserted ? "nrst low" : "nrst high", last_error_);
}

// ---- DTR/RTS ----

namespace {
const char* line_name(int bit) {
  return bit == TIOCM_DTR ? "dtr" : "rts";
}
}  // namespace

PortStatus SerialModemPins::set_boot0(bool high) {
  // Asserted modem line = pin low on the adapter; so BOOT0 high = line released unless inverted.
  const bool assert_line = boot0_.invert ? high : !high;
  if (!port_.set_modem_line(boot0_.tiocm_bit, assert_line)) {
    last_error_ = port_.last_error() + " (no modem lines on this port? ptys have none)";
    return PortStatus::kIoError;
  }
  return PortStatus::kOk;
}

PortStatus SerialModemPins::set_reset(bool asserted) {
  // NRST is active low: reset = pin low = line asserted (unless inverted).
  const bool assert_line = nrst_.invert ? !asserted : asserted;
  if (!port_.set_modem_line(nrst_.tiocm_bit, assert_line)) {
    last_error_ = port_.last_error() + " (no modem lines on this port? ptys have none)";
    return PortStatus::kIoError;
  }
  return PortStatus::kOk;
}

std::string SerialModemPins::describe() const {
  return std::string("serial-dtr-rts:boot0=") + (boot0_.invert ? "!" : "") +
         line_name(boot0_.tiocm_bit) + ",nrst=" + (nrst_.invert ? "!" : "") +
         line_name(nrst_.tiocm_bit);
}

// ---- libgpiod (v1 API) ----

GpiodPins::~GpiodPins() {
  if (boot0_) gpiod_line_release(static_cast<gpiod_line*>(boot0_));
  if (nrst_) gpiod_line_release(static_cast<gpiod_line*>(nrst_));
  if (chip_) gpiod_chip_close(static_cast<gpiod_chip*>(chip_));
}

Expected<void> GpiodPins::open(const GpiodSpec& spec) {
  spec_ = spec;
  gpiod_chip* chip = gpiod_chip_open_lookup(spec.chip.c_str());
  if (!chip)
    return fota::fail("cannot open GPIO chip '" + spec.chip + "': " + std::strerror(errno));
  chip_ = chip;
  auto request = [&](unsigned offset, bool active_low, int initial, void*& out) -> Expected<void> {
    gpiod_line* line = gpiod_chip_get_line(chip, offset);
    const int flags = active_low ? GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW : 0;
    if (!line || gpiod_line_request_output_flags(line, "fota", flags, initial) != 0) {
      return fota::fail("cannot request GPIO line " + std::to_string(offset) + " on " + spec.chip +
                        ": " + std::strerror(errno));
    }
    out = line;
    return {};
  };
  // Start with BOOT0 low and NRST released: the target keeps running until we reset it.
  FOTA_TRY_EXPECTED(request(spec.boot0_line, spec.boot0_active_low, 0, boot0_));
  return request(spec.nrst_line, spec.nrst_active_low, 0, nrst_);
}

PortStatus GpiodPins::set_boot0(bool high) {
  if (gpiod_line_set_value(static_cast<gpiod_line*>(boot0_), high ? 1 : 0) != 0) {
    last_error_ = std::string("gpiod BOOT0: ") + std::strerror(errno);
    return PortStatus::kIoError;
  }
  return PortStatus::kOk;
}

PortStatus GpiodPins::set_reset(bool asserted) {
  if (gpiod_line_set_value(static_cast<gpiod_line*>(nrst_), asserted ? 1 : 0) != 0) {
    last_error_ = std::string("gpiod NRST: ") + std::strerror(errno);
    return PortStatus::kIoError;
  }
  return PortStatus::kOk;
}

std::string GpiodPins::describe() const {
  return "gpiod:" + spec_.chip + ",boot0=" + std::to_string(spec_.boot0_line) +
         ",nrst=" + std::to_string(spec_.nrst_line);
}

// ---- spec parsing ----

namespace {
std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, sep)) out.push_back(item);
  return out;
}

bool parse_unsigned(const std::string& text, unsigned& value) {
  if (text.empty() || text.size() > 6) return false;
  value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  return true;
}

bool parse_modem(const std::string& text, ModemLine& line) {
  std::string name = text;
  line.invert = !name.empty() && name[0] == '!';
  if (line.invert) name.erase(0, 1);
  if (name == "dtr")
    line.tiocm_bit = TIOCM_DTR;
  else if (name == "rts")
    line.tiocm_bit = TIOCM_RTS;
  else
    return false;
  return true;
}
}  // namespace

Expected<std::unique_ptr<Pins>> make_pins(const std::string& spec, SerialPort* serial) {
  const std::string kinds =
      " (expected vstm32:SOCKET, gpiod:CHIP,boot0=N,nrst=M or serial-dtr-rts)";
  if (spec.rfind("vstm32:", 0) == 0) {
    auto pins = std::make_unique<Vstm32Pins>();
    FOTA_TRY_EXPECTED(pins->connect(spec.substr(7)));
    return std::unique_ptr<Pins>(std::move(pins));
  }
  if (spec.rfind("gpiod:", 0) == 0) {
    const auto parts = split(spec.substr(6), ',');
    GpiodSpec g;
    bool have_boot0 = false, have_nrst = false;
    for (size_t i = 0; i < parts.size(); ++i) {
      const std::string& p = parts[i];
      if (i == 0) {
        g.chip = p;
      } else if (p.rfind("boot0=", 0) == 0 && parse_unsigned(p.substr(6), g.boot0_line)) {
        have_boot0 = true;
      } else if (p.rfind("nrst=", 0) == 0 && parse_unsigned(p.substr(5), g.nrst_line)) {
        have_nrst = true;
      } else if (p == "boot0-active-low") {
        g.boot0_active_low = true;
      } else if (p == "nrst-active-high") {
        g.nrst_active_low = false;
      } else {
        return fota::fail("bad gpiod pin option '" + p + "' in '" + spec + "'");
      }
    }
    if (g.chip.empty() || !have_boot0 || !have_nrst) {
      return fota::fail("gpiod pins need a chip, boot0=LINE and nrst=LINE: '" + spec + "'");
    }
    auto pins = std::make_unique<GpiodPins>();
    FOTA_TRY_EXPECTED(pins->open(g));
    return std::unique_ptr<Pins>(std::move(pins));
  }
  if (spec.rfind("serial-dtr-rts", 0) == 0) {
    if (!serial) {
      return fota::fail("serial-dtr-rts pins need the serial port");
    }
    ModemLine boot0{TIOCM_RTS, false}, nrst{TIOCM_DTR, false};
    const std::string rest = spec.substr(14);
    if (!rest.empty()) {
      if (rest[0] != ':') {
        return fota::fail("unknown pin backend '" + spec + "'" + kinds);
      }
      for (const auto& p : split(rest.substr(1), ',')) {
        if (p.rfind("boot0=", 0) == 0 && parse_modem(p.substr(6), boot0)) continue;
        if (p.rfind("nrst=", 0) == 0 && parse_modem(p.substr(5), nrst)) continue;
        return fota::fail("bad serial-dtr-rts option '" + p +
                          "' (boot0=|nrst= with [!]dtr or [!]rts)");
      }
    }
    if (boot0.tiocm_bit == nrst.tiocm_bit) {
      return fota::fail("BOOT0 and NRST cannot share one modem line");
    }
    return std::unique_ptr<Pins>(std::make_unique<SerialModemPins>(*serial, boot0, nrst));
  }
  return fota::fail("unknown pin backend '" + spec + "'" + kinds);
}

uint64_t SystemClock::now_us() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

void SystemClock::delay_ms(uint32_t ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

}  // namespace fota::ports
