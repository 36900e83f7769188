// SPDX-License-Identifier: Apache-2.0
// Input: 32-byte key || 64-byte signature || message. Our verdict must equal libsodium's.
#include <sodium.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "crypto/ed25519.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool ready = sodium_init() >= 0;
  if (!ready) std::abort();
  if (size < 96) return 0;
  const uint8_t* pk = data;
  const uint8_t* sig = data + 32;
  const std::span<const uint8_t> msg(data + 96, size - 96);
  const auto ours = fota::crypto::ed25519_verify(std::span<const uint8_t, 64>(sig, 64), msg,
                                                 std::span<const uint8_t, 32>(pk, 32));
  const bool theirs = crypto_sign_verify_detached(sig, msg.data(), msg.size(), pk) == 0;
  if (theirs != (ours == fota::crypto::VerifyStatus::kOk)) std::abort();
  return 0;
}
