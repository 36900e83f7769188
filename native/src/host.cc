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

constexpr uint32_t kMinData = 64;  // the shortest DATA frame after damaged ones

// Rewinds after these refusals; anything else in a DATA ack is final.
bool recoverable(Status s) {
  return s == Status::kBadFrameCrc || s == Status::kOutOfOrder || s == Status::kOverrun ||
         s == Status::kBusy || s == Status::kBadLength || s == Status::kUnknownType ||
         s == Status::kBadOffset;
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

HostError HostSession::receive(uint64_t deadline_us, bool* damaged) {
  // At least one read, also when the deadline has passed: drain() asks "anything there now?"
  // (on I2C that is one poll of the device).
  for (;;) {
    const uint64_t now = clock_.now_us();
    const uint64_t left_ms = now >= deadline_us ? 0 : (deadline_us - now + 999) / 1000;
    uint8_t byte = 0;
    size_t got = 0;
    const auto st = link_.read(std::span<uint8_t>(&byte, 1),
                               static_cast<uint32_t>(left_ms > 60'000 ? 60'000 : left_ms), got);
    if (got == 1) {
      if (st != an3155::PortStatus::kOk && st != an3155::PortStatus::kTimeout) {
        return HostError::kLink;
      }
      const FrameParser::Event event = parser_.feed(byte);
      if (event == FrameParser::Event::kFrame) return HostError::kOk;
      if (damaged != nullptr && event != FrameParser::Event::kNone) {
        *damaged = true;
        return HostError::kBadReply;
      }
      continue;
    }
    if (clock_.now_us() >= deadline_us) return HostError::kNoAnswer;
  }
}

HostError HostSession::request(Type type, std::span<const uint8_t> payload, Type reply,
                               uint32_t timeout_ms, unsigned attempts) {
  if (attempts == 0) attempts = options_.retries + 1;
  const uint16_t first_seq = seq_;
  for (unsigned attempt = 0; attempt < attempts; ++attempt) {
    const uint16_t seq = seq_++;
    FOTA_TRY(send(type, seq, payload));
    const uint64_t deadline = clock_.now_us() + uint64_t{timeout_ms} * 1000;
    for (;;) {
      bool damaged = false;
      const HostError e = receive(deadline, &damaged);
      if (e == HostError::kNoAnswer) {
        ++stats_.timeouts;
        break;  // resend
      }
      if (damaged) {
        ++stats_.damaged_replies;  // perhaps our reply: ask again without waiting it out
        break;
      }
      FOTA_TRY(e);
      const FrameHeader& h = parser_.header();
      const bool ours =
          static_cast<uint16_t>(h.seq - first_seq) <= static_cast<uint16_t>(seq - first_seq);
      if (h.type == static_cast<uint8_t>(reply) && ours) {
        last_status_ =
            parser_.payload().empty() ? Status::kOk : static_cast<Status>(parser_.payload()[0]);
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
  // Sync pairs covering the listening window (it opens ~1 ms after reset and lasts 0.5 ms). They
  // are queued before NRST is released, so the stream is already on the line when the window
  // opens however long the pin takes to release (a USB adapter, a control socket): what reaches
  // the chip while it is held in reset is lost, the rest spans the window.
  uint8_t sync[256];
  for (size_t i = 0; i < sizeof(sync); i += 2) {
    sync[i] = kSync0;
    sync[i + 1] = kSync1;
  }
  if (link_.traits().needs_listener) {
    if (pins.set_reset(false) != an3155::PortStatus::kOk) return Error{HostError::kLink};
    // 64 bytes span the window at 400 kHz; the device stops acknowledging once it closes.
    if (link_.write(std::span(sync).first(64)) != an3155::PortStatus::kOk) {
      return Error{HostError::kLink};
    }
    return hello(1'000);
  }
  if (link_.write(sync) != an3155::PortStatus::kOk) return Error{HostError::kLink};
  if (pins.set_reset(false) != an3155::PortStatus::kOk) return Error{HostError::kLink};
  return hello(1'000);
}

HostError HostSession::reset_baud() {
  if (link_.configure(kDefaultBaud, an3155::Parity::kNone) != an3155::PortStatus::kOk) {
    return HostError::kLink;
  }
  parser_.reset();
  baud_ = kDefaultBaud;
  return HostError::kOk;
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
  FOTA_TRY(begin_stream(image.first<kImageHeaderSize>(), slot, start, {}));
  whole_ = payload.data();
  filled_ = total_;
  return finish();
}

HostError HostSession::begin_stream(std::span<const uint8_t, kImageHeaderSize> header, uint8_t slot,
                                    uint32_t start, std::span<uint8_t> ring) {
  const auto parsed = parse_image_header(header);
  if (!parsed.ok() || start > parsed->payload_size) return HostError::kBadImage;
  Begin b;
  b.slot = slot;
  b.start_offset = start;
  std::copy(header.begin(), header.end(), b.header.begin());
  uint8_t bp[kBeginSize];
  encode(b, bp);
  whole_ = nullptr;
  ring_ = nullptr;
  ring_size_ = 0;
  FOTA_TRY(request(Type::kBegin, bp, Type::kBeginReply, 2'000));
  if (last_status_ != Status::kOk) return HostError::kRefused;
  stats_.resumed_from = start;
  ring_ = ring.data();
  ring_size_ = static_cast<uint32_t>(ring.size()) & ~3u;
  stream_reset(parsed->payload_size, start);
  return HostError::kOk;
}

void HostSession::stream_reset(uint32_t total, uint32_t start) {
  total_ = total;
  filled_ = start;
  max_sent_ = 0;
  data_len_ = options_.max_data;
  clean_ = 0;
  next_ = 0;
  next_offset_ = start;
  acked_ = 0;
  acked_offset_ = start;
  limit_ = 0;
  programmed_ = start;
  failures_ = 0;
  deadline_us_ = clock_.now_us() + uint64_t{options_.data_timeout_ms} * 1000;
}

uint32_t HostSession::ring_space() const {
  return ring_size_ - (filled_ - acked_offset_);
}

HostError HostSession::push(std::span<const uint8_t> data) {
  if (ring_size_ < kMaxData || data.size() > total_ - filled_) return HostError::kBadImage;
  while (!data.empty()) {
    const uint32_t space = ring_space();
    if (space == 0) {  // everything buffered is in flight: wait for acks (or resend)
      FOTA_TRY(send_ready(false));
      FOTA_TRY(pump());
      continue;
    }
    const uint32_t n = data.size() < space ? static_cast<uint32_t>(data.size()) : space;
    for (uint32_t i = 0; i < n; ++i) ring_[(filled_ + i) % ring_size_] = data[i];
    filled_ += n;
    data = data.subspan(n);
    FOTA_TRY(send_ready(false));
  }
  return HostError::kOk;
}

HostError HostSession::finish() {
  if (filled_ != total_) return HostError::kBadImage;
  while (programmed_ < total_) {
    FOTA_TRY(send_ready(true));
    FOTA_TRY(pump());
  }
  FOTA_TRY(request(Type::kEnd, {}, Type::kEndReply, options_.end_timeout_ms));
  if (last_status_ != Status::kOk) return HostError::kRefused;
  // Installed: the device waits for LEAVE to boot the image. No answer is no failure: the LEAVE
  // reply was lost and the device reset, or LEAVE itself was lost and the device boots the image
  // once its linger passes.
  (void)request(Type::kLeave, {}, Type::kLeaveReply, options_.reply_timeout_ms, 3);
  last_status_ = Status::kOk;
  return HostError::kOk;
}

uint32_t HostSession::window_end() const {
  uint32_t allowed = limit_;
  if (options_.window_frames != 0 && acked_ + options_.window_frames < allowed) {
    allowed = acked_ + options_.window_frames;
  }
  if (allowed > acked_ + kSeqSlots - 1) allowed = acked_ + kSeqSlots - 1;
  return allowed;
}

HostError HostSession::send_ready(bool flush) {
  uint32_t allowed = window_end();
  while (next_offset_ < total_ && next_ < allowed) {
    uint32_t offset = next_offset_;
    uint32_t n = total_ - offset < data_len_ ? total_ - offset : data_len_;
    if (next_ < max_sent_) {
      offset = sent_offset_[next_ % kSeqSlots];
      n = sent_len_[next_ % kSeqSlots];
    } else {
      // A new frame is cut only when its data is all there (a short one only at the end, or
      // when the ring cannot hold more).
      if (whole_ == nullptr && offset + n > filled_) {
        if (!flush && ring_space() != 0) break;
        n = filled_ - offset;
        if (n == 0) break;
      }
      sent_offset_[next_ % kSeqSlots] = offset;
      sent_len_[next_ % kSeqSlots] = n;
      max_sent_ = next_ + 1;
    }
    bytes::store_le32(frame_payload_, offset);
    if (whole_ != nullptr) {
      std::copy(whole_ + offset, whole_ + offset + n, frame_payload_ + kDataPrefix);
    } else {
      for (uint32_t i = 0; i < n; ++i) {
        frame_payload_[kDataPrefix + i] = ring_[(offset + i) % ring_size_];
      }
    }
    FOTA_TRY(send(Type::kData, static_cast<uint16_t>(next_),
                  std::span<const uint8_t>(frame_payload_, kDataPrefix + n)));
    ++next_;
    next_offset_ = offset + n;
    extend_deadline(options_.data_timeout_ms);
    FOTA_TRY(drain());
    allowed = window_end();
  }
  return HostError::kOk;
}

void HostSession::rewind() {
  stats_.frames_resent += next_ - acked_;
  next_ = acked_;
  next_offset_ = acked_offset_;  // the device's word for where frame `acked` starts
  if (max_sent_ > acked_ && sent_offset_[acked_ % kSeqSlots] != acked_offset_) {
    max_sent_ = acked_;
  }
}

// Waits for one frame from the device (or the ack deadline) and acts on it.
HostError HostSession::pump() {
  const HostError e = receive(deadline_us_);
  if (e == HostError::kNoAnswer) {
    ++stats_.timeouts;
    if (++failures_ > options_.retries) return HostError::kRetriesExhausted;
    data_len_ = data_len_ / 2 >= kMinData ? data_len_ / 2 : kMinData;
    rewind();
    if (limit_ <= acked_) limit_ = acked_ + 1;  // one frame provokes a fresh window
    deadline_us_ = clock_.now_us() + uint64_t{options_.data_timeout_ms} * 1000;
    return HostError::kOk;
  }
  FOTA_TRY(e);
  return on_stream_frame();
}

// Acts on every frame the device has sent so far, without waiting. Called after each DATA frame
// sent: the device's replies (acks, window updates, BUSY) are taken as they come, so they never
// pile up in its small transmit queue while the host writes a window of frames (over I2C nothing
// leaves the device unless the host reads), and the ack deadline follows the acks.
HostError HostSession::drain() {
  for (;;) {
    const HostError e = receive(clock_.now_us());
    if (e == HostError::kNoAnswer) return HostError::kOk;
    FOTA_TRY(e);
    FOTA_TRY(on_stream_frame());
  }
}

// Frame sizes adapt to the line: halved on every damaged frame (down to 64 bytes), doubled after
// a run of clean acks, so a noisy line still gets frames through.
HostError HostSession::on_stream_frame() {
  const FrameHeader& h = parser_.header();
  if (h.type == static_cast<uint8_t>(Type::kBusy)) {
    auto busy = decode_busy(parser_.payload());
    ++stats_.busy;
    extend_deadline(uint64_t{busy.ok() ? busy->expected_ms * 2u : 2'000u} +
                    options_.data_timeout_ms);
    return HostError::kOk;
  }
  if (h.type != static_cast<uint8_t>(Type::kDataAck) &&
      h.type != static_cast<uint8_t>(Type::kNak)) {
    return HostError::kOk;
  }
  auto ack = decode_data_ack(parser_.payload());
  if (!ack.ok()) return HostError::kOk;  // a damaged ack: the next one will do
  last_status_ = ack->status;
  const uint32_t ack_next = ack->next_seq;
  if (ack_next < acked_ || ack->next_offset < acked_offset_ || ack->next_offset > filled_) {
    return HostError::kOk;
  }
  acked_ = ack_next;
  acked_offset_ = ack->next_offset;
  if (acked_ > next_ || acked_offset_ > next_offset_) {  // it stored frames whose acks were lost
    next_ = acked_;
    next_offset_ = acked_offset_;
  }
  if (acked_ > max_sent_) max_sent_ = acked_;
  limit_ = ack->limit_seq >= ack_next ? ack->limit_seq : ack_next;
  if (ack->programmed >= programmed_ && ack->programmed <= total_) programmed_ = ack->programmed;
  extend_deadline(options_.data_timeout_ms);
  if (progress_ != nullptr) progress_(progress_context_, programmed_, total_);
  if (ack->status == Status::kOk) {
    failures_ = 0;
    if (++clean_ >= 32 && data_len_ < options_.max_data) {
      data_len_ *= 2;
      clean_ = 0;
    }
    return HostError::kOk;
  }
  ++stats_.naks;
  clean_ = 0;
  if (!recoverable(ack->status)) return HostError::kRefused;
  if (++failures_ > options_.retries) return HostError::kRetriesExhausted;
  if (ack->status == Status::kBadFrameCrc) {
    // Noise: shorter frames get through more often. Frame `acked` was the damaged one and the
    // device drops everything after it, so the frames from there on may be cut anew.
    data_len_ = data_len_ / 2 >= kMinData ? data_len_ / 2 : kMinData;
    max_sent_ = acked_;
  }
  rewind();
  return HostError::kOk;
}

// The ack deadline runs from the later of the device's last word and the host's last frame: a
// window of frames takes a while to write on a slow link (two seconds of 23 x 4 KB at 400 kHz
// I2C), and the device cannot acknowledge a frame before it has arrived.
void HostSession::extend_deadline(uint64_t ms) {
  const uint64_t until = clock_.now_us() + ms * 1000;
  if (until > deadline_us_) deadline_us_ = until;
}

}  // namespace fota::native
