// SPDX-License-Identifier: Apache-2.0
// The optional cycle model of vstm32::Machine (MachineConfig::cycle_model): what a run of Thumb-2
// code costs in HCLK cycles on a Cortex-M4, from the Technical Reference Manual's instruction
// timing (loads/stores with pipelining, LDM/STM/PUSH/POP 1+N, multiply, divide, FPU, branches
// with their pipeline refill) and the STM32F4 flash interface (ACR LATENCY wait states, the ART
// accelerator's prefetch and instruction cache). Computed once per translated block; the one
// run-time part is the refill of a taken branch, known when the next block starts.
// docs/vstm32.md, "Cycle model", has the table and the remaining error.
#pragma once

#include <cstdint>

namespace vstm32 {

// Cycles (TRM table 3-1; P = pipeline refill).
namespace cycles {
inline constexpr uint32_t kRefillImmediate = 1;  // B, Bcc, BL, CBZ: target known early
inline constexpr uint32_t kRefillRegister = 2;   // BX, BLX, POP/LDM/LDR to PC, TBB/TBH
inline constexpr uint32_t kDivide = 7;           // SDIV/UDIV: 2-12 by operands (middle value)
inline constexpr uint32_t kFpDivide = 14;        // VDIV, VSQRT
inline constexpr uint32_t kFpMultiplyAccumulate = 3;
inline constexpr uint32_t kException = 12;  // stacking on entry, unstacking on return
}  // namespace cycles

// The flash interface as the ACR sets it (FLASH_ACR: LATENCY 2:0, PRFTEN 8, ICEN 9).
struct FetchModel {
  uint32_t wait_states = 0;
  bool prefetch = false;
  bool icache = false;
};

struct BlockCost {
  uint32_t instructions = 0;
  uint32_t cycles = 0;  // with the last instruction's branch not taken
  uint32_t refill = 0;  // added when the block's last instruction branched (taken)
};

// `code` holds the block's bytes at `address` (flash if below 0x2000'0000: wait states apply).
BlockCost block_cost(const uint8_t* code, uint32_t address, uint32_t size, const FetchModel& fetch);

}  // namespace vstm32
