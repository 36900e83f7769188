// SPDX-License-Identifier: Apache-2.0
#include "format/meta_record.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "corruption.h"
#include "format/bytes.h"
#include "format/crc32.h"
#include "format/version.h"

namespace fota {
namespace {

using flash_map::Slot;

MetaRecord sample() {
  MetaRecord r;
  r.sequence = 0x0102'0304;
  r.slot = Slot::kB;
  r.state = RecordState::kTrial;
  r.attempts = 2;
  r.max_attempts = 5;
  r.image_crc32 = 0xCAFE'F00D;
  r.version = Version{3, 1, 4}.packed();
  r.build = 99;
  r.writer = RecordWriter::kBootloader;
  r.reason = RecordReason::kTrialBoot;
  return r;
}

void reseal(std::array<uint8_t, kRecordSize>& b) {
  bytes::store_le32(&b[28], crc32(std::span<const uint8_t>(b.data(), 28)));
}

void expect_same(const MetaRecord& a, const MetaRecord& b) {
  EXPECT_EQ(a.sequence, b.sequence);
  EXPECT_EQ(a.slot, b.slot);
  EXPECT_EQ(a.state, b.state);
  EXPECT_EQ(a.attempts, b.attempts);
  EXPECT_EQ(a.max_attempts, b.max_attempts);
  EXPECT_EQ(a.image_crc32, b.image_crc32);
  EXPECT_EQ(a.version, b.version);
  EXPECT_EQ(a.build, b.build);
  EXPECT_EQ(a.writer, b.writer);
  EXPECT_EQ(a.reason, b.reason);
  EXPECT_EQ(a.security_floor, b.security_floor);
}

// The floor is stored inverted: records from before it existed (0xFFFF) read as floor 0.
TEST(MetaRecord, SecurityFloorRoundTripsAndErasedMeansZero) {
  MetaRecord m = sample();
  m.security_floor = 0x0203;
  const auto b = encode_record(m);
  EXPECT_EQ(b[26], 0xFC);
  EXPECT_EQ(b[27], 0xFD);
  auto r = parse_record(b);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->security_floor, 0x0203);
  m.security_floor = 0;
  const auto old = encode_record(m);
  EXPECT_EQ(old[26], 0xFF);
  EXPECT_EQ(old[27], 0xFF);
  EXPECT_EQ(security_level(Version{2, 3, 7, 0}.packed()), 0x0203);
}

TEST(MetaRecord, RoundTripEveryStateAndSlot) {
  for (Slot slot : {Slot::kA, Slot::kB}) {
    for (RecordState state :
         {RecordState::kTrial, RecordState::kConfirmed, RecordState::kRejected}) {
      MetaRecord m = sample();
      m.slot = slot;
      m.state = state;
      const auto b = encode_record(m);
      EXPECT_EQ(bytes::load_le32(b.data()), kRecordMagic);
      EXPECT_EQ(b[26], 0xFF);
      EXPECT_EQ(b[27], 0xFF);
      auto r = parse_record(b);
      ASSERT_TRUE(r.ok()) << to_string(r.error());
      expect_same(*r, m);
      // Word form (what the flash programs) parses back too.
      const auto words = encode_record_words(m);
      EXPECT_EQ(words[0], kRecordMagic);
      auto w = parse_record_words(words);
      ASSERT_TRUE(w.ok());
      expect_same(*w, m);
    }
  }
}

using Corruption = test::Corruption<kRecordSize, RecordError>;
using BadField = test::BadField<RecordError>;

TEST(MetaRecord, RejectsEveryCorruptedField) {
  const auto good = encode_record(sample());
  auto expect_refused = [](const std::array<uint8_t, kRecordSize>& b, const char* name,
                           RecordError expected) {
    auto r = parse_record(b);
    ASSERT_FALSE(r.ok()) << name;
    EXPECT_EQ(r.error(), expected) << name << ": got " << to_string(r.error());
  };
  const Corruption cases[] = {
      {"erased", [](auto& b) { b.fill(0xFF); }, RecordError::kErased},
      {"zeroed", [](auto& b) { b.fill(0x00); }, RecordError::kBadMagic},
      {"torn: only first word written",
       [](auto& b) { std::fill(b.begin() + 4, b.end(), uint8_t{0xFF}); }, RecordError::kBadCrc},
      {"torn: last word missing",
       [](auto& b) { std::fill(b.begin() + 28, b.end(), uint8_t{0xFF}); }, RecordError::kBadCrc},
      {"crc", [](auto& b) { b[30] ^= 0x10; }, RecordError::kBadCrc},
      {"sequence flipped", [](auto& b) { b[5] ^= 0x01; }, RecordError::kBadCrc},
  };
  for (const auto& c : cases) {
    auto b = good;
    c.corrupt(b);
    expect_refused(b, c.name, c.expected);
  }
  const BadField fields[] = {
      {"magic", 3, 1, 'S', RecordError::kBadMagic},  // 'R' with its low bit flipped
      {"slot 2", 8, 1, 2, RecordError::kBadSlot},
      {"slot erased", 8, 1, 0xFF, RecordError::kBadSlot},
      {"state erased", 9, 1, 0xFF, RecordError::kBadState},
      {"state zero", 9, 1, 0x00, RecordError::kBadState},
      {"state unknown", 9, 1, 'X', RecordError::kBadState},
  };
  for (const auto& f : fields) {
    auto b = good;
    test::set_field(b, f);
    reseal(b);
    expect_refused(b, f.name, f.expected);
  }
  for (size_t n = 0; n < kRecordSize; ++n) {
    EXPECT_EQ(parse_record(std::span<const uint8_t>(good.data(), n)).error(),
              RecordError::kTooShort)
        << "truncated to " << n;
  }
}

TEST(MetaRecord, EverySingleBitFlipIsRejected) {
  test::expect_every_bit_flip_refused(encode_record(sample()),
                                      [](const auto& b) { return parse_record(b); });
}

TEST(MetaRecord, EffectiveMaxAttempts) {
  MetaRecord m = sample();
  m.max_attempts = 0;
  EXPECT_EQ(effective_max_attempts(m), kDefaultMaxAttempts);
  m.max_attempts = 0xFF;
  EXPECT_EQ(effective_max_attempts(m), kDefaultMaxAttempts);
  m.max_attempts = 7;
  EXPECT_EQ(effective_max_attempts(m), 7);
}

TEST(MetaRecord, ErrorMessagesAreDistinct) {
  std::vector<std::string> seen;
  for (int e = 0; e <= static_cast<int>(RecordError::kBadState); ++e) {
    const std::string msg = to_string(static_cast<RecordError>(e));
    for (const auto& s : seen) EXPECT_NE(s, msg);
    seen.push_back(msg);
  }
}

}  // namespace
}  // namespace fota
