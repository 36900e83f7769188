// SPDX-License-Identifier: Apache-2.0
// The host's side of the native protocol, portable (Linux gateway, ESP32): over the same port
// interfaces as the AN3155 driver (an3155/port.h: byte link, pins, clock). It wakes the
// bootloader (pin reset + sync bytes), reads its capabilities, switches the baud rate, and streams
// an image with a window of DATA frames in flight, rewinding on NAKs and timeouts (go-back-N).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "an3155/port.h"
#include "native/frame.h"
#include "native/protocol.h"
#include "status/result.h"

namespace fota::native {

enum class HostError : uint8_t {
  kOk = 0,
  kLink,        // the byte link failed (port closed, I/O error, rate not supported by the port)
  kNoAnswer,    // the bootloader did not answer (not in update mode, wrong rate, no wire)
  kRefused,     // the bootloader refused a request: last_status() says why
  kBadReply,    // a reply that does not decode
  kBaudFailed,  // the new rate was not confirmed; the link is back at the old rate
  kRetriesExhausted,  // too many NAKs / timeouts in a row
  kBadImage,          // the image given is shorter than its header says or the header is invalid
  kResumeMismatch,    // resume asked for, but the slot's prefix is not this image's
};
const char* to_string(HostError error);

struct HostOptions {
  uint32_t reply_timeout_ms = 300;   // a request's reply
  uint32_t data_timeout_ms = 1'500;  // no DATA ack for this long: rewind (BUSY extends it)
  uint32_t end_timeout_ms = 5'000;   // verification of the whole image + TRIAL append
  unsigned retries = 24;             // consecutive rewinds / resends before giving up
  unsigned window_frames = 0;        // 0: as many as the device grants
  uint32_t max_data = kMaxData;      // data bytes per DATA frame (multiple of 64, <= 4096)
};

struct HostStats {
  uint32_t frames_sent = 0;
  uint32_t frames_resent = 0;
  uint32_t naks = 0;
  uint32_t timeouts = 0;
  uint32_t damaged_replies = 0;  // replies that arrived damaged (the request was resent)
  uint32_t busy = 0;
  uint32_t resumed_from = 0;  // payload offset the transfer started at
};

class HostSession {
 public:
  HostSession(an3155::ByteLink& link, an3155::Clock& clock, HostOptions options = {});

  // Pulses NRST (BOOT0 low) and streams sync bytes through the bootloader's listening window,
  // then says HELLO. On a UART the sync stream is queued before NRST is released; on a link that
  // needs a listener (I2C: each write must be acknowledged) NRST is released first. For a
  // bootloader already in update mode (app request, no image), hello().
  [[nodiscard]] Result<HelloReply, HostError> wake(an3155::TargetPins& pins);
  [[nodiscard]] Result<HelloReply, HostError> hello(uint32_t timeout_ms);
  // The device is at 115200 again (it was reset): so is the link.
  [[nodiscard]] HostError reset_baud();
  // Both sides switch; confirmed by a HELLO at the new rate, else both fall back.
  [[nodiscard]] HostError set_baud(uint32_t baud);
  [[nodiscard]] Result<QueryReply, HostError> query();
  // Writes `image` (512-byte header + payload) into `slot`; resume: skip the prefix the slot
  // already holds when its CRC matches. On success the device has appended TRIAL and was told to
  // boot it (LEAVE).
  [[nodiscard]] HostError install(std::span<const uint8_t> image, uint8_t slot, bool resume);

  // The same transfer in steps, for a caller that produces the payload piece by piece (the
  // update engine's NativeTarget): BEGIN, then push() the payload from `start` on in order, then
  // finish() (the last frames, then END). `ring` keeps every byte not yet stored by the device
  // (resent after a NAK or a timeout); at least kMaxData bytes, a multiple of 4 bytes, and a few
  // frames more than that for full speed. finish() ends with LEAVE: the device, which waits for
  // it after a good END (kInstalledLingerMs), resets into the new image.
  [[nodiscard]] HostError begin_stream(std::span<const uint8_t, kImageHeaderSize> header,
                                       uint8_t slot, uint32_t start, std::span<uint8_t> ring);
  [[nodiscard]] HostError push(std::span<const uint8_t> data);
  [[nodiscard]] HostError finish();
  [[nodiscard]] HostError leave();
  [[nodiscard]] HostError abort();
  // Sends a raw frame and returns the next frame the device sends (tests of malformed input).
  [[nodiscard]] HostError exchange_raw(std::span<const uint8_t> frame, uint32_t timeout_ms);

