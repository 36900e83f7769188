// SPDX-License-Identifier: Apache-2.0
// decode_progress() on arbitrary bytes: never crashes; what decodes re-encodes to the same bytes.
// Each input is also tried with its CRC made right (the record's last 4 bytes), so that the
// fields behind the CRC are fuzzed too: random bytes almost never carry a good CRC.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "format/bytes.h"
#include "format/crc32.h"
#include "update/progress.h"

namespace {

void decode_and_round_trip(std::span<const uint8_t> bytes) {
  const auto decoded = fota::update::decode_progress(bytes);
  if (!decoded.ok()) return;
  uint8_t again[fota::update::kProgressSize];
  fota::update::encode_progress(decoded.value(), again);
  if (std::memcmp(again, bytes.data(), sizeof again) != 0) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  decode_and_round_trip({data, size});
  constexpr size_t kCrcAt = fota::update::kProgressSize - 4;
  if (size >= fota::update::kProgressSize) {
    std::vector<uint8_t> sealed(data, data + size);
    fota::bytes::store_le32(sealed.data() + kCrcAt, fota::crc32({sealed.data(), kCrcAt}));
    decode_and_round_trip(sealed);
  }
  return 0;
}
