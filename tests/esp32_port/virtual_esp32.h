// SPDX-License-Identifier: Apache-2.0
// The virtual ESP32 the ESP32 agent tests share: AgentApp (what the FotaAgent sketch and the
// ESP-IDF example run) over fake_idf, its UART, BOOT0/NRST and clock wired to vstm32::Machine
// running our real bootloader with the demo v1 confirmed in slot A; signed releases on
// fake_idf's file server; MQTT delivered by the test. Not an ESP32.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "demo_device_test.h"
#include "fake_idf.h"
#include "fota_esp32/agent_app.h"
#include "manifest_fixture.h"
#include "signing.h"

namespace fota::esp32::test {

using flash_map::Slot;
using host::fake_idf;

constexpr char kBase[] = "http://127.0.0.1:9000/demo/";
constexpr std::string_view kPrefixes[] = {"http://127.0.0.1:9000/demo"};
constexpr char kReleaseTopic[] = "fota/" CONFIG_FOTA_PRODUCT "/" CONFIG_FOTA_CHANNEL "/release";

class VirtualEsp32 : public native_test::DemoDeviceTest {
 protected:
  void SetUp() override {
    DemoDeviceTest::SetUp();
    if (HasFatalFailure()) return;
    prepare_layout();
    if (HasFatalFailure()) return;
    host::reset_fake_idf();
    device_ = std::make_unique<boot_test::Device>(layout_);
    link_ = std::make_unique<native_test::MachineLink>(device_->machine());
    fake_idf().uart = link_.get();
    fake_idf().pins = link_.get();
    fake_idf().clock = link_.get();
    device_->power_on();
    ASSERT_TRUE(reaches({"demo 1.0.0 slot A\n", "confirmed\n"}));
    trusted_[0] = signer_.public_key;
  }
  void TearDown() override {
    app_.reset();
    EXPECT_EQ(fake_idf().nvs_open_handles, 0) << "an NVS handle was not closed";
    EXPECT_EQ(fake_idf().http_clients, 0) << "an HTTP client was not cleaned up";
    host::reset_fake_idf();
  }

  // Changes the factory flash (bootloader, v1 confirmed in slot A) before the device starts.
  virtual void prepare_layout() {}

  // Puts `app` ("demo-v2", ...) signed for both slots on the file server and returns the signed
  // manifest that announces it.
  std::string publish_release(const std::string& app) {
    const Version version = boot_test::demo_version(app);
    release::Manifest m = release::testing::manifest_of(CONFIG_FOTA_PRODUCT);
    m.version = version;
    const std::string v = release::version_string(version);
    for (const Slot slot : {Slot::kA, Slot::kB}) {
      std::vector<uint8_t> image = boot_test::demo_image(app, slot);
      boot_test::sign_image(image, signer_);
      images_[static_cast<unsigned>(slot)] = image;
      auto& entry = slot == Slot::kA ? m.slot_a : m.slot_b;
      entry.file = app + "-" + v + (slot == Slot::kA ? "-A.img" : "-B.img");
      entry.url = kBase + entry.file;
      entry.size = static_cast<uint32_t>(image.size());
      fake_idf().files[entry.url] = {std::string(image.begin(), image.end()),
                                     "\"" + app + "-" + std::to_string(image.size()) + "\""};
    }
    return release::testing::signed_manifest_text(m, release::testing::test_key(kSeed));
  }

  // The ESP32 starts (or restarts): AgentApp::begin on the given path to the STM32, the broker
  // connection, the first status.
  void start_esp32(Transport transport = Transport::kRom) {
    app_ = std::make_unique<AgentApp>(
        AgentAppConfig{"mqtt://127.0.0.1:1883", nullptr, nullptr, kPrefixes, trusted_});
    app_->stm().target.use(transport);
    ASSERT_TRUE(app_->begin()) << console();
    host::mqtt_connect();
    EXPECT_FALSE(app_->step());  // publishes the status; no message yet
  }

  // The notification arrives over MQTT and the agent's loop handles it: the states of the status
  // messages it published, in order.
  std::vector<std::string> notify(const std::string& manifest) {
    const size_t before = fake_idf().published.size();
    host::mqtt_deliver(kReleaseTopic, manifest);
    EXPECT_TRUE(app_->step());
    return states_since(before);
  }

  // The console of the STM32 as text (the ROM path's binary traffic shown as dots), its end.
  std::string console() const {
    std::string text = device_->output();
    for (char& c : text) {
      if ((c < 0x20 || c > 0x7E) && c != '\n') c = '.';
    }
    return text.size() > 3000 ? text.substr(text.size() - 3000) : text;
  }

  // The last status message published.
  static nlohmann::json last_status() {
    return nlohmann::json::parse(fake_idf().published.back().payload);
  }

  // A run that ended reverted, and the status's reason and error for it.
  void expect_reverted(const std::vector<std::string>& states, const std::string& reason,
                       const std::string& error) const {
    ASSERT_FALSE(states.empty());
    EXPECT_EQ(states.back(), "reverted") << testing::PrintToString(states) << "\n" << console();
    const auto last = last_status();
    EXPECT_EQ(last.at("reason"), reason) << last.dump();
    EXPECT_EQ(last.at("error"), error) << last.dump();
  }

  // The STM32's UID as the status messages carry it.
  std::string uid() const {
    const auto json = nlohmann::json::parse(fake_idf().published.at(0).payload);
    return json.at("uid").get<std::string>();
  }

  // The states of the status messages published since `from`, in order.
  std::vector<std::string> states_since(size_t from) const {
    std::vector<std::string> states;
    for (size_t i = from; i < fake_idf().published.size(); ++i) {
      const auto json = nlohmann::json::parse(fake_idf().published[i].payload);
      states.push_back(json.at("state").get<std::string>());
    }
    return states;
  }

  std::vector<uint8_t> slot_bytes(Slot slot, size_t size) const {
    const auto flash = device_->flash_copy();
    const size_t at = flash_map::slot_address(slot) - flash_map::kFlashBase;
    return {flash.begin() + static_cast<std::ptrdiff_t>(at),
            flash.begin() + static_cast<std::ptrdiff_t>(at + size)};
  }

  static constexpr uint8_t kSeed = 0x41;
  boot_test::TestKey signer_{kSeed};
  std::array<Ed25519Verifier::PublicKey, 1> trusted_{};
  std::array<std::vector<uint8_t>, 2> images_;
  std::unique_ptr<native_test::MachineLink> link_;
  std::unique_ptr<AgentApp> app_;
};

}  // namespace fota::esp32::test
