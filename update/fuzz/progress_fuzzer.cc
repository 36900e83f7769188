// SPDX-License-Identifier: Apache-2.0
// decode_progress() on arbitrary bytes: never crashes; what decodes re-encodes to the same bytes.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "update/progress.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto decoded = fota::update::decode_progress({data, size});
  if (decoded.ok()) {
    uint8_t again[fota::update::kProgressSize];
    fota::update::encode_progress(decoded.value(), again);
    if (std::memcmp(again, data, sizeof again) != 0) std::abort();
  }
  return 0;
}
