// SPDX-License-Identifier: Apache-2.0
// Secure boot in the boot core: images signed with libsodium (as `fota pack --sign` does), the key
// block, refusal reasons, anti-rollback floor, key rotation.
#include <gtest/gtest.h>
#include <sodium.h>

#include <array>
#include <cstring>
#include <string>

#include "bootcore/boot.h"
#include "bootcore/trust.h"
#include "format/sealed_block.h"
#include "test_support.h"

namespace fota::bootcore::test {
namespace {

using flash_map::Slot;

// Writes `img.header` (as a test edited it) back into the image's bytes (header CRC recomputed).
void rewrite_header(TestImage& img) {
  const auto h = encode_image_header(img.header);
  std::memcpy(img.bytes.data(), h.data(), h.size());
}

struct Signer {
  PublicKey public_key{};
  std::array<uint8_t, crypto_sign_SECRETKEYBYTES> secret{};
  explicit Signer(uint8_t seed_byte) {
    std::array<uint8_t, crypto_sign_SEEDBYTES> seed;
    seed.fill(seed_byte);
    crypto_sign_seed_keypair(public_key.data(), secret.data(), seed.data());
  }
  // Sets the signed flag and key id, signs bytes [0, 128) of the header, rewrites the image.
  void sign(TestImage& img) const {
    img.header.flags |= kImageFlagSigned;
    img.header.key_id = key_id_of(public_key);
    img.header.signature.fill(0);
    auto h = encode_image_header(img.header);
    crypto_sign_detached(img.header.signature.data(), nullptr, h.data(), kSignedSize,
                         secret.data());
    rewrite_header(img);
  }
};

TestImage signed_image(const Signer& s, Slot slot, Version v, uint32_t size, uint32_t seed) {
  TestImage img = make_image(slot, v, size, seed);
  s.sign(img);
  return img;
}

// Version 3.0.0 for slot B signed by `s`: the update the refusal tests start from.
TestImage v3_for_b(const Signer& s) {
  return signed_image(s, Slot::kB, {3, 0, 0, 2}, 800, 2);
}

class SecureBoot : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_GE(sodium_init(), 0); }

  void provision(std::initializer_list<const Signer*> signers) {
    std::array<PublicKey, 2> pks{};
    size_t n = 0;
    for (const Signer* s : signers) pks[n++] = s->public_key;
    const auto block = encode_key_block(std::span<const PublicKey>(pks.data(), n));
    ASSERT_EQ(flash.erase_sector(kKeyBlockSector), FlashStatus::kOk);
    ASSERT_EQ(flash.program_words(kKeyBlockAddress, to_words({block.begin(), block.end()})),
              FlashStatus::kOk);
    auto keys = read_key_block(flash);
    ASSERT_TRUE(keys.ok()) << to_string(keys.error());
    trusted = keys.value();
  }

  BootOutcome boot() {
    MetaLog log(flash);
    BootPolicy policy;
    policy.keys = &trusted;
    policy.anti_rollback = true;
    BootOutcome out = run_boot(flash, log, crc, policy);
    char text[160];
    format_boot_line(out, text);
    line = text;
    return out;
  }

  void install(Slot slot, const TestImage& img) {
    ASSERT_EQ(write_image(flash, slot, img), FlashStatus::kOk);
    MetaLog log(flash);
    ASSERT_EQ(request_trial(log, slot, img.header), LogStatus::kOk);
  }

  ConfirmStatus confirm_slot(Slot slot) {
    MetaLog log(flash);
    return confirm(flash, log, slot);
  }

  uint16_t floor() {
    MetaLog log(flash);
    EXPECT_EQ(log.load(), LogStatus::kOk);
    return log.state().security_floor;
  }

  MetaRecord newest(Slot slot) {
    MetaLog log(flash);
    EXPECT_EQ(log.load(), LogStatus::kOk);
    return log.state().of(slot).record;
  }

  // A confirmed, signed 2.0.0 in slot A.
  void start_confirmed() {
    provision({&current});
    install(Slot::kA, signed_image(current, Slot::kA, {2, 0, 0, 1}, 900, 1));
    const BootOutcome out = boot();
    ASSERT_TRUE(out.boots()) << line;
    ASSERT_EQ(out.slot, Slot::kA);
    ASSERT_EQ(confirm_slot(Slot::kA), ConfirmStatus::kConfirmed);
    ASSERT_EQ(floor(), 0x0200);
  }

