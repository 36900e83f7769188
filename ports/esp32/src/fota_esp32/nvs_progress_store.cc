// SPDX-License-Identifier: Apache-2.0
#include "fota_esp32/nvs_progress_store.h"

#include <array>

#include "fota_esp32/nvs_blob.h"

namespace fota::esp32 {

update::StoreStatus NvsProgressStore::load(update::Progress& out) {
  std::array<uint8_t, update::kProgressSize> bytes{};
  size_t size = 0;
  switch (nvs_read_blob(namespace_, key_, bytes, size)) {
    case NvsBlobStatus::kOk: break;
    case NvsBlobStatus::kNotFound: return update::StoreStatus::kEmpty;
    case NvsBlobStatus::kTooLong: return update::StoreStatus::kCorrupt;
    case NvsBlobStatus::kIoError: return update::StoreStatus::kIoError;
  }
  auto decoded = update::decode_progress(std::span<const uint8_t>(bytes.data(), size));
  if (!decoded) return update::StoreStatus::kCorrupt;
  out = *decoded;
  return update::StoreStatus::kOk;
}

update::StoreStatus NvsProgressStore::save(const update::Progress& progress) {
  std::array<uint8_t, update::kProgressSize> bytes{};
  update::encode_progress(progress, bytes);
  return nvs_write_blob(namespace_, key_, bytes) ? update::StoreStatus::kOk
                                                 : update::StoreStatus::kIoError;
}

update::StoreStatus NvsProgressStore::clear() {
  return nvs_erase_blob(namespace_, key_) ? update::StoreStatus::kOk
                                          : update::StoreStatus::kIoError;
}

}  // namespace fota::esp32
