// SPDX-License-Identifier: Apache-2.0
// The ESP32 port's NVS users on the host against fake_idf's in-memory NVS (written from the ESP-IDF
// API reference: namespaces, blobs, a read into a buffer too small, commit): the blob helper
// (nvs_blob.*), the engine's resume record (NvsProgressStore) and the agent's reverted-release
// list as AgentPort stores it (agent::RejectedList under key "rejected"). Not run on an ESP32.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "agent/rejected_list.h"
#include "fake_idf.h"
#include "fota_esp32/nvs_blob.h"
#include "fota_esp32/nvs_progress_store.h"

namespace fota::esp32 {
namespace {

using host::fake_idf;

class NvsStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { host::reset_fake_idf(); }
  void TearDown() override {
    EXPECT_EQ(fake_idf().nvs_open_handles, 0) << "a handle was not closed";
    host::reset_fake_idf();
  }
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
  fake_idf().nvs_fail_commit = true;
  EXPECT_FALSE(nvs_write_blob("fota", "k", data));
  fake_idf().nvs_fail_commit = false;
  std::array<uint8_t, 4> out{};
  size_t size = 0;
  EXPECT_EQ(nvs_read_blob("fota", "k", out, size), NvsBlobStatus::kNotFound);  // not committed
  fake_idf().nvs_fail_open = true;
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
  fake_idf().nvs_fail_commit = true;
  EXPECT_EQ(store.save(sample_progress()), update::StoreStatus::kIoError);
  fake_idf().nvs_fail_commit = false;
  fake_idf().nvs_fail_open = true;
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
