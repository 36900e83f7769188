// SPDX-License-Identifier: Apache-2.0
// The ESP32 port's NVS users on the host against an in-memory NVS written here from the ESP-IDF
// API reference (namespaces, blobs, a read into a buffer too small, commit): the blob helper
// (nvs_blob.*), the engine's resume record (NvsProgressStore) and the agent's reverted-release
// list as AgentPort stores it (agent::RejectedList under key "rejected"). Not run on an ESP32.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "agent/rejected_list.h"
#include "fota_esp32/nvs_blob.h"
#include "fota_esp32/nvs_progress_store.h"
#include "nvs.h"

namespace {

struct FakeNvs {
  std::map<std::pair<std::string, std::string>, std::vector<uint8_t>> committed;
  std::map<std::pair<std::string, std::string>, std::vector<uint8_t>> pending;
  std::vector<std::string> namespaces;  // handle = index + 1
  bool fail_open = false;
  bool fail_commit = false;
  int open_handles = 0;
};
FakeNvs nvs;

std::string space_of(nvs_handle_t handle) {
  return nvs.namespaces.at(handle - 1);
}

}  // namespace

extern "C" {
esp_err_t nvs_open(const char* name, nvs_open_mode_t mode, nvs_handle_t* out) {
  if (nvs.fail_open) return ESP_FAIL;
  bool exists = false;
  for (const auto& [key, value] : nvs.committed) exists = exists || key.first == name;
  if (mode == NVS_READONLY && !exists) return ESP_ERR_NVS_NOT_FOUND;  // namespace not made yet
  nvs.namespaces.emplace_back(name);
  *out = static_cast<nvs_handle_t>(nvs.namespaces.size());
  ++nvs.open_handles;
  return ESP_OK;
}
esp_err_t nvs_get_blob(nvs_handle_t handle, const char* key, void* out, size_t* length) {
  const auto it = nvs.committed.find({space_of(handle), key});
  if (it == nvs.committed.end()) return ESP_ERR_NVS_NOT_FOUND;
  if (it->second.size() > *length) return ESP_ERR_NVS_INVALID_LENGTH;
  std::memcpy(out, it->second.data(), it->second.size());
  *length = it->second.size();
  return ESP_OK;
}
esp_err_t nvs_set_blob(nvs_handle_t handle, const char* key, const void* value, size_t length) {
  const auto* bytes = static_cast<const uint8_t*>(value);
  nvs.pending[{space_of(handle), key}] = std::vector<uint8_t>(bytes, bytes + length);
  return ESP_OK;
}
esp_err_t nvs_erase_key(nvs_handle_t handle, const char* key) {
  const auto at = std::make_pair(space_of(handle), std::string(key));
  if (nvs.committed.count(at) == 0 && nvs.pending.count(at) == 0) return ESP_ERR_NVS_NOT_FOUND;
  nvs.pending[at] = {};  // empty: erased at commit
  return ESP_OK;
}
esp_err_t nvs_commit(nvs_handle_t) {
  if (nvs.fail_commit) return ESP_FAIL;
  for (auto& [key, value] : nvs.pending) {
    if (value.empty()) {
      nvs.committed.erase(key);
    } else {
      nvs.committed[key] = value;
    }
  }
  nvs.pending.clear();
  return ESP_OK;
}
void nvs_close(nvs_handle_t) {
  --nvs.open_handles;
  nvs.pending.clear();  // what was not committed is lost
}
}

