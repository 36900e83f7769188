// SPDX-License-Identifier: Apache-2.0
// The device's check of an image's ed25519 signature against its key block (boot flow and update
// mode's END). Bootloader-only: hosts verify with their own verifier, so the cross_core probe
// leaves this file out.
#include "bootcore/trust.h"
#include "crypto/ed25519.h"

namespace fota::bootcore {

TrustStatus check_header_signature(std::span<const uint8_t> header_bytes, const ImageHeader& header,
                                   const TrustedKeys& keys) {
  if (keys.count == 0) return TrustStatus::kNoKeys;
  if ((header.flags & kImageFlagSigned) == 0) return TrustStatus::kUnsigned;
  const TrustedKey* key = nullptr;
  for (size_t k = 0; k < keys.count && k < kMaxTrustedKeys; ++k) {
    if (keys.keys[k].key_id == header.key_id) key = &keys.keys[k];
  }
  if (key == nullptr) return TrustStatus::kUnknownKey;
  if (header_bytes.size() < kSignedSize) return TrustStatus::kReadFailed;
  const auto verdict =
      crypto::ed25519_verify(header.signature, header_bytes.first(kSignedSize), key->public_key);
  return verdict == crypto::VerifyStatus::kOk ? TrustStatus::kOk : TrustStatus::kBadSignature;
}

TrustStatus check_image_signature(Flash& flash, flash_map::Slot slot, const ImageHeader& header,
                                  const TrustedKeys& keys) {
  if (keys.count == 0) return TrustStatus::kNoKeys;
  if ((header.flags & kImageFlagSigned) == 0) return TrustStatus::kUnsigned;
  // The signed bytes as they are on flash (the parsed header says what they mean; the signature
  // is over the bytes).
  uint8_t signed_part[kSignedSize];
  if (flash.read(flash_map::slot_address(slot), signed_part) != FlashStatus::kOk) {
    return TrustStatus::kReadFailed;
  }
  return check_header_signature(signed_part, header, keys);
}

}  // namespace fota::bootcore
