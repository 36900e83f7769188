// SPDX-License-Identifier: Apache-2.0
// The ESP32's ManifestPointer adapter (ports/esp32) on the host against a scripted esp_http_client
// written here from the ESP-IDF API reference: what a poll sends (If-None-Match), how it reads
// 304, the same ETag, a changed manifest, a failed status, a failed connection, a manifest larger
// than the buffer and a body cut short, and that every client it makes is cleaned up. Not run on
// an ESP32: the real esp_http_client's behaviour is the reference's word.
#include "fota_esp32/manifest_pointer.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "esp_crt_bundle.h"
#include "esp_http_client.h"

namespace {

// One scripted answer, and what the adapter did with the client.
struct Script {
  esp_err_t open_error = ESP_OK;
  bool headers_fail = false;  // the connection closes before the headers
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  size_t cut_after = std::string::npos;  // the connection drops after this many body bytes
  // Observed:
  std::string url;
  std::string if_none_match;
  bool asked_if_none_match = false;
  int inits = 0, cleanups = 0, opens = 0, closes = 0;
  size_t body_read = 0;
};
Script script;

}  // namespace

struct esp_http_client {
  esp_http_client_config_t config;
};

extern "C" {
const char* esp_err_to_name(esp_err_t code) {
  return code == ESP_FAIL ? "ESP_FAIL" : "ESP_ERR";
}
esp_err_t esp_crt_bundle_attach(void*) {
  return ESP_OK;
}
esp_http_client_handle_t esp_http_client_init(const esp_http_client_config_t* config) {
  ++script.inits;
  script.url = config->url;
  return new esp_http_client{*config};
}
esp_err_t esp_http_client_set_header(esp_http_client_handle_t, const char* key, const char* value) {
  if (std::strcmp(key, "If-None-Match") == 0) {
    script.asked_if_none_match = true;
    script.if_none_match = value;
  }
  return ESP_OK;
}
esp_err_t esp_http_client_open(esp_http_client_handle_t, int) {
  ++script.opens;
  return script.open_error;
}
int64_t esp_http_client_fetch_headers(esp_http_client_handle_t client) {
  if (script.headers_fail) return ESP_FAIL;
  for (auto& [key, value] : script.headers) {
    esp_http_client_event_t event{};
    event.event_id = HTTP_EVENT_ON_HEADER;
    event.client = client;
    event.user_data = client->config.user_data;
    event.header_key = key.data();
    event.header_value = value.data();
    client->config.event_handler(&event);
  }
  return static_cast<int64_t>(script.body.size());
}
int esp_http_client_get_status_code(esp_http_client_handle_t) {
  return script.status;
}
int esp_http_client_read(esp_http_client_handle_t, char* buffer, int len) {
  if (script.body_read >= script.cut_after) return -1;
  size_t n = script.body.size() - script.body_read;
  if (n > static_cast<size_t>(len)) n = static_cast<size_t>(len);
  if (n > 100) n = 100;  // a body arrives in pieces
  if (script.cut_after != std::string::npos && script.body_read + n > script.cut_after) {
    n = script.cut_after - script.body_read;
  }
  std::memcpy(buffer, script.body.data() + script.body_read, n);
  script.body_read += n;
  return static_cast<int>(n);
}
esp_err_t esp_http_client_close(esp_http_client_handle_t) {
  ++script.closes;
  return ESP_OK;
}
esp_err_t esp_http_client_cleanup(esp_http_client_handle_t client) {
  ++script.cleanups;
  delete client;
  return ESP_OK;
}
}

namespace fota::esp32 {
namespace {

constexpr const char* kUrl = "https://cdn.example/fw/demo/stable/manifest.json";

class ManifestPointerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    script = Script{};
    ASSERT_TRUE(pointer.begin(kUrl, body));
  }
  void TearDown() override {
    EXPECT_EQ(script.cleanups, script.inits) << "a client was not cleaned up";
    EXPECT_EQ(script.closes, script.opens - (script.open_error != ESP_OK ? 1 : 0));
  }

  std::array<char, 512> body{};
  ManifestPointer pointer;
};

TEST_F(ManifestPointerTest, FirstPollReadsTheManifestAndItsEtag) {
  script.headers = {{"Content-Type", "application/json"}, {"ETag", "\"e1\""}};
  script.body = std::string(300, 'm');
  const agent::PollResult r = pointer.poll("");
  ASSERT_EQ(r.status, agent::PollStatus::kChanged) << r.error;
  EXPECT_EQ(r.etag, "\"e1\"");
  EXPECT_EQ(r.body, script.body);
  EXPECT_EQ(script.url, kUrl);
  EXPECT_FALSE(script.asked_if_none_match);  // nothing known yet
}

