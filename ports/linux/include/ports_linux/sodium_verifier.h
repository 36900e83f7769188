// SPDX-License-Identifier: Apache-2.0
// update::SignatureVerifier with libsodium's ed25519 (crypto_sign_verify_detached), over a set
// of trusted public keys looked up by key id.
#pragma once

#include <array>
#include <filesystem>
#include <span>
#include <vector>

#include "status/expected.h"
#include "update/signature.h"

namespace fota::ports {

class SodiumVerifier final : public update::SignatureVerifier {
 public:
  SodiumVerifier();
  void add_key(std::span<const uint8_t, update::kPublicKeySize> public_key);
  // A public key file: "fota-ed25519-public <64 hex digits> [key id]" or the bare 64 hex digits.
  Expected<void> add_key_file(const std::filesystem::path& path);
  size_t key_count() const { return keys_.size(); }

  update::SignatureStatus verify(std::span<const uint8_t, kKeyIdSize> key_id,
                                 std::span<const uint8_t, kSignedSize> message,
                                 std::span<const uint8_t, kSignatureSize> signature) override;

 private:
  struct Key {
    std::array<uint8_t, kKeyIdSize> id;
    std::array<uint8_t, update::kPublicKeySize> key;
  };
  std::vector<Key> keys_;
};

}  // namespace fota::ports
