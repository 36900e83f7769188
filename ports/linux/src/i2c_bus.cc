// SPDX-License-Identifier: Apache-2.0
#include "ports_linux/i2c_bus.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/i2c-dev.h>
#include <linux/i2c.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace fota::ports_linux {

namespace {

using native::I2cBusStatus;

// Both framings carry a transfer's length in 16 bits (i2c-dev's i2c_msg.len, vstm32's request), so
// a longer transfer is refused before anything reaches the bus: a silently truncated length would
// put a different transaction on the wire. Splitting it is not an option either: two transactions
// (two STOPs) are not one to the slave.
constexpr size_t kMaxTransfer = 65535;

bool too_long(size_t size, std::string& detail) {
  if (size <= kMaxTransfer) return false;
  detail = "a transfer of " + std::to_string(size) +
           " bytes is longer than one I2C message carries (" + std::to_string(kMaxTransfer) +
           " bytes); nothing was sent";
  return true;
}

// i2c-dev: one message per transaction (START, address, data, STOP). Adapters report a NACK as
// ENXIO or EREMOTEIO (some as EIO); anything else is an adapter error.
class I2cDev final : public I2cMaster {
 public:
  I2cDev(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~I2cDev() override { ::close(fd_); }

  I2cBusStatus write(uint8_t address, std::span<const uint8_t> bytes) override {
    return transfer(address, 0, const_cast<uint8_t*>(bytes.data()), bytes.size());
  }
  I2cBusStatus read(uint8_t address, std::span<uint8_t> out) override {
    return transfer(address, I2C_M_RD, out.data(), out.size());
  }
  std::string last_detail() const override { return detail_; }
  std::string name() const override { return path_; }

 private:
  I2cBusStatus transfer(uint8_t address, uint16_t flags, uint8_t* data, size_t size) {
    if (too_long(size, detail_)) return I2cBusStatus::kIoError;
    i2c_msg msg{};
    msg.addr = address;
    msg.flags = flags;
    msg.len = static_cast<uint16_t>(size);
    msg.buf = data;
    i2c_rdwr_ioctl_data rdwr{};
    rdwr.msgs = &msg;
    rdwr.nmsgs = 1;
    if (::ioctl(fd_, I2C_RDWR, &rdwr) >= 0) return I2cBusStatus::kOk;
    const int e = errno;
    detail_ = std::strerror(e);
    if (e == ENXIO || e == EREMOTEIO || e == EIO) return I2cBusStatus::kNack;
    return I2cBusStatus::kIoError;
  }

  int fd_;
  std::string path_;
  std::string detail_;
};

// vstm32's endpoint: request 'W'/'R', address, u16 length [, data]; reply status, u16 count
// [, data].
class VstmI2c final : public I2cMaster {
 public:
  VstmI2c(int fd, uint16_t port) : fd_(fd), port_(port) {}
  ~VstmI2c() override { ::close(fd_); }

  I2cBusStatus write(uint8_t address, std::span<const uint8_t> bytes) override {
    if (too_long(bytes.size(), detail_)) return I2cBusStatus::kIoError;
    std::vector<uint8_t> req = {'W', address, static_cast<uint8_t>(bytes.size()),
                                static_cast<uint8_t>(bytes.size() >> 8)};
    req.insert(req.end(), bytes.begin(), bytes.end());
    return exchange(req, {});
  }
  I2cBusStatus read(uint8_t address, std::span<uint8_t> out) override {
    if (too_long(out.size(), detail_)) return I2cBusStatus::kIoError;
    const std::vector<uint8_t> req = {'R', address, static_cast<uint8_t>(out.size()),
                                      static_cast<uint8_t>(out.size() >> 8)};
    return exchange(req, out);
  }
  std::string last_detail() const override { return detail_; }
  std::string name() const override { return "vstm32 i2c1 at 127.0.0.1:" + std::to_string(port_); }

 private:
  bool send_all(const std::vector<uint8_t>& bytes) {
    size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    return true;
  }
  bool recv_all(uint8_t* out, size_t size) {
    size_t done = 0;
    while (done < size) {
      const ssize_t n = ::recv(fd_, out + done, size - done, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    return true;
  }
  I2cBusStatus exchange(const std::vector<uint8_t>& req, std::span<uint8_t> out) {
    uint8_t head[3];
    if (!send_all(req) || !recv_all(head, 3)) {
      detail_ = "the vstm32 endpoint closed the connection";
      return I2cBusStatus::kIoError;
    }
    const size_t count = head[1] | (size_t{head[2]} << 8);
    if (!out.empty()) {
      std::vector<uint8_t> data(count);
      if (count != 0 && !recv_all(data.data(), count)) {
        detail_ = "the vstm32 endpoint closed the connection";
        return I2cBusStatus::kIoError;
      }
      std::memset(out.data(), 0xFF, out.size());
      if (count != 0) std::memcpy(out.data(), data.data(), count < out.size() ? count : out.size());
    }
    switch (head[0]) {
      case 0: return I2cBusStatus::kOk;
      case 1: detail_ = "address not acknowledged"; return I2cBusStatus::kNack;
      case 2: detail_ = "data byte not acknowledged"; return I2cBusStatus::kNack;
      default: detail_ = "the slave held SCL low past the master's timeout";
    }
    return I2cBusStatus::kIoError;
  }

  int fd_;
  uint16_t port_;
  std::string detail_;
};

}  // namespace

Expected<std::unique_ptr<I2cMaster>> open_i2c_master(const std::string& spec) {
  if (spec.rfind("tcp:", 0) == 0) {
    char* end = nullptr;
    const unsigned long port = std::strtoul(spec.c_str() + 4, &end, 10);
    if (end == spec.c_str() + 4 || *end != '\0' || port == 0 || port > 65535) {
      return fail("I2C endpoint '" + spec + "' is not tcp:PORT");
    }
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return fail(std::string("cannot create a TCP socket: ") + std::strerror(errno));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      const int e = errno;
      ::close(fd);
      return fail("cannot connect to the vstm32 I2C endpoint 127.0.0.1:" + std::to_string(port) +
                  ": " + std::strerror(e));
    }
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return std::unique_ptr<I2cMaster>(new VstmI2c(fd, static_cast<uint16_t>(port)));
  }
  const int fd = ::open(spec.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return fail("cannot open I2C adapter " + spec + ": " + std::strerror(errno));
  unsigned long funcs = 0;
  if (::ioctl(fd, I2C_FUNCS, &funcs) != 0 || (funcs & I2C_FUNC_I2C) == 0) {
    ::close(fd);
    return fail(spec + " is not an I2C adapter that supports plain I2C transfers (I2C_RDWR)");
  }
  return std::unique_ptr<I2cMaster>(new I2cDev(fd, spec));
}

Expected<I2cTarget> parse_i2c_target(const std::string& text, uint8_t default_address) {
  I2cTarget t{text, default_address};
  const size_t colon = text.rfind(':');
  // "tcp:PORT" alone has one colon that is part of the spec.
  const bool has_address =
      colon != std::string::npos && !(text.rfind("tcp:", 0) == 0 && colon == 3);
  if (!has_address) return t;
  const std::string a = text.substr(colon + 1);
  char* end = nullptr;
  const unsigned long v = std::strtoul(a.c_str(), &end, 0);
  if (a.empty() || *end != '\0' || v < 0x08 || v > 0x77) {
    return fail("I2C address '" + a + "' in '" + text +
                "' is not a 7-bit device address (0x08..0x77)");
  }
  t.spec = text.substr(0, colon);
  t.address = static_cast<uint8_t>(v);
  return t;
}

}  // namespace fota::ports_linux
