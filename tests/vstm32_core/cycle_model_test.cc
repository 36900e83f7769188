// SPDX-License-Identifier: Apache-2.0
// The cycle model (MachineConfig::cycle_model) against the Cortex-M4 TRM's instruction timing
// and the flash interface's wait states: hand-assembled loops run from flash at 16 MHz, and the
// simulated cycles (and time) must be within 5 % of the arithmetic from the tables in
// docs/vstm32.md ("Cycle model").
#include <gtest/gtest.h>
#include <unicorn/unicorn.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "harness.h"
#include "vstm32/machine.h"

namespace {

constexpr uint32_t kCode = vstm32::kFlashBase + 8;
constexpr uint32_t kAcr = 0x4002'3C00;
constexpr uint32_t kDemcr = 0xE000'EDFC, kDwtCtrl = 0xE000'1000, kDwtCyccnt = 0xE000'1004;
constexpr uint32_t kDwtLar = 0xE000'1FB0;
constexpr uint64_t kLoops = 100'000;

struct LoopRun {
  uint64_t cycles = 0;
  uint64_t instructions = 0;
  double time_cycles = 0;  // the simulated time in 16 MHz cycles
  uint32_t r1 = 0;         // R1, R5, R7 at the end
  uint32_t r5 = 0, r7 = 0;
  uint32_t cyccnt_end = 0;  // DWT_CYCCNT read by the debugger at the end, and cycles() then
  uint64_t cycles_at_end = 0;
};

// Flash: vector table (SP, reset vector), then `code` (halfwords) at 0x0800'0008 ending in `b .`.
// R0 = kLoops, R2 = an SRAM buffer, R3/R4 = divide operands; runs to the `b .`.
LoopRun run_loop(const std::vector<uint16_t>& code, bool cycle_model, uint32_t acr = 0,
                 const std::function<void(vstm32::Machine&)>& setup = {}) {
  vstm32::MachineConfig config;
  config.cycle_model = cycle_model;
  auto m = vstm32_test::new_machine(config);
  if (m == nullptr) return {};
  std::vector<uint8_t> image = {0x00, 0x00, 0x02, 0x20, 0x09, 0x00, 0x00, 0x08};
  for (uint16_t h : code) {
    image.push_back(static_cast<uint8_t>(h));
    image.push_back(static_cast<uint8_t>(h >> 8));
  }
  m->load_flash(vstm32::kFlashBase, image);
  m->power_on();
  if (acr != 0) EXPECT_TRUE(m->debug_write32(kAcr, acr));
  m->set_reg(UC_ARM_REG_R0, kLoops);
  m->set_reg(UC_ARM_REG_R1, 0);
  m->set_reg(UC_ARM_REG_R2, 0x2000'1000);
  m->set_reg(UC_ARM_REG_R3, 1000);
  m->set_reg(UC_ARM_REG_R4, 7);
  if (setup) setup(*m);
  const uint32_t end = kCode + 2 * static_cast<uint32_t>(code.size() - 1);  // the `b .`
  m->add_debug_breakpoint(end);
  const uint64_t c0 = m->cycles(), i0 = m->instructions(), t0 = m->now_ns();
  m->advance_to(t0 + 2'000'000'000);
  EXPECT_TRUE(m->take_debug_stop());
  EXPECT_EQ(m->reg(UC_ARM_REG_PC), end);
  LoopRun r;
  r.cycles = m->cycles() - c0;
  r.instructions = m->instructions() - i0;
  r.r1 = m->reg(UC_ARM_REG_R1);
  r.r5 = m->reg(UC_ARM_REG_R5);
  r.r7 = m->reg(UC_ARM_REG_R7);
  if (m->debug_read32(kDwtCyccnt, r.cyccnt_end)) r.cycles_at_end = m->cycles();
  r.time_cycles = static_cast<double>(m->now_ns() - t0) * 16e6 / 1e9;
  return r;
}

void expect_within_5_percent(const LoopRun& r, double expected, const char* what) {
  EXPECT_NEAR(static_cast<double>(r.cycles), expected, 0.05 * expected) << what;
  EXPECT_NEAR(r.time_cycles, expected, 0.05 * expected) << what << " (time)";
}

// 1: subs r0, #1; bne 1b; b .
const std::vector<uint16_t> kDelayLoop = {0x3801, 0xD1FD, 0xE7FE};

TEST(Vstm32CycleModelTest, DelayLoopIsThreeCyclesAnIteration) {
  // SUBS 1, BNE taken 1 + P (P = 1): 3 an iteration, the last BNE not taken.
  const LoopRun r = run_loop(kDelayLoop, true);
  expect_within_5_percent(r, 3.0 * kLoops - 1, "subs/bne");
  // Exact, also across the slice boundaries (300,000 cycles: two slices).
  EXPECT_EQ(r.instructions, 2 * kLoops);
  EXPECT_EQ(r.cycles, 3 * kLoops - 1);
  // Without the model: one cycle per instruction, as before.
  const LoopRun flat = run_loop(kDelayLoop, false);
  EXPECT_EQ(flat.cycles, 2 * kLoops);
}

// A run stopped between two blocks (the end of a slice) resumes at the next block: no
// instruction runs twice or not at all, and the retired count is exact. Two slice boundaries
// fall inside the loop (200,000 cycles a slice at 16 MHz).
TEST(Vstm32CycleModelTest, EveryInstructionRunsOnceAcrossSlices) {
  // 1: adds r1, #1; adds r2, #1 (R2 = 0x2000'1000 at the start); subs r0, #1; bne 1b; b .
  const LoopRun r = run_loop({0x3101, 0x3201, 0x3801, 0xD1FB, 0xE7FE}, true);
  EXPECT_EQ(r.r1, kLoops);
  EXPECT_EQ(r.instructions, 4 * kLoops);
  EXPECT_EQ(r.cycles, 5 * kLoops - 1);
  // The same without the cycle model (slices of 200,000 instructions).
  const LoopRun flat = run_loop({0x3101, 0x3201, 0x3801, 0xD1FB, 0xE7FE}, false);
  EXPECT_EQ(flat.r1, kLoops);
  EXPECT_EQ(flat.instructions, 4 * kLoops);
}

TEST(Vstm32CycleModelTest, PipelinedLoadRunsAndMultipleTransfers) {
  // 4 x ldr r1, [r2]: 2 + 1 + 1 + 1 (pipelined), subs 1, bne 1 + 1: 8 an iteration.
  const LoopRun loads = run_loop({0x6811, 0x6811, 0x6811, 0x6811, 0x3801, 0xD1F9, 0xE7FE}, true);
  expect_within_5_percent(loads, 8.0 * kLoops - 1, "ldr run");
  // ldmia.w r2, {r3-r6}; stmia.w r2, {r3-r6}: 1 + 4 each, subs 1, bne 2: 13 an iteration.
  const LoopRun ldm = run_loop({0xE892, 0x0078, 0xE882, 0x0078, 0x3801, 0xD1F9, 0xE7FE}, true);
  expect_within_5_percent(ldm, 13.0 * kLoops - 1, "ldm/stm");
}

TEST(Vstm32CycleModelTest, DividesStayInsideTheTrmRange) {
  // udiv r1, r3, r4 takes 2-12 cycles by its operands (TRM); subs 1, bne 2.
  const LoopRun r = run_loop({0xFBB3, 0xF1F4, 0x3801, 0xD1FB, 0xE7FE}, true);
  EXPECT_GE(static_cast<double>(r.cycles), (2.0 + 3.0) * kLoops - 1);
  EXPECT_LE(static_cast<double>(r.cycles), (12.0 + 3.0) * kLoops);
}

TEST(Vstm32CycleModelTest, FlashWaitStatesAndTheArtAccelerator) {
  // LATENCY 5, no prefetch, no cache: the loop's line is fetched again each iteration (+5).
  expect_within_5_percent(run_loop(kDelayLoop, true, 5), 8.0 * kLoops, "5 wait states");
  // Prefetch without the instruction cache: the taken branch refetches its target (+5).
  expect_within_5_percent(run_loop(kDelayLoop, true, 5 | (1u << 8)), 8.0 * kLoops, "prefetch");
  // ART on (prefetch + instruction cache): the loop runs from the cache, as at 0 wait states.
  expect_within_5_percent(run_loop(kDelayLoop, true, 5 | (1u << 8) | (1u << 9)), 3.0 * kLoops - 1,
                          "ART");
}

// DWT_CYCCNT as HAL delay code uses it: DEMCR.TRCENA, (LAR unlock), CYCCNT = 0, CYCCNTENA; the
// core reads it with `ldr r5, [r6]` before and `ldr r7, [r6]` after the delay loop:
//   ldr r5, [r6]; 1: subs r0, #1; bne 1b; ldr r7, [r6]; b .
// From the start of the first load to the start of the second: the load 2, then 100,000 x
// (subs 1 + bne 2) with the last bne not taken (1): 2 + 3 x 100,000 - 1.
const std::vector<uint16_t> kCyccntLoop = {0x6835, 0x3801, 0xD1FD, 0x6837, 0xE7FE};

std::function<void(vstm32::Machine&)> enable_cyccnt(bool trcena) {
  return [trcena](vstm32::Machine& m) {
    EXPECT_TRUE(m.debug_write32(kDemcr, trcena ? 1u << 24 : 0u));
    EXPECT_TRUE(m.debug_write32(kDwtLar, 0xC5AC'CE55));
    EXPECT_TRUE(m.debug_write32(kDwtCyccnt, 0));
    EXPECT_TRUE(m.debug_write32(kDwtCtrl, 1));
    uint32_t ctrl = 0;
    EXPECT_TRUE(m.debug_read32(kDwtCtrl, ctrl));
    EXPECT_EQ(ctrl, 0x4000'0001u);  // NUMCOMP 4, CYCCNTENA
    m.set_reg(UC_ARM_REG_R6, kDwtCyccnt);
  };
}

TEST(Vstm32CycleModelTest, DwtCyccntCountsTheModelsCycles) {
  const LoopRun r = run_loop(kCyccntLoop, true, 0, enable_cyccnt(true));
  EXPECT_EQ(r.r7 - r.r5, 2 + 3 * kLoops - 1);
  // The debugger's read at the end: every cycle since CYCCNT was zeroed (its own load included).
  EXPECT_EQ(uint64_t{r.cyccnt_end}, r.cycles);
  // Without the model CYCCNT counts one a instruction, like cycles().
  const LoopRun flat = run_loop(kCyccntLoop, false, 0, enable_cyccnt(true));
  EXPECT_EQ(flat.r7 - flat.r5, 1 + 2 * kLoops);
  // DEMCR.TRCENA clear: the DWT does not count.
  const LoopRun off = run_loop(kCyccntLoop, true, 0, enable_cyccnt(false));
  EXPECT_EQ(off.r5, 0u);
  EXPECT_EQ(off.r7, 0u);
}

}  // namespace
