// SPDX-License-Identifier: Apache-2.0
// The ESP32 agent (AgentApp: what the FotaAgent sketch and the ESP-IDF example run) on the host:
// every adapter's own code (UartLink, GpioPins, EspClock, StmTarget over the ROM bootloader,
// HttpRangeSource, MqttLink, MqttStatusReporter, the NVS stores, AgentPort) over fake_idf's
// stand-ins for ESP-IDF, with the UART and BOOT0/NRST wired to vstm32::Machine running our real
// bootloader and demo. A signed release notification arrives over MQTT; the agent installs it into
// slot B through ST's ROM bootloader and reports each state; a release that never confirms is
// reverted and, kept in NVS, not tried again after the ESP32 restarts. Not a run on an ESP32.
#include "fota_esp32/agent_app.h"

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "demo_device_test.h"
#include "fake_idf.h"
#include "manifest_fixture.h"
#include "signing.h"

namespace fota::esp32 {
namespace {

using flash_map::Slot;
using host::fake_idf;

constexpr char kBase[] = "http://127.0.0.1:9000/demo/";
constexpr std::string_view kPrefixes[] = {"http://127.0.0.1:9000/demo"};
constexpr char kReleaseTopic[] = "fota/" CONFIG_FOTA_PRODUCT "/" CONFIG_FOTA_CHANNEL "/release";

class VirtualEsp32Agent : public native_test::DemoDeviceTest {
 protected:
  void SetUp() override {
    DemoDeviceTest::SetUp();
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

  // The ESP32 starts (or restarts): AgentApp::begin, the broker connection, the first status.
  void start_esp32() {
    app_ = std::make_unique<AgentApp>(
        AgentAppConfig{"mqtt://127.0.0.1:1883", nullptr, nullptr, kPrefixes, trusted_});
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

TEST_F(VirtualEsp32Agent, ANotificationOverMqttInstallsTheReleaseThroughTheRomAndItConfirms) {
  ASSERT_NO_FATAL_FAILURE(start_esp32());
  // Topics from the STM32's UID, subscriptions, the retained offline will, the first status.
  ASSERT_GE(fake_idf().subscribed.size(), 2u);
  EXPECT_EQ(fake_idf().subscribed[0], kReleaseTopic);
  EXPECT_EQ(fake_idf().mqtt_will_topic, fake_idf().published.at(0).topic);
  EXPECT_NE(fake_idf().mqtt_will_payload.find("\"state\":\"offline\""), std::string::npos)
      << fake_idf().mqtt_will_payload;
  EXPECT_EQ(states_since(0), std::vector<std::string>{"idle"});

  const auto states = notify(publish_release("demo-v2"));
  ASSERT_FALSE(states.empty());
  EXPECT_EQ(states.back(), "confirmed") << testing::PrintToString(states) << "\n" << console();
  for (const char* state : {"checking", "flashing", "verifying", "rebooting"}) {
    EXPECT_NE(std::find(states.begin(), states.end(), state), states.end()) << state;
  }
  const auto last = nlohmann::json::parse(fake_idf().published.back().payload);
  EXPECT_EQ(last.at("running").at("version"), "2.0.0") << last.dump();
  EXPECT_EQ(last.at("running").at("slot"), "B") << last.dump();
  // Slot B holds the signed image byte for byte; only slot B's image was downloaded.
  EXPECT_EQ(slot_bytes(Slot::kB, images_[1].size()), images_[1]);
  for (const auto& request : fake_idf().requests) {
    EXPECT_NE(request.find("-B.img"), std::string::npos) << request;
  }
  EXPECT_NE(device_->output().find("demo 2.0.0 slot B"), std::string::npos) << console();
}

TEST_F(VirtualEsp32Agent, ARevertedReleaseIsKeptInNvsAndNotTriedAgainAfterARestart) {
  ASSERT_NO_FATAL_FAILURE(start_esp32());
  const std::string manifest = publish_release("demo-noconfirm");
  const auto states = notify(manifest);
  ASSERT_FALSE(states.empty());
  EXPECT_EQ(states.back(), "reverted") << testing::PrintToString(states) << "\n" << console();
  // Kept in NVS: "FRJ1", the UID, one release key.
  const auto kept = fake_idf().nvs.find({CONFIG_FOTA_NVS_NAMESPACE, "rejected"});
  ASSERT_NE(kept, fake_idf().nvs.end());
  EXPECT_EQ(kept->second.size(), agent::kRejectedHeaderBytes + 32);

  // The ESP32 restarts and the retained notification arrives again: nothing is downloaded.
  const size_t requests = fake_idf().requests.size();
  ASSERT_NO_FATAL_FAILURE(start_esp32());
  (void)notify(manifest);
  EXPECT_EQ(fake_idf().requests.size(), requests);

  // Without the list (NVS erased) the same notification is tried again, so the check above could
  // fail: its download starts (and is cut short here by an HTTP 503).
  fake_idf().nvs.clear();
  ASSERT_NO_FATAL_FAILURE(start_esp32());
  fake_idf().force_status = 503;
  (void)notify(manifest);
  EXPECT_GT(fake_idf().requests.size(), requests);
}

}  // namespace
}  // namespace fota::esp32
