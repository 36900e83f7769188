// SPDX-License-Identifier: Apache-2.0
// The agent's TOML configuration: a full file, defaults, and errors that name the bad key.
#include "gateway/config.h"

#include <gtest/gtest.h>

namespace fota::gateway {
namespace {

const std::string kKey(64, 'a');

// A valid file; `extra_release` adds keys to [release], `rest` top-level keys or tables, and
// `replace` swaps one of the default [release] lines for another.
std::string minimal(const std::string& extra_release = "", const std::string& rest = "",
                    const std::string& replace_key = "", const std::string& replacement = "") {
  const std::pair<std::string, std::string> lines[] = {
      {"product", "product = \"demo\""},
      {"allowed_url_prefixes", "allowed_url_prefixes = [\"http://127.0.0.1:9000/\"]"},
      {"public_keys", "public_keys = [\"" + kKey + "\"]"}};
  std::string release;
  for (const auto& [key, line] : lines) release += (key == replace_key ? replacement : line) + "\n";
  return rest + "\n[broker]\nurl = \"mqtt://127.0.0.1:1883\"\n[release]\n" + release +
         extra_release + "\n[[device]]\nport = \"/dev/ttyUSB0\"\n";
}

TEST(Config, ReadsAFullFile) {
  const std::string text = R"(
state_dir = "/tmp/agent-state"
log_level = "debug"
status_interval_s = 0.5
[broker]
url = "mqtts://broker.example.com:8883"
client_id = "gw-1"
username = "gw"
password_file = "/etc/fota/password"
ca_file = "/etc/fota/ca.pem"
cert_file = "/etc/fota/gw.pem"
key_file = "/etc/fota/gw.key"
keepalive_s = 20
[release]
product = "demo"
channel = "beta"
subscribe = false
manifest_url = "https://fw.example.com/demo/beta/manifest.json"
poll_interval_s = 60
poll_jitter_s = 5.5
allowed_url_prefixes = ["https://fw.example.com/demo/"]
public_keys = [")" + kKey + R"("]
allow_unsigned = true
allow_downgrade = true
legacy_topic = "/firmware/demo"
[download]
connect_timeout_s = 3
stall_timeout_s = 4
retries = 2
backoff_initial_s = 0.1
backoff_max_s = 2
[[device]]
name = "rack-1"
port = "/dev/ttyUSB0"
pins = "gpiod:gpiochip0,boot0=17,nrst=27"
baud = 57600
confirm_timeout_s = 5
outcome_timeout_s = 30
[[device]]
name = "rack-2"
port = "/dev/ttyUSB1"
)";
  auto c = parse_config(text, "agent.toml");
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->state_dir, "/tmp/agent-state");
  EXPECT_EQ(c->log_level, "debug");
  EXPECT_EQ(c->status_interval_s, 0.5);
  EXPECT_EQ(c->broker.url, "mqtts://broker.example.com:8883");
  EXPECT_EQ(c->broker.keepalive_s, 20u);
  EXPECT_EQ(c->release.channel, "beta");
  EXPECT_FALSE(c->release.subscribe);
  EXPECT_EQ(c->release.poll_jitter_s, 5.5);
  EXPECT_TRUE(c->release.allow_downgrade);
  EXPECT_EQ(c->release.legacy_topic, "/firmware/demo");
  EXPECT_EQ(c->download.retries, 2u);
  ASSERT_EQ(c->devices.size(), 2u);
  EXPECT_EQ(c->devices[0].pins, "gpiod:gpiochip0,boot0=17,nrst=27");
  EXPECT_EQ(c->devices[0].baud, 57600u);
  EXPECT_EQ(c->devices[1].name, "rack-2");
  EXPECT_EQ(c->devices[1].transport, "rom");
  EXPECT_EQ(c->devices[1].native_baud, 921'600u);
}

TEST(Config, NativeTransport) {
  auto c = parse_config(minimal() +
                            "pins = \"vstm32:/tmp/ctl\"\ntransport = \"native\"\n"
                            "native_baud = 2000000\n[[device]]\nport = \"p2\"\n"
                            "transport = \"auto\"\n[[device]]\nport = \"p3\"\n"
                            "transport = \"native\"\nnative_entry = \"hello\"\n",
                        "agent.toml");
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_EQ(c->devices.size(), 3u);
  EXPECT_EQ(c->devices[0].transport, "native");
  EXPECT_EQ(c->devices[0].native_baud, 2'000'000u);
  EXPECT_EQ(c->devices[0].native_entry, "pin");
  EXPECT_EQ(c->devices[1].transport, "auto");
  EXPECT_EQ(c->devices[2].native_entry, "hello");
}

TEST(Config, DefaultsForAMinimalFile) {
  auto c = parse_config(minimal(), "agent.toml");
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->release.channel, "stable");
  EXPECT_TRUE(c->release.subscribe);
  EXPECT_FALSE(c->release.allow_unsigned);
  EXPECT_EQ(c->devices[0].name, "device1");
  EXPECT_EQ(c->devices[0].pins, "none");
}

