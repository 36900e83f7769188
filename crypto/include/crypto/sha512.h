// SPDX-License-Identifier: Apache-2.0
// SHA-512 (FIPS 180-4), freestanding and streaming: the hash inside ed25519 (RFC 8032). No heap;
// 200 bytes of state.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "format/sha2_block.h"

namespace fota::crypto {

using Sha512Digest = std::array<uint8_t, 64>;

class Sha512 {
 public:
  Sha512() { reset(); }
  void reset();
  void update(std::span<const uint8_t> data);
  // Finishes the hash; the object must be reset() before reuse.
  Sha512Digest finish();

 private:
  void compress(const uint8_t* block);

  uint64_t h_[8];
  uint64_t length_bytes_;  // messages up to 2^64 - 1 bytes (the 128-bit length's high half is 0)
  sha2::Block<uint64_t> block_;
};

Sha512Digest sha512(std::span<const uint8_t> data);

}  // namespace fota::crypto
