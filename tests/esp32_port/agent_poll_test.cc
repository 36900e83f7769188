// SPDX-License-Identifier: Apache-2.0
// The ESP32 agent with a manifest pointer (this binary is built with CONFIG_FOTA_MANIFEST_URL set,
// as Kconfig would set it): AgentApp polls the channel pointer through ManifestPointer at start-up
// and every FOTA_POLL_INTERVAL_S (+ jitter), installs what it announces without any MQTT
// notification, and then reads 304 (If-None-Match) as nothing to do. Over fake_idf, wired to the
// real bootloader and demo on vstm32::Machine; not an ESP32.
#include <gtest/gtest.h>

#include "virtual_esp32.h"

namespace fota::esp32 {
namespace {

using host::fake_idf;
using VirtualEsp32Polling = test::VirtualEsp32;

static_assert(CONFIG_FOTA_MANIFEST_URL[0] != '\0', "built with a manifest pointer URL");

TEST_F(VirtualEsp32Polling, ThePointerIsPolledAtStartAndItsReleaseInstalledWithoutMqtt) {
  const std::string manifest = publish_release("demo-v2");
  fake_idf().files[CONFIG_FOTA_MANIFEST_URL] = {manifest, "\"pointer-1\""};
  ASSERT_NO_FATAL_FAILURE(start_esp32());  // its first step polls: due at once
  ASSERT_FALSE(fake_idf().requests.empty());
  EXPECT_EQ(fake_idf().requests.front(), std::string(CONFIG_FOTA_MANIFEST_URL) + " - - -");
  const auto states = states_since(0);
  ASSERT_FALSE(states.empty());
  EXPECT_EQ(states.back(), "confirmed") << testing::PrintToString(states) << "\n" << console();
  EXPECT_EQ(slot_bytes(flash_map::Slot::kB, images_[1].size()), images_[1]);

  // The next poll comes after the interval and its jitter, with the ETag: 304, nothing to do.
  const size_t requests = fake_idf().requests.size();
  const size_t published = fake_idf().published.size();
  static_assert(CONFIG_FOTA_POLL_INTERVAL_S > 10);
  link_->delay_ms(10'000);
  EXPECT_FALSE(app_->step());
  EXPECT_EQ(fake_idf().requests.size(), requests) << "polled before the interval";
  link_->delay_ms((CONFIG_FOTA_POLL_INTERVAL_S + CONFIG_FOTA_POLL_JITTER_S) * 1000);
  EXPECT_FALSE(app_->step());
  ASSERT_EQ(fake_idf().requests.size(), requests + 1);
  EXPECT_EQ(fake_idf().requests.back(),
            std::string(CONFIG_FOTA_MANIFEST_URL) + " - - \"pointer-1\"");
  EXPECT_EQ(fake_idf().published.size(), published);  // no new status
}

}  // namespace
}  // namespace fota::esp32
