// SPDX-License-Identifier: Apache-2.0
#include "fota_esp32/nvs_blob.h"

#include "nvs.h"

namespace fota::esp32 {

NvsBlobStatus nvs_read_blob(const char* nvs_namespace, const char* key, std::span<uint8_t> out,
                            size_t& size) {
  size = 0;
  nvs_handle_t handle = 0;
  esp_err_t err = nvs_open(nvs_namespace, NVS_READONLY, &handle);
  if (err == ESP_ERR_NVS_NOT_FOUND) return NvsBlobStatus::kNotFound;  // namespace not made yet
  if (err != ESP_OK) return NvsBlobStatus::kIoError;
  size_t length = out.size();
  err = nvs_get_blob(handle, key, out.data(), &length);
  nvs_close(handle);
  if (err == ESP_ERR_NVS_NOT_FOUND) return NvsBlobStatus::kNotFound;
  if (err == ESP_ERR_NVS_INVALID_LENGTH) return NvsBlobStatus::kTooLong;
  if (err != ESP_OK) return NvsBlobStatus::kIoError;
  size = length;
  return NvsBlobStatus::kOk;
}

bool nvs_write_blob(const char* nvs_namespace, const char* key, std::span<const uint8_t> data) {
  nvs_handle_t handle = 0;
  if (nvs_open(nvs_namespace, NVS_READWRITE, &handle) != ESP_OK) return false;
  const bool ok =
      nvs_set_blob(handle, key, data.data(), data.size()) == ESP_OK && nvs_commit(handle) == ESP_OK;
  nvs_close(handle);
  return ok;
}

bool nvs_erase_blob(const char* nvs_namespace, const char* key) {
  nvs_handle_t handle = 0;
  if (nvs_open(nvs_namespace, NVS_READWRITE, &handle) != ESP_OK) return false;
  const esp_err_t err = nvs_erase_key(handle, key);
  const bool ok = (err == ESP_OK || err == ESP_ERR_NVS_NOT_FOUND) && nvs_commit(handle) == ESP_OK;
  nvs_close(handle);
  return ok;
}

}  // namespace fota::esp32
