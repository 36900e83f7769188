// SPDX-License-Identifier: Apache-2.0
// Update mode's I2C1 slave work, run from SRAM by ram_pump (the flash may be busy): written bytes
// into the receive ring; for a read, the count byte and then queued reply bytes, each loaded only
// when the master acknowledged the previous one (BTF), so every byte taken from the queue reached
// the host (native/i2c.h).
#pragma once

#include <cstdint>

#include "stm32f407/regs.h"

namespace fota::boot {

struct PumpState;

// I2C1's registers live with the others (stm32f407/regs.h).
namespace i2c1 = stm32::i2c1;

// Which link the session's replies go to: the one the host last sent bytes on.
inline constexpr uint8_t kLinkUart = 0;
inline constexpr uint8_t kLinkI2c = 1;

// One pass over I2C1's flags (nothing when it is off).
void i2c_pump(PumpState* s);

}  // namespace fota::boot
