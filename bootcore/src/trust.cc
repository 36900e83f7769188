// SPDX-License-Identifier: Apache-2.0
#include "bootcore/trust.h"

#include "format/bytes.h"
#include "format/sealed_block.h"
#include "format/sha256.h"

namespace fota::bootcore {

const char* to_string(KeyBlockError error) {
  switch (error) {
    case KeyBlockError::kOk: return "ok";
    case KeyBlockError::kErased: return "no key block (device not provisioned)";
    case KeyBlockError::kBadMagic: return "key block magic is wrong";
    case KeyBlockError::kBadVersion: return "key block version is not supported";
    case KeyBlockError::kBadCount: return "key block key count is not 1 or 2";
    case KeyBlockError::kBadCrc: return "key block CRC mismatch";
    case KeyBlockError::kReadFailed: return "key block could not be read";
  }
  return "unknown key block error";
}

KeyId key_id_of(const PublicKey& public_key) {
  const Sha256Digest digest = sha256(public_key);
  KeyId id;
  for (size_t i = 0; i < id.size(); ++i) id[i] = digest[i];
  return id;
}

std::array<uint8_t, kKeyBlockSize> encode_key_block(std::span<const PublicKey> keys) {
  std::array<uint8_t, kKeyBlockSize> out;
  out.fill(0xFF);
  if (keys.empty() || keys.size() > kMaxTrustedKeys) return out;
  uint8_t* p = out.data();
  bytes::store_le32(p, kKeyBlockMagic);
  bytes::store_le16(p + 4, kKeyBlockVersion);
  bytes::store_le16(p + 6, static_cast<uint16_t>(keys.size()));
  for (size_t k = 0; k < kMaxTrustedKeys; ++k) {
    for (size_t i = 0; i < kPublicKeySize; ++i) {
      p[8 + 32 * k + i] = k < keys.size() ? keys[k][i] : 0;
    }
  }
  seal(out, kKeyBlockSeal.layout);
  return out;
}

Result<TrustedKeys, KeyBlockError> parse_key_block(std::span<const uint8_t> bytes) {
  FOTA_TRY_ASSIGN(const uint8_t* p, open_seal(bytes, kKeyBlockSeal));
  const uint16_t count = bytes::load_le16(p + 6);
  if (count < 1 || count > kMaxTrustedKeys) return Error{KeyBlockError::kBadCount};
  TrustedKeys keys;
  keys.count = count;
  for (size_t k = 0; k < count; ++k) {
    for (size_t i = 0; i < kPublicKeySize; ++i) keys.keys[k].public_key[i] = p[8 + 32 * k + i];
    keys.keys[k].key_id = key_id_of(keys.keys[k].public_key);
  }
  return keys;
}

Result<TrustedKeys, KeyBlockError> read_key_block(Flash& flash, uint32_t address) {
  uint8_t buf[kKeyBlockSize];
  if (flash.read(address, buf) != FlashStatus::kOk) return Error{KeyBlockError::kReadFailed};
  return parse_key_block(buf);
}

const char* to_string(TrustStatus status) {
  switch (status) {
    case TrustStatus::kOk: return "ok";
    case TrustStatus::kUnsigned: return "image is not signed";
    case TrustStatus::kUnknownKey: return "image is signed by a key the device does not trust";
    case TrustStatus::kBadSignature: return "image signature does not verify";
    case TrustStatus::kNoKeys: return "device has no trusted keys (not provisioned)";
    case TrustStatus::kBelowFloor: return "image version is below the anti-rollback floor";
    case TrustStatus::kReadFailed: return "image header could not be read";
  }
  return "unknown trust status";
}

const char* token(TrustStatus status) {
  switch (status) {
    case TrustStatus::kOk: return "ok";
    case TrustStatus::kUnsigned: return "unsigned";
    case TrustStatus::kUnknownKey: return "unknown-key";
    case TrustStatus::kBadSignature: return "bad-signature";
    case TrustStatus::kNoKeys: return "no-keys";
    case TrustStatus::kBelowFloor: return "below-floor";
    case TrustStatus::kReadFailed: return "read-failed";
  }
  return "?";
}

}  // namespace fota::bootcore
