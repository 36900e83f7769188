// SPDX-License-Identifier: Apache-2.0
// Frames of the native protocol, the same code on both sides (bootloader and host driver):
//
//   offset size
//     0     2   sync A5 5A
//     2     1   type          (protocol.h Type)
//     3     1   flags         reserved, 0
//     4     2   seq           little-endian; DATA frames count up, other frames echo or use 0
//     6     2   length N      payload bytes, <= kMaxPayload
//     8     2   header check  low 16 bits of CRC-32 over bytes [2, 8)
//    10     N   payload
//  10+N     4   CRC-32 over bytes [2, 10 + N)
//
// The header check lets the parser drop a frame whose length field was damaged at once (instead of
// swallowing up to 4 KB of the following frames) and resynchronise on the next sync.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "native/protocol.h"

namespace fota::native {

inline constexpr size_t kFrameHeaderSize = 10;
inline constexpr size_t kFrameOverhead = kFrameHeaderSize + 4;
inline constexpr size_t kMaxFrameSize = kFrameOverhead + kMaxPayload;

struct FrameHeader {
  uint8_t type = 0;
  uint8_t flags = 0;
  uint16_t seq = 0;
  uint16_t length = 0;
};

// Writes one frame into `out`; returns its size, or 0 when the payload is longer than
// kMaxPayload or `out` is too small.
size_t encode_frame(uint8_t type, uint16_t seq, std::span<const uint8_t> payload,
                    std::span<uint8_t> out);
inline size_t encode_frame(Type type, uint16_t seq, std::span<const uint8_t> payload,
                           std::span<uint8_t> out) {
  return encode_frame(static_cast<uint8_t>(type), seq, payload, out);
}

// Byte-fed parser. The payload is copied into `keep` up to keep.size() bytes (the bootloader keeps
// DATA payloads in its receive ring and only copies control payloads); payload_start() says at
// which input byte (counting from the first byte ever fed) the payload of the last frame began.
class FrameParser {
 public:
  enum class Event : uint8_t {
    kNone = 0,   // need more bytes
    kFrame,      // a frame with a good CRC: header(), payload()
    kBadCrc,     // header check good, CRC-32 bad: header() is untrusted, the device NAKs
    kTooLong,    // header check good but length > kMaxPayload: dropped, resynchronising
  };

  explicit FrameParser(std::span<uint8_t> keep) : keep_(keep) {}

  Event feed(uint8_t byte);
  void reset();

  const FrameHeader& header() const { return header_; }
  // The kept payload bytes of the last frame (all of them when length <= keep.size()).
  std::span<const uint8_t> payload() const {
    return keep_.first(header_.length < keep_.size() ? header_.length : keep_.size());
  }
  bool payload_complete() const { return header_.length <= keep_.size(); }
  uint64_t payload_start() const { return payload_start_; }
  uint64_t fed() const { return fed_; }
  // Input index of the first byte of the frame being parsed (fed() when hunting for a sync).
  uint64_t frame_start() const { return state_ == State::kHunt ? fed_ : head_index_; }
  // Bytes skipped while hunting for a sync, and headers whose check failed (diagnostics).
  uint32_t skipped() const { return skipped_; }
  uint32_t bad_headers() const { return bad_headers_; }

 private:
  enum class State : uint8_t { kHunt, kSecond, kHeader, kPayload, kCrc };
  Event step(uint8_t byte, uint64_t index);
  void header_failed();

  std::span<uint8_t> keep_;
  State state_ = State::kHunt;
  uint8_t head_[kFrameHeaderSize] = {};
  size_t head_len_ = 0;
  uint64_t head_index_ = 0;  // input index of head_[0]
  FrameHeader header_;
  uint32_t crc_state_ = 0;
  uint32_t got_ = 0;
  uint8_t crc_bytes_[4] = {};
  uint64_t payload_start_ = 0;
  uint64_t fed_ = 0;
  uint32_t skipped_ = 0;
  uint32_t bad_headers_ = 0;
};

}  // namespace fota::native
