// SPDX-License-Identifier: Apache-2.0
// The driver against vstm32's model of the ROM bootloader (no CPU, no pty): a simulated 115200 8E1
// wire in between, bit errors placed on chosen bytes, and a variant of the ROM that drops what
// arrives while it transmits (a silicon ROM that could not take a pipelined burst). Checks that
// pipelined commands land byte-exact, that a failed burst falls back to ACK by ACK, and why
// bursts holding a command pair are never pipelined.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <random>
#include <vector>

#include "an3155/an3155.h"
#include "an3155/rom_flash.h"
#include "fake_rom_bus.h"
#include "rom_wire.h"
#include "vstm32/rom_bootloader.h"

namespace fota::an3155 {
namespace {

using Bytes = std::vector<uint8_t>;
using vstm32::testing::FakeRomBus;

constexpr uint64_t kByteNs = vstm32::testing::RomWire::kByteNs;

// Host side of the wire, with errors on chosen bytes or at a bit error rate, and a ROM that may
// drop what arrives while it transmits.
class SimLink final : public vstm32::testing::RomWire {
 public:
  SimLink(FakeRomBus& bus, vstm32::RomBootloader& rom) : RomWire(bus, rom) {}

  PortStatus write(std::span<const uint8_t> bytes) override {
    Bytes out(bytes.begin(), bytes.end());
    ++writes_;
    if (mangle) mangle(writes_, out);
    for (uint8_t& b : out) b = noise(b);
    for (uint8_t b : out) {
      const uint64_t arrival = next_arrival();
      if (drop_while_transmitting && arrival < rom_tx_free()) {
        ++dropped;
        continue;
      }
      deliver(b, arrival);
    }
    return PortStatus::kOk;
  }
  PortStatus configure(uint32_t, Parity) override { return PortStatus::kOk; }

  void start_at_ready() { now_ = rom_.ready_at_ns(); }
  // Flips each bit on the wire (both directions) with probability `rate`.
  void set_bit_errors(double rate, unsigned seed) {
    ber_ = rate;
    rng_.seed(seed);
  }

  // Called with the 1-based number of each write() call and its bytes (before they leave).
  std::function<void(unsigned, Bytes&)> mangle;
  bool drop_while_transmitting = false;
  unsigned dropped = 0;
  unsigned flipped = 0;  // bits the noise flipped, both directions

 private:
  uint8_t on_the_line(uint8_t byte) override { return noise(byte); }
  uint8_t noise(uint8_t byte) {
    if (ber_ <= 0) return byte;
    std::bernoulli_distribution flip(ber_);
    for (int bit = 0; bit < 8; ++bit) {
      if (flip(rng_)) {
        byte ^= static_cast<uint8_t>(1u << bit);
        ++flipped;
      }
    }
    return byte;
  }

  double ber_ = 0;
  std::mt19937 rng_;
  unsigned writes_ = 0;
};

class An3155RomModelTest : public ::testing::Test {
 protected:
  An3155RomModelTest() : rom_model(bus, vstm32::RomVersion::kV3_1), link(bus, rom_model) {
    rom_model.reset(0);
    link.start_at_ready();
  }
  Bootloader make(bool pipeline) {
    Options o;
    o.pipeline = pipeline;
    return Bootloader(link, nullptr, link, o);
  }
  static Bytes random_bytes(size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    Bytes out(n);
    for (auto& b : out) b = static_cast<uint8_t>(rng());
    return out;
  }
  // Random data without the opcode pair of a chip-changing command (so every block is a burst).
  static Bytes harmless_bytes(size_t n, unsigned seed) {
    Bytes out = random_bytes(n, seed);
    for (size_t i = 0; i + 1 < n; ++i) {
      while (!burst_is_harmless(Bytes{0, out[i], out[i + 1]})) ++out[i + 1];
    }
    return out;
  }
  Status write_all(Bootloader& rom, uint32_t address, const Bytes& data) {
    for (size_t off = 0; off < data.size(); off += kMaxBlock) {
      const size_t n = std::min(kMaxBlock, data.size() - off);
      const Status status = rom.write_memory(address + static_cast<uint32_t>(off),
                                             std::span<const uint8_t>(data).subspan(off, n));
      if (status != Status::kOk) return status;
    }
    return Status::kOk;
  }
  Bytes flash_at(uint32_t address, size_t n) const {
    const auto begin = bus.flash.begin() + (address - FakeRomBus::kFlashBase);
    return Bytes(begin, begin + static_cast<long>(n));
  }
  void expect_chip_untouched_elsewhere() const {
    EXPECT_EQ(bus.mass_erases, 0u);
    EXPECT_EQ(bus.option_writes, 0u);
    EXPECT_TRUE(bus.erased.empty());
    EXPECT_FALSE(bus.go_call.has_value());
    EXPECT_FALSE(bus.reset_at.has_value());
  }

