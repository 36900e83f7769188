// SPDX-License-Identifier: Apache-2.0
#include "ports_linux/serial_port.h"

#include <fcntl.h>
#include <linux/serial.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace fota::ports {

using an3155::PortStatus;

unsigned baud_to_speed(uint32_t baud) {
  switch (baud) {
    case 1200: return B1200;
    case 2400: return B2400;
    case 4800: return B4800;
    case 9600: return B9600;
    case 19200: return B19200;
    case 38400: return B38400;
    case 57600: return B57600;
    case 115200: return B115200;
    case 230400: return B230400;
    case 460800: return B460800;
    case 500000: return B500000;
    case 576000: return B576000;
    case 921600: return B921600;
    case 1000000: return B1000000;
    case 1500000: return B1500000;
    case 2000000: return B2000000;
    case 3000000: return B3000000;
    case 4000000: return B4000000;
    default: return 0;
  }
}

SerialPort::~SerialPort() {
  close();
}

void SerialPort::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

PortStatus SerialPort::fail(const char* what) {
  last_error_ = std::string(what) + " " + path_ + ": " + std::strerror(errno);
  return PortStatus::kIoError;
}

Expected<void> SerialPort::open(const std::string& path) {
  close();
  path_ = path;
  fd_ = ::open(path.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd_ < 0) return fota::fail("cannot open serial port " + path + ": " + std::strerror(errno));
  if (!isatty(fd_)) {
    close();
    return fota::fail(path + " is not a serial port (tty)");
  }
  if (configure(115200, an3155::Parity::kEven) != PortStatus::kOk) {
    close();
    return fota::fail(last_error_);
  }
  request_low_latency();
  return {};
}

// Every AN3155 block waits for one ACK byte, so receive latency is paid once per 256 bytes:
// ASYNC_LOW_LATENCY makes ftdi_sio drop its latency timer from 16 ms to 1 ms and 8250 UARTs
// hand over bytes without waiting for the FIFO threshold. Best effort: ptys and other drivers
// refuse it and work as they are.
void SerialPort::request_low_latency() {
  serial_struct serial{};
  if (ioctl(fd_, TIOCGSERIAL, &serial) != 0) return;
  if (serial.flags & ASYNC_LOW_LATENCY) return;
  serial.flags |= ASYNC_LOW_LATENCY;
  (void)ioctl(fd_, TIOCSSERIAL, &serial);
}

PortStatus SerialPort::configure(uint32_t baud, an3155::Parity parity) {
  if (fd_ < 0) return PortStatus::kIoError;
  const unsigned speed = baud_to_speed(baud);
  if (speed == 0) {
    last_error_ = "unsupported baud rate " + std::to_string(baud);
    return PortStatus::kUnsupported;
  }
  termios tio{};
  if (tcgetattr(fd_, &tio) != 0) return fail("tcgetattr");
  cfmakeraw(&tio);
  tio.c_cflag &= ~static_cast<tcflag_t>(CSIZE | CSTOPB | PARODD | CRTSCTS | PARENB);
  tio.c_cflag |= CS8 | CLOCAL | CREAD;
  if (parity == an3155::Parity::kEven) tio.c_cflag |= PARENB;
  tio.c_iflag &= ~static_cast<tcflag_t>(IXON | IXOFF | IXANY | INPCK | ISTRIP);
  tio.c_cc[VMIN] = 0;
  tio.c_cc[VTIME] = 0;
  cfsetispeed(&tio, speed);
  cfsetospeed(&tio, speed);
  if (tcsetattr(fd_, TCSANOW, &tio) != 0) {
    // A pty refuses PARENB with EINVAL once nothing else changes (it cannot keep it anyway):
    // apply the rest without parity rather than refuse the port.
    if (errno != EINVAL || (tio.c_cflag & PARENB) == 0) return fail("tcsetattr");
    tio.c_cflag &= ~static_cast<tcflag_t>(PARENB);
    if (tcsetattr(fd_, TCSANOW, &tio) != 0) return fail("tcsetattr");
  }
  termios check{};
  if (tcgetattr(fd_, &check) != 0) return fail("tcgetattr");
  // A pty keeps CS8 but clears PARENB: accept it (the pty carries no parity bits).
  parity_applied_ = parity == an3155::Parity::kNone || (check.c_cflag & PARENB) != 0;
  if ((check.c_cflag & CSIZE) != CS8) {
    last_error_ = path_ + " refused 8 data bits";
    return PortStatus::kUnsupported;
  }
  return PortStatus::kOk;
}

