// SPDX-License-Identifier: Apache-2.0
// The debugger's data watchpoints (Machine::add_debug_watchpoint, GDB's Z2/Z3/Z4): a run stops
// right after the instruction whose access touched the watched bytes, with the kind and address
// of the hit, and runs on from there; accesses of the other direction do not stop it.
#include <gtest/gtest.h>
#include <unicorn/unicorn.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "harness.h"
#include "vstm32/machine.h"

namespace {

using vstm32::Machine;

constexpr uint32_t kCode = vstm32::kFlashBase + 8;
constexpr uint32_t kData = 0x2000'1000;
constexpr uint32_t kAfterStore = kCode + 2, kAfterLoad = kCode + 4, kEnd = kCode + 10;

// 1: str r1, [r2]; ldr r3, [r2, #4]; adds r1, #1; subs r0, #1; bne 1b; b .
// R0 = 3 rounds, R1 = 100 (stored, then 101, 102), R2 = kData.
std::unique_ptr<Machine> machine() {
  auto m = vstm32_test::new_machine();
  if (m == nullptr) return nullptr;
  std::vector<uint8_t> image = {0x00, 0x00, 0x02, 0x20, 0x09, 0x00, 0x00, 0x08};
  for (uint16_t h : {0x6011, 0x6853, 0x3101, 0x3801, 0xD1FA, 0xE7FE}) {
    image.push_back(static_cast<uint8_t>(h));
    image.push_back(static_cast<uint8_t>(h >> 8));
  }
  m->load_flash(vstm32::kFlashBase, image);
  m->power_on();
  m->set_reg(UC_ARM_REG_R0, 3);
  m->set_reg(UC_ARM_REG_R1, 100);
  m->set_reg(UC_ARM_REG_R2, kData);
  m->add_debug_breakpoint(kEnd);
  return m;
}

// Runs until a debug stop; the PC there.
uint32_t run(Machine& m) {
  m.advance_to(m.now_ns() + 1'000'000'000);
  EXPECT_TRUE(m.take_debug_stop());
  return m.reg(UC_ARM_REG_PC);
}

uint32_t word_at(Machine& m, uint32_t address) {
  uint32_t v = 0;
  EXPECT_TRUE(m.debug_read32(address, v));
  return v;
}

TEST(Vstm32DebuggerTest, WriteWatchpointStopsAfterEachStore) {
  auto m = machine();
  ASSERT_TRUE(m);
  m->add_debug_watchpoint(kData, 4, Machine::WatchKind::kWrite);
  for (uint32_t round = 0; round < 3; ++round) {
    EXPECT_EQ(run(*m), kAfterStore) << round;
    const auto hit = m->take_watch_hit();
    ASSERT_TRUE(hit.has_value());
    EXPECT_EQ(hit->kind, Machine::WatchKind::kWrite);
    EXPECT_EQ(hit->address, kData);
    EXPECT_EQ(word_at(*m, kData), 100 + round);  // the store completed
  }
  EXPECT_EQ(run(*m), kEnd);  // no more stores
  EXPECT_FALSE(m->take_watch_hit().has_value());
  EXPECT_EQ(m->reg(UC_ARM_REG_R1), 103u);
}

TEST(Vstm32DebuggerTest, ReadAndAccessWatchpoints) {
  auto m = machine();
  ASSERT_TRUE(m);
  // A read watchpoint ignores the store to kData and stops after the load of kData + 4.
  m->add_debug_watchpoint(kData, 8, Machine::WatchKind::kRead);
  EXPECT_EQ(run(*m), kAfterLoad);
  auto hit = m->take_watch_hit();
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->kind, Machine::WatchKind::kRead);
  EXPECT_EQ(hit->address, kData + 4);
  m->remove_debug_watchpoint(kData, 8, Machine::WatchKind::kRead);
  // An access watchpoint on the upper half of the stored word: the word store touches it.
  m->add_debug_watchpoint(kData + 2, 2, Machine::WatchKind::kAccess);
  EXPECT_EQ(run(*m), kAfterStore);
  hit = m->take_watch_hit();
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->kind, Machine::WatchKind::kAccess);
  EXPECT_EQ(hit->address, kData + 2);
  m->remove_debug_watchpoint(kData + 2, 2, Machine::WatchKind::kAccess);
  // A write watchpoint where only loads go does not stop: the run reaches the end.
  m->add_debug_watchpoint(kData + 4, 4, Machine::WatchKind::kWrite);
  EXPECT_EQ(run(*m), kEnd);
  EXPECT_FALSE(m->take_watch_hit().has_value());
  EXPECT_EQ(m->reg(UC_ARM_REG_R1), 103u);
}

}  // namespace
