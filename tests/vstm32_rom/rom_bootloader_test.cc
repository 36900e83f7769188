// SPDX-License-Identifier: Apache-2.0
// The AN3155 model over a fake RomBus: every command, every NACK case, and the timing.
#include "vstm32/rom_bootloader.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "fake_rom_bus.h"

namespace vstm32 {
namespace {

using testing::FakeRomBus;
using Bytes = std::vector<uint8_t>;

constexpr uint8_t kAck = rom::kAck;
constexpr uint8_t kNack = rom::kNack;

Bytes address_bytes(uint32_t address) {
  Bytes out = {static_cast<uint8_t>(address >> 24), static_cast<uint8_t>(address >> 16),
               static_cast<uint8_t>(address >> 8), static_cast<uint8_t>(address)};
  out.push_back(out[0] ^ out[1] ^ out[2] ^ out[3]);
  return out;
}

class RomTest : public ::testing::TestWithParam<RomVersion> {
 protected:
  RomTest() : rom_(bus_, GetParam()) {
    rom_.set_trace([this](uint64_t, const std::string& line) { trace_.push_back(line); });
  }

  // Power-on into system memory at t = 0, wait for start-up, sync.
  void boot_and_sync() {
    rom_.reset(0);
    t_ = rom_.ready_at_ns();
    feed({0x7F});
    ASSERT_EQ(bus_.take_tx(), Bytes{kAck});
  }
  // Bytes from the host, 100 us apart (roughly 115200 baud), starting after the ROM is idle.
  void feed(const Bytes& bytes) {
    t_ = std::max(t_, rom_.busy_until_ns());
    for (uint8_t b : bytes) {
      rom_.on_rx_byte(b, t_);
      t_ += 100'000;
    }
  }
  void feed(std::initializer_list<uint8_t> bytes) { feed(Bytes(bytes)); }
  Bytes command(uint8_t opcode) {
    feed({opcode, static_cast<uint8_t>(opcode ^ 0xFF)});
    return bus_.take_tx();
  }
  Bytes send_address(uint32_t address) {
    feed(address_bytes(address));
    return bus_.take_tx();
  }
  // A complete Write Memory as stm32flash sends it; returns every byte the ROM answered.
  Bytes write_memory(uint32_t address, const Bytes& data) {
    Bytes out = command(rom::kWriteMemory);
    if (out != Bytes{kAck} || !then(out, address_bytes(address))) return out;
    Bytes block = {static_cast<uint8_t>(data.size() - 1)};
    block.insert(block.end(), data.begin(), data.end());
    then(out, with_xor(block));
    return out;
  }
  Bytes read_memory(uint32_t address, unsigned length) {
    Bytes out = command(rom::kReadMemory);
    if (out != Bytes{kAck} || !then(out, address_bytes(address))) return out;
    then(out, {static_cast<uint8_t>(length - 1), static_cast<uint8_t>((length - 1) ^ 0xFF)});
    return out;
  }
  Bytes erase_sectors(const std::vector<uint16_t>& sectors) {
    Bytes out = command(rom::kExtendedErase);
    if (out != Bytes{kAck}) return out;
    const uint16_t n = static_cast<uint16_t>(sectors.size() - 1);
    Bytes body = {static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)};
    for (uint16_t s : sectors) {
      body.push_back(static_cast<uint8_t>(s >> 8));
      body.push_back(static_cast<uint8_t>(s));
    }
    then(out, with_xor(body));
    return out;
  }
  // Sends `frame` and appends what the ROM answered to `out`: true when that was an ACK alone.
  bool then(Bytes& out, const Bytes& frame) {
    feed(frame);
    const Bytes r = bus_.take_tx();
    out.insert(out.end(), r.begin(), r.end());
    return r == Bytes{kAck};
  }
  // `frame` followed by the XOR of its bytes (AN3155's checksum).
  static Bytes with_xor(Bytes frame) {
    frame.push_back(std::accumulate(frame.begin(), frame.end(), uint8_t{0},
                                    [](uint8_t x, uint8_t b) { return uint8_t(x ^ b); }));
    return frame;
  }

