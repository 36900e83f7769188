// SPDX-License-Identifier: Apache-2.0
// The update engine over NativeTarget over the bootloader's session on an in-process wire: the
// same engine sequence as the ROM path, streamed (header at BEGIN, lazy erases, END verifies and
// appends TRIAL), resumed from the device's QUERY after a power cut, and refused cleanly.
#include "native/target.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "bootcore/boot.h"
#include "factory.h"
#include "loopback.h"
#include "test_support.h"
#include "update/engine.h"

namespace fota::native {
namespace {

using bootcore::test::FakeFlash;
using bootcore::test::TestImage;
using flash_map::Slot;
using test::boot;
using test::factory;
using test::Loopback;
using test::v2_for_b;

class VectorSource final : public update::Source {
 public:
  // The image file: header + payload (a TestImage's bytes are padded to a word).
  explicit VectorSource(const TestImage& image)
      : bytes_(image.bytes.begin(),
               image.bytes.begin() + kImageHeaderSize + image.header.payload_size) {}
  update::SourceStatus read(uint32_t offset, std::span<uint8_t> out, size_t& got) override {
    got = 0;
    if (offset >= bytes_.size()) return update::SourceStatus::kEnd;
    got = std::min(out.size(), bytes_.size() - offset);
    std::memcpy(out.data(), bytes_.data() + offset, got);
    return got == out.size() ? update::SourceStatus::kOk : update::SourceStatus::kEnd;
  }

 private:
  std::vector<uint8_t> bytes_;
};

class WireClock final : public update::Clock {
 public:
  explicit WireClock(Loopback& wire) : wire_(wire) {}
  uint64_t now_ms() override { return wire_.now_us() / 1000; }

 private:
  Loopback& wire_;
};

// Cuts the power once the written share of the image passes `cut_at` (0: never).
class CuttingReporter final : public update::Reporter {
 public:
  CuttingReporter(FakeFlash& flash, double cut_at) : flash_(flash), cut_at_(cut_at) {}
  void on_state(update::State, const update::Failure&) override {}
  void on_progress(update::Step step, uint32_t done, uint32_t total) override {
    if (step != update::Step::kWrite || cut_at_ <= 0 || cut_) return;
    if (static_cast<double>(done) >= cut_at_ * total) {
      cut_ = true;
      flash_.schedule_cut(1, bootcore::test::CutKind::kTorn, 7);
    }
  }

