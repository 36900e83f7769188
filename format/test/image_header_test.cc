// SPDX-License-Identifier: Apache-2.0
#include "format/image_header.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "corruption.h"
#include "format/bytes.h"
#include "format/crc32.h"
#include "format/sha256.h"

namespace fota {
namespace {

using flash_map::Slot;

std::vector<uint8_t> payload_of(size_t n) {
  std::vector<uint8_t> p(n);
  for (size_t i = 0; i < n; ++i) p[i] = static_cast<uint8_t>(i * 29 + 3);
  return p;
}

ImageHeader header_for(const std::vector<uint8_t>& payload, Slot slot) {
  ImageHeader h;
  h.flags = 0;
  h.vector_address = flash_map::slot_vector_address(slot);
  h.payload_size = static_cast<uint32_t>(payload.size());
  h.version = Version{2, 7, 513, 4242};
  h.payload_crc32 = crc32(payload);
  h.payload_sha256 = sha256(payload);
  std::memcpy(h.product.data(), "stm32f407-demo", 14);
  return h;
}

// Re-seals the header CRC after a deliberate change, so the parser's later checks are reached.
void reseal(std::array<uint8_t, kImageHeaderSize>& b) {
  bytes::store_le32(&b[508], crc32(std::span<const uint8_t>(b.data(), 508)));
}

TEST(ImageHeader, RoundTrip) {
  const auto payload = payload_of(1234);
  for (Slot slot : {Slot::kA, Slot::kB}) {
    ImageHeader h = header_for(payload, slot);
    h.flags = kImageFlagSigned;
    for (size_t i = 0; i < 64; ++i) h.signature[i] = static_cast<uint8_t>(i + 1);
    for (size_t i = 0; i < kKeyIdSize; ++i) h.key_id[i] = static_cast<uint8_t>(0xA0 + i);
    const auto bytes = encode_image_header(h);
    EXPECT_EQ(bytes::load_le32(bytes.data()), kImageMagic);
    EXPECT_EQ(std::memcmp(bytes.data(), "FOTA", 4), 0);
    auto r = parse_image_header(bytes);
    ASSERT_TRUE(r.ok()) << to_string(r.error());
    EXPECT_EQ(r->flags, h.flags);
    EXPECT_EQ(r->vector_address, h.vector_address);
    EXPECT_EQ(r->payload_size, h.payload_size);
    EXPECT_EQ(r->version, h.version);
    EXPECT_EQ(r->payload_crc32, h.payload_crc32);
    EXPECT_EQ(r->payload_sha256, h.payload_sha256);
    EXPECT_EQ(r->product, h.product);
    EXPECT_EQ(r->signature, h.signature);
    EXPECT_EQ(r->key_id, h.key_id);
    EXPECT_EQ(linked_slot(*r), slot);
    EXPECT_EQ(check_header_slot(*r, slot), HeaderError::kOk);
    EXPECT_EQ(check_header_slot(*r, flash_map::other_slot(slot)), HeaderError::kWrongSlot);
    EXPECT_EQ(check_payload(*r, payload, true), HeaderError::kOk);
  }
}

TEST(ImageHeader, FieldOffsetsAreTheDocumentedOnes) {
  const auto payload = payload_of(100);
  const auto b = encode_image_header(header_for(payload, Slot::kB));
  EXPECT_EQ(bytes::load_le16(&b[4]), kHeaderVersion);
  EXPECT_EQ(bytes::load_le16(&b[6]), 512);
  EXPECT_EQ(bytes::load_le32(&b[12]), 0x0808'0200u);
  EXPECT_EQ(bytes::load_le32(&b[16]), 100u);
  EXPECT_EQ(b[20], 2);
  EXPECT_EQ(b[21], 7);
  EXPECT_EQ(bytes::load_le16(&b[22]), 513);
  EXPECT_EQ(bytes::load_le32(&b[24]), 4242u);
  EXPECT_EQ(bytes::load_le32(&b[28]), crc32(payload));
  EXPECT_EQ(std::memcmp(&b[64], "stm32f407-demo", 14), 0);
  EXPECT_EQ(bytes::load_le32(&b[508]), crc32(std::span<const uint8_t>(b.data(), 508)));
}

TEST(ImageHeader, AcceptsLargestPayloadAndExtraBytes) {
  ImageHeader h = header_for(payload_of(16), Slot::kA);
  h.payload_size = flash_map::kMaxPayloadSize;
  auto b = encode_image_header(h);
  EXPECT_TRUE(parse_image_header(b).ok());
  std::vector<uint8_t> longer(b.begin(), b.end());
  longer.resize(2048, 0x77);  // the parser reads only the header
  EXPECT_TRUE(parse_image_header(longer).ok());
}

using Corruption = test::Corruption<kImageHeaderSize, HeaderError>;
using BadField = test::BadField<HeaderError>;

TEST(ImageHeader, RejectsEveryCorruptedField) {
  const auto payload = payload_of(300);
  const auto good = encode_image_header(header_for(payload, Slot::kA));
  auto expect_refused = [](const std::array<uint8_t, kImageHeaderSize>& b, const char* name,
                           HeaderError expected) {
    auto r = parse_image_header(b);
    ASSERT_FALSE(r.ok()) << name;
    EXPECT_EQ(r.error(), expected) << name << ": got " << to_string(r.error());
    EXPECT_STRNE(to_string(r.error()), "ok");
  };
  const Corruption cases[] = {
      {"erased", [](auto& b) { b.fill(0xFF); }, HeaderError::kErased},
      {"zeroed", [](auto& b) { b.fill(0x00); }, HeaderError::kBadMagic},
      {"header crc field", [](auto& b) { b[508] ^= 1; }, HeaderError::kBadHeaderCrc},
      {"byte flipped, crc not resealed", [](auto& b) { b[17] ^= 0x80; },
       HeaderError::kBadHeaderCrc},
      {"signature byte flipped", [](auto& b) { b[150] ^= 0x01; }, HeaderError::kBadHeaderCrc},
  };
  for (const auto& c : cases) {
    auto b = good;
    c.corrupt(b);
    expect_refused(b, c.name, c.expected);
  }
  const BadField fields[] = {
      {"magic", 0, 1, 'f', HeaderError::kBadMagic},
      {"header version", 4, 2, 2, HeaderError::kUnsupportedVersion},
      {"header version 0", 4, 2, 0, HeaderError::kUnsupportedVersion},
      {"header size", 6, 2, 256, HeaderError::kBadHeaderSize},
      {"reserved 104..127", 104, 1, 1, HeaderError::kReservedNotZero},
      {"reserved 192..507 first", 192, 1, 1, HeaderError::kReservedNotZero},
      {"reserved 192..507 last", 507, 1, 0x80, HeaderError::kReservedNotZero},
      {"payload size 0", 16, 4, 0, HeaderError::kEmptyPayload},
      {"payload size too big", 16, 4, flash_map::kMaxPayloadSize + 1,
       HeaderError::kPayloadTooLarge},
      {"payload size huge", 16, 4, 0xFFFF'FFFF, HeaderError::kPayloadTooLarge},
      {"vector at slot base", 12, 4, 0x0802'0000, HeaderError::kBadVectorAddress},
      {"vector in bootloader", 12, 4, 0x0800'0000, HeaderError::kBadVectorAddress},
      {"vector off by 4", 12, 4, 0x0808'0204, HeaderError::kBadVectorAddress},
  };
  for (const auto& f : fields) {
    auto b = good;
    test::set_field(b, f);
    reseal(b);
    expect_refused(b, f.name, f.expected);
  }
  // Too short: every length below 512.
  for (size_t n = 0; n < kImageHeaderSize; n += 37) {
    auto r = parse_image_header(std::span<const uint8_t>(good.data(), n));
    EXPECT_EQ(r.error(), HeaderError::kTooShort) << n;
  }
  EXPECT_EQ(parse_image_header(std::span<const uint8_t>(good.data(), 511)).error(),
            HeaderError::kTooShort);
}

TEST(ImageHeader, EverySingleBitFlipIsRejected) {
  const auto good = encode_image_header(header_for(payload_of(64), Slot::kB));
  for (size_t bit = 0; bit < kImageHeaderSize * 8; ++bit) {
    auto b = good;
    b[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    ASSERT_FALSE(parse_image_header(b).ok()) << "bit " << bit;
  }
}

TEST(ImageHeader, WrongSlot) {
  const auto payload = payload_of(64);
  auto r = parse_image_header(encode_image_header(header_for(payload, Slot::kB)));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(check_header_slot(*r, Slot::kA), HeaderError::kWrongSlot);
}

TEST(ImageHeader, PayloadMismatches) {
  const auto payload = payload_of(777);
  const ImageHeader h = header_for(payload, Slot::kA);
  EXPECT_EQ(check_payload(h, payload, true), HeaderError::kOk);

  auto shorter = payload;
  shorter.pop_back();
  EXPECT_EQ(check_payload(h, shorter, true), HeaderError::kPayloadSizeMismatch);
  auto longer = payload;
  longer.push_back(0);
  EXPECT_EQ(check_payload(h, longer, true), HeaderError::kPayloadSizeMismatch);

  auto flipped = payload;
  flipped[400] ^= 4;
  EXPECT_EQ(check_payload(h, flipped, true), HeaderError::kPayloadCrcMismatch);

  // A header whose CRC matches but whose SHA-256 does not (e.g. forged or a tool bug).
  ImageHeader bad_sha = h;
  bad_sha.payload_sha256[31] ^= 1;
  EXPECT_EQ(check_payload(bad_sha, payload, true), HeaderError::kPayloadShaMismatch);
  EXPECT_EQ(check_payload(bad_sha, payload, false), HeaderError::kOk) << "CRC-only fast path";

  ImageHeader bad_crc = h;
  bad_crc.payload_crc32 ^= 0x100;
  EXPECT_EQ(check_payload(bad_crc, payload, false), HeaderError::kPayloadCrcMismatch);
}

TEST(ImageHeader, EveryErrorHasADistinctMessage) {
  std::vector<std::string> seen;
  for (int e = 0; e <= static_cast<int>(HeaderError::kPayloadShaMismatch); ++e) {
    const std::string msg = to_string(static_cast<HeaderError>(e));
    EXPECT_NE(msg, "unknown header error") << e;
    for (const auto& s : seen) EXPECT_NE(s, msg);
    seen.push_back(msg);
  }
}

}  // namespace
}  // namespace fota
