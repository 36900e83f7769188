// SPDX-License-Identifier: Apache-2.0
// update::SignatureVerifier over the core's freestanding ed25519 (crypto/): the image header's
// key id picks one of the trusted public keys compiled into the sketch.
#pragma once

#include <algorithm>
#include <array>
#include <span>

#include "crypto/ed25519.h"
#include "update/signature.h"

namespace fota::esp32 {

class Ed25519Verifier final : public update::SignatureVerifier {
 public:
  using PublicKey = std::array<uint8_t, update::kPublicKeySize>;
  // `keys` must outlive the verifier.
  explicit Ed25519Verifier(std::span<const PublicKey> keys) : keys_(keys) {}

  // Also used for the release manifest: the key whose id is `key_id`, or nullptr.
  const PublicKey* find(std::span<const uint8_t, kKeyIdSize> key_id) const {
    for (const PublicKey& key : keys_) {
      const auto id = update::key_id_of(key);
      if (std::equal(id.begin(), id.end(), key_id.begin())) return &key;
    }
    return nullptr;
  }

  [[nodiscard]] update::SignatureStatus verify(
      std::span<const uint8_t, kKeyIdSize> key_id, std::span<const uint8_t, kSignedSize> message,
      std::span<const uint8_t, kSignatureSize> signature) override {
    const PublicKey* key = find(key_id);
    if (key == nullptr) return update::SignatureStatus::kUnknownKey;
    return crypto::ed25519_verify(signature, message, *key) == crypto::VerifyStatus::kOk
               ? update::SignatureStatus::kOk
               : update::SignatureStatus::kBadSignature;
  }

 private:
  std::span<const PublicKey> keys_;
};

}  // namespace fota::esp32
