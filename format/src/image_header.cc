// SPDX-License-Identifier: Apache-2.0
#include "format/image_header.h"

#include <cstring>

#include "format/bytes.h"
#include "format/crc32.h"
#include "format/sealed_block.h"
#include "format/sha256.h"

namespace fota {
namespace {

using bytes::load_le16;
using bytes::load_le32;
using bytes::store_le16;
using bytes::store_le32;

bool all_equal(std::span<const uint8_t> data, uint8_t value) {
  for (uint8_t b : data) {
    if (b != value) return false;
  }
  return true;
}

}  // namespace

const char* to_string(HeaderError error) {
  switch (error) {
    case HeaderError::kOk: return "ok";
    case HeaderError::kTooShort: return "image header truncated (need 512 bytes)";
    case HeaderError::kErased: return "slot is erased (no image header)";
    case HeaderError::kBadMagic: return "bad image header magic (not a FOTA image)";
    case HeaderError::kUnsupportedVersion: return "unsupported image header version";
    case HeaderError::kBadHeaderSize: return "image header size is not 512";
    case HeaderError::kBadHeaderCrc: return "image header CRC mismatch (header damaged)";
    case HeaderError::kReservedNotZero: return "image header reserved bytes are not zero";
    case HeaderError::kEmptyPayload: return "image payload size is zero";
    case HeaderError::kPayloadTooLarge: return "image payload larger than a slot (384 KB - 512)";
    case HeaderError::kBadVectorAddress:
      return "image vector table address is not slot A (0x08020200) or slot B (0x08080200)";
    case HeaderError::kWrongSlot: return "image is linked for the other slot";
    case HeaderError::kPayloadSizeMismatch: return "image payload length differs from the header";
    case HeaderError::kPayloadCrcMismatch: return "image payload CRC-32 mismatch";
    case HeaderError::kPayloadShaMismatch: return "image payload SHA-256 mismatch";
  }
  return "unknown header error";
}

void encode_image_header(const ImageHeader& h, std::span<uint8_t, kImageHeaderSize> out) {
  uint8_t* p = out.data();
  std::memset(p, 0, kImageHeaderSize);
  store_le32(p + 0, kImageMagic);
  store_le16(p + 4, kHeaderVersion);
  store_le16(p + 6, static_cast<uint16_t>(kImageHeaderSize));
  store_le32(p + 8, h.flags);
  store_le32(p + 12, h.vector_address);
  store_le32(p + 16, h.payload_size);
  p[20] = h.version.major;
  p[21] = h.version.minor;
  store_le16(p + 22, h.version.patch);
  store_le32(p + 24, h.version.build);
  store_le32(p + 28, h.payload_crc32);
  std::memcpy(p + 32, h.payload_sha256.data(), 32);
  std::memcpy(p + 64, h.product.data(), kProductNameSize);
  std::memcpy(p + 96, h.key_id.data(), kKeyIdSize);
  std::memcpy(p + 128, h.signature.data(), 64);
  seal(out, kImageHeaderSeal.layout);
}

std::array<uint8_t, kImageHeaderSize> encode_image_header(const ImageHeader& header) {
  std::array<uint8_t, kImageHeaderSize> out;
  encode_image_header(header, out);
  return out;
}

Result<ImageHeader, HeaderError> parse_image_header(std::span<const uint8_t> bytes) {
  FOTA_TRY_ASSIGN(const uint8_t* p, open_seal(bytes, kImageHeaderSeal));
  if (load_le16(p + 6) != kImageHeaderSize) return Error{HeaderError::kBadHeaderSize};
  if (!all_equal(bytes.subspan(104, 24), 0) || !all_equal(bytes.subspan(192, 316), 0)) {
    return Error{HeaderError::kReservedNotZero};
  }
  ImageHeader h;
  h.flags = load_le32(p + 8);
  h.vector_address = load_le32(p + 12);
  h.payload_size = load_le32(p + 16);
  h.version.major = p[20];
  h.version.minor = p[21];
  h.version.patch = load_le16(p + 22);
  h.version.build = load_le32(p + 24);
  h.payload_crc32 = load_le32(p + 28);
  std::memcpy(h.payload_sha256.data(), p + 32, 32);
  std::memcpy(h.product.data(), p + 64, kProductNameSize);
  std::memcpy(h.key_id.data(), p + 96, kKeyIdSize);
  std::memcpy(h.signature.data(), p + 128, 64);
  if (h.payload_size == 0) return Error{HeaderError::kEmptyPayload};
  if (h.payload_size > flash_map::kMaxPayloadSize) return Error{HeaderError::kPayloadTooLarge};
  if (h.vector_address != flash_map::slot_vector_address(flash_map::Slot::kA) &&
      h.vector_address != flash_map::slot_vector_address(flash_map::Slot::kB)) {
    return Error{HeaderError::kBadVectorAddress};
  }
  return h;
}

flash_map::Slot linked_slot(const ImageHeader& header) {
  return header.vector_address == flash_map::slot_vector_address(flash_map::Slot::kA)
             ? flash_map::Slot::kA
             : flash_map::Slot::kB;
}

HeaderError check_header_slot(const ImageHeader& header, flash_map::Slot slot) {
  return header.vector_address == flash_map::slot_vector_address(slot) ? HeaderError::kOk
                                                                       : HeaderError::kWrongSlot;
}

HeaderError check_payload(const ImageHeader& header, std::span<const uint8_t> payload,
                          bool check_sha) {
  if (payload.size() != header.payload_size) return HeaderError::kPayloadSizeMismatch;
  if (crc32(payload) != header.payload_crc32) return HeaderError::kPayloadCrcMismatch;
  if (check_sha && sha256(payload) != header.payload_sha256) {
    return HeaderError::kPayloadShaMismatch;
  }
  return HeaderError::kOk;
}

}  // namespace fota
