// SPDX-License-Identifier: Apache-2.0
// Semantic version of an image: major.minor.patch plus a CI build number.
#pragma once

#include <cstdint>

namespace fota {

struct Version {
  uint8_t major = 0;
  uint8_t minor = 0;
  uint16_t patch = 0;
  uint32_t build = 0;

  // major.minor.patch in one word, ordered like the version (the metadata record stores this).
  constexpr uint32_t packed() const {
    return static_cast<uint32_t>(major) << 24 | static_cast<uint32_t>(minor) << 16 | patch;
  }
  static constexpr Version from_packed(uint32_t packed, uint32_t build_number = 0) {
    return Version{static_cast<uint8_t>(packed >> 24), static_cast<uint8_t>(packed >> 16),
                   static_cast<uint16_t>(packed), build_number};
  }
  // Orders by major, minor, patch, then build.
  constexpr bool operator<(const Version& o) const {
    return packed() != o.packed() ? packed() < o.packed() : build < o.build;
  }
  constexpr bool operator==(const Version& o) const {
    return packed() == o.packed() && build == o.build;
  }
};

}  // namespace fota