 private:
  FakeFlash& flash_;
  double cut_at_;
  bool cut_ = false;
};

update::Policy policy() {
  update::Policy p;
  p.require_signature = false;
  p.version = update::VersionPolicy::kNewer;
  p.wait_outcome = false;  // the wire has no console: the boot decision is checked below
  return p;
}

struct EngineRun {
  update::Outcome outcome;
  std::string error;
  uint64_t wire_bytes = 0;
  DeviceAction action = DeviceAction::kContinue;
};

EngineRun run_engine(FakeFlash& flash, const TestImage& image, double cut_at = 0,
                     const char* product = "", bool boot_device = true) {
  Loopback wire(flash);
  if (boot_device) {
    DeviceConfig config;
    config.product = product;
    wire.boot(config);
  }
  std::vector<uint8_t> ring(32 * 1024);
  NativeTargetOptions options;
  options.entry = Entry::kHello;
  options.baud = 2'000'000;
  options.hello_timeout_ms = 300;
  options.host.retries = 4;
  NativeTarget target(wire, wire, nullptr, ring, options);
  WireClock clock(wire);
  CuttingReporter reporter(flash, cut_at);
  update::Engine engine(target, clock, reporter, nullptr, nullptr);
  VectorSource source(image);
  const update::Release release{{nullptr, &source}};
  EngineRun run;
  run.outcome = engine.run(release, policy());
  run.error = target.last_error();
  run.wire_bytes = wire.wire_bytes_to_device();
  run.action = wire.action();
  return run;
}

TEST(NativeTarget, TheEngineStreamsAnImageAndTheBootloaderTriesIt) {
  FakeFlash flash;
  factory(flash);
  const TestImage v2 = v2_for_b(150'001, 2);
  const EngineRun run = run_engine(flash, v2);
  ASSERT_EQ(run.outcome.failure.reason, update::FailReason::kNone)
      << update::to_string(run.outcome.failure.reason) << ": " << run.error;
  EXPECT_EQ(run.outcome.state, update::State::kTrial);
  EXPECT_EQ(run.outcome.slot, Slot::kB);
  EXPECT_FALSE(run.outcome.resumed);
  EXPECT_EQ(run.action, DeviceAction::kRebootInstalled);
  // Framing costs little: 4 KB DATA frames.
  EXPECT_LT(run.wire_bytes, v2.bytes.size() * 102 / 100);
  const auto outcome = boot(flash);
  EXPECT_EQ(outcome.action, bootcore::Action::kBootTrial);
  EXPECT_EQ(outcome.slot, Slot::kB);
  EXPECT_EQ(outcome.header.payload_crc32, v2.header.payload_crc32);
}

TEST(NativeTarget, ResumesFromTheDevicesQueryAfterAPowerCutAtHalfway) {
  FakeFlash flash;
  factory(flash);
  const TestImage v2 = v2_for_b(300'000, 3);
  const EngineRun cut = run_engine(flash, v2, 0.5);
  ASSERT_NE(cut.outcome.failure.reason, update::FailReason::kNone);
  ASSERT_TRUE(flash.cut_happened());
  flash.power_on();
  flash.cancel_cut();
  EXPECT_EQ(boot(flash).slot, Slot::kA);  // never the partial image
  const EngineRun again = run_engine(flash, v2);
  ASSERT_EQ(again.outcome.failure.reason, update::FailReason::kNone) << again.error;
  EXPECT_TRUE(again.outcome.resumed);
  // The device kept what it had programmed (less the last block, which may be torn): the cut
  // came when half the image was sent, with the erases of later sectors still ahead.
  EXPECT_GT(again.outcome.resumed_from, kImageHeaderSize + v2.header.payload_size / 5);
  const uint32_t left = static_cast<uint32_t>(v2.bytes.size()) - again.outcome.resumed_from;
  EXPECT_LT(again.wire_bytes, left + left / 50 + 2 * 1024);
  EXPECT_EQ(boot(flash).slot, Slot::kB);
}

TEST(NativeTarget, AForeignProductIsRefusedAtBeginBeforeAnythingIsErased) {
  FakeFlash flash;
  factory(flash);
  const TestImage v2 = v2_for_b(10'000, 4);
  const std::vector<uint8_t> before(flash.raw(0x0808'0000), flash.raw(0x0808'0000) + 0x60000);
  const EngineRun run = run_engine(flash, v2, 0, "other-product");
  EXPECT_EQ(run.outcome.failure.reason, update::FailReason::kPrepareFailed);
  EXPECT_EQ(run.outcome.failure.target, update::TargetError::kRefused);
  EXPECT_NE(run.error.find("product"), std::string::npos) << run.error;
  EXPECT_EQ(before, std::vector<uint8_t>(flash.raw(0x0808'0000), flash.raw(0x0808'0000) + 0x60000));
}

TEST(NativeTarget, NoBootloaderAnsweringIsAClearNoDeviceFailure) {
  FakeFlash flash;
  factory(flash);
  const TestImage v2 = v2_for_b(10'000, 5);
  const EngineRun run = run_engine(flash, v2, 0, "", false);
  EXPECT_EQ(run.outcome.failure.reason, update::FailReason::kNoDevice);
  EXPECT_NE(run.error.find("no bootloader answered"), std::string::npos) << run.error;
}

}  // namespace
}  // namespace fota::native
