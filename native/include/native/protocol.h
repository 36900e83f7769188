// SPDX-License-Identifier: Apache-2.0
// The native update protocol between a host and our bootloader's update mode: one header for both
// sides (the bootloader and the host driver include this same file). Byte-by-byte description:
// docs/native-protocol.md. Every message payload has an encoder and a bounds-checked decoder here;
// the frame around it (sync, type, sequence, length, header check, CRC-32) is native/frame.h.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "format/flash_map.h"
#include "format/image_header.h"
#include "status/result.h"

namespace fota::native {

inline constexpr uint8_t kProtocolVersion = 1;
inline constexpr uint32_t kDefaultBaud = 115'200;  // 8N1 after every reset
inline constexpr uint32_t kMaxData = 4096;         // data bytes per DATA frame
inline constexpr uint32_t kDataPrefix = 4;         // DATA payload: u32 offset, then the data
inline constexpr uint32_t kBeginSize = 8 + kImageHeaderSize;
inline constexpr uint32_t kMaxPayload = kDataPrefix + kMaxData;  // the largest payload (DATA)
static_assert(kMaxPayload >= kBeginSize);

// Wake-up: during the listening window after a pin reset the bootloader looks for these two bytes
// back to back (the frame sync); a host that wants update mode sends them repeatedly.
inline constexpr uint8_t kSync0 = 0xA5;
inline constexpr uint8_t kSync1 = 0x5A;

// Baud rates the bootloader accepts in SET_BAUD: exact at 84 MHz APB2 with oversampling by 16.
inline constexpr uint32_t kBaudRates[] = {115'200, 230'400, 460'800, 921'600, 1'000'000, 2'000'000};
inline constexpr uint32_t kMaxBaud = 2'000'000;
// After a successful END the device stays in update mode this long for the host's LEAVE (and
// answers a repeated END again, in case its reply was lost on the line), then boots the image.
// Longer than the host's END timeout, so a host that resends END finds the device still there.
inline constexpr uint32_t kInstalledLingerMs = 6'000;
constexpr bool baud_supported(uint32_t baud) {
  for (uint32_t b : kBaudRates) {
    if (b == baud) return true;
  }
  return false;
}

enum class Type : uint8_t {
  // host -> device
  kHello = 0x01,
  kSetBaud = 0x02,
  kBegin = 0x03,
  kData = 0x04,
  kQuery = 0x05,
  kEnd = 0x06,
  kAbort = 0x07,
  kInfo = 0x08,
  kPing = 0x09,
  kLeave = 0x0A,
  // device -> host: replies are 0x80 | request type
  kReplyFlag = 0x80,
  kHelloReply = 0x81,
  kSetBaudReply = 0x82,
  kBeginReply = 0x83,
  kDataAck = 0x84,  // also the window update the device sends when space frees up
  kQueryReply = 0x85,
  kEndReply = 0x86,
  kAbortReply = 0x87,
  kInfoReply = 0x88,
  kPingReply = 0x89,
  kLeaveReply = 0x8A,
  // device -> host, unsolicited
  kBusy = 0xC0,  // flash work that takes long (a sector erase) has started
  kNak = 0xC1,   // a frame was refused before its type was trusted (bad CRC, unknown type, ...)
};

// Status codes carried by replies (first payload byte). Each refusal has its own code.
enum class Status : uint8_t {
  kOk = 0,
  kBadFrameCrc = 1,         // frame CRC-32 wrong: resend
  kBadLength = 2,           // payload length not what the type requires
  kUnknownType = 3,         // type not a host->device request
  kOutOfOrder = 4,          // DATA sequence is not the next expected one: resend from next_seq
  kNotBegun = 5,            // DATA / END / QUERY-dependent request without a BEGIN
  kWrongSlot = 6,           // BEGIN names a slot the bootloader will not overwrite (the active one)
  kBadHeader = 7,           // the 512-byte header does not parse (magic, CRC, sizes, reserved)
  kHeaderSlotMismatch = 8,  // header linked for the other slot than BEGIN names
  kWrongProduct = 9,        // header product differs from the bootloader's
  kImageTooLarge = 10,      // payload_size larger than a slot holds
  kOffsetOutOfRange = 11,   // DATA past payload_size
  kMisaligned = 12,         // DATA offset or length not a multiple of 4 (except the last frame)
  kBadOffset = 13,          // DATA offset is not where the previous frame ended
  kFlashError = 14,         // erase/program/read-back failed
  kCrcMismatch = 15,        // END: payload CRC-32 differs from the header
  kShaMismatch = 16,        // END: payload SHA-256 differs from the header
  kIncomplete = 17,         // END before payload_size bytes arrived
  kBadBaud = 18,            // SET_BAUD rate not in kBaudRates
  kResumeNotBlank = 19,     // BEGIN with start_offset: the slot after it is not erased
  kBadResumeOffset = 20,    // start_offset not a multiple of 4096 or beyond the payload
  kLogError = 21,           // END: the TRIAL record could not be appended
  kReservedNotZero = 22,    // a reserved field is not 0
  kOverrun = 23,            // the receive buffer overflowed (the host ignored the window)
  kHeaderAreaDirty = 24,    // END: the header area holds something else than this header
  kBusy = 25,               // request not possible now (e.g. SET_BAUD while data is pending)
  kSignatureInvalid = 26,   // END: signature check failed (when signing is enforced)
};
const char* to_string(Status status);

// Why the bootloader is in update mode (HELLO reply).
enum class EntryReason : uint8_t { kAppRequest = 1, kPinSync = 2, kNoImage = 3 };

// Slot state as the HELLO reply reports it.
enum class SlotState : uint8_t {
  kEmpty = 0,    // no valid header
  kUnknown = 1,  // a header, no record applies
  kTrial = 2,
  kConfirmed = 3,
  kRejected = 4,
};

enum class DecodeError : uint8_t {
  kOk = 0,
  kBadLength,
  kReservedNotZero,
  kBadValue,
};
const char* to_string(DecodeError error);

// ---- Message payloads ----

struct SlotSummary {
  SlotState state = SlotState::kEmpty;
  uint32_t version = 0;  // Version::packed()
  uint32_t payload_crc32 = 0;
};

struct HelloReply {  // 0x81, 48 bytes
  Status status = Status::kOk;
  uint8_t protocol_version = kProtocolVersion;
  EntryReason reason = EntryReason::kPinSync;
  uint8_t install_slot = 0;  // the slot BEGIN must name
  uint32_t bootloader_version = 0;
  std::array<uint8_t, 12> uid{};
  uint16_t max_data = kMaxData;
  uint16_t window_frames = 0;  // DATA frames the device buffers
  uint32_t max_baud = kMaxBaud;
  SlotSummary slots[2];
};
inline constexpr size_t kHelloReplySize = 48;

struct Begin {  // 0x03
  uint8_t slot = 0;
  uint8_t flags = 0;          // reserved, 0
  uint32_t start_offset = 0;  // resume: payload bytes already in the slot (multiple of 4096)
  std::array<uint8_t, kImageHeaderSize> header{};
};

struct DataAck {  // 0x84 and 0xC1: 16 bytes
  Status status = Status::kOk;
  uint16_t next_seq = 0;     // every DATA frame before this one is stored
  uint16_t limit_seq = 0;    // the host may send DATA frames with seq < limit_seq (mod 2^16)
  uint32_t programmed = 0;   // payload bytes programmed so far
  uint32_t next_offset = 0;  // payload offset the DATA frame next_seq must start at
};
inline constexpr size_t kDataAckSize = 16;

struct QueryReply {  // 0x85: 12 bytes
  Status status = Status::kOk;
  uint8_t slot = 0;
  uint32_t written = 0;  // payload bytes a resume may skip (multiple of 4096)
  uint32_t crc32 = 0;    // CRC-32 of those bytes as the slot holds them
};
inline constexpr size_t kQueryReplySize = 12;

struct Busy {        // 0xC0: 4 bytes
  uint8_t what = 1;  // 1 = sector erase
  uint8_t sector = 0;
  uint16_t expected_ms = 0;
};
inline constexpr size_t kBusySize = 4;

// Status-only replies (SET_BAUD, BEGIN, END, ABORT, PING, LEAVE): status, slot, 2 reserved.
struct StatusReply {
  Status status = Status::kOk;
  uint8_t slot = 0;
};
inline constexpr size_t kStatusReplySize = 4;

// INFO reply: status, 3 reserved, then the newest record of slot A and of slot B as stored (32
// bytes each; all 0xFF when there is none).
inline constexpr size_t kInfoReplySize = 4 + 64;

void encode(const HelloReply& m, std::span<uint8_t, kHelloReplySize> out);
[[nodiscard]] Result<HelloReply, DecodeError> decode_hello_reply(std::span<const uint8_t> in);
void encode(const Begin& m, std::span<uint8_t, kBeginSize> out);
[[nodiscard]] Result<Begin, DecodeError> decode_begin(std::span<const uint8_t> in);
void encode(const DataAck& m, std::span<uint8_t, kDataAckSize> out);
[[nodiscard]] Result<DataAck, DecodeError> decode_data_ack(std::span<const uint8_t> in);
void encode(const QueryReply& m, std::span<uint8_t, kQueryReplySize> out);
[[nodiscard]] Result<QueryReply, DecodeError> decode_query_reply(std::span<const uint8_t> in);
void encode(const Busy& m, std::span<uint8_t, kBusySize> out);
[[nodiscard]] Result<Busy, DecodeError> decode_busy(std::span<const uint8_t> in);
void encode(const StatusReply& m, std::span<uint8_t, kStatusReplySize> out);
[[nodiscard]] Result<StatusReply, DecodeError> decode_status_reply(std::span<const uint8_t> in);
// SET_BAUD payload: u32 baud.
[[nodiscard]] Result<uint32_t, DecodeError> decode_set_baud(std::span<const uint8_t> in);

// Sequence arithmetic mod 2^16: true when a comes before b within half the space.
constexpr bool seq_before(uint16_t a, uint16_t b) {
  return static_cast<int16_t>(static_cast<uint16_t>(a - b)) < 0;
}

}  // namespace fota::native
