// SPDX-License-Identifier: Apache-2.0
// The pty and TCP ends of the virtual USART1, the wire model and bit-error injection.
#include "vstm32/serial.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "test_dir.h"

namespace vstm32 {
namespace {

class TempDir : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::fresh_test_dir("vstm32-serial-"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

bool wait_readable(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, timeout_ms) == 1;
}

using PtyTest = TempDir;

TEST_F(PtyTest, BytesFlowBothWaysThroughTheLink) {
  const auto link = dir_ / "tty";
  auto opened = PtyPort::open(link);
  ASSERT_TRUE(opened.ok()) << opened.error();
  auto pty = std::move(opened).value();
  EXPECT_TRUE(std::filesystem::is_symlink(link));
  EXPECT_EQ(std::filesystem::read_symlink(link), pty->slave_name());

  const int client = ::open(link.c_str(), O_RDWR | O_NOCTTY);
  ASSERT_GE(client, 0);
  termios tio{};
  ASSERT_EQ(tcgetattr(client, &tio), 0);
  cfmakeraw(&tio);
  cfsetospeed(&tio, B57600);
  cfsetispeed(&tio, B57600);
  ASSERT_EQ(tcsetattr(client, TCSANOW, &tio), 0);
  EXPECT_EQ(pty->baud(), 57600u) << "the rate the serial program chose";

  const uint8_t out[] = {0x7F, 0x00, 0xFF, 0x0A, 0x0D};
  ASSERT_EQ(::write(client, out, sizeof out), static_cast<ssize_t>(sizeof out));
  std::vector<uint8_t> got;
  while (got.size() < sizeof out && wait_readable(pty->fd(), 2000)) {
    auto chunk = pty->read_available();
    got.insert(got.end(), chunk.begin(), chunk.end());
  }
  EXPECT_EQ(got, std::vector<uint8_t>(out, out + sizeof out)) << "raw: no CR/LF mangling";

  const uint8_t in[] = {0x79, 0x1F, 0x0A, 0x11};
  EXPECT_EQ(pty->write(in), 0u);
  std::vector<uint8_t> back;
  while (back.size() < sizeof in && wait_readable(client, 2000)) {
    uint8_t buf[16];
    const ssize_t n = ::read(client, buf, sizeof buf);
    ASSERT_GT(n, 0);
    back.insert(back.end(), buf, buf + n);
  }
  EXPECT_EQ(back, std::vector<uint8_t>(in, in + sizeof in));
  ::close(client);
  // The client went away: the port keeps working for the next one.
  EXPECT_TRUE(pty->read_available().empty());
  pty.reset();
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(link)))
      << "the link is removed on exit";
}

TEST_F(PtyTest, RefusesAPathThatIsNotOurs) {
  const auto file = dir_ / "file";
  { std::ofstream(file) << "keep me"; }
  const auto refused = PtyPort::open(file);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().find(file.string()), std::string::npos) << refused.error();
  EXPECT_NE(refused.error().find("already exists"), std::string::npos) << refused.error();
  EXPECT_TRUE(std::filesystem::is_regular_file(file)) << "never removed";

  const auto other = dir_ / "other-link";
  std::filesystem::create_symlink("/dev/null", other);
  EXPECT_FALSE(PtyPort::open(other).ok());

  // A live pty link (another vstm32) is not stale either.
  const auto first = PtyPort::open(dir_ / "live");
  ASSERT_TRUE(first.ok()) << first.error();
  EXPECT_FALSE(PtyPort::open(dir_ / "live").ok());
}

TEST_F(PtyTest, ReplacesAStaleLinkOfACrashedRun) {
  const auto link = dir_ / "tty";
  std::filesystem::create_symlink("/dev/pts/987654", link);
  auto opened = PtyPort::open(link);
  ASSERT_TRUE(opened.ok()) << opened.error();
  const auto pty = std::move(opened).value();
  EXPECT_EQ(std::filesystem::read_symlink(link), pty->slave_name());
}

TEST_F(PtyTest, NobodyListeningDropsInsteadOfBlocking) {
  auto opened = PtyPort::open(dir_ / "tty");
  ASSERT_TRUE(opened.ok()) << opened.error();
  const auto pty = std::move(opened).value();
  std::vector<uint8_t> lots(1 << 20, 0x55);
  const size_t dropped = pty->write(lots);
  EXPECT_GT(dropped, 0u);
  EXPECT_LT(dropped, lots.size());
}