  FakeRomBus bus_;
  RomBootloader rom_;
  std::vector<std::string> trace_;
  uint64_t t_ = 0;
};

INSTANTIATE_TEST_SUITE_P(Versions, RomTest, ::testing::Values(RomVersion::kV3_1, RomVersion::kV9_1),
                         [](const auto& info) {
                           return info.param == RomVersion::kV3_1 ? "V3_1" : "V9_1";
                         });

TEST_P(RomTest, IgnoresBytesBeforeStartupDelay) {
  rom_.reset(1'000'000);
  const uint64_t delay = GetParam() == RomVersion::kV3_1 ? 84'600'000 : 90'000'000;
  EXPECT_EQ(rom_.ready_at_ns(), 1'000'000 + delay);
  EXPECT_LT(delay, 100'000'000u) << "a host waiting 100 ms after reset must be able to sync";
  rom_.on_rx_byte(0x7F, rom_.ready_at_ns() - 1);
  EXPECT_TRUE(bus_.tx.empty());
  EXPECT_EQ(rom_.stats().bytes_ignored, 1u);
  rom_.on_rx_byte(0x7F, rom_.ready_at_ns());
  ASSERT_EQ(bus_.tx.size(), 1u);
  EXPECT_EQ(bus_.tx[0].byte, kAck);
  EXPECT_EQ(bus_.tx[0].at_ns, rom_.ready_at_ns() + rom::kSyncAckLatencyNs);
}

TEST_P(RomTest, SkipsNoiseBeforeSync) {
  rom_.reset(0);
  t_ = rom_.ready_at_ns();
  feed({0x00, 0xFF, 0x55, 0x7E});
  EXPECT_TRUE(bus_.tx.empty());
  feed({0x7F});
  EXPECT_EQ(bus_.take_tx(), Bytes{kAck});
  EXPECT_EQ(rom_.state(), RomBootloader::State::kCommand);
}

TEST_P(RomTest, SecondSyncIsABadCommand) {
  boot_and_sync();
  feed({0x7F});
  EXPECT_TRUE(bus_.tx.empty()) << "a lone 0x7F is the first byte of a command";
  feed({0x7F});
  EXPECT_EQ(bus_.take_tx(), Bytes{kNack});
  // Still synced: a command works.
  EXPECT_EQ(command(rom::kGetId), (Bytes{kAck, 0x01, 0x04, 0x13, kAck}));
}

TEST_P(RomTest, GetListsTheF4Commands) {
  boot_and_sync();
  EXPECT_EQ(command(rom::kGet), (Bytes{kAck, 0x0B, 0x31, 0x00, 0x01, 0x02, 0x11, 0x21, 0x31, 0x44,
                                       0x63, 0x73, 0x82, 0x92, kAck}));
}

TEST_P(RomTest, GetVersionAndGetId) {
  boot_and_sync();
  EXPECT_EQ(command(rom::kGetVersion), (Bytes{kAck, 0x31, 0x00, 0x00, kAck}));
  EXPECT_EQ(command(rom::kGetId), (Bytes{kAck, 0x01, 0x04, 0x13, kAck}));
}

TEST_P(RomTest, BadComplementAndUnknownCommandsNack) {
  boot_and_sync();
  feed({0x00, 0x00});
  EXPECT_EQ(bus_.take_tx(), Bytes{kNack});
  for (uint8_t opcode : {0x43, 0xA1, 0x32, 0x45, 0x74, 0xFF}) {
    EXPECT_EQ(command(opcode), Bytes{kNack}) << "opcode " << int{opcode};
  }
  EXPECT_EQ(command(rom::kGetVersion), (Bytes{kAck, 0x31, 0x00, 0x00, kAck}));
}

TEST_P(RomTest, ReadMemoryReturnsExactlyNBytes) {
  boot_and_sync();
  for (unsigned i = 0; i < 256; ++i) bus_.flash[0x100 + i] = static_cast<uint8_t>(i * 7);
  Bytes r = read_memory(0x0800'0100, 256);
  ASSERT_EQ(r.size(), 2u + 1 + 256) << "ACK, ACK(address), ACK(length), data, no trailing ACK";
  EXPECT_EQ(r[0], kAck);
  EXPECT_EQ(r[1], kAck);
  EXPECT_EQ(r[2], kAck);
  for (unsigned i = 0; i < 256; ++i) EXPECT_EQ(r[3 + i], static_cast<uint8_t>(i * 7));
  EXPECT_EQ(read_memory(0x080F'FFFF, 1), (Bytes{kAck, kAck, kAck, 0xFF}));
}

TEST_P(RomTest, ReadMemoryAreas) {
  boot_and_sync();
  // Unique ID and flash size register.
  Bytes uid = read_memory(0x1FFF'7A10, 12);
  ASSERT_EQ(uid.size(), 15u);
  for (unsigned i = 0; i < 12; ++i) EXPECT_EQ(uid[3 + i], 0x10 + i);
  EXPECT_EQ(read_memory(0x1FFF'7A22, 2), (Bytes{kAck, kAck, kAck, 0x00, 0x04}));
  // System memory, OTP and option bytes are readable; SRAM too.
  EXPECT_EQ(read_memory(0x1FFF'0000, 4).size(), 7u);
  EXPECT_EQ(read_memory(0x1FFF'7800, 4).size(), 7u);
  EXPECT_EQ(read_memory(0x1FFF'C000, 16).size(), 19u);
  EXPECT_EQ(read_memory(0x2001'FFFC, 4).size(), 7u);
}

TEST_P(RomTest, ReadMemoryNacks) {
  boot_and_sync();
  // Bad address checksum.
  EXPECT_EQ(command(rom::kReadMemory), Bytes{kAck});
  feed({0x08, 0x00, 0x00, 0x00, 0x00});
  EXPECT_EQ(bus_.take_tx(), Bytes{kNack});
  // Addresses outside every area.
  for (uint32_t bad : {0x0810'0000u, 0x0000'0000u, 0x1000'0000u, 0x2002'0000u, 0x4002'3C00u,
                       0x1FFF'7A1Cu, 0x1FFF'C010u, 0xE000'ED00u}) {
    EXPECT_EQ(read_memory(bad, 4), (Bytes{kAck, kNack})) << std::hex << bad;
  }
  // Bad length complement.
  EXPECT_EQ(command(rom::kReadMemory), Bytes{kAck});
  EXPECT_EQ(send_address(0x0800'0000), Bytes{kAck});
  feed({0xFF, 0xFF});
  EXPECT_EQ(bus_.take_tx(), Bytes{kNack});
  // A range that leaves flash.
  EXPECT_EQ(read_memory(0x080F'FF80, 256), (Bytes{kAck, kAck, kNack}));
  // Still in command state after all of it.
  EXPECT_EQ(command(rom::kGetId), (Bytes{kAck, 0x01, 0x04, 0x13, kAck}));
}

TEST_P(RomTest, WriteMemoryProgramsFlashWithAndSemanticsAndTakesProgramTime) {
  boot_and_sync();
  Bytes data(256);
  for (unsigned i = 0; i < 256; ++i) data[i] = static_cast<uint8_t>(0xF0 | (i & 0x0F));
  const uint64_t before = t_;
  Bytes r = write_memory(0x0802'0000, data);
  EXPECT_EQ(r, (Bytes{kAck, kAck, kAck}));
  EXPECT_EQ(bus_.last_psize, 0u) << "the ROM programs at x8 by default";
  for (unsigned i = 0; i < 256; ++i) ASSERT_EQ(bus_.flash[0x2'0000 + i], data[i]);
  // The final ACK leaves after 256 byte programs of 16 us.
  const uint64_t checksum_at = before + (2 + 5 + 1 + 256) * 100'000;
  EXPECT_EQ(rom_.busy_until_ns(), checksum_at + rom::kTurnaroundNs + 256 * 16'000);
  // Writing again only clears bits (flash AND rule).
  Bytes data2(256, 0x3C);
  EXPECT_EQ(write_memory(0x0802'0000, data2), (Bytes{kAck, kAck, kAck}));
  EXPECT_EQ(bus_.flash[0x2'0000], 0x30);
  EXPECT_EQ(bus_.flash[0x2'0001], 0x30 | (0x01 & 0x3C));
  EXPECT_EQ(rom_.stats().bytes_written, 512u);
}

TEST_P(RomTest, WriteMemoryToRam) {
  boot_and_sync();
  const uint32_t ram = rom::reserved_ram_end(GetParam());
  EXPECT_EQ(write_memory(ram, {1, 2, 3, 4}), (Bytes{kAck, kAck, kAck}));
  EXPECT_EQ(bus_.sram[ram - 0x2000'0000 + 2], 3);
  EXPECT_EQ(write_memory(0x2001'FFFC, {9, 9, 9, 9}), (Bytes{kAck, kAck, kAck}));
}

TEST_P(RomTest, WriteMemoryNacks) {
  boot_and_sync();
  const Bytes four = {0, 0, 0, 0};
  // Reserved RAM of this ROM version; V3.1 lets the host use 0x2000'2000.
  EXPECT_EQ(write_memory(rom::reserved_ram_end(GetParam()) - 4, four), (Bytes{kAck, kNack}));
  EXPECT_EQ(write_memory(0x2000'2000, four),
            GetParam() == RomVersion::kV3_1 ? (Bytes{kAck, kAck, kAck}) : (Bytes{kAck, kNack}));
  // Misaligned flash address, read-only and unmapped areas.
  for (uint32_t bad : {0x0802'0002u, 0x1FFF'0000u, 0x1FFF'7A10u, 0x0810'0000u, 0x4001'1000u,
                       0x1FFF'C004u, 0xFFFF'0001u}) {
    EXPECT_EQ(write_memory(bad, four), (Bytes{kAck, kNack})) << std::hex << bad;
  }
  // Bad checksum: nothing is programmed.
  EXPECT_EQ(command(rom::kWriteMemory), Bytes{kAck});
  EXPECT_EQ(send_address(0x0802'0000), Bytes{kAck});
  feed({0x03, 0x00, 0x00, 0x00, 0x00, 0x00});
  EXPECT_EQ(bus_.take_tx(), Bytes{kNack});
  EXPECT_EQ(bus_.flash[0x2'0000], 0xFF);
  EXPECT_EQ(bus_.programmed_bytes, 0u);
  // Length not a multiple of 4.
  EXPECT_EQ(write_memory(0x0802'0000, {0, 0, 0}), (Bytes{kAck, kAck, kNack}));
  // Data that runs past the end of flash.
  EXPECT_EQ(write_memory(0x080F'FFFC, Bytes(8, 0)), (Bytes{kAck, kAck, kNack}));
  // Write-protected sector.
  bus_.nwrp = static_cast<uint16_t>(0x0FFF & ~(1u << 5));
  EXPECT_EQ(write_memory(0x0802'0000, four), (Bytes{kAck, kAck, kNack}));
  EXPECT_EQ(bus_.flash[0x2'0000], 0xFF);
  EXPECT_EQ(command(rom::kGetId), (Bytes{kAck, 0x01, 0x04, 0x13, kAck}));
}

TEST_P(RomTest, ParallelismByteSelectsPsize) {
  boot_and_sync();
  EXPECT_EQ(read_memory(0xFFFF'0000, 4), (Bytes{kAck, kAck, kAck, 0x00, 0xFF, 0xFF, 0xFF}));
  EXPECT_EQ(write_memory(0xFFFF'0000, {0x03, 0xFF, 0xFF, 0xFF}), (Bytes{kAck, kAck, kAck}));
  EXPECT_EQ(rom_.psize(), 2u);
  EXPECT_EQ(read_memory(0xFFFF'0000, 1), (Bytes{kAck, kAck, kAck, 0x03}));
  // x32: a 256-byte block is 64 word programs.
  const uint64_t before = t_;
  EXPECT_EQ(write_memory(0x0802'0000, Bytes(256, 0x00)), (Bytes{kAck, kAck, kAck}));
  EXPECT_EQ(bus_.last_psize, 2u);
  EXPECT_EQ(rom_.busy_until_ns(),
            before + (2 + 5 + 258) * 100'000 - 100'000 + rom::kTurnaroundNs + 64 * 16'000);
  EXPECT_EQ(erase_sectors({5}), (Bytes{kAck, kAck}));
  EXPECT_EQ(bus_.last_psize, 2u);
  // 0x01 and 0x02 are both x16, 0x04 is x64; other values and non-0xFF tails are refused.
  EXPECT_EQ(write_memory(0xFFFF'0000, {0x01, 0xFF, 0xFF, 0xFF}), (Bytes{kAck, kAck, kAck}));
  EXPECT_EQ(rom_.psize(), 1u);
  EXPECT_EQ(write_memory(0xFFFF'0000, {0x04, 0xFF, 0xFF, 0xFF}), (Bytes{kAck, kAck, kAck}));
  EXPECT_EQ(rom_.psize(), 3u);
  EXPECT_EQ(write_memory(0xFFFF'0000, {0x05, 0xFF, 0xFF, 0xFF}), (Bytes{kAck, kAck, kNack}));
  EXPECT_EQ(write_memory(0xFFFF'0000, {0x00, 0x00, 0xFF, 0xFF}), (Bytes{kAck, kAck, kNack}));
  EXPECT_EQ(rom_.psize(), 3u);
  // A single byte is enough.
  EXPECT_EQ(write_memory(0xFFFF'0000, {0x02}), (Bytes{kAck, kAck, kAck}));
  EXPECT_EQ(rom_.psize(), 1u);
  // A reset restores x8.
  rom_.reset(t_);
  EXPECT_EQ(rom_.parallelism_byte(), 0x00);
  EXPECT_EQ(rom_.psize(), 0u);
}

TEST_P(RomTest, ExtendedEraseSectorList) {
  boot_and_sync();
  bus_.flash[0x2'0000] = 0x00;
  bus_.flash[0x4'0000] = 0x00;
  bus_.flash[0x0'0000] = 0x00;
  const uint64_t before = t_;
  EXPECT_EQ(erase_sectors({5, 6}), (Bytes{kAck, kAck}));
  EXPECT_EQ(bus_.flash[0x2'0000], 0xFF);
  EXPECT_EQ(bus_.flash[0x4'0000], 0xFF);
  EXPECT_EQ(bus_.flash[0x0'0000], 0x00);
  EXPECT_EQ(bus_.erased, (std::vector<unsigned>{5, 6}));
  // Two 128 KB sectors at x8: 2 s each (typical) before the ACK.
  ASSERT_EQ(bus_.tx.size(), 0u);
  const uint64_t checksum_at = before + (2 + 2 + 4) * 100'000;
  EXPECT_EQ(rom_.busy_until_ns(), checksum_at + rom::kTurnaroundNs + 4'000'000'000ull);
  // The exact bytes of the facts sheet: sector 5 only.
  feed({0x44, 0xBB});
  EXPECT_EQ(bus_.take_tx(), Bytes{kAck});
  feed({0x00, 0x00, 0x00, 0x05, 0x05});
  EXPECT_EQ(bus_.take_tx(), Bytes{kAck});
}

TEST_P(RomTest, ExtendedEraseMassAndNacks) {
  boot_and_sync();
  bus_.flash[0] = 0;
  bus_.flash[0xF'FFFF] = 0;
  EXPECT_EQ(command(rom::kExtendedErase), Bytes{kAck});
  feed({0xFF, 0xFF, 0x00});
  EXPECT_EQ(bus_.take_tx(), Bytes{kAck});
  EXPECT_EQ(bus_.mass_erases, 1u);
  EXPECT_EQ(bus_.flash[0], 0xFF);
  EXPECT_EQ(bus_.flash[0xF'FFFF], 0xFF);
  // Bank erases do not exist on the single-bank F407; reserved codes are refused.
  for (uint8_t lo : {0xFE, 0xFD, 0xF0}) {
    EXPECT_EQ(command(rom::kExtendedErase), Bytes{kAck});
    feed({0xFF, lo, static_cast<uint8_t>(0xFF ^ lo)});
    EXPECT_EQ(bus_.take_tx(), Bytes{kNack});
  }
  // Bad checksum, sector beyond 11: nothing erased.
  bus_.erased.clear();
  EXPECT_EQ(command(rom::kExtendedErase), Bytes{kAck});
  feed({0x00, 0x00, 0x00, 0x05, 0x04});
  EXPECT_EQ(bus_.take_tx(), Bytes{kNack});
  EXPECT_EQ(erase_sectors({5, 12}), (Bytes{kAck, kNack}));
  EXPECT_EQ(erase_sectors({0x0105}), (Bytes{kAck, kNack}));
  EXPECT_TRUE(bus_.erased.empty());
  // A write-protected sector.
  bus_.nwrp = static_cast<uint16_t>(0x0FFF & ~(1u << 7));
  EXPECT_EQ(erase_sectors({7}), (Bytes{kAck, kNack}));
  EXPECT_EQ(command(rom::kGetId), (Bytes{kAck, 0x01, 0x04, 0x13, kAck}));
}

TEST_P(RomTest, GoJumpsToFlashOrRam) {
  boot_and_sync();
  EXPECT_EQ(command(rom::kGo), Bytes{kAck});
  EXPECT_EQ(send_address(0x0802'0200), Bytes{kAck});
  ASSERT_TRUE(bus_.go_call.has_value());
  EXPECT_EQ(bus_.go_call->first, 0x0802'0200u);
  EXPECT_FALSE(rom_.active());
  // After Go the ROM no longer listens.
  feed({0x7F});
  EXPECT_TRUE(bus_.tx.empty());
}

TEST_P(RomTest, GoNacks) {
  boot_and_sync();
  for (uint32_t bad : {0x1FFF'0000u, 0x0810'0000u, 0x2000'0000u, 0x0802'0202u, 0x4000'0000u}) {
    EXPECT_EQ(command(rom::kGo), Bytes{kAck});
    EXPECT_EQ(send_address(bad), Bytes{kNack}) << std::hex << bad;
  }
  EXPECT_FALSE(bus_.go_call.has_value());
  EXPECT_EQ(command(rom::kGo), Bytes{kAck});
  EXPECT_EQ(send_address(rom::reserved_ram_end(GetParam())), Bytes{kAck});
  EXPECT_TRUE(bus_.go_call.has_value());
}

TEST_P(RomTest, WriteProtectAndUnprotectResetTheChip) {
  boot_and_sync();
  EXPECT_EQ(command(rom::kWriteProtect), Bytes{kAck});
  feed({0x01, 0x05, 0x0B, 0x01 ^ 0x05 ^ 0x0B});
  EXPECT_EQ(bus_.take_tx(), Bytes{kAck});
  EXPECT_EQ(bus_.nwrp, 0x0FFF & ~(1u << 5) & ~(1u << 11));
  ASSERT_TRUE(bus_.reset_at.has_value());
  EXPECT_FALSE(rom_.active());

  bus_.reset_at.reset();
  boot_and_sync();
  EXPECT_EQ(command(rom::kWriteProtect), Bytes{kAck});
  feed({0x00, 0x0C, 0x0C});  // sector 12 does not exist
  EXPECT_EQ(bus_.take_tx(), Bytes{kNack});
  EXPECT_EQ(command(rom::kWriteProtect), Bytes{kAck});
  feed({0x00, 0x03, 0x00});  // bad checksum
  EXPECT_EQ(bus_.take_tx(), Bytes{kNack});
  EXPECT_FALSE(bus_.reset_at.has_value());

  EXPECT_EQ(command(rom::kWriteUnprotect), (Bytes{kAck, kAck}));
  EXPECT_EQ(bus_.nwrp, 0x0FFF);
  EXPECT_TRUE(bus_.reset_at.has_value());
}

TEST_P(RomTest, ReadoutProtectionLifecycle) {
  boot_and_sync();
  bus_.flash[0x2'0000] = 0x42;
  EXPECT_EQ(command(rom::kReadoutProtect), (Bytes{kAck, kAck}));
  EXPECT_NE(bus_.rdp, 0xAA);
  EXPECT_NE(bus_.rdp, 0xCC);
  ASSERT_TRUE(bus_.reset_at.has_value());

  boot_and_sync();
  const Bytes refused = GetParam() == RomVersion::kV3_1 ? Bytes{kNack, kNack} : Bytes{kNack};
  EXPECT_EQ(command(rom::kReadMemory), refused);
  EXPECT_EQ(command(rom::kWriteMemory), refused);
  for (uint8_t op : {rom::kGo, rom::kExtendedErase, rom::kWriteProtect, rom::kWriteUnprotect,
                     rom::kReadoutProtect}) {
    EXPECT_EQ(command(op), Bytes{kNack}) << int{op};
  }
  EXPECT_EQ(command(rom::kGet).size(), 15u);
  EXPECT_EQ(command(rom::kGetVersion), (Bytes{kAck, 0x31, 0x00, 0x00, kAck}));
  EXPECT_EQ(command(rom::kGetId), (Bytes{kAck, 0x01, 0x04, 0x13, kAck}));

  // Readout Unprotect: ACK, mass erase, ACK, reset; the second ACK waits for the erase.
  bus_.reset_at.reset();
  const uint64_t before = std::max(t_, rom_.busy_until_ns());
  EXPECT_EQ(command(rom::kReadoutUnprotect), (Bytes{kAck, kAck}));
  EXPECT_EQ(bus_.rdp, 0xAA);
  EXPECT_EQ(bus_.mass_erases, 1u);
  EXPECT_EQ(bus_.flash[0x2'0000], 0xFF);
  ASSERT_TRUE(bus_.reset_at.has_value());
  EXPECT_GE(*bus_.reset_at, before + 16'000'000'000ull) << "mass erase at x8 takes 16 s";
  EXPECT_FALSE(rom_.active());
}

// The factory state `fota provision` leaves (nWRP on sectors 0-2, RDP 1): Readout Unprotect still
// erases everything, protected sectors included, and keeps nWRP; RDP is back to level 0.
TEST_P(RomTest, ReadoutUnprotectErasesWriteProtectedSectorsToo) {
  boot_and_sync();
  bus_.flash[0x0000] = 0x11;  // sector 0 (bootloader)
  bus_.flash[0x8000] = 0x22;  // sector 2 (key block)
  bus_.flash[0x2'0000] = 0x33;
  bus_.nwrp = 0x0FF8;
  bus_.rdp = 0x55;
  boot_and_sync();
  EXPECT_EQ(command(rom::kExtendedErase), Bytes{kNack});
  EXPECT_EQ(command(rom::kReadoutUnprotect), (Bytes{kAck, kAck}));
  EXPECT_EQ(bus_.rdp, 0xAA);
  EXPECT_EQ(bus_.nwrp, 0x0FF8);
  EXPECT_EQ(bus_.flash[0x0000], 0xFF);
  EXPECT_EQ(bus_.flash[0x8000], 0xFF);
  EXPECT_EQ(bus_.flash[0x2'0000], 0xFF);
  EXPECT_FALSE(rom_.active());
}

TEST_P(RomTest, RdpLevel2SilencesTheRom) {
  bus_.rdp = 0xCC;
  rom_.reset(0);
  EXPECT_EQ(rom_.state(), RomBootloader::State::kDisabled);
  rom_.on_rx_byte(0x7F, rom_.ready_at_ns() + 1);
  EXPECT_TRUE(bus_.tx.empty());
}

TEST_P(RomTest, OptionBytesWriteReprogramsAndResets) {
  boot_and_sync();
  Bytes opt = {0xEC, 0xAA, 0x13, 0x55, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE, 0x0F, 0x01, 0xF0};
  EXPECT_EQ(write_memory(0x1FFF'C000, opt), (Bytes{kAck, kAck, kAck}));
  EXPECT_EQ(bus_.nwrp, 0x0FFE);
  EXPECT_EQ(bus_.rdp, 0xAA);
  EXPECT_TRUE(bus_.reset_at.has_value());
  EXPECT_FALSE(rom_.active());
}

TEST_P(RomTest, BusyRomHoldsOneByteAndLosesTheRest) {
  boot_and_sync();
  EXPECT_EQ(erase_sectors({11}), (Bytes{kAck, kAck}));
  const uint64_t busy = rom_.busy_until_ns();
  ASSERT_GT(busy, t_ + 1'000'000'000) << "a 128 KB erase keeps the ROM busy for seconds";
  // A host that does not wait for the ACK: Get ID during the erase. The first byte waits in
  // USART DR, the next ones are lost (overrun).
  rom_.on_rx_byte(0x02, t_);
  rom_.on_rx_byte(0xFD, t_ + 100'000);
  rom_.on_rx_byte(0x02, t_ + 200'000);
  EXPECT_EQ(rom_.stats().bytes_overrun, 2u);
  EXPECT_TRUE(bus_.tx.empty());
  // After the erase the held 0x02 is taken; the complement that follows completes Get ID.
  rom_.on_rx_byte(0xFD, busy + 100'000);
  ASSERT_EQ(bus_.tx.size(), 5u);
  EXPECT_EQ(bus_.tx[0].byte, kAck);
  EXPECT_GE(bus_.tx[0].at_ns, busy + 100'000);
}

TEST_P(RomTest, Stm32flashStartupSequenceIsByteExact) {
  // 0x7F; GET VERSION; GET; GET ID; READ 256 at 0x0800'0000 (what stm32flash 0.7 sends at start).
  rom_.reset(0);
  t_ = 100'000'000;
  feed({0x7F, 0x01, 0xFE, 0x00, 0xFF, 0x02, 0xFD, 0x11, 0xEE});
  feed(address_bytes(0x0800'0000));
  feed({0xFF, 0x00});
  Bytes r = bus_.take_tx();
  Bytes expected = {kAck,                          // sync
                    kAck, 0x31, 0x00, 0x00, kAck,  // get version
                    kAck, 0x0B, 0x31, 0x00, 0x01, 0x02, 0x11, 0x21,
                    0x31, 0x44, 0x63, 0x73, 0x82, 0x92, kAck,  // get
                    kAck, 0x01, 0x04, 0x13, kAck,              // get id
                    kAck, kAck, kAck};                         // read
  expected.insert(expected.end(), 256, 0xFF);
  EXPECT_EQ(r, expected);
}

TEST_P(RomTest, TransmitTimesAreNeverBeforeTheRequest) {
  boot_and_sync();
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {
    const uint64_t sent = t_;
    feed({static_cast<uint8_t>(rng())});
    for (const auto& b : bus_.tx) ASSERT_GE(b.at_ns, sent);
    bus_.tx.clear();
  }
  // Random bytes never crash the model and it can be brought back: FF 00 until a NACK.
  for (int i = 0; i < 1000 && bus_.tx.empty(); ++i) feed({0xFF, 0x00});
  bus_.tx.clear();
  if (rom_.active()) {
    EXPECT_EQ(command(rom::kGetId), (Bytes{kAck, 0x01, 0x04, 0x13, kAck}));
  }
}

}  // namespace
}  // namespace vstm32
