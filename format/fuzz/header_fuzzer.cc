// SPDX-License-Identifier: Apache-2.0
// libFuzzer: the image header parser and payload check on arbitrary bytes. Any accepted header
// must re-encode to the same 512 bytes (the parser accepts only what the encoder writes).
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "format/bytes.h"
#include "format/crc32.h"
#include "format/image_header.h"

namespace {

int check(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> in(data, size);
  auto r = fota::parse_image_header(in);
  if (!r.ok()) {
    if (fota::to_string(r.error())[0] == '\0') std::abort();
    return 0;
  }
  const auto again = fota::encode_image_header(*r);
  if (std::memcmp(again.data(), data, fota::kImageHeaderSize) != 0) std::abort();
  (void)fota::linked_slot(*r);
  (void)fota::check_payload(*r, in.subspan(fota::kImageHeaderSize), true);
  return 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  check(data, size);
  // The header CRC gates every later check; also parse the input with a valid CRC so the fuzzer
  // reaches the field checks behind it.
  if (size >= fota::kImageHeaderSize) {
    uint8_t sealed[fota::kImageHeaderSize + 64];
    const size_t n = size < sizeof(sealed) ? size : sizeof(sealed);
    std::memcpy(sealed, data, n);
    fota::bytes::store_le32(sealed + 508, fota::crc32(std::span<const uint8_t>(sealed, 508)));
    check(sealed, n);
  }
  return 0;
}
