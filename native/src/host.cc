// SPDX-License-Identifier: Apache-2.0
#include "native/host.h"

#include "format/bytes.h"
#include "format/crc32.h"
#include "format/image_header.h"

namespace fota::native {

const char* to_string(HostError error) {
  switch (error) {
    case HostError::kOk: return "ok";
    case HostError::kLink: return "serial link failed";
    case HostError::kNoAnswer: return "the bootloader did not answer";
    case HostError::kRefused: return "the bootloader refused the request";
    case HostError::kBadReply: return "the bootloader sent a reply that does not decode";
    case HostError::kBaudFailed: return "the new baud rate was not confirmed";
    case HostError::kRetriesExhausted: return "too many retransmissions";
    case HostError::kBadImage: return "image invalid or shorter than its header says";
    case HostError::kResumeMismatch: return "the slot's written prefix is not this image's";
  }
  return "unknown host error";
}

namespace {

// Rewinds after these refusals; anything else in a DATA ack is final.
bool recoverable(Status s) {
  return s == Status::kBadFrameCrc || s == Status::kOutOfOrder || s == Status::kOverrun ||
         s == Status::kBusy || s == Status::kBadLength || s == Status::kUnknownType;
}

}  // namespace

HostSession::HostSession(an3155::ByteLink& link, an3155::Clock& clock, HostOptions options)
    : link_(link), clock_(clock), options_(options) {}

HostError HostSession::send(Type type, uint16_t seq, std::span<const uint8_t> payload) {
  const size_t n = encode_frame(type, seq, payload, out_);
  if (n == 0) return HostError::kBadImage;
  ++stats_.frames_sent;
  return link_.write(std::span<const uint8_t>(out_, n)) == an3155::PortStatus::kOk
             ? HostError::kOk
             : HostError::kLink;
}

HostError HostSession::receive(uint64_t deadline_us) {
  for (;;) {
    const uint64_t now = clock_.now_us();
    if (now >= deadline_us) return HostError::kNoAnswer;
    const uint64_t left_ms = (deadline_us - now + 999) / 1000;
    uint8_t byte = 0;
    size_t got = 0;
    const auto st = link_.read(std::span<uint8_t>(&byte, 1),
                               static_cast<uint32_t>(left_ms > 60'000 ? 60'000 : left_ms), got);
    if (st == an3155::PortStatus::kTimeout || got == 0) continue;
    if (st != an3155::PortStatus::kOk) return HostError::kLink;
    if (parser_.feed(byte) == FrameParser::Event::kFrame) return HostError::kOk;
  }
}

HostError HostSession::request(Type type, std::span<const uint8_t> payload, Type reply,
                               uint32_t timeout_ms) {
  for (unsigned attempt = 0; attempt <= options_.retries; ++attempt) {
    const uint16_t seq = seq_++;
    FOTA_TRY(send(type, seq, payload));
    const uint64_t deadline = clock_.now_us() + uint64_t{timeout_ms} * 1000;
    for (;;) {
      const HostError e = receive(deadline);
      if (e == HostError::kNoAnswer) {
        ++stats_.timeouts;
        break;  // resend
      }
      FOTA_TRY(e);
      const FrameHeader& h = parser_.header();
      if (h.type == static_cast<uint8_t>(reply) && h.seq == seq) {
        last_status_ = parser_.payload().empty() ? Status::kOk
                                                 : static_cast<Status>(parser_.payload()[0]);
        return HostError::kOk;
      }
      if (h.type == static_cast<uint8_t>(Type::kNak)) {
        ++stats_.naks;
        break;  // our request was damaged on the way: resend
      }
      // Anything else (window updates, BUSY, late replies) is not the answer: keep waiting.
    }
  }
  return HostError::kNoAnswer;
}

Result<HelloReply, HostError> HostSession::hello(uint32_t timeout_ms) {
  const uint64_t deadline = clock_.now_us() + uint64_t{timeout_ms} * 1000;
  while (clock_.now_us() < deadline) {
    const uint16_t seq = seq_++;
    if (HostError e = send(Type::kHello, seq, {}); e != HostError::kOk) return Error{e};
    const uint64_t until = clock_.now_us() + uint64_t{options_.reply_timeout_ms} * 1000;
    for (;;) {
      const HostError e = receive(until < deadline ? until : deadline);
      if (e == HostError::kNoAnswer) break;
      if (e != HostError::kOk) return Error{e};
      const FrameHeader& h = parser_.header();
      if (h.type != static_cast<uint8_t>(Type::kHelloReply) || h.seq != seq) continue;
      auto r = decode_hello_reply(parser_.payload());
      if (!r.ok()) return Error{HostError::kBadReply};
      last_status_ = r->status;
      return *r;
    }
  }
  return Error{HostError::kNoAnswer};
}

Result<HelloReply, HostError> HostSession::wake(an3155::TargetPins& pins) {
  if (link_.configure(kDefaultBaud, an3155::Parity::kNone) != an3155::PortStatus::kOk) {
    return Error{HostError::kLink};
  }
  baud_ = kDefaultBaud;
  if (pins.set_boot0(false) != an3155::PortStatus::kOk ||
      pins.set_reset(true) != an3155::PortStatus::kOk) {
    return Error{HostError::kLink};
  }
  clock_.delay_ms(2);
  (void)link_.flush_input();
  if (pins.set_reset(false) != an3155::PortStatus::kOk) return Error{HostError::kLink};
  // Sync pairs covering the listening window (it opens ~1 ms after reset and lasts ~0.5 ms).
  uint8_t sync[64];
  for (size_t i = 0; i < sizeof(sync); i += 2) {
    sync[i] = kSync0;
    sync[i + 1] = kSync1;
  }
  if (link_.write(sync) != an3155::PortStatus::kOk) return Error{HostError::kLink};
  return hello(1'000);
}

HostError HostSession::set_baud(uint32_t baud) {
  if (baud == baud_) return HostError::kOk;
  uint8_t p[4];
  bytes::store_le32(p, baud);
  FOTA_TRY(request(Type::kSetBaud, p, Type::kSetBaudReply, options_.reply_timeout_ms));
  if (last_status_ != Status::kOk) return HostError::kRefused;
  const uint32_t old = baud_;
  // The device switches once its reply has left; so do we.
  if (link_.configure(baud, an3155::Parity::kNone) != an3155::PortStatus::kOk) {
    return HostError::kLink;
  }
  parser_.reset();
  baud_ = baud;
  auto h = hello(600);
  if (h.ok()) return HostError::kOk;
  // Not confirmed: the device reverts to 115200 after its confirmation time; so do we.
  (void)link_.configure(kDefaultBaud, an3155::Parity::kNone);
  parser_.reset();
  baud_ = kDefaultBaud;
  (void)old;
  return HostError::kBaudFailed;
}

Result<QueryReply, HostError> HostSession::query() {
  if (HostError e = request(Type::kQuery, {}, Type::kQueryReply, 2'000); e != HostError::kOk) {
    return Error{e};
  }
  auto r = decode_query_reply(parser_.payload());
  if (!r.ok()) return Error{HostError::kBadReply};
  return *r;
}

HostError HostSession::leave() {
  FOTA_TRY(request(Type::kLeave, {}, Type::kLeaveReply, options_.reply_timeout_ms));
  return last_status_ == Status::kOk ? HostError::kOk : HostError::kRefused;
}

HostError HostSession::abort() {
  FOTA_TRY(request(Type::kAbort, {}, Type::kAbortReply, options_.reply_timeout_ms));
  return last_status_ == Status::kOk ? HostError::kOk : HostError::kRefused;
}

HostError HostSession::exchange_raw(std::span<const uint8_t> frame, uint32_t timeout_ms) {
  if (link_.write(frame) != an3155::PortStatus::kOk) return HostError::kLink;
  FOTA_TRY(receive(clock_.now_us() + uint64_t{timeout_ms} * 1000));
  const auto p = parser_.payload();
  last_status_ = p.empty() ? Status::kOk : static_cast<Status>(p[0]);
  return HostError::kOk;
}

HostError HostSession::install(std::span<const uint8_t> image, uint8_t slot, bool resume) {
  if (image.size() < kImageHeaderSize) return HostError::kBadImage;
  const auto header = parse_image_header(image.first(kImageHeaderSize));
  if (!header.ok() || image.size() - kImageHeaderSize < header->payload_size) {
    return HostError::kBadImage;
  }
  const auto payload = image.subspan(kImageHeaderSize, header->payload_size);
  uint32_t start = 0;
  if (resume) {
    auto q = query();
    if (!q.ok()) return q.error();
    if (q->written != 0 && q->written < payload.size() && q->slot == slot &&
        crc32(payload.first(q->written)) == q->crc32) {
      start = q->written;
    }
  }
  Begin b;
  b.slot = slot;
  b.start_offset = start;
  std::copy(image.begin(), image.begin() + kImageHeaderSize, b.header.begin());
  uint8_t bp[kBeginSize];
  encode(b, bp);
  FOTA_TRY(request(Type::kBegin, bp, Type::kBeginReply, 2'000));
  if (last_status_ != Status::kOk) return HostError::kRefused;
  stats_.resumed_from = start;
  FOTA_TRY(stream(payload, start));
  FOTA_TRY(request(Type::kEnd, {}, Type::kEndReply, options_.end_timeout_ms));
  return last_status_ == Status::kOk ? HostError::kOk : HostError::kRefused;
}

HostError HostSession::stream(std::span<const uint8_t> payload, uint32_t start) {
  const uint32_t total = static_cast<uint32_t>(payload.size());
  // Frame sizes adapt to the line: halved on every damaged frame (down to 64 bytes), doubled
  // after a run of clean acks, so a noisy line still gets frames through.
  constexpr uint32_t kMinData = 64;
  uint32_t data_len = options_.max_data;
  unsigned clean = 0;
  uint32_t next = 0;   // next seq to send
  uint32_t next_offset = start;
  uint32_t acked = 0;  // frames the device stored
  uint32_t acked_offset = start;
  uint32_t limit = 0;  // frames the device lets us send (seq < limit)
  uint32_t programmed = start;
  unsigned failures = 0;
  uint64_t deadline = clock_.now_us() + uint64_t{options_.data_timeout_ms} * 1000;
  uint8_t frame_payload[kMaxPayload];
  auto rewind = [&] {
    stats_.frames_resent += next - acked;
    next = acked;
    next_offset = acked_offset;
  };
  while (programmed < total) {
    uint32_t allowed = limit;
    if (options_.window_frames != 0 && acked + options_.window_frames < allowed) {
      allowed = acked + options_.window_frames;
    }
    while (next_offset < total && next < allowed) {
      const uint32_t n = total - next_offset < data_len ? total - next_offset : data_len;
      bytes::store_le32(frame_payload, next_offset);
      std::copy(payload.begin() + next_offset, payload.begin() + next_offset + n,
                frame_payload + kDataPrefix);
      FOTA_TRY(send(Type::kData, static_cast<uint16_t>(next),
                    std::span<const uint8_t>(frame_payload, kDataPrefix + n)));
      ++next;
      next_offset += n;
    }
    const HostError e = receive(deadline);
    if (e == HostError::kNoAnswer) {
      ++stats_.timeouts;
      if (++failures > options_.retries) return HostError::kRetriesExhausted;
      data_len = data_len / 2 >= kMinData ? data_len / 2 : kMinData;
      rewind();
      if (limit <= acked) limit = acked + 1;  // one frame provokes a fresh window
      deadline = clock_.now_us() + uint64_t{options_.data_timeout_ms} * 1000;
      continue;
    }
    FOTA_TRY(e);
    const FrameHeader& h = parser_.header();
    if (h.type == static_cast<uint8_t>(Type::kBusy)) {
      auto busy = decode_busy(parser_.payload());
      ++stats_.busy;
      deadline = clock_.now_us() +
                 (uint64_t{busy.ok() ? busy->expected_ms * 2u : 2'000u} + options_.data_timeout_ms) *
                     1000;
      continue;
    }
    if (h.type != static_cast<uint8_t>(Type::kDataAck) &&
        h.type != static_cast<uint8_t>(Type::kNak)) {
      continue;
    }
    auto ack = decode_data_ack(parser_.payload());
    if (!ack.ok()) continue;  // a damaged ack: the next one will do
    last_status_ = ack->status;
    const uint32_t ack_next = ack->next_seq;
    if (ack_next < acked || ack->next_offset < acked_offset || ack->next_offset > total) continue;
    acked = ack_next;
    acked_offset = ack->next_offset;
    if (acked > next || acked_offset > next_offset) {  // it stored frames whose acks were lost
      next = acked;
      next_offset = acked_offset;
    }
    limit = ack->limit_seq >= ack_next ? ack->limit_seq : ack_next;
    if (ack->programmed >= programmed && ack->programmed <= total) programmed = ack->programmed;
    deadline = clock_.now_us() + uint64_t{options_.data_timeout_ms} * 1000;
    if (progress_ != nullptr) progress_(progress_context_, programmed, total);
    if (ack->status == Status::kOk) {
      failures = 0;
      if (++clean >= 32 && data_len < options_.max_data) {
        data_len *= 2;
        clean = 0;
      }
      continue;
    }
    ++stats_.naks;
    clean = 0;
    if (!recoverable(ack->status)) return HostError::kRefused;
    if (++failures > options_.retries) return HostError::kRetriesExhausted;
    if (ack->status == Status::kBadFrameCrc) {
      data_len = data_len / 2 >= kMinData ? data_len / 2 : kMinData;
    }
    rewind();
  }
  return HostError::kOk;
}

}  // namespace fota::native
