// SPDX-License-Identifier: Apache-2.0
// The broker flags every MQTT subcommand shares: the names (and `fota status`'s aliases), the
// environment defaults, the password file, and the errors that name what is wrong.
#include "broker_options.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace fota::cli {
namespace {

// Parses `args` as the flags of a subcommand that takes the broker options.
struct Parsed {
  BrokerOptions broker;
  std::string error;  // CLI11's message when the flags are refused
};
Parsed parse(std::vector<std::string> args, bool with_aliases) {
  Parsed p;
  CLI::App app("test");
  add_broker_options(app, p.broker, with_aliases);
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 pops from the back
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    p.error = e.what();
  }
  return p;
}

class BrokerOptionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : kEnv) unsetenv(name);
    dir_ = std::filesystem::temp_directory_path() /
           ("fota-broker-options-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    for (const char* name : kEnv) unsetenv(name);
    std::filesystem::remove_all(dir_);
  }
  std::string write_file(const char* name, const std::string& text) {
    const auto path = dir_ / name;
    std::ofstream(path, std::ios::binary) << text;
    return path.string();
  }

  static constexpr const char* kEnv[] = {"FOTA_MQTT_URL", "FOTA_MQTT_USER", "FOTA_MQTT_PASSWORD",
                                         "FOTA_MQTT_CA"};
  std::filesystem::path dir_;
};

TEST_F(BrokerOptionsTest, FlagsFillTheClientOptions) {
  const auto p =
      parse({"--mqtt", "mqtts://127.0.0.1:8883", "--mqtt-user", "ci", "--mqtt-password", "pw",
             "--mqtt-ca", "ca.pem", "--mqtt-cert", "c.pem", "--mqtt-key", "k.pem", "--mqtt-v5"},
            false);
  ASSERT_EQ(p.error, "");
  auto o = mqtt_options(p.broker);
  ASSERT_TRUE(o) << o.error();
  EXPECT_EQ(o->url, "mqtts://127.0.0.1:8883");
  EXPECT_EQ(o->username, "ci");
  EXPECT_EQ(o->password, "pw");
  EXPECT_EQ(o->ca_file, "ca.pem");
  EXPECT_EQ(o->cert_file, "c.pem");
  EXPECT_EQ(o->key_file, "k.pem");
  EXPECT_EQ(o->version, ports::MqttVersion::k5);
}

TEST_F(BrokerOptionsTest, TheEnvironmentFillsWhatNoFlagGives) {
  setenv("FOTA_MQTT_URL", "mqtt://127.0.0.1:1883", 1);
  setenv("FOTA_MQTT_USER", "env-user", 1);
  setenv("FOTA_MQTT_PASSWORD", "env-pw", 1);
  setenv("FOTA_MQTT_CA", "env-ca.pem", 1);
  auto from_env = mqtt_options(parse({}, false).broker);
  ASSERT_TRUE(from_env) << from_env.error();
  EXPECT_EQ(from_env->url, "mqtt://127.0.0.1:1883");
  EXPECT_EQ(from_env->username, "env-user");
  EXPECT_EQ(from_env->password, "env-pw");
  EXPECT_EQ(from_env->ca_file, "env-ca.pem");
  EXPECT_EQ(from_env->version, ports::MqttVersion::k311);

  auto flags_win = mqtt_options(
      parse({"--mqtt", "mqtt://127.0.0.1:2000", "--mqtt-user", "flag-user"}, false).broker);
  ASSERT_TRUE(flags_win) << flags_win.error();
  EXPECT_EQ(flags_win->url, "mqtt://127.0.0.1:2000");
  EXPECT_EQ(flags_win->username, "flag-user");
  EXPECT_EQ(flags_win->password, "env-pw");
}

TEST_F(BrokerOptionsTest, NoUrlAnywhereMeansNoBroker) {
  EXPECT_EQ(broker_url(parse({}, false).broker), "");
  setenv("FOTA_MQTT_URL", "mqtt://127.0.0.1:1883", 1);
  EXPECT_EQ(broker_url(parse({}, false).broker), "mqtt://127.0.0.1:1883");
}

TEST_F(BrokerOptionsTest, PasswordFileGivesItsFirstLine) {
  const auto file = write_file("password", "s3cret\r\nsecond line\n");
  setenv("FOTA_MQTT_PASSWORD", "env-pw", 1);  // the file wins over the environment
  auto o = mqtt_options(parse({"--mqtt-password-file", file}, false).broker);
  ASSERT_TRUE(o) << o.error();
  EXPECT_EQ(o->password, "s3cret");
}

TEST_F(BrokerOptionsTest, UnreadablePasswordFileIsNamed) {
  const std::string missing = (dir_ / "no-such-file").string();
  auto o = mqtt_options(parse({"--mqtt-password-file", missing}, false).broker);
  ASSERT_FALSE(o);
  EXPECT_NE(o.error().find("--mqtt-password-file"), std::string::npos) << o.error();
  EXPECT_NE(o.error().find(missing), std::string::npos) << o.error();
}

TEST_F(BrokerOptionsTest, PasswordAndPasswordFileAreRefusedTogether) {
  const auto file = write_file("password", "pw\n");
  auto o =
      mqtt_options(parse({"--mqtt-password", "pw", "--mqtt-password-file", file}, false).broker);
  ASSERT_FALSE(o);
  EXPECT_NE(o.error().find("not both"), std::string::npos) << o.error();
}

TEST_F(BrokerOptionsTest, AliasesOnlyWhereAsked) {
  const std::vector<std::string> old_names = {"--broker",        "mqtt://127.0.0.1:1883",
                                              "--username",      "u",
                                              "--password-file", "pw.txt",
                                              "--ca-file",       "ca.pem"};
  const auto with = parse(old_names, true);
  ASSERT_EQ(with.error, "");
  EXPECT_EQ(with.broker.url, "mqtt://127.0.0.1:1883");
  EXPECT_EQ(with.broker.user, "u");
  EXPECT_EQ(with.broker.password_file, "pw.txt");
  EXPECT_EQ(with.broker.ca_file, "ca.pem");

  const auto without = parse(old_names, false);
  EXPECT_NE(without.error.find("--broker"), std::string::npos) << without.error;
}

}  // namespace
}  // namespace fota::cli
