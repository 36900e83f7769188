// SPDX-License-Identifier: Apache-2.0
// SHA-256 (FIPS 180-4), freestanding and streaming, for the bootloader's first-boot check and the
// host tools. ~1 KB of code, 108 bytes of state, no heap.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "format/sha2_block.h"

namespace fota {

using Sha256Digest = std::array<uint8_t, 32>;

// The state of a hash between 64-byte blocks, so a long hash can be saved and continued later
// (the update engine's resume point).
struct Sha256Midstate {
  std::array<uint32_t, 8> h{};
  uint64_t length_bytes = 0;
};

class Sha256 {
 public:
  Sha256() { reset(); }
  void reset();
  void update(std::span<const uint8_t> data);
  // Finishes the hash; the object must be reset() before reuse.
  Sha256Digest finish();

  // The state after a whole number of 64-byte blocks; false (and nothing written) when bytes are
  // buffered, i.e. the length so far is not a multiple of 64.
  bool midstate(Sha256Midstate& out) const;
  // Continues from a saved midstate.
  static Sha256 from_midstate(const Sha256Midstate& state);

 private:
  void compress(const uint8_t* block);

  uint32_t h_[8];
  uint64_t length_bytes_;
  sha2::Block<uint32_t> block_;
};

Sha256Digest sha256(std::span<const uint8_t> data);

}  // namespace fota
