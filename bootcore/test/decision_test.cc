// SPDX-License-Identifier: Apache-2.0
// One test per row of the decision table (docs/bootloader.md).
#include "bootcore/decision.h"

#include <gtest/gtest.h>

namespace fota::bootcore {
namespace {

using flash_map::Slot;

SlotView image(uint32_t crc, uint32_t version) {
  SlotView v;
  v.header_ok = true;
  v.payload_crc32 = crc;
  v.version = version;
  return v;
}

void with_record(SlotView& v, Slot slot, RecordState state, uint32_t seq, uint8_t attempts = 0,
                 uint32_t crc = 0) {
  v.newest.present = true;
  v.newest.record.slot = slot;
  v.newest.record.state = state;
  v.newest.record.sequence = seq;
  v.newest.record.attempts = attempts;
  v.newest.record.image_crc32 = crc != 0 ? crc : v.payload_crc32;
}

struct Fixture : ::testing::Test {
  DecisionInput in;
  SlotView& a = in.slots[0];
  SlotView& b = in.slots[1];
  void SetUp() override {
    a = image(0xA, 0x0100'0000);
    b = image(0xB, 0x0200'0000);
    with_record(a, Slot::kA, RecordState::kConfirmed, 5);
  }
};

using BootcoreDecision = Fixture;

TEST_F(BootcoreDecision, ConfirmedVerifiesCrcThenBoots) {
  Step s = decide(in);
  EXPECT_EQ(s.action, Action::kVerify);
  EXPECT_EQ(s.row, Row::kConfirmedVerify);
  EXPECT_EQ(s.slot, Slot::kA);
  EXPECT_FALSE(s.with_sha);
  a.payload = PayloadState::kCrcOk;
  s = decide(in);
  EXPECT_EQ(s.action, Action::kBootConfirmed);
  EXPECT_EQ(s.row, Row::kConfirmedBoot);
  EXPECT_FALSE(s.append);
}

TEST_F(BootcoreDecision, UnrecordedImageDoesNotBeatAConfirmedOne) {
  a.payload = PayloadState::kCrcOk;  // B holds a newer image but the host never committed it
  EXPECT_EQ(decide(in).action, Action::kBootConfirmed);
  EXPECT_EQ(decide(in).slot, Slot::kA);
}

TEST_F(BootcoreDecision, NewTrialIsShaCheckedThenBootedWithAttemptCounted) {
  with_record(b, Slot::kB, RecordState::kTrial, 6, 0);
  b.newest.record.max_attempts = 4;
  Step s = decide(in);
  EXPECT_EQ(s.row, Row::kTrialVerify);
  EXPECT_EQ(s.slot, Slot::kB);
  EXPECT_TRUE(s.with_sha);
  b.payload = PayloadState::kCrcOk;  // CRC alone is not enough on the first boot
  EXPECT_EQ(decide(in).row, Row::kTrialVerify);
  b.payload = PayloadState::kFullOk;
  s = decide(in);
  EXPECT_EQ(s.action, Action::kBootTrial);
  EXPECT_EQ(s.row, Row::kTrialBoot);
  ASSERT_TRUE(s.append);
  EXPECT_EQ(s.record.state, RecordState::kTrial);
  EXPECT_EQ(s.record.attempts, 1);
  EXPECT_EQ(s.record.max_attempts, 4);
  EXPECT_EQ(s.record.image_crc32, 0xBu);
  EXPECT_EQ(s.record.writer, RecordWriter::kBootloader);
}

TEST_F(BootcoreDecision, LaterTrialAttemptsCheckCrcOnly) {
  with_record(b, Slot::kB, RecordState::kTrial, 6, 2);
  Step s = decide(in);
  EXPECT_EQ(s.row, Row::kTrialVerify);
  EXPECT_FALSE(s.with_sha);
  b.payload = PayloadState::kCrcOk;
  s = decide(in);
  EXPECT_EQ(s.row, Row::kTrialBoot);
  EXPECT_EQ(s.record.attempts, 3);
}

TEST_F(BootcoreDecision, ExhaustedTrialIsRejectedThenConfirmedSlotBoots) {
  with_record(b, Slot::kB, RecordState::kTrial, 6, kDefaultMaxAttempts);
  Step s = decide(in);
  EXPECT_EQ(s.action, Action::kReject);
  EXPECT_EQ(s.row, Row::kTrialExhausted);
  EXPECT_EQ(s.record.state, RecordState::kRejected);
  EXPECT_EQ(s.record.reason, RecordReason::kAttemptsExhausted);
  with_record(b, Slot::kB, RecordState::kRejected, 7);
  a.payload = PayloadState::kCrcOk;
  s = decide(in);
  EXPECT_EQ(s.action, Action::kBootConfirmed);
  EXPECT_EQ(s.slot, Slot::kA);
}

TEST_F(BootcoreDecision, InvalidTrialIsRejected) {
  with_record(b, Slot::kB, RecordState::kTrial, 6, 0);
  b.payload = PayloadState::kInvalid;
  const Step s = decide(in);
  EXPECT_EQ(s.row, Row::kTrialInvalid);
  EXPECT_EQ(s.record.reason, RecordReason::kImageInvalid);
}

TEST_F(BootcoreDecision, RecordForAnotherImageDoesNotApply) {
  with_record(b, Slot::kB, RecordState::kConfirmed, 9, 0, /*crc=*/0x1234);
  EXPECT_EQ(effective_state(b), SlotState::kNone);
  a.payload = PayloadState::kCrcOk;
  EXPECT_EQ(decide(in).slot, Slot::kA);
}

TEST_F(BootcoreDecision, NewestConfirmedWinsAndDamagedConfirmedFallsBack) {
  with_record(b, Slot::kB, RecordState::kConfirmed, 8);
  EXPECT_EQ(decide(in).slot, Slot::kB);
  b.payload = PayloadState::kInvalid;  // no REJECTED appended for a confirmed image
  const Step s = decide(in);
  EXPECT_EQ(s.row, Row::kConfirmedVerify);
  EXPECT_EQ(s.slot, Slot::kA);
}

TEST_F(BootcoreDecision, EmptyLogBootsHighestVersionOnTrialNeverConfirmed) {
  a.newest = {};
  Step s = decide(in);
  EXPECT_EQ(s.row, Row::kUnknownVerify);
  EXPECT_EQ(s.slot, Slot::kB);  // 2.0.0 > 1.0.0
  EXPECT_TRUE(s.with_sha);
  b.payload = PayloadState::kInvalid;
  s = decide(in);
  EXPECT_EQ(s.slot, Slot::kA);
  a.payload = PayloadState::kFullOk;
  s = decide(in);
  EXPECT_EQ(s.action, Action::kBootTrial);
  EXPECT_EQ(s.row, Row::kUnknownBoot);
  EXPECT_EQ(s.record.state, RecordState::kTrial);
  EXPECT_EQ(s.record.attempts, 1);
  EXPECT_EQ(s.record.reason, RecordReason::kRecovered);
}

TEST_F(BootcoreDecision, OnlyRejectedIntactImageBootsAsLastResort) {
  with_record(a, Slot::kA, RecordState::kRejected, 5);
  b.header_ok = false;
  Step s = decide(in);
  EXPECT_EQ(s.row, Row::kLastResortVerify);
  a.payload = PayloadState::kFullOk;
  s = decide(in);
  EXPECT_EQ(s.action, Action::kBootLastResort);
  EXPECT_FALSE(s.append);
}

TEST_F(BootcoreDecision, NothingIntactMeansNoImage) {
  a.payload = PayloadState::kInvalid;
  b.header_ok = false;
  const Step s = decide(in);
  EXPECT_EQ(s.action, Action::kNoImage);
  EXPECT_EQ(s.row, Row::kNoImage);
}

TEST_F(BootcoreDecision, SkippedSlotIsNotTriedAgain) {
  with_record(b, Slot::kB, RecordState::kTrial, 6, kDefaultMaxAttempts);
  b.skip = true;  // the REJECTED append failed
  a.payload = PayloadState::kCrcOk;
  EXPECT_EQ(decide(in).slot, Slot::kA);
}

}  // namespace
}  // namespace fota::bootcore
