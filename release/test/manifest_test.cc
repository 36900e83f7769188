// SPDX-License-Identifier: Apache-2.0
#include "release/manifest.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace fota::release {
namespace {

using nlohmann::json;

Manifest sample() {
  Manifest m;
  m.product = "stm32f407-demo";
  m.channel = "stable";
  m.version = Version{2, 0, 1, 17};
  m.created = "2026-11-23T00:15:00Z";
  m.slot_a = {"demo-2.0.1-A.img", "http://127.0.0.1:8080/demo-2.0.1-A.img", 12800, 0x1234abcd, {}};
  m.slot_b = {"demo-2.0.1-B.img", "", 12812, 0xdeadbeef, {}};
  for (size_t i = 0; i < 32; ++i) {
    m.slot_a.sha256[i] = static_cast<uint8_t>(i);
    m.slot_b.sha256[i] = static_cast<uint8_t>(255 - i);
  }
  m.min_bootloader_version = "1.0.0";
  return m;
}

TEST(Version, ParsesStrictly) {
  auto v = parse_version("1.2.3");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->major, 1);
  EXPECT_EQ(v->minor, 2);
  EXPECT_EQ(v->patch, 3);
  EXPECT_TRUE(parse_version("255.255.65535"));
  EXPECT_TRUE(parse_version("0.0.0"));
  for (const char* bad :
       {"", "1", "1.2", "1.2.3.4", "256.0.0", "0.256.0", "0.0.65536", "01.2.3", "1.2.3-rc1",
        "v1.2.3", "-1.2.3", "+1.2.3", "1..3", " 1.2.3", "1.2.3 ", "a.b.c", "99999999999.0.0"}) {
    EXPECT_FALSE(parse_version(bad)) << bad;
  }
  EXPECT_EQ(version_string(Version{10, 0, 300, 9}), "10.0.300");
}

TEST(Manifest, RoundTrip) {
  const Manifest m = sample();
  const std::string text = manifest_to_json(m);
  auto r = parse_manifest(text);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.manifest.product, m.product);
  EXPECT_EQ(r.manifest.channel, m.channel);
  EXPECT_EQ(r.manifest.version, m.version);
  EXPECT_EQ(r.manifest.created, m.created);
  EXPECT_EQ(r.manifest.slot_a.file, m.slot_a.file);
  EXPECT_EQ(r.manifest.slot_a.url, m.slot_a.url);
  EXPECT_EQ(r.manifest.slot_b.size, m.slot_b.size);
  EXPECT_EQ(r.manifest.slot_b.crc32, m.slot_b.crc32);
  EXPECT_EQ(r.manifest.slot_a.sha256, m.slot_a.sha256);
  EXPECT_EQ(r.manifest.slot_b.sha256, m.slot_b.sha256);
  EXPECT_EQ(r.manifest.min_bootloader_version, "1.0.0");
  const json j = json::parse(text);
  EXPECT_EQ(j["slots"]["B"]["crc32"], "0xdeadbeef");
  EXPECT_EQ(j["slots"]["A"]["sha256"],
            "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
  EXPECT_EQ(j["version"], "2.0.1");
  EXPECT_EQ(j["build"], 17);
}

TEST(Manifest, NullSignatureIsEmpty) {
  json j = json::parse(manifest_to_json(sample()));
  j["signature"] = nullptr;
  auto r = parse_manifest(j.dump());
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.manifest.signature, "");
}

TEST(Manifest, KeyIdIsOptionalInAnUnsignedManifest) {
  json j = json::parse(manifest_to_json(sample()));
  j.erase("key_id");
  auto r = parse_manifest(j.dump());
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.manifest.key_id, "");
}

struct Mutation {
  const char* name;
  void (*mutate)(json&);
  const char* expected_error;
};

