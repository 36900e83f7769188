// SPDX-License-Identifier: Apache-2.0
#include "fota_esp32/nvs_progress_store.h"

#include <array>

#include "nvs.h"

namespace fota::esp32 {

update::StoreStatus NvsProgressStore::load(update::Progress& out) {
  nvs_handle_t handle = 0;
  esp_err_t err = nvs_open(namespace_, NVS_READONLY, &handle);
  if (err == ESP_ERR_NVS_NOT_FOUND) return update::StoreStatus::kEmpty;  // namespace not made yet
  if (err != ESP_OK) return update::StoreStatus::kIoError;
  std::array<uint8_t, update::kProgressSize> bytes{};
  size_t size = bytes.size();
  err = nvs_get_blob(handle, key_, bytes.data(), &size);
  nvs_close(handle);
  if (err == ESP_ERR_NVS_NOT_FOUND) return update::StoreStatus::kEmpty;
  if (err == ESP_ERR_NVS_INVALID_LENGTH) return update::StoreStatus::kCorrupt;
  if (err != ESP_OK) return update::StoreStatus::kIoError;
  auto decoded = update::decode_progress(std::span<const uint8_t>(bytes.data(), size));
  if (!decoded) return update::StoreStatus::kCorrupt;
  out = *decoded;
  return update::StoreStatus::kOk;
}

update::StoreStatus NvsProgressStore::save(const update::Progress& progress) {
  std::array<uint8_t, update::kProgressSize> bytes{};
  update::encode_progress(progress, bytes);
  nvs_handle_t handle = 0;
  if (nvs_open(namespace_, NVS_READWRITE, &handle) != ESP_OK) return update::StoreStatus::kIoError;
  const bool ok = nvs_set_blob(handle, key_, bytes.data(), bytes.size()) == ESP_OK &&
                  nvs_commit(handle) == ESP_OK;
  nvs_close(handle);
  return ok ? update::StoreStatus::kOk : update::StoreStatus::kIoError;
}

update::StoreStatus NvsProgressStore::clear() {
  nvs_handle_t handle = 0;
  if (nvs_open(namespace_, NVS_READWRITE, &handle) != ESP_OK) return update::StoreStatus::kIoError;
  const esp_err_t err = nvs_erase_key(handle, key_);
  const bool ok = (err == ESP_OK || err == ESP_ERR_NVS_NOT_FOUND) && nvs_commit(handle) == ESP_OK;
  nvs_close(handle);
  return ok ? update::StoreStatus::kOk : update::StoreStatus::kIoError;
}

}  // namespace fota::esp32
