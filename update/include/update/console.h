// SPDX-License-Identifier: Apache-2.0
// Reads the device's console lines after a reboot: the bootloader's status line
// ("boot: slot=B version=2.0.0 decision=trial reason=attempt-1/3", see bootcore/boot.h) and the
// application's "confirmed". Shared by every Target that watches a console.
#pragma once

#include <string_view>

#include "format/flash_map.h"
#include "update/target.h"

namespace fota::update {

// What `line` (without line ending) says about the update of `slot`. `target_booted`: a boot of
// `slot` was already seen (a bare "confirmed" then means the new image confirmed).
Observation parse_console_line(std::string_view line, flash_map::Slot slot, bool target_booted);

}  // namespace fota::update
