// SPDX-License-Identifier: Apache-2.0
#include "native/protocol.h"

#include <cstring>

#include "format/bytes.h"

namespace fota::native {

using bytes::load_le16;
using bytes::load_le32;
using bytes::store_le16;
using bytes::store_le32;

const char* to_string(Status status) {
  switch (status) {
    case Status::kOk: return "ok";
    case Status::kBadFrameCrc: return "frame CRC-32 wrong";
    case Status::kBadLength: return "payload length wrong for the frame type";
    case Status::kUnknownType: return "unknown frame type";
    case Status::kOutOfOrder: return "DATA frame out of order";
    case Status::kNotBegun: return "no update begun";
    case Status::kWrongSlot: return "slot is not the one the bootloader may overwrite";
    case Status::kBadHeader: return "image header invalid";
    case Status::kHeaderSlotMismatch: return "image header linked for the other slot";
    case Status::kWrongProduct: return "image is for another product";
    case Status::kImageTooLarge: return "image larger than a slot";
    case Status::kOffsetOutOfRange: return "DATA offset beyond the image";
    case Status::kMisaligned: return "DATA offset or length not a multiple of 4";
    case Status::kBadOffset: return "DATA offset is not where the previous frame ended";
    case Status::kFlashError: return "flash erase/program failed";
    case Status::kCrcMismatch: return "payload CRC-32 differs from the header";
    case Status::kShaMismatch: return "payload SHA-256 differs from the header";
    case Status::kIncomplete: return "END before the whole payload arrived";
    case Status::kBadBaud: return "baud rate not supported";
    case Status::kResumeNotBlank: return "slot not erased after the resume offset";
    case Status::kBadResumeOffset: return "resume offset not a multiple of 4096 inside the payload";
    case Status::kLogError: return "TRIAL record could not be appended";
    case Status::kReservedNotZero: return "reserved field not zero";
    case Status::kOverrun: return "receive buffer overflowed";
    case Status::kHeaderAreaDirty: return "header area holds another header";
    case Status::kBusy: return "busy";
    case Status::kSignatureInvalid: return "image signature invalid";
  }
  return "unknown status";
}

const char* to_string(DecodeError error) {
  switch (error) {
    case DecodeError::kOk: return "ok";
    case DecodeError::kBadLength: return "payload length wrong";
    case DecodeError::kReservedNotZero: return "reserved field not zero";
    case DecodeError::kBadValue: return "field value out of range";
  }
  return "unknown decode error";
}

namespace {

bool status_known(uint8_t s) {
  return s <= static_cast<uint8_t>(Status::kSignatureInvalid);
}

bool zero(std::span<const uint8_t> bytes) {
  for (uint8_t b : bytes) {
    if (b != 0) return false;
  }
  return true;
}

// QUERY and STATUS replies start alike: status, slot (0 = A, 1 = B), two reserved zero bytes.
void encode_status_and_slot(Status status, uint8_t slot, uint8_t* p) {
  p[0] = static_cast<uint8_t>(status);
  p[1] = slot;
  p[2] = 0;
  p[3] = 0;
}

DecodeError check_status_and_slot(const uint8_t* p) {
  if (!status_known(p[0]) || p[1] > 1) return DecodeError::kBadValue;
  if (p[2] != 0 || p[3] != 0) return DecodeError::kReservedNotZero;
  return DecodeError::kOk;
}

}  // namespace

void encode(const HelloReply& m, std::span<uint8_t, kHelloReplySize> out) {
  uint8_t* p = out.data();
  std::memset(p, 0, out.size());
  p[0] = static_cast<uint8_t>(m.status);
  p[1] = m.protocol_version;
  p[2] = static_cast<uint8_t>(m.reason);
  p[3] = m.install_slot;
  store_le32(p + 4, m.bootloader_version);
  std::memcpy(p + 8, m.uid.data(), 12);
  store_le16(p + 20, m.max_data);
  store_le16(p + 22, m.window_frames);
  store_le32(p + 24, m.max_baud);
  for (unsigned i = 0; i < 2; ++i) {
    uint8_t* s = p + 28 + 10 * i;
    s[0] = static_cast<uint8_t>(m.slots[i].state);
    s[1] = 0;
    store_le32(s + 2, m.slots[i].version);
    store_le32(s + 6, m.slots[i].payload_crc32);
  }
}

Result<HelloReply, DecodeError> decode_hello_reply(std::span<const uint8_t> in) {
  if (in.size() != kHelloReplySize) return Error{DecodeError::kBadLength};
  const uint8_t* p = in.data();
  HelloReply m;
  if (!status_known(p[0]) || p[2] < 1 || p[2] > 3 || p[3] > 1) {
    return Error{DecodeError::kBadValue};
  }
  m.status = static_cast<Status>(p[0]);
  m.protocol_version = p[1];
  m.reason = static_cast<EntryReason>(p[2]);
  m.install_slot = p[3];
  m.bootloader_version = load_le32(p + 4);
  std::memcpy(m.uid.data(), p + 8, 12);
  m.max_data = load_le16(p + 20);
  m.window_frames = load_le16(p + 22);
  m.max_baud = load_le32(p + 24);
  if (m.max_data == 0 || m.max_data > kMaxData || m.max_data % 4 != 0) {
    return Error{DecodeError::kBadValue};
  }
  for (unsigned i = 0; i < 2; ++i) {
    const uint8_t* s = p + 28 + 10 * i;
    if (s[0] > static_cast<uint8_t>(SlotState::kRejected)) return Error{DecodeError::kBadValue};
    if (s[1] != 0) return Error{DecodeError::kReservedNotZero};
    m.slots[i].state = static_cast<SlotState>(s[0]);
    m.slots[i].version = load_le32(s + 2);
    m.slots[i].payload_crc32 = load_le32(s + 6);
  }
  return m;
}

void encode(const Begin& m, std::span<uint8_t, kBeginSize> out) {
  uint8_t* p = out.data();
  p[0] = m.slot;
  p[1] = m.flags;
  p[2] = 0;
  p[3] = 0;
  store_le32(p + 4, m.start_offset);
  std::memcpy(p + 8, m.header.data(), kImageHeaderSize);
}

Result<Begin, DecodeError> decode_begin(std::span<const uint8_t> in) {
  if (in.size() != kBeginSize) return Error{DecodeError::kBadLength};
  const uint8_t* p = in.data();
  if (p[1] != 0 || p[2] != 0 || p[3] != 0) return Error{DecodeError::kReservedNotZero};
  if (p[0] > 1) return Error{DecodeError::kBadValue};
  Begin m;
  m.slot = p[0];
  m.start_offset = load_le32(p + 4);
  std::memcpy(m.header.data(), p + 8, kImageHeaderSize);
  return m;
}

void encode(const DataAck& m, std::span<uint8_t, kDataAckSize> out) {
  uint8_t* p = out.data();
  p[0] = static_cast<uint8_t>(m.status);
  p[1] = 0;
  store_le16(p + 2, m.next_seq);
  store_le16(p + 4, m.limit_seq);
  store_le16(p + 6, 0);
  store_le32(p + 8, m.programmed);
  store_le32(p + 12, m.next_offset);
}

Result<DataAck, DecodeError> decode_data_ack(std::span<const uint8_t> in) {
  if (in.size() != kDataAckSize) return Error{DecodeError::kBadLength};
  const uint8_t* p = in.data();
  if (!status_known(p[0])) return Error{DecodeError::kBadValue};
  if (p[1] != 0 || !zero(in.subspan(6, 2))) return Error{DecodeError::kReservedNotZero};
  DataAck m;
  m.status = static_cast<Status>(p[0]);
  m.next_seq = load_le16(p + 2);
  m.limit_seq = load_le16(p + 4);
  m.programmed = load_le32(p + 8);
  m.next_offset = load_le32(p + 12);
  if (m.programmed > flash_map::kMaxPayloadSize || m.next_offset > flash_map::kMaxPayloadSize) {
    return Error{DecodeError::kBadValue};
  }
  return m;
}

void encode(const QueryReply& m, std::span<uint8_t, kQueryReplySize> out) {
  uint8_t* p = out.data();
  encode_status_and_slot(m.status, m.slot, p);
  store_le32(p + 4, m.written);
  store_le32(p + 8, m.crc32);
}

Result<QueryReply, DecodeError> decode_query_reply(std::span<const uint8_t> in) {
  if (in.size() != kQueryReplySize) return Error{DecodeError::kBadLength};
  const uint8_t* p = in.data();
  if (const DecodeError e = check_status_and_slot(p); e != DecodeError::kOk) return Error{e};
  QueryReply m;
  m.status = static_cast<Status>(p[0]);
  m.slot = p[1];
  m.written = load_le32(p + 4);
  m.crc32 = load_le32(p + 8);
  if (m.written % kMaxData != 0 || m.written > flash_map::kMaxPayloadSize) {
    return Error{DecodeError::kBadValue};
  }
  return m;
}

void encode(const Busy& m, std::span<uint8_t, kBusySize> out) {
  uint8_t* p = out.data();
  p[0] = m.what;
  p[1] = m.sector;
  store_le16(p + 2, m.expected_ms);
}

Result<Busy, DecodeError> decode_busy(std::span<const uint8_t> in) {
  if (in.size() != kBusySize) return Error{DecodeError::kBadLength};
  if (in[0] != 1 || in[1] >= flash_map::kSectorCount) return Error{DecodeError::kBadValue};
  Busy m;
  m.what = in[0];
  m.sector = in[1];
  m.expected_ms = load_le16(in.data() + 2);
  return m;
}

void encode(const StatusReply& m, std::span<uint8_t, kStatusReplySize> out) {
  encode_status_and_slot(m.status, m.slot, out.data());
}

Result<StatusReply, DecodeError> decode_status_reply(std::span<const uint8_t> in) {
  if (in.size() != kStatusReplySize) return Error{DecodeError::kBadLength};
  if (const DecodeError e = check_status_and_slot(in.data()); e != DecodeError::kOk) {
    return Error{e};
  }
  StatusReply m;
  m.status = static_cast<Status>(in[0]);
  m.slot = in[1];
  return m;
}

Result<uint32_t, DecodeError> decode_set_baud(std::span<const uint8_t> in) {
  if (in.size() != 4) return Error{DecodeError::kBadLength};
  const uint32_t baud = load_le32(in.data());
  if (!baud_supported(baud)) return Error{DecodeError::kBadValue};
  return baud;
}

}  // namespace fota::native
