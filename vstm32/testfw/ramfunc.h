// SPDX-License-Identifier: Apache-2.0
// Code that must run from SRAM (the core does not stall there while the flash is busy).
#pragma once

#include <cstdint>

namespace testfw {

// Writes `cr` to FLASH_CR, then `cr | STRT`, and polls FLASH_SR until BSY clears. Returns the
// number of polls that saw BSY set.
uint32_t erase_from_ram(uint32_t cr);

}  // namespace testfw