  // Installs `img` into B; it must never run, A keeps booting, and `reason` is reported.
  // v3_for_b(signer) with its header or payload edited by `tamper` (header bytes rewritten after
  // it): the signature does not hold, it never runs.
  template <class Tamper>
  void expect_forgery_refused(const Signer& signer, const Tamper& tamper) {
    start_confirmed();
    TestImage img = v3_for_b(signer);
    tamper(img);
    rewrite_header(img);
    expect_refused(img, TrustStatus::kBadSignature, RecordReason::kUntrusted);
  }

  void expect_refused(const TestImage& img, TrustStatus reason, RecordReason record_reason) {
    install(Slot::kB, img);
    for (int i = 0; i < 3; ++i) {
      const BootOutcome out = boot();
      ASSERT_TRUE(out.boots()) << line;
      EXPECT_EQ(out.slot, Slot::kA) << line;
      EXPECT_EQ(out.action, Action::kBootConfirmed) << line;
      if (i == 0) {
        EXPECT_EQ(out.refused[1], reason) << line;
        EXPECT_NE(line.find(std::string("refused=B:") + token(reason)), std::string::npos) << line;
      }
    }
    EXPECT_EQ(newest(Slot::kB).state, RecordState::kRejected);
    EXPECT_EQ(newest(Slot::kB).reason, record_reason);
  }

  FakeFlash flash;
  SoftwareCrc32Engine crc;
  TrustedKeys trusted;
  std::string line;
  Signer current{0x11};
  Signer next{0x22};
  Signer stranger{0x33};
};

TEST_F(SecureBoot, SignedImageBootsAndConfirmedBootsSkipTheSignature) {
  start_confirmed();
  EXPECT_EQ(boot().action, Action::kBootConfirmed);
  // A valid update boots on trial and raises the floor only when it confirms.
  install(Slot::kB, signed_image(current, Slot::kB, {2, 1, 0, 2}, 800, 2));
  BootOutcome out = boot();
  EXPECT_EQ(out.slot, Slot::kB);
  EXPECT_EQ(out.action, Action::kBootTrial);
  EXPECT_EQ(floor(), 0x0200);
  EXPECT_EQ(confirm_slot(Slot::kB), ConfirmStatus::kConfirmed);
  EXPECT_EQ(floor(), 0x0201);
}

TEST_F(SecureBoot, UnsignedImageNeverRuns) {
  start_confirmed();
  expect_refused(make_image(Slot::kB, {3, 0, 0, 2}, 800, 2), TrustStatus::kUnsigned,
                 RecordReason::kUntrusted);
}

TEST_F(SecureBoot, ImageSignedByAnotherKeyNeverRuns) {
  start_confirmed();
  expect_refused(v3_for_b(stranger), TrustStatus::kUnknownKey, RecordReason::kUntrusted);
}

TEST_F(SecureBoot, ForgedKeyIdWithStrangersSignatureNeverRuns) {
  expect_forgery_refused(stranger, [&](TestImage& img) {
    img.header.key_id = key_id_of(current.public_key);  // claims the trusted key
  });
}

TEST_F(SecureBoot, FlippedHeaderBitNeverRuns) {
  expect_forgery_refused(current, [](TestImage& img) {
    img.header.version.patch ^= 1;  // inside the signed bytes; header CRC recomputed
  });
}

TEST_F(SecureBoot, FlippedPayloadBitWithFixedChecksumsNeverRuns) {
  // An attacker who flips a payload bit and repairs CRC-32 and SHA-256 in the header still cannot
  // repair the signature over them.
  expect_forgery_refused(current, [](TestImage& img) {
    img.bytes[kImageHeaderSize + 77] ^= 0x08;
    const std::span<const uint8_t> payload(img.bytes.data() + kImageHeaderSize, 800);
    img.header.payload_crc32 = crc32(payload);
    img.header.payload_sha256 = sha256(payload);
  });
}

