// SPDX-License-Identifier: Apache-2.0
// The update engine against fakes: a RAM flash with the silicon's rules and the real boot
// decision (bootcore) on every reboot. Every refusal happens before anything is erased; a
// tampered image is never committed; failures keep the previous image bootable; resume continues
// where the last run stopped, and restarts when the release changed.
#include <gtest/gtest.h>

#include <cstring>

#include "bootcore/trust.h"
#include "fakes.h"
#include "update/forwarding_target.h"

namespace fota::update::test {
namespace {

using flash_map::Slot;

struct Image {
  ImageHeader header;
  std::vector<uint8_t> file;  // header + payload, exactly as a release carries it
};

Image make(Slot slot, Version version, uint32_t payload_size, uint32_t seed,
           const char* product = "demo", const FakeVerifier* signer = nullptr) {
  auto base = bootcore::test::make_image(slot, version, payload_size, seed);
  Image img;
  img.header = base.header;
  std::memset(img.header.product.data(), 0, kProductNameSize);
  std::strncpy(img.header.product.data(), product, kProductNameSize - 1);
  if (signer != nullptr) {
    img.header.flags |= kImageFlagSigned;
    img.header.key_id = signer->known_id;
    const auto unsigned_bytes = encode_image_header(img.header);
    const auto sig = signer->sign({unsigned_bytes.data(), kSignedSize});
    std::copy(sig.begin(), sig.end(), img.header.signature.begin());
  }
  const auto h = encode_image_header(img.header);
  img.file.assign(h.begin(), h.end());
  img.file.insert(img.file.end(), base.bytes.begin() + kImageHeaderSize,
                  base.bytes.begin() + kImageHeaderSize + payload_size);
  return img;
}

Policy test_policy() {
  Policy p;
  std::strncpy(p.product.data(), "demo", kProductNameSize - 1);
  p.require_signature = false;
  p.save_every_bytes = 4096;
  p.save_every_ms = 0;
  return p;
}

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    v1_ = make(Slot::kA, Version{1, 0, 0, 1}, 9000, 1);
    bootcore::test::TestImage t;
    t.header = v1_.header;
    t.bytes = v1_.file;
    while (t.bytes.size() % 4) t.bytes.push_back(0xFF);
    ASSERT_EQ(bootcore::test::write_image(flash_, Slot::kA, t), bootcore::FlashStatus::kOk);
    bootcore::MetaLog log(flash_);
    ASSERT_EQ(log.load(), bootcore::LogStatus::kOk);
    ASSERT_EQ(bootcore::request_trial(log, Slot::kA, v1_.header), bootcore::LogStatus::kOk);
    ASSERT_EQ(bootcore::confirm(flash_, log, Slot::kA), bootcore::ConfirmStatus::kConfirmed);
    set_release(Version{2, 0, 0, 2}, 20'000, 2);
  }

  void set_release(Version version, uint32_t size, uint32_t seed, const char* product = "demo",
                   const FakeVerifier* signer = nullptr, const char* etag = "") {
    a_ = make(Slot::kA, version, size, seed, product, signer);
    b_ = make(Slot::kB, version, size, seed + 100, product, signer);
    src_a_.emplace(a_.file, etag);
    src_b_.emplace(b_.file, etag);
  }

  Release release() { return Release{{&*src_a_, &*src_b_}}; }

  Outcome run(const Policy& policy, SignatureVerifier* verifier = nullptr,
              ProgressStore* store = nullptr) {
    Engine engine(target_, clock_, reporter_, verifier, store);
    return engine.run(release(), policy);
  }

  // An update cut by a write failure at block 40: true when `store` kept a progress record.
  bool interrupted_at_block_40(MemoryStore& store) {
    target_.fail_write_at = 40;
    (void)run(test_policy(), nullptr, &store);
    target_.fail_write_at = -1;
    return !store.bytes.empty();
  }
  // The next run installs the release (b_) from the start: nothing resumed.
  void expect_started_over(MemoryStore& store) {
    const Outcome out = run(test_policy(), nullptr, &store);
    EXPECT_EQ(out.state, State::kConfirmed);
    EXPECT_FALSE(out.resumed);
    EXPECT_TRUE(slot_holds(Slot::kB, b_));
  }
  // Clears the bits of one word of slot B, `offset` bytes into it.
  void clear_word_in_b(uint32_t offset) {
    const uint8_t zero[4] = {0, 0, 0, 0};
    flash_.poke(flash_map::slot_address(Slot::kB) + offset, zero);
  }