TEST(Manifest, RejectsEachBadFieldNamingIt) {
  const Mutation cases[] = {
      {"unknown top-level key", [](json& j) { j["extra"] = 1; }, "manifest: extra: unknown key"},
      {"missing product", [](json& j) { j.erase("product"); }, "manifest: product: missing"},
      {"empty product", [](json& j) { j["product"] = ""; }, "manifest: product: must not be empty"},
      {"product type", [](json& j) { j["product"] = 5; },
       "manifest: product: expected a string, got number"},
      {"channel type", [](json& j) { j["channel"] = json::array(); },
       "manifest: channel: expected a string, got array"},
      {"version malformed", [](json& j) { j["version"] = "1.2"; },
       "manifest: version: \"1.2\" is not a version X.Y.Z (X,Y <= 255, Z <= 65535)"},
      {"version unknown form", [](json& j) { j["version"] = "1.2.3-beta"; },
       "manifest: version: \"1.2.3-beta\" is not a version"},
      {"version number", [](json& j) { j["version"] = 1; },
       "manifest: version: expected a string, got number"},
      {"build negative", [](json& j) { j["build"] = -1; }, "manifest: build: must not be negative"},
      {"build string", [](json& j) { j["build"] = "7"; },
       "manifest: build: expected a non-negative integer, got string"},
      {"build float", [](json& j) { j["build"] = 1.5; },
       "manifest: build: expected a non-negative integer, got number"},
      {"build too big", [](json& j) { j["build"] = 1ull << 33; },
       "manifest: build: larger than 32 bits"},
      {"created format", [](json& j) { j["created"] = "2026-11-23 00:15:00"; },
       "manifest: created: \"2026-11-23 00:15:00\" is not ISO-8601 UTC"},
      {"created month", [](json& j) { j["created"] = "2026-13-23T00:15:00Z"; },
       "manifest: created:"},
      {"slots type", [](json& j) { j["slots"] = "A"; },
       "manifest: slots: expected an object, got string"},
      {"missing slot B", [](json& j) { j["slots"].erase("B"); }, "manifest: slots.B: missing"},
      {"missing slot A", [](json& j) { j["slots"].erase("A"); }, "manifest: slots.A: missing"},
      {"unknown slot", [](json& j) { j["slots"]["C"] = j["slots"]["A"]; },
       "manifest: slots.C: unknown slot"},
      {"slot unknown key", [](json& j) { j["slots"]["A"]["md5"] = "x"; },
       "manifest: slots.A.md5: unknown key"},
      {"slot missing url", [](json& j) { j["slots"]["B"].erase("url"); },
       "manifest: slots.B.url: missing"},
      {"file with path", [](json& j) { j["slots"]["A"]["file"] = "../x.img"; },
       "manifest: slots.A.file: must be a plain file name"},
      {"size negative", [](json& j) { j["slots"]["A"]["size"] = -5; },
       "manifest: slots.A.size: must not be negative"},
      {"size oversized", [](json& j) { j["slots"]["B"]["size"] = 384 * 1024 + 1; },
       "manifest: slots.B.size: 393217 is larger than a slot (393216)"},
      {"size zero", [](json& j) { j["slots"]["B"]["size"] = 0; },
       "manifest: slots.B.size: too small"},
      {"size string", [](json& j) { j["slots"]["B"]["size"] = "100"; },
       "manifest: slots.B.size: expected a non-negative integer, got string"},
      {"crc no prefix", [](json& j) { j["slots"]["A"]["crc32"] = "1234abcd"; },
       "manifest: slots.A.crc32: \"1234abcd\" is not \"0x\" + 8 lowercase hex digits"},
      {"crc bad hex", [](json& j) { j["slots"]["A"]["crc32"] = "0x1234abcg"; },
       "manifest: slots.A.crc32:"},
      {"crc short", [](json& j) { j["slots"]["A"]["crc32"] = "0x1234"; },
       "manifest: slots.A.crc32:"},
      {"crc number", [](json& j) { j["slots"]["A"]["crc32"] = 305441741; },
       "manifest: slots.A.crc32: expected a string, got number"},
      {"sha short", [](json& j) { j["slots"]["B"]["sha256"] = "abcd"; },
       "manifest: slots.B.sha256: expected 64 lowercase hex digits"},
      {"sha bad hex", [](json& j) { j["slots"]["B"]["sha256"] = std::string(63, 'a') + "z"; },
       "manifest: slots.B.sha256: expected 64 lowercase hex digits"},
      {"min bootloader", [](json& j) { j["min_bootloader_version"] = "x"; },
       "manifest: min_bootloader_version: \"x\" is not a version"},
      {"signature type", [](json& j) { j["signature"] = 3; },
       "manifest: signature: expected a string or null, got number"},
      {"key id without signature", [](json& j) { j["key_id"] = "0011223344556677"; },
       "manifest: signature: must be set together with key_id"},
      {"signature without key id", [](json& j) { j["signature"] = std::string(128, 'a'); },
       "manifest: key_id: must be set together with signature"},
      {"key id upper case",
       [](json& j) {
         j["key_id"] = "00112233445566AA";
         j["signature"] = std::string(128, 'a');
       },
       "manifest: key_id: \"00112233445566AA\" is not 16 lowercase hex digits"},
      {"signature short",
       [](json& j) {
         j["key_id"] = "0011223344556677";
         j["signature"] = "abcd";
       },
       "manifest: signature: expected 128 lowercase hex digits"},
      {"not an object", [](json& j) { j = json::array({1}); },
       "manifest: manifest: expected an object, got array"},
  };
  const json good = json::parse(manifest_to_json(sample()));
  for (const auto& c : cases) {
    json j = good;
    c.mutate(j);
    auto r = parse_manifest(j.dump());
    EXPECT_FALSE(r.ok) << c.name;
    EXPECT_EQ(r.error.rfind(c.expected_error, 0), 0u) << c.name << ": got " << r.error;
  }
}

TEST(Manifest, RejectsInvalidJson) {
  for (const char* text : {"", "{", "{\"product\": }", "nul", "[1,2"}) {
    auto r = parse_manifest(text);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.error.rfind("manifest: not valid JSON", 0), 0u) << text << ": " << r.error;
  }
}

TEST(Iso8601, Validates) {
  EXPECT_TRUE(is_iso8601_utc("2026-11-23T00:15:00Z"));
  EXPECT_TRUE(is_iso8601_utc(now_iso8601_utc()));
  EXPECT_FALSE(is_iso8601_utc("2026-11-23T00:15:00+01:00"));
  EXPECT_FALSE(is_iso8601_utc("2026-11-23T24:15:00Z"));
  EXPECT_FALSE(is_iso8601_utc("2026-00-23T00:15:00Z"));
}

}  // namespace
}  // namespace fota::release

namespace fota::release {
namespace {

// Found by fuzz_manifest: nlohmann throws out_of_range (not parse_error) for number overflow.
TEST(Manifest, RejectsNumberOverflow) {
  auto r = parse_manifest("{\"build\": 5E535}");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error.rfind("manifest: not valid JSON", 0), 0u) << r.error;
}

}  // namespace
}  // namespace fota::release
