// SPDX-License-Identifier: Apache-2.0
// The resume record codec: round trip, and every way a file can be wrong is refused.
#include "update/progress.h"

#include <gtest/gtest.h>

#include "corruption.h"

namespace fota::update {
namespace {

Progress sample() {
  Progress p;
  for (size_t i = 0; i < p.release.size(); ++i) p.release[i] = static_cast<uint8_t>(i * 7);
  const char etag[] = "\"5d41402abc4b2a76b9719d911017c592\"";
  std::copy(std::begin(etag), std::end(etag), p.etag.begin());
  p.device_uid = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  p.slot = flash_map::Slot::kB;
  p.phase = ProgressPhase::kWriting;
  p.image_size = 20'512;
  p.bytes_written = 512 + 40 * 256;
  p.crc32_state = 0x1234'5678;
  p.sha256.h = {1, 2, 3, 4, 5, 6, 7, 8};
  p.sha256.length_bytes = 40 * 256;
  return p;
}

std::array<uint8_t, kProgressSize> encode(const Progress& p) {
  std::array<uint8_t, kProgressSize> out{};
  encode_progress(p, out);
  return out;
}

TEST(ProgressCodec, RoundTrips) {
  const auto bytes = encode(sample());
  const auto decoded = decode_progress(bytes);
  ASSERT_TRUE(decoded.ok()) << to_string(decoded.error());
  const Progress& p = decoded.value();
  EXPECT_EQ(p.release, sample().release);
  EXPECT_STREQ(p.etag.data(), sample().etag.data());
  EXPECT_EQ(p.device_uid, sample().device_uid);
  EXPECT_EQ(p.slot, flash_map::Slot::kB);
  EXPECT_EQ(p.phase, ProgressPhase::kWriting);
  EXPECT_EQ(p.bytes_written, sample().bytes_written);
  EXPECT_EQ(p.crc32_state, 0x1234'5678u);
  EXPECT_EQ(p.sha256.h, sample().sha256.h);
  EXPECT_EQ(p.sha256.length_bytes, 40u * 256);
}

TEST(ProgressCodec, RefusesShortMagicVersionAndCrc) {
  auto bytes = encode(sample());
  EXPECT_EQ(decode_progress(std::span(bytes).first(kProgressSize - 1)).error(),
            ProgressError::kTooShort);
  auto bad = bytes;
  bad[0] ^= 1;
  EXPECT_EQ(decode_progress(bad).error(), ProgressError::kBadMagic);
  bad = bytes;
  bad[4] = 9;
  EXPECT_EQ(decode_progress(bad).error(), ProgressError::kBadVersion);
  bad = bytes;
  bad[130] ^= 0x40;
  EXPECT_EQ(decode_progress(bad).error(), ProgressError::kBadCrc);
}

TEST(ProgressCodec, EveryFlippedBitIsRefused) {
  fota::test::expect_every_bit_flip_refused(encode(sample()),
                                            [](const auto& b) { return decode_progress(b); });
}

TEST(ProgressCodec, RefusesFieldsOutOfRange) {
  auto check = [](Progress p) { return decode_progress(encode(p)).ok(); };
  EXPECT_TRUE(check(sample()));
  Progress p = sample();
  p.bytes_written = 512 + 40 * 256 + 4;  // not at a block boundary
  EXPECT_FALSE(check(p));
  p = sample();
  p.sha256.length_bytes = 100;  // hash state of other bytes
  EXPECT_FALSE(check(p));
  p = sample();
  p.image_size = flash_map::kSlotSize + 4;
  EXPECT_FALSE(check(p));
  p = sample();
  p.bytes_written = 100;
  EXPECT_FALSE(check(p));
  p = sample();
  p.phase = ProgressPhase::kWritten;  // written must cover the whole image
  EXPECT_FALSE(check(p));
  p.bytes_written = p.image_size;
  EXPECT_TRUE(check(p));
  p = sample();
  p.phase = ProgressPhase::kErased;
  EXPECT_FALSE(check(p));
  p.bytes_written = 512;
  EXPECT_TRUE(check(p));
  // A slot byte of 2 is refused as well (a CRC mismatch first, here).
  auto bytes = encode(sample());
  bytes[116] = 2;
  EXPECT_FALSE(decode_progress(bytes).ok());
}

}  // namespace
}  // namespace fota::update
