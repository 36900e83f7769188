// SPDX-License-Identifier: Apache-2.0
#include "cycle_model.h"

#include <bit>

namespace vstm32 {

namespace {

struct Insn {
  uint32_t cycles = 1;
  uint32_t refill = 0;  // a branch: the refill when taken
  bool memory = false;  // a single load/store (pipelines with a neighbouring one)
};

uint32_t count_bits(uint32_t v) {
  return static_cast<uint32_t>(std::popcount(v));
}

Insn decode16(uint16_t h) {
  Insn i;
  if ((h & 0xFF00u) == 0x4700u) {  // BX/BLX Rm
    i.refill = cycles::kRefillRegister;
  } else if ((h & 0xFF87u) == 0x4687u || (h & 0xFF87u) == 0x4487u) {  // MOV/ADD PC, Rm
    i.refill = cycles::kRefillRegister;
  } else if ((h & 0xF000u) == 0xD000u && ((h >> 8) & 0xFu) < 0xEu) {  // Bcc
    i.refill = cycles::kRefillImmediate;
  } else if ((h & 0xF800u) == 0xE000u || (h & 0xF500u) == 0xB100u) {  // B, CBZ/CBNZ
    i.refill = cycles::kRefillImmediate;
  } else if ((h & 0xFE00u) == 0xBC00u) {  // POP
    i.cycles = 1 + count_bits(h & 0x1FFu);
    if (h & 0x100u) i.refill = cycles::kRefillRegister;
  } else if ((h & 0xFE00u) == 0xB400u) {  // PUSH
    i.cycles = 1 + count_bits(h & 0x1FFu);
  } else if ((h & 0xF000u) == 0xC000u) {  // LDM/STM
    i.cycles = 1 + count_bits(h & 0xFFu);
  } else if ((h & 0xF800u) == 0x4800u || (h & 0xF000u) == 0x5000u || (h & 0xE000u) == 0x6000u ||
             (h & 0xF000u) == 0x8000u || (h & 0xF000u) == 0x9000u) {
    i.cycles = 2;  // LDR/STR (literal, register, immediate, SP-relative; byte/half/word)
    i.memory = true;
  }
  return i;
}

Insn decode32(uint16_t h1, uint16_t h2) {
  Insn i;
  if ((h1 & 0xF800u) == 0xF000u && (h2 & 0x8000u) != 0) {
    // Branches and miscellaneous control.
    const bool conditional_form = (h2 & 0xD000u) == 0x8000u;
    if (!conditional_form || ((h1 >> 6) & 0xFu) < 0xEu) {
      i.refill = cycles::kRefillImmediate;  // B.W, Bcc.W, BL
    } else if ((h1 & 0xFFE0u) == 0xF380u || (h1 & 0xFFE0u) == 0xF3E0u) {
      i.cycles = 2;  // MSR, MRS
    } else if (h1 == 0xF3BFu) {
      i.cycles = 4;  // DSB/DMB/ISB: 1 + the pipeline drain
    }
    return i;
  }
  if ((h1 & 0xFE40u) == 0xE800u && (((h1 >> 7) & 3u) == 1u || ((h1 >> 7) & 3u) == 2u)) {
    i.cycles = 1 + count_bits(h2 & 0xDFFFu);  // LDM/STM (.W, DB): 1 + N
    if ((h1 & 0x10u) && (h2 & 0x8000u)) i.refill = cycles::kRefillRegister;
    return i;
  }
  if ((h1 & 0xFFF0u) == 0xE8D0u && (h2 & 0xFFE0u) == 0xF000u) {
    i.cycles = 2;  // TBB/TBH: 2 + P
    i.refill = cycles::kRefillRegister;
    return i;
  }
  if ((h1 & 0xFE40u) == 0xE840u) {
    i.cycles = 3;  // LDRD/STRD (1 + N), LDREX/STREX
    return i;
  }
  if ((h1 & 0xFE00u) == 0xF800u) {  // LDR/STR single (.W, all sizes)
    i.cycles = 2;
    i.memory = true;
    if ((h1 & 0x10u) && (h2 >> 12) == 0xFu && (h1 & 0x0060u) == 0x0040u) {
      i.refill = cycles::kRefillRegister;  // LDR PC
    }
    return i;
  }
  if ((h1 & 0xFFF0u) == 0xFB00u) {  // MUL (Ra = 15) 1, MLA/MLS 2
    i.cycles = (h2 >> 12) == 0xFu ? 1 : 2;
    return i;
  }
  if ((h1 & 0xFFD0u) == 0xFB90u && (h2 & 0xF0u) == 0xF0u) {  // SDIV 0xFB9x, UDIV 0xFBBx
    i.cycles = cycles::kDivide;
    return i;
  }
  if ((h1 & 0xEE00u) == 0xEC00u && ((h2 >> 9) & 7u) == 5u) {  // VFP (coprocessor 10/11)
    if ((h1 & 0xFF20u) == 0xED00u) {
      i.cycles = 2;  // VLDR/VSTR
      i.memory = true;
    } else if ((h1 & 0xFFE0u) == 0xEC40u) {
      i.cycles = 2;  // VMOV between two core registers and a double/two singles
    } else if ((h1 & 0xFF00u) == 0xEC00u || (h1 & 0xFF20u) == 0xED20u) {
      i.cycles = 1 + (h2 & 0xFFu);  // VLDM/VSTM/VPUSH/VPOP: 1 + N words
    } else if ((h1 & 0xFFB0u) == 0xEE80u && (h2 & 0x50u) == 0) {
      i.cycles = cycles::kFpDivide;  // VDIV
    } else if ((h1 & 0xFFBFu) == 0xEEB1u && (h2 & 0xD0u) == 0xC0u) {
      i.cycles = cycles::kFpDivide;  // VSQRT
    } else if ((h1 & 0xFFB0u) == 0xEE00u || (h1 & 0xFFB0u) == 0xEE10u ||
               (h1 & 0xFFB0u) == 0xEEA0u || (h1 & 0xFFB0u) == 0xEE90u) {
      i.cycles = cycles::kFpMultiplyAccumulate;  // VMLA/VMLS/VNMLA/VNMLS, VFMA/VFMS/VFNMA
    }
    return i;
  }
  return i;  // data processing, long multiplies (SMULL/UMULL/SMLAL/UMLAL: 1), the rest
}

}  // namespace

BlockCost block_cost(const uint8_t* code, uint32_t address, uint32_t size,
                     const FetchModel& fetch) {
  BlockCost cost;
  bool previous_memory = false;
  uint32_t last_refill = 0;
  for (uint32_t at = 0; at + 1 < size;) {
    const auto h1 = static_cast<uint16_t>(code[at] | code[at + 1] << 8);
    Insn insn;
    if (h1 >= 0xE800u && at + 3 < size) {
      const auto h2 = static_cast<uint16_t>(code[at + 2] | code[at + 3] << 8);
      insn = decode32(h1, h2);
      at += 4;
    } else {
      insn = decode16(h1);
      at += 2;
    }
    // A load/store right after another one overlaps its address phase (TRM: pipelined).
    cost.cycles += insn.memory && previous_memory ? insn.cycles - 1 : insn.cycles;
    previous_memory = insn.memory;
    last_refill = insn.refill;
    ++cost.instructions;
  }
  cost.refill = last_refill;
  if (address < 0x2000'0000u && fetch.wait_states != 0) {
    // Flash: without prefetch every 128-bit line fetched stalls for the wait states; with
    // prefetch but no instruction cache a taken branch refetches its target line.
    const uint32_t lines = ((address + size - 1) >> 4) - (address >> 4) + 1;
    if (!fetch.prefetch) {
      cost.cycles += fetch.wait_states * lines;
    } else if (!fetch.icache && cost.refill != 0) {
      cost.refill += fetch.wait_states;
    }
  }
  if (cost.instructions == 0) cost.instructions = cost.cycles = 1;
  return cost;
}

}  // namespace vstm32
