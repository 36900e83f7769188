// SPDX-License-Identifier: Apache-2.0
// The status message an agent publishes for each device on fota/<product>/device/<uid>/status
// (retained; the broker publishes kOfflinePayload as the agent's last will). Encoding is
// freestanding (fixed buffer, no heap), so an ESP32 publishes byte-identical messages. Format:
// docs/agent.md ("Status message").
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "format/version.h"
#include "status/result.h"
#include "update/reporter.h"
#include "update/state.h"

namespace fota::agent {

// The states are the update engine's (update/state.h): the agent reports what the engine runs.
// "offline" is not a state of an update: it is the last will the broker publishes when the agent
// vanishes (encode_offline).
using update::State;
inline constexpr size_t kStateCount = static_cast<size_t>(State::kFailed) + 1;
inline constexpr const char* kOfflineState = "offline";

[[nodiscard]] bool state_from_string(std::string_view name, State& state);

struct StatusReport {
  std::string_view uid;  // 24 hex digits: the STM32's 96-bit unique ID
  State state = State::kIdle;
  std::string_view reason;  // short code for kFailed/kReverted (e.g. "signature", "http-404")
  std::string_view error;   // the last error as a sentence ("" when none)
  uint64_t bytes_done = 0;
  uint64_t bytes_total = 0;  // 0 when not downloading
  uint32_t rate_bps = 0;     // bytes per second over the last interval
  bool running_known = false;
  Version running;
  char running_slot = '-';  // 'A', 'B' or '-'
  bool target_known = false;
  Version target;
  uint64_t time_unix_s = 0;         // when this message was made
  uint64_t state_since_unix_s = 0;  // when the device entered `state`
};

enum class StatusError : uint8_t { kOk = 0, kBufferTooSmall };
[[nodiscard]] const char* to_string(StatusError error);

// Largest encoded message (with the longest error text the agent keeps).
inline constexpr size_t kMaxStatusSize = 1024;
inline constexpr size_t kMaxErrorLength = 400;  // longer error texts are cut, not refused

// progress = bytes_done * 100 / bytes_total (0 when the total is unknown), clamped to 100.
[[nodiscard]] uint8_t progress_percent(uint64_t bytes_done, uint64_t bytes_total);

// Writes the JSON message into `out`; returns its length (no terminating NUL).
[[nodiscard]] Result<size_t, StatusError> encode_status(const StatusReport& report,
                                                        std::span<char> out);

// The status's reason and error for an update the bootloader reverted, the same on every host:
// "not-confirmed" (the new image did not confirm itself), or "refused-<why>" when the device's
// secure boot refused it (`refusal` = update::Target::refusal(), e.g. "unsigned"; "" when none).
// NUL-terminated, cut to fit.
void write_reverted_reason(std::string_view refusal, std::span<char> reason, std::span<char> error);

// The status's error sentence for an update that failed, the same on every host: the reason's
// code, then what the device, the source or the header check said. `target_error` and
// `source_error` are the target's and the failing source's last_error() ("" when none);
// `keys_setting` names where the host's trusted keys are configured (for unknown-key).
// NUL-terminated, cut to fit.
void write_failure_text(const update::Failure& failure, std::string_view target_error,
                        std::string_view source_error, std::string_view keys_setting,
                        std::span<char> out);

// The last will: {"uid":"<uid>","state":"offline"}.
[[nodiscard]] Result<size_t, StatusError> encode_offline(std::string_view uid, std::span<char> out);

}  // namespace fota::agent
