// SPDX-License-Identifier: Apache-2.0
#include "update/console.h"

namespace fota::update {

Observation parse_console_line(std::string_view line, flash_map::Slot slot, bool target_booted) {
  constexpr std::string_view kBoot = "boot: slot=";
  const char name = flash_map::slot_name(slot);
  if (line.substr(0, kBoot.size()) == kBoot) {
    if (line.size() <= kBoot.size()) return Observation::kNothing;
    const char booted = line[kBoot.size()];
    if (booted == name) {
      // An image that confirmed before (e.g. silently, before a supervision reset) boots as
      // confirmed.
      return line.find("decision=confirmed") != std::string_view::npos ? Observation::kConfirmed
                                                                       : Observation::kBooted;
    }
    if (booted == '-') return Observation::kNothing;  // no valid image at all
    return line.find("image-invalid") != std::string_view::npos ? Observation::kImageInvalid
                                                                : Observation::kReverted;
  }
  if (target_booted && line.find("confirmed") != std::string_view::npos) {
    return Observation::kConfirmed;
  }
  return Observation::kNothing;
}

}  // namespace fota::update
