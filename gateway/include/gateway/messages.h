// SPDX-License-Identifier: Apache-2.0
// Parsing of what the agent receives and what `fota status` reads: release notifications (the
// signed manifest, or seed 000's plain {"url": ..., "crc": ...}), commands on the device's cmd
// topic, and status messages. Host side (nlohmann-json); each parser refuses anything malformed
// with a message naming the field, and never throws.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/messages.h"
#include "agent/status_message.h"
#include "format/version.h"
#include "release/manifest.h"
#include "status/expected.h"

namespace fota::gateway {

// A release as the agent acts on it (either notification form).
struct ReleaseNotice {
  bool legacy = false;  // seed 000 message: url + crc only, never signed
  // Signed form: the manifest and its exact bytes (what the signature covers).
  release::Manifest manifest;
  std::string manifest_bytes;
  // Seed 000 form.
  std::string url;
  uint32_t crc = 0;  // as sent: CRC-32/MPEG-2 of the file (the STM32 CRC unit's, see releasing.md)
};

// Largest notification accepted (a manifest is ~1 KB).
inline constexpr size_t kMaxNotificationSize = 64 * 1024;

// The payload of fota/<product>/<channel>/release: the release's manifest.json, byte for byte
// (signed: its "key_id" and "signature" are set, see docs/formats.md; unsigned: both "").
// Parses and validates it; the signature is checked by verify_notice.
Expected<ReleaseNotice> parse_release_notice(std::string_view payload);

// The manifest's signature against the trusted keys (the one whose key id the manifest names).
// A seed-000 or unsigned notice fails with "unsigned".
Expected<void> verify_notice(const ReleaseNotice& notice,
                             const std::vector<std::array<uint8_t, 32>>& trusted_keys);

// Seed 000's {"url": "...", "crc": "..."} (the core's parser, agent/messages.h): crc is 1-8 hex
// digits with an optional 0x. The agent logs it; the image's integrity is enforced by its header
// (CRC-32 + SHA-256, checked by the engine before commit, and again by the bootloader).
Expected<ReleaseNotice> parse_legacy_notice(std::string_view payload);

// Commands on fota/<product>/device/<uid>/cmd, read by the core's parser (agent/messages.h):
// {"command":"check"} | {"command":"update","version":"X.Y.Z"} | {"command":"report"}
using Command = agent::Command;
Expected<Command> parse_command(std::string_view payload);

// A status message as `fota status` shows it.
struct StatusView {
  std::string uid;
  bool offline = false;  // the last will: the agent is gone (state is then meaningless)
  agent::State state = agent::State::kIdle;
  std::string reason;
  unsigned progress = 0;
  uint64_t bytes = 0;
  uint64_t total = 0;
  uint64_t rate_bps = 0;
  std::string running_version;  // "" when unknown
  std::string running_slot;
  std::string target_version;
  std::string error;
  uint64_t time_unix_s = 0;
  uint64_t since_unix_s = 0;
};
// Accepts what agent::encode_status / encode_offline write, and the bare payload "offline".
Expected<StatusView> parse_status(std::string_view payload);

std::string status_to_json(const StatusView& status);  // one line, for `fota status --json`

}  // namespace fota::gateway
