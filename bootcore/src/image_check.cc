// SPDX-License-Identifier: Apache-2.0
#include "bootcore/image_check.h"

#include "format/crc32.h"
#include "format/sha256.h"

namespace fota::bootcore {

namespace {
constexpr uint32_t kReadChunk = 256;

// Feeds [address, address + size) to `sink` from the mapped view or chunked reads.
template <typename Sink>
FlashStatus for_each_chunk(Flash& flash, uint32_t address, uint32_t size, Sink&& sink) {
  if (const uint8_t* view = flash.mapped(address, size)) {
    sink(std::span<const uint8_t>(view, size));
    return FlashStatus::kOk;
  }
  uint8_t buf[kReadChunk];
  for (uint32_t done = 0; done < size;) {
    const uint32_t n = size - done < kReadChunk ? size - done : kReadChunk;
    const FlashStatus st = flash.read(address + done, std::span<uint8_t>(buf, n));
    if (st != FlashStatus::kOk) return st;
    sink(std::span<const uint8_t>(buf, n));
    done += n;
  }
  return FlashStatus::kOk;
}
}  // namespace

Result<uint32_t, FlashStatus> SoftwareCrc32Engine::crc32(Flash& flash, uint32_t address,
                                                         uint32_t size) {
  Crc32 crc;
  const FlashStatus st =
      for_each_chunk(flash, address, size, [&](std::span<const uint8_t> d) { crc.update(d); });
  if (st != FlashStatus::kOk) return Error{st};
  return crc.value();
}

SlotHeader read_slot_header(Flash& flash, flash_map::Slot slot) {
  SlotHeader out;
  uint8_t buf[kImageHeaderSize];
  const FlashStatus st = flash.read(flash_map::slot_address(slot), buf);
  if (st != FlashStatus::kOk) {
    out.verdict.flash = st;
    return out;
  }
  const auto parsed = parse_image_header(buf);
  if (!parsed) {
    out.verdict.error = parsed.error();
    return out;
  }
  out.header = parsed.value();
  out.verdict.error = check_header_slot(out.header, slot);
  return out;
}

ImageVerdict check_slot_payload(Flash& flash, flash_map::Slot slot, const ImageHeader& header,
                                Crc32Engine& crc, bool check_sha) {
  ImageVerdict v;
  if (header.payload_size == 0 || header.payload_size > flash_map::kMaxPayloadSize) {
    v.error = HeaderError::kPayloadTooLarge;
    return v;
  }
  const uint32_t address = flash_map::slot_vector_address(slot);
  const auto crc_value = crc.crc32(flash, address, header.payload_size);
  if (!crc_value) {
    v.flash = crc_value.error();
    return v;
  }
  if (crc_value.value() != header.payload_crc32) {
    v.error = HeaderError::kPayloadCrcMismatch;
    return v;
  }
  if (check_sha) {
    Sha256 sha;
    const FlashStatus st = for_each_chunk(flash, address, header.payload_size,
                                          [&](std::span<const uint8_t> d) { sha.update(d); });
    if (st != FlashStatus::kOk) {
      v.flash = st;
      return v;
    }
    if (sha.finish() != header.payload_sha256) v.error = HeaderError::kPayloadShaMismatch;
  }
  return v;
}

}  // namespace fota::bootcore
