// SPDX-License-Identifier: Apache-2.0
// ed25519 signature verification (RFC 8032 section 5.1.7), freestanding: no heap, no tables in
// RAM beyond ~2 KB of stack, variable time (it only handles public data: keys, messages and
// signatures). Signing is not here: it happens on the release host (libsodium).
//
// Where RFC 8032 leaves a choice, the verdict follows libsodium's crypto_sign_verify_detached
// (1.0.18, the default build without ED25519_COMPAT), so a signature the release host checked
// with libsodium gets the same verdict on the device:
//  - S must be canonical (S < L);
//  - R and A must not have small order (y coordinate, sign bit ignored, is that of one of the 8
//    torsion points, also through the non-canonical encodings p and p+1);
//  - A must be canonically encoded (y < p); A must decode to a curve point;
//  - R is not decoded: [S]B - [k]A is encoded and compared byte for byte with R, so a
//    non-canonical R never verifies;
//  - the cofactorless equation is used (no multiplication by 8), so a mixed-order A verifies only
//    when its torsion part vanishes from [k]A.
// docs/security.md explains the choice; crypto/test/ed25519_differential_test.cc checks the
// verdicts against libsodium.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace fota::crypto {

inline constexpr size_t kEd25519PublicKeySize = 32;
inline constexpr size_t kEd25519SignatureSize = 64;

enum class VerifyStatus : uint8_t {
  kOk = 0,
  kNonCanonicalS,    // S >= L
  kSmallOrderR,      // R is (an encoding of) a point of order 1, 2, 4 or 8
  kNonCanonicalKey,  // A's y coordinate is >= p
  kSmallOrderKey,    // A is (an encoding of) a point of order 1, 2, 4 or 8
  kInvalidKey,       // A is not a point of the curve
  kBadSignature,     // [S]B != R + [k]A
};

const char* to_string(VerifyStatus status);

// Verifies `signature` (R || S) over `message` by `public_key` (A).
[[nodiscard]] VerifyStatus ed25519_verify(std::span<const uint8_t, kEd25519SignatureSize> signature,
                                          std::span<const uint8_t> message,
                                          std::span<const uint8_t, kEd25519PublicKeySize> public_key);

}  // namespace fota::crypto
