// SPDX-License-Identifier: Apache-2.0
// The bootloader's update mode (docs/native-protocol.md): the glue between native::DeviceSession
// and the chip (USART1, SysTick, the flash controller, LEDs). Entered when the application asked
// for it (backup register + reset), when a host sends the sync within the listening window after
// a pin reset, or when no valid image exists.
#pragma once

#include <cstdint>

#include "native/protocol.h"
#include "stm32f407/clock.h"

namespace fota::boot {

// Right after the clock is up: enters update mode (and never returns) when asked to.
void enter_update_mode_if_asked(uint32_t reset_flags, const stm32::ClockInfo& clock);

// Update mode; ends with a system reset (after an install, LEAVE, or the silence timeout; with
// kNoImage there is no silence timeout and the LEDs show the "no image" pattern).
[[noreturn]] void run_update_mode(native::EntryReason reason, const stm32::ClockInfo& clock);

}  // namespace fota::boot
