// SPDX-License-Identifier: Apache-2.0
#include "update/signature.h"

#include "format/sha256.h"

namespace fota::update {

std::array<uint8_t, kKeyIdSize> key_id_of(std::span<const uint8_t, kPublicKeySize> public_key) {
  const Sha256Digest digest = sha256(public_key);
  std::array<uint8_t, kKeyIdSize> id{};
  for (size_t i = 0; i < kKeyIdSize; ++i) id[i] = digest[i];
  return id;
}

}  // namespace fota::update
