// SPDX-License-Identifier: Apache-2.0
// One NVS entry read or written whole as a blob (ESP-IDF nvs.h; Arduino's Preferences sits on the
// same store): what the engine's resume record (NvsProgressStore) and the agent's list of
// reverted releases (AgentPort) keep. NVS writes an entry completely before it drops the old one,
// so after a power cut a read sees the previous or the new blob.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace fota::esp32 {

enum class NvsBlobStatus : uint8_t {
  kOk,
  kNotFound,  // no such namespace or key yet
  kTooLong,   // the entry is longer than the buffer
  kIoError,
};

// Reads the entry into `out`; `size` is how many bytes it holds.
[[nodiscard]] NvsBlobStatus nvs_read_blob(const char* nvs_namespace, const char* key,
                                          std::span<uint8_t> out, size_t& size);
// Writes and commits the entry.
[[nodiscard]] bool nvs_write_blob(const char* nvs_namespace, const char* key,
                                  std::span<const uint8_t> data);
// Erases and commits the entry (an entry that does not exist is erased already).
[[nodiscard]] bool nvs_erase_blob(const char* nvs_namespace, const char* key);

}  // namespace fota::esp32
