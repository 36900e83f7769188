// SPDX-License-Identifier: Apache-2.0
// The release manifest (manifest.json), host side. Strictly validated: any unknown key, wrong
// type, malformed value or missing field is an error that names the field.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "format/sha256.h"
#include "format/version.h"

namespace fota::release {

struct ManifestSlot {
  std::string file;       // image file name, relative to the manifest
  std::string url;        // where devices fetch it ("" when no --url-base was given)
  uint32_t size = 0;      // image file size in bytes (header + payload)
  uint32_t crc32 = 0;     // CRC-32 (zlib) of the whole image file
  Sha256Digest sha256{};  // SHA-256 of the whole image file
};

struct Manifest {
  std::string product;
  std::string channel;
  Version version;      // version.build mirrors `build`
  std::string created;  // ISO-8601 UTC, "YYYY-MM-DDTHH:MM:SSZ"
  ManifestSlot slot_a;
  ManifestSlot slot_b;
  std::string min_bootloader_version;  // "X.Y.Z"
  // Signing (signing/signing.h): key id = 16 hex digits of the signing key's id, signature =
  // 128 hex digits of ed25519 over the manifest's bytes with this value set to 128 '0'.
  // Both "" when unsigned ("key_id" may be absent, "signature" null).
  std::string key_id;
  std::string signature;
};

struct ManifestResult {
  bool ok = false;
  std::string error;
  Manifest manifest;
};

// Largest image a manifest may describe: header + a full slot's payload.
inline constexpr uint32_t kMaxImageFileSize = 384 * 1024;

// "X.Y.Z" with X,Y <= 255 and Z <= 65535, decimal without leading zeros or signs.
std::optional<Version> parse_version(const std::string& text);
std::string version_string(const Version& v);
bool is_iso8601_utc(const std::string& text);
std::string now_iso8601_utc();

std::string manifest_to_json(const Manifest& manifest);  // pretty, stable key order
ManifestResult parse_manifest(const std::string& json_text);

}  // namespace fota::release

namespace fota::release {

struct Release {
  Manifest manifest;
  std::string manifest_text;     // the exact bytes of manifest.json (what a signature covers)
  std::vector<uint8_t> image_a;  // whole image files (header + payload)
  std::vector<uint8_t> image_b;
};

struct ReleaseResult {
  bool ok = false;
  std::string error;
  Release release;
};

// Reads DIR/manifest.json and both image files, and checks each file against the manifest (size,
// CRC-32, SHA-256), its header and payload, that it is linked for its slot, and that the header's
// version matches the manifest's.
ReleaseResult read_release(const std::filesystem::path& dir);
// The same checks on a release held in memory (e.g. downloaded). `where` prefixes the file names
// in errors (a directory with '/', or a URL base).
ReleaseResult check_release(const std::string& manifest_text, std::vector<uint8_t> image_a,
                            std::vector<uint8_t> image_b, const std::string& where);

}  // namespace fota::release