  Status last_status() const { return last_status_; }
  const FrameHeader& last_header() const { return parser_.header(); }
  std::span<const uint8_t> last_payload() const { return parser_.payload(); }
  const HostStats& stats() const { return stats_; }
  uint32_t baud() const { return baud_; }

  // Progress of install(): payload bytes programmed (as acknowledged).
  using Progress = void (*)(void* context, uint32_t programmed, uint32_t total);
  void set_progress(Progress progress, void* context) {
    progress_ = progress;
    progress_context_ = context;
  }

 private:
  HostError send(Type type, uint16_t seq, std::span<const uint8_t> payload);
  // Reads until a frame arrives or the deadline passes; with `damaged`, a frame that arrives
  // damaged ends the wait too (kBadReply, *damaged set).
  HostError receive(uint64_t deadline_us, bool* damaged = nullptr);
  // Sends a request and waits for its reply type: a reply to this or an earlier attempt of the
  // same request counts (that reply may have been the one lost). Resent at once on a NAK or a
  // damaged frame, after `timeout_ms` without one; at most `attempts` sends (0: retries + 1).
  HostError request(Type type, std::span<const uint8_t> payload, Type reply, uint32_t timeout_ms,
                    unsigned attempts = 0);
  // The DATA stream: either over a whole payload in memory (install) or a ring (push).
  void stream_reset(uint32_t total, uint32_t start);
  uint32_t ring_space() const;
  // Sends every frame the window and the available data allow (`flush`: also a short last one).
  HostError send_ready(bool flush);
  uint32_t window_end() const;  // DATA frames with seq below this may be sent
  // Waits for one frame from the device (or the deadline) and acts on it.
  HostError pump();
  // Acts on the frames the device has sent so far, without waiting.
  HostError drain();
  HostError on_stream_frame();
  void rewind();
  void extend_deadline(uint64_t ms);

  an3155::ByteLink& link_;
  an3155::Clock& clock_;
  HostOptions options_;
  uint8_t keep_[kMaxPayload] = {};
  FrameParser parser_{std::span<uint8_t>(keep_)};
  uint8_t out_[kMaxFrameSize] = {};
  uint16_t seq_ = 1;  // request sequence (echoed by replies)
  uint32_t baud_ = kDefaultBaud;
  Status last_status_ = Status::kOk;
  HostStats stats_;
  Progress progress_ = nullptr;
  void* progress_context_ = nullptr;

  // DATA stream state (go-back-N over a window of frames; see stream in host.cc).
  static constexpr uint32_t kSeqSlots = 256;  // > any window (at most 32 frames on the device)
  const uint8_t* whole_ = nullptr;            // install(): the payload
  uint8_t* ring_ = nullptr;                   // push(): bytes [acked_offset_, filled_)
  uint32_t ring_size_ = 0;
  uint32_t total_ = 0;   // payload size
  uint32_t filled_ = 0;  // payload bytes available to send (offset end)
  // A seq, once sent, keeps its offset and length: after a rewind the device may still accept an
  // earlier copy that was in flight, so a resent frame must be the same frame.
  uint32_t sent_offset_[kSeqSlots] = {};
  uint32_t sent_len_[kSeqSlots] = {};
  uint32_t max_sent_ = 0;  // seqs below this have a fixed offset and length
  uint32_t data_len_ = kMaxData;
  unsigned clean_ = 0;
  uint32_t next_ = 0;  // next seq to send
  uint32_t next_offset_ = 0;
  uint32_t acked_ = 0;  // frames the device stored
  uint32_t acked_offset_ = 0;
  uint32_t limit_ = 0;  // frames the device lets us send (seq < limit)
  uint32_t programmed_ = 0;
  unsigned failures_ = 0;
  uint64_t deadline_us_ = 0;
  uint8_t frame_payload_[kMaxPayload] = {};
};

}  // namespace fota::native
