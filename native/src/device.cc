// SPDX-License-Identifier: Apache-2.0
#include "native/device.h"

#include <cstring>

#include "bootcore/boot.h"
#include "bootcore/image_check.h"
#include "format/bytes.h"
#include "format/crc32.h"
#include "format/meta_record.h"
#include "format/sha256.h"

namespace fota::native {

namespace {

using bootcore::FlashStatus;

constexpr uint32_t kDataFrameWire = kFrameOverhead + kDataPrefix + kMaxData;
constexpr uint32_t kWordsPerStep = 64;  // words programmed per poll() (about 1 ms)
constexpr uint32_t kFeedBudget = 512;   // bytes parsed per poll(): keeps the flash busy
// Bytes parsed between two UART pumps: the work between two pumps must stay under one byte time
// (5 us = 840 cycles at 2 Mbaud, 168 MHz), including the DATA ack a frame's last byte triggers.
constexpr uint32_t kPumpEvery = 8;

// Typical 128 KB sector erase at x32 (DS8626), announced in BUSY.
uint16_t erase_ms(unsigned sector) {
  return flash_map::kSectors[sector].size >= 128 * 1024  ? 1'000
         : flash_map::kSectors[sector].size >= 64 * 1024 ? 550
                                                         : 250;
}

SlotState summary_state(const bootcore::SlotInfo& info) {
  if (!info.header_verdict.ok()) return SlotState::kEmpty;
  switch (info.state) {
    case bootcore::SlotState::kNone: return SlotState::kUnknown;
    case bootcore::SlotState::kTrial: return SlotState::kTrial;
    case bootcore::SlotState::kConfirmed: return SlotState::kConfirmed;
    case bootcore::SlotState::kRejected: return SlotState::kRejected;
  }
  return SlotState::kEmpty;
}

}  // namespace

WrittenPrefix written_prefix(bootcore::Flash& flash, flash_map::Slot slot) {
  const uint32_t base = flash_map::slot_address(slot) + flash_map::kHeaderSize;
  uint32_t blocks = 0;
  uint8_t block[256];
  for (uint32_t off = 0; off + kMaxData <= flash_map::kMaxPayloadSize + kMaxData; off += kMaxData) {
    const uint32_t size =
        off + kMaxData <= flash_map::kMaxPayloadSize ? kMaxData : flash_map::kMaxPayloadSize - off;
    if (size == 0) break;
    bool erased = true;
    for (uint32_t at = 0; at < size && erased; at += sizeof(block)) {
      const uint32_t n = size - at < sizeof(block) ? size - at : sizeof(block);
      if (flash.read(base + off + at, std::span<uint8_t>(block, n)) != FlashStatus::kOk) {
        return {};
      }
      for (uint32_t i = 0; i < n; ++i) {
        if (block[i] != flash_map::kErasedByte) {
          erased = false;
          break;
        }
      }
    }
    if (erased) break;
    ++blocks;
  }
  WrittenPrefix p;
  p.written = blocks == 0 ? 0 : (blocks - 1) * kMaxData;
  Crc32 crc;
  for (uint32_t at = 0; at < p.written; at += sizeof(block)) {
    if (flash.read(base + at, std::span<uint8_t>(block, sizeof(block))) != FlashStatus::kOk) {
      return {};
    }
    crc.update(std::span<const uint8_t>(block, sizeof(block)));
  }
  p.crc32 = crc.value();
  return p;
}

DeviceSession::DeviceSession(DevicePort& port, bootcore::Flash& flash, bootcore::MetaLog& log,
                             RxRing& ring, const DeviceConfig& config)
    : port_(port), flash_(flash), log_(log), ring_(ring), config_(config) {
  install_slot_ = bootcore::install_slot(flash_, log_);
  slot_ = install_slot_;
  last_frame_ms_ = port_.now_ms();
  overruns_seen_ = ring_.overruns;
}

void DeviceSession::reply(Type type, uint16_t seq, std::span<const uint8_t> payload) {
  uint8_t frame[kFrameOverhead + kInfoReplySize + kHelloReplySize];
  port_.pump();
  const size_t n = encode_frame(type, seq, payload, frame);
  port_.pump();
  if (n != 0) port_.send(std::span<const uint8_t>(frame, n));
}

void DeviceSession::reply_status(Type type, uint16_t seq, Status status) {
  StatusReply r;
  r.status = status;
  r.slot = static_cast<uint8_t>(slot_);
  uint8_t p[kStatusReplySize];
  encode(r, p);
  reply(type, seq, p);
  if (status != Status::kOk) refuse(status);
}

uint16_t DeviceSession::limit_seq() const {
  const uint32_t used = ring_.head - ring_.release;
  const uint32_t free = ring_.size > used + kDataFrameWire ? ring_.size - used - kDataFrameWire : 0;
  uint32_t frames = free / kDataFrameWire;
  const uint32_t slots = static_cast<uint32_t>(kMaxPending - pending_count_);
  if (frames > slots) frames = slots;
  return static_cast<uint16_t>(next_seq_ + frames);
}

void DeviceSession::send_ack(Status status, Type type) {
  DataAck a;
  a.status = status;
  a.next_seq = next_seq_;
  a.limit_seq = begun_ ? limit_seq() : next_seq_;
  a.programmed = programmed_;
  a.next_offset = expected_offset_;
  uint8_t p[kDataAckSize];
  encode(a, p);
  reply(type, 0, p);
  if (status != Status::kOk) refuse(status);
}

void DeviceSession::update_release() {
  uint32_t keep_from = parsed_;
  // The frame being parsed may be a DATA frame whose payload must stay in the ring.
  const uint64_t start = parser_.frame_start();
  if (start < keep_from) keep_from = static_cast<uint32_t>(start);
  if (pending_count_ != 0) {
    const uint32_t oldest = pending_[pending_head_].ring_pos + (cursor_ & ~3u);
    if (oldest < keep_from) keep_from = oldest;
  }
  if (keep_from > ring_.release) ring_.release = keep_from;
}

DeviceAction DeviceSession::poll() {
  port_.pump();
  if (ring_.overruns != overruns_seen_) {
    overruns_seen_ = ring_.overruns;
    send_ack(Status::kOverrun, Type::kNak);
  }
  // Parse what arrived, in contiguous runs of the ring, pumping the UART between runs.
  for (uint32_t n = 0; parsed_ != ring_.head && n < kFeedBudget;) {
    const uint32_t at = parsed_ % ring_.size;
    uint32_t run = ring_.head - parsed_;
    if (run > ring_.size - at) run = ring_.size - at;
    if (run > kPumpEvery) run = kPumpEvery;
    size_t used = 0;
    const FrameParser::Event e = parser_.feed(std::span<const uint8_t>(ring_.data + at, run), used);
    parsed_ += static_cast<uint32_t>(used);
    n += static_cast<uint32_t>(used);
    port_.pump();
    if (e == FrameParser::Event::kFrame) {
      const FrameHeader h = parser_.header();
      handle_frame(h);
      if (after_reply_ != DeviceAction::kContinue) return after_reply_;
    } else if (e != FrameParser::Event::kNone) {
      handle_bad(e);
    }
  }
  update_release();

  if (!flash_step()) {
    if (end_requested_) {
      end_requested_ = false;
      const Status s = finish_end();
      reply_status(Type::kEndReply, end_seq_, s);
      if (s == Status::kOk) {
        installed_ = true;
        installed_ms_ = port_.now_ms();
      }
    }
  }
  update_release();

  const uint32_t now = port_.now_ms();
  if (installed_ && now - installed_ms_ > kInstalledLingerMs) return DeviceAction::kRebootInstalled;
  if (baud_unconfirmed_ && now - baud_switch_ms_ > config_.baud_confirm_ms) {
    baud_unconfirmed_ = false;
    baud_ = kDefaultBaud;
    port_.set_baud(kDefaultBaud);
    parser_.reset();
  }
  if (config_.silence_timeout_ms != 0 && pending_count_ == 0 && !end_requested_ &&
      now - last_frame_ms_ > config_.silence_timeout_ms) {
    return DeviceAction::kSilence;
  }
  return DeviceAction::kContinue;
}

void DeviceSession::handle_bad(FrameParser::Event event) {
  if (nak_sent_) return;  // one NAK until a good frame: the host rewinds once
  nak_sent_ = true;
  send_ack(event == FrameParser::Event::kBadCrc ? Status::kBadFrameCrc : Status::kBadLength,
           Type::kNak);
}

void DeviceSession::handle_frame(const FrameHeader& h) {
  last_frame_ms_ = port_.now_ms();
  baud_unconfirmed_ = false;
  const std::span<const uint8_t> payload = parser_.payload();
  const auto type = static_cast<Type>(h.type);
  if (type == Type::kData) return on_data(h);
  nak_sent_ = false;  // a good frame: the next bad one is NAKed again
  // The requests without a payload refuse one in their reply (0x80 | request type).
  const bool no_payload = type == Type::kHello || type == Type::kQuery || type == Type::kEnd ||
                          type == Type::kInfo || type == Type::kPing || type == Type::kLeave;
  if (no_payload && h.length != 0) {
    const auto reply = static_cast<Type>(h.type | static_cast<uint8_t>(Type::kReplyFlag));
    return reply_status(reply, h.seq, Status::kBadLength);
  }
  switch (type) {
    case Type::kHello: return on_hello(h.seq);
    case Type::kSetBaud: return on_set_baud(h.seq, payload);
    case Type::kBegin:
      if (!parser_.payload_complete()) {
        return reply_status(Type::kBeginReply, h.seq, Status::kBadLength);
      }
      return on_begin(h.seq, payload);
    case Type::kQuery: return on_query(h.seq);
    case Type::kEnd:
      // Installed already: the host did not get the reply (lost on the line) and asks again.
      if (installed_) return reply_status(Type::kEndReply, h.seq, Status::kOk);
      if (!begun_) return reply_status(Type::kEndReply, h.seq, Status::kNotBegun);
      end_requested_ = true;  // answered once the pending data is programmed
      end_seq_ = h.seq;
      return;
    case Type::kAbort:
      begun_ = false;
      pending_count_ = 0;
      cursor_ = 0;
      end_requested_ = false;
      return reply_status(Type::kAbortReply, h.seq, Status::kOk);
    case Type::kInfo: return on_info(h.seq);
    case Type::kPing: return reply_status(Type::kPingReply, h.seq, Status::kOk);
    case Type::kLeave:
      reply_status(Type::kLeaveReply, h.seq, Status::kOk);
      after_reply_ = installed_ ? DeviceAction::kRebootInstalled : DeviceAction::kLeave;
      return;
    default: return send_ack(Status::kUnknownType, Type::kNak);
  }
}

void DeviceSession::on_hello(uint16_t seq) {
  HelloReply r;
  r.reason = config_.reason;
  r.install_slot = static_cast<uint8_t>(install_slot_);
  r.bootloader_version = config_.bootloader_version;
  r.uid = config_.uid;
  r.window_frames = static_cast<uint16_t>(
      (ring_.size > kDataFrameWire ? ring_.size - kDataFrameWire : 0) / kDataFrameWire);
  for (unsigned i = 0; i < 2; ++i) {
    const auto info = bootcore::slot_info(flash_, log_, static_cast<flash_map::Slot>(i));
    r.slots[i].state = summary_state(info);
    if (info.header_verdict.ok()) {
      r.slots[i].version = info.header.version.packed();
      r.slots[i].payload_crc32 = info.header.payload_crc32;
    }
  }
  uint8_t p[kHelloReplySize];
  encode(r, p);
  reply(Type::kHelloReply, seq, p);
}

void DeviceSession::on_set_baud(uint16_t seq, std::span<const uint8_t> payload) {
  const auto baud = decode_set_baud(payload);
  if (!baud.ok()) {
    return reply_status(
        Type::kSetBaudReply, seq,
        baud.error() == DecodeError::kBadLength ? Status::kBadLength : Status::kBadBaud);
  }
  if (pending_count_ != 0 || end_requested_) {
    return reply_status(Type::kSetBaudReply, seq, Status::kBusy);
  }
  reply_status(Type::kSetBaudReply, seq, Status::kOk);
  if (*baud != baud_) {
    baud_ = *baud;
    port_.set_baud(baud_);
    parser_.reset();
    baud_unconfirmed_ = *baud != kDefaultBaud;
    baud_switch_ms_ = port_.now_ms();
  }
}

bool DeviceSession::blank(uint32_t address, uint32_t size) {
  uint8_t buf[64];  // pumped after each: at 2 Mbaud a byte comes every 840 cycles at 168 MHz
  for (uint32_t at = 0; at < size; at += sizeof(buf)) {
    const uint32_t n = size - at < sizeof(buf) ? size - at : sizeof(buf);
    if (flash_.read(address + at, std::span<uint8_t>(buf, n)) != FlashStatus::kOk) return false;
    for (uint32_t i = 0; i < n; ++i) {
      if (buf[i] != flash_map::kErasedByte) return false;
    }
    port_.pump();
  }
  return true;
}

void DeviceSession::on_begin(uint16_t seq, std::span<const uint8_t> payload) {
  const auto begin = decode_begin(payload);
  if (!begin.ok()) {
    return reply_status(Type::kBeginReply, seq,
                        begin.error() == DecodeError::kBadLength         ? Status::kBadLength
                        : begin.error() == DecodeError::kReservedNotZero ? Status::kReservedNotZero
                                                                         : Status::kWrongSlot);
  }
  const auto slot = static_cast<flash_map::Slot>(begin->slot);
  if (slot != install_slot_) return reply_status(Type::kBeginReply, seq, Status::kWrongSlot);
  const auto header = parse_image_header(begin->header);
  if (!header.ok()) {
    return reply_status(Type::kBeginReply, seq,
                        header.error() == HeaderError::kPayloadTooLarge   ? Status::kImageTooLarge
                        : header.error() == HeaderError::kReservedNotZero ? Status::kReservedNotZero
                                                                          : Status::kBadHeader);
  }
  if (check_header_slot(*header, slot) != HeaderError::kOk) {
    return reply_status(Type::kBeginReply, seq, Status::kHeaderSlotMismatch);
  }
  if (!config_.product.empty()) {
    size_t length = 0;
    while (length < header->product.size() && header->product[length] != '\0') ++length;
    const std::string_view product(header->product.data(), length);
    if (product != config_.product)
      return reply_status(Type::kBeginReply, seq, Status::kWrongProduct);
  }
  const uint32_t start = begin->start_offset;
  if (start % kMaxData != 0 || start >= header->payload_size) {
    return reply_status(Type::kBeginReply, seq, Status::kBadResumeOffset);
  }
  const uint32_t base = flash_map::slot_address(slot);
  bool erased[flash_map::kSlotSectorCount] = {};
  if (start != 0) {
    // The block at `start` is rewritten in place (it may be torn); after it, up to the end of its
    // sector, the slot must be erased. Sectors before it are done, later ones are erased lazily.
    const uint32_t at = base + flash_map::kHeaderSize + start;
    const int sector = flash_map::sector_of(at);
    const auto& s = flash_map::kSectors[sector];
    const uint32_t from = at + kMaxData;
    const uint32_t to = s.address + s.size;
    if (from < to && !blank(from, to - from)) {
      return reply_status(Type::kBeginReply, seq, Status::kResumeNotBlank);
    }
    for (unsigned i = 0; i < flash_map::kSlotSectorCount; ++i) {
      erased[i] =
          static_cast<int>(flash_map::kSlotFirstSector[static_cast<unsigned>(slot)] + i) <= sector;
    }
  }
  slot_ = slot;
  header_ = *header;
  header_bytes_ = begin->header;
  std::memcpy(erased_, erased, sizeof(erased_));
  expected_offset_ = start;
  programmed_ = start;
  next_seq_ = 0;
  pending_count_ = 0;
  cursor_ = 0;
  flash_error_ = Status::kOk;
  end_requested_ = false;
  begun_ = true;
  installed_ = false;
  reply_status(Type::kBeginReply, seq, Status::kOk);
  send_ack(Status::kOk);  // the first window
}

void DeviceSession::on_data(const FrameHeader& h) {
  if (!begun_) {
    nak_sent_ = false;
    return send_ack(Status::kNotBegun);
  }
  if (h.seq != next_seq_) {
    if (!nak_sent_) {
      nak_sent_ = true;
      send_ack(Status::kOutOfOrder);
    }
    return;
  }
  nak_sent_ = false;
  if (h.length < kDataPrefix + 1) return send_ack(Status::kBadLength);
  const uint32_t length = h.length - kDataPrefix;
  const uint8_t* p = parser_.payload().data();
  const uint32_t offset = bytes::load_le32(p);
  if (offset >= header_.payload_size || length > header_.payload_size - offset) {
    return send_ack(Status::kOffsetOutOfRange);
  }
  if (offset % 4 != 0 || (length % 4 != 0 && offset + length != header_.payload_size)) {
    return send_ack(Status::kMisaligned);
  }
  if (offset != expected_offset_) return send_ack(Status::kBadOffset);
  if (flash_error_ != Status::kOk) return send_ack(flash_error_);
  if (pending_count_ == kMaxPending) return send_ack(Status::kBusy);
  Pending& slot = pending_[(pending_head_ + pending_count_) % kMaxPending];
  slot.ring_pos = static_cast<uint32_t>(parser_.payload_start()) + kDataPrefix;
  slot.length = length;
  slot.offset = offset;
  ++pending_count_;
  expected_offset_ = offset + length;
  ++next_seq_;
  send_ack(Status::kOk);
}

void DeviceSession::on_query(uint16_t seq) {
  QueryReply r;
  r.slot = static_cast<uint8_t>(install_slot_);
  const WrittenPrefix p = written_prefix(flash_, install_slot_);
  r.written = p.written;
  r.crc32 = p.crc32;
  uint8_t out[kQueryReplySize];
  encode(r, out);
  reply(Type::kQueryReply, seq, out);
}

void DeviceSession::on_info(uint16_t seq) {
  uint8_t out[kInfoReplySize];
  std::memset(out, 0, 4);
  std::memset(out + 4, 0xFF, 64);
  for (unsigned i = 0; i < 2; ++i) {
    const auto& r = log_.state().newest[i];
    if (r.present) {
      const auto bytes = encode_record(r.record);
      std::memcpy(out + 4 + 32 * i, bytes.data(), bytes.size());
    }
  }
  reply(Type::kInfoReply, seq, out);
}

bool DeviceSession::flash_step() {
  if (pending_count_ == 0 || flash_error_ != Status::kOk) return false;
  Pending& p = pending_[pending_head_];
  const uint32_t address = slot_base() + flash_map::kHeaderSize + p.offset + cursor_;
  const int sector = flash_map::sector_of(address);
  const unsigned index =
      static_cast<unsigned>(sector) - flash_map::kSlotFirstSector[static_cast<unsigned>(slot_)];
  if (index >= flash_map::kSlotSectorCount) {
    flash_error_ = Status::kFlashError;
    return false;
  }
  if (!erased_[index]) {
    Busy b;
    b.sector = static_cast<uint8_t>(sector);
    b.expected_ms = erase_ms(static_cast<unsigned>(sector));
    uint8_t out[kBusySize];
    encode(b, out);
    reply(Type::kBusy, 0, out);
    if (port_.erase_sector(static_cast<unsigned>(sector)) != FlashStatus::kOk) {
      flash_error_ = Status::kFlashError;
      send_ack(Status::kFlashError);
      return false;
    }
    erased_[index] = true;
    return true;
  }
  // Several words per step, up to the end of the frame or of the sector (the next one may need
  // its erase first): the per-step work of poll() (parsing, LEDs, watchdog) would otherwise add
  // several microseconds to every 16 us word program. The UART is pumped during each program.
  const auto& s = flash_map::kSectors[sector];
  const uint32_t sector_end = s.address + s.size;
  // The ring index is kept as the words advance (one division per step, not four per word): at
  // 2 Mbaud a byte arrives every 840 cycles and the pump only runs inside each word's program.
  uint32_t at_ring = (p.ring_pos + cursor_) % ring_.size;
  for (uint32_t at = address, n = 0; n < kWordsPerStep && at < sector_end; ++n, at += 4) {
    uint32_t word = 0;
    if (cursor_ + 4 <= p.length && at_ring + 4 <= ring_.size) {
      word = bytes::load_le32(ring_.data + at_ring);
    } else {  // the frame's last partial word, or a word split by the ring's end
      for (unsigned i = 0; i < 4; ++i) {
        const uint32_t k = cursor_ + i;
        const uint8_t b = k < p.length ? ring_.at(p.ring_pos + k) : flash_map::kErasedByte;
        word |= static_cast<uint32_t>(b) << (8 * i);
      }
    }
    at_ring = at_ring + 4 >= ring_.size ? at_ring + 4 - ring_.size : at_ring + 4;
    if (port_.program_word(at, word) != FlashStatus::kOk) {
      flash_error_ = Status::kFlashError;
      send_ack(Status::kFlashError);
      return false;
    }
    cursor_ += 4;
    if (cursor_ >= p.length) break;
  }
  if (cursor_ >= p.length) {
    programmed_ = p.offset + p.length;
    pending_head_ = (pending_head_ + 1) % kMaxPending;
    --pending_count_;
    cursor_ = 0;
    update_release();
    send_ack(Status::kOk);  // window update
  }
  return true;
}

Status DeviceSession::finish_end() {
  if (!begun_) return Status::kNotBegun;
  if (flash_error_ != Status::kOk) return flash_error_;
  if (expected_offset_ != header_.payload_size || programmed_ != header_.payload_size) {
    return Status::kIncomplete;
  }
  const uint32_t base = slot_base();
  const uint8_t* payload = flash_.mapped(base + flash_map::kHeaderSize, header_.payload_size);
  if (payload == nullptr) return Status::kFlashError;
  const std::span<const uint8_t> bytes(payload, header_.payload_size);
  Crc32 crc;
  for (uint32_t at = 0; at < bytes.size(); at += 1024) {
    crc.update(bytes.subspan(at, bytes.size() - at < 1024 ? bytes.size() - at : 1024));
    port_.pump();
  }
  if (crc.value() != header_.payload_crc32) return Status::kCrcMismatch;
  port_.busy(true);
  const bool sha_ok = sha256(bytes) == header_.payload_sha256;  // (the CRC-32 matched above)
  const Status verified = sha_ok && config_.verifier != nullptr
                              ? config_.verifier(header_bytes_, header_, bytes)
                              : Status::kOk;
  port_.busy(false);
  if (!sha_ok) return Status::kShaMismatch;
  FOTA_TRY(verified);
  // The header goes in last: until then the slot holds no image the boot would consider.
  const uint8_t* area = flash_.mapped(base, kImageHeaderSize);
  if (area == nullptr) return Status::kFlashError;
  for (size_t i = 0; i < kImageHeaderSize; ++i) {
    if ((area[i] & header_bytes_[i]) != header_bytes_[i]) return Status::kHeaderAreaDirty;
  }
  for (size_t i = 0; i < kImageHeaderSize; i += 4) {
    const uint32_t word = bytes::load_le32(header_bytes_.data() + i);
    if (bytes::load_le32(area + i) == word) continue;
    if (port_.program_word(base + static_cast<uint32_t>(i), word) != FlashStatus::kOk) {
      return Status::kFlashError;
    }
  }
  if (std::memcmp(area, header_bytes_.data(), kImageHeaderSize) != 0) return Status::kFlashError;
  if (log_.load() != bootcore::LogStatus::kOk) return Status::kLogError;
  if (bootcore::request_trial(log_, slot_, header_, 0, RecordWriter::kBootloader) !=
      bootcore::LogStatus::kOk) {
    return Status::kLogError;
  }
  begun_ = false;
  return Status::kOk;
}

}  // namespace fota::native
