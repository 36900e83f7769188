// SPDX-License-Identifier: Apache-2.0
// The bootloader's side of the native protocol (update mode), portable so the host tests run it
// over a RAM flash. The bootloader glue supplies a DevicePort (UART transmit, milliseconds, baud,
// and the two flash operations that keep receiving while the flash is busy) and a receive ring the
// UART fills; DeviceSession::poll() parses what arrived and does one step of flash work.
//
// Data flow: bytes land in the ring (the target's RX pump runs from RAM, also while the flash
// erases or programs); DATA payloads stay in the ring until they are programmed, so the window the
// device grants (DataAck::limit_seq) is the free ring space in whole DATA frames. Sectors of the
// slot are erased lazily, when the first word for them is due, so erasing overlaps receiving.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "bootcore/flash.h"
#include "bootcore/meta_log.h"
#include "format/image_header.h"
#include "native/frame.h"
#include "native/protocol.h"

namespace fota::native {

// Bytes received from the host. The producer (UART pump) writes data[head % size] and advances
// head unless head - release == size (then counts an overrun); the consumer (DeviceSession) moves
// release forward when bytes are no longer needed. Counters count from 0 at session start.
struct RxRing {
  uint8_t* data = nullptr;
  uint32_t size = 0;
  volatile uint32_t head = 0;
  volatile uint32_t release = 0;
  volatile uint32_t overruns = 0;

  uint8_t at(uint32_t index) const { return data[index % size]; }
  // The producer's step (also what the target's RAM pump does, written out there).
  void push(uint8_t byte) {
    if (head - release >= size) {
      overruns = overruns + 1;
      return;
    }
    data[head % size] = byte;
    head = head + 1;
  }
};

class DevicePort {
 public:
  // Queues bytes for the UART (the target transmits them while it keeps receiving).
  virtual void send(std::span<const uint8_t> bytes) = 0;
  virtual uint32_t now_ms() = 0;
  // Switches the UART rate once everything queued has left.
  virtual void set_baud(uint32_t baud) = 0;
  // Flash operations that keep the receive pump running while the flash is busy.
  [[nodiscard]] virtual bootcore::FlashStatus erase_sector(unsigned sector) = 0;
  [[nodiscard]] virtual bootcore::FlashStatus program_word(uint32_t address, uint32_t word) = 0;
  // Moves received bytes into the ring now (long loops in the session call it).
  virtual void pump() = 0;
  // Work that cannot pump for a while (the whole-image SHA-256 and signature at END) begins /
  // ends: an I2C link stops acknowledging its address meanwhile (NACK = busy, the host polls
  // again) instead of stretching the clock past the host's timeout.
  virtual void busy(bool begins) { (void)begins; }

 protected:
  ~DevicePort() = default;
};

// Optional extra image check at END, after CRC-32 and SHA-256 matched and before the header is
// programmed (the secure bootloader: the ed25519 signature against its key block); kOk to accept.
// `header_bytes`: the 512-byte header as BEGIN brought it.
using ImageVerifier = Status (*)(std::span<const uint8_t> header_bytes, const ImageHeader& header,
                                 std::span<const uint8_t> payload);

struct DeviceConfig {
  EntryReason reason = EntryReason::kPinSync;
  uint32_t bootloader_version = 0;
  std::array<uint8_t, 12> uid{};
  std::string_view product;              // empty: any product
  uint32_t silence_timeout_ms = 10'000;  // 0: never leave by silence (no valid image)
  uint32_t baud_confirm_ms = 1'000;      // a new rate not confirmed by a good frame reverts
  ImageVerifier verifier = nullptr;
};

enum class DeviceAction : uint8_t {
  kContinue = 0,
  kRebootInstalled,  // END succeeded (TRIAL appended) and LEAVE came or the linger passed: reset
  kLeave,            // LEAVE: reset and boot normally
  kSilence,          // nothing valid arrived for silence_timeout_ms
};

class DeviceSession {
 public:
  static constexpr size_t kMaxPending = 32;

