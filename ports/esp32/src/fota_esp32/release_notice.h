// SPDX-License-Identifier: Apache-2.0
// The release notification (fota/<product>/<channel>/release: the release's manifest.json, byte
// for byte) read on the ESP32 with ESP-IDF's cJSON: the manifest signature is checked first
// (ed25519 over the exact bytes with the signature's 128 hex digits set to '0', as
// signing/verify_manifest does on Linux), then the fields the agent's policy and the engine need
// are taken. The engine checks the signed image header again before anything is erased.
#pragma once

#include <array>
#include <span>
#include <string_view>

#include "agent/policy.h"
#include "fota_esp32/config.h"
#include "fota_esp32/ed25519_verifier.h"

namespace fota::esp32 {

struct ReleaseNotice {
  agent::Offer offer;  // views into this object (product, url of the slot asked for)
  std::array<std::array<char, kUrlMaxBytes>, 2> url{};  // slot A, slot B
  std::array<uint32_t, 2> size{};
  std::array<char, 32> product{};
};

// Reads `payload` into `out`; false (and `error` set) when it is not a manifest, a field is
// missing or too long, or the signature does not verify. An unsigned manifest is read with
// out.offer.signature_verified = false (the policy decides).
[[nodiscard]] bool read_release_notice(std::span<const uint8_t> payload,
                                       const Ed25519Verifier& keys, ReleaseNotice& out,
                                       std::span<char> error);

}  // namespace fota::esp32
