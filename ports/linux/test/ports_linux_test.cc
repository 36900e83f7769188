// SPDX-License-Identifier: Apache-2.0
// Linux ports against real kernel objects: a pty pair for the serial port, a Unix socket server
// standing in for vstm32's control socket, a TCP listener standing in for vstm32's I2C1 endpoint.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

#include "ports_linux/i2c_bus.h"
#include "ports_linux/pins.h"
#include "ports_linux/serial_port.h"

namespace fota::ports {
namespace {

using an3155::PortStatus;

struct Pty {
  Pty() {
    master = posix_openpt(O_RDWR | O_NOCTTY);
    EXPECT_GE(master, 0);
    EXPECT_EQ(grantpt(master), 0);
    EXPECT_EQ(unlockpt(master), 0);
    slave = ptsname(master);
  }
  ~Pty() {
    if (master >= 0) close(master);
  }
  int master = -1;
  std::string slave;
};

// Joins a fake peer's thread on every way out of a test, an ASSERT included (a joinable thread
// left behind would abort the whole binary): shutting the listener down wakes an accept() that
// no client will reach.
class PeerThreadGuard {
 public:
  PeerThreadGuard(std::thread& thread, int listener) : thread_(thread), listener_(listener) {}
  PeerThreadGuard(const PeerThreadGuard&) = delete;
  PeerThreadGuard& operator=(const PeerThreadGuard&) = delete;
  ~PeerThreadGuard() {
    if (!thread_.joinable()) return;
    shutdown(listener_, SHUT_RDWR);
    thread_.join();
  }

 private:
  std::thread& thread_;
  int listener_;
};

TEST(SerialPortTest, OpensPtyAt8E1AndMovesBytes) {
  Pty pty;
  SerialPort port;
  const auto opened = port.open(pty.slave);
  ASSERT_TRUE(opened) << opened.error();
  EXPECT_FALSE(port.parity_applied());  // a pty drops PARENB, and we accept that
  const uint8_t out[] = {0x7F};
  ASSERT_EQ(port.write(out), PortStatus::kOk);
  uint8_t seen = 0;
  ASSERT_EQ(read(pty.master, &seen, 1), 1);
  EXPECT_EQ(seen, 0x7F);
  const uint8_t reply[] = {0x79, 0x31};
  ASSERT_EQ(write(pty.master, reply, 2), 2);
  uint8_t in[2];
  size_t got = 0;
  ASSERT_EQ(port.read(in, 1000, got), PortStatus::kOk);
  EXPECT_EQ(got, 2u);
  EXPECT_EQ(in[1], 0x31);
}

TEST(SerialPortTest, ReconfiguringAPtyFor8E1KeepsWorking) {
  // Linux refuses PARENB on a pty with EINVAL once nothing else changes: the second configure of
  // the same settings must still succeed (as `fota flash` does on enter and on every re-sync).
  Pty pty;
  SerialPort port;
  const auto opened = port.open(pty.slave);
  ASSERT_TRUE(opened) << opened.error();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(port.configure(115200, an3155::Parity::kEven), PortStatus::kOk) << port.last_error();
  }
}

TEST(SerialPortTest, ReadTimesOutWithPartialData) {
  Pty pty;
  SerialPort port;
  const auto opened = port.open(pty.slave);
  ASSERT_TRUE(opened) << opened.error();
  const uint8_t reply[] = {0x79};
  ASSERT_EQ(write(pty.master, reply, 1), 1);
  uint8_t in[4];
  size_t got = 0;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(port.read(in, 50, got), PortStatus::kTimeout);
  EXPECT_EQ(got, 1u);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(45));
}

TEST(SerialPortTest, FlushDropsPendingInput) {
  Pty pty;
  SerialPort port;
  const auto opened = port.open(pty.slave);
  ASSERT_TRUE(opened) << opened.error();
  const uint8_t junk[] = {1, 2, 3};
  ASSERT_EQ(write(pty.master, junk, 3), 3);
  // Wait (bounded) until the bytes are readable, then flush.
  pollfd p{port.fd(), POLLIN, 0};
  ASSERT_EQ(poll(&p, 1, 1000), 1);
  ASSERT_EQ(port.flush_input(), PortStatus::kOk);
  uint8_t in[1];
  size_t got = 0;
  EXPECT_EQ(port.read(in, 20, got), PortStatus::kTimeout);
  EXPECT_EQ(got, 0u);
}

TEST(SerialPortTest, VanishedDeviceIsAnIoErrorNotATimeout) {
  Pty pty;
  SerialPort port;
  const auto opened = port.open(pty.slave);
  ASSERT_TRUE(opened) << opened.error();
  close(pty.master);
  pty.master = -1;
  uint8_t in[1];
  size_t got = 0;
  EXPECT_EQ(port.read(in, 2000, got), PortStatus::kIoError);
  EXPECT_FALSE(port.last_error().empty());
}

TEST(SerialPortTest, RefusesMissingPathsNonTtysAndOddBauds) {
  SerialPort port;
  const auto missing = port.open("/nonexistent/tty");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().find("/nonexistent/tty"), std::string::npos);
  const auto not_tty = port.open("/dev/null");
  ASSERT_FALSE(not_tty);
  EXPECT_NE(not_tty.error().find("not a serial port"), std::string::npos);
  Pty pty;
  ASSERT_TRUE(port.open(pty.slave));
  EXPECT_EQ(port.configure(12345, an3155::Parity::kEven), PortStatus::kUnsupported);
  EXPECT_EQ(port.configure(57600, an3155::Parity::kEven), PortStatus::kOk);
}

