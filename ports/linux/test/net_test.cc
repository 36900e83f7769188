// SPDX-License-Identifier: Apache-2.0
// HttpClient, S3Client and MqttClient against the real servers started by
// tests/lib/with_servers.sh (S3_ENDPOINT, MQTT_URL, MQTTS_URL, MQTT_CA, ... in the environment).
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "ports_linux/http_client.h"
#include "ports_linux/mqtt_client.h"
#include "ports_linux/s3_client.h"

namespace fota::ports {
namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

S3Config s3_config() {
  S3Config c;
  c.endpoint = env("S3_ENDPOINT");
  c.bucket = "fota";
  c.credentials = {"S3RVER", "S3RVER", ""};
  return c;
}

std::vector<uint8_t> bytes(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(i * 31 + seed);
  return v;
}

// PUT of a small object with `c`, which must fail: the error ("" when it did not fail).
std::string put_error(const S3Config& c) {
  S3Client s3(c);
  auto put = s3.put_object("x.bin", bytes(10, 3));
  EXPECT_FALSE(put.ok());
  return put.ok() ? "" : put.error();
}

// A plain GET of `url`.
Expected<HttpResponse> get_url(const std::string& url) {
  HttpClient http;
  HttpRequest r;
  r.url = url;
  return http.perform(r);
}

// The TLS broker with the CA in environment variable `ca_env`, as user fota with `password`.
MqttOptions mqtts(const char* ca_env, const std::string& password) {
  MqttOptions o;
  o.url = env("MQTTS_URL");
  o.ca_file = env(ca_env);
  o.username = "fota";
  o.password = password;
  return o;
}

// A connection with `o`, which must be refused: the error ("" when it connected).
std::string connect_error(const MqttOptions& o) {
  auto c = MqttClient::connect(o);
  EXPECT_FALSE(c.ok());
  return c.ok() ? "" : c.error();
}

class Net : public ::testing::Test {
 protected:
  void SetUp() override {
    if (env("S3_ENDPOINT").empty() || env("MQTT_URL").empty()) {
      GTEST_FAIL() << "run through tests/lib/with_servers.sh (S3_ENDPOINT/MQTT_URL unset)";
    }
  }
};

TEST_F(Net, S3PutGetHeadRangeAndConditional) {
  S3Client s3(s3_config());
  const auto body = bytes(100000, 1);
  auto put = s3.put_object("p/demo/1.0.0/a.img", body);
  ASSERT_TRUE(put.ok()) << put.error();
  EXPECT_EQ(put->etag, "\"" + md5_hex(body) + "\"");
  auto get = s3.get_object("p/demo/1.0.0/a.img");
  ASSERT_TRUE(get.ok()) << get.error();
  EXPECT_EQ(get->status, 200);
  EXPECT_EQ(get->body, body);
  auto range = s3.get_object("p/demo/1.0.0/a.img", "512-1023");
  ASSERT_TRUE(range.ok());
  EXPECT_EQ(range->status, 206);
  EXPECT_EQ(range->body, std::vector<uint8_t>(body.begin() + 512, body.begin() + 1024));
  auto head = s3.head_object("p/demo/1.0.0/a.img");
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->etag(), put->etag);
  auto same = s3.head_object("p/demo/1.0.0/a.img", put->etag);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->status, 304);
  auto missing = s3.head_object("p/demo/none");
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->status, 404);
}

TEST_F(Net, S3StreamsBodyToASink) {
  S3Client s3(s3_config());
  const auto body = bytes(70000, 2);
  ASSERT_TRUE(s3.put_object("stream.bin", body).ok());
  HttpClient http;
  HttpRequest r;
  r.url = s3.presign_get("stream.bin", 60);
  std::vector<uint8_t> got;
  r.on_body = [&](std::span<const uint8_t> piece) {
    got.insert(got.end(), piece.begin(), piece.end());
    return true;
  };
  auto response = http.perform(r);
  ASSERT_TRUE(response.ok()) << response.error();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(got, body);
  EXPECT_TRUE(response->body.empty());
}

