// SPDX-License-Identifier: Apache-2.0
// update::ProgressStore in NVS (ESP-IDF non-volatile storage; Arduino's Preferences sits on the
// same): the engine's 192-byte resume record as one blob. NVS writes an entry completely before
// it drops the old one, so after a power cut load() sees the previous or the new record.
#pragma once

#include "fota_esp32/config.h"
#include "update/progress.h"

namespace fota::esp32 {

class NvsProgressStore final : public update::ProgressStore {
 public:
  explicit NvsProgressStore(const char* nvs_namespace = CONFIG_FOTA_NVS_NAMESPACE,
                            const char* key = "progress")
      : namespace_(nvs_namespace), key_(key) {}

  [[nodiscard]] update::StoreStatus load(update::Progress& out) override;
  [[nodiscard]] update::StoreStatus save(const update::Progress& progress) override;
  [[nodiscard]] update::StoreStatus clear() override;

 private:
  const char* namespace_;
  const char* key_;
};

}  // namespace fota::esp32
