// SPDX-License-Identifier: Apache-2.0
// The "enter update mode" request from the application to the bootloader: a word in the RTC
// backup register BKP0R, which survives a system reset (not a power cycle), then a reset.
// Writing needs the PWR clock and DBP (RM0090 5.1.2); both are put back afterwards.
#pragma once

#include <cstdint>

namespace fota::stm32 {

inline constexpr uint32_t kUpdateRequestMagic = 0x4E41'5456;  // "VTAN": native update mode

void backup_write(uint32_t value);
// True when BKP0R holds the update request; clears it (so the request is taken once).
bool take_update_request();

}  // namespace fota::stm32
