// SPDX-License-Identifier: Apache-2.0
// libFuzzer: the status parser on arbitrary bytes, and the encoder on fuzzed fields: whatever the
// agent encodes (within kMaxStatusSize) must parse back to the same state and numbers.
#include <array>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "agent/status_message.h"
#include "gateway/messages.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  if (auto s = fota::gateway::parse_status(in); s.ok()) {
    if (s->progress > 100) std::abort();
    (void)fota::gateway::status_to_json(*s);
  }
  if (size < 24) return 0;
  fota::agent::StatusReport r;
  uint64_t numbers[3];
  std::memcpy(numbers, data, sizeof numbers);
  r.state = static_cast<fota::agent::State>(data[0] % fota::agent::kStateCount);
  r.bytes_done = numbers[1];
  r.bytes_total = numbers[2];
  r.time_unix_s = numbers[0];
  const std::string_view text = in.substr(24);
  r.uid = text.substr(0, text.size() / 3);
  r.reason = text.substr(text.size() / 3, text.size() / 3);
  r.error = text.substr(2 * (text.size() / 3));
  std::array<char, fota::agent::kMaxStatusSize> buffer{};
  auto n = fota::agent::encode_status(r, buffer);
  if (!n.ok()) std::abort();
  auto back = fota::gateway::parse_status(std::string_view(buffer.data(), *n));
  // Text that is not UTF-8 is not valid JSON: only then may the round trip fail.
  if (!back.ok()) return 0;
  if (back->state != r.state || back->bytes != r.bytes_done || back->total != r.bytes_total ||
      back->time_unix_s != r.time_unix_s) {
    std::abort();
  }
  return 0;
}