TEST_F(SecureBoot, FlippedPayloadBitAloneIsAnIntegrityFailure) {
  start_confirmed();
  TestImage img = v3_for_b(current);
  img.bytes[kImageHeaderSize + 5] ^= 0x01;
  install(Slot::kB, img);
  const BootOutcome out = boot();
  EXPECT_EQ(out.slot, Slot::kA);
  EXPECT_EQ(out.image_error[1], HeaderError::kPayloadCrcMismatch);
  EXPECT_EQ(newest(Slot::kB).reason, RecordReason::kImageInvalid);
}

TEST_F(SecureBoot, ValidlySignedOlderVersionNeverRuns) {
  start_confirmed();
  {
    MetaLog host_log(flash);
    ASSERT_EQ(host_log.load(), LogStatus::kOk);
    ImageHeader older;
    older.version = {1, 9, 0, 2};
    EXPECT_TRUE(below_security_floor(host_log, older));  // what a host checks before download
    older.version = {2, 0, 5, 2};
    EXPECT_FALSE(below_security_floor(host_log, older));
  }
  expect_refused(signed_image(current, Slot::kB, {1, 9, 0, 2}, 800, 2), TrustStatus::kBelowFloor,
                 RecordReason::kBelowFloor);
  // The floor compares major.minor: a patch release of the same line is not a downgrade.
  install(Slot::kB, signed_image(current, Slot::kB, {2, 0, 0, 3}, 700, 3));
  const BootOutcome out = boot();
  EXPECT_EQ(out.slot, Slot::kB) << line;
}

TEST_F(SecureBoot, FailedTrialRevertsToTheImageTheFloorStillAllows) {
  start_confirmed();
  install(Slot::kB, v3_for_b(current));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(boot().slot, Slot::kB) << line;  // never confirms
  const BootOutcome out = boot();
  EXPECT_EQ(out.slot, Slot::kA) << line;
  EXPECT_EQ(out.action, Action::kBootConfirmed);
  EXPECT_EQ(floor(), 0x0200);  // raised at confirm only: 3.0 never confirmed
}

TEST_F(SecureBoot, OlderConfirmedImageIsNotAFallbackOnceTheFloorRose) {
  start_confirmed();
  install(Slot::kB, v3_for_b(current));
  ASSERT_EQ(boot().slot, Slot::kB);
  ASSERT_EQ(confirm_slot(Slot::kB), ConfirmStatus::kConfirmed);
  // B's payload rots: A (2.0, confirmed earlier) is below the floor 3.0 and stays off.
  const uint32_t at = flash_map::slot_vector_address(Slot::kB) + 3;
  const uint8_t rotten[] = {static_cast<uint8_t>(*flash.raw(at) ^ 0x40)};
  flash.poke(at, rotten);
  const BootOutcome out = boot();
  EXPECT_FALSE(out.boots()) << line;
  EXPECT_EQ(out.refused[0], TrustStatus::kBelowFloor) << line;
}

TEST_F(SecureBoot, UnknownImageAndLastResortAreCheckedToo) {
  provision({&current});
  // No record at all (factory image without a log): checked like a new image.
  ASSERT_EQ(write_image(flash, Slot::kA, make_image(Slot::kA, {1, 0, 0, 1}, 500, 1)),
            FlashStatus::kOk);
  BootOutcome out = boot();
  EXPECT_FALSE(out.boots()) << line;
  EXPECT_EQ(out.refused[0], TrustStatus::kUnsigned);
  // Now REJECTED and intact: still never the last resort.
  out = boot();
  EXPECT_FALSE(out.boots()) << line;
}

TEST_F(SecureBoot, DeviceWithoutKeysBootsNothingNew) {
  trusted = TrustedKeys{};
  EXPECT_EQ(read_key_block(flash).error(), KeyBlockError::kErased);
  install(Slot::kA, signed_image(current, Slot::kA, {1, 0, 0, 1}, 500, 1));
  const BootOutcome out = boot();
  EXPECT_FALSE(out.boots());
  EXPECT_EQ(out.refused[0], TrustStatus::kNoKeys);
}

