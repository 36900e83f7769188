// SPDX-License-Identifier: Apache-2.0
// A release manifest as `fota release` writes it, and signed as it signs it, for the tests of its
// readers (the Linux agent's gateway::parse_release_notice, the ESP32's read_release_notice).
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string>

#include "release/manifest.h"
#include "signing/signing.h"

namespace fota::release::testing {

// Product `product`, 2.0.0 build 5, two 4096-byte images under http://127.0.0.1:9000/demo/.
inline Manifest manifest_of(const std::string& product) {
  Manifest m;
  m.product = product;
  m.channel = "stable";
  m.version = Version{2, 0, 0, 5};
  m.created = "2026-12-02T10:00:00Z";
  for (auto* s : {&m.slot_a, &m.slot_b}) {
    s->file = s == &m.slot_a ? "demo-2.0.0-A.img" : "demo-2.0.0-B.img";
    s->url = "http://127.0.0.1:9000/demo/" + s->file;
    s->size = 4096;
    s->crc32 = 0x1234abcd;
  }
  m.min_bootloader_version = "1.0.0";
  return m;
}

// A key pair from a seed of 32 equal bytes: the same key in every run.
inline signing::SecretKey test_key(uint8_t seed_byte) {
  std::array<uint8_t, signing::kSeedSize> seed{};
  seed.fill(seed_byte);
  return signing::SecretKey::from_seed(seed);
}

// The manifest's JSON with its key id and signature, as `fota release --sign` publishes it.
inline std::string signed_manifest_text(Manifest m, const signing::SecretKey& key) {
  m.key_id = signing::to_hex(signing::key_id(key.public_key()));
  m.signature = signing::manifest_signature_placeholder();
  auto text = signing::sign_manifest(manifest_to_json(m), key);
  EXPECT_TRUE(text.ok());
  return text.ok() ? *text : std::string();
}

}  // namespace fota::release::testing
