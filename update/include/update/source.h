// SPDX-License-Identifier: Apache-2.0
// Where the image comes from: random access by offset, so a download can resume (HTTP Range) and
// the engine can re-read a bounded part (resume check, optional read-back). Implementations: a
// local file / memory buffer (ports/linux), an HTTP Range reader (the agent).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace fota::update {

enum class SourceStatus : uint8_t {
  kOk = 0,   // out filled completely
  kEnd,      // fewer bytes exist: `got` says how many were filled (0 at or past the end)
  kIoError,  // could not read (network, file); last_error() says why
  kChanged,  // the resource changed underneath (other ETag): the release is not the same
};

const char* to_string(SourceStatus status);

class Source {
 public:
  // Reads out.size() bytes at `offset` of the image file (header first). Blocks until all bytes
  // are there, the end is reached or it gives up (its own timeouts/retries).
  [[nodiscard]] virtual SourceStatus read(uint32_t offset, std::span<uint8_t> out, size_t& got) = 0;
  // Opaque identity of the resource (HTTP ETag, file mtime+size), NUL-terminated; "" if none.
  virtual const char* etag() const { return ""; }
  // A sentence about the last failure (for reports); "" if none.
  virtual const char* last_error() const { return ""; }

 protected:
  ~Source() = default;
};

}  // namespace fota::update