TEST(TcpPortTest, OneClientAtATimeOnLoopback) {
  auto opened = TcpPort::open(0);
  ASSERT_TRUE(opened.ok()) << opened.error();
  const auto tcp = std::move(opened).value();
  ASSERT_NE(tcp->port(), 0);
  auto connect_client = [&] {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(tcp->port());
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    return fd;
  };
  const int a = connect_client();
  ASSERT_TRUE(wait_readable(tcp->listen_fd(), 2000));
  tcp->accept_client();
  ASSERT_GE(tcp->client_fd(), 0);
  ASSERT_EQ(::send(a, "\x7f", 1, 0), 1);
  ASSERT_TRUE(wait_readable(tcp->client_fd(), 2000));
  EXPECT_EQ(tcp->read_available(), std::vector<uint8_t>{0x7F});
  const uint8_t ack = 0x79;
  tcp->write({&ack, 1});
  uint8_t got = 0;
  ASSERT_TRUE(wait_readable(a, 2000));
  EXPECT_EQ(::recv(a, &got, 1, 0), 1);
  EXPECT_EQ(got, 0x79);
  // A second client replaces the first, whose connection is closed.
  const int b = connect_client();
  ASSERT_TRUE(wait_readable(tcp->listen_fd(), 2000));
  tcp->accept_client();
  ASSERT_TRUE(wait_readable(a, 2000));
  EXPECT_EQ(::recv(a, &got, 1, 0), 0) << "old client sees EOF";
  ::close(a);
  ::close(b);
  ASSERT_TRUE(wait_readable(tcp->client_fd(), 2000));
  EXPECT_TRUE(tcp->read_available().empty());
  EXPECT_EQ(tcp->client_fd(), -1) << "EOF drops the client";
}

TEST(TcpPortTest, BusyPortIsAClearError) {
  auto opened = TcpPort::open(0);
  ASSERT_TRUE(opened.ok()) << opened.error();
  const auto first = std::move(opened).value();
  const auto busy = TcpPort::open(first->port());
  ASSERT_FALSE(busy.ok());
  EXPECT_NE(busy.error().find("127.0.0.1:" + std::to_string(first->port())), std::string::npos)
      << busy.error();
}

TEST(WireLineTest, ByteTimesAndSerialisation) {
  EXPECT_EQ(WireLine::byte_ns(115200, 11), 95'486u);  // 8E1: 95.5 us
  EXPECT_EQ(WireLine::byte_ns(115200, 10), 86'806u);  // 8N1
  EXPECT_EQ(WireLine::byte_ns(57600, 11), 190'972u);
  WireLine line;
  EXPECT_EQ(line.send(1000, 115200, 11), 1000 + 95'486u);
  EXPECT_EQ(line.send(1000, 115200, 11), 1000 + 2 * 95'486u) << "waits for the previous byte";
  EXPECT_EQ(line.send(10'000'000, 115200, 11), 10'000'000 + 95'486u) << "idle line";
}

TEST(BitErrorTest, ZeroRateIsTransparentAndFullRateInverts) {
  BitErrorInjector ber;
  ber.configure(0.0, 1);
  for (int b = 0; b < 256; ++b) EXPECT_EQ(ber.apply(static_cast<uint8_t>(b)), b);
  ber.configure(1.0, 1);
  for (int b = 0; b < 256; ++b) EXPECT_EQ(ber.apply(static_cast<uint8_t>(b)), 255 - b);
  EXPECT_EQ(ber.bits_flipped(), 256u * 8);
}

TEST(BitErrorTest, RateIsStatisticallyRightAndSeeded) {
  BitErrorInjector a, b, c;
  a.configure(0.01, 42);
  b.configure(0.01, 42);
  c.configure(0.01, 43);
  constexpr int kBytes = 125'000;  // 1e6 bits
  int differ_ab = 0, differ_ac = 0;
  for (int i = 0; i < kBytes; ++i) {
    const uint8_t x = static_cast<uint8_t>(i * 31);
    const uint8_t ya = a.apply(x);
    differ_ab += ya != b.apply(x);
    differ_ac += ya != c.apply(x);
  }
  EXPECT_EQ(differ_ab, 0) << "same seed, same errors";
  EXPECT_GT(differ_ac, 0);
  // Expect 10000 flipped bits; sigma ~ 99.5: allow 5 sigma.
  EXPECT_NEAR(static_cast<double>(a.bits_flipped()), 10'000.0, 500.0);
  // P(byte corrupted) = 1 - 0.99^8 = 7.73 %.
  EXPECT_NEAR(static_cast<double>(a.bytes_corrupted()) / kBytes, 1 - std::pow(0.99, 8), 0.004);
}

}  // namespace
}  // namespace vstm32
