// SPDX-License-Identifier: Apache-2.0
// The release notification (fota/<product>/<channel>/release: the release's manifest.json, byte
// for byte) read on the ESP32 with ESP-IDF's cJSON: the manifest signature is checked first
// (ed25519 over the exact bytes with the signature's 128 hex digits set to '0', as
// signing/verify_manifest does on Linux), then the fields the agent's policy and the engine need
// are taken (agent::Notice, what the agent's loop acts on). The engine checks the signed image
// header again before anything is erased.
#pragma once

#include <span>
#include <string_view>

#include "agent/device_loop.h"
#include "fota_esp32/config.h"
#include "fota_esp32/ed25519_verifier.h"

namespace fota::esp32 {

// Reads `payload` into `out`; false (and `error` set) when it is not a manifest or a field is
// missing or too long. A signature that cannot be checked (unknown key, malformed, does not
// verify) leaves out.signature_verified false with the reason in out.signature_error: the agent's
// loop refuses it ("bad-signature"), as on Linux. An unsigned manifest is read with
// out.has_signature = false (the policy decides).
[[nodiscard]] bool read_release_notice(std::span<const uint8_t> payload,
                                       const Ed25519Verifier& keys, agent::Notice& out,
                                       std::span<char> error);

}  // namespace fota::esp32
