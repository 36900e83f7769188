// SPDX-License-Identifier: Apache-2.0
#include "ramfunc.h"

// Linked into .data (sections.ld collects .data.*), so the startup code copies it to SRAM. The
// section is declared with data flags ("@" comments out the code flags GCC appends), else the
// assembler warns about code in a .data section. Built without LTO so it stays a separate function.
#define TESTFW_RAMFUNC \
  __attribute__((section(".data.ramfunc,\"aw\",%progbits @"), noinline, long_call))

namespace testfw {

TESTFW_RAMFUNC uint32_t erase_from_ram(uint32_t cr) {
  volatile uint32_t* const sr = reinterpret_cast<volatile uint32_t*>(0x4002'3C0C);
  volatile uint32_t* const cr_reg = reinterpret_cast<volatile uint32_t*>(0x4002'3C10);
  *cr_reg = cr;
  *cr_reg = cr | (1u << 16);  // STRT
  uint32_t polls = 0;
  while (*sr & (1u << 16)) ++polls;
  return polls;
}

}  // namespace testfw
