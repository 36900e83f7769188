// SPDX-License-Identifier: Apache-2.0
// The ESP32 agent with seed 000's notification topic (this binary is built with
// CONFIG_FOTA_LEGACY_TOPIC and CONFIG_FOTA_ALLOW_UNSIGNED, as Kconfig would set them): a
// {"url", "crc"} message offers one unsigned image for whichever slot it is linked for; the engine
// installs it when that is the inactive slot and refuses it, before erasing, when it is linked for
// the running one. Over fake_idf, wired to the real bootloader and demo on vstm32::Machine; not an
// ESP32.
#include <gtest/gtest.h>

#include "format/crc32.h"
#include "virtual_esp32.h"

namespace fota::esp32 {
namespace {

using flash_map::Slot;
using host::fake_idf;
using VirtualEsp32Legacy = test::VirtualEsp32;

static_assert(CONFIG_FOTA_LEGACY_TOPIC[0] != '\0' && CONFIG_FOTA_ALLOW_UNSIGNED,
              "built with the legacy topic and unsigned releases allowed");

// Seed 000's message for an unsigned demo image linked for `slot`, served at its URL.
std::string legacy_message(const std::string& app, Slot slot) {
  const std::vector<uint8_t> image = boot_test::demo_image(app, slot);
  const std::string url =
      std::string(test::kBase) + app + (slot == Slot::kA ? "-A" : "-B") + ".bin";
  fake_idf().files[url] = {std::string(image.begin(), image.end()), "\"legacy\""};
  char crc[16];
  std::snprintf(crc, sizeof crc, "%08X", static_cast<unsigned>(crc32(image)));
  return std::string("{\"url\": \"") + url + "\", \"crc\": \"" + crc + "\"}";
}

TEST_F(VirtualEsp32Legacy, AnUnsignedImageForTheInactiveSlotIsInstalled) {
  ASSERT_NO_FATAL_FAILURE(start_esp32());
  EXPECT_EQ(fake_idf().subscribed.size(), 3u);  // release, command and the legacy topic
  const size_t before = fake_idf().published.size();
  host::mqtt_deliver(CONFIG_FOTA_LEGACY_TOPIC, legacy_message("demo-v2", Slot::kB));
  EXPECT_TRUE(app_->step());
  const auto states = states_since(before);
  ASSERT_FALSE(states.empty());
  EXPECT_EQ(states.back(), "confirmed") << testing::PrintToString(states) << "\n" << console();
  EXPECT_NE(device_->output().find("demo 2.0.0 slot B"), std::string::npos) << console();
}

TEST_F(VirtualEsp32Legacy, AnImageLinkedForTheRunningSlotIsRefusedBeforeErasing) {
  ASSERT_NO_FATAL_FAILURE(start_esp32());
  const auto slot_b = slot_bytes(Slot::kB, 4096);
  const size_t before = fake_idf().published.size();
  host::mqtt_deliver(CONFIG_FOTA_LEGACY_TOPIC, legacy_message("demo-v2", Slot::kA));
  EXPECT_TRUE(app_->step());
  const auto states = states_since(before);
  ASSERT_FALSE(states.empty());
  EXPECT_EQ(states.back(), "failed") << testing::PrintToString(states);
  const auto last = last_status();
  EXPECT_EQ(last.at("reason"), "wrong-slot") << last.dump();
  EXPECT_EQ(slot_bytes(Slot::kB, 4096), slot_b);  // nothing erased
  EXPECT_TRUE(device_->run_until({"demo 1.0.0 slot A\n"}, 12'000)) << console();
}

}  // namespace
}  // namespace fota::esp32
