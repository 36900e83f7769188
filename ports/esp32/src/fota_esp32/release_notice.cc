// SPDX-License-Identifier: Apache-2.0
#include "fota_esp32/release_notice.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "cJSON.h"

namespace fota::esp32 {
namespace {

constexpr size_t kSignatureHex = 128;
constexpr size_t kKeyIdHex = 16;

// The manifest with its signature digits set to '0' (what the signature covers).
std::array<uint8_t, kMqttBufferBytes> unsigned_copy;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

bool from_hex(std::string_view text, std::span<uint8_t> out) {
  if (text.size() != out.size() * 2) return false;
  for (size_t i = 0; i < out.size(); ++i) {
    const int hi = hex_value(text[2 * i]);
    const int lo = hex_value(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

bool copy(const cJSON* item, std::span<char> out) {
  if (!cJSON_IsString(item) || std::strlen(item->valuestring) >= out.size()) return false;
  std::strcpy(out.data(), item->valuestring);
  return true;
}

// "X.Y.Z" with X, Y <= 255 and Z <= 65535.
bool parse_version(const char* text, Version& out) {
  unsigned long part[3] = {0, 0, 0};
  for (int i = 0; i < 3; ++i) {
    char* end = nullptr;
    part[i] = std::strtoul(text, &end, 10);
    if (end == text || *end != (i < 2 ? '.' : '\0')) return false;
    text = end + 1;
  }
  if (part[0] > 255 || part[1] > 255 || part[2] > 65535) return false;
  out.major = static_cast<uint8_t>(part[0]);
  out.minor = static_cast<uint8_t>(part[1]);
  out.patch = static_cast<uint16_t>(part[2]);
  return true;
}

// Sets out.signature_verified, or out.signature_error when it does not verify.
void check_signature(std::span<const uint8_t> payload, const cJSON* signature, const cJSON* key_id,
                     const Ed25519Verifier& keys, agent::Notice& out) {
  std::array<uint8_t, kKeyIdSize> id{};
  std::array<uint8_t, kSignatureSize> sig{};
  if (!cJSON_IsString(key_id) || !from_hex(key_id->valuestring, id) ||
      !from_hex(signature->valuestring, sig)) {
    agent::set_text(out.signature_error,
                    "key_id or signature is not lowercase hex of the right length");
    return;
  }
  const Ed25519Verifier::PublicKey* key = keys.find(id);
  if (key == nullptr) {
    agent::set_text(out.signature_error, "signed by a key this device does not trust");
    return;
  }
  // The signature's digits occur exactly once in the payload (128 hex digits in quotes).
  const std::string_view text(reinterpret_cast<const char*>(payload.data()), payload.size());
  const size_t at = text.find(signature->valuestring);
  if (at == std::string_view::npos ||
      text.find(signature->valuestring, at + 1) != std::string_view::npos) {
    agent::set_text(out.signature_error, "signature value not found once in the payload");
    return;
  }
  std::memcpy(unsigned_copy.data(), payload.data(), payload.size());
  std::memset(unsigned_copy.data() + at, '0', kSignatureHex);
  out.signature_verified =
      crypto::ed25519_verify(sig, std::span(unsigned_copy.data(), payload.size()), *key) ==
      crypto::VerifyStatus::kOk;
  if (!out.signature_verified) {
    agent::set_text(out.signature_error,
                    "signature does not verify (manifest altered or signed by another key)");
  }
}

bool fail(std::span<char> error, const char* text) {
  std::snprintf(error.data(), error.size(), "release notice: %s", text);
  return false;
}

}  // namespace

bool read_release_notice(std::span<const uint8_t> payload, const Ed25519Verifier& keys,
                         agent::Notice& out, std::span<char> error) {
  out = agent::Notice{};
  if (payload.size() > unsigned_copy.size()) return fail(error, "larger than the MQTT buffer");
  cJSON* root =
      cJSON_ParseWithLength(reinterpret_cast<const char*>(payload.data()), payload.size());
  if (root == nullptr) return fail(error, "not JSON");
  bool ok = false;
  const cJSON* slots = cJSON_GetObjectItemCaseSensitive(root, "slots");
  const cJSON* version = cJSON_GetObjectItemCaseSensitive(root, "version");
  const cJSON* build = cJSON_GetObjectItemCaseSensitive(root, "build");
  const cJSON* signature = cJSON_GetObjectItemCaseSensitive(root, "signature");
  const cJSON* key_id = cJSON_GetObjectItemCaseSensitive(root, "key_id");
  do {
    if (!copy(cJSON_GetObjectItemCaseSensitive(root, "product"), out.product) ||
        !cJSON_IsString(version) || !parse_version(version->valuestring, out.version) ||
        !cJSON_IsObject(slots)) {
      fail(error, "product, version or slots missing or malformed");
      break;
    }
    // The build orders releases of the same X.Y.Z and is part of the release's key, as on Linux.
    if (!cJSON_IsNumber(build) || build->valuedouble < 0 || build->valuedouble > 4294967295.0 ||
        build->valuedouble != static_cast<double>(static_cast<uint32_t>(build->valuedouble))) {
      fail(error, "build missing or not a whole number of 32 bits");
      break;
    }
    out.version.build = static_cast<uint32_t>(build->valuedouble);
    const char* names[2] = {"A", "B"};
    bool slots_ok = true;
    for (int i = 0; i < 2; ++i) {
      const cJSON* slot = cJSON_GetObjectItemCaseSensitive(slots, names[i]);
      const cJSON* size = cJSON_GetObjectItemCaseSensitive(slot, "size");
      slots_ok = slots_ok && copy(cJSON_GetObjectItemCaseSensitive(slot, "url"), out.url[i]) &&
                 cJSON_IsNumber(size) && size->valuedouble >= 0 && size->valuedouble < 4.3e9;
      if (slots_ok) out.size[i] = static_cast<uint32_t>(size->valuedouble);
    }
    if (!slots_ok) {
      fail(error, "slots.A / slots.B need a url and a size");
      break;
    }
    ok = true;
    out.has_signature = cJSON_IsString(signature) && signature->valuestring[0] != '\0';
    if (out.has_signature) check_signature(payload, signature, key_id, keys, out);
  } while (false);
  cJSON_Delete(root);
  static_assert(kKeyIdHex == kKeyIdSize * 2 && kSignatureHex == kSignatureSize * 2);
  return ok;
}

}  // namespace fota::esp32