TEST_F(Net, WrongSecretIs403SignatureDoesNotMatch) {
  S3Config c = s3_config();
  c.credentials.secret_access_key = "wrong";
  EXPECT_EQ(put_error(c), "PUT x.bin: 403 SignatureDoesNotMatch");
}

TEST_F(Net, MissingBucketIs404NoSuchBucket) {
  S3Config c = s3_config();
  c.bucket = "no-such-bucket";
  EXPECT_EQ(put_error(c), "PUT x.bin: 404 NoSuchBucket");
}

TEST_F(Net, UnreachableEndpointNamesTheUrl) {
  S3Config c = s3_config();
  c.endpoint = "http://127.0.0.1:1";
  c.connect_timeout_ms = 2000;
  const std::string error = put_error(c);
  EXPECT_NE(error.find("PUT x.bin: PUT http://127.0.0.1:1/fota/x.bin: "), std::string::npos)
      << error;
}

// The test server canonicalises a virtual-hosted request's path as "/bucket/key" where AWS uses
// "/key", so a signed virtual-hosted request cannot pass it: check the addressing with an
// unsigned GET (the server serves anonymous reads) and the signed path-style PUT.
TEST_F(Net, VirtualHostedStyleAddressesTheBucketByHostName) {
  S3Config c = s3_config();
  c.endpoint = env("S3_VHOST_ENDPOINT");
  c.path_style = false;
  const S3Client vhost(c);
  const std::string url = vhost.object_url("k/v.bin");
  EXPECT_EQ(url.rfind("http://fota.s3.localhost:", 0), 0u) << url;
  EXPECT_NE(url.find("/k/v.bin"), std::string::npos);
  EXPECT_EQ(url.find("/fota/"), std::string::npos);
  S3Client path_style(s3_config());
  const auto body = bytes(1000, 4);
  ASSERT_TRUE(path_style.put_object("k/v.bin", body).ok());
  auto get = get_url(url);
  ASSERT_TRUE(get.ok()) << get.error();
  EXPECT_EQ(get->status, 200);
  EXPECT_EQ(get->body, body);
}

TEST_F(Net, PresignedGetWorksAndIsTamperProof) {
  S3Client s3(s3_config());
  const auto body = bytes(5000, 5);
  ASSERT_TRUE(s3.put_object("pre/a.bin", body).ok());
  std::string url = s3.presign_get("pre/a.bin", 300);
  auto ok = get_url(url);
  ASSERT_TRUE(ok.ok()) << ok.error();
  EXPECT_EQ(ok->status, 200) << ok->body_text();
  EXPECT_EQ(ok->body, body);
  // Another object with the same signature: refused.
  url.replace(url.find("pre/a.bin"), 9, "pre/b.bin");
  auto bad = get_url(url);
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(bad->status, 403);
  EXPECT_EQ(bad->s3_error_code(), "SignatureDoesNotMatch");
}

TEST_F(Net, MqttRetainedQos1RoundTrip311And5) {
  for (MqttVersion version : {MqttVersion::k311, MqttVersion::k5}) {
    MqttOptions o;
    o.url = env("MQTT_URL");
    o.version = version;
    auto pub = MqttClient::connect(o);
    ASSERT_TRUE(pub.ok()) << pub.error();
    const std::string topic = version == MqttVersion::k5 ? "t/v5" : "t/v311";
    auto mid = (*pub)->publish({topic, "hello", 1, true});
    ASSERT_TRUE(mid.ok()) << mid.error();
    EXPECT_GT(*mid, 0);
    auto sub = MqttClient::connect(o);
    ASSERT_TRUE(sub.ok()) << sub.error();
    ASSERT_TRUE((*sub)->subscribe(topic, 1).ok());
    auto msg = (*sub)->next_message(5000);
    ASSERT_TRUE(msg.ok()) << msg.error();
    ASSERT_TRUE(msg->has_value());
    EXPECT_EQ((*msg)->payload, "hello");
    EXPECT_TRUE((*msg)->retain);
  }
}

