// SPDX-License-Identifier: Apache-2.0
// The host driver against the bootloader's session over an in-process wire and a RAM flash with
// the F407's rules: whole updates, resume after power cuts, bit errors, a vanished host, and every
// malformed request refused with its own status while nothing outside the inactive slot changes.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "bootcore/boot.h"
#include "factory.h"
#include "format/bytes.h"
#include "loopback.h"
#include "native/host.h"
#include "test_support.h"

namespace fota::native {
namespace {

using bootcore::test::FakeFlash;
using bootcore::test::make_image;
using bootcore::test::TestImage;
using flash_map::Slot;
using test::boot;
using test::factory;
using test::Loopback;
using test::v2_for_b;

struct NoPins final : an3155::TargetPins {
  an3155::PortStatus set_boot0(bool) override { return an3155::PortStatus::kOk; }
  an3155::PortStatus set_reset(bool) override { return an3155::PortStatus::kOk; }
};

std::vector<uint8_t> snapshot(FakeFlash& flash, uint32_t from, uint32_t to) {
  return std::vector<uint8_t>(flash.raw(from), flash.raw(from) + (to - from));
}

// Everything but slot B and the two log areas.
struct Outside {
  std::vector<uint8_t> boot_to_app, slot_a;
  explicit Outside(FakeFlash& f)
      : boot_to_app(snapshot(f, 0x0800'0000, 0x0800'C000)),
        slot_a(snapshot(f, 0x0802'0000, 0x0808'0000)) {}
  bool same(FakeFlash& f) const {
    return boot_to_app == snapshot(f, 0x0800'0000, 0x0800'C000) &&
           slot_a == snapshot(f, 0x0802'0000, 0x0808'0000) &&
           snapshot(f, 0x0801'0000, 0x0802'0000) ==
               std::vector<uint8_t>(boot_to_app.size() > 0 ? 0x10000 : 0, 0xFF);
  }
};

// A factory device in update mode on an in-process wire, with the host driver on that wire.
struct Rig {
  FakeFlash flash;
  Loopback wire{flash};
  HostSession host{wire, wire};
  Rig() {
    factory(flash);
    wire.boot();
  }
};

class NativeSession : public ::testing::Test {
 protected:
  void SetUp() override {
    factory(flash_);
    v2_ = v2_for_b(150'001, 2);
  }
  FakeFlash flash_;
  TestImage v2_;
};

TEST_F(NativeSession, InstallsAnImageAtEachRateAndTheBootloaderTriesIt) {
  for (uint32_t baud : {115'200u, 921'600u, 2'000'000u}) {
    FakeFlash flash;
    factory(flash);
    const Outside outside(flash);
    Loopback wire(flash);
    wire.boot();
    HostSession host(wire, wire);
    auto hello = host.hello(500);
    ASSERT_TRUE(hello.ok()) << to_string(hello.error());
    EXPECT_EQ(hello->install_slot, 1);
    EXPECT_EQ(hello->slots[0].state, SlotState::kConfirmed);
    EXPECT_GE(hello->window_frames, 20);
    ASSERT_EQ(host.set_baud(baud), HostError::kOk);
    const uint64_t t0 = wire.now_us();
    ASSERT_EQ(host.install(v2_.bytes, 1, false), HostError::kOk) << to_string(host.last_status());
    const double seconds = static_cast<double>(wire.now_us() - t0) / 1e6;
    const double wire_s = static_cast<double>(v2_.bytes.size()) * 10 / baud;
    EXPECT_LT(seconds, std::max(wire_s, 2.0 + 37'628 * 16e-6) * 1.3) << baud;
    EXPECT_EQ(wire.action(), DeviceAction::kRebootInstalled);
    EXPECT_TRUE(outside.same(flash));
    const auto outcome = boot(flash);
    EXPECT_EQ(outcome.action, bootcore::Action::kBootTrial);
    EXPECT_EQ(outcome.slot, Slot::kB);
    EXPECT_EQ(outcome.header.version.major, 2);
  }
}

TEST_F(NativeSession, EveryMalformedRequestIsRefusedWithItsOwnStatus) {
  const Outside outside(flash_);
  Loopback wire(flash_);
  wire.boot();
  HostSession host(wire, wire);
  ASSERT_TRUE(host.hello(500).ok());
  std::vector<uint8_t> out(kMaxFrameSize);
  auto send = [&](uint8_t type, uint16_t seq, std::vector<uint8_t> payload) {
    out.resize(kMaxFrameSize);
    out.resize(encode_frame(type, seq, payload, out));
    EXPECT_EQ(host.exchange_raw(out, 3'000), HostError::kOk);
    return host.last_status();
  };
  auto begin_payload = [&](uint8_t slot, const std::vector<uint8_t>& image, uint32_t start = 0) {
    Begin b;
    b.slot = slot;
    b.start_offset = start;
    std::memcpy(b.header.data(), image.data(), kImageHeaderSize);
    std::vector<uint8_t> p(kBeginSize);
    encode(b, std::span<uint8_t, kBeginSize>(p.data(), kBeginSize));
    return p;
  };
  std::vector<Status> seen;
  auto expect = [&](Status got, Status want) {
    EXPECT_EQ(got, want) << to_string(got) << " instead of " << to_string(want);
    seen.push_back(got);
  };

  // Bad frame CRC (NAK).
  auto f = std::vector<uint8_t>(kMaxFrameSize);
  f.resize(encode_frame(Type::kPing, 1, {}, f));
  f.back() ^= 1;
  ASSERT_EQ(host.exchange_raw(f, 3'000), HostError::kOk);
  expect(host.last_status(), Status::kBadFrameCrc);
  expect(send(0x09, 2, {1}), Status::kBadLength);   // PING with a payload
  expect(send(0x55, 3, {}), Status::kUnknownType);  // not a request
  expect(send(0x04, 0, {0, 0, 0, 0, 1, 2, 3, 4}), Status::kNotBegun);
  expect(send(0x03, 4, begin_payload(0, v2_.bytes)), Status::kWrongSlot);  // the running slot
  {
    auto other = make_image(Slot::kA, Version{2, 0, 0}, 1000, 3);
    expect(send(0x03, 5, begin_payload(1, other.bytes)), Status::kHeaderSlotMismatch);
  }
  {
    auto bad = v2_.bytes;
    bad[100] ^= 1;  // header CRC
    expect(send(0x03, 6, begin_payload(1, bad)), Status::kBadHeader);
  }
  {
    ImageHeader h = v2_.header;
    h.payload_size = flash_map::kMaxPayloadSize + 4;
    const auto bytes = encode_image_header(h);
    expect(send(0x03, 7, begin_payload(1, std::vector<uint8_t>(bytes.begin(), bytes.end()))),
           Status::kImageTooLarge);
  }
  expect(send(0x03, 8, begin_payload(1, v2_.bytes, 100)), Status::kBadResumeOffset);
  {
    uint8_t baud[4];
    bytes::store_le32(baud, 12345);
    expect(send(0x02, 9, {baud, baud + 4}), Status::kBadBaud);
  }
  {
    auto p = begin_payload(1, v2_.bytes);
    p[2] = 1;
    expect(send(0x03, 10, p), Status::kReservedNotZero);
  }
  // A good BEGIN, then bad DATA frames.
  expect(send(0x03, 11, begin_payload(1, v2_.bytes)), Status::kOk);
  ASSERT_EQ(host.exchange_raw({}, 1'000), HostError::kOk);  // the first window
  EXPECT_EQ(host.last_header().type, static_cast<uint8_t>(Type::kDataAck));
  auto data = [&](uint16_t seq, uint32_t offset, size_t n) {
    std::vector<uint8_t> p(4 + n, 0x11);
    bytes::store_le32(p.data(), offset);
    return send(0x04, seq, p);
  };
  // The BEGIN's first window ack may come first: skip acks that are not refusals.
  auto data_refusal = [&](uint16_t seq, uint32_t offset, size_t n) {
    Status s = data(seq, offset, n);
    return s;
  };
  expect(data_refusal(5, 0, 16), Status::kOutOfOrder);
  expect(data_refusal(0, 0x7'0000, 16), Status::kOffsetOutOfRange);
  expect(data_refusal(0, 2, 16), Status::kMisaligned);
  expect(data_refusal(0, 4096, 16), Status::kBadOffset);
  expect(send(0x06, 12, {}), Status::kIncomplete);
  {
    auto p = std::vector<uint8_t>(4);
    EXPECT_EQ(send(0x04, 0, p), Status::kBadLength);  // DATA without data (same cause as above)
  }
  // Product: a bootloader built for another product.
  {
    FakeFlash flash;
    factory(flash);
    Loopback w(flash);
    DeviceConfig config;
    config.product = "other-product";
    w.boot(config);
    HostSession h(w, w);
    ASSERT_TRUE(h.hello(500).ok());
    out.resize(kMaxFrameSize);
    out.resize(encode_frame(0x03, 1, begin_payload(1, v2_.bytes), out));
    ASSERT_EQ(h.exchange_raw(out, 3'000), HostError::kOk);
    expect(h.last_status(), Status::kWrongProduct);
  }
  // All distinct.
  for (size_t i = 0; i < seen.size(); ++i) {
    for (size_t j = i + 1; j < seen.size(); ++j) {
      if (seen[i] != Status::kOk && seen[j] != Status::kOk)
        EXPECT_NE(seen[i], seen[j]) << i << " " << j;
    }
  }
  EXPECT_TRUE(outside.same(flash_));
  EXPECT_EQ(boot(flash_).slot, Slot::kA);
}

TEST_F(NativeSession, CorruptImagesAreNeverCommitted) {
  for (int which = 0; which < 2; ++which) {
    FakeFlash flash;
    factory(flash);
    TestImage bad = v2_;
    ImageHeader h = bad.header;
    if (which == 0) {
      h.payload_crc32 ^= 1;
    } else {
      h.payload_sha256[0] ^= 1;
    }
    const auto hb = encode_image_header(h);
    std::copy(hb.begin(), hb.end(), bad.bytes.begin());
    Loopback wire(flash);
    wire.boot();
    HostSession host(wire, wire);
    ASSERT_TRUE(host.hello(500).ok());
    EXPECT_EQ(host.install(bad.bytes, 1, false), HostError::kRefused);
    EXPECT_EQ(host.last_status(), which == 0 ? Status::kCrcMismatch : Status::kShaMismatch);
    const auto outcome = boot(flash);
    EXPECT_EQ(outcome.slot, Slot::kA);
    EXPECT_EQ(outcome.action, bootcore::Action::kBootConfirmed);
  }
}

TEST_F(NativeSession, BitErrorsAreRepairedByRetransmission) {
  const TestImage small = v2_for_b(40'000, 5);
  for (double ber : {1e-4, 1e-3}) {
    for (uint32_t seed = 1; seed <= 3; ++seed) {
      Rig rig;
      auto& [flash, wire, host] = rig;
      ASSERT_TRUE(host.hello(500).ok());
      ASSERT_EQ(host.set_baud(2'000'000), HostError::kOk);
      wire.set_ber(ber, seed);
      const HostError e = host.install(small.bytes, 1, false);
      const auto outcome = boot(flash);
      if (e == HostError::kOk) {
        EXPECT_EQ(outcome.slot, Slot::kB);
      } else {
        // Failing cleanly: the old image keeps running, the new one is never tried.
        EXPECT_EQ(outcome.slot, Slot::kA) << to_string(e);
      }
      if (ber == 1e-4) {
        EXPECT_EQ(e, HostError::kOk) << ber << " seed " << seed << " " << to_string(e);
      }
      EXPECT_GT(wire.flipped_bits(), 0u);
    }
  }
}

// END's reply is the one the host cannot do without: lost or damaged on the line, the host asks
// again and the device, which waits for LEAVE after a good END, answers again. Before, the
// device had reset into the new image and the host reported a failed update.
TEST_F(NativeSession, AnEndReplyLostOrDamagedIsAskedForAgain) {
  const TestImage small = v2_for_b(20'000, 6);
  for (const bool damage : {true, false}) {
    Rig rig;
    auto& [flash, wire, host] = rig;
    ASSERT_TRUE(host.hello(500).ok());
    wire.spoil_next(static_cast<uint8_t>(Type::kEndReply), true, damage);
    const uint64_t t0 = wire.now_us();
    ASSERT_EQ(host.install(small.bytes, 1, false), HostError::kOk) << "damage " << damage;
    EXPECT_TRUE(wire.spoiled());
    if (damage) {
      EXPECT_EQ(host.stats().damaged_replies, 1u);  // asked again at once
      EXPECT_LT(wire.now_us() - t0, 3'000'000u);
    } else {
      EXPECT_EQ(host.stats().timeouts, 1u);  // asked again after the END timeout
    }
    EXPECT_EQ(wire.action(), DeviceAction::kRebootInstalled);  // LEAVE came
    const auto outcome = boot(flash);
    EXPECT_EQ(outcome.action, bootcore::Action::kBootTrial);
    EXPECT_EQ(outcome.slot, Slot::kB);
  }
}

// LEAVE lost after a good END: the device boots the new image once its linger has passed, and
// the host does not call the update failed.
TEST_F(NativeSession, WithoutLeaveTheDeviceBootsTheImageAfterItsLinger) {
  const TestImage small = v2_for_b(20'000, 7);
  Loopback wire(flash_);
  wire.boot();
  HostSession host(wire, wire);
  ASSERT_TRUE(host.hello(500).ok());
  wire.spoil_next(static_cast<uint8_t>(Type::kLeave), false, false, 3);  // every try
  ASSERT_EQ(host.install(small.bytes, 1, false), HostError::kOk);
  EXPECT_TRUE(wire.spoiled());
  EXPECT_TRUE(wire.running());  // still waiting for LEAVE
  wire.run_device_for_us(uint64_t{kInstalledLingerMs} * 1000 + 100'000);
  EXPECT_FALSE(wire.running());
  EXPECT_EQ(wire.action(), DeviceAction::kRebootInstalled);
  EXPECT_EQ(boot(flash_).slot, Slot::kB);
}

TEST_F(NativeSession, AVanishedHostLeavesUpdateModeAfterTheSilenceTimeout) {
  Loopback wire(flash_);
  DeviceConfig config;
  config.silence_timeout_ms = 2'000;
  wire.boot(config);
  HostSession host(wire, wire);
  ASSERT_TRUE(host.hello(500).ok());
  // BEGIN and 40 KB of the payload, then silence.
  std::vector<uint8_t> ring(8 * kMaxData);
  const std::span<const uint8_t> image(v2_.bytes);
  ASSERT_EQ(host.begin_stream(image.first<kImageHeaderSize>(), 1, 0, ring), HostError::kOk);
  ASSERT_EQ(host.push(image.subspan(kImageHeaderSize, 40'960)), HostError::kOk);
  wire.run_device_for_us(5'000'000);
  EXPECT_EQ(wire.action(), DeviceAction::kSilence);
  // Part of the payload is in B (the transfer did start), yet A boots: B has no TRIAL record.
  uint8_t first_word[4] = {};
  ASSERT_EQ(flash_.read(flash_map::slot_address(Slot::kB) + kImageHeaderSize, first_word),
            bootcore::FlashStatus::kOk);
  EXPECT_EQ(std::memcmp(first_word, v2_.bytes.data() + kImageHeaderSize, 4), 0);
  EXPECT_EQ(boot(flash_).slot, Slot::kA);
}

TEST_F(NativeSession, ResumesAfterPowerCutsAndNeverBootsAPartialImage) {
  FakeFlash reference;
  factory(reference);
  unsigned resumed = 0, total_cuts = 0;
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    FakeFlash flash;
    factory(flash);
    std::mt19937_64 rng(seed);
    unsigned cuts = 0;
    HostError last = HostError::kNoAnswer;
    for (int attempt = 0; attempt < 6 && last != HostError::kOk; ++attempt) {
      Loopback wire(flash);
      wire.boot();
      if (attempt < 2) {
        flash.schedule_cut(
            1 + rng() % 40'000,
            rng() % 2 ? bootcore::test::CutKind::kTorn : bootcore::test::CutKind::kClean, seed);
      }
      HostSession host(wire, wire);
      if (!host.hello(500).ok()) continue;
      (void)host.set_baud(2'000'000);
      last = host.install(v2_.bytes, 1, true);
      if (host.stats().resumed_from != 0) ++resumed;
      if (flash.cut_happened() && !flash.powered()) {
        ++cuts;
        flash.power_on();
        flash.cancel_cut();
        // After the cut the device boots normally: never the partial image.
        const auto outcome = boot(flash);
        ASSERT_TRUE(outcome.boots());
        if (outcome.slot == Slot::kB) {
          // Only if the TRIAL record landed: then the image is complete and verified.
          EXPECT_EQ(outcome.header.payload_crc32, v2_.header.payload_crc32);
        }
      }
      flash.cancel_cut();
    }
    if (last != HostError::kOk) {
      // The cut may have landed after END: the image is already installed.
      const auto outcome = boot(flash);
      EXPECT_EQ(outcome.slot, Slot::kB) << "seed " << seed << " " << to_string(last);
    } else {
      EXPECT_EQ(boot(flash).slot, Slot::kB) << "seed " << seed;
    }
    total_cuts += cuts;
  }
  EXPECT_GE(total_cuts, 40u);  // the cuts happened: 48 of the 80 planned with these seeds
  EXPECT_GT(resumed, 5u);
}

TEST_F(NativeSession, QueryReportsTheWrittenPrefixWithoutTheLastBlock) {
  FakeFlash flash;
  factory(flash);
  // Program 3 blocks of payload into B by hand (a transfer cut short).
  ASSERT_EQ(flash.erase_sector(8), bootcore::FlashStatus::kOk);
  const auto words = bootcore::test::to_words(
      std::vector<uint8_t>(v2_.bytes.begin() + 512, v2_.bytes.begin() + 512 + 3 * 4096));
  ASSERT_EQ(flash.program_words(0x0808'0200, words), bootcore::FlashStatus::kOk);
  const WrittenPrefix p = written_prefix(flash, Slot::kB);
  EXPECT_EQ(p.written, 2u * 4096);
  EXPECT_EQ(p.crc32, crc32(std::span<const uint8_t>(v2_.bytes.data() + 512, 2 * 4096)));
  Loopback wire(flash);
  wire.boot();
  HostSession host(wire, wire);
  ASSERT_TRUE(host.hello(500).ok());
  ASSERT_EQ(host.install(v2_.bytes, 1, true), HostError::kOk);
  EXPECT_EQ(host.stats().resumed_from, 2u * 4096);
  EXPECT_EQ(boot(flash).slot, Slot::kB);
}

TEST_F(NativeSession, WakeSyncAndLeave) {
  Loopback wire(flash_);
  wire.boot();
  HostSession host(wire, wire);
  NoPins pins;
  ASSERT_TRUE(host.wake(pins).ok());
  EXPECT_EQ(host.leave(), HostError::kOk);
  EXPECT_EQ(wire.action(), DeviceAction::kLeave);
}

}  // namespace
}  // namespace fota::native
