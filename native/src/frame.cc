// SPDX-License-Identifier: Apache-2.0
#include "native/frame.h"

#include <cstring>

#include "format/bytes.h"
#include "format/crc32.h"

namespace fota::native {

namespace {

uint16_t header_check(const uint8_t* head) {
  return static_cast<uint16_t>(crc32(std::span<const uint8_t>(head + 2, 6)));
}

uint32_t crc_step(uint32_t state, uint8_t byte) {
  Crc32 c = Crc32::from_state(state);
  c.update(std::span<const uint8_t>(&byte, 1));
  return c.state();
}

}  // namespace

size_t encode_frame(uint8_t type, uint16_t seq, std::span<const uint8_t> payload,
                    std::span<uint8_t> out) {
  const size_t size = kFrameOverhead + payload.size();
  if (payload.size() > kMaxPayload || out.size() < size) return 0;
  uint8_t* p = out.data();
  p[0] = kSync0;
  p[1] = kSync1;
  p[2] = type;
  p[3] = 0;
  bytes::store_le16(p + 4, seq);
  bytes::store_le16(p + 6, static_cast<uint16_t>(payload.size()));
  bytes::store_le16(p + 8, header_check(p));
  if (!payload.empty()) std::memcpy(p + kFrameHeaderSize, payload.data(), payload.size());
  const uint32_t crc = crc32(std::span<const uint8_t>(p + 2, kFrameHeaderSize - 2 + payload.size()));
  bytes::store_le32(p + kFrameHeaderSize + payload.size(), crc);
  return size;
}

void FrameParser::reset() {
  state_ = State::kHunt;
  head_len_ = 0;
  got_ = 0;
}

FrameParser::Event FrameParser::feed(uint8_t byte) {
  const uint64_t index = fed_++;
  return step(byte, index);
}

void FrameParser::header_failed() {
  ++bad_headers_;
  // Hunt again from the byte after the sync that started this header.
  uint8_t again[kFrameHeaderSize];
  const size_t n = head_len_ - 1;
  std::memcpy(again, head_ + 1, n);
  const uint64_t first = head_index_ + 1;
  reset();
  for (size_t i = 0; i < n; ++i) (void)step(again[i], first + i);
}

FrameParser::Event FrameParser::step(uint8_t byte, uint64_t index) {
  switch (state_) {
    case State::kHunt:
      if (byte == kSync0) {
        head_[0] = byte;
        head_len_ = 1;
        head_index_ = index;
        state_ = State::kSecond;
      } else {
        ++skipped_;
      }
      return Event::kNone;
    case State::kSecond:
      if (byte == kSync1) {
        head_[1] = byte;
        head_len_ = 2;
        state_ = State::kHeader;
      } else if (byte == kSync0) {
        ++skipped_;
        head_index_ = index;  // A5 A5 5A: the second A5 may start the frame
      } else {
        skipped_ += 2;
        state_ = State::kHunt;
      }
      return Event::kNone;
    case State::kHeader: {
      head_[head_len_++] = byte;
      if (head_len_ < kFrameHeaderSize) return Event::kNone;
      if (bytes::load_le16(head_ + 8) != header_check(head_) || head_[3] != 0) {
        header_failed();
        return Event::kNone;
      }
      header_.type = head_[2];
      header_.flags = head_[3];
      header_.seq = bytes::load_le16(head_ + 4);
      header_.length = bytes::load_le16(head_ + 6);
      if (header_.length > kMaxPayload) {
        ++bad_headers_;
        reset();
        return Event::kTooLong;
      }
      Crc32 c;
      c.update(std::span<const uint8_t>(head_ + 2, kFrameHeaderSize - 2));
      crc_state_ = c.state();
      got_ = 0;
      payload_start_ = index + 1;
      state_ = header_.length == 0 ? State::kCrc : State::kPayload;
      return Event::kNone;
    }
    case State::kPayload:
      if (got_ < keep_.size()) keep_[got_] = byte;
      crc_state_ = crc_step(crc_state_, byte);
      if (++got_ == header_.length) {
        got_ = 0;
        state_ = State::kCrc;
      }
      return Event::kNone;
    case State::kCrc:
      crc_bytes_[got_++] = byte;
      if (got_ < 4) return Event::kNone;
      reset();
      return bytes::load_le32(crc_bytes_) == ~crc_state_ ? Event::kFrame : Event::kBadCrc;
  }
  return Event::kNone;
}

}  // namespace fota::native
