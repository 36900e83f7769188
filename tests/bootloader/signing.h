// SPDX-License-Identifier: Apache-2.0
// Signed images and key blocks for the secure-boot tests and benchmark, with libsodium (what
// `fota pack --sign` and `fota provision` do on the host).
#pragma once

#include <sodium.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <vector>

#include "bootcore/trust.h"
#include "flash_layout.h"
#include "format/crc32.h"
#include "format/image_header.h"
#include "format/sha256.h"

namespace fota::boot_test {

struct TestKey {
  bootcore::PublicKey public_key{};
  std::array<uint8_t, crypto_sign_SECRETKEYBYTES> secret{};

  explicit TestKey(uint8_t seed_byte) {
    if (sodium_init() < 0) std::abort();
    std::array<uint8_t, crypto_sign_SEEDBYTES> seed;
    seed.fill(seed_byte);
    crypto_sign_seed_keypair(public_key.data(), secret.data(), seed.data());
  }
};

// Rewrites the header of `image` (header + payload) from `header`, recomputing its CRC.
inline void put_header(std::vector<uint8_t>& image, const ImageHeader& header) {
  const auto bytes = encode_image_header(header);
  std::memcpy(image.data(), bytes.data(), bytes.size());
}

inline ImageHeader header_of(const std::vector<uint8_t>& image) {
  const auto parsed = parse_image_header(image);
  if (!parsed) {
    std::fprintf(stderr, "test image header does not parse: %s\n", to_string(parsed.error()));
    std::abort();
  }
  return parsed.value();
}

// Signs `image` in place with `key`: signed flag, key id, ed25519 over header bytes [0, 128).
inline void sign_image(std::vector<uint8_t>& image, const TestKey& key) {
  ImageHeader h = header_of(image);
  h.flags |= kImageFlagSigned;
  h.key_id = bootcore::key_id_of(key.public_key);
  h.signature.fill(0);
  put_header(image, h);
  crypto_sign_detached(h.signature.data(), nullptr, image.data(), kSignedSize, key.secret.data());
  put_header(image, h);
}

inline std::vector<uint8_t> signed_demo(const std::string& app, flash_map::Slot slot,
                                        const TestKey& key) {
  std::vector<uint8_t> image = demo_image(app, slot);
  sign_image(image, key);
  return image;
}

// Flips one payload bit and repairs CRC-32 and SHA-256 in the header, keeping the signature:
// what an attacker without the key can do at best.
inline void tamper_payload(std::vector<uint8_t>& image, uint32_t offset = 0x180) {
  ImageHeader h = header_of(image);
  image.at(kImageHeaderSize + offset) ^= 0x01;
  const std::span<const uint8_t> payload(image.data() + kImageHeaderSize, h.payload_size);
  h.payload_crc32 = crc32(payload);
  h.payload_sha256 = sha256(payload);
  put_header(image, h);
}

inline void put_key_block(FlashLayout& layout, std::initializer_list<const TestKey*> keys) {
  std::vector<bootcore::PublicKey> pks;
  for (const TestKey* k : keys) pks.push_back(k->public_key);
  (void)layout.flash().erase_sector(bootcore::kKeyBlockSector);
  const auto block = bootcore::encode_key_block(pks);
  layout.put(bootcore::kKeyBlockAddress, block);
}

}  // namespace fota::boot_test
