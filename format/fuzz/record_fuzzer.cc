// SPDX-License-Identifier: Apache-2.0
// libFuzzer: the metadata record parser. Accepted records must re-encode to the same 32 bytes.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "format/bytes.h"
#include "format/crc32.h"
#include "format/meta_record.h"

namespace {

int check(const uint8_t* data, size_t size) {
  auto r = fota::parse_record(std::span<const uint8_t>(data, size));
  if (!r.ok()) return 0;
  const auto again = fota::encode_record(*r);
  // Bytes 26..27 are reserved and written erased; everything else is covered by the CRC.
  if (std::memcmp(again.data(), data, 26) != 0) std::abort();
  return 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  check(data, size);
  if (size >= fota::kRecordSize) {  // again with a valid CRC, to reach the field checks
    uint8_t sealed[fota::kRecordSize];
    std::memcpy(sealed, data, sizeof(sealed));
    fota::bytes::store_le32(sealed + 28, fota::crc32(std::span<const uint8_t>(sealed, 28)));
    check(sealed, sizeof(sealed));
  }
  return 0;
}
