// SPDX-License-Identifier: Apache-2.0
// Release notifications (signed envelope, bare manifest, seed 000), commands and status messages:
// what is accepted and every way they are refused.
#include "gateway/messages.h"

#include <gtest/gtest.h>

#include <array>
#include <nlohmann/json.hpp>

#include "manifest_fixture.h"
#include "signing/signing.h"

namespace fota::gateway {
namespace {

using release::testing::manifest_of;
using release::testing::test_key;

std::string signed_manifest(const signing::SecretKey& key) {
  return release::testing::signed_manifest_text(manifest_of("demo"), key);
}

TEST(ReleaseNotice, SignedManifestVerifiesWithItsKey) {
  const auto key = test_key(7);
  const std::string text = signed_manifest(key);
  auto n = parse_release_notice(text);
  ASSERT_TRUE(n.ok()) << n.error();
  EXPECT_FALSE(n->legacy);
  EXPECT_EQ(n->manifest_bytes, text);
  EXPECT_EQ(n->manifest.product, "demo");
  EXPECT_EQ(n->manifest.slot_b.url, "http://127.0.0.1:9000/demo/demo-2.0.0-B.img");
  const auto other = test_key(8).public_key();
  auto v = verify_notice(*n, {other, key.public_key()});
  EXPECT_TRUE(v.ok()) << v.error();
}

TEST(ReleaseNotice, RefusesAnUntrustedKeyAndATamperedManifest) {
  const auto key = test_key(7);
  std::string text = signed_manifest(key);
  auto n = parse_release_notice(text);
  ASSERT_TRUE(n.ok()) << n.error();
  auto v = verify_notice(*n, {test_key(8).public_key()});
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.error().find("not among the trusted public keys"), std::string::npos) << v.error();
  // One byte of the URL changed: still a valid manifest, no longer the signed one.
  const size_t at = text.find("demo-2.0.0-B.img");
  ASSERT_NE(at, std::string::npos);
  text[at] = 'e';
  n = parse_release_notice(text);
  ASSERT_TRUE(n.ok()) << n.error();
  v = verify_notice(*n, {key.public_key()});
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.error().find("manifest signature"), std::string::npos) << v.error();
}

TEST(ReleaseNotice, UnsignedManifestIsReportedUnsigned) {
  auto n = parse_release_notice(release::manifest_to_json(manifest_of("demo")));
  ASSERT_TRUE(n.ok()) << n.error();
  auto v = verify_notice(*n, {test_key(7).public_key()});
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error(), "unsigned release");
}

TEST(ReleaseNotice, RefusesMalformedNotifications) {
  const struct {
    std::string payload;
    std::string error_part;
  } cases[] = {
      {"", "not valid JSON"},
      {"{", "not valid JSON"},
      {"[1,2]", "expected an object"},
      {"{\"product\": \"demo\"}", "missing"},
      {R"({"url": "http://x/y", "crc": "12"})", "unknown key"},
      {std::string(kMaxNotificationSize + 1, ' '), "larger than the limit"},
  };
  for (const auto& c : cases) {
    auto n = parse_release_notice(c.payload);
    ASSERT_FALSE(n.ok()) << c.payload.substr(0, 80);
    EXPECT_NE(n.error().find(c.error_part), std::string::npos) << n.error();
  }
}

TEST(LegacyNotice, AcceptsSeed000Messages) {
  auto n = parse_legacy_notice(R"({"url": "http://minio:9000/fw/app.bin", "crc": "0x1A2b3C4d"})");
  ASSERT_TRUE(n.ok()) << n.error();
  EXPECT_TRUE(n->legacy);
  EXPECT_EQ(n->url, "http://minio:9000/fw/app.bin");
  EXPECT_EQ(n->crc, 0x1a2b3c4du);
  n = parse_legacy_notice(R"({"crc": "ff", "url": "http://x/y"})");
  ASSERT_TRUE(n.ok()) << n.error();
  EXPECT_EQ(n->crc, 0xffu);
}

TEST(LegacyNotice, RefusesMalformedMessages) {
  for (const char* payload :
       {R"({"url": "http://x/y"})", R"({"crc": "12"})", R"({"url": "", "crc": "12"})",
        R"({"url": "http://x/y", "crc": 12})", R"({"url": "http://x/y", "crc": "0x"})",
        R"({"url": "http://x/y", "crc": "123456789"})", R"({"url": "http://x/y", "crc": "xyz"})",
        R"({"url": "http://x/y", "crc": "12", "size": 3})", R"("url")"}) {
    EXPECT_FALSE(parse_legacy_notice(payload).ok()) << payload;
  }
}

TEST(Command, ParsesTheThreeCommands) {
  auto c = parse_command(R"({"command":"check"})");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->kind, agent::CommandKind::kCheck);
  c = parse_command(R"({"command":"report"})");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->kind, agent::CommandKind::kReport);
  c = parse_command(R"({"command":"update","version":"1.2.3"})");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->kind, agent::CommandKind::kUpdate);
  EXPECT_EQ(c->version.packed(), (Version{1, 2, 3, 0}.packed()));
}

TEST(Command, RefusesBadCommands) {
  for (const char* payload :
       {R"({"command":"reboot-now"})", R"({"command":"update"})",
        R"({"command":"update","version":"1.2"})", R"({"command":"check","x":1})",
        R"({"cmd":"check"})", "check", R"({"command":7})"}) {
    EXPECT_FALSE(parse_command(payload).ok()) << payload;
  }
}

TEST(Status, RoundTripsWhatTheAgentEncodes) {
  agent::StatusReport r;
  r.uid = "0123456789abcdef01234567";
  r.state = agent::State::kFailed;
  r.reason = "signature";
  r.error = "image header signature does not verify";
  r.bytes_done = 512;
  r.bytes_total = 4096;
  r.running_known = true;
  r.running = Version{1, 0, 0, 1};
  r.running_slot = 'A';
  r.target_known = true;
  r.target = Version{2, 0, 0, 2};
  r.time_unix_s = 100;
  r.state_since_unix_s = 90;
  std::array<char, agent::kMaxStatusSize> buffer{};
  auto n = agent::encode_status(r, buffer);
  ASSERT_TRUE(n.ok());
  auto s = parse_status(std::string_view(buffer.data(), *n));
  ASSERT_TRUE(s.ok()) << s.error();
  EXPECT_EQ(s->uid, r.uid);
  EXPECT_EQ(s->state, agent::State::kFailed);
  EXPECT_EQ(s->reason, "signature");
  EXPECT_EQ(s->error, r.error);
  EXPECT_EQ(s->progress, 12u);
  EXPECT_EQ(s->running_version, "1.0.0");
  EXPECT_EQ(s->running_slot, "A");
  EXPECT_EQ(s->target_version, "2.0.0");
  EXPECT_EQ(s->since_unix_s, 90u);
}

TEST(Status, OfflineForms) {
  auto s = parse_status("offline");
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->offline);
  s = parse_status(R"({"uid":"ab","state":"offline"})");
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->offline);
}

TEST(Status, RefusesMalformedStatus) {
  for (const char* payload :
       {R"({"state":"idle"})", R"({"uid":"a","state":"success"})",
        R"({"uid":"a","state":"idle","progress":101})", R"({"uid":"a","state":"idle","bytes":-1})",
        R"({"uid":"a","state":"idle","running":{"version":"x"}})",
        R"({"uid":"a","state":"idle","running":3})", "", "offline2"}) {
    EXPECT_FALSE(parse_status(payload).ok()) << payload;
  }
}

}  // namespace
}  // namespace fota::gateway
