// SPDX-License-Identifier: Apache-2.0
// Target building blocks for devices whose flash the host reads and programs itself (the ROM
// bootloader path, test fakes): the boot state and the commit with bootcore's own log code.
#pragma once

#include "bootcore/boot.h"
#include "update/target.h"

namespace fota::update {

// Loads `log` and fills `out` (both slots' headers and log state, bootcore::install_slot()).
[[nodiscard]] bootcore::LogStatus read_boot_state(bootcore::Flash& flash, bootcore::MetaLog& log,
                                                  BootState& out);

}  // namespace fota::update