  DeviceSession(DevicePort& port, bootcore::Flash& flash, bootcore::MetaLog& log, RxRing& ring,
                const DeviceConfig& config);

  // Parses what arrived (bounded), answers, does at most one erase or one word program.
  [[nodiscard]] DeviceAction poll();

  // For tests and the LED: true while a transfer is begun.
  bool begun() const { return begun_; }
  // Nothing to parse, program or answer: the glue may sleep until a byte or a tick.
  bool idle() const { return pending_count_ == 0 && !end_requested_ && parsed_ == ring_.head; }
  uint32_t programmed() const { return programmed_; }
  uint32_t frames_refused() const { return refused_; }
  Status last_refusal() const { return last_refusal_; }

 private:
  struct Pending {
    uint32_t ring_pos;  // ring index of the first data byte
    uint32_t length;
    uint32_t offset;  // payload offset
  };

  void handle_frame(const FrameHeader& h);
  void handle_bad(FrameParser::Event event);
  void reply(Type type, uint16_t seq, std::span<const uint8_t> payload);
  void reply_status(Type type, uint16_t seq, Status status);
  void send_ack(Status status, Type type = Type::kDataAck);
  void refuse(Status status) {
    ++refused_;
    last_refusal_ = status;
  }

  void on_hello(uint16_t seq);
  void on_set_baud(uint16_t seq, std::span<const uint8_t> payload);
  void on_begin(uint16_t seq, std::span<const uint8_t> payload);
  void on_data(const FrameHeader& h);
  void on_query(uint16_t seq);
  void on_info(uint16_t seq);
  Status finish_end();

  bool flash_step();  // one erase or one word; false when nothing to do
  void update_release();
  uint16_t limit_seq() const;
  uint32_t slot_base() const { return flash_map::slot_address(slot_); }
  bool blank(uint32_t address, uint32_t size);

  DevicePort& port_;
  bootcore::Flash& flash_;
  bootcore::MetaLog& log_;
  RxRing& ring_;
  DeviceConfig config_;
  uint8_t keep_[kBeginSize] = {};
  FrameParser parser_{std::span<uint8_t>(keep_)};
  uint32_t parsed_ = 0;  // ring index of the next byte to feed

  flash_map::Slot install_slot_ = flash_map::Slot::kA;
  flash_map::Slot slot_ = flash_map::Slot::kA;
  bool begun_ = false;
  ImageHeader header_{};
  std::array<uint8_t, kImageHeaderSize> header_bytes_{};
  bool erased_[flash_map::kSlotSectorCount] = {};
  uint32_t expected_offset_ = 0;  // payload offset the next DATA frame must start at
  uint32_t programmed_ = 0;       // payload bytes programmed
  uint16_t next_seq_ = 0;
  Status flash_error_ = Status::kOk;
  Pending pending_[kMaxPending] = {};
  size_t pending_head_ = 0;
  size_t pending_count_ = 0;
  uint32_t cursor_ = 0;  // bytes of pending_[head] programmed
  bool nak_sent_ = false;
  bool end_requested_ = false;
  uint16_t end_seq_ = 0;
  bool installed_ = false;  // END succeeded: waiting for LEAVE (kInstalledLingerMs)
  uint32_t installed_ms_ = 0;
  uint32_t last_frame_ms_ = 0;
  uint32_t baud_ = kDefaultBaud;
  bool baud_unconfirmed_ = false;
  uint32_t baud_switch_ms_ = 0;
  uint32_t overruns_seen_ = 0;
  DeviceAction after_reply_ = DeviceAction::kContinue;
  uint32_t refused_ = 0;
  Status last_refusal_ = Status::kOk;
};

// The payload prefix a resume may skip: (number of leading 4 KB blocks that are not all erased,
// minus one, the last may be torn) x 4096, and its CRC-32 (the QUERY reply's fields).
struct WrittenPrefix {
  uint32_t written = 0;
  uint32_t crc32 = 0;
};
WrittenPrefix written_prefix(bootcore::Flash& flash, flash_map::Slot slot);

}  // namespace fota::native
