// SPDX-License-Identifier: Apache-2.0
// The 512-byte image header at the start of each slot, shared by the bootloader, the host tools
// (fota pack / flash) and vstm32. Layout (little-endian; offsets in bytes):
//
//   0  u32  magic            kImageMagic ("FOTA" in memory)
//   4  u16  header_version   kHeaderVersion
//   6  u16  header_size      512
//   8  u32  flags            ImageFlags
//  12  u32  vector_address   where the payload (vector table first) is linked: slot + 0x200
//  16  u32  payload_size     bytes of payload after the header (>0, <= slot size - 512)
//  20  u8   version major, 21 u8 minor, 22 u16 patch
//  24  u32  build            CI build number
//  28  u32  payload_crc32    CRC-32 (zlib) of the payload
//  32  u8[32] payload_sha256
//  64  char[32] product      NUL-padded product name (informative; the host checks it)
//  96  u8[8]  key_id          first 8 bytes of SHA-256 of the signing ed25519 public key; zero
//                              when unsigned (lets keys rotate: the verifier picks the key by id)
// 104  u8[24] reserved (0)
// 128  u8[64] signature      ed25519 over bytes [0, 128) (kSignedSize); zero when unsigned
// 192  u8[316] reserved (0)
// 508  u32  header_crc32     CRC-32 (zlib) of bytes [0, 508)
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "format/flash_map.h"
#include "format/sealed_block.h"
#include "format/version.h"
#include "status/result.h"

namespace fota {

inline constexpr uint32_t kImageMagic = 0x4154'4F46;  // bytes 'F' 'O' 'T' 'A'
inline constexpr uint16_t kHeaderVersion = 1;
inline constexpr size_t kImageHeaderSize = flash_map::kHeaderSize;
inline constexpr size_t kSignedSize = 128;
inline constexpr size_t kProductNameSize = 32;
inline constexpr size_t kKeyIdSize = 8;
inline constexpr size_t kSignatureSize = 64;

enum ImageFlags : uint32_t {
  kImageFlagSigned = 1u << 0,  // signature holds an ed25519 signature
};

struct ImageHeader {
  uint32_t flags = 0;
  uint32_t vector_address = 0;
  uint32_t payload_size = 0;
  Version version;
  uint32_t payload_crc32 = 0;
  std::array<uint8_t, 32> payload_sha256{};
  std::array<char, kProductNameSize> product{};
  std::array<uint8_t, kKeyIdSize> key_id{};
  std::array<uint8_t, kSignatureSize> signature{};
};

enum class HeaderError : uint8_t {
  kOk = 0,
  kTooShort,             // fewer than 512 bytes given
  kErased,               // all 0xFF: the slot holds no image
  kBadMagic,             // not an image header
  kUnsupportedVersion,   // header_version we do not know
  kBadHeaderSize,        // header_size is not 512
  kBadHeaderCrc,         // header bytes damaged
  kReservedNotZero,      // reserved bytes set: written by a newer tool, refuse rather than guess
  kEmptyPayload,         // payload_size is 0
  kPayloadTooLarge,      // payload does not fit a slot
  kBadVectorAddress,     // vector table not at the start of slot A or B (+0x200)
  kWrongSlot,            // linked for the other slot than the one it is in / meant for
  kPayloadSizeMismatch,  // payload length differs from payload_size
  kPayloadCrcMismatch,   // payload does not match payload_crc32
  kPayloadShaMismatch,   // payload does not match payload_sha256
};

// What parse_image_header checks first, and how it names each fault.
inline constexpr SealedBlock<HeaderError> kImageHeaderSeal{
    {kImageHeaderSize, kImageMagic, kImageHeaderSize - 4, kHeaderVersion},
    {HeaderError::kTooShort, HeaderError::kErased, HeaderError::kBadMagic,
     HeaderError::kBadHeaderCrc, HeaderError::kUnsupportedVersion}};

const char* to_string(HeaderError error);

// Serialises `header` into exactly 512 bytes, computing header_crc32.
void encode_image_header(const ImageHeader& header, std::span<uint8_t, kImageHeaderSize> out);
std::array<uint8_t, kImageHeaderSize> encode_image_header(const ImageHeader& header);

// Parses and checks everything the header says about itself: magic, versions, sizes, CRC,
// reserved bytes, and that vector_address is slot A's or slot B's. Never trusts a field.
Result<ImageHeader, HeaderError> parse_image_header(std::span<const uint8_t> bytes);

// The slot an image is linked for (from its vector address). Precondition: parse succeeded.
flash_map::Slot linked_slot(const ImageHeader& header);

// kOk when `header` is linked for `slot`, else kWrongSlot.
HeaderError check_header_slot(const ImageHeader& header, flash_map::Slot slot);

// Checks the payload against payload_size, CRC-32 and (when check_sha is true) SHA-256.
HeaderError check_payload(const ImageHeader& header, std::span<const uint8_t> payload,
                          bool check_sha);

}  // namespace fota
