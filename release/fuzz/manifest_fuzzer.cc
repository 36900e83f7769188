// SPDX-License-Identifier: Apache-2.0
// libFuzzer: the strict manifest parser. Accepted manifests must survive a write/parse round trip.
// Input byte 0 picks the mode: odd = raw JSON text; even = bytes spliced into a valid manifest
// (reaches the field checks quickly without a corpus, as the ctest smoke run has none).
#include <cstdint>
#include <cstdlib>
#include <string>

#include "release/manifest.h"

namespace {

const std::string& valid_manifest() {
  static const std::string text = [] {
    fota::release::Manifest m;
    m.product = "stm32f407-demo";
    m.channel = "stable";
    m.version = fota::Version{1, 2, 3, 4};
    m.created = "2026-11-23T00:00:00Z";
    m.slot_a = {"demo-1.2.3-A.img", "http://127.0.0.1/a", 4096, 0x12345678, {}};
    m.slot_b = {"demo-1.2.3-B.img", "", 8192, 0x9abcdef0, {}};
    m.min_bootloader_version = "1.0.0";
    return fota::release::manifest_to_json(m);
  }();
  return text;
}

void check(const std::string& text) {
  auto r = fota::release::parse_manifest(text);
  if (!r) {
    if (r.error().empty()) std::abort();
    return;
  }
  auto again = fota::release::parse_manifest(fota::release::manifest_to_json(*r));
  if (!again || !(again->version == r->version) || again->slot_a.size != r->slot_a.size ||
      again->slot_b.sha256 != r->slot_b.sha256 || again->slot_b.crc32 != r->slot_b.crc32) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string input(reinterpret_cast<const char*>(data + 1), size - 1);
  if (data[0] & 1) {
    check(input);
    return 0;
  }
  if (input.size() < 2) return 0;
  std::string text = valid_manifest();
  const size_t at =
      (static_cast<uint8_t>(input[0]) | static_cast<uint8_t>(input[1]) << 8) % text.size();
  const std::string splice = input.substr(2);
  const size_t replace = data[0] & 2 ? splice.size() : 0;  // overwrite or insert
  text.replace(at, replace, splice);
  check(text);
  return 0;
}
