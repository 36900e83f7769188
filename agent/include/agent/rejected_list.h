// SPDX-License-Identifier: Apache-2.0
// The releases reverted on one device, as a port keeps them across its own restarts in one blob
// (the ESP32: an NVS entry; the Linux agent keeps the key texts in <uid>.rejected instead). The
// blob is "FRJ1", the device's 24-character UID, then the release keys (release_key, 32 bytes
// each), oldest first. At most DeviceLoop::kMaxRejected: adding to a full list drops the oldest,
// as the loop does. A blob kept for another UID is not loaded: the STM32 was replaced.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "agent/device_loop.h"

namespace fota::agent {

inline constexpr size_t kRejectedUidChars = 24;
inline constexpr size_t kRejectedHeaderBytes = 4 + kRejectedUidChars;
inline constexpr size_t kRejectedBlobMaxBytes =
    kRejectedHeaderBytes + DeviceLoop::kMaxRejected * sizeof(ReleaseKey);

enum class RejectedLoad : uint8_t {
  kLoaded,       // the blob's keys are the list
  kOtherDevice,  // kept for another UID: the list stays empty
  kCorrupt,      // not a blob of this layout (magic, length): the list stays empty
};

class RejectedList {
 public:
  // An empty list for the device `uid` (cut or padded with '\0' to 24 characters).
  explicit RejectedList(std::string_view uid = {}) { reset(uid); }
  void reset(std::string_view uid);

  // Replaces the list with the blob's keys when it was kept for this list's UID.
  [[nodiscard]] RejectedLoad load(std::span<const uint8_t> blob);
  // False when the key is in the list already (nothing changes).
  bool add(const ReleaseKey& key);

  [[nodiscard]] size_t size() const { return count_; }
  [[nodiscard]] ReleaseKey key(size_t index) const;  // 0: the oldest
  // Hands every key to the loop (after DeviceLoop::begin_session).
  void feed(DeviceLoop& loop) const;
  // What to store: the header and the keys.
  [[nodiscard]] std::span<const uint8_t> blob() const {
    return std::span(blob_).first(kRejectedHeaderBytes + count_ * sizeof(ReleaseKey));
  }

 private:
  std::array<uint8_t, kRejectedBlobMaxBytes> blob_{};
  size_t count_ = 0;
};

}  // namespace fota::agent
