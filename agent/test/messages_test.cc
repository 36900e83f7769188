// SPDX-License-Identifier: Apache-2.0
#include "agent/messages.h"

#include <gtest/gtest.h>

#include <array>
#include <string>

namespace fota::agent {
namespace {

TEST(LegacyMessage, ReadsUrlAndCrcInAnyOrderWithEscapes) {
  std::array<char, 64> url{};
  auto m = parse_legacy_message(R"({"url": "http:\/\/minio:9000/fw/app.bin", "crc": "0x1A2b3C4d"})",
                                url);
  ASSERT_TRUE(m.ok()) << to_string(m.error());
  EXPECT_EQ(m->url, "http://minio:9000/fw/app.bin");
  EXPECT_EQ(m->crc, 0x1a2b3c4du);
  m = parse_legacy_message(" {\"crc\":\"ff\",\n\"url\":\"http://x/\\u00e9\"} ", url);
  ASSERT_TRUE(m.ok()) << to_string(m.error());
  EXPECT_EQ(m->crc, 0xffu);
  EXPECT_EQ(m->url, "http://x/\xc3\xa9");
}

TEST(LegacyMessage, RefusesMalformedMessagesNamingTheKey) {
  struct Case {
    const char* payload;
    MessageError error;
    const char* key;
  };
  const Case cases[] = {
      {R"({"url": "http://x/y"})", MessageError::kMissingKey, "crc"},
      {R"({"crc": "12"})", MessageError::kMissingKey, "url"},
      {R"({"url": "", "crc": "12"})", MessageError::kEmptyUrl, "url"},
      {R"({"url": "http://x/y", "crc": 12})", MessageError::kNotString, "crc"},
      {R"({"url": "http://x/y", "crc": "0x"})", MessageError::kBadCrc, "crc"},
      {R"({"url": "http://x/y", "crc": "123456789"})", MessageError::kBadCrc, "crc"},
      {R"({"url": "http://x/y", "crc": "xyz"})", MessageError::kBadCrc, "crc"},
      {R"({"url": "http://x/y", "crc": "12", "size": 3})", MessageError::kUnknownKey, "size"},
      {R"({"url": "http://x/y", "url": "http://x/z", "crc": "12"})", MessageError::kDuplicateKey,
       "url"},
      {R"("url")", MessageError::kNotObject, ""},
      {R"({"url": "http://x/y", "crc": "12"} x)", MessageError::kNotJson, ""},
      {R"({"url": "http://x/y", "crc": "12")", MessageError::kNotJson, ""},
      {R"({"url": "http://x/y", "crc": {"a": [1, 2.5e3, true, null]}})", MessageError::kNotString,
       "crc"},
      {R"({"url": "http://x/y", "crc": "12", "size": })", MessageError::kUnknownKey, "size"},
      {R"({"url": "http://x/\ud800", "crc": "12"})", MessageError::kNotJson, ""},
      {"{\"url\": \"http://x/\ty\", \"crc\": \"12\"}", MessageError::kNotJson, ""},
      {"", MessageError::kNotJson, ""},
      {"[1]", MessageError::kNotObject, ""},
  };
  std::array<char, 64> url{};
  for (const Case& c : cases) {
    MessageDetail detail;
    auto m = parse_legacy_message(c.payload, url, &detail);
    ASSERT_FALSE(m.ok()) << c.payload;
    EXPECT_EQ(m.error(), c.error) << c.payload << ": " << to_string(m.error());
    EXPECT_EQ(detail.key, c.key) << c.payload;
  }
}

TEST(LegacyMessage, AUrlLongerThanTheBufferIsRefusedNotCut) {
  std::array<char, 8> url{};
  MessageDetail detail;
  auto m =
      parse_legacy_message(R"({"url": "http://example.com/fw.bin", "crc": "1"})", url, &detail);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error(), MessageError::kTooLong);
  EXPECT_EQ(detail.key, "url");
  const std::string big =
      "{\"url\": \"" + std::string(kMaxMessageSize, 'a') + "\", \"crc\": \"1\"}";
  EXPECT_EQ(parse_legacy_message(big, url).error(), MessageError::kTooLarge);
}

TEST(Command, ParsesTheThreeCommands) {
  auto c = parse_command(R"({"command":"check"})");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->kind, CommandKind::kCheck);
  c = parse_command(R"({"command":"report"})");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->kind, CommandKind::kReport);
  c = parse_command(R"({"version":"1.2.3", "command":"update"})");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->kind, CommandKind::kUpdate);
  EXPECT_EQ(c->version.packed(), (Version{1, 2, 3, 0}.packed()));
}

TEST(Command, RefusesBadCommands) {
  struct Case {
    const char* payload;
    MessageError error;
  };
  const Case cases[] = {
      {R"({"command":"reboot-now"})", MessageError::kUnknownCommand},
      {R"({"command":"a-command-name-longer-than-any"})", MessageError::kUnknownCommand},
      {R"({"command":"update"})", MessageError::kMissingKey},
      {R"({"command":"update","version":"1.2"})", MessageError::kBadVersion},
      {R"({"command":"update","version":"1.02.3"})", MessageError::kBadVersion},
      {R"({"command":"update","version":"256.0.0"})", MessageError::kBadVersion},
      {R"({"command":"check","version":"1.2.3"})", MessageError::kUnknownKey},
      {R"({"command":"check","x":1})", MessageError::kUnknownKey},
      {R"({"cmd":"check"})", MessageError::kUnknownKey},
      {R"({})", MessageError::kMissingKey},
      {"check", MessageError::kNotObject},
      {R"({"command":7})", MessageError::kNotString},
  };
  for (const Case& c : cases) {
    auto command = parse_command(c.payload);
    ASSERT_FALSE(command.ok()) << c.payload;
    EXPECT_EQ(command.error(), c.error) << c.payload << ": " << to_string(command.error());
  }
}

TEST(Command, ActionDependsOnTheKnownRelease) {
  const Command update{CommandKind::kUpdate, Version{2, 0, 0, 0}};
  EXPECT_EQ(command_action(update, {}), CommandAction::kUnknownVersion);
  EXPECT_EQ(command_action(update, {true, true, Version{}}), CommandAction::kUnknownVersion);
  EXPECT_EQ(command_action(update, {true, false, Version{1, 9, 0, 0}}),
            CommandAction::kUnknownVersion);
  EXPECT_EQ(command_action(update, {true, false, Version{2, 0, 0, 7}}), CommandAction::kInstall);
  EXPECT_EQ(command_action({CommandKind::kCheck, {}}, {}), CommandAction::kCheck);
  EXPECT_EQ(command_action({CommandKind::kReport, {}}, {}), CommandAction::kPublishStatus);
}

TEST(Describe, NamesWhatAndKey) {
  std::array<char, 80> out{};
  const size_t n = describe("firmware message", MessageError::kNotString, {"crc"}, out);
  EXPECT_EQ(std::string(out.data(), n), "firmware message: \"crc\" must be a string");
  std::array<char, 10> small{};
  EXPECT_EQ(describe("firmware message", MessageError::kNotJson, {}, small), 9u);
  EXPECT_EQ(std::string(small.data()), "firmware ");
}

TEST(Topics, AreTheDocumentedNames) {
  std::array<char, 64> out{};
  auto n = release_topic("demo", "stable", out);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(out.data(), *n), "fota/demo/stable/release");
  n = status_topic("demo", "0011", out);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(out.data(), *n), "fota/demo/device/0011/status");
  n = command_topic("demo", "0011", out);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(out.data(), *n), "fota/demo/device/0011/cmd");
  std::array<char, 10> small{};
  EXPECT_EQ(command_topic("demo", "0011", small).error(), TopicError::kTooLong);
}

}  // namespace
}  // namespace fota::agent
