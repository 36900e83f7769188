// SPDX-License-Identifier: Apache-2.0
// The native protocol's I2C byte link against a scripted bus: chunked writes, retries while the
// address is refused and the error after the timeout, count-byte reads (short, long, empty polls),
// bus errors.
#include "native/i2c_link.h"

#include <gtest/gtest.h>

#include <deque>
#include <vector>

namespace fota::native {
namespace {

// A device at kI2cAddress that acknowledges after `refusals` attempts and hands over `pending`
// bytes by the count-byte rule; every transaction takes 100 us of the fake clock.
class FakeBus final : public I2cBus, public an3155::Clock {
 public:
  I2cBusStatus write(uint8_t address, std::span<const uint8_t> bytes) override {
    now_ += 100;
    writes.push_back(bytes.size());
    if (address != kI2cAddress || refusals > 0) {
      if (refusals > 0) --refusals;
      return I2cBusStatus::kNack;
    }
    if (fail) return I2cBusStatus::kIoError;
    received.insert(received.end(), bytes.begin(), bytes.end());
    return I2cBusStatus::kOk;
  }
  I2cBusStatus read(uint8_t address, std::span<uint8_t> out) override {
    now_ += 100;
    ++reads;
    if (address != kI2cAddress) return I2cBusStatus::kNack;
    size_t n = pending.size() < kI2cMaxReadCount ? pending.size() : kI2cMaxReadCount;
    out[0] = static_cast<uint8_t>(n);
    for (size_t i = 1; i < out.size(); ++i) {
      if (i <= n) {
        out[i] = pending.front();
        pending.pop_front();
      } else {
        out[i] = kI2cFiller;
      }
    }
    return I2cBusStatus::kOk;
  }
  uint64_t now_us() override { return now_; }
  void delay_ms(uint32_t ms) override { now_ += uint64_t{ms} * 1000; }

  unsigned refusals = 0;
  bool fail = false;
  std::vector<size_t> writes;
  std::vector<uint8_t> received;
  std::deque<uint8_t> pending;
  unsigned reads = 0;

 private:
  uint64_t now_ = 0;
};

TEST(I2cLinkTest, WritesInChunksAndRetriesARefusedAddress) {
  FakeBus bus;
  I2cLinkOptions o;
  o.max_write = 100;
  I2cLink link(bus, bus, o);
  bus.refusals = 3;  // not listening yet
  std::vector<uint8_t> data(250);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i);
  ASSERT_EQ(link.write(data), an3155::PortStatus::kOk);
  EXPECT_EQ(bus.received, data);
  EXPECT_EQ(bus.writes, (std::vector<size_t>{100, 100, 100, 100, 100, 50}));
  EXPECT_EQ(link.stats().address_nacks, 3u);
  EXPECT_EQ(link.last_error(), I2cLinkError::kNone);
}

TEST(I2cLinkTest, NobodyAtTheAddressIsAnErrorAfterTheTimeout) {
  FakeBus bus;
  I2cLinkOptions o;
  o.address = 0x43;
  o.nack_timeout_ms = 5;
  I2cLink link(bus, bus, o);
  const uint8_t b[2] = {0xA5, 0x5A};
  EXPECT_EQ(link.write(b), an3155::PortStatus::kIoError);
  EXPECT_EQ(link.last_error(), I2cLinkError::kNoAcknowledge);
  EXPECT_GE(bus.now_us(), 5'000u);
  EXPECT_LE(bus.now_us(), 5'200u);  // it gave up at the timeout, not later
}

TEST(I2cLinkTest, ABusErrorIsReportedAtOnce) {
  FakeBus bus;
  bus.fail = true;
  I2cLink link(bus, bus);
  const uint8_t b[1] = {1};
  EXPECT_EQ(link.write(b), an3155::PortStatus::kIoError);
  EXPECT_EQ(link.last_error(), I2cLinkError::kBusError);
}

TEST(I2cLinkTest, ReadsTakeOnlyAnnouncedBytesAndFetchTheRestAtOnce) {
  FakeBus bus;
  I2cLinkOptions o;
  o.poll_bytes = 8;
  I2cLink link(bus, bus, o);
  for (unsigned i = 0; i < 300; ++i) bus.pending.push_back(static_cast<uint8_t>(i * 7));
  std::vector<uint8_t> out(300);
  size_t got = 0;
  ASSERT_EQ(link.read(out, 10, got), an3155::PortStatus::kOk);
  ASSERT_EQ(got, 300u);
  for (unsigned i = 0; i < 300; ++i) ASSERT_EQ(out[i], static_cast<uint8_t>(i * 7)) << i;
  // 8 with the first poll, then 255 announced beyond them in one read, then the last 37.
  EXPECT_LE(bus.reads, 4u);
  // Nothing pending: polls until the timeout, returns what it has (nothing), no filler bytes.
  std::vector<uint8_t> more(4);
  EXPECT_EQ(link.read(more, 2, got), an3155::PortStatus::kTimeout);
  EXPECT_EQ(got, 0u);
  EXPECT_GT(link.stats().empty_polls, 0u);
}

// A timeout of 0 still asks the device once ("anything there now?": the host driver's drain
// between DATA frames); with nothing there it is one empty poll.
TEST(I2cLinkTest, AReadWithoutTimeoutPollsExactlyOnce) {
  FakeBus bus;
  I2cLink link(bus, bus);
  uint8_t one = 0;
  size_t got = 0;
  EXPECT_EQ(link.read(std::span<uint8_t>(&one, 1), 0, got), an3155::PortStatus::kTimeout);
  EXPECT_EQ(got, 0u);
  EXPECT_EQ(bus.reads, 1u);
  bus.pending.push_back(0x5A);
  ASSERT_EQ(link.read(std::span<uint8_t>(&one, 1), 0, got), an3155::PortStatus::kOk);
  EXPECT_EQ(one, 0x5A);
  EXPECT_EQ(bus.reads, 2u);
}

TEST(I2cLinkTest, BytesLeftFromALongReadAreKeptForTheNextRead) {
  FakeBus bus;
  I2cLink link(bus, bus);
  for (uint8_t b : {1, 2, 3, 4, 5}) bus.pending.push_back(b);
  uint8_t one = 0;
  size_t got = 0;
  ASSERT_EQ(link.read(std::span<uint8_t>(&one, 1), 10, got), an3155::PortStatus::kOk);
  EXPECT_EQ(one, 1);
  uint8_t rest[4] = {};
  ASSERT_EQ(link.read(rest, 0, got), an3155::PortStatus::kOk);  // from the buffer, no bus time
  EXPECT_EQ(rest[3], 5);
  EXPECT_EQ(bus.reads, 1u);
  ASSERT_EQ(link.flush_input(), an3155::PortStatus::kOk);
}

}  // namespace
}  // namespace fota::native
