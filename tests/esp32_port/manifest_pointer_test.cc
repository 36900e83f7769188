// SPDX-License-Identifier: Apache-2.0
// The ESP32's ManifestPointer adapter (ports/esp32) on the host against fake_idf's esp_http_client
// (a file server in memory, written from the ESP-IDF API reference): what a poll sends
// (If-None-Match), how it reads 304, the same ETag from a server that ignores the condition, a
// changed manifest, a failed status, a failed connection, a connection closed before the headers,
// a manifest larger than the buffer and a body cut short, and that every client it makes is
// cleaned up. Not run on an ESP32: the real esp_http_client's behaviour is the reference's word.
#include "fota_esp32/manifest_pointer.h"

#include <gtest/gtest.h>

#include <string>

#include "fake_idf.h"

namespace fota::esp32 {
namespace {

using host::fake_idf;

constexpr const char* kUrl = "https://cdn.example/fw/demo/stable/manifest.json";

class ManifestPointerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    host::reset_fake_idf();
    ASSERT_TRUE(pointer.begin(kUrl, body));
  }
  void TearDown() override {
    EXPECT_EQ(fake_idf().http_clients, 0) << "a client was not cleaned up";
    host::reset_fake_idf();
  }
  void serve(const std::string& manifest, const std::string& etag) {
    fake_idf().files[kUrl] = {manifest, etag};
  }

  std::array<char, 512> body{};
  ManifestPointer pointer;
};

TEST_F(ManifestPointerTest, FirstPollReadsTheManifestAndItsEtag) {
  serve(std::string(300, 'm'), "\"e1\"");
  const agent::PollResult r = pointer.poll("");
  ASSERT_EQ(r.status, agent::PollStatus::kChanged) << r.error;
  EXPECT_EQ(r.etag, "\"e1\"");
  EXPECT_EQ(r.body, std::string(300, 'm'));
  // Nothing known yet: no If-None-Match.
  EXPECT_EQ(fake_idf().requests, std::vector<std::string>{std::string(kUrl) + " - - -"});
}

TEST_F(ManifestPointerTest, SendsTheKnownEtagAndReads304AsUnchanged) {
  serve("{}", "\"e1\"");
  const agent::PollResult r = pointer.poll("\"e1\"");
  EXPECT_EQ(r.status, agent::PollStatus::kUnchanged);
  EXPECT_EQ(fake_idf().requests, std::vector<std::string>{std::string(kUrl) + " - - \"e1\""});
  EXPECT_EQ(fake_idf().body_bytes_read, 0u);
}

TEST_F(ManifestPointerTest, SameEtagFromAServerThatIgnoresIfNoneMatchIsUnchanged) {
  fake_idf().ignore_conditions = true;
  serve("{}", "\"e1\"");
  EXPECT_EQ(pointer.poll("\"e1\"").status, agent::PollStatus::kUnchanged);
  EXPECT_EQ(fake_idf().body_bytes_read, 0u);
  // A new ETag is a change.
  serve("{\"v\":2}", "\"e2\"");
  const agent::PollResult r = pointer.poll("\"e1\"");
  ASSERT_EQ(r.status, agent::PollStatus::kChanged);
  EXPECT_EQ(r.etag, "\"e2\"");
  EXPECT_EQ(r.body, "{\"v\":2}");
}

TEST_F(ManifestPointerTest, FailedStatusIsNamed) {
  serve("{}", "\"e1\"");
  fake_idf().force_status = 403;
  const agent::PollResult r = pointer.poll("\"e1\"");
  EXPECT_EQ(r.status, agent::PollStatus::kFailed);
  EXPECT_EQ(r.error, std::string("GET ") + kUrl + ": HTTP 403");
  fake_idf().force_status = 0;
  fake_idf().files.clear();
  EXPECT_EQ(pointer.poll("").error, std::string("GET ") + kUrl + ": HTTP 404");
}

TEST_F(ManifestPointerTest, ConnectionFailureIsNamed) {
  fake_idf().fail_open = true;
  const agent::PollResult r = pointer.poll("");
  EXPECT_EQ(r.status, agent::PollStatus::kFailed);
  EXPECT_EQ(r.error, std::string("GET ") + kUrl + ": ESP_FAIL");
}

TEST_F(ManifestPointerTest, ConnectionClosedBeforeTheHeadersIsNamed) {
  serve("{}", "\"e1\"");
  fake_idf().fail_headers = true;
  const agent::PollResult r = pointer.poll("\"e1\"");
  EXPECT_EQ(r.status, agent::PollStatus::kFailed);
  EXPECT_EQ(r.error,
            std::string("GET ") + kUrl + ": no answer (the connection closed before the headers)");
}

TEST_F(ManifestPointerTest, ManifestThatFillsTheBufferExactlyIsRead) {
  serve(std::string(body.size(), 'x'), "\"e3\"");
  const agent::PollResult r = pointer.poll("");
  ASSERT_EQ(r.status, agent::PollStatus::kChanged) << r.error;
  EXPECT_EQ(r.body.size(), body.size());
}

TEST_F(ManifestPointerTest, LargerManifestIsRefused) {
  serve(std::string(body.size() + 1, 'x'), "\"e3\"");
  const agent::PollResult r = pointer.poll("");
  EXPECT_EQ(r.status, agent::PollStatus::kFailed);
  EXPECT_EQ(r.error, std::string("GET ") + kUrl + ": the manifest is larger than 512 bytes");
}

TEST_F(ManifestPointerTest, BodyCutShortIsAFailedPoll) {
  serve(std::string(400, 'x'), "\"e4\"");
  fake_idf().cut_after = 250;
  const agent::PollResult r = pointer.poll("");
  EXPECT_EQ(r.status, agent::PollStatus::kFailed);
  EXPECT_EQ(r.error, std::string("GET ") + kUrl + ": connection lost after 250 bytes");
}

TEST(ManifestPointer, RefusesAnEmptyOrTooLongUrlAndPollsNothingUnconfigured) {
  host::reset_fake_idf();
  std::array<char, 16> body{};
  ManifestPointer pointer;
  EXPECT_FALSE(pointer.configured());
  const agent::PollResult r = pointer.poll("");
  EXPECT_EQ(r.status, agent::PollStatus::kFailed);
  EXPECT_EQ(r.error, "no manifest pointer URL configured");
  EXPECT_TRUE(fake_idf().requests.empty());
  EXPECT_FALSE(pointer.begin("", body));
  const std::string long_url = "https://h/" + std::string(kUrlMaxBytes, 'a');
  EXPECT_FALSE(pointer.begin(long_url.c_str(), body));
  EXPECT_FALSE(pointer.configured());
  EXPECT_TRUE(pointer.begin("https://h/m.json", body));
  EXPECT_TRUE(pointer.configured());
}

}  // namespace
}  // namespace fota::esp32
