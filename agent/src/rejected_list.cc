// SPDX-License-Identifier: Apache-2.0
#include "agent/rejected_list.h"

#include <cstring>

namespace fota::agent {
namespace {

constexpr uint8_t kMagic[4] = {'F', 'R', 'J', '1'};

}  // namespace

void RejectedList::reset(std::string_view uid) {
  blob_.fill(0);
  std::memcpy(blob_.data(), kMagic, sizeof kMagic);
  const size_t n = uid.size() < kRejectedUidChars ? uid.size() : kRejectedUidChars;
  if (n != 0) std::memcpy(blob_.data() + sizeof kMagic, uid.data(), n);  // data() may be null
  count_ = 0;
}

RejectedLoad RejectedList::load(std::span<const uint8_t> blob) {
  count_ = 0;
  if (blob.size() < kRejectedHeaderBytes || blob.size() > blob_.size() ||
      (blob.size() - kRejectedHeaderBytes) % sizeof(ReleaseKey) != 0 ||
      std::memcmp(blob.data(), kMagic, sizeof kMagic) != 0) {
    return RejectedLoad::kCorrupt;
  }
  if (std::memcmp(blob.data(), blob_.data(), kRejectedHeaderBytes) != 0) {
    return RejectedLoad::kOtherDevice;
  }
  std::memcpy(blob_.data(), blob.data(), blob.size());
  count_ = (blob.size() - kRejectedHeaderBytes) / sizeof(ReleaseKey);
  return RejectedLoad::kLoaded;
}

ReleaseKey RejectedList::key(size_t index) const {
  ReleaseKey key{};
  if (index < count_) {
    std::memcpy(key.data(), blob_.data() + kRejectedHeaderBytes + index * sizeof(ReleaseKey),
                key.size());
  }
  return key;
}

bool RejectedList::add(const ReleaseKey& key) {
  for (size_t i = 0; i < count_; ++i) {
    if (this->key(i) == key) return false;
  }
  uint8_t* keys = blob_.data() + kRejectedHeaderBytes;
  if (count_ == DeviceLoop::kMaxRejected) {
    std::memmove(keys, keys + sizeof(ReleaseKey), (count_ - 1) * sizeof(ReleaseKey));
    --count_;
  }
  std::memcpy(keys + count_ * sizeof(ReleaseKey), key.data(), key.size());
  ++count_;
  return true;
}

void RejectedList::feed(DeviceLoop& loop) const {
  for (size_t i = 0; i < count_; ++i) loop.add_rejected(key(i));
}

}  // namespace fota::agent