TEST(Config, ErrorsNameTheKey) {
  const struct {
    std::string text;
    std::string error;
  } cases[] = {
      {"[release\n", "agent.toml:1:"},
      {minimal("poll_interval_s = -1"), "release.poll_interval_s: must be between"},
      {minimal("poll_intervall_s = 5"), "release.poll_intervall_s: unknown key"},
      {minimal("channel = 5"), "release.channel: must be a string"},
      {minimal("", "", "public_keys", "public_keys = [\"abc\"]"), "release.public_keys"},
      {minimal("", "", "allowed_url_prefixes", "allowed_url_prefixes = []"),
       "release.allowed_url_prefixes: missing"},
      {minimal("legacy_topic = \"/firmware/x\""), "release.legacy_topic"},
      {minimal("", "", "product", "product = \"a/b\""), "must not contain"},
      {minimal("[download]\nretries = \"3\""), "download.retries: must be an integer"},
      {minimal("", "colour = \"red\""), "colour: unknown key"},
      {minimal("", "log_level = \"loud\""), "log_level"},
      {minimal() + "baud = 12\n", "device[0].baud: must be between"},
      {minimal() + "transport = \"i2c\"\n", "device[0].transport: \"i2c\" is not one of"},
      {minimal() + "native_entry = \"reset\"\n", "device[0].native_entry: \"reset\""},
      {minimal() + "transport = \"native\"\n", "device[0].native_entry: \"pin\" needs reset pins"},
      {minimal() + "native_baud = 100\n", "device[0].native_baud: must be between"},
      {minimal() + "[[device]]\nport = \"/dev/ttyUSB0\"\n", "device[1].port"},
      {"[release]\nproduct = \"demo\"\nallowed_url_prefixes = [\"http://x/\"]\n"
       "public_keys = [\"" +
           kKey + "\"]\n[[device]]\nport = \"p\"\n",
       "release: no way to learn about releases"},
      {"[broker]\nurl = \"tcp://x\"\n", "broker.url"},
      {"[broker]\nurl = \"mqtt://x\"\n", "release: missing"},
      {"[broker]\nurl = \"mqtt://x\"\n[release]\nproduct = \"demo\"\n"
       "allowed_url_prefixes = [\"http://x/\"]\n[[device]]\nport = \"p\"\n",
       "release.public_keys: missing"},
      {"[broker]\nurl = \"mqtt://x\"\n[release]\nproduct = \"demo\"\n"
       "allowed_url_prefixes = [\"http://x/\"]\npublic_keys = [\"" +
           kKey + "\"]\n",
       "device: missing"},
  };
  for (const auto& c : cases) {
    auto r = parse_config(c.text, "agent.toml");
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_NE(r.error().find(c.error), std::string::npos) << r.error() << " / " << c.error;
    EXPECT_EQ(r.error().rfind("agent.toml", 0), 0u) << r.error();
  }
}

TEST(Config, UnreadableFileIsNamed) {
  auto r = load_config("/nonexistent/agent.toml");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("/nonexistent/agent.toml"), std::string::npos);
}

}  // namespace
}  // namespace fota::gateway
