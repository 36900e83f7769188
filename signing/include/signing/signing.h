// SPDX-License-Identifier: Apache-2.0
// Release signing (host): ed25519 keys (libsodium), key ids, signed image headers and signed
// manifests. The one place where `fota pack --sign`, `fota verify`, `fota release` and the agent
// create and check signatures.
//
// Image header: ed25519 over header bytes [0, 128) (which hold the payload SHA-256, the product,
// the version and the key id); flag kImageFlagSigned; signature at bytes 128..191.
// Manifest: ed25519 over the exact bytes of manifest.json in which the 128 hex digits of the
// "signature" value are replaced by 128 ASCII '0' (see docs/formats.md): no JSON
// canonicalisation, an MCU verifies the bytes it received.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "format/hex.h"
#include "format/image_header.h"
#include "status/expected.h"

namespace fota::signing {

inline constexpr size_t kPublicKeySize = 32;
inline constexpr size_t kSeedSize = 32;
using PublicKey = std::array<uint8_t, kPublicKeySize>;
using KeyId = std::array<uint8_t, kKeyIdSize>;
using Signature = std::array<uint8_t, kSignatureSize>;

// An ed25519 secret key (libsodium's 64-byte form: seed + public key). Wiped on destruction.
class SecretKey {
 public:
  SecretKey() = default;
  ~SecretKey();
  SecretKey(const SecretKey& other) = default;
  SecretKey& operator=(const SecretKey& other) = default;

  static SecretKey from_seed(std::span<const uint8_t, kSeedSize> seed);
  PublicKey public_key() const;
  std::span<const uint8_t> seed() const { return std::span(bytes_).first(kSeedSize); }
  const std::array<uint8_t, 64>& bytes() const { return bytes_; }

 private:
  std::array<uint8_t, 64> bytes_{};
};

// First 8 bytes of SHA-256 of the public key: names the key in image headers and manifests.
KeyId key_id(const PublicKey& key);
using fota::to_hex;  // lowercase (format/hex.h)
// Parses exactly `out.size()` bytes of lowercase or uppercase hex; false on anything else.
bool from_hex(std::string_view text, std::span<uint8_t> out);

Signature sign(std::span<const uint8_t> message, const SecretKey& key);
bool verify(std::span<const uint8_t> message, const Signature& signature, const PublicKey& key);

// --- Key files ----------------------------------------------------------------------------
// NAME.key: "fota-ed25519-secret <64 hex digits of the seed>\n", mode 0600.
// NAME.pub: "fota-ed25519-public <64 hex digits> <key id hex>\n".
struct KeyFiles {
  std::filesystem::path secret_path;
  std::filesystem::path public_path;
  KeyId id{};
};
// Creates NAME.key (O_EXCL, mode 0600) and NAME.pub from a fresh random key. Refuses to
// overwrite an existing key unless `overwrite`.
Expected<KeyFiles> generate_key_files(const std::filesystem::path& name, bool overwrite = false);
// Reads a secret key file; refuses one that the group or others may read (mode & 077).
Expected<SecretKey> read_secret_key(const std::filesystem::path& path);
// Reads a public key file (also accepts the bare 64 hex digits).
Expected<PublicKey> read_public_key(const std::filesystem::path& path);
Expected<PublicKey> parse_public_key(std::string_view text, const std::string& name);

// --- Image headers ------------------------------------------------------------------------
// Sets kImageFlagSigned and the key id in the image's header, signs bytes [0, 128) and rewrites
// the header CRC. `image` is a whole image file (header + payload); the payload is unchanged.
Expected<void> sign_image(std::span<uint8_t> image, const SecretKey& key);
// Checks an image header's signature with `key`: the flag is set, the key id is `key`'s and
// the signature verifies. `name` prefixes the error ("demo-2.0.0-B.img: ...").
Expected<void> verify_image_signature(std::span<const uint8_t> image, const PublicKey& key,
                                      const std::string& name);

// --- Manifests ----------------------------------------------------------------------------
inline constexpr std::string_view kManifestSignatureKey = "\"signature\": \"";
inline constexpr size_t kManifestSignatureHexSize = 2 * kSignatureSize;
// The value a manifest is written with before signing: 128 ASCII '0'.
std::string manifest_signature_placeholder();
// `text` is a manifest whose "signature" value is the placeholder: returns it with the value
// replaced by the signature over `text`.
Expected<std::string> sign_manifest(std::string text, const SecretKey& key);
// Finds the one "signature" value (128 hex digits), puts the placeholder in its place and
// verifies the signature over the result with `key`.
Expected<void> verify_manifest(std::string_view text, const PublicKey& key);

}  // namespace fota::signing
