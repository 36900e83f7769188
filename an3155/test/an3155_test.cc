// SPDX-License-Identifier: Apache-2.0
// AN3155 driver against a scripted link: each step expects exact bytes from the host and answers
// canned bytes (or nothing, or a truncated reply), so every NACK/timeout/garbage path is driven.
#include "an3155/an3155.h"

#include <gtest/gtest.h>

#include <array>
#include <deque>
#include <vector>

#include "an3155/rom_flash.h"

namespace fota::an3155 {
namespace {

using Bytes = std::vector<uint8_t>;

class ScriptLink final : public ByteLink {
 public:
  struct Step {
    Bytes expect;
    Bytes reply;
  };
  void add(Bytes expect, Bytes reply) { steps_.push_back({std::move(expect), std::move(reply)}); }

  PortStatus write(std::span<const uint8_t> bytes) override {
    if (broken) return PortStatus::kIoError;
    pending_.insert(pending_.end(), bytes.begin(), bytes.end());
    while (!steps_.empty() && pending_.size() >= steps_.front().expect.size()) {
      Step step = steps_.front();
      steps_.pop_front();
      Bytes got(pending_.begin(), pending_.begin() + static_cast<long>(step.expect.size()));
      pending_.erase(pending_.begin(), pending_.begin() + static_cast<long>(step.expect.size()));
      if (got != step.expect) ++mismatches;
      rx_.insert(rx_.end(), step.reply.begin(), step.reply.end());
    }
    if (steps_.empty() && !pending_.empty()) {
      unexpected.insert(unexpected.end(), pending_.begin(), pending_.end());
      pending_.clear();
    }
    return PortStatus::kOk;
  }
  PortStatus read(std::span<uint8_t> out, uint32_t timeout_ms, size_t& got) override {
    got = 0;
    last_timeout_ms = timeout_ms;
    while (got < out.size() && !rx_.empty()) {
      out[got++] = rx_.front();
      rx_.pop_front();
    }
    if (broken) return PortStatus::kIoError;
    return got == out.size() ? PortStatus::kOk : PortStatus::kTimeout;
  }
  PortStatus flush_input() override {
    rx_.clear();
    return PortStatus::kOk;
  }
  PortStatus configure(uint32_t baud, Parity parity) override {
    configured_baud = baud;
    configured_parity = parity;
    return PortStatus::kOk;
  }
  bool done() const { return steps_.empty() && rx_.empty(); }
  size_t unused_steps() const { return steps_.size(); }
  size_t unread_reply_bytes() const { return rx_.size(); }
  // Drops what the host left unread; returns how many bytes that was.
  size_t drain_unread() {
    const size_t n = rx_.size();
    rx_.clear();
    return n;
  }

  int mismatches = 0;
  Bytes unexpected;
  bool broken = false;
  uint32_t last_timeout_ms = 0;
  uint32_t configured_baud = 0;
  Parity configured_parity = Parity::kNone;