TEST_F(ManifestPointerTest, SendsTheKnownEtagAndReads304AsUnchanged) {
  script.status = 304;
  script.headers = {{"etag", "\"e1\""}};
  const agent::PollResult r = pointer.poll("\"e1\"");
  EXPECT_EQ(r.status, agent::PollStatus::kUnchanged);
  EXPECT_EQ(script.if_none_match, "\"e1\"");
  EXPECT_EQ(script.body_read, 0u);
}

TEST_F(ManifestPointerTest, SameEtagFromAServerThatIgnoresIfNoneMatchIsUnchanged) {
  script.headers = {{"ETag", "\"e1\""}};
  script.body = "{}";
  EXPECT_EQ(pointer.poll("\"e1\"").status, agent::PollStatus::kUnchanged);
  EXPECT_EQ(script.body_read, 0u);
  // A new ETag is a change.
  script = Script{};
  script.headers = {{"ETag", "\"e2\""}};
  script.body = "{\"v\":2}";
  const agent::PollResult r = pointer.poll("\"e1\"");
  ASSERT_EQ(r.status, agent::PollStatus::kChanged);
  EXPECT_EQ(r.etag, "\"e2\"");
  EXPECT_EQ(r.body, "{\"v\":2}");
}

TEST_F(ManifestPointerTest, FailedStatusIsNamed) {
  script.status = 403;
  script.body = "<Error>AccessDenied</Error>";
  const agent::PollResult r = pointer.poll("\"e1\"");
  EXPECT_EQ(r.status, agent::PollStatus::kFailed);
  EXPECT_EQ(r.error, std::string("GET ") + kUrl + ": HTTP 403");
}

TEST_F(ManifestPointerTest, ConnectionFailureIsNamed) {
  script.open_error = ESP_FAIL;
  const agent::PollResult r = pointer.poll("");
  EXPECT_EQ(r.status, agent::PollStatus::kFailed);
  EXPECT_EQ(r.error, std::string("GET ") + kUrl + ": ESP_FAIL");
}

TEST_F(ManifestPointerTest, ConnectionClosedBeforeTheHeadersIsNamed) {
  script.headers_fail = true;
  script.status = 0;
  const agent::PollResult r = pointer.poll("\"e1\"");
  EXPECT_EQ(r.status, agent::PollStatus::kFailed);
  EXPECT_EQ(r.error,
            std::string("GET ") + kUrl + ": no answer (the connection closed before the headers)");
}

TEST_F(ManifestPointerTest, ManifestThatFillsTheBufferExactlyIsRead) {
  script.headers = {{"ETag", "\"e3\""}};
  script.body = std::string(body.size(), 'x');
  const agent::PollResult r = pointer.poll("");
  ASSERT_EQ(r.status, agent::PollStatus::kChanged) << r.error;
  EXPECT_EQ(r.body.size(), body.size());
}

TEST_F(ManifestPointerTest, LargerManifestIsRefused) {
  script.headers = {{"ETag", "\"e3\""}};
  script.body = std::string(body.size() + 1, 'x');
  const agent::PollResult r = pointer.poll("");
  EXPECT_EQ(r.status, agent::PollStatus::kFailed);
  EXPECT_EQ(r.error, std::string("GET ") + kUrl + ": the manifest is larger than 512 bytes");
}

TEST_F(ManifestPointerTest, BodyCutShortIsAFailedPoll) {
  script.headers = {{"ETag", "\"e4\""}};
  script.body = std::string(400, 'x');
  script.cut_after = 250;
  const agent::PollResult r = pointer.poll("");
  EXPECT_EQ(r.status, agent::PollStatus::kFailed);
  EXPECT_EQ(r.error, std::string("GET ") + kUrl + ": connection lost after 250 bytes");
}

TEST(ManifestPointer, RefusesAnEmptyOrTooLongUrlAndPollsNothingUnconfigured) {
  script = Script{};
  std::array<char, 16> body{};
  ManifestPointer pointer;
  EXPECT_FALSE(pointer.configured());
  const agent::PollResult r = pointer.poll("");
  EXPECT_EQ(r.status, agent::PollStatus::kFailed);
  EXPECT_EQ(r.error, "no manifest pointer URL configured");
  EXPECT_EQ(script.inits, 0);
  EXPECT_FALSE(pointer.begin("", body));
  const std::string long_url = "https://h/" + std::string(kUrlMaxBytes, 'a');
  EXPECT_FALSE(pointer.begin(long_url.c_str(), body));
  EXPECT_FALSE(pointer.configured());
  EXPECT_TRUE(pointer.begin("https://h/m.json", body));
  EXPECT_TRUE(pointer.configured());
}

}  // namespace
}  // namespace fota::esp32
