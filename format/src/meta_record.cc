// SPDX-License-Identifier: Apache-2.0
#include "format/meta_record.h"

#include "format/bytes.h"
#include "format/sealed_block.h"

namespace fota {

const char* to_string(RecordError error) {
  switch (error) {
    case RecordError::kOk: return "ok";
    case RecordError::kTooShort: return "metadata record truncated (need 32 bytes)";
    case RecordError::kErased: return "metadata record slot is erased";
    case RecordError::kBadMagic: return "bad metadata record magic";
    case RecordError::kBadCrc: return "metadata record CRC mismatch (torn or damaged)";
    case RecordError::kBadSlot: return "metadata record names no valid slot";
    case RecordError::kBadState: return "metadata record has an unknown state";
  }
  return "unknown record error";
}

const char* to_string(RecordState state) {
  switch (state) {
    case RecordState::kTrial: return "TRIAL";
    case RecordState::kConfirmed: return "CONFIRMED";
    case RecordState::kRejected: return "REJECTED";
  }
  return "?";
}

std::array<uint8_t, kRecordSize> encode_record(const MetaRecord& r) {
  std::array<uint8_t, kRecordSize> out;
  uint8_t* p = out.data();
  bytes::store_le32(p + 0, kRecordMagic);
  bytes::store_le32(p + 4, r.sequence);
  p[8] = static_cast<uint8_t>(r.slot);
  p[9] = static_cast<uint8_t>(r.state);
  p[10] = r.attempts;
  p[11] = r.max_attempts;
  bytes::store_le32(p + 12, r.image_crc32);
  bytes::store_le32(p + 16, r.version);
  bytes::store_le32(p + 20, r.build);
  p[24] = static_cast<uint8_t>(r.writer);
  p[25] = static_cast<uint8_t>(r.reason);
  bytes::store_le16(p + 26, static_cast<uint16_t>(~r.security_floor));
  seal(out, kRecordSeal.layout);
  return out;
}

std::array<uint32_t, kRecordWords> encode_record_words(const MetaRecord& record) {
  const auto b = encode_record(record);
  std::array<uint32_t, kRecordWords> words;
  for (size_t i = 0; i < kRecordWords; ++i) words[i] = bytes::load_le32(b.data() + 4 * i);
  return words;
}

Result<MetaRecord, RecordError> parse_record(std::span<const uint8_t> bytes) {
  FOTA_TRY_ASSIGN(const uint8_t* p, open_seal(bytes, kRecordSeal));
  if (p[8] > 1) return Error{RecordError::kBadSlot};
  const auto state = static_cast<RecordState>(p[9]);
  if (state != RecordState::kTrial && state != RecordState::kConfirmed &&
      state != RecordState::kRejected) {
    return Error{RecordError::kBadState};
  }
  MetaRecord r;
  r.sequence = bytes::load_le32(p + 4);
  r.slot = static_cast<flash_map::Slot>(p[8]);
  r.state = state;
  r.attempts = p[10];
  r.max_attempts = p[11];
  r.image_crc32 = bytes::load_le32(p + 12);
  r.version = bytes::load_le32(p + 16);
  r.build = bytes::load_le32(p + 20);
  r.writer = static_cast<RecordWriter>(p[24]);
  r.reason = static_cast<RecordReason>(p[25]);
  r.security_floor = static_cast<uint16_t>(~bytes::load_le16(p + 26));
  return r;
}

Result<MetaRecord, RecordError> parse_record_words(std::span<const uint32_t, kRecordWords> words) {
  std::array<uint8_t, kRecordSize> b;
  for (size_t i = 0; i < kRecordWords; ++i) bytes::store_le32(b.data() + 4 * i, words[i]);
  return parse_record(b);
}

}  // namespace fota