  FakeRomBus bus;
  vstm32::RomBootloader rom_model;
  SimLink link;
};

constexpr uint32_t kSlotB = 0x0808'0000;

TEST_F(An3155RomModelTest, PipelinedWritesAndReadsLandByteExact) {
  Bootloader rom = make(true);
  ASSERT_EQ(rom.sync(), Status::kOk);
  const Bytes image = random_bytes(16 * 1024, 1);
  ASSERT_EQ(write_all(rom, kSlotB, image), Status::kOk);
  EXPECT_EQ(flash_at(kSlotB, image.size()), image);
  const Stats& s = rom.stats();
  EXPECT_EQ(s.pipelined, 64u);
  EXPECT_LT(s.pipeline_unsafe, 10u);  // random data: a few blocks hold a command pair
  EXPECT_EQ(s.pipeline_failures, 0u);
  EXPECT_EQ(s.retries, 0u);
  Bytes back(image.size());
  ASSERT_EQ(read_checked(rom, kSlotB, back, false), Status::kOk);
  EXPECT_EQ(back, image);
  EXPECT_EQ(rom_model.stats().bytes_overrun, 0u);
  expect_chip_untouched_elsewhere();
}

TEST_F(An3155RomModelTest, PipelinedBlockSavesTwoTurnarounds) {
  const Bytes block = harmless_bytes(256, 2);
  Bootloader rom = make(false);
  ASSERT_EQ(rom.sync(), Status::kOk);
  uint64_t took_us[2] = {};
  for (int pipelined = 0; pipelined < 2; ++pipelined) {
    rom.options().pipeline = pipelined != 0;
    const uint64_t t0 = link.now_us();
    ASSERT_EQ(rom.write_memory(kSlotB + 256u * static_cast<unsigned>(pipelined), block),
              Status::kOk);
    took_us[pipelined] = link.now_us() - t0;
  }
  EXPECT_EQ(rom.stats().pipelined, 1u);
  // ACK by ACK also waits for the opcode's and the address's ACK: twice the ROM's reaction
  // (10 us in the model) plus one byte on the wire (95.5 us).
  const int64_t saved_us = static_cast<int64_t>(took_us[0]) - static_cast<int64_t>(took_us[1]);
  EXPECT_NEAR(static_cast<double>(saved_us), 2 * (10 + kByteNs / 1000.0), 5.0);
}

TEST_F(An3155RomModelTest, CorruptedOpcodeOrAddressInABurstIsRetriedAckByAck) {
  Bootloader rom = make(true);
  ASSERT_EQ(rom.sync(), Status::kOk);
  const Bytes image = harmless_bytes(8 * 1024, 3);
  // Bursts are the large writes; flip one bit in the complement of the 3rd and in an address
  // byte of the 10th: the ROM NACKs early and takes the rest of the burst as commands.
  unsigned bursts = 0;
  link.mangle = [&](unsigned, Bytes& out) {
    if (out.size() < 200 || out[0] != 0x31 || out[1] != 0xCE) return;
    ++bursts;
    if (bursts == 3) out[1] ^= 0x04;
    if (bursts == 10) out[4] ^= 0x40;
  };
  ASSERT_EQ(write_all(rom, kSlotB, image), Status::kOk);
  EXPECT_EQ(flash_at(kSlotB, image.size()), image);
  EXPECT_EQ(rom.stats().pipeline_failures, 2u);
  EXPECT_TRUE(rom.pipelining());  // not in a row: bit errors, not a ROM that drops bursts
  expect_chip_untouched_elsewhere();
}

TEST_F(An3155RomModelTest, RomDroppingBytesWhileItAnswersEndsAckByAck) {
  // A ROM that cannot take bytes while it sends an ACK: every burst loses its address.
  link.drop_while_transmitting = true;
  Bootloader rom = make(true);
  ASSERT_EQ(rom.sync(), Status::kOk);
  const Bytes image = harmless_bytes(4 * 1024, 4);
  ASSERT_EQ(write_all(rom, kSlotB, image), Status::kOk);
  EXPECT_EQ(flash_at(kSlotB, image.size()), image);
  EXPECT_FALSE(rom.pipelining());
  EXPECT_EQ(rom.stats().pipeline_failures, 2u);
  EXPECT_EQ(rom.stats().pipelined, 0u);
  EXPECT_GT(link.dropped, 0u);
  Bytes back(image.size());
  ASSERT_EQ(read_checked(rom, kSlotB, back, true), Status::kOk);
  EXPECT_EQ(back, image);
  expect_chip_untouched_elsewhere();
}

// Image data that holds Readout Unprotect (92 6D) and Readout Protect (82 7D) in both alignments.
Bytes dangerous_block() {
  Bytes block(256, 0x00);
  block[40] = 0x92;
  block[41] = 0x6D;
  block[81] = 0x82;
  block[82] = 0x7D;
  return block;
}

TEST_F(An3155RomModelTest, MisparsedBurstWithACommandPairWouldMassErase) {
  // Why such blocks are never pipelined: the same burst with its opcode complement hit by noise,
  // sent as one piece, makes the ROM NACK, then run 92 6D from the data: a mass erase.
  Bootloader rom = make(true);
  ASSERT_EQ(rom.sync(), Status::kOk);
  std::fill(bus.flash.begin(), bus.flash.begin() + 4096, 0x00);  // "the bootloader"
  Bytes burst = {0x31, 0xCE ^ 0x01, 0x08, 0x08, 0x00, 0x00, 0x00, 0xFF};
  uint8_t x = 0xFF;
  for (uint8_t b : dangerous_block()) {
    burst.push_back(b);
    x ^= b;
  }
  burst.push_back(x);
  ASSERT_EQ(link.write(burst), PortStatus::kOk);
  EXPECT_EQ(bus.mass_erases, 1u);
  EXPECT_EQ(bus.flash[0], 0xFF);
}

TEST_F(An3155RomModelTest, BlockWithACommandPairWaitsForTheAddressAckSoNoiseCannotRunIt) {
  Bootloader rom = make(true);
  ASSERT_EQ(rom.sync(), Status::kOk);
  const Bytes block = dangerous_block();
  // The same bit error on the opcode complement of the first write, then on an address byte of
  // the second: the ROM NACKs before any data went out.
  unsigned hits = 0;
  bool fresh = true;
  link.mangle = [&](unsigned, Bytes& out) {
    if (out.size() < 7 || out[0] != 0x31 || out[1] != 0xCE || !fresh) return;
    out[hits == 0 ? 1 : 4] ^= 0x01;
    ++hits;
    fresh = false;
  };
  ASSERT_EQ(rom.write_memory(kSlotB, block), Status::kOk);
  fresh = true;
  ASSERT_EQ(rom.write_memory(kSlotB + 256, block), Status::kOk);
  EXPECT_EQ(hits, 2u);
  EXPECT_EQ(flash_at(kSlotB, block.size()), block);
  EXPECT_EQ(flash_at(kSlotB + 256, block.size()), block);
  EXPECT_EQ(rom.stats().pipeline_unsafe, 2u);
  EXPECT_EQ(rom.stats().pipeline_failures, 2u);
  expect_chip_untouched_elsewhere();
}

class An3155RomModelNoiseTest : public An3155RomModelTest,
                                public ::testing::WithParamInterface<unsigned> {};

// Random bit errors at 2e-4 on both directions while 16 KB of random data (command pairs
// included) go out pipelined: the driver completes or fails cleanly, and nothing outside the
// blocks it wrote changes (no erase, no protection change, no Go, no write elsewhere). The data
// itself may differ: an XOR checksum misses two flips in the same bit column (the bootloader's
// SHA-256 catches that).
TEST_P(An3155RomModelNoiseTest, NoiseNeverChangesAnythingElse) {
  for (size_t i = 0; i < 4096; ++i) bus.flash[i] = static_cast<uint8_t>(i);  // "the bootloader"
  link.set_bit_errors(2e-4, GetParam());
  Bootloader rom = make(true);
  ASSERT_EQ(rom.sync(), Status::kOk);
  const Bytes image = random_bytes(16 * 1024, GetParam());
  const Status status = write_all(rom, kSlotB, image);
  EXPECT_TRUE(status == Status::kOk || status == Status::kNack || status == Status::kTimeout ||
              status == Status::kBadReply)
      << to_string(status);
  EXPECT_GT(link.flipped, 0u);  // the noise was there
  const size_t slot = kSlotB - FakeRomBus::kFlashBase;
  if (status == Status::kOk) {  // done: the slot holds the image but for rare undetected flips
    size_t same = 0;
    for (size_t i = 0; i < image.size(); ++i) same += bus.flash[slot + i] == image[i];
    EXPECT_GE(same, image.size() - 16) << "seed " << GetParam();
  }
  for (size_t i = 0; i < 4096; ++i) ASSERT_EQ(bus.flash[i], static_cast<uint8_t>(i)) << i;
  for (size_t i = 4096; i < bus.flash.size(); ++i) {
    if (i >= slot && i < slot + image.size()) continue;
    ASSERT_EQ(bus.flash[i], 0xFF) << "flash changed at offset " << i;
  }
  expect_chip_untouched_elsewhere();
  EXPECT_EQ(rom_model.parallelism_byte(), 0x00);
}

INSTANTIATE_TEST_SUITE_P(Seeds, An3155RomModelNoiseTest, ::testing::Range(1u, 13u));

TEST_F(An3155RomModelTest, RomFlashWithCacheReadsTheLogOnce) {
  Bootloader rom = make(true);
  ASSERT_EQ(rom.sync(), Status::kOk);
  const Bytes record = harmless_bytes(32, 5);
  std::copy(record.begin(), record.end(), bus.flash.begin() + (0x080E'0000 - 0x0800'0000));
  std::array<uint8_t, 4096> storage{};
  ReadCache cache(storage);
  RomFlash flash(rom, true, &cache);
  uint8_t out[32];
  ASSERT_EQ(flash.read(0x080E'0000, out), bootcore::FlashStatus::kOk);
  const unsigned reads = bus.reads;
  ASSERT_EQ(flash.read(0x080E'0000, out), bootcore::FlashStatus::kOk);
  EXPECT_EQ(bus.reads, reads);
  const uint32_t word[] = {0};
  ASSERT_EQ(flash.program_words(0x080E'0000, word), bootcore::FlashStatus::kOk);
  ASSERT_EQ(flash.read(0x080E'0000, out), bootcore::FlashStatus::kOk);
  EXPECT_GT(bus.reads, reads);
  EXPECT_EQ(out[0], 0);
  EXPECT_EQ(out[4], record[4]);
}

}  // namespace
}  // namespace fota::an3155