namespace fota::esp32 {
namespace {

class NvsStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { nvs = FakeNvs{}; }
  void TearDown() override { EXPECT_EQ(nvs.open_handles, 0) << "a handle was not closed"; }
};

update::Progress sample_progress() {
  update::Progress p;
  p.release.fill(0x5A);
  std::strcpy(p.etag.data(), "\"abc\"");
  p.device_uid.fill(0x11);
  p.slot = flash_map::Slot::kB;
  p.phase = update::ProgressPhase::kWritten;
  p.image_size = 4096;
  p.bytes_written = 4096;
  p.crc32_state = 0x1234'5678;
  return p;
}

TEST_F(NvsStoreTest, BlobHelperReadsWritesAndErases) {
  std::array<uint8_t, 8> out{};
  size_t size = 99;
  EXPECT_EQ(nvs_read_blob("fota", "k", out, size), NvsBlobStatus::kNotFound);  // no namespace
  EXPECT_EQ(size, 0u);
  const uint8_t data[] = {1, 2, 3};
  ASSERT_TRUE(nvs_write_blob("fota", "k", data));
  ASSERT_EQ(nvs_read_blob("fota", "k", out, size), NvsBlobStatus::kOk);
  EXPECT_EQ(size, 3u);
  EXPECT_EQ(out[2], 3);
  EXPECT_EQ(nvs_read_blob("fota", "other", out, size), NvsBlobStatus::kNotFound);
  std::array<uint8_t, 2> small{};
  EXPECT_EQ(nvs_read_blob("fota", "k", small, size), NvsBlobStatus::kTooLong);
  ASSERT_TRUE(nvs_erase_blob("fota", "k"));
  EXPECT_TRUE(nvs_erase_blob("fota", "k"));        // erased already
  ASSERT_TRUE(nvs_write_blob("fota", "x", data));  // keeps the namespace
  EXPECT_EQ(nvs_read_blob("fota", "k", out, size), NvsBlobStatus::kNotFound);
}

TEST_F(NvsStoreTest, BlobHelperReportsFailures) {
  const uint8_t data[] = {1};
  nvs.fail_commit = true;
  EXPECT_FALSE(nvs_write_blob("fota", "k", data));
  nvs.fail_commit = false;
  std::array<uint8_t, 4> out{};
  size_t size = 0;
  EXPECT_EQ(nvs_read_blob("fota", "k", out, size), NvsBlobStatus::kNotFound);  // not committed
  nvs.fail_open = true;
  EXPECT_FALSE(nvs_write_blob("fota", "k", data));
  EXPECT_FALSE(nvs_erase_blob("fota", "k"));
  EXPECT_EQ(nvs_read_blob("fota", "k", out, size), NvsBlobStatus::kIoError);
}

TEST_F(NvsStoreTest, ProgressRecordRoundTripsAndClears) {
  NvsProgressStore store;
  update::Progress loaded;
  EXPECT_EQ(store.load(loaded), update::StoreStatus::kEmpty);
  EXPECT_EQ(store.clear(), update::StoreStatus::kOk);  // nothing to erase is erased
  ASSERT_EQ(store.save(sample_progress()), update::StoreStatus::kOk);
  ASSERT_EQ(store.load(loaded), update::StoreStatus::kOk);
  EXPECT_EQ(loaded.bytes_written, 4096u);
  EXPECT_EQ(loaded.phase, update::ProgressPhase::kWritten);
  EXPECT_EQ(loaded.slot, flash_map::Slot::kB);
  EXPECT_STREQ(loaded.etag.data(), "\"abc\"");
  ASSERT_EQ(store.clear(), update::StoreStatus::kOk);
  EXPECT_EQ(store.load(loaded), update::StoreStatus::kEmpty);
}

TEST_F(NvsStoreTest, DamagedProgressRecordIsCorruptAndFailuresAreIoErrors) {
  NvsProgressStore store;
  update::Progress loaded;
  const uint8_t short_record[] = {1, 2, 3};
  ASSERT_TRUE(nvs_write_blob(CONFIG_FOTA_NVS_NAMESPACE, "progress", short_record));
  EXPECT_EQ(store.load(loaded), update::StoreStatus::kCorrupt);
  std::vector<uint8_t> too_long(update::kProgressSize + 1, 0);
  ASSERT_TRUE(nvs_write_blob(CONFIG_FOTA_NVS_NAMESPACE, "progress", too_long));
  EXPECT_EQ(store.load(loaded), update::StoreStatus::kCorrupt);
  nvs.fail_commit = true;
  EXPECT_EQ(store.save(sample_progress()), update::StoreStatus::kIoError);
  nvs.fail_commit = false;
  nvs.fail_open = true;
  EXPECT_EQ(store.load(loaded), update::StoreStatus::kIoError);
}

// What AgentPort::remember_rejected and load_rejected keep under "rejected".
TEST_F(NvsStoreTest, RejectedListSurvivesInNvs) {
  agent::RejectedList list("0123456789ABCDEF01234567");
  list.add(agent::release_key("demo 2.0.0+0 https://h/A.img https://h/B.img"));
  ASSERT_TRUE(nvs_write_blob(CONFIG_FOTA_NVS_NAMESPACE, "rejected", list.blob()));
  std::array<uint8_t, agent::kRejectedBlobMaxBytes> blob{};
  size_t size = 0;
  ASSERT_EQ(nvs_read_blob(CONFIG_FOTA_NVS_NAMESPACE, "rejected", blob, size), NvsBlobStatus::kOk);
  agent::RejectedList loaded("0123456789ABCDEF01234567");
  ASSERT_EQ(loaded.load(std::span<const uint8_t>(blob.data(), size)), agent::RejectedLoad::kLoaded);
  EXPECT_EQ(loaded.key(0), list.key(0));
}

}  // namespace
}  // namespace fota::esp32
