// SPDX-License-Identifier: Apache-2.0
// testfw-boot: a minimal bootloader at 0x0800'0000 for peer proof 2. It prints two lines, checks
// that a plausible application sits at 0x0802'0200 (initial MSP in SRAM, Thumb reset vector inside
// the slot) and hands over the way a Cortex-M bootloader does: VTOR, MSP, then a branch to the
// application's reset vector.
#include <cstdint>

#include "common.h"
#include "stm32f407/regs.h"
#include "testfw.h"

namespace {

using fota::stm32::reg;

bool plausible(uint32_t msp, uint32_t entry) {
  const bool msp_ok = msp > 0x2000'0000u && msp <= 0x2002'0000u && (msp & 3u) == 0;
  const bool entry_ok = (entry & 1u) != 0 && entry > testfw::kAppVectorAddress &&
                        entry < testfw::kAppVectorAddress + 384 * 1024;
  return msp_ok && entry_ok;
}

[[noreturn]] void jump(uint32_t vector_table, uint32_t msp, uint32_t entry) {
  reg(fota::stm32::scb::kVtor) = vector_table;
  fota::stm32::dsb();
  fota::stm32::isb();
  asm volatile(
      "msr msp, %0\n"
      "bx %1\n"
      :
      : "r"(msp), "r"(entry)
      : "memory");
  __builtin_unreachable();
}

}  // namespace

int main() {
  testfw::console_init();
  testfw::print("testboot: hello\n");
  const uint32_t msp = reg(testfw::kAppVectorAddress);
  const uint32_t entry = reg(testfw::kAppVectorAddress + 4);
  if (!plausible(msp, entry)) {
    testfw::print("testboot: no application at ");
    testfw::print_hex(testfw::kAppVectorAddress);
    testfw::print("\n");
    testfw::idle();
  }
  testfw::print("testboot: jump to ");
  testfw::print_hex(testfw::kAppVectorAddress);
  testfw::print(" msp=");
  testfw::print_hex(msp);
  testfw::print(" entry=");
  testfw::print_hex(entry);
  testfw::print("\n");
  testfw::flush();
  jump(testfw::kAppVectorAddress, msp, entry);
}