TEST(PinsTest, SpecErrorsNameTheProblem) {
  auto error_of = [](const auto& made) { return made ? std::string() : made.error(); };
  EXPECT_FALSE(make_pins("banana", nullptr));
  EXPECT_NE(error_of(make_pins("banana", nullptr)).find("unknown pin backend 'banana'"),
            std::string::npos);
  EXPECT_NE(error_of(make_pins("gpiod:gpiochip0,boot0=4", nullptr)).find("nrst=LINE"),
            std::string::npos);
  EXPECT_NE(error_of(make_pins("gpiod:gpiochip0,boot0=4,nrst=5,bogus", nullptr)).find("bogus"),
            std::string::npos);
  EXPECT_NE(error_of(make_pins("gpiod:no-such-chip,boot0=4,nrst=5", nullptr)).find("no-such-chip"),
            std::string::npos);
  EXPECT_FALSE(make_pins("serial-dtr-rts", nullptr));
  EXPECT_NE(error_of(make_pins("vstm32:/nonexistent.sock", nullptr)).find("/nonexistent.sock"),
            std::string::npos);
  Pty pty;
  SerialPort port;
  ASSERT_TRUE(port.open(pty.slave));
  EXPECT_FALSE(make_pins("serial-dtr-rts:boot0=dtr,nrst=dtr", &port));
  EXPECT_FALSE(make_pins("serial-dtr-rts:boot0=cts", &port));
  auto made = make_pins("serial-dtr-rts:boot0=!dtr,nrst=rts", &port);
  ASSERT_TRUE(made) << made.error();
  auto& pins = *made;
  EXPECT_EQ(pins->describe(), "serial-dtr-rts:boot0=!dtr,nrst=rts");
  // A pty has no modem lines: a clear I/O error, not a silent success.
  EXPECT_EQ(pins->set_boot0(true), PortStatus::kIoError);
  EXPECT_NE(pins->last_error().find("modem"), std::string::npos);
}

// A stand-in for vstm32's control socket: records commands, answers "ok" or an error.
TEST(PinsTest, Vstm32ControlSocketCommands) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("fota_pins_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "ctl").string();
  const int server = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  ASSERT_EQ(bind(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(server, 1), 0);
  std::string seen;
  std::thread peer([&] {
    const int c = accept(server, nullptr, nullptr);
    std::string buf;
    char ch;
    while (read(c, &ch, 1) == 1) {
      if (ch != '\n') {
        buf += ch;
        continue;
      }
      seen += buf + ";";
      const std::string reply = buf == "nrst low" ? "error power is off\n" : "ok\n";
      if (write(c, reply.data(), reply.size()) < 0) break;
      buf.clear();
    }
    close(c);
  });
  PeerThreadGuard guard(peer, server);
  {
    auto made = make_pins("vstm32:" + path, nullptr);
    ASSERT_TRUE(made) << made.error();
    auto& pins = *made;
    EXPECT_EQ(pins->set_boot0(true), PortStatus::kOk);
    EXPECT_EQ(pins->set_reset(false), PortStatus::kOk);
    EXPECT_EQ(pins->set_reset(true), PortStatus::kIoError);
    EXPECT_NE(pins->last_error().find("power is off"), std::string::npos);
  }
  peer.join();
  close(server);
  std::filesystem::remove_all(dir);
  EXPECT_EQ(seen, "boot0 1;nrst high;nrst low;");
}

// vstm32's I2C framing carries a 16-bit length: 65,535 bytes go out whole (request header
// 'W', address, ff ff), one byte more is refused with a message and nothing reaches the socket.
TEST(VstmI2cTest, TransfersAbove65535BytesAreRefusedNotTruncated) {
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  ASSERT_EQ(listen(listener, 1), 0);
  std::vector<uint8_t> received;
  std::thread endpoint([&] {
    const int c = accept(listener, nullptr, nullptr);
    if (c < 0) return;
    uint8_t buf[4096];
    for (;;) {
      const ssize_t n = recv(c, buf, sizeof buf, 0);
      if (n <= 0) break;
      received.insert(received.end(), buf, buf + n);
      if (received.size() == 4 + 65535) {
        const uint8_t ok[3] = {0, 0, 0};  // status ok, no data
        (void)!send(c, ok, sizeof ok, MSG_NOSIGNAL);
      }
    }
    close(c);
  });
  PeerThreadGuard guard(endpoint, listener);
  {
    auto bus = ports_linux::open_i2c_master("tcp:" + std::to_string(ntohs(addr.sin_port)));
    ASSERT_TRUE(bus.ok());
    std::vector<uint8_t> data(65536, 0x5A);
    EXPECT_EQ((*bus)->write(0x42, data), native::I2cBusStatus::kIoError);
    EXPECT_NE((*bus)->last_detail().find("65536 bytes"), std::string::npos)
        << (*bus)->last_detail();
    EXPECT_NE((*bus)->last_detail().find("nothing was sent"), std::string::npos);
    EXPECT_EQ((*bus)->read(0x42, data), native::I2cBusStatus::kIoError);
    EXPECT_NE((*bus)->last_detail().find("65536 bytes"), std::string::npos);
    EXPECT_EQ((*bus)->write(0x42, std::span<const uint8_t>(data).first(65535)),
              native::I2cBusStatus::kOk)
        << (*bus)->last_detail();
  }  // closes the connection: the endpoint thread ends
  endpoint.join();
  close(listener);
  ASSERT_EQ(received.size(), 4u + 65535u);
  EXPECT_EQ(received[0], 'W');
  EXPECT_EQ(received[1], 0x42);
  EXPECT_EQ(received[2], 0xFF);
  EXPECT_EQ(received[3], 0xFF);
}

}  // namespace
}  // namespace fota::ports