  bool slot_holds(Slot slot, const Image& img) {
    return std::memcmp(flash_.raw(flash_map::slot_address(slot)), img.file.data(),
                       img.file.size()) == 0;
  }
  bootcore::SlotInfo info(Slot slot) {
    bootcore::MetaLog log(flash_);
    EXPECT_EQ(log.load(), bootcore::LogStatus::kOk);
    return bootcore::slot_info(flash_, log, slot);
  }
  // Nothing touched: no erase, no write, no commit, slot B still as before.
  void expect_untouched() {
    EXPECT_TRUE(target_.erased.empty());
    EXPECT_EQ(target_.writes, 0u);
    EXPECT_EQ(target_.commits, 0u);
    EXPECT_EQ(info(Slot::kA).state, bootcore::SlotState::kConfirmed);
  }

  FakeFlash flash_;
  FakeClock clock_;
  FakeTarget target_{flash_, clock_};
  RecordingReporter reporter_;
  Image v1_, a_, b_;
  std::optional<MemorySource> src_a_, src_b_;
};

TEST_F(EngineTest, InstallsIntoTheInactiveSlotAndReportsEveryState) {
  const Outcome out = run(test_policy());
  EXPECT_EQ(out.state, State::kConfirmed) << to_string(out.failure.reason);
  EXPECT_EQ(out.slot, Slot::kB);
  EXPECT_TRUE(slot_holds(Slot::kB, b_));
  EXPECT_EQ(info(Slot::kB).state, bootcore::SlotState::kConfirmed);
  const std::vector<State> expected = {State::kChecking,  State::kFlashing,   State::kDownloading,
                                       State::kVerifying, State::kCommitting, State::kRebooting,
                                       State::kTrial,     State::kConfirmed};
  EXPECT_EQ(reporter_.states(), expected);
  EXPECT_TRUE(reporter_.monotonic);
  EXPECT_EQ(reporter_.last_write_done, reporter_.plan.image_bytes);
  // Only the sector the image covers.
  EXPECT_EQ(target_.erased, std::vector<unsigned>{8});
  EXPECT_EQ(reporter_.plan.running_slot, Slot::kA);
  EXPECT_FALSE(reporter_.plan.resuming);
}

TEST_F(EngineTest, WritesTheHeaderBlockLast) {
  // Stop the target before the last write (the second header block): the slot has no header.
  const uint64_t blocks = (b_.file.size() + 255) / 256;
  target_.fail_write_at = static_cast<int64_t>(blocks) - 2;
  const Outcome out = run(test_policy());
  EXPECT_EQ(out.state, State::kFailed);
  EXPECT_EQ(out.failure.reason, FailReason::kWriteFailed);
  EXPECT_EQ(out.failure.address, flash_map::slot_address(Slot::kB));
  EXPECT_FALSE(info(Slot::kB).header_verdict.ok());
  EXPECT_EQ(target_.commits, 0u);
}

struct Refusal {
  const char* name;
  FailReason reason;
};

TEST_F(EngineTest, RefusesAnotherProduct) {
  set_release(Version{2, 0, 0, 0}, 1000, 3, "other");
  const Outcome out = run(test_policy());
  EXPECT_EQ(out.failure.reason, FailReason::kWrongProduct);
  expect_untouched();
}

TEST_F(EngineTest, RefusesAProductOtherThanTheRunningOnesWithoutAFixedName) {
  set_release(Version{2, 0, 0, 0}, 1000, 3, "other");
  Policy p = test_policy();
  p.product = {};
  EXPECT_EQ(run(p).failure.reason, FailReason::kWrongProduct);
  p.match_running_product = false;
  EXPECT_EQ(run(p).state, State::kConfirmed);
}

TEST_F(EngineTest, RefusesAnImageLinkedForTheOtherSlot) {
  src_b_.emplace(a_.file);  // slot A's image offered for slot B
  const Outcome out = run(test_policy());
  EXPECT_EQ(out.failure.reason, FailReason::kWrongSlot);
  expect_untouched();
}

TEST_F(EngineTest, RefusesAVersionThatIsNotNewer) {
  for (Version v : {Version{1, 0, 0, 1}, Version{0, 9, 9, 9}}) {
    set_release(v, 1000, 4);
    const Outcome out = run(test_policy());
    EXPECT_EQ(out.failure.reason, FailReason::kNotNewer);
    expect_untouched();
  }
  Policy same = test_policy();
  same.version = VersionPolicy::kNotOlder;
  set_release(Version{1, 0, 0, 1}, 1000, 4);
  EXPECT_EQ(run(same).state, State::kConfirmed);
}

// With a key block the device runs the secure bootloader, which refuses images below the floor
// (raised to 1.0 when v1 confirmed): the engine refuses them before touching anything, whatever
// the version policy; patch releases of the same major.minor pass.
TEST_F(EngineTest, RefusesAnImageBelowTheSecurityFloorOfASecureDevice) {
  const bootcore::PublicKey key{};
  const auto block = bootcore::encode_key_block(std::span<const bootcore::PublicKey>(&key, 1));
  std::vector<uint32_t> words(block.size() / 4);
  std::memcpy(words.data(), block.data(), block.size());
  ASSERT_EQ(flash_.program_words(bootcore::kKeyBlockAddress, words), bootcore::FlashStatus::kOk);
  Policy any = test_policy();
  any.version = VersionPolicy::kAny;
  set_release(Version{0, 9, 0, 0}, 1000, 4);
  const Outcome out = run(any);
  EXPECT_EQ(out.failure.reason, FailReason::kBelowFloor);
  expect_untouched();
  set_release(Version{1, 0, 7, 0}, 1000, 4);
  EXPECT_EQ(run(any).state, State::kConfirmed);
}

TEST_F(EngineTest, AnyVersionPolicyInstallsAnOlderImage) {
  Policy any = test_policy();
  any.version = VersionPolicy::kAny;
  set_release(Version{0, 1, 0, 0}, 1000, 4);
  EXPECT_EQ(run(any).state, State::kConfirmed);
}

TEST_F(EngineTest, VerifiesTheSignatureBeforeErasing) {
  FakeVerifier verifier;
  Policy p = test_policy();
  p.require_signature = true;
  set_release(Version{2, 0, 0, 0}, 3000, 5, "demo", &verifier);
  EXPECT_EQ(run(p, &verifier).state, State::kConfirmed);
}

TEST_F(EngineTest, RefusesABadSignature) {
  FakeVerifier verifier;
  set_release(Version{2, 0, 0, 0}, 3000, 5, "demo", &verifier);
  FakeVerifier other_key = verifier;
  other_key.key = 0x11;  // same id, other key: the signature does not verify
  const Outcome out = run(test_policy(), &other_key);
  EXPECT_EQ(out.failure.reason, FailReason::kBadSignature);
  expect_untouched();
}

TEST_F(EngineTest, RefusesASignedHeaderWhoseSignedBytesWereChanged) {
  FakeVerifier verifier;
  set_release(Version{2, 0, 0, 0}, 3000, 5, "demo", &verifier);
  // Bump the version inside the signed part and fix the header CRC: parses, does not verify.
  ImageHeader h = b_.header;
  h.version.patch = 7;
  const auto bytes = encode_image_header(h);
  std::copy(bytes.begin(), bytes.end(), src_b_->data.begin());
  EXPECT_EQ(run(test_policy(), &verifier).failure.reason, FailReason::kBadSignature);
  expect_untouched();
}

TEST_F(EngineTest, RefusesAnUnknownKey) {
  FakeVerifier verifier;
  set_release(Version{2, 0, 0, 0}, 3000, 5, "demo", &verifier);
  FakeVerifier other = verifier;
  other.known_id = {9, 9, 9, 9, 9, 9, 9, 9};
  EXPECT_EQ(run(test_policy(), &other).failure.reason, FailReason::kUnknownKey);
  expect_untouched();
}

TEST_F(EngineTest, RefusesUnsignedImagesWhenASignatureIsRequired) {
  FakeVerifier verifier;
  Policy p = test_policy();
  p.require_signature = true;
  EXPECT_EQ(run(p, &verifier).failure.reason, FailReason::kUnsigned);
  expect_untouched();
  set_release(Version{2, 0, 0, 0}, 3000, 5, "demo", &verifier);
  EXPECT_EQ(run(p, nullptr).failure.reason, FailReason::kNoVerifier);
  expect_untouched();
}

TEST_F(EngineTest, RefusesATruncatedOrDamagedHeader) {
  src_b_.emplace(std::vector<uint8_t>(b_.file.begin(), b_.file.begin() + 300));
  EXPECT_EQ(run(test_policy()).failure.reason, FailReason::kTruncated);
  expect_untouched();
  auto damaged = b_.file;
  damaged[20] ^= 1;
  src_b_.emplace(damaged);
  const Outcome out = run(test_policy());
  EXPECT_EQ(out.failure.reason, FailReason::kBadHeader);
  EXPECT_EQ(out.failure.header, HeaderError::kBadHeaderCrc);
  expect_untouched();
}

TEST_F(EngineTest, RefusesWhenTheReleaseHasNoImageForTheSlot) {
  Engine engine(target_, clock_, reporter_, nullptr, nullptr);
  const Outcome out = engine.run(Release{{&*src_a_, nullptr}}, test_policy());
  EXPECT_EQ(out.failure.reason, FailReason::kNoImageForSlot);
  expect_untouched();
}

TEST_F(EngineTest, NoDeviceTouchesNothing) {
  target_.fail_open = true;
  const Outcome out = run(test_policy());
  EXPECT_EQ(out.failure.reason, FailReason::kNoDevice);
  EXPECT_EQ(out.failure.target, TargetError::kTimeout);
  expect_untouched();
}

TEST_F(EngineTest, NeverCommitsATamperedPayload) {
  src_b_->data[5000] ^= 0x01;  // one bit in the payload; the header is intact
  const Outcome out = run(test_policy());
  EXPECT_EQ(out.state, State::kFailed);
  EXPECT_EQ(out.failure.reason, FailReason::kPayloadMismatch);
  EXPECT_EQ(out.failure.header, HeaderError::kPayloadCrcMismatch);
  EXPECT_EQ(target_.commits, 0u);
  EXPECT_FALSE(info(Slot::kB).header_verdict.ok());  // the header block was never written
  EXPECT_EQ(info(Slot::kA).state, bootcore::SlotState::kConfirmed);
}

TEST_F(EngineTest, RefusesASourceLongerThanTheImage) {
  src_b_->data.push_back(0);
  EXPECT_EQ(run(test_policy()).failure.reason, FailReason::kSourceTooLarge);
  EXPECT_EQ(target_.commits, 0u);
}

TEST_F(EngineTest, RefusesATruncatedBody) {
  src_b_->data.resize(src_b_->data.size() - 100);
  EXPECT_EQ(run(test_policy()).failure.reason, FailReason::kTruncated);
  EXPECT_EQ(target_.commits, 0u);
}

TEST_F(EngineTest, ATargetFailingMidWriteLeavesThePreviousImageBootable) {
  target_.fail_write_at = 30;
  const Outcome out = run(test_policy());
  EXPECT_EQ(out.state, State::kFailed);
  EXPECT_EQ(out.failure.reason, FailReason::kWriteFailed);
  EXPECT_EQ(out.failure.target, TargetError::kLink);
  EXPECT_EQ(out.failure.address, flash_map::slot_address(Slot::kB) + 512 + 30 * 256);
  EXPECT_EQ(target_.commits, 0u);
  bootcore::MetaLog log(flash_);
  bootcore::SoftwareCrc32Engine crc;
  const auto boot = bootcore::run_boot(flash_, log, crc);
  EXPECT_EQ(boot.slot, Slot::kA);
  EXPECT_TRUE(boot.boots());
}

TEST_F(EngineTest, ReportsTheFailureReasonWithTheFailedState) {
  target_.fail_write_at = 3;
  (void)run(test_policy());
  ASSERT_FALSE(reporter_.events.empty());
  EXPECT_EQ(reporter_.events.back().state, State::kFailed);
  EXPECT_EQ(reporter_.events.back().reason, FailReason::kWriteFailed);
  EXPECT_STREQ(to_string(State::kFailed), "failed");
  EXPECT_STREQ(to_string(FailReason::kWriteFailed), "write-failed");
  EXPECT_TRUE(device_side(reporter_.events.back().reason));
}

// Device-side failures (a Target call failed) are the ones the agent retries and the gateway
// explains with the target's error; a release the engine refuses is not one of them.
TEST(FailReasonTest, DeviceSideIsTheTargetsFailuresOnly) {
  for (FailReason r : {FailReason::kNoDevice, FailReason::kBootLog, FailReason::kPrepareFailed,
                       FailReason::kEraseFailed, FailReason::kWriteFailed, FailReason::kReadFailed,
                       FailReason::kCommitFailed, FailReason::kRebootFailed,
                       FailReason::kObserveFailed, FailReason::kOutcomeUnreadable}) {
    EXPECT_TRUE(device_side(r)) << to_string(r);
  }
  for (FailReason r : {FailReason::kNone, FailReason::kBadHeader, FailReason::kBadSignature,
                       FailReason::kPayloadMismatch, FailReason::kReadbackMismatch,
                       FailReason::kCancelled, FailReason::kNoVerdict, FailReason::kSourceFailed}) {
    EXPECT_FALSE(device_side(r)) << to_string(r);
  }
}

TEST_F(EngineTest, AnImageThatNeverConfirmsIsReverted) {
  target_.app_confirms = false;
  Policy p = test_policy();
  p.confirm_timeout_ms = 5'000;  // three trial boots fit the 60 s outcome window
  const Outcome out = run(p);
  EXPECT_EQ(out.state, State::kReverted);
  EXPECT_EQ(reporter_.events.back().state, State::kReverted);
  // Supervision reset it after each trial boot until the bootloader gave up.
  EXPECT_EQ(reporter_.count(Note::kTrialReset), 3u);
  EXPECT_EQ(info(Slot::kB).state, bootcore::SlotState::kRejected);
  EXPECT_EQ(info(Slot::kA).state, bootcore::SlotState::kConfirmed);
}

// With the default timeouts (20 s per trial, 60 s for the verdict) three supervised trials take
// longer than one verdict window: each reset restarts the wait, so the revert is still seen.
TEST_F(EngineTest, DefaultTimeoutsSeeTheRevertAfterThreeSupervisedTrials) {
  target_.app_confirms = false;
  const Policy p = test_policy();
  ASSERT_EQ(p.confirm_timeout_ms, 20'000u);
  ASSERT_EQ(p.outcome_timeout_ms, 60'000u);
  const Outcome out = run(p);
  EXPECT_EQ(out.state, State::kReverted) << to_string(out.failure.reason);
  EXPECT_EQ(reporter_.count(Note::kTrialReset), 3u);
  EXPECT_EQ(info(Slot::kB).state, bootcore::SlotState::kRejected);
}

TEST_F(EngineTest, NoVerdictStaysOnTrial) {
  target_.app_confirms = false;
  target_.resettable = false;
  Policy p = test_policy();
  p.outcome_timeout_ms = 2'000;
  const Outcome out = run(p);
  EXPECT_EQ(out.state, State::kTrial);
  EXPECT_EQ(out.failure.reason, FailReason::kNoVerdict);
  EXPECT_EQ(out.failure.attempts, 1u);
  EXPECT_EQ(reporter_.count(Note::kNoVerdictYet), 1u);
}

TEST_F(EngineTest, NotWaitingEndsOnTrial) {
  Policy p = test_policy();
  p.wait_outcome = false;
  const Outcome out = run(p);
  EXPECT_EQ(out.state, State::kTrial);
  EXPECT_EQ(out.failure.reason, FailReason::kNone);
  EXPECT_EQ(info(Slot::kB).state, bootcore::SlotState::kTrial);
}

TEST_F(EngineTest, CorruptionOnTheLineIsCaughtByTheBootloaderOrTheReadback) {
  target_.flip_in_write = 10;  // the target acks a block that is not what was sent
  Outcome out = run(test_policy());
  EXPECT_EQ(out.state, State::kReverted);
  EXPECT_EQ(reporter_.count(Note::kImageInvalid), 1u);
  EXPECT_EQ(info(Slot::kA).state, bootcore::SlotState::kConfirmed);
}

TEST_F(EngineTest, ReadbackRefusesToCommitWhatTheFlashDoesNotHold) {
  target_.flip_in_write = 10;
  Policy p = test_policy();
  p.readback = true;
  const Outcome out = run(p);
  EXPECT_EQ(out.failure.reason, FailReason::kReadbackMismatch);
  EXPECT_EQ(out.failure.address, flash_map::slot_address(Slot::kB) + 512 + 10 * 256);
  EXPECT_EQ(target_.commits, 0u);
}

TEST_F(EngineTest, SlotCanBeForced) {
  Policy p = test_policy();
  p.slot = SlotChoice::kA;  // overwrite the running slot on purpose (factory use)
  p.version = VersionPolicy::kAny;
  p.match_running_product = false;
  const Outcome out = run(p);
  EXPECT_EQ(out.slot, Slot::kA);
  EXPECT_EQ(out.state, State::kConfirmed);
  EXPECT_TRUE(slot_holds(Slot::kA, a_));
}

// ---- resume ----

TEST_F(EngineTest, ResumesAfterAFailureMidWrite) {
  MemoryStore store;
  target_.fail_write_at = 50;
  Outcome first = run(test_policy(), nullptr, &store);
  ASSERT_EQ(first.failure.reason, FailReason::kWriteFailed);
  ASSERT_FALSE(store.bytes.empty());
  target_.fail_write_at = -1;
  const uint64_t writes_before = target_.writes;
  const size_t erases_before = target_.erased.size();
  const Outcome second = run(test_policy(), nullptr, &store);
  EXPECT_EQ(second.state, State::kConfirmed) << to_string(second.failure.reason);
  EXPECT_TRUE(second.resumed);
  EXPECT_EQ(second.resumed_from, 512u + 50 * 256);
  EXPECT_EQ(target_.erased.size(), erases_before);  // no second erase
  const uint64_t total_blocks = (b_.file.size() + 255) / 256;
  EXPECT_EQ(target_.writes - writes_before, total_blocks - 50);
  EXPECT_TRUE(slot_holds(Slot::kB, b_));
  EXPECT_TRUE(store.bytes.empty());  // cleared after the commit
  const std::vector<State> expected = {State::kChecking,   State::kDownloading, State::kVerifying,
                                       State::kCommitting, State::kRebooting,   State::kTrial,
                                       State::kConfirmed};
  const auto states = reporter_.states();
  EXPECT_EQ(std::vector<State>(states.end() - static_cast<long>(expected.size()), states.end()),
            expected);
}

TEST_F(EngineTest, ResumesFromTheLastSavedPointAfterAHostCrash) {
  // The host dies: the store holds an older point than what the device has (saves are bounded),
  // and the blocks after it are already written.
  MemoryStore store;
  store.freeze_after = 3;  // later saves are lost with the process
  target_.fail_write_at = 70;
  (void)run(test_policy(), nullptr, &store);
  const auto saved = decode_progress(store.bytes);
  ASSERT_TRUE(saved.ok());
  EXPECT_EQ(saved.value().phase, ProgressPhase::kWriting);
  EXPECT_LT(saved.value().bytes_written, 512u + 70 * 256);
  store.freeze_after = -1;
  target_.fail_write_at = -1;
  const Outcome out = run(test_policy(), nullptr, &store);
  EXPECT_EQ(out.state, State::kConfirmed) << to_string(out.failure.reason);
  EXPECT_TRUE(out.resumed);
  EXPECT_EQ(out.resumed_from, saved.value().bytes_written);
  EXPECT_TRUE(slot_holds(Slot::kB, b_));
}

TEST_F(EngineTest, ResumesAfterTheHeaderWriteFailed) {
  MemoryStore store;
  const uint64_t blocks = (b_.file.size() + 255) / 256;
  target_.fail_write_at = static_cast<int64_t>(blocks) - 1;  // the second header block
  EXPECT_EQ(run(test_policy(), nullptr, &store).failure.reason, FailReason::kWriteFailed);
  ASSERT_EQ(decode_progress(store.bytes).value().phase, ProgressPhase::kWritten);
  target_.fail_write_at = -1;
  const uint64_t writes_before = target_.writes;
  const Outcome out = run(test_policy(), nullptr, &store);
  EXPECT_EQ(out.state, State::kConfirmed);
  EXPECT_TRUE(out.resumed);
  EXPECT_EQ(target_.writes - writes_before, 2u);  // only the header blocks
}

TEST_F(EngineTest, ACommittedImageThatNeverBootedIsNotWrittenAgain) {
  // The host stopped between the commit and the reset (killed, power lost): the slot holds the
  // release committed as TRIAL, never booted, and the resume point went with the commit.
  MemoryStore store;
  target_.fail_reboot = true;
  EXPECT_EQ(run(test_policy(), nullptr, &store).failure.reason, FailReason::kRebootFailed);
  ASSERT_EQ(info(Slot::kB).state, bootcore::SlotState::kTrial);
  ASSERT_EQ(info(Slot::kB).attempts, 0u);
  target_.fail_reboot = false;
  const uint64_t writes_before = target_.writes;
  const auto erased_before = target_.erased.size();
  const Outcome out = run(test_policy(), nullptr, &store);
  EXPECT_EQ(out.state, State::kConfirmed) << to_string(out.failure.reason);
  EXPECT_EQ(reporter_.count(Note::kCommittedAlready), 1u);
  EXPECT_TRUE(out.resumed);
  EXPECT_EQ(target_.erased.size(), erased_before);  // nothing erased
  EXPECT_EQ(target_.writes - writes_before, 2u);    // only the header blocks, same bytes
  EXPECT_TRUE(slot_holds(Slot::kB, b_));
  EXPECT_EQ(info(Slot::kB).state, bootcore::SlotState::kConfirmed);
}

TEST_F(EngineTest, AnInterruptedTrialWithAttemptsLeftIsNotWrittenAgain) {
  // The host stopped while the new image ran on trial, before it confirmed: one boot attempt
  // spent. The rerun commits it anew without erasing or streaming, and it confirms.
  Policy no_wait = test_policy();
  no_wait.wait_outcome = false;
  ASSERT_EQ(run(no_wait).state, State::kTrial);
  target_.app_confirms = false;
  Observation seen = Observation::kNothing;
  ASSERT_EQ(target_.observe(Slot::kB, 0, seen), TargetError::kOk);
  ASSERT_EQ(seen, Observation::kBooted);
  ASSERT_EQ(info(Slot::kB).state, bootcore::SlotState::kTrial);
  ASSERT_EQ(info(Slot::kB).attempts, 1u);
  ASSERT_LT(info(Slot::kB).attempts, info(Slot::kB).max_attempts);
  target_.app_confirms = true;
  const uint64_t writes_before = target_.writes;
  const auto erased_before = target_.erased.size();
  const Outcome out = run(test_policy());
  EXPECT_EQ(out.state, State::kConfirmed) << to_string(out.failure.reason);
  EXPECT_EQ(reporter_.count(Note::kCommittedAlready), 1u);
  EXPECT_EQ(target_.erased.size(), erased_before);
  EXPECT_EQ(target_.writes - writes_before, 2u);
  EXPECT_EQ(info(Slot::kB).state, bootcore::SlotState::kConfirmed);
}

TEST_F(EngineTest, ACommittedTrialOfAnotherImageIsOverwritten) {
  // Same slot state, another release (other payload): a normal install over it.
  target_.fail_reboot = true;
  EXPECT_EQ(run(test_policy()).failure.reason, FailReason::kRebootFailed);
  target_.fail_reboot = false;
  set_release(Version{2, 0, 0, 2}, 20'000, 7);
  const Outcome out = run(test_policy());
  EXPECT_EQ(out.state, State::kConfirmed) << to_string(out.failure.reason);
  EXPECT_EQ(reporter_.count(Note::kCommittedAlready), 0u);
  EXPECT_TRUE(slot_holds(Slot::kB, b_));
}

TEST_F(EngineTest, ReleaseChangeRestarts) {
  MemoryStore store;
  ASSERT_TRUE(interrupted_at_block_40(store));
  set_release(Version{3, 0, 0, 0}, 20'000, 9);
  const size_t erases_before = target_.erased.size();
  expect_started_over(store);
  EXPECT_EQ(reporter_.count(Note::kResumeRejected), 1u);
  EXPECT_EQ(target_.erased.size(), erases_before + 1);
}

TEST_F(EngineTest, EtagChangeRestarts) {
  MemoryStore store;
  set_release(Version{2, 0, 0, 2}, 20'000, 2, "demo", nullptr, "\"etag-1\"");
  ASSERT_TRUE(interrupted_at_block_40(store));
  set_release(Version{2, 0, 0, 2}, 20'000, 2, "demo", nullptr, "\"etag-2\"");
  expect_started_over(store);
  EXPECT_EQ(reporter_.count(Note::kResumeRejected), 1u);
}

TEST_F(EngineTest, TornProgressRecordRestarts) {
  MemoryStore store;
  ASSERT_TRUE(interrupted_at_block_40(store));
  store.bytes.resize(100);  // torn write of the record
  expect_started_over(store);
  EXPECT_EQ(reporter_.count(Note::kResumeRejected), 1u);
}

TEST_F(EngineTest, ATailThatDoesNotHoldTheImageRestarts) {
  MemoryStore store;
  ASSERT_TRUE(interrupted_at_block_40(store));
  // Something changed the written part meanwhile (another tool, a partial erase).
  clear_word_in_b(512 + 39 * 256 + 8);
  expect_started_over(store);
  EXPECT_EQ(reporter_.count(Note::kResumeRejected), 1u);
}

TEST_F(EngineTest, ANextBlockThatCannotBeWrittenRestarts) {
  MemoryStore store;
  ASSERT_TRUE(interrupted_at_block_40(store));
  // Bits cleared that the image needs set: writing over them cannot give the image.
  clear_word_in_b(512 + 40 * 256);
  expect_started_over(store);
}

TEST_F(EngineTest, AnotherDeviceDoesNotResume) {
  MemoryStore store;
  ASSERT_TRUE(interrupted_at_block_40(store));
  target_.uid[0] ^= 0xFF;
  expect_started_over(store);
}

TEST_F(EngineTest, StopRequestStopsAtASafePointAndResumes) {
  MemoryStore store;
  class StoppingReporter final : public Reporter {
   public:
    void on_state(State, const Failure&) override {}
    void on_progress(Step step, uint32_t done, uint32_t) override {
      if (step == Step::kWrite && done >= 8 * 1024 && engine != nullptr) engine->request_stop();
    }
    Engine* engine = nullptr;
  } stopper;
  Engine engine(target_, clock_, stopper, nullptr, &store);
  stopper.engine = &engine;
  const Outcome first = engine.run(release(), test_policy());
  EXPECT_EQ(first.failure.reason, FailReason::kCancelled);
  EXPECT_EQ(target_.commits, 0u);
  stopper.engine = nullptr;
  const Outcome second = engine.run(release(), test_policy());
  EXPECT_EQ(second.state, State::kConfirmed);
  EXPECT_TRUE(second.resumed);
  EXPECT_TRUE(slot_holds(Slot::kB, b_));
}

TEST_F(EngineTest, ASourceChangingUnderneathFailsAndForgetsTheResumePoint) {
  MemoryStore store;
  src_b_->change_at_read = 20;
  const Outcome out = run(test_policy(), nullptr, &store);
  EXPECT_EQ(out.failure.reason, FailReason::kReleaseChanged);
  EXPECT_TRUE(store.bytes.empty());
  EXPECT_EQ(target_.commits, 0u);
}

TEST_F(EngineTest, ANetworkFailureKeepsTheResumePoint) {
  MemoryStore store;
  src_b_->fail_at_read = 30;
  const Outcome first = run(test_policy(), nullptr, &store);
  EXPECT_EQ(first.failure.reason, FailReason::kSourceFailed);
  ASSERT_FALSE(store.bytes.empty());
  src_b_->fail_at_read = -1;
  const uint64_t read_before = src_b_->bytes_read;
  const Outcome second = run(test_policy(), nullptr, &store);
  EXPECT_EQ(second.state, State::kConfirmed);
  EXPECT_TRUE(second.resumed);
  EXPECT_EQ(second.resumed_from, 512u + 29 * 256);  // the failed read was the 30th block
  // Re-read: the header, the checked tail, the next block and the rest; not the whole image.
  const uint64_t rest = b_.file.size() - second.resumed_from;
  EXPECT_LE(src_b_->bytes_read - read_before, rest + 512 + 2048 + 256);
}

TEST_F(EngineTest, AFailingStoreDoesNotStopTheUpdate) {
  MemoryStore store;
  store.fail_saves = true;
  const Outcome out = run(test_policy(), nullptr, &store);
  EXPECT_EQ(out.state, State::kConfirmed);
  EXPECT_EQ(reporter_.count(Note::kProgressSaveFailed), 1u);
}

TEST(EngineBudget, FitsTheBufferBudget) {
  EXPECT_LE(sizeof(Engine), 8u * 1024);
}

// A host-side wrapper over the engine's target: counts commits, can be pointed elsewhere.
class CountingTarget final : public ForwardingTarget {
 public:
  explicit CountingTarget(Target* to) : ForwardingTarget(to) {}
  using ForwardingTarget::forward_to;
  TargetError commit(flash_map::Slot slot, const ImageHeader& header) override {
    ++commits;
    return ForwardingTarget::commit(slot, header);
  }
  int commits = 0;
};

TEST_F(EngineTest, AForwardingTargetRunsTheWholeUpdateOnTheTargetItForwardsTo) {
  CountingTarget forwarding(&target_);
  Engine engine(forwarding, clock_, reporter_, nullptr, nullptr);
  const Outcome out = engine.run(release(), test_policy());
  EXPECT_EQ(out.state, State::kConfirmed) << to_string(out.failure.reason);
  EXPECT_TRUE(slot_holds(Slot::kB, b_));
  EXPECT_EQ(forwarding.commits, 1);
  EXPECT_EQ(target_.commits, 1u);
  EXPECT_EQ(target_.erased, std::vector<unsigned>{8});
  EXPECT_GT(target_.writes, 0u);
}

TEST_F(EngineTest, AForwardingTargetSwitchedBetweenUpdatesUsesTheNewTarget) {
  FakeFlash other_flash;
  FakeTarget unused(other_flash, clock_);
  CountingTarget forwarding(&unused);
  forwarding.forward_to(&target_);
  Engine engine(forwarding, clock_, reporter_, nullptr, nullptr);
  EXPECT_EQ(engine.run(release(), test_policy()).state, State::kConfirmed);
  EXPECT_EQ(unused.opens, 0u);
  EXPECT_EQ(unused.writes, 0u);
  EXPECT_GT(target_.opens, 0u);
}

}  // namespace
}  // namespace fota::update::test
