// SPDX-License-Identifier: Apache-2.0
#include "update/console.h"

#include "bootcore/boot.h"

namespace fota::update {

Observation parse_console_line(std::string_view line, flash_map::Slot slot, bool target_booted) {
  const char name = flash_map::slot_name(slot);
  if (const auto boot = bootcore::parse_boot_line(line)) {
    if (boot->slot == name) {
      // An image that confirmed before (e.g. silently, before a supervision reset) boots as
      // confirmed.
      return boot->decision == "confirmed" ? Observation::kConfirmed : Observation::kBooted;
    }
    if (!boot->boots()) return Observation::kNothing;  // no valid image at all
    return boot->image_invalid() ? Observation::kImageInvalid : Observation::kReverted;
  }
  if (target_booted && line.find("confirmed") != std::string_view::npos) {
    return Observation::kConfirmed;
  }
  return Observation::kNothing;
}

}  // namespace fota::update
