// SPDX-License-Identifier: Apache-2.0
// Signature check of an image header: ed25519 over header bytes [0, 128) (kSignedSize), the key
// chosen by the header's key_id (bytes 96..103 = first 8 bytes of SHA-256 of the public key).
// Pluggable: libsodium on Linux (ports/linux SodiumVerifier), a freestanding ed25519 on targets.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "format/image_header.h"

namespace fota::update {

inline constexpr size_t kPublicKeySize = 32;

enum class SignatureStatus : uint8_t {
  kOk = 0,
  kUnknownKey,    // no public key with that id
  kBadSignature,  // the signature does not verify
};

const char* to_string(SignatureStatus status);

class SignatureVerifier {
 public:
  [[nodiscard]] virtual SignatureStatus verify(
      std::span<const uint8_t, kKeyIdSize> key_id, std::span<const uint8_t, kSignedSize> message,
      std::span<const uint8_t, kSignatureSize> signature) = 0;

 protected:
  ~SignatureVerifier() = default;
};

// The key id of an ed25519 public key: the first 8 bytes of its SHA-256.
std::array<uint8_t, kKeyIdSize> key_id_of(std::span<const uint8_t, kPublicKeySize> public_key);

}  // namespace fota::update
