// SPDX-License-Identifier: Apache-2.0
// Secure boot: which ed25519 keys the bootloader trusts and whether an image header is signed by
// one of them. docs/security.md has the threat model, provisioning and rotation.
//
// The trusted keys live in a key block written at provisioning into sector 2 (0x0800'8000) and
// write-protected there with the bootloader's sectors (nWRP). Layout (little-endian):
//
//   0  u32 magic      kKeyBlockMagic ("FKEY" in memory)
//   4  u16 version    kKeyBlockVersion
//   6  u16 count      1 or 2 (current key, next key for rotation)
//   8  u8[32] key 0   ed25519 public key
//  40  u8[32] key 1   (zero when count is 1)
//  72  u32 crc32      CRC-32 (zlib) of bytes [0, 72)
//
// An image header names its signing key by key_id (first 8 bytes of SHA-256 of the public key);
// the signature covers header bytes [0, 128), which include the payload's SHA-256.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "bootcore/flash.h"
#include "format/flash_map.h"
#include "format/image_header.h"
#include "status/result.h"

namespace fota::bootcore {

inline constexpr uint32_t kKeyBlockMagic = 0x5945'4B46;  // bytes 'F' 'K' 'E' 'Y'
inline constexpr uint16_t kKeyBlockVersion = 1;
inline constexpr uint32_t kKeyBlockAddress = flash_map::kKeyBlockAreaAddress;  // sector 2
inline constexpr unsigned kKeyBlockSector = 2;
inline constexpr size_t kKeyBlockSize = 76;
inline constexpr size_t kMaxTrustedKeys = 2;
inline constexpr size_t kPublicKeySize = 32;

using PublicKey = std::array<uint8_t, kPublicKeySize>;
using KeyId = std::array<uint8_t, kKeyIdSize>;

struct TrustedKey {
  PublicKey public_key{};
  KeyId key_id{};
};

struct TrustedKeys {
  std::array<TrustedKey, kMaxTrustedKeys> keys{};
  size_t count = 0;
};

enum class KeyBlockError : uint8_t {
  kOk = 0,
  kErased,      // all 0xFF: the device was not provisioned
  kBadMagic,    // not a key block
  kBadVersion,  // a key block version we do not know
  kBadCount,    // count is not 1 or 2
  kBadCrc,      // damaged
  kReadFailed,  // the flash read failed
};

// What parse_key_block checks first, and how it names each fault (bytes too short to hold a
// key block cannot hold its magic either).
inline constexpr SealedBlock<KeyBlockError> kKeyBlockSeal{
    {kKeyBlockSize, kKeyBlockMagic, kKeyBlockSize - 4, kKeyBlockVersion},
    {KeyBlockError::kBadMagic, KeyBlockError::kErased, KeyBlockError::kBadMagic,
     KeyBlockError::kBadCrc, KeyBlockError::kBadVersion}};

const char* to_string(KeyBlockError error);

// First 8 bytes of SHA-256(public key): the key id image headers carry.
KeyId key_id_of(const PublicKey& public_key);

// keys.size() must be 1 or 2 (else the block is left all 0xFF).
std::array<uint8_t, kKeyBlockSize> encode_key_block(std::span<const PublicKey> keys);
Result<TrustedKeys, KeyBlockError> parse_key_block(std::span<const uint8_t> bytes);
Result<TrustedKeys, KeyBlockError> read_key_block(Flash& flash,
                                                  uint32_t address = kKeyBlockAddress);

// Why an image may not boot on a secure bootloader.
enum class TrustStatus : uint8_t {
  kOk = 0,
  kUnsigned,      // the header carries no signature (flag clear)
  kUnknownKey,    // signed by a key that is not trusted (key id not in the key block)
  kBadSignature,  // signature does not verify (header or payload altered, or forged)
  kNoKeys,        // the device has no valid key block: nothing new can be trusted
  kBelowFloor,    // version below the anti-rollback floor
  kReadFailed,    // the header could not be read back
};

const char* to_string(TrustStatus status);
// Short token for the bootloader's status line ("bad-signature", "below-floor", ...).
const char* token(TrustStatus status);

// Checks the signature of the image in `slot` (header already parsed: `header`) against `keys`.
// Reads the signed bytes [0, 128) back from flash.
TrustStatus check_image_signature(Flash& flash, flash_map::Slot slot, const ImageHeader& header,
                                  const TrustedKeys& keys);

// The same check on header bytes in RAM (update mode at END: the header is programmed only after
// every check passed). `header_bytes` holds at least the signed bytes [0, kSignedSize).
TrustStatus check_header_signature(std::span<const uint8_t> header_bytes, const ImageHeader& header,
                                   const TrustedKeys& keys);

// What run_boot enforces beyond integrity. The default (no keys, no floor) is the unsigned
// bootloader's behaviour.
struct BootPolicy {
  const TrustedKeys* keys = nullptr;  // non-null: a new image must be signed by one of these
  bool anti_rollback = false;         // refuse images below the log's security floor
};

}  // namespace fota::bootcore
