// SPDX-License-Identifier: Apache-2.0
#include "ports_linux/sodium_verifier.h"

#include <sodium.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace fota::ports {

SodiumVerifier::SodiumVerifier() {
  // sodium_init() is idempotent and thread-safe; -1 means no usable randomness, which
  // verification does not need.
  (void)sodium_init();
}

void SodiumVerifier::add_key(std::span<const uint8_t, update::kPublicKeySize> public_key) {
  Key key{};
  key.id = update::key_id_of(public_key);
  std::copy(public_key.begin(), public_key.end(), key.key.begin());
  keys_.push_back(key);
}

Expected<void> SodiumVerifier::add_key_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return fail(path.string() + ": cannot open the public key file");
  std::string first, second;
  in >> first >> second;
  const std::string hex = first == "fota-ed25519-public" ? second : first;
  std::array<uint8_t, update::kPublicKeySize> key{};
  if (hex.size() != 2 * key.size()) {
    return fail(path.string() + ": not an ed25519 public key (expected 64 hex digits)");
  }
  for (size_t i = 0; i < key.size(); ++i) {
    char* end = nullptr;
    const std::string byte = hex.substr(2 * i, 2);
    const unsigned long value = std::strtoul(byte.c_str(), &end, 16);
    if (end != byte.c_str() + 2) {
      return fail(path.string() + ": not an ed25519 public key (non-hex digit in '" + byte + "')");
    }
    key[i] = static_cast<uint8_t>(value);
  }
  add_key(key);
  return {};
}

update::SignatureStatus SodiumVerifier::verify(std::span<const uint8_t, kKeyIdSize> key_id,
                                               std::span<const uint8_t, kSignedSize> message,
                                               std::span<const uint8_t, kSignatureSize> signature) {
  for (const Key& key : keys_) {
    if (!std::equal(key.id.begin(), key.id.end(), key_id.begin())) continue;
    return crypto_sign_verify_detached(signature.data(), message.data(), message.size(),
                                       key.key.data()) == 0
               ? update::SignatureStatus::kOk
               : update::SignatureStatus::kBadSignature;
  }
  return update::SignatureStatus::kUnknownKey;
}

}  // namespace fota::ports
