// SPDX-License-Identifier: Apache-2.0
#include "signing/signing.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "format/flash_map.h"
#include "release/image.h"

namespace fota::signing {
namespace {

namespace fs = std::filesystem;

SecretKey test_key(uint8_t fill) {
  std::array<uint8_t, kSeedSize> seed;
  seed.fill(fill);
  return SecretKey::from_seed(seed);
}

std::vector<uint8_t> test_image() {
  std::vector<uint8_t> payload(1024);
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<uint8_t>(i * 7);
  const ImageHeader h = release::make_header(
      payload, flash_map::slot_vector_address(flash_map::Slot::kA), Version{2, 0, 0, 7}, "demo");
  return release::build_image(h, payload);
}

class TempDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("signing_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST(KeyId, IsFirstEightBytesOfSha256OfThePublicKey) {
  PublicKey zero{};
  // SHA-256 of 32 zero bytes = 66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925
  EXPECT_EQ(to_hex(key_id(zero)), "66687aadf862bd77");
}

TEST(Sign, RoundTripAndTamper) {
  const SecretKey key = test_key(1);
  std::vector<uint8_t> msg = {'h', 'e', 'l', 'l', 'o'};
  const Signature sig = sign(msg, key);
  EXPECT_TRUE(verify(msg, sig, key.public_key()));
  msg[0] ^= 1;
  EXPECT_FALSE(verify(msg, sig, key.public_key()));
  msg[0] ^= 1;
  EXPECT_FALSE(verify(msg, sig, test_key(2).public_key()));
}

TEST_F(TempDir, KeygenWritesPrivateKeyMode0600AndReadsBack) {
  auto files = generate_key_files(dir_ / "ci");
  ASSERT_TRUE(files.ok()) << files.error();
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "ci.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto secret = read_secret_key(dir_ / "ci.key");
  ASSERT_TRUE(secret.ok()) << secret.error();
  auto pub = read_public_key(dir_ / "ci.pub");
  ASSERT_TRUE(pub.ok()) << pub.error();
  EXPECT_EQ(secret->public_key(), *pub);
  EXPECT_EQ(key_id(*pub), files->id);
}

TEST_F(TempDir, KeygenRefusesToOverwrite) {
  ASSERT_TRUE(generate_key_files(dir_ / "k").ok());
  auto again = generate_key_files(dir_ / "k");
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().find("already exists"), std::string::npos) << again.error();
}

TEST_F(TempDir, RefusesPrivateKeyReadableByOthers) {
  ASSERT_TRUE(generate_key_files(dir_ / "k").ok());
  ::chmod((dir_ / "k.key").c_str(), 0644);
  auto secret = read_secret_key(dir_ / "k.key");
  ASSERT_FALSE(secret.ok());
  EXPECT_NE(secret.error().find("readable by others (mode 0644)"), std::string::npos)
      << secret.error();
}

TEST_F(TempDir, RejectsGarbageKeyFiles) {
  std::ofstream(dir_ / "bad.pub") << "hello\n";
  auto pub = read_public_key(dir_ / "bad.pub");
  ASSERT_FALSE(pub.ok());
  EXPECT_NE(pub.error().find("not a fota public key"), std::string::npos);
  std::ofstream(dir_ / "bad.key") << "fota-ed25519-secret 12\n";
  ::chmod((dir_ / "bad.key").c_str(), 0600);
  auto key = read_secret_key(dir_ / "bad.key");
  ASSERT_FALSE(key.ok());
  EXPECT_NE(key.error().find("not a fota key file"), std::string::npos);
}

TEST(ImageSignature, SignedHeaderVerifiesAndParses) {
  const SecretKey key = test_key(3);
  auto image = test_image();
  ASSERT_TRUE(sign_image(image, key).ok());
  auto header = parse_image_header(image);
  ASSERT_TRUE(header.ok());
  EXPECT_TRUE(header->flags & kImageFlagSigned);
  EXPECT_EQ(header->key_id, key_id(key.public_key()));
  EXPECT_TRUE(verify_image_signature(image, key.public_key(), "x.img").ok());
  EXPECT_TRUE(release::parse_image(image, "x.img").ok);
}

TEST(ImageSignature, UnsignedWrongKeyAndTamperedAreRefused) {
  const SecretKey key = test_key(3);
  auto image = test_image();
  auto unsigned_result = verify_image_signature(image, key.public_key(), "x.img");
  ASSERT_FALSE(unsigned_result.ok());
  EXPECT_EQ(unsigned_result.error(), "x.img: image header is not signed");

  ASSERT_TRUE(sign_image(image, key).ok());
  auto other = verify_image_signature(image, test_key(4).public_key(), "x.img");
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.error().find("signed by key id"), std::string::npos) << other.error();

  // Flip a bit of the signed part (the version) and fix the header CRC: the signature fails.
  auto hdr = *parse_image_header(image);
  hdr.version.build ^= 1;
  encode_image_header(hdr, std::span<uint8_t, kImageHeaderSize>(image.data(), kImageHeaderSize));
  auto tampered = verify_image_signature(image, key.public_key(), "x.img");
  ASSERT_FALSE(tampered.ok());
  EXPECT_NE(tampered.error().find("does not verify"), std::string::npos) << tampered.error();
}

TEST(ManifestSignature, RoundTripAndEveryByteCounts) {
  const SecretKey key = test_key(5);
  const std::string text = "{\n  \"product\": \"demo\",\n  \"signature\": \"" +
                           manifest_signature_placeholder() + "\"\n}\n";
  auto signed_text = sign_manifest(text, key);
  ASSERT_TRUE(signed_text.ok()) << signed_text.error();
  EXPECT_EQ(signed_text->size(), text.size());
  EXPECT_TRUE(verify_manifest(*signed_text, key.public_key()).ok());
  for (size_t i = 0; i < signed_text->size(); i += 3) {
    std::string t = *signed_text;
    t[i] = static_cast<char>(t[i] ^ 0x01);
    EXPECT_FALSE(verify_manifest(t, key.public_key()).ok()) << "byte " << i;
  }
  EXPECT_FALSE(verify_manifest(*signed_text, test_key(6).public_key()).ok());
}

TEST(ManifestSignature, UnsignedAndDuplicateSignatureRefused) {
  const SecretKey key = test_key(5);
  auto r = verify_manifest("{\"signature\": \"\"}", key.public_key());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("unsigned"), std::string::npos) << r.error();
  const std::string p = manifest_signature_placeholder();
  auto dup = sign_manifest("{\"signature\": \"" + p + "\", \"signature\": \"" + p + "\"}", key);
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.error().find("more than once"), std::string::npos);
}

}  // namespace
}  // namespace fota::signing