// The will itself (a client that vanishes) is shown end to end by faults_agent_test.sh, which
// SIGKILLs `fota agent` and waits for "offline".
TEST_F(Net, MqttCleanDisconnectSendsNoLastWill) {
  MqttOptions watcher_options;
  watcher_options.url = env("MQTT_URL");
  auto watcher = MqttClient::connect(watcher_options);
  ASSERT_TRUE(watcher.ok());
  ASSERT_TRUE((*watcher)->subscribe("dev/status", 1).ok());
  MqttOptions o;
  o.url = env("MQTT_URL");
  o.keepalive_s = 5;
  o.will = MqttMessage{"dev/status", "offline", 1, false};
  {
    auto dev = MqttClient::connect(o);
    ASSERT_TRUE(dev.ok());
  }  // a clean DISCONNECT
  // A marker published after the disconnect: a will, had there been one, would arrive first.
  auto marker = MqttClient::connect(watcher_options);
  ASSERT_TRUE(marker.ok());
  ASSERT_TRUE((*marker)->publish({"dev/status", "marker", 1, false}).ok());
  auto first = (*watcher)->next_message(5000);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(first->has_value());
  EXPECT_EQ((*first)->payload, "marker");
}

TEST_F(Net, MqttsWithCaAndPassword) {
  MqttOptions o = mqtts("MQTT_CA", "secret");
  auto c = MqttClient::connect(o);
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_TRUE((*c)->publish({"t/tls", "x", 1, false}).ok());
  o.cert_file = env("MQTT_CLIENT_CERT");
  o.key_file = env("MQTT_CLIENT_KEY");
  auto with_cert = MqttClient::connect(o);
  ASSERT_TRUE(with_cert.ok()) << with_cert.error();
}

TEST_F(Net, MqttsWrongPasswordIsRefused) {
  MqttOptions o = mqtts("MQTT_CA", "wrong");
  for (MqttVersion version : {MqttVersion::k311, MqttVersion::k5}) {
    o.version = version;
    const std::string error = connect_error(o);
    EXPECT_NE(error.find("connection refused"), std::string::npos) << error;
  }
}

TEST_F(Net, MqttsOtherCaIsRefused) {
  const std::string error = connect_error(mqtts("MQTT_OTHER_CA", "secret"));
  EXPECT_NE(error.find("cannot connect"), std::string::npos) << error;
}

TEST(MqttUrl, ParsesAndRejects) {
  auto a = parse_mqtt_url("mqtt://broker");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->port, 1883);
  auto b = parse_mqtt_url("mqtts://127.0.0.1:8884");
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->tls);
  EXPECT_EQ(b->port, 8884);
  EXPECT_FALSE(parse_mqtt_url("http://x").ok());
  EXPECT_FALSE(parse_mqtt_url("mqtt://x:99999").ok());
}

TEST(AwsCredentials, ProfileFromSharedFile) {
  const std::string path = ::testing::TempDir() + "/aws_credentials_test";
  std::ofstream(path) << "[default]\naws_access_key_id = A\naws_secret_access_key = B\n"
                         "[ci]\naws_access_key_id=C\naws_secret_access_key=D\n"
                         "aws_session_token=E\n";
  ::setenv("AWS_SHARED_CREDENTIALS_FILE", path.c_str(), 1);
  auto ci = load_aws_credentials("ci");
  ASSERT_TRUE(ci.ok()) << ci.error();
  EXPECT_EQ(ci->access_key_id, "C");
  EXPECT_EQ(ci->session_token, "E");
  auto none = load_aws_credentials("nope");
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().find("no profile [nope]"), std::string::npos);
  ::unsetenv("AWS_SHARED_CREDENTIALS_FILE");
}

}  // namespace
}  // namespace fota::ports
