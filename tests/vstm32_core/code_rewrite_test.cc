// SPDX-License-Identifier: Apache-2.0
// Code that has already run and is then rewritten must execute as rewritten: Unicorn keeps
// translated blocks, so every path that changes memory under code the core executed (the CPU's
// own stores to SRAM, the flash controller's erase and program, the host's load_flash) has to
// drop them. A bootloader that erases a slot, programs a new image into it and jumps there must
// run the NEW image, even when the old one ran earlier in the same power cycle. (The probe's
// write over SRAM code is in peripherals_test.cc.)
//
// The routines are hand-assembled Thumb-2 (arm-none-eabi-as, listed next to each halfword).
#include <gtest/gtest.h>
#include <unicorn/unicorn.h>

#include <cstring>
#include <ostream>
#include <string>
#include <vector>

#include "harness.h"

namespace {

using vstm32_test::new_machine;
using vstm32_test::read32;
using vstm32_test::write_code;

constexpr uint32_t kResults = 0x2000'0500;  // the routines store what F returned here
constexpr uint32_t kStack = vstm32::kSramBase + vstm32::kSramSize;

std::vector<uint8_t> bytes_of(const std::vector<uint16_t>& halfwords) {
  std::vector<uint8_t> out(2 * halfwords.size());
  std::memcpy(out.data(), halfwords.data(), out.size());
  return out;
}

std::vector<uint8_t> vectors(uint32_t reset) {
  const uint32_t table[4] = {kStack, reset | 1u, 0x2000'0101u, 0x2000'0101u};
  std::vector<uint8_t> out(sizeof table);
  std::memcpy(out.data(), table, sizeof table);
  return out;
}

// F returns a number: movs r0, #n ; bx lr.
uint32_t returns(unsigned n) {
  return 0x4770'2000u | n;
}

// ---- the CPU stores over SRAM code it has run ----

// F at 0x2000'0400; call it, store `movs r0,#2; bx lr` over it, call it again.
// clang-format off
const std::vector<uint16_t> kSramSelfModify = {
    0xF240, 0x4401,  // movw r4, #0x0401
    0xF2C2, 0x0400,  // movt r4, #0x2000       r4 = F | 1
    0xF240, 0x5500,  // movw r5, #0x0500
    0xF2C2, 0x0500,  // movt r5, #0x2000       r5 = results
    0x47A0,          // blx r4
    0x6028,          // str r0, [r5]
    0xF242, 0x0102,  // movw r1, #0x2002
    0xF2C4, 0x7170,  // movt r1, #0x4770       movs r0, #2 ; bx lr
    0x1E62,          // subs r2, r4, #1
    0x6011,          // str r1, [r2]
    0x47A0,          // blx r4
    0x6068,          // str r0, [r5, #4]
    0xE7FE,          // b .
};
// clang-format on

TEST(Vstm32CodeRewriteTest, CpuStoreOverSramCodeItRanTakesEffect) {
  auto m = new_machine();
  ASSERT_NE(m, nullptr);
  m->load_flash(vstm32::kFlashBase, vectors(0x2000'0200));
  m->power_on();
  write_code(*m, 0x2000'0100, {0xE7FE});  // HardFault: b .
  write_code(*m, 0x2000'0200, kSramSelfModify);
  ASSERT_TRUE(m->debug_write32(0x2000'0400, returns(1)));
  m->run_for_ns(100'000);
  EXPECT_EQ(read32(*m, kResults), 1u);
  EXPECT_EQ(read32(*m, kResults + 4), 2u) << "the core ran the old F after the store over it";
  EXPECT_EQ(m->reg(UC_ARM_REG_PC), 0x2000'0224u);
}

// ---- the flash controller erases and reprograms code that has run ----

// F in sector 2 (at `f` | 1: 0x0800'8001, or 0x0000'8001 through the boot alias); call it,
// unlock, erase sector 2, program `movs r0,#2; bx lr` over F, lock, call it again. BSY is polled
// (from flash the core stalls instead and never sees it).
std::vector<uint16_t> flash_rewrite_routine(uint32_t f) {
  const uint16_t hi = static_cast<uint16_t>(f >> 16);  // 0x0800 or 0x0000
  const uint16_t movt_r4_hi[2] = {
      static_cast<uint16_t>(0xF2C0 | ((hi >> 12) & 0xF) | (((hi >> 11) & 1) << 10)),
      static_cast<uint16_t>((((hi >> 8) & 7) << 12) | 0x0400 | (hi & 0xFF))};
  // clang-format off
  return {
      0xF248, 0x0401,                // movw r4, #0x8001
      movt_r4_hi[0], movt_r4_hi[1],  // movt r4, #hi
      0xF240, 0x5500,                // movw r5, #0x0500
      0xF2C2, 0x0500,                // movt r5, #0x2000
      0xF643, 0x4600,                // movw r6, #0x3C00
      0xF2C4, 0x0602,                // movt r6, #0x4002       FLASH interface
      0x47A0,                        // blx r4
      0x6028,                        // str r0, [r5]
      0xF240, 0x1023,                // movw r0, #0x0123
      0xF2C4, 0x5067,                // movt r0, #0x4567
      0x6070,                        // str r0, [r6, #4]       KEYR
      0xF648, 0x10AB,                // movw r0, #0x89AB
      0xF6CC, 0x50EF,                // movt r0, #0xCDEF
      0x6070,                        // str r0, [r6, #4]       KEYR
      0xF240, 0x2012,                // movw r0, #0x0212       x32 | SNB 2 | SER
      0x6130,                        // str r0, [r6, #16]      CR
      0xF440, 0x3080,                // orr.w r0, r0, #0x10000 STRT
      0x6130,                        // str r0, [r6, #16]
      0x68F1,                        // 1: ldr r1, [r6, #12]   SR
      0xF411, 0x3F80,                // tst.w r1, #0x10000     BSY
      0xD1FB,                        // bne 1b
      0xF240, 0x2001,                // movw r0, #0x0201       x32 | PG
      0x6130,                        // str r0, [r6, #16]
      0xF242, 0x0002,                // movw r0, #0x2002
      0xF2C4, 0x7070,                // movt r0, #0x4770       movs r0, #2 ; bx lr
      0x1E61,                        // subs r1, r4, #1
      0x6008,                        // str r0, [r1]           program F
      0x68F1,                        // 2: ldr r1, [r6, #12]
      0xF411, 0x3F80,                // tst.w r1, #0x10000
      0xD1FB,                        // bne 2b
      0xF04F, 0x4000,                // mov.w r0, #0x80000000  LOCK
      0x6130,                        // str r0, [r6, #16]
      0x47A0,                        // blx r4
      0x6068,                        // str r0, [r5, #4]
      0xE7FE,                        // b .
  };
  // clang-format on
}

struct RewriteCase {
  const char* name;
  uint32_t routine;  // where the routine runs: SRAM (sees BSY) or flash sector 0 (stalls)
  uint32_t f;        // F's address as called
};

void PrintTo(const RewriteCase& c, std::ostream* os) {
  *os << c.name;
}

class Vstm32FlashRewriteTest : public ::testing::TestWithParam<RewriteCase> {};

TEST_P(Vstm32FlashRewriteTest, ErasedAndReprogrammedCodeRunsAsReprogrammed) {
  const RewriteCase c = GetParam();
  auto m = new_machine();
  ASSERT_NE(m, nullptr);
  m->load_flash(vstm32::kFlashBase, vectors(c.routine));
  const std::vector<uint16_t> routine = flash_rewrite_routine(c.f);
  const bool in_sram = c.routine >= vstm32::kSramBase;
  if (!in_sram) m->load_flash(c.routine, bytes_of(routine));
  const uint32_t f_old[2] = {returns(1), 0xFFFF'FFFFu};
  std::vector<uint8_t> f_bytes(sizeof f_old);
  std::memcpy(f_bytes.data(), f_old, sizeof f_old);
  m->load_flash(0x0800'8000, f_bytes);
  m->power_on();
  write_code(*m, 0x2000'0100, {0xE7FE});  // HardFault: b .
  if (in_sram) write_code(*m, c.routine, routine);
  m->run_for_ns(400'000'000);  // the 16 KB erase takes 250 ms at x32
  EXPECT_EQ(vstm32_test::flash_word(*m, 0x0800'8000), returns(2));
  EXPECT_EQ(read32(*m, kResults), 1u);
  EXPECT_EQ(read32(*m, kResults + 4), 2u) << "the core ran the erased code's old translation";
  EXPECT_EQ(m->reg(UC_ARM_REG_PC), c.routine + 2 * (routine.size() - 1));
  EXPECT_TRUE(
      vstm32_test::events_with(m->take_events(), vstm32::MachineEvent::Kind::kFault).empty());
}

INSTANTIATE_TEST_SUITE_P(
    Routine, Vstm32FlashRewriteTest,
    ::testing::Values(RewriteCase{"FromSram", 0x2000'0200, 0x0800'8000},
                      RewriteCase{"FromFlash", 0x0800'0200, 0x0800'8000},
                      RewriteCase{"FromSramThroughBootAlias", 0x2000'0200, 0x0000'8000},
                      RewriteCase{"FromFlashThroughBootAlias", 0x0800'0200, 0x0000'8000}),
    [](const ::testing::TestParamInfo<RewriteCase>& info) { return std::string(info.param.name); });

// ---- the host replaces flash under code that has run (flash-image tools, tests) ----

TEST(Vstm32CodeRewriteTest, LoadFlashOverCodeThatRanTakesEffect) {
  auto m = new_machine();
  ASSERT_NE(m, nullptr);
  // Reset handler in flash: movs r0, #1 ; b .   then replaced by  movs r0, #7 ; b .
  m->load_flash(vstm32::kFlashBase, vectors(0x0800'0200));
  m->load_flash(0x0800'0200, bytes_of({0x2001, 0xE7FE}));
  m->power_on();
  m->run_for_ns(10'000);
  EXPECT_EQ(m->reg(UC_ARM_REG_R0), 1u);
  m->load_flash(0x0800'0200, bytes_of({0x2007, 0xE7FD}));  // movs r0, #7 ; b <movs>
  m->run_for_ns(10'000);
  EXPECT_EQ(m->reg(UC_ARM_REG_R0), 7u);
}

// The instruction count of flash code follows a rewrite that changes its instruction lengths at
// the same addresses (the machine caches counts per translated block). Flash code:
//   0x0800'0200: X (8 bytes) ; svc #0 ; b 0x0800'0200      SVCall handler: bx lr
// X is first four `adds r0,#1` (16-bit), then two `add.w r0,r0,#1` (32-bit). After the rewrite
// one round is 5 instructions (b, add.w, add.w, svc, bx) and adds 2 to r0.
TEST(Vstm32CodeRewriteTest, InstructionCountFollowsRewrittenFlashCode) {
  auto m = new_machine();
  ASSERT_NE(m, nullptr);
  std::vector<uint8_t> table(16 * 4, 0);
  uint32_t vectors[16] = {kStack, 0x0800'0201u, 0x0800'0211u, 0x0800'0211u};
  vectors[11] = 0x0800'0211u;  // SVCall
  std::memcpy(table.data(), vectors, sizeof vectors);
  m->load_flash(vstm32::kFlashBase, table);
  m->load_flash(0x0800'0200,
                bytes_of({0x3001, 0x3001, 0x3001, 0x3001, 0xDF00, 0xE7F9, 0xFFFF, 0xFFFF, 0x4770}));
  m->power_on();
  m->set_breakpoint(0x0800'020A);  // the b, after X, svc and the handler's bx lr
  m->run_for_ns(100'000);
  ASSERT_TRUE(m->breakpoint_hit_ns().has_value());
  ASSERT_EQ(m->instructions(), 6u);
  ASSERT_EQ(m->reg(UC_ARM_REG_R0), 4u);
  m->load_flash(0x0800'0200, bytes_of({0xF100, 0x0001, 0xF100, 0x0001}));
  // A round is 30 cycles in the cycle model (2 x add.w 1, svc 1 + entry 12, bx lr 1 + 2, return
  // 12, b 1 + 1): 300 us at 16 MHz hold 160 rounds.
  m->run_for_ns(300'000);
  const uint64_t n = m->instructions() - 6;
  const uint64_t rounds = n / 5, rest = n % 5;
  const uint64_t in_round = rest >= 3 ? 2 : rest == 2 ? 1 : 0;
  EXPECT_GT(rounds, 100u);
  EXPECT_EQ(m->reg(UC_ARM_REG_R0), 4 + 2 * rounds + in_round) << n << " instructions";
}

}  // namespace
