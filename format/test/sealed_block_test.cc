// SPDX-License-Identifier: Apache-2.0
// The sealed-block frame on its own: the seal's CRC, each fault, and the order in which the checks
// run (a block with two faults gets the first one), which every parser inherits.
#include "format/sealed_block.h"

#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "format/bytes.h"
#include "format/crc32.h"

namespace fota {
namespace {

// A 16-byte block: magic, version, six bytes of fields, then the CRC of bytes [0, 12).
constexpr SealedLayout kLayout{.size = 16, .magic = 0x4C41'4553u, .crc_at = 12, .version = 3};

std::vector<uint8_t> good_block(const SealedLayout& layout = kLayout) {
  std::vector<uint8_t> block(layout.size, 0);
  bytes::store_le32(block.data(), layout.magic);
  bytes::store_le16(block.data() + 4, layout.version);
  for (size_t i = 6; i < layout.crc_at; ++i) block[i] = static_cast<uint8_t>(0xA0 + i);
  seal(block, layout);
  return block;
}

TEST(SealedBlock, SealStoresTheCrcOfTheBytesBeforeIt) {
  std::vector<uint8_t> block(kLayout.size, 0x5A);
  bytes::store_le32(block.data(), kLayout.magic);
  seal(block, kLayout);
  const uint32_t expected = crc32(std::span<const uint8_t>(block).first(kLayout.crc_at));
  EXPECT_EQ(bytes::load_le32(block.data() + kLayout.crc_at), expected);
  for (size_t i = 4; i < kLayout.crc_at; ++i) EXPECT_EQ(block[i], 0x5A) << "byte " << i;
}

TEST(SealedBlock, AGoodBlockPasses) {
  EXPECT_EQ(check_seal(good_block(), kLayout), SealFault::kNone);
}

TEST(SealedBlock, BytesAfterTheBlockDoNotCount) {
  auto block = good_block();
  block.resize(64, 0x33);
  EXPECT_EQ(check_seal(block, kLayout), SealFault::kNone);
  std::vector<uint8_t> erased(64, 0xFF);
  erased.back() = 0;  // only the block's own 16 bytes decide "erased"
  EXPECT_EQ(check_seal(erased, kLayout), SealFault::kErased);
}

TEST(SealedBlock, EachFaultIsFound) {
  EXPECT_EQ(check_seal({}, kLayout), SealFault::kTooShort);
  const auto good = good_block();
  EXPECT_EQ(check_seal(std::span<const uint8_t>(good).first(kLayout.size - 1), kLayout),
            SealFault::kTooShort);
  EXPECT_EQ(check_seal(std::vector<uint8_t>(kLayout.size, 0xFF), kLayout), SealFault::kErased);

  auto magic = good_block();
  magic[3] ^= 0x01;
  seal(magic, kLayout);  // the CRC is right: only the magic is wrong
  EXPECT_EQ(check_seal(magic, kLayout), SealFault::kBadMagic);

  for (size_t i = 4; i < kLayout.size; ++i) {
    auto damaged = good_block();
    damaged[i] ^= 0x80;
    EXPECT_EQ(check_seal(damaged, kLayout), SealFault::kBadCrc) << "byte " << i;
  }

  auto version = good_block();
  bytes::store_le16(version.data() + 4, kLayout.version + 1);
  seal(version, kLayout);
  EXPECT_EQ(check_seal(version, kLayout), SealFault::kBadVersion);
}

TEST(SealedBlock, TheFirstFaultInCheckOrderWins) {
  // Too short beats erased: a short run of 0xFF is not an erased block.
  EXPECT_EQ(check_seal(std::vector<uint8_t>(kLayout.size - 1, 0xFF), kLayout),
            SealFault::kTooShort);
  // Erased beats the magic (0xFFFFFFFF is not the magic): a blank sector is not garbage.
  EXPECT_EQ(check_seal(std::vector<uint8_t>(kLayout.size, 0xFF), kLayout), SealFault::kErased);
  // The magic beats the CRC: another kind of block is named as such.
  auto other_kind = good_block();
  other_kind[0] ^= 0x01;
  EXPECT_EQ(check_seal(other_kind, kLayout), SealFault::kBadMagic);
  // The CRC beats the version: a damaged version field is damage, not a newer format.
  auto damaged_version = good_block();
  damaged_version[4] ^= 0x01;
  EXPECT_EQ(check_seal(damaged_version, kLayout), SealFault::kBadCrc);
}

TEST(SealedBlock, ALayoutWithoutVersionIgnoresOffsetFour) {
  SealedLayout no_version = kLayout;
  no_version.version = 0;
  auto block = good_block(no_version);
  bytes::store_le16(block.data() + 4, 0xBEEF);
  seal(block, no_version);
  EXPECT_EQ(check_seal(block, no_version), SealFault::kNone);
}

enum class BlockError { kShort, kBlank, kMagic, kCrc, kVersion };
constexpr SealedBlock<BlockError> kBlock{.layout = kLayout,
                                         .errors = {.too_short = BlockError::kShort,
                                                    .erased = BlockError::kBlank,
                                                    .bad_magic = BlockError::kMagic,
                                                    .bad_crc = BlockError::kCrc,
                                                    .bad_version = BlockError::kVersion}};

TEST(SealedBlock, OpenSealNamesEachFaultInTheBlocksOwnTerms) {
  const auto good = good_block();
  auto opened = open_seal(std::span<const uint8_t>(good), kBlock);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(opened.value(), good.data());

  const std::vector<uint8_t> blank(kLayout.size, 0xFF);
  EXPECT_EQ(open_seal(std::span<const uint8_t>(blank), kBlock).error(), BlockError::kBlank);
  EXPECT_EQ(open_seal(std::span<const uint8_t>(blank).first(2), kBlock).error(),
            BlockError::kShort);
  auto magic = good_block();
  magic[0] ^= 0x01;
  EXPECT_EQ(open_seal(std::span<const uint8_t>(magic), kBlock).error(), BlockError::kMagic);
  auto crc = good_block();
  crc[8] ^= 0x01;
  EXPECT_EQ(open_seal(std::span<const uint8_t>(crc), kBlock).error(), BlockError::kCrc);
  auto version = good_block();
  bytes::store_le16(version.data() + 4, 9);
  seal(version, kLayout);
  EXPECT_EQ(open_seal(std::span<const uint8_t>(version), kBlock).error(), BlockError::kVersion);
}

}  // namespace
}  // namespace fota