 private:
  std::deque<Step> steps_;
  Bytes pending_;
  std::deque<uint8_t> rx_;
};

class FakePins final : public TargetPins {
 public:
  PortStatus set_boot0(bool high) override {
    log.push_back(high ? "boot0=1" : "boot0=0");
    return PortStatus::kOk;
  }
  PortStatus set_reset(bool asserted) override {
    log.push_back(asserted ? "nrst=low" : "nrst=high");
    return PortStatus::kOk;
  }
  std::vector<std::string> log;
};

class FakeClock final : public Clock {
 public:
  uint64_t now_us() override { return now; }
  void delay_ms(uint32_t ms) override { now += ms * 1000ull; }
  uint64_t now = 0;
};

constexpr uint8_t A = kAckByte;
constexpr uint8_t N = kNackByte;

// An address frame (4 bytes MSB first + XOR), as READ/WRITE/GO send it.
Bytes read_cmd_and_addr(uint32_t address) {
  Bytes b = {static_cast<uint8_t>(address >> 24), static_cast<uint8_t>(address >> 16),
             static_cast<uint8_t>(address >> 8), static_cast<uint8_t>(address)};
  b.push_back(b[0] ^ b[1] ^ b[2] ^ b[3]);
  return b;
}

class An3155Test : public ::testing::Test {
 protected:
  void TearDown() override {
    EXPECT_EQ(link.mismatches, 0);
    EXPECT_TRUE(link.unexpected.empty())
        << "host sent " << link.unexpected.size() << " unscripted bytes";
    // Everything scripted was consumed: no step left waiting for bytes the host never sent, no
    // reply byte the host never read.
    EXPECT_EQ(link.unused_steps(), 0u) << "scripted steps the host never reached";
    EXPECT_EQ(link.unread_reply_bytes(), 0u) << "reply bytes the host never read";
  }
  // The scripted ROM was mid-frame: AA completes it (NACK), then AA alone is silent (waiting for
  // its complement) and AA AA gets a NACK.
  void resync_ok() {
    link.add({0xAA}, {N});
    link.add({0xAA}, {});
    link.add({0xAA}, {N});
  }
  // READ MEMORY of `data.size()` bytes at `at`, answered ACK by ACK.
  void script_read(uint32_t at, const Bytes& data) {
    link.add({0x11, 0xEE}, {A});
    link.add(read_cmd_and_addr(at), {A});
    Bytes reply = {A};
    reply.insert(reply.end(), data.begin(), data.end());
    link.add(
        {static_cast<uint8_t>(data.size() - 1), static_cast<uint8_t>((data.size() - 1) ^ 0xFF)},
        reply);
  }
  // GET ID answered by an F407 (PID 0x413).
  void script_f407_id() { link.add({0x02, 0xFD}, {A, 0x01, 0x04, 0x13, A}); }
  // The host reads the scripted GET ID exchanges as an F407's.
  void expect_f407_id(Bootloader& rom) {
    uint16_t pid = 0;
    ASSERT_EQ(rom.get_id(pid), Status::kOk);
    EXPECT_EQ(pid, 0x413);
  }
  // The host reads `want` at `at` through the scripted exchanges.
  void expect_read(Bootloader& rom, uint32_t at, const Bytes& want) {
    Bytes out(want.size());
    ASSERT_EQ(rom.read_memory(at, out), Status::kOk);
    EXPECT_EQ(out, want);
  }
  // ACK by ACK (the scripts of most tests); piped() for the pipelined exchanges.
  Options fast() {
    Options o;
    o.retries = 2;
    o.sync_attempts = 3;
    o.pipeline = false;
    return o;
  }
  Options piped() {
    Options o = fast();
    o.pipeline = true;
    return o;
  }
  ScriptLink link;
  FakePins pins;
  FakeClock clock;
};

TEST_F(An3155Test, EnterDrivesPinsWaitsAndSyncs) {
  link.add({0x7F}, {A});
  Bootloader rom(link, &pins, clock);
  ASSERT_EQ(rom.enter(), Status::kOk);
  EXPECT_EQ(pins.log, (std::vector<std::string>{"boot0=1", "nrst=low", "nrst=high"}));
  EXPECT_GE(clock.now, 100'000u);  // >= 100 ms between NRST release and 0x7F
  EXPECT_EQ(link.configured_parity, Parity::kEven);
  EXPECT_EQ(link.configured_baud, 115200u);
  EXPECT_TRUE(rom.synced());
}

TEST_F(An3155Test, LeaveDropsBoot0AndPulsesReset) {
  Bootloader rom(link, &pins, clock);
  ASSERT_EQ(rom.leave(), Status::kOk);
  EXPECT_EQ(pins.log, (std::vector<std::string>{"boot0=0", "nrst=low", "nrst=high"}));
}

TEST_F(An3155Test, EnterWithoutPinsIsAPinError) {
  Bootloader rom(link, nullptr, clock);
  EXPECT_EQ(rom.enter(), Status::kPinError);
}

TEST_F(An3155Test, SyncRetriesAfterSilenceAndGarbage) {
  link.add({0x7F}, {});
  link.add({0x7F}, {0x00});
  link.add({0x7F}, {A});
  Bootloader rom(link, &pins, clock, fast());
  EXPECT_EQ(rom.sync(), Status::kOk);
  EXPECT_EQ(rom.stats().timeouts, 1u);
}

TEST_F(An3155Test, SyncNeverAnsweredIsNoSync) {
  for (int i = 0; i < 3; ++i) link.add({0x7F}, {});
  Bootloader rom(link, &pins, clock, fast());
  EXPECT_EQ(rom.sync(), Status::kNoSync);
}

TEST_F(An3155Test, NackToSyncMeansAlreadySyncedAndResyncs) {
  link.add({0x7F}, {N});
  // The ROM took 0x7F as an opcode and waits for its complement: 0xAA completes it (NACK); then
  // AA alone is silent and AA AA is NACKed: aligned.
  resync_ok();
  Bootloader rom(link, &pins, clock, fast());
  EXPECT_EQ(rom.sync(), Status::kOk);
  EXPECT_EQ(rom.stats().resyncs, 1u);
}

TEST_F(An3155Test, GetParsesCommandList) {
  link.add({0x00, 0xFF},
           {A, 0x0B, 0x31, 0x00, 0x01, 0x02, 0x11, 0x21, 0x31, 0x44, 0x63, 0x73, 0x82, 0x92, A});
  Bootloader rom(link, &pins, clock, fast());
  DeviceInfo info;
  ASSERT_EQ(rom.get(info), Status::kOk);
  EXPECT_EQ(info.bootloader_version, 0x31);
  EXPECT_TRUE(info.supports(Opcode::kExtendedErase));
  EXPECT_FALSE(info.supports(static_cast<Opcode>(0x43)));
}

TEST_F(An3155Test, GetVersion) {
  link.add({0x01, 0xFE}, {A, 0x31, 0x00, 0x00, A});
  Bootloader rom(link, &pins, clock, fast());
  uint8_t version = 0;
  ASSERT_EQ(rom.get_version(version), Status::kOk);
  EXPECT_EQ(version, 0x31);
}

TEST_F(An3155Test, IdentifyAcceptsF407) {
  link.add({0x00, 0xFF}, {A, 0x02, 0x31, 0x00, 0x01, A});
  script_f407_id();
  Bootloader rom(link, &pins, clock, fast());
  DeviceInfo info;
  ASSERT_EQ(rom.identify(info), Status::kOk);
  EXPECT_EQ(info.pid, 0x413);
}

TEST_F(An3155Test, IdentifyReportsWhatItFound) {
  link.add({0x00, 0xFF}, {A, 0x02, 0x31, 0x00, 0x01, A});
  link.add({0x02, 0xFD}, {A, 0x01, 0x04, 0x19, A});  // F42x/43x
  Bootloader rom(link, &pins, clock, fast());
  DeviceInfo info;
  EXPECT_EQ(rom.identify(info), Status::kWrongDevice);
  EXPECT_EQ(info.pid, 0x419);
}

TEST_F(An3155Test, GetIdWithBadLengthIsGarbageThenRetried) {
  link.add({0x02, 0xFD}, {A, 0x05});
  resync_ok();
  script_f407_id();
  Bootloader rom(link, &pins, clock, fast());
  expect_f407_id(rom);
  EXPECT_EQ(rom.stats().retries, 1u);
}

TEST_F(An3155Test, ReadMemoryFramesAddressAndLength) {
  script_read(0x0800'0000, {1, 2, 3, 4});
  Bootloader rom(link, &pins, clock, fast());
  expect_read(rom, 0x0800'0000, {1, 2, 3, 4});
}

TEST_F(An3155Test, TruncatedReadIsRetriedAfterResync) {
  link.add({0x11, 0xEE}, {A});
  link.add(read_cmd_and_addr(0x0800'0000), {A});
  link.add({0x03, 0xFC}, {A, 1, 2});  // two bytes lost
  resync_ok();
  script_read(0x0800'0000, {1, 2, 3, 4});
  Bootloader rom(link, &pins, clock, fast());
  expect_read(rom, 0x0800'0000, {1, 2, 3, 4});
  EXPECT_EQ(rom.stats().timeouts, 1u);
  EXPECT_EQ(rom.stats().resyncs, 1u);
}

TEST_F(An3155Test, ReadBadAddressNackedEveryTimeIsNack) {
  for (int i = 0; i < 3; ++i) {
    if (i) resync_ok();
    link.add({0x11, 0xEE}, {A});
    link.add(read_cmd_and_addr(0x3000'0000), {N});
  }
  Bootloader rom(link, &pins, clock, fast());
  uint8_t out[4];
  EXPECT_EQ(rom.read_memory(0x3000'0000, out), Status::kNack);
  EXPECT_EQ(rom.stats().nacks, 3u);
}

TEST_F(An3155Test, ReadRefusedAtOpcodeIsReadoutProtection) {
  for (int i = 0; i < 3; ++i) {
    if (i) resync_ok();
    link.add({0x11, 0xEE}, {N, N});  // V3.1 sends two NACKs; the second is flushed by the resync
  }
  Bootloader rom(link, &pins, clock, fast());
  uint8_t out[4];
  EXPECT_EQ(rom.read_memory(0x0800'0000, out), Status::kProtected);
  // The last attempt stops at the first NACK: the second stays on the line (the next command's
  // sync flushes it).
  EXPECT_EQ(link.drain_unread(), 1u);
}

TEST_F(An3155Test, ReadArgumentsAreChecked) {
  Bootloader rom(link, &pins, clock, fast());
  uint8_t big[257];
  EXPECT_EQ(rom.read_memory(0x0800'0000, {big, 0}), Status::kBadArgument);
  EXPECT_EQ(rom.read_memory(0x0800'0000, big), Status::kBadArgument);
}

Bytes write_frame(const Bytes& data) {
  Bytes f = {static_cast<uint8_t>(data.size() - 1)};
  uint8_t x = f[0];
  for (uint8_t d : data) {
    f.push_back(d);
    x ^= d;
  }
  f.push_back(x);
  return f;
}

TEST_F(An3155Test, WriteMemoryNackOnceThenSucceeds) {
  const Bytes data = {1, 2, 3, 4, 5, 6, 7, 8};
  link.add({0x31, 0xCE}, {A});
  link.add(read_cmd_and_addr(0x0802'0000), {A});
  link.add(write_frame(data), {N});  // e.g. a bit error corrupted the checksum
  resync_ok();
  link.add({0x31, 0xCE}, {A});
  link.add(read_cmd_and_addr(0x0802'0000), {A});
  link.add(write_frame(data), {A});
  Bootloader rom(link, &pins, clock, fast());
  ASSERT_EQ(rom.write_memory(0x0802'0000, data), Status::kOk);
  EXPECT_EQ(rom.stats().nacks, 1u);
  EXPECT_EQ(link.last_timeout_ms >= Timeouts{}.write_ms, true);
}

Bytes write_burst(uint32_t address, const Bytes& data) {
  Bytes burst = {0x31, 0xCE};
  const Bytes addr = read_cmd_and_addr(address);
  burst.insert(burst.end(), addr.begin(), addr.end());
  const Bytes frame = write_frame(data);
  burst.insert(burst.end(), frame.begin(), frame.end());
  return burst;
}

Bytes read_burst(uint32_t address, uint8_t size) {
  Bytes burst = {0x11, 0xEE};
  const Bytes addr = read_cmd_and_addr(address);
  burst.insert(burst.end(), addr.begin(), addr.end());
  burst.push_back(static_cast<uint8_t>(size - 1));
  burst.push_back(static_cast<uint8_t>((size - 1) ^ 0xFF));
  return burst;
}

// The ACK-by-ACK exchange of one Write Memory.
void script_write_acks(ScriptLink& link, uint32_t address, const Bytes& data, uint8_t last) {
  link.add({0x31, 0xCE}, {A});
  link.add(read_cmd_and_addr(address), {A});
  link.add(write_frame(data), {last});
}

TEST_F(An3155Test, PipelinedWriteSendsOneBurstAndReadsThreeAcks) {
  const Bytes data = {1, 2, 3, 4};
  link.add(write_burst(0x0802'0000, data), {A, A, A});
  Bootloader rom(link, &pins, clock, piped());
  ASSERT_EQ(rom.write_memory(0x0802'0000, data), Status::kOk);
  EXPECT_EQ(rom.stats().pipelined, 1u);
  EXPECT_EQ(rom.stats().pipeline_failures, 0u);
  EXPECT_GE(link.last_timeout_ms, Timeouts{}.write_ms);
}

TEST_F(An3155Test, PipelineIsTheDefault) {
  EXPECT_TRUE(Options{}.pipeline);
  Bootloader rom(link, &pins, clock);
  EXPECT_TRUE(rom.pipelining());
}

TEST_F(An3155Test, FailedBurstIsRetriedAckByAck) {
  const Bytes data = {1, 2, 3, 4};
  link.add(write_burst(0x0802'0000, data), {A, A, N});  // e.g. the data checksum hit by noise
  resync_ok();
  script_write_acks(link, 0x0802'0000, data, A);
  link.add(write_burst(0x0802'0004, data), {A, A, A});  // the next command is a burst again
  Bootloader rom(link, &pins, clock, piped());
  ASSERT_EQ(rom.write_memory(0x0802'0000, data), Status::kOk);
  ASSERT_EQ(rom.write_memory(0x0802'0004, data), Status::kOk);
  EXPECT_EQ(rom.stats().nacks, 1u);
  EXPECT_EQ(rom.stats().pipeline_failures, 1u);
  EXPECT_EQ(rom.stats().pipelined, 1u);
  EXPECT_TRUE(rom.pipelining());
}

TEST_F(An3155Test, BurstWhoseBytesAreDroppedTimesOutAndFallsBack) {
  // A ROM that drops what arrives while it sends the opcode ACK: it never completes the address.
  const Bytes data = {1, 2, 3, 4};
  link.add(write_burst(0x0802'0000, data), {A});
  resync_ok();
  script_write_acks(link, 0x0802'0000, data, A);
  Bootloader rom(link, &pins, clock, piped());
  ASSERT_EQ(rom.write_memory(0x0802'0000, data), Status::kOk);
  EXPECT_EQ(rom.stats().timeouts, 1u);
  EXPECT_EQ(rom.stats().pipeline_failures, 1u);
}

TEST_F(An3155Test, BurstsFailingTwiceInARowTurnPipeliningOff) {
  const Bytes data = {1, 2, 3, 4};
  for (uint32_t at : {0x0802'0000u, 0x0802'0004u}) {
    link.add(write_burst(at, data), {A, N});  // address NACKed: bytes of the burst were lost
    resync_ok();
    script_write_acks(link, at, data, A);
  }
  script_write_acks(link, 0x0802'0008, data, A);  // from now on ACK by ACK without trying
  Options o = piped();
  Bootloader rom(link, &pins, clock, o);
  ASSERT_EQ(rom.write_memory(0x0802'0000, data), Status::kOk);
  EXPECT_TRUE(rom.pipelining());
  ASSERT_EQ(rom.write_memory(0x0802'0004, data), Status::kOk);
  EXPECT_FALSE(rom.pipelining());
  ASSERT_EQ(rom.write_memory(0x0802'0008, data), Status::kOk);
  EXPECT_EQ(rom.stats().pipeline_failures, 2u);
  EXPECT_EQ(rom.stats().pipelined, 0u);
}

TEST_F(An3155Test, SuccessfulBurstResetsTheFailureCount) {
  const Bytes data = {1, 2, 3, 4};
  link.add(write_burst(0x0802'0000, data), {A, N});
  resync_ok();
  script_write_acks(link, 0x0802'0000, data, A);
  link.add(write_burst(0x0802'0004, data), {A, A, A});
  link.add(write_burst(0x0802'0008, data), {A, N});
  resync_ok();
  script_write_acks(link, 0x0802'0008, data, A);
  Bootloader rom(link, &pins, clock, piped());
  for (uint32_t at : {0x0802'0000u, 0x0802'0004u, 0x0802'0008u}) {
    ASSERT_EQ(rom.write_memory(at, data), Status::kOk);
  }
  EXPECT_TRUE(rom.pipelining());
  EXPECT_EQ(rom.stats().pipeline_failures, 2u);
}

TEST_F(An3155Test, DataRefusedAfterTheAddressAckDoesNotEndPipelining) {
  // Noise in the data (checksum NACK): nothing against pipelining, however often.
  const Bytes data = {1, 2, 3, 4};
  for (uint32_t at : {0x0802'0000u, 0x0802'0004u, 0x0802'0008u}) {
    link.add(write_burst(at, data), {A, A, N});
    resync_ok();
    script_write_acks(link, at, data, A);
  }
  link.add(write_burst(0x0802'000C, data), {A, A, A});
  Bootloader rom(link, &pins, clock, piped());
  for (uint32_t at : {0x0802'0000u, 0x0802'0004u, 0x0802'0008u, 0x0802'000Cu}) {
    ASSERT_EQ(rom.write_memory(at, data), Status::kOk);
  }
  EXPECT_TRUE(rom.pipelining());
  EXPECT_EQ(rom.stats().pipeline_failures, 3u);
  EXPECT_EQ(rom.stats().pipelined, 1u);
}

TEST_F(An3155Test, BurstFailingOnEveryTryEndsAckByAckWithItsStatus) {
  const Bytes data = {1, 2, 3, 4};
  link.add(write_burst(0x0802'0000, data), {A, A, N});
  for (int i = 0; i < 2; ++i) {
    resync_ok();
    script_write_acks(link, 0x0802'0000, data, N);
  }
  Bootloader rom(link, &pins, clock, piped());
  EXPECT_EQ(rom.write_memory(0x0802'0000, data), Status::kNack);
  EXPECT_EQ(rom.stats().pipeline_failures, 1u);
}

TEST_F(An3155Test, DataHoldingACommandPairWaitsForTheAddressAck) {
  // 0x92 0x6D is Readout Unprotect (a mass erase): never in a burst the ROM could misparse.
  const Bytes data = {0x00, 0x92, 0x6D, 0x00};
  Bytes head = {0x31, 0xCE};
  const Bytes addr = read_cmd_and_addr(0x0802'0000);
  head.insert(head.end(), addr.begin(), addr.end());
  link.add(head, {A, A});
  link.add(write_frame(data), {A});
  Bootloader rom(link, &pins, clock, piped());
  ASSERT_EQ(rom.write_memory(0x0802'0000, data), Status::kOk);
  EXPECT_EQ(rom.stats().pipeline_unsafe, 1u);
  EXPECT_EQ(rom.stats().pipelined, 1u);
  EXPECT_TRUE(rom.pipelining());
}

TEST_F(An3155Test, AddressHoldingACommandPairGoesAckByAck) {
  const Bytes data = {1, 2, 3, 4};
  script_write_acks(link, 0x0892'6D00, data, A);  // address bytes 08 92 6D 00
  Bootloader rom(link, &pins, clock, piped());
  ASSERT_EQ(rom.write_memory(0x0892'6D00, data), Status::kOk);
  EXPECT_EQ(rom.stats().pipelined, 0u);
}

TEST_F(An3155Test, ReadLengthHoldingACommandPairWaitsForTheAddressAck) {
  // 147 bytes: the length pair is 92 6D itself.
  Bytes head = {0x11, 0xEE};
  const Bytes addr = read_cmd_and_addr(0x0800'0000);
  head.insert(head.end(), addr.begin(), addr.end());
  link.add(head, {A, A});
  Bytes reply(148, 0x33);
  reply[0] = A;
  link.add({0x92, 0x6D}, reply);
  Bootloader rom(link, &pins, clock, piped());
  expect_read(rom, 0x0800'0000, Bytes(147, 0x33));
  EXPECT_EQ(rom.stats().pipeline_unsafe, 1u);
}

TEST_F(An3155Test, HarmlessBurstsAreThoseWithoutChangingCommandPairs) {
  EXPECT_TRUE(burst_is_harmless(Bytes{0x31, 0xCE, 0x08, 0x02, 0x00, 0x00, 0x0A}));
  EXPECT_TRUE(burst_is_harmless(Bytes{0x11, 0xEE, 0x00, 0xFF, 0x01, 0xFE, 0x02, 0xFD}));
  EXPECT_TRUE(burst_is_harmless(Bytes{0x31, 0xCE, 0x11, 0xEE, 0x7F, 0x80}));
  for (uint8_t op : {0x21, 0x31, 0x43, 0x44, 0x63, 0x73, 0x82, 0x92}) {
    const uint8_t inv = static_cast<uint8_t>(op ^ 0xFF);
    EXPECT_FALSE(burst_is_harmless(Bytes{0x31, 0xCE, op, inv})) << int(op);
    EXPECT_FALSE(burst_is_harmless(Bytes{0x31, 0xCE, 0x00, op, inv, 0x00})) << int(op);
  }
  EXPECT_TRUE(burst_is_harmless(Bytes{0x31, 0xCE, 0x82}));  // a pair needs both bytes
}

TEST_F(An3155Test, PipelinedReadSendsOneBurst) {
  link.add(read_burst(0x0800'0000, 4), {A, A, A, 1, 2, 3, 4});
  Bootloader rom(link, &pins, clock, piped());
  expect_read(rom, 0x0800'0000, {1, 2, 3, 4});
  EXPECT_EQ(rom.stats().pipelined, 1u);
}

TEST_F(An3155Test, PipelinedReadTruncatedIsRetriedAckByAck) {
  link.add(read_burst(0x0800'0000, 4), {A, A, A, 1, 2});
  resync_ok();
  script_read(0x0800'0000, {1, 2, 3, 4});
  Bootloader rom(link, &pins, clock, piped());
  expect_read(rom, 0x0800'0000, {1, 2, 3, 4});
  EXPECT_EQ(rom.stats().pipeline_failures, 1u);
}

TEST_F(An3155Test, PipelinedReadUnderReadoutProtectionIsProtected) {
  // V3.1 NACKs the opcode twice; the rest of the burst is misparsed (more NACKs, flushed).
  link.add(read_burst(0x0800'0000, 4), {N, N, N, N, N});
  for (int i = 0; i < 2; ++i) {
    resync_ok();
    link.add({0x11, 0xEE}, {N, N});
  }
  Bootloader rom(link, &pins, clock, piped());
  uint8_t out[4];
  EXPECT_EQ(rom.read_memory(0x0800'0000, out), Status::kProtected);
  EXPECT_EQ(link.drain_unread(), 1u);  // the last attempt's second NACK, as above
}

TEST_F(An3155Test, WriteAckWaitCoversTheFramesWireTime) {
  // At 1200 baud a 256-byte frame alone takes 2.4 s on the wire: more than write_ms.
  Bytes data(256, 0x5A);
  script_write_acks(link, 0x0802'0000, data, A);
  Options o = fast();
  o.baud = 1200;
  Bootloader rom(link, &pins, clock, o);
  ASSERT_EQ(rom.write_memory(0x0802'0000, data), Status::kOk);
  EXPECT_GE(link.last_timeout_ms, Timeouts{}.write_ms + 258u * 11u * 1000u / 1200u);
}

TEST_F(An3155Test, WriteTimeoutEveryTimeIsTimeout) {
  const Bytes data = {1, 2, 3, 4};
  for (int i = 0; i < 3; ++i) {
    if (i) resync_ok();
    link.add({0x31, 0xCE}, {A});
    link.add(read_cmd_and_addr(0x0802'0000), {A});
    link.add(write_frame(data), {});
  }
  Bootloader rom(link, &pins, clock, fast());
  EXPECT_EQ(rom.write_memory(0x0802'0000, data), Status::kTimeout);
}

TEST_F(An3155Test, WriteRefusesMisalignment) {
  Bootloader rom(link, &pins, clock, fast());
  const uint8_t data[4] = {};
  EXPECT_EQ(rom.write_memory(0x0802'0002, data), Status::kBadArgument);
  EXPECT_EQ(rom.write_memory(0x0802'0000, {data, 3}), Status::kBadArgument);
}

TEST_F(An3155Test, ParallelismByteSelectsX32) {
  link.add({0x31, 0xCE}, {A});
  link.add(read_cmd_and_addr(kParallelismAddress), {A});
  link.add(write_frame({0x03, 0xFF, 0xFF, 0xFF}), {A});
  Bootloader rom(link, &pins, clock, fast());
  EXPECT_EQ(rom.set_parallelism(Parallelism::kX32), Status::kOk);
}

TEST_F(An3155Test, ExtendedEraseFramesSectorListWithLongTimeout) {
  link.add({0x44, 0xBB}, {A});
  link.add({0x00, 0x02, 0x00, 0x05, 0x00, 0x06, 0x00, 0x07, 0x02 ^ 0x05 ^ 0x06 ^ 0x07}, {A});
  Bootloader rom(link, &pins, clock, fast());
  const uint16_t sectors[] = {5, 6, 7};
  ASSERT_EQ(rom.extended_erase(sectors), Status::kOk);
  EXPECT_GE(link.last_timeout_ms, 3 * 4000u);  // 3 x 128 KB at the x8 max
}

TEST_F(An3155Test, EraseSingleSectorFiveMatchesFactsSheet) {
  link.add({0x44, 0xBB}, {A});
  link.add({0x00, 0x00, 0x00, 0x05, 0x05}, {A});
  Bootloader rom(link, &pins, clock, fast());
  const uint16_t sectors[] = {5};
  EXPECT_EQ(rom.extended_erase(sectors), Status::kOk);
}

TEST_F(An3155Test, EraseRejectsBadSector) {
  Bootloader rom(link, &pins, clock, fast());
  const uint16_t sectors[] = {12};
  EXPECT_EQ(rom.extended_erase(sectors), Status::kBadArgument);
}

// AN3155 Write Protect: N-1, the sector numbers, XOR of both; the second ACK comes once the
// option bytes are programmed, then the chip resets (the session is over).
TEST_F(An3155Test, WriteProtectFramesSectorsAndEndsTheSession) {
  link.add({0x63, 0x9C}, {A});
  link.add({0x02, 0x00, 0x01, 0x02, 0x02 ^ 0x00 ^ 0x01 ^ 0x02}, {A});
  Bootloader rom(link, &pins, clock, fast());
  const uint8_t sectors[] = {0, 1, 2};
  ASSERT_EQ(rom.write_protect(sectors), Status::kOk);
  EXPECT_GE(link.last_timeout_ms, 2000u);
  EXPECT_FALSE(rom.synced());
  const uint8_t bad[] = {12};
  EXPECT_EQ(rom.write_protect(bad), Status::kBadArgument);
  EXPECT_EQ(rom.write_protect({}), Status::kBadArgument);
}

TEST_F(An3155Test, ReadoutProtectAndWriteUnprotectAreTwoAcks) {
  link.add({0x82, 0x7D}, {A, A});
  link.add({0x73, 0x8C}, {A, A});
  Bootloader rom(link, &pins, clock, fast());
  EXPECT_EQ(rom.readout_protect(), Status::kOk);
  EXPECT_EQ(rom.write_unprotect(), Status::kOk);
}

// Under RDP level 1 the ROM NACKs the opcode itself on every try.
TEST_F(An3155Test, WriteProtectUnderReadoutProtectionIsProtected) {
  for (int i = 0; i < 3; ++i) {
    if (i > 0) resync_ok();
    link.add({0x63, 0x9C}, {N});
  }
  Bootloader rom(link, &pins, clock, fast());
  const uint8_t sectors[] = {0};
  EXPECT_EQ(rom.write_protect(sectors), Status::kProtected);
}

TEST_F(An3155Test, ReconnectAfterResetWaitsForTheRomThenSyncs) {
  link.add({0x7F}, {A});
  Bootloader rom(link, &pins, clock, fast());
  EXPECT_EQ(rom.reconnect_after_reset(), Status::kOk);
  EXPECT_GE(clock.now, 120'000u);
  EXPECT_TRUE(rom.synced());
}

TEST_F(An3155Test, GoSendsAddress) {
  link.add({0x21, 0xDE}, {A});
  link.add(read_cmd_and_addr(0x0800'0000), {A});
  Bootloader rom(link, &pins, clock, fast());
  EXPECT_EQ(rom.go(0x0800'0000), Status::kOk);
  EXPECT_FALSE(rom.synced());
}

TEST_F(An3155Test, ResyncRestoresByteAlignment) {
  // One byte of the opcode pair was lost: the ROM holds 0xCE as a new opcode. Pairs would get a
  // NACK in either alignment; single fillers find the frame end and prove the alignment.
  link.add({0x02, 0xFD}, {N});
  link.add({0xAA}, {N});  // CE AA: bad complement
  link.add({0xAA}, {N});  // a NACK instead of silence: not proven aligned yet
  link.add({0xAA}, {});   // first byte of a pair: silent
  link.add({0xAA}, {N});  // ... AA AA: NACK, idle
  link.add({0xAA}, {});   // proof: AA alone is silent
  link.add({0xAA}, {N});  // AA AA: NACK -> aligned
  script_f407_id();
  Bootloader rom(link, &pins, clock, fast());
  expect_f407_id(rom);
}

TEST_F(An3155Test, LinkFailureIsNotRetried) {
  link.broken = true;
  Bootloader rom(link, &pins, clock, fast());
  uint16_t pid;
  EXPECT_EQ(rom.get_id(pid), Status::kLinkError);
  EXPECT_EQ(rom.stats().retries, 0u);
}

TEST_F(An3155Test, ResyncFallsBackToSyncWhenNothingAnswers) {
  // Target reset under us: pairs get no answer (the ROM ignores non-0x7F before sync).
  link.add({0x02, 0xFD}, {});
  for (int i = 0; i < 300; ++i) link.add({0xAA}, {});
  link.add({0x7F}, {A});
  script_f407_id();
  Bootloader rom(link, &pins, clock, fast());
  expect_f407_id(rom);
}

TEST_F(An3155Test, RomFlashReadsTwiceAndRereadsOnDisagreement) {
  const uint32_t at = 0x080E'0000;
  script_read(at, {1, 2, 3, 4});
  script_read(at, {1, 2, 7, 4});  // bit error in one of them
  script_read(at, {1, 2, 7, 4});
  Bootloader rom(link, &pins, clock, fast());
  RomFlash flash(rom);
  uint8_t out[4];
  ASSERT_EQ(flash.read(at, out), bootcore::FlashStatus::kOk);
  EXPECT_EQ(out[2], 7);
}

TEST_F(An3155Test, RomFlashProgramsLittleEndianWordsAndErases) {
  link.add({0x31, 0xCE}, {A});
  link.add(read_cmd_and_addr(0x080E'0000), {A});
  link.add(write_frame({0x44, 0x33, 0x22, 0x11}), {A});
  link.add({0x44, 0xBB}, {A});
  link.add({0x00, 0x00, 0x00, 0x0B, 0x0B}, {N});
  for (int i = 0; i < 2; ++i) {
    resync_ok();
    link.add({0x44, 0xBB}, {A});
    link.add({0x00, 0x00, 0x00, 0x0B, 0x0B}, {N});
  }
  Bootloader rom(link, &pins, clock, fast());
  RomFlash flash(rom);
  const uint32_t word[] = {0x1122'3344};
  EXPECT_EQ(flash.program_words(0x080E'0000, word), bootcore::FlashStatus::kOk);
  EXPECT_EQ(flash.erase_sector(11), bootcore::FlashStatus::kEraseError);
  EXPECT_EQ(flash.read(0x0700'0000, {}), bootcore::FlashStatus::kOutOfRange);
}

class An3155ReadCacheTest : public An3155Test {
 protected:
  // RomFlash reads twice and compares: the same bytes both times.
  void script_rom_flash_read(uint32_t at, const Bytes& data) {
    script_read(at, data);
    script_read(at, data);
  }
  std::array<uint8_t, 1024> storage{};
  ReadCache cache{storage};
};

TEST_F(An3155ReadCacheTest, RepeatedReadsComeFromTheCache) {
  script_rom_flash_read(0x080E'0000, {1, 2, 3, 4, 5, 6, 7, 8});
  Bootloader rom(link, &pins, clock, fast());
  RomFlash flash(rom, true, &cache);
  uint8_t out[8];
  ASSERT_EQ(flash.read(0x080E'0000, out), bootcore::FlashStatus::kOk);
  EXPECT_TRUE(link.done());
  uint8_t again[8]{};
  ASSERT_EQ(flash.read(0x080E'0000, again), bootcore::FlashStatus::kOk);
  EXPECT_EQ(again[7], 8);
  uint8_t part[2]{};
  ASSERT_EQ(flash.read(0x080E'0004, part), bootcore::FlashStatus::kOk);
  EXPECT_EQ(part[1], 6);
  EXPECT_EQ(cache.hits(), 2u);
}

TEST_F(An3155ReadCacheTest, WritesAndErasesDropWhatTheyCover) {
  script_rom_flash_read(0x080E'0000, {1, 2, 3, 4});
  script_rom_flash_read(0x0808'0000, {9, 9, 9, 9});
  // The driver writes next to the first entry and over the second one.
  script_write_acks(link, 0x080E'0004, {0, 0, 0, 0}, A);
  script_write_acks(link, 0x0808'0000, {0, 0, 0, 0}, A);
  script_rom_flash_read(0x0808'0000, {0, 0, 0, 0});
  link.add({0x44, 0xBB}, {A});
  link.add({0x00, 0x00, 0x00, 0x0B, 0x0B}, {A});
  script_rom_flash_read(0x080E'0000, {0xFF, 0xFF, 0xFF, 0xFF});
  Bootloader rom(link, &pins, clock, fast());
  RomFlash flash(rom, true, &cache);
  uint8_t out[4];
  ASSERT_EQ(flash.read(0x080E'0000, out), bootcore::FlashStatus::kOk);
  ASSERT_EQ(flash.read(0x0808'0000, out), bootcore::FlashStatus::kOk);
  const uint8_t zero[4] = {};
  ASSERT_EQ(rom.write_memory(0x080E'0004, zero), Status::kOk);  // beside: kept
  ASSERT_EQ(rom.write_memory(0x0808'0000, zero), Status::kOk);  // over: dropped
  ASSERT_EQ(flash.read(0x080E'0000, out), bootcore::FlashStatus::kOk);
  EXPECT_EQ(out[0], 1);
  ASSERT_EQ(flash.read(0x0808'0000, out), bootcore::FlashStatus::kOk);
  EXPECT_EQ(out[0], 0);
  ASSERT_EQ(flash.erase_sector(11), bootcore::FlashStatus::kOk);  // sector 11 = 0x080E'0000
  ASSERT_EQ(flash.read(0x080E'0000, out), bootcore::FlashStatus::kOk);
  EXPECT_EQ(out[0], 0xFF);
  EXPECT_TRUE(link.done());
}

TEST_F(An3155ReadCacheTest, ANewRomSessionForgetsEverything) {
  script_rom_flash_read(0x080E'0000, {1, 2, 3, 4});
  link.add({0x7F}, {A});
  script_rom_flash_read(0x080E'0000, {5, 6, 7, 8});
  Bootloader rom(link, &pins, clock, fast());
  RomFlash flash(rom, true, &cache);
  uint8_t out[4];
  ASSERT_EQ(flash.read(0x080E'0000, out), bootcore::FlashStatus::kOk);
  ASSERT_EQ(rom.enter(), Status::kOk);  // the target was reset: it may have run and appended
  ASSERT_EQ(flash.read(0x080E'0000, out), bootcore::FlashStatus::kOk);
  EXPECT_EQ(out[0], 5);
  EXPECT_EQ(cache.hits(), 0u);
}

TEST_F(An3155ReadCacheTest, FullCacheStartsOverAndRomFlashUnregisters) {
  ReadCache tiny{std::span<uint8_t>(storage).first(8)};
  script_rom_flash_read(0x080E'0000, {1, 2, 3, 4});
  script_rom_flash_read(0x080E'0010, {5, 6, 7, 8});
  script_rom_flash_read(0x080E'0020, {9, 9, 9, 9});
  Bootloader rom(link, &pins, clock, fast());
  uint8_t out[4];
  {
    RomFlash flash(rom, true, &tiny);
    ASSERT_EQ(flash.read(0x080E'0000, out), bootcore::FlashStatus::kOk);
    ASSERT_EQ(flash.read(0x080E'0010, out), bootcore::FlashStatus::kOk);
    EXPECT_EQ(tiny.entries(), 2u);
    ASSERT_EQ(flash.read(0x080E'0020, out), bootcore::FlashStatus::kOk);
    EXPECT_EQ(tiny.entries(), 1u);
    ASSERT_EQ(flash.read(0x080E'0020, out), bootcore::FlashStatus::kOk);
    EXPECT_EQ(tiny.hits(), 1u);
  }
  link.add({0x7F}, {A});
  ASSERT_EQ(rom.sync(), Status::kOk);  // no observer any more: nothing to crash into
  EXPECT_EQ(tiny.entries(), 1u);
}

}  // namespace
}  // namespace fota::an3155