TEST_F(SecureBoot, KeyRotationThenRetirement) {
  start_confirmed();
  // Rotation: the key block holds current + next; images signed by next boot.
  provision({&current, &next});
  install(Slot::kB, signed_image(next, Slot::kB, {2, 1, 0, 2}, 800, 2));
  ASSERT_EQ(boot().slot, Slot::kB) << line;
  ASSERT_EQ(confirm_slot(Slot::kB), ConfirmStatus::kConfirmed);
  // Retirement: the key block is rewritten with next alone; current's images stop booting.
  provision({&next});
  install(Slot::kA, signed_image(current, Slot::kA, {2, 2, 0, 3}, 700, 3));
  const BootOutcome out = boot();
  EXPECT_EQ(out.slot, Slot::kB) << line;
  EXPECT_EQ(out.action, Action::kBootConfirmed) << line;
  EXPECT_EQ(out.refused[0], TrustStatus::kUnknownKey) << line;
  EXPECT_EQ(newest(Slot::kA).reason, RecordReason::kUntrusted);
  // ... while next's images keep booting.
  install(Slot::kA, signed_image(next, Slot::kA, {2, 3, 0, 4}, 600, 4));
  EXPECT_EQ(boot().slot, Slot::kA) << line;
}

TEST(KeyBlock, RoundTripAndDamage) {
  PublicKey k1{}, k2{};
  k1.fill(1);
  k2.fill(2);
  const PublicKey both[] = {k1, k2};
  auto block = encode_key_block(both);
  auto parsed = parse_key_block(block);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->count, 2u);
  EXPECT_EQ(parsed->keys[1].public_key, k2);
  EXPECT_EQ(parsed->keys[0].key_id, key_id_of(k1));
  block[40] ^= 1;
  EXPECT_EQ(parse_key_block(block).error(), KeyBlockError::kBadCrc);
  block.fill(0xFF);
  EXPECT_EQ(parse_key_block(block).error(), KeyBlockError::kErased);
  EXPECT_EQ(encode_key_block({}), block);  // no key: left erased
  block = encode_key_block(both);
  block[0] ^= 1;
  EXPECT_EQ(parse_key_block(block).error(), KeyBlockError::kBadMagic);
}

// Every way a key block can be wrong gets its own error, and none of them yields keys.
TEST(KeyBlock, EachFaultIsNamed) {
  PublicKey k1{};
  k1.fill(1);
  const PublicKey one[] = {k1};
  const auto good = encode_key_block(one);
  ASSERT_TRUE(parse_key_block(good).ok());

  // Too short to hold a key block: not one.
  EXPECT_EQ(parse_key_block(std::span(good).first(kKeyBlockSize - 1)).error(),
            KeyBlockError::kBadMagic);
  EXPECT_EQ(parse_key_block({}).error(), KeyBlockError::kBadMagic);

  // A version we do not know, with a valid CRC (a newer provisioning tool).
  auto block = good;
  block[4] = kKeyBlockVersion + 1;
  seal(block, kKeyBlockSeal.layout);
  EXPECT_EQ(parse_key_block(block).error(), KeyBlockError::kBadVersion);

  // A count of 0 or above kMaxTrustedKeys, with a valid CRC.
  for (const uint8_t count : {uint8_t{0}, static_cast<uint8_t>(kMaxTrustedKeys + 1)}) {
    block = good;
    block[6] = count;
    seal(block, kKeyBlockSeal.layout);
    EXPECT_EQ(parse_key_block(block).error(), KeyBlockError::kBadCount) << int{count};
  }

  // The CRC itself damaged.
  block = good;
  block[kKeyBlockSize - 1] ^= 0x80;
  EXPECT_EQ(parse_key_block(block).error(), KeyBlockError::kBadCrc);

  // A read the flash refuses (past the end of flash).
  FakeFlash flash;
  EXPECT_EQ(read_key_block(flash, flash_map::kFlashEnd - 4).error(), KeyBlockError::kReadFailed);
  for (const KeyBlockError e :
       {KeyBlockError::kBadVersion, KeyBlockError::kBadCount, KeyBlockError::kReadFailed}) {
    EXPECT_STRNE(to_string(e), "unknown key block error");
  }
}

}  // namespace
}  // namespace fota::bootcore::test