namespace {
// FOTA_SERIAL_TRACE=FILE: every byte sent (">") and received ("<"), one hex line per call, after
// the milliseconds since the first traced call (for latency analysis).
FILE* trace_file() {
  static FILE* file = [] {
    const char* path = std::getenv("FOTA_SERIAL_TRACE");
    return path ? std::fopen(path, "a") : nullptr;
  }();
  return file;
}
void trace(char direction, const uint8_t* data, size_t size) {
  FILE* f = trace_file();
  if (!f || size == 0) return;
  static const auto start = std::chrono::steady_clock::now();
  const std::chrono::duration<double, std::milli> since = std::chrono::steady_clock::now() - start;
  std::fprintf(f, "%10.3f %c", since.count(), direction);
  for (size_t i = 0; i < size; ++i) std::fprintf(f, " %02X", data[i]);
  std::fputc('\n', f);
  std::fflush(f);
}
}  // namespace

PortStatus SerialPort::write(std::span<const uint8_t> bytes) {
  if (fd_ < 0) return PortStatus::kIoError;
  trace('>', bytes.data(), bytes.size());
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      pollfd p{fd_, POLLOUT, 0};
      const int r = ::poll(&p, 1, 1000);
      if (r < 0 && errno != EINTR) return fail("poll");
      if (r > 0 && (p.revents & (POLLERR | POLLHUP | POLLNVAL))) {
        errno = EIO;
        return fail("write");
      }
      continue;
    }
    return fail("write");
  }
  return PortStatus::kOk;
}

PortStatus SerialPort::read(std::span<uint8_t> out, uint32_t timeout_ms, size_t& got) {
  got = 0;
  if (fd_ < 0) return PortStatus::kIoError;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (got < out.size()) {
    const ssize_t n = ::read(fd_, out.data() + got, out.size() - got);
    if (n > 0) {
      trace('<', out.data() + got, static_cast<size_t>(n));
      got += static_cast<size_t>(n);
      continue;
    }
    if (n == 0) {
      // EOF on a tty: the other end (pty master, USB device) is gone... or nothing yet on a
      // pty whose master is open. Distinguish with poll's HUP below.
    } else if (errno != EAGAIN && errno != EINTR) {
      return fail("read");
    }
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return PortStatus::kTimeout;
    const int wait_ms =
        static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count());
    pollfd p{fd_, POLLIN, 0};
    const int r = ::poll(&p, 1, wait_ms);
    if (r < 0 && errno != EINTR) return fail("poll");
    if (r > 0 && (p.revents & (POLLERR | POLLNVAL))) {
      errno = EIO;
      return fail("read");
    }
    if (r > 0 && (p.revents & POLLHUP) && !(p.revents & POLLIN)) {
      errno = ENODEV;
      return fail("read");
    }
  }
  return PortStatus::kOk;
}

PortStatus SerialPort::flush_input() {
  if (fd_ < 0) return PortStatus::kIoError;
  if (tcflush(fd_, TCIFLUSH) != 0) return fail("tcflush");
  // Drain what a pty may still hand over.
  uint8_t sink[256];
  while (::read(fd_, sink, sizeof sink) > 0) {
  }
  return PortStatus::kOk;
}

bool SerialPort::set_modem_line(int tiocm_bit, bool asserted) {
  if (fd_ < 0) return false;
  int bits = tiocm_bit;
  if (ioctl(fd_, asserted ? TIOCMBIS : TIOCMBIC, &bits) != 0) {
    fail("modem line ioctl on");
    return false;
  }
  return true;
}

}  // namespace fota::ports
