// SPDX-License-Identifier: Apache-2.0
// The ESP32's release notification reader (ports/esp32 release_notice.*: cJSON and the core's
// ed25519) on the host, linked with the real cJSON library (Debian's libcjson, the same project
// ESP-IDF ships as its json component), against manifests the release tool writes and signs
// (release::manifest_to_json, signing::sign_manifest with libsodium): it reads the fields the
// Linux side reads, its signature verdict equals signing::verify_manifest's, and every refusal
// says what is wrong. Not run on an ESP32.
#include "fota_esp32/release_notice.h"

#include <gtest/gtest.h>

#include <array>
#include <string>

#include "manifest_fixture.h"
#include "release/manifest.h"
#include "signing/signing.h"

namespace fota::esp32 {
namespace {

using release::testing::manifest_of;
using release::testing::signed_manifest_text;

signing::SecretKey key_from(uint8_t seed_byte) {
  return release::testing::test_key(seed_byte);
}

// The device's trusted key list holds the same 32 bytes as the release host's .pub file.
Ed25519Verifier::PublicKey device_key(const signing::SecretKey& key) {
  return key.public_key();
}
using Keys1 = std::array<Ed25519Verifier::PublicKey, 1>;

struct Read {
  bool ok = false;
  agent::Notice notice;
  std::array<char, 200> error{};
};

Read read(const std::string& text, std::span<const Ed25519Verifier::PublicKey> keys) {
  Ed25519Verifier verifier(keys);
  Read r;
  r.ok = read_release_notice({reinterpret_cast<const uint8_t*>(text.data()), text.size()}, verifier,
                             r.notice, r.error);
  return r;
}

TEST(Esp32ReleaseNotice, ReadsWhatTheLinuxSideReadsAndVerifiesTheSignature) {
  const auto key = key_from(7);
  const std::string text = signed_manifest_text(manifest_of("demo"), key);
  ASSERT_TRUE(signing::verify_manifest(text, key.public_key()).ok());
  auto linux_side = release::parse_manifest(text);
  ASSERT_TRUE(linux_side.ok()) << linux_side.error();

  const std::array<Ed25519Verifier::PublicKey, 2> keys = {device_key(key_from(8)), device_key(key)};
  const Read r = read(text, keys);
  ASSERT_TRUE(r.ok) << r.error.data();
  EXPECT_STREQ(r.notice.product.data(), linux_side->product.c_str());
  EXPECT_EQ(r.notice.version.major, linux_side->version.major);
  EXPECT_EQ(r.notice.version.minor, linux_side->version.minor);
  EXPECT_EQ(r.notice.version.patch, linux_side->version.patch);
  EXPECT_EQ(r.notice.version.build, linux_side->version.build);  // 5: ordering and release keys
  EXPECT_STREQ(r.notice.url[0].data(), linux_side->slot_a.url.c_str());
  EXPECT_STREQ(r.notice.url[1].data(), linux_side->slot_b.url.c_str());
  EXPECT_EQ(r.notice.size[0], linux_side->slot_a.size);
  EXPECT_EQ(r.notice.size[1], linux_side->slot_b.size);
  EXPECT_FALSE(r.notice.legacy);
  EXPECT_TRUE(r.notice.has_signature);
  EXPECT_TRUE(r.notice.signature_verified) << r.notice.signature_error.data();
}

TEST(Esp32ReleaseNotice, AlteredManifestDoesNotVerifyAsOnLinux) {
  const auto key = key_from(7);
  std::string text = signed_manifest_text(manifest_of("demo"), key);
  const size_t at = text.find("2.0.0-B.img");
  ASSERT_NE(at, std::string::npos);
  text[at + 4] = '8';  // another image
  EXPECT_FALSE(signing::verify_manifest(text, key.public_key()).ok());
  const Keys1 keys = {device_key(key)};
  const Read r = read(text, keys);
  ASSERT_TRUE(r.ok) << r.error.data();  // readable; the loop refuses it (bad-signature)
  EXPECT_TRUE(r.notice.has_signature);
  EXPECT_FALSE(r.notice.signature_verified);
  EXPECT_STREQ(r.notice.signature_error.data(),
               "signature does not verify (manifest altered or signed by another key)");
}

TEST(Esp32ReleaseNotice, KeyTheDeviceDoesNotTrustIsNamed) {
  const std::string text = signed_manifest_text(manifest_of("demo"), key_from(7));
  const Keys1 keys = {device_key(key_from(9))};
  const Read r = read(text, keys);
  ASSERT_TRUE(r.ok);
  EXPECT_FALSE(r.notice.signature_verified);
  EXPECT_STREQ(r.notice.signature_error.data(), "signed by a key this device does not trust");
}

TEST(Esp32ReleaseNotice, UnsignedManifestIsReadAsUnsigned) {
  const std::string text = release::manifest_to_json(manifest_of("demo"));
  const Keys1 keys = {device_key(key_from(7))};
  const Read r = read(text, keys);
  ASSERT_TRUE(r.ok) << r.error.data();
  EXPECT_FALSE(r.notice.has_signature);
  EXPECT_FALSE(r.notice.signature_verified);
}

TEST(Esp32ReleaseNotice, MalformedNoticesAreRefusedWithTheirReason) {
  const Keys1 keys = {device_key(key_from(7))};
  const std::string good = release::manifest_to_json(manifest_of("demo"));
  auto without = [&](const std::string& field) {
    std::string text = good;
    const size_t at = text.find("\"" + field + "\"");
    EXPECT_NE(at, std::string::npos) << field;
    text.replace(at + 1, field.size(), "x" + field);  // renamed: missing
    return text;
  };
  std::string bad_size = good;
  bad_size.replace(bad_size.find("4096"), 4, "\"big\"");
  std::string bad_build = good;
  bad_build.replace(bad_build.find("\"build\": 5") + 9, 1, "4.5");
  std::string huge_build = good;
  huge_build.replace(huge_build.find("\"build\": 5") + 9, 1, "4294967296");
  const struct {
    std::string text;
    const char* error;
  } cases[] = {
      {"", "release notice: not JSON"},
      {"{\"product\": ", "release notice: not JSON"},
      {without("product"), "release notice: product, version or slots missing or malformed"},
      {without("version"), "release notice: product, version or slots missing or malformed"},
      {without("slots"), "release notice: product, version or slots missing or malformed"},
      {without("url"), "release notice: slots.A / slots.B need a url and a size"},
      {bad_size, "release notice: slots.A / slots.B need a url and a size"},
      {without("build"), "release notice: build missing or not a whole number of 32 bits"},
      {bad_build, "release notice: build missing or not a whole number of 32 bits"},
      {huge_build, "release notice: build missing or not a whole number of 32 bits"},
      {std::string(kMqttBufferBytes + 1, ' '), "release notice: larger than the MQTT buffer"},
  };
  for (const auto& c : cases) {
    const Read r = read(c.text, keys);
    EXPECT_FALSE(r.ok) << c.error;
    EXPECT_STREQ(r.error.data(), c.error);
  }
}

}  // namespace
}  // namespace fota::esp32
