// SPDX-License-Identifier: Apache-2.0
// The ROM bootloader (BOOT0 high) on the machine: power cuts while it programs and erases land
// in its flash steps like in the CPU's, leave the same kinds of torn state, and the chip comes
// back in the ROM answering a fresh sync; its Go starts real firmware on the CPU.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "harness.h"

namespace {

using vstm32_test::flash_word;

constexpr uint8_t kAck = 0x79;
constexpr uint64_t kByteNs = 96'000;  // 11 bits (8E1) at 115200 baud, rounded up

// Sends bytes one frame apart (each given to the machine when its stop bit ends), then waits
// until `replies` more bytes came back or `max_ns` passed.
std::vector<uint8_t> transact(vstm32::Machine& m, const std::vector<uint8_t>& bytes, size_t replies,
                              uint64_t max_ns = 100'000'000) {
  for (uint8_t b : bytes) {
    m.run_for_ns(kByteNs);
    m.uart_receive(b);
  }
  std::vector<uint8_t> got;
  m.run_until(
      [&] {
        for (const auto& t : m.take_uart_tx()) got.push_back(t.byte);
        return got.size() >= replies;
      },
      max_ns, 10'000);
  return got;
}

std::unique_ptr<vstm32::Machine> rom_machine() {
  vstm32::MachineConfig config;
  config.boot0 = true;
  auto m = vstm32_test::new_machine(config);
  if (m == nullptr) return nullptr;
  m->power_on();
  m->advance_to(100'000'000);  // past the ROM's start-up delay
  EXPECT_EQ(transact(*m, {0x7F}, 1), std::vector<uint8_t>{kAck});
  return m;
}

// Write Memory (0x31) of `data` at `address`, up to the data's checksum.
std::vector<uint8_t> write_memory(vstm32::Machine& m, uint32_t address,
                                  const std::vector<uint8_t>& data, size_t replies_after_data) {
  if (transact(m, {0x31, 0xCE}, 1) != std::vector<uint8_t>{kAck}) return {0xEE};
  std::vector<uint8_t> a = {static_cast<uint8_t>(address >> 24),
                            static_cast<uint8_t>(address >> 16), static_cast<uint8_t>(address >> 8),
                            static_cast<uint8_t>(address)};
  a.push_back(a[0] ^ a[1] ^ a[2] ^ a[3]);
  if (transact(m, a, 1) != std::vector<uint8_t>{kAck}) return {0xEE};
  std::vector<uint8_t> frame = {static_cast<uint8_t>(data.size() - 1)};
  uint8_t sum = frame[0];
  for (uint8_t b : data) {
    frame.push_back(b);
    sum ^= b;
  }
  frame.push_back(sum);
  return transact(m, frame, replies_after_data);
}

TEST(Vstm32RomPowerCutTest, CutInTheRomsByteProgramsTearsOneByte) {
  auto m = rom_machine();
  ASSERT_NE(m, nullptr);
  constexpr uint32_t kAddress = 0x0800'4000;
  std::vector<uint8_t> data(256);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(0x5A ^ (i * 7));
  // The ROM programs at x8 by default: one flash step per byte. Cut inside the 10th.
  m->cut_at_flash_step(10, 0.5);
  const auto reply = write_memory(*m, kAddress, data, 1);
  EXPECT_TRUE(reply.empty()) << "no ACK after a power cut";
  EXPECT_FALSE(m->powered());
  EXPECT_EQ(m->power_cuts(), 1u);
  const auto flash = m->flash();
  const uint32_t off = kAddress - vstm32::kFlashBase;
  for (size_t i = 0; i < 9; ++i) EXPECT_EQ(flash[off + i], data[i]) << "byte " << i;
  EXPECT_EQ(flash[off + 9] & data[9], data[9]) << "torn byte cleared a bit it must keep";
  for (size_t i = 10; i < data.size(); ++i) ASSERT_EQ(flash[off + i], 0xFF) << "byte " << i;
  // Power back with BOOT0 still high: the ROM again, syncing after its delay.
  m->power_on();
  EXPECT_EQ(m->mode(), vstm32::Mode::kRom);
  m->run_for_ns(100'000'000);
  EXPECT_EQ(transact(*m, {0x7F}, 1), std::vector<uint8_t>{kAck});
}

TEST(Vstm32RomPowerCutTest, CutInTheRomsSectorEraseLeavesAPrefix) {
  auto m = rom_machine();
  ASSERT_NE(m, nullptr);
  constexpr uint32_t kSector1 = 0x0800'4000;
  m->load_flash(kSector1, std::vector<uint8_t>(16 * 1024, 0x00));
  // Extended Erase (0x44) of sector 1: N-1 = 0 (one sector), sector 0x0001, checksum.
  ASSERT_EQ(transact(*m, {0x44, 0xBB}, 1), std::vector<uint8_t>{kAck});
  m->cut_at_flash_step(1, 0.25);
  const auto reply = transact(*m, {0x00, 0x00, 0x00, 0x01, 0x01}, 1);
  EXPECT_TRUE(reply.empty());
  EXPECT_FALSE(m->powered());
  uint32_t prefix = 0;
  while (prefix < 4096 && flash_word(*m, kSector1 + 4 * prefix) == 0xFFFF'FFFFu) ++prefix;
  EXPECT_EQ(prefix, 1024u);  // a quarter of the 4096 words
  for (uint32_t i = prefix; i < 4096; ++i) {
    ASSERT_EQ(flash_word(*m, kSector1 + 4 * i), 0u) << "word " << i;
  }
  EXPECT_EQ(flash_word(*m, kSector1 - 4), 0xFFFF'FFFFu);  // sector 0 untouched (erased image)
}

TEST(Vstm32RomPowerCutTest, WithoutACutTheRomWritesAndAcks) {
  auto m = rom_machine();
  ASSERT_NE(m, nullptr);
  std::vector<uint8_t> data(16);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 17);
  EXPECT_EQ(write_memory(*m, 0x0800'4000, data, 1), std::vector<uint8_t>{kAck});
  const auto flash = m->flash();
  for (size_t i = 0; i < data.size(); ++i) EXPECT_EQ(flash[0x4000 + i], data[i]);
  EXPECT_EQ(m->flash_steps(), 16u);
}

TEST(Vstm32RomGoTest, GoStartsTheApplicationWhichPrintsAsBehindTheBootloader) {
  auto m = rom_machine();
  ASSERT_NE(m, nullptr);
  const auto app = vstm32_test::artifact("testfw-app.bin");
  ASSERT_FALSE(app.empty());
  m->load_flash(testfw::kAppVectorAddress, app);
  m->clear_uart_text();
  // Go (0x21): ACK, address + checksum, ACK, then the ROM jumps (MSP and PC from the address).
  ASSERT_EQ(transact(*m, {0x21, 0xDE}, 1), std::vector<uint8_t>{kAck});
  ASSERT_EQ(transact(*m, {0x08, 0x02, 0x02, 0x00, 0x08 ^ 0x02 ^ 0x02 ^ 0x00}, 1),
            std::vector<uint8_t>{kAck});
  ASSERT_TRUE(vstm32_test::run_until_text(*m, "done\n", 1'000'000'000)) << m->uart_text();
  EXPECT_EQ(m->mode(), vstm32::Mode::kCpu);
  const std::string& text = m->uart_text();
  // The app sets its own VTOR and prints what it prints behind testfw-boot (peer proof 2).
  EXPECT_NE(text.find("testapp: hello from 0x08020200\ntestapp: vtor=0x08020200 stack in sram\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("primes<10000=1229"), std::string::npos) << text;
  EXPECT_EQ(m->uart_frame_bits(), 10u) << "the app reconfigured USART1 from the ROM's 8E1 to 8N1";
}

}  // namespace
