// SPDX-License-Identifier: Apache-2.0
#include "bootcore/boot.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "test_support.h"

namespace fota::bootcore::test {
namespace {

using flash_map::Slot;

class BootcoreBoot : public ::testing::Test {
 protected:
  // Slot A holds v1, booted once and confirmed.
  void confirmed_v1_in_a() {
    const TestImage a = make_image(Slot::kA, Version{1, 0, 0, 1}, 600, 1);
    ASSERT_EQ(write_image(f, Slot::kA, a), FlashStatus::kOk);
    ASSERT_TRUE(run_boot(f, log, crc).boots());
    ASSERT_EQ(confirm(f, log, Slot::kA), ConfirmStatus::kConfirmed);
  }

  FakeFlash f;
  MetaLog log{f};
  SoftwareCrc32Engine crc;
};

TEST_F(BootcoreBoot, FreshDeviceFirstBootThenConfirmIsIdempotent) {
  const TestImage a = make_image(Slot::kA, Version{1, 0, 0, 1}, 1000, 1);
  ASSERT_EQ(write_image(f, Slot::kA, a), FlashStatus::kOk);
  BootOutcome out = run_boot(f, log, crc);
  ASSERT_TRUE(out.boots());
  EXPECT_TRUE(out.log_empty);
  EXPECT_EQ(out.action, Action::kBootTrial);
  EXPECT_EQ(out.row, Row::kUnknownBoot);
  EXPECT_EQ(out.slot, Slot::kA);
  EXPECT_EQ(out.attempt, 1);
  EXPECT_EQ(out.header.version.packed(), 0x0100'0000u);
  EXPECT_EQ(out.image_error[1], HeaderError::kErased);

  EXPECT_EQ(confirm(f, log, Slot::kA), ConfirmStatus::kConfirmed);
  const uint64_t steps = f.steps();
  EXPECT_EQ(confirm(f, log, Slot::kA), ConfirmStatus::kAlreadyConfirmed);
  EXPECT_EQ(f.steps(), steps);
  EXPECT_EQ(confirm(f, log, Slot::kB), ConfirmStatus::kNoImage);

  out = run_boot(f, log, crc);
  EXPECT_EQ(out.action, Action::kBootConfirmed);
  EXPECT_EQ(f.steps(), steps);  // a confirmed boot writes nothing
  const SlotInfo info = slot_info(f, log, Slot::kA);
  EXPECT_EQ(info.state, SlotState::kConfirmed);
  EXPECT_TRUE(info.header_verdict.ok());
}

TEST_F(BootcoreBoot, TrialRevertsAfterMaxAttempts) {
  ASSERT_NO_FATAL_FAILURE(confirmed_v1_in_a());
  const TestImage b = make_image(Slot::kB, Version{2, 0, 0, 1}, 700, 2);

  UnmappedFlash host(f);
  ASSERT_EQ(write_image(host, Slot::kB, b), FlashStatus::kOk);
  MetaLog host_log(host);
  ASSERT_EQ(request_trial(host_log, Slot::kB, b.header, 2), LogStatus::kOk);
  for (uint8_t attempt = 1; attempt <= 2; ++attempt) {
    const BootOutcome out = run_boot(f, log, crc);
    EXPECT_EQ(out.action, Action::kBootTrial);
    EXPECT_EQ(out.slot, Slot::kB);
    EXPECT_EQ(out.attempt, attempt);
    EXPECT_EQ(out.max_attempts, 2);
  }
  const BootOutcome out = run_boot(f, log, crc);
  EXPECT_EQ(out.action, Action::kBootConfirmed);
  EXPECT_EQ(out.slot, Slot::kA);
  EXPECT_EQ(out.rejected[1], RecordReason::kAttemptsExhausted);
  EXPECT_EQ(slot_info(f, log, Slot::kB).state, SlotState::kRejected);
  // The confirmed image keeps booting; a rejected image is never booted while it does.
  EXPECT_EQ(run_boot(f, log, crc).slot, Slot::kA);
}

TEST_F(BootcoreBoot, LastResortImageThatPassesItsSelfTestIsConfirmedAgain) {
  const TestImage a = make_image(Slot::kA, Version{1, 0, 0, 1}, 600, 1);
  ASSERT_EQ(write_image(f, Slot::kA, a), FlashStatus::kOk);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(run_boot(f, log, crc).action, Action::kBootTrial);
  BootOutcome out = run_boot(f, log, crc);  // attempts used up (say, by power cuts)
  EXPECT_EQ(out.action, Action::kBootLastResort);
  EXPECT_EQ(out.rejected[0], RecordReason::kAttemptsExhausted);
  EXPECT_EQ(run_boot(f, log, crc).action, Action::kBootLastResort);
  EXPECT_EQ(confirm(f, log, Slot::kA), ConfirmStatus::kConfirmed);
  EXPECT_EQ(run_boot(f, log, crc).action, Action::kBootConfirmed);
}

TEST_F(BootcoreBoot, CorruptTrialPayloadNeverBoots) {
  ASSERT_NO_FATAL_FAILURE(confirmed_v1_in_a());
  TestImage b = make_image(Slot::kB, Version{2, 0, 0, 1}, 700, 2);
  b.bytes[600] ^= 0x01;
  ASSERT_EQ(write_image(f, Slot::kB, b), FlashStatus::kOk);
  ASSERT_EQ(request_trial(log, Slot::kB, b.header), LogStatus::kOk);
  const BootOutcome out = run_boot(f, log, crc);
  EXPECT_EQ(out.slot, Slot::kA);
  EXPECT_EQ(out.rejected[1], RecordReason::kImageInvalid);
  EXPECT_EQ(out.image_error[1], HeaderError::kPayloadCrcMismatch);
}

TEST_F(BootcoreBoot, SoftwareCrcEngineGivesTheSameOverReadsAndMappedView) {
  const TestImage a = make_image(Slot::kA, Version{1, 0, 0, 1}, 5000, 3);
  ASSERT_EQ(write_image(f, Slot::kA, a), FlashStatus::kOk);
  UnmappedFlash host(f);
  const auto direct = crc.crc32(f, 0x0802'0200, 5000);
  const auto chunked = crc.crc32(host, 0x0802'0200, 5000);
  ASSERT_TRUE(direct && chunked);
  EXPECT_EQ(direct.value(), a.header.payload_crc32);
  EXPECT_EQ(chunked.value(), a.header.payload_crc32);
  EXPECT_EQ(f.read_calls(), (5000 + 255) / 256);
  EXPECT_TRUE(check_slot_payload(host, Slot::kA, a.header, crc, true).ok());
}

TEST_F(BootcoreBoot, CrcUnitEngineMatchesSoftwareOverTheMappedView) {
  const TestImage a = make_image(Slot::kA, Version{1, 0, 0, 1}, 4099, 9);  // unaligned tail
  ASSERT_EQ(write_image(f, Slot::kA, a), FlashStatus::kOk);
  uint32_t dr = 0;
  unsigned resets = 0;
  auto reset = [&] {
    dr = 0xFFFF'FFFF;
    ++resets;
  };
  auto feed = [&](uint32_t word) { return dr = stm32_crc_unit_update(dr, word); };
  CrcUnitEngine unit(reset, feed);
  const auto v = unit.crc32(f, 0x0802'0200, 4099);
  ASSERT_TRUE(v);
  EXPECT_EQ(v.value(), a.header.payload_crc32);
  EXPECT_EQ(resets, 1u);
  UnmappedFlash host(f);  // no mapped view: software fallback, unit untouched
  const auto w = unit.crc32(host, 0x0802'0200, 4099);
  ASSERT_TRUE(w);
  EXPECT_EQ(w.value(), a.header.payload_crc32);
  EXPECT_EQ(resets, 1u);
  const BootOutcome out = run_boot(f, log, unit);
  EXPECT_EQ(out.action, Action::kBootTrial);
}

TEST_F(BootcoreBoot, InstallSlotNeverOverwritesTheNewestConfirmedImage) {
  ASSERT_EQ(log.load(), LogStatus::kOk);
  EXPECT_EQ(install_slot(f, log), Slot::kA);  // nothing anywhere: A first
  const TestImage a = make_image(Slot::kA, Version{1, 0, 0, 1}, 300, 1);
  const TestImage b = make_image(Slot::kB, Version{2, 0, 0, 1}, 300, 2);
  ASSERT_EQ(write_image(f, Slot::kA, a), FlashStatus::kOk);
  ASSERT_EQ(log.load(), LogStatus::kOk);
  EXPECT_EQ(install_slot(f, log), Slot::kB);
  ASSERT_TRUE(run_boot(f, log, crc).boots());
  ASSERT_EQ(log.load(), LogStatus::kOk);
  EXPECT_EQ(install_slot(f, log), Slot::kB);  // A on trial: keep it
  ASSERT_EQ(confirm(f, log, Slot::kA), ConfirmStatus::kConfirmed);
  ASSERT_EQ(write_image(f, Slot::kB, b), FlashStatus::kOk);
  ASSERT_EQ(request_trial(log, Slot::kB, b.header), LogStatus::kOk);
  ASSERT_TRUE(run_boot(f, log, crc).boots());
  ASSERT_EQ(log.load(), LogStatus::kOk);
  EXPECT_EQ(install_slot(f, log), Slot::kB);  // B on trial, A confirmed: B may be replaced
  ASSERT_EQ(confirm(f, log, Slot::kB), ConfirmStatus::kConfirmed);
  ASSERT_EQ(log.load(), LogStatus::kOk);
  EXPECT_EQ(install_slot(f, log), Slot::kA);  // B confirmed now
}

std::string line_of(const BootOutcome& o) {
  char buf[96];
  const size_t n = format_boot_line(o, buf);
  EXPECT_EQ(n, std::strlen(buf));
  return buf;
}

TEST_F(BootcoreBoot, BootLineSaysSlotVersionDecisionReason) {
  EXPECT_EQ(line_of(run_boot(f, log, crc)),
            "boot: slot=- version=- decision=none reason=no-valid-image");
  const TestImage a = make_image(Slot::kA, Version{1, 2, 13, 1}, 300, 1);
  const TestImage b = make_image(Slot::kB, Version{2, 0, 0, 1}, 300, 2);
  ASSERT_EQ(write_image(f, Slot::kA, a), FlashStatus::kOk);
  EXPECT_EQ(line_of(run_boot(f, log, crc)),
            "boot: slot=A version=1.2.13 decision=trial reason=log-empty");
  ASSERT_EQ(confirm(f, log, Slot::kA), ConfirmStatus::kConfirmed);
  EXPECT_EQ(line_of(run_boot(f, log, crc)),
            "boot: slot=A version=1.2.13 decision=confirmed reason=confirmed");
  ASSERT_EQ(write_image(f, Slot::kB, b), FlashStatus::kOk);
  ASSERT_EQ(request_trial(log, Slot::kB, b.header, 1), LogStatus::kOk);
  EXPECT_EQ(line_of(run_boot(f, log, crc)),
            "boot: slot=B version=2.0.0 decision=trial reason=attempt-1/1");
  EXPECT_EQ(line_of(run_boot(f, log, crc)),
            "boot: slot=A version=1.2.13 decision=confirmed reason=reverted-B-attempts-exhausted");
  char tiny[8];
  EXPECT_EQ(format_boot_line(run_boot(f, log, crc), tiny), 7u);
  EXPECT_STREQ(tiny, "boot: s");
}

TEST_F(BootcoreBoot, BootLineParsesWhatTheWriterWrites) {
  const std::string none = line_of(run_boot(f, log, crc));
  auto parsed = parse_boot_line(none);
  ASSERT_TRUE(parsed.has_value()) << none;
  EXPECT_FALSE(parsed->boots());
  EXPECT_EQ(parsed->version, "-");
  EXPECT_EQ(parsed->decision, "none");
  EXPECT_EQ(parsed->reason, "no-valid-image");

  const TestImage a = make_image(Slot::kA, Version{1, 2, 13, 1}, 300, 1);
  const TestImage b = make_image(Slot::kB, Version{2, 0, 0, 1}, 300, 2);
  ASSERT_EQ(write_image(f, Slot::kA, a), FlashStatus::kOk);
  ASSERT_EQ(confirm(f, log, Slot::kA), ConfirmStatus::kConfirmed);
  ASSERT_EQ(write_image(f, Slot::kB, b), FlashStatus::kOk);
  ASSERT_EQ(request_trial(log, Slot::kB, b.header, 1), LogStatus::kOk);
  const std::string trial = line_of(run_boot(f, log, crc));
  parsed = parse_boot_line(trial);
  ASSERT_TRUE(parsed.has_value()) << trial;
  EXPECT_EQ(parsed->slot, 'B');
  EXPECT_EQ(parsed->version, "2.0.0");
  EXPECT_EQ(parsed->decision, to_string(Action::kBootTrial));
  EXPECT_EQ(parsed->reason, "attempt-1/1");
  EXPECT_FALSE(parsed->image_invalid());
  const std::string reverted = line_of(run_boot(f, log, crc));
  parsed = parse_boot_line(reverted);
  ASSERT_TRUE(parsed.has_value()) << reverted;
  EXPECT_EQ(parsed->slot, 'A');
  EXPECT_EQ(parsed->decision, "confirmed");
  EXPECT_EQ(parsed->reason, "reverted-B-attempts-exhausted");

  // A corrupted payload in the trial slot: the revert names the failed check.
  ASSERT_EQ(request_trial(log, Slot::kB, b.header, 1), LogStatus::kOk);
  const uint32_t zero[1] = {0};
  ASSERT_EQ(f.program_words(flash_map::slot_address(Slot::kB) + flash_map::kHeaderSize + 8, zero),
            FlashStatus::kOk);
  const std::string invalid = line_of(run_boot(f, log, crc));
  parsed = parse_boot_line(invalid);
  ASSERT_TRUE(parsed.has_value()) << invalid;
  EXPECT_EQ(parsed->slot, 'A');
  EXPECT_TRUE(parsed->image_invalid()) << invalid;
}

// The secure bootloader's refusals (docs/security.md) are read back by the hosts.
TEST_F(BootcoreBoot, BootLineParsesRefusals) {
  auto parsed = parse_boot_line(
      "boot: slot=A version=2.0.0 decision=confirmed reason=reverted-B-untrusted "
      "refused=B:bad-signature");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->reason, "reverted-B-untrusted");
  EXPECT_EQ(parsed->refused, "B:bad-signature");
  EXPECT_EQ(parsed->refused_reason('B'), "bad-signature");
  EXPECT_EQ(parsed->refused_reason('A'), "");
  parsed = parse_boot_line(
      "boot: slot=- version=- decision=none reason=no-valid-image "
      "refused=A:below-floor,B:unsigned");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->refused_reason('A'), "below-floor");
  EXPECT_EQ(parsed->refused_reason('B'), "unsigned");
  EXPECT_FALSE(
      parse_boot_line("boot: slot=A version=1.0.0 decision=trial reason=x refused=").has_value());
  EXPECT_FALSE(parse_boot_line("boot: slot=A version=1.0.0 decision=trial reason=x refused=B:x y")
                   .has_value());
}

TEST_F(BootcoreBoot, BootLineParserRejectsOtherLines) {
  for (const char* line : {"", "boot:", "boot: slot=A", "hello", "app: confirmed",
                           "boot: slot=C version=1.0.0 decision=trial reason=x",
                           "boot: slot=A version=1.0.0 decision=trial reason=x extra",
                           "boot: slot=A version= decision=trial reason=x",
                           "boot: version=1.0.0 slot=A decision=trial reason=x"}) {
    EXPECT_FALSE(parse_boot_line(line).has_value()) << line;
  }
}

TEST_F(BootcoreBoot, WrongSlotImageIsRefused) {
  const TestImage for_a = make_image(Slot::kA, Version{3, 0, 0, 1}, 600, 4);
  ASSERT_EQ(write_image(f, Slot::kB, for_a), FlashStatus::kOk);
  const SlotHeader h = read_slot_header(f, Slot::kB);
  EXPECT_EQ(h.verdict.error, HeaderError::kWrongSlot);
  const BootOutcome out = run_boot(f, log, crc);
  EXPECT_EQ(out.action, Action::kNoImage);
  EXPECT_EQ(out.image_error[1], HeaderError::kWrongSlot);
}

}  // namespace
}  // namespace fota::bootcore::test
