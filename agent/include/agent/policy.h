// SPDX-License-Identifier: Apache-2.0
// Release policy of an update agent: which offered releases a device may install. Freestanding (no
// heap, no exceptions): the Linux gateway and the ESP32 port run the same checks. Every refusal
// has its own code, so the status message says exactly why nothing was installed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "format/version.h"

namespace fota::agent {

enum class PolicyError : uint8_t {
  kOk = 0,
  kUnsigned,            // no signature, and the configuration does not allow unsigned releases
  kWrongProduct,        // the release is for another product
  kNotNewer,            // not newer than the running version (and no explicit, allowed downgrade)
  kDowngradeForbidden,  // an explicit downgrade, but the configuration forbids downgrades
  kUrlNotAllowed,       // the download URL is outside every allowed prefix
  kUrlMalformed,        // empty, too long, control characters, "..", backslash or userinfo
  kTooLarge,            // the image does not fit a slot
  kEmpty,               // a size of zero (or too small for an image header)
  kSizeMismatch,        // the server's Content-Length differs from the manifest's size
};

[[nodiscard]] const char* to_string(PolicyError error);

// What the agent's configuration allows.
struct Policy {
  std::string_view product;
  std::span<const std::string_view> url_prefixes;  // empty: no URL is allowed
  bool allow_unsigned = false;
  bool allow_downgrade = false;  // only ever for an explicit "update to X" command
  uint32_t slot_size = 0;        // largest image (header + payload) a slot holds
};

// A release offered to one device, from a notification or a command.
struct Offer {
  std::string_view product;  // "" for a seed-000 message (it names no product)
  bool has_version = false;  // false for a seed-000 message: the image header says it later
  Version version;
  std::string_view url;
  uint32_t size = 0;                // 0 when unknown (seed-000 message): checked at download
  bool signature_verified = false;  // the manifest's signature checked out against a trusted key
  bool explicit_request = false;    // "update to X" from the command topic
};

// What the device runs now (from its boot log).
struct Running {
  bool known = false;  // false: a blank device, any version is newer
  Version version;
};

// Image size limits shared by every check (header + at least one byte of payload).
inline constexpr uint32_t kMinImageSize = 513;
// Longest download URL accepted.
inline constexpr size_t kMaxUrlLength = 1024;

// The checks that need no download: signature, product, version, URL, size.
[[nodiscard]] PolicyError check_offer(const Policy& policy, const Offer& offer,
                                      const Running& running);

// The URL check alone: `url` must start with one of the prefixes, at a path boundary (a prefix
// "https://h/fw" does not allow "https://h/fw-evil/x" nor "https://h/fw@evil/x").
[[nodiscard]] PolicyError check_url(std::span<const std::string_view> prefixes,
                                    std::string_view url);

// The server's Content-Length (or total size of a Range answer) against the release.
// expected_size == 0: the notification did not say (seed 000); only the slot size limits it.
[[nodiscard]] PolicyError check_content_length(uint64_t content_length, uint32_t expected_size,
                                               uint32_t slot_size);

}  // namespace fota::agent
