// SPDX-License-Identifier: Apache-2.0
// libFuzzer: arbitrary bytes into the frame parser and the message decoders, and into the
// bootloader's session over a RAM flash. Whatever arrives, the session may only ever change the
// slot it installs into and the log areas; an accepted frame re-encodes to the same bytes.
// An input whose first byte is odd is read as records that the harness sends as well-formed
// frames (checks computed, a BEGIN's image header sealed): random bytes almost never pass two
// CRCs, and the session's message handling is what the bootloader must survive.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "bootcore/boot.h"
#include "bootcore/meta_log.h"
#include "fake_flash.h"
#include "format/image_header.h"
#include "native/device.h"
#include "native/frame.h"
#include "native/protocol.h"

namespace {

using namespace fota;
using namespace fota::native;

class Port final : public DevicePort {
 public:
  Port(bootcore::Flash& flash, RxRing& ring) : flash_(flash), ring_(ring) {}
  void send(std::span<const uint8_t> bytes) override { sent += bytes.size(); }
  uint32_t now_ms() override { return ms; }
  void set_baud(uint32_t) override {}
  bootcore::FlashStatus erase_sector(unsigned sector) override {
    if (sector < first_sector || sector >= first_sector + 3) std::abort();  // the install slot only
    return flash_.erase_sector(sector);
  }
  bootcore::FlashStatus program_word(uint32_t address, uint32_t word) override {
    if (address < slot_base || address >= slot_base + flash_map::kSlotSize) std::abort();
    return flash_.program_words(address, std::span<const uint32_t>(&word, 1));
  }
  void pump() override {
    while (at < input.size() && ring_.head - ring_.release < ring_.size) ring_.push(input[at++]);
  }
  std::span<const uint8_t> input;
  size_t at = 0;
  size_t sent = 0;
  uint32_t ms = 0;
  unsigned first_sector = 0;
  uint32_t slot_base = 0;

 private:
  bootcore::Flash& flash_;
  RxRing& ring_;
};

void frames(const uint8_t* data, size_t size) {
  uint8_t keep[kMaxPayload];
  FrameParser p(keep);
  for (size_t i = 0; i < size; ++i) {
    if (p.feed(data[i]) != FrameParser::Event::kFrame) continue;
    const auto payload = p.payload();
    uint8_t again[kMaxFrameSize];
    const size_t n = encode_frame(p.header().type, p.header().seq, payload, again);
    if (n != kFrameOverhead + payload.size()) std::abort();
    if (std::memcmp(again + kFrameHeaderSize, payload.data(), payload.size()) != 0) std::abort();
    (void)decode_hello_reply(payload);
    (void)decode_begin(payload);
    (void)decode_data_ack(payload);
    (void)decode_query_reply(payload);
    (void)decode_busy(payload);
    (void)decode_status_reply(payload);
    (void)decode_set_baud(payload);
  }
}

// Records [type][seq][length: 2 bytes LE][payload] after the mode byte, each encoded as a frame of
// a host request type (0x01-0x0A); the last record is cut to the bytes left.
std::vector<uint8_t> well_formed_frames(std::span<const uint8_t> in) {
  std::vector<uint8_t> stream;
  size_t at = 1;
  while (at + 4 <= in.size()) {
    const uint8_t type = static_cast<uint8_t>(1 + in[at] % 10);
    const uint16_t seq = in[at + 1];
    const size_t wanted = static_cast<size_t>(in[at + 2] | in[at + 3] << 8) % (kMaxPayload + 1);
    at += 4;
    std::vector<uint8_t> payload(
        in.begin() + static_cast<std::ptrdiff_t>(at),
        in.begin() + static_cast<std::ptrdiff_t>(at + std::min(wanted, in.size() - at)));
    at += payload.size();
    if (type == static_cast<uint8_t>(Type::kBegin) && payload.size() == kBeginSize) {
      seal(std::span<uint8_t>(payload).subspan(8, kImageHeaderSize), kImageHeaderSeal.layout);
    }
    uint8_t frame[kMaxFrameSize];
    const size_t n = encode_frame(type, seq, payload, frame);
    stream.insert(stream.end(), frame, frame + n);
  }
  return stream;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* raw, size_t raw_size) {
  std::vector<uint8_t> structured;
  if (raw_size > 0 && (raw[0] & 1) != 0) structured = well_formed_frames({raw, raw_size});
  const uint8_t* data = structured.empty() ? raw : structured.data();
  const size_t size = structured.empty() ? raw_size : structured.size();
  frames(data, size);
  static bootcore::test::FakeFlash* flash = new bootcore::test::FakeFlash();
  static std::vector<uint8_t>* ring_mem = new std::vector<uint8_t>(16 * 1024);
  RxRing ring;
  ring.data = ring_mem->data();
  ring.size = static_cast<uint32_t>(ring_mem->size());
  bootcore::MetaLog log(*flash);
  (void)log.load();
  Port port(*flash, ring);
  port.input = std::span<const uint8_t>(data, size);
  const flash_map::Slot slot = bootcore::install_slot(*flash, log);
  port.first_sector = flash_map::kSlotFirstSector[static_cast<unsigned>(slot)];
  port.slot_base = flash_map::slot_address(slot);
  DeviceConfig config;
  config.silence_timeout_ms = 0;
  DeviceSession session(port, *flash, log, ring, config);
  for (int i = 0; i < 4000 && (port.at < size || ring.head != ring.release); ++i) {
    if (session.poll() != DeviceAction::kContinue) break;
    ++port.ms;
  }
  return 0;
}
