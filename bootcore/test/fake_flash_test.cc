// SPDX-License-Identifier: Apache-2.0
#include "fake_flash.h"

#include <gtest/gtest.h>

#include <array>
#include <bit>

namespace fota::bootcore::test {
namespace {

constexpr uint32_t kAddr = 0x0801'0000;  // sector 4

uint32_t read_word(FakeFlash& f, uint32_t a) {
  std::array<uint8_t, 4> b{};
  EXPECT_EQ(f.read(a, b), FlashStatus::kOk);
  return static_cast<uint32_t>(b[0]) | b[1] << 8 | b[2] << 16 | static_cast<uint32_t>(b[3]) << 24;
}

TEST(BootcoreFakeFlash, ProgrammingAndsIntoTheCellAndEraseSetsOnes) {
  FakeFlash f;
  EXPECT_EQ(read_word(f, kAddr), 0xFFFF'FFFFu);
  const uint32_t a[] = {0x1234'5678};
  ASSERT_EQ(f.program_words(kAddr, a), FlashStatus::kOk);
  EXPECT_EQ(read_word(f, kAddr), 0x1234'5678u);
  const uint32_t b[] = {0xFFFF'00FF};  // a rewrite only clears bits
  ASSERT_EQ(f.program_words(kAddr, b), FlashStatus::kOk);
  EXPECT_EQ(read_word(f, kAddr), 0x1234'0078u);
  const uint32_t c[] = {0xFFFF'FFFF};
  ASSERT_EQ(f.program_words(kAddr, c), FlashStatus::kOk);
  EXPECT_EQ(read_word(f, kAddr), 0x1234'0078u);
  ASSERT_EQ(f.erase_sector(4), FlashStatus::kOk);
  EXPECT_EQ(read_word(f, kAddr), 0xFFFF'FFFFu);
}

TEST(BootcoreFakeFlash, RejectsMisalignedAndOutOfRange) {
  FakeFlash f;
  const uint32_t w[] = {0};
  EXPECT_EQ(f.program_words(kAddr + 2, w), FlashStatus::kMisaligned);
  EXPECT_EQ(f.program_words(0x0810'0000, w), FlashStatus::kOutOfRange);
  EXPECT_EQ(f.program_words(0x07FF'FFFC, w), FlashStatus::kOutOfRange);
  const uint32_t two[] = {0, 0};
  EXPECT_EQ(f.program_words(0x080F'FFFC, two), FlashStatus::kOutOfRange);
  std::array<uint8_t, 8> buf{};
  EXPECT_EQ(f.read(0x080F'FFFC, buf), FlashStatus::kOutOfRange);
  EXPECT_EQ(f.erase_sector(12), FlashStatus::kOutOfRange);
  EXPECT_EQ(f.steps(), 0u);
}

TEST(BootcoreFakeFlash, CleanCutStopsBeforeTheStepAndKillsPower) {
  FakeFlash f;
  const uint32_t w[] = {0x1111'1111, 0x2222'2222, 0x3333'3333};
  f.schedule_cut(2, CutKind::kClean, 1);
  EXPECT_THROW((void)f.program_words(kAddr, w), PowerCut);
  EXPECT_TRUE(f.cut_happened());
  EXPECT_FALSE(f.powered());
  std::array<uint8_t, 4> b{};
  EXPECT_THROW((void)f.read(kAddr, b), PowerCut);
  EXPECT_THROW((void)f.erase_sector(4), PowerCut);
  f.power_on();
  EXPECT_EQ(read_word(f, kAddr), 0x1111'1111u);
  EXPECT_EQ(read_word(f, kAddr + 4), 0xFFFF'FFFFu);
}

TEST(BootcoreFakeFlash, TornWordClearsSomeButNotAllBits) {
  for (uint64_t seed = 1; seed < 200; ++seed) {
    FakeFlash f;
    const uint32_t w[] = {0x0000'0000};
    f.schedule_cut(1, CutKind::kTorn, seed);
    ASSERT_THROW((void)f.program_words(kAddr, w), PowerCut);
    f.power_on();
    const uint32_t v = read_word(f, kAddr);
    EXPECT_NE(v, 0xFFFF'FFFFu) << seed;
    EXPECT_NE(v, 0u) << seed;
  }
}

TEST(BootcoreFakeFlash, TornEraseLeavesOldErasedAndGarbage) {
  unsigned saw_partial = 0;
  for (uint64_t seed = 1; seed < 50; ++seed) {
    FakeFlash f;
    std::vector<uint32_t> zeros(1024, 0);
    ASSERT_EQ(f.program_words(kAddr, zeros), FlashStatus::kOk);
    f.schedule_cut(1, CutKind::kTorn, seed);
    ASSERT_THROW((void)f.erase_sector(4), PowerCut);
    f.power_on();
    unsigned erased = 0, old = 0;
    for (uint32_t i = 0; i < 4096; ++i) {
      const uint8_t b = *f.raw(kAddr + i);
      erased += b == 0xFF;
      old += b == 0x00;
    }
    EXPECT_EQ(*f.raw(kAddr + 4096), 0xFF);  // never written: still erased
    if (erased > 0 && old > 0) ++saw_partial;
  }
  EXPECT_GT(saw_partial, 30u);
}

TEST(BootcoreFakeFlash, RestoreCopiesTouchedSectors) {
  FakeFlash a, b;
  const uint32_t w[] = {0x0};
  ASSERT_EQ(a.program_words(0x080E'0000, w), FlashStatus::kOk);
  ASSERT_EQ(b.program_words(0x0802'0000, w), FlashStatus::kOk);
  b.restore_from(a);
  EXPECT_EQ(read_word(b, 0x080E'0000), 0u);
  EXPECT_EQ(read_word(b, 0x0802'0000), 0xFFFF'FFFFu);
}

}  // namespace
}  // namespace fota::bootcore::test
