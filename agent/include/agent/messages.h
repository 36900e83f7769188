// SPDX-License-Identifier: Apache-2.0
// What an agent receives besides the signed manifest, read without heap so that the Linux gateway
// and the ESP32 port parse it with the same code: seed 000's legacy notification
// {"url": "...", "crc": "..."} and the commands on fota/<product>/device/<uid>/cmd
// ({"command": "check" | "report"} or {"command": "update", "version": "X.Y.Z"}); plus the topic
// names (docs/agent.md, "Topics") and what a command asks the agent to do. Both messages are flat
// JSON objects of strings: anything else (unknown or repeated keys, other value types, trailing
// bytes) is refused with the key it concerns.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "format/version.h"
#include "status/result.h"

namespace fota::agent {

// Largest legacy notification or command accepted.
inline constexpr size_t kMaxMessageSize = 4096;

enum class MessageError : uint8_t {
  kOk = 0,
  kTooLarge,        // more than kMaxMessageSize bytes
  kNotJson,         // not valid JSON
  kNotObject,       // does not start with '{'
  kUnknownKey,      // a key the message does not have
  kDuplicateKey,    // a key given twice
  kNotString,       // the key's value is not a string
  kTooLong,         // the key's string does not fit the caller's buffer
  kMissingKey,      // a required key is absent
  kEmptyUrl,        // "url" is ""
  kBadCrc,          // "crc" is not 1-8 hex digits (with an optional 0x)
  kUnknownCommand,  // "command" is not check, update or report
  kBadVersion,      // "version" is not X.Y.Z (X, Y <= 255, Z <= 65535, no leading zeros)
};

// A phrase that follows the key in quotes when there is one ("\"crc\" must be a string").
[[nodiscard]] const char* to_string(MessageError error);

// The key an error concerns ("" for kTooLarge, kNotJson, kNotObject); a view into the payload,
// as it is written there, or a literal.
struct MessageDetail {
  std::string_view key;
};

// Writes "<what>: \"<key>\" <phrase>" (or "<what>: <phrase>") into `out`, NUL-terminated and cut
// to fit; returns the length.
size_t describe(std::string_view what, MessageError error, const MessageDetail& detail,
                std::span<char> out);

// Seed 000's notification. `url` views the caller's buffer given to parse_legacy_message.
struct LegacyMessage {
  std::string_view url;
  uint32_t crc = 0;  // as sent: CRC-32/MPEG-2 of the file (the image header is what is checked)
};
[[nodiscard]] Result<LegacyMessage, MessageError> parse_legacy_message(
    std::string_view payload, std::span<char> url_buffer, MessageDetail* detail = nullptr);

enum class CommandKind : uint8_t { kCheck, kUpdate, kReport };
struct Command {
  CommandKind kind = CommandKind::kCheck;
  Version version;  // kUpdate: the version to install (an explicit downgrade is allowed there)
};
[[nodiscard]] Result<Command, MessageError> parse_command(std::string_view payload,
                                                          MessageDetail* detail = nullptr);

// What the agent does for a command, given the release it knows of (the last valid notification).
enum class CommandAction : uint8_t {
  kPublishStatus,   // report: publish the status now
  kCheck,           // check: fetch the release pointer again or retry the known release
  kInstall,         // update: install the known release as an explicit request
  kUnknownVersion,  // update: the version asked for is not the release the channel offers
};
struct KnownRelease {
  bool known = false;
  bool legacy = false;  // a seed-000 notification names no version
  Version version;
};
[[nodiscard]] CommandAction command_action(const Command& command, const KnownRelease& latest);

// Topic names; each writes into `out` (no NUL) and returns the length, or kTooLong.
enum class TopicError : uint8_t { kOk = 0, kTooLong };
[[nodiscard]] const char* to_string(TopicError error);
// fota/<product>/<channel>/release
[[nodiscard]] Result<size_t, TopicError> release_topic(std::string_view product,
                                                       std::string_view channel,
                                                       std::span<char> out);
// fota/<product>/device/<uid>/status
[[nodiscard]] Result<size_t, TopicError> status_topic(std::string_view product,
                                                      std::string_view uid, std::span<char> out);
// fota/<product>/device/<uid>/cmd
[[nodiscard]] Result<size_t, TopicError> command_topic(std::string_view product,
                                                       std::string_view uid, std::span<char> out);

}  // namespace fota::agent
