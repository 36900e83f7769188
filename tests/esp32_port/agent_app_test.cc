// SPDX-License-Identifier: Apache-2.0
// The ESP32 agent (AgentApp: what the FotaAgent sketch and the ESP-IDF example run) on the host:
// every adapter's own code (UartLink, GpioPins, EspClock, StmTarget over the ROM bootloader,
// HttpRangeSource, MqttLink, MqttStatusReporter, the NVS stores, AgentPort) over fake_idf's
// stand-ins for ESP-IDF, with the UART and BOOT0/NRST wired to vstm32::Machine running our real
// bootloader and demo. A signed release notification arrives over MQTT; the agent installs it into
// slot B through ST's ROM bootloader and reports each state; a release that never confirms is
// reverted and, kept in NVS, not tried again after the ESP32 restarts. Not a run on an ESP32.
#include <gtest/gtest.h>

#include <cstring>

#include "fota_esp32/console_reporter.h"
#include "virtual_esp32.h"

namespace fota::esp32 {
namespace {

using flash_map::Slot;
using host::fake_idf;
using VirtualEsp32Agent = test::VirtualEsp32;
using test::kReleaseTopic;

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
  const auto last = last_status();
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
  ASSERT_NO_FATAL_FAILURE(expect_reverted(
      notify(manifest), "not-confirmed",
      "the new image did not confirm itself; the bootloader went back to the previous one"));
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

TEST_F(VirtualEsp32Agent, TheNativePathInstallsThroughTheUartAtTheNativeBaud) {
  ASSERT_NO_FATAL_FAILURE(start_esp32(Transport::kNative));
  const auto states = notify(publish_release("demo-v2"));
  ASSERT_FALSE(states.empty());
  EXPECT_EQ(states.back(), "confirmed") << testing::PrintToString(states) << "\n" << console();
  EXPECT_EQ(slot_bytes(Slot::kB, images_[1].size()), images_[1]);
  // UartLink was switched to the bootloader's native rate (8N1) for the transfer.
  EXPECT_EQ(fake_idf().uart_top_baud, kNativeBaud);
}

TEST_F(VirtualEsp32Agent, ADownloadCutEveryFewKilobytesResumesWithRangeRequests) {
  ASSERT_NO_FATAL_FAILURE(start_esp32());
  fake_idf().cut_after = 3'000;  // every response ends after 3,000 bytes
  const auto states = notify(publish_release("demo-v2"));
  ASSERT_FALSE(states.empty());
  EXPECT_EQ(states.back(), "confirmed") << testing::PrintToString(states) << "\n" << console();
  EXPECT_EQ(slot_bytes(Slot::kB, images_[1].size()), images_[1]);
  // The first request learns the ETag; every later one asks for the rest of the same file.
  const std::string etag = fake_idf().files.begin()->second.etag;
  ASSERT_GE(fake_idf().requests.size(), images_[1].size() / 3'000);
  for (size_t i = 1; i < fake_idf().requests.size(); ++i) {
    EXPECT_NE(fake_idf().requests[i].find(" bytes="), std::string::npos) << fake_idf().requests[i];
    EXPECT_NE(fake_idf().requests[i].find(" " + etag + " "), std::string::npos)
        << fake_idf().requests[i];
  }
}

TEST_F(VirtualEsp32Agent, AnImageReplacedOnTheServerMidDownloadIsRefusedAndV1KeepsRunning) {
  ASSERT_NO_FATAL_FAILURE(start_esp32());
  const std::string manifest = publish_release("demo-v2");
  fake_idf().cut_after = 3'000;
  fake_idf().on_request = [] {
    // From the second request on, the server holds another file under the same name.
    if (fake_idf().requests.size() == 2) {
      for (auto& [url, file] : fake_idf().files) file.etag = "\"replaced\"";
    }
  };
  const auto states = notify(manifest);
  ASSERT_FALSE(states.empty());
  EXPECT_EQ(states.back(), "failed") << testing::PrintToString(states);
  const auto last = last_status();
  EXPECT_EQ(last.at("reason"), "release-changed") << last.dump();
  // Worded as fota agent words it: the reason, then what the source said.
  EXPECT_EQ(last.at("error").get<std::string>().rfind(
                "release-changed: GET " + std::string(test::kBase), 0),
            0u)
      << last.dump();
  // The failed slot holds no valid header: the STM32 runs v1 again.
  EXPECT_TRUE(device_->run_until({"demo 1.0.0 slot A\n"}, 12'000)) << console();
}

TEST_F(VirtualEsp32Agent, AMessageLargerThanTheMqttBufferIsDroppedNotCut) {
  ASSERT_NO_FATAL_FAILURE(start_esp32());
  const std::string manifest = publish_release("demo-v2");
  const size_t published = fake_idf().published.size();
  // ESP-MQTT hands a message larger than its buffer over in pieces: none of them is taken.
  host::mqtt_deliver(kReleaseTopic, manifest, 500);
  EXPECT_FALSE(app_->step());
  EXPECT_TRUE(fake_idf().requests.empty());
  EXPECT_EQ(fake_idf().published.size(), published);
  // The same message whole is installed.
  EXPECT_EQ(notify(manifest).back(), "confirmed");
}

TEST_F(VirtualEsp32Agent, CommandsOnTheDeviceTopicAreAnswered) {
  ASSERT_NO_FATAL_FAILURE(start_esp32());
  ASSERT_GE(fake_idf().subscribed.size(), 2u);
  const std::string command_topic = fake_idf().subscribed[1];
  EXPECT_EQ(command_topic, "fota/" CONFIG_FOTA_PRODUCT "/device/" + uid() + "/cmd");
  // report: the status again.
  size_t before = fake_idf().published.size();
  host::mqtt_deliver(command_topic, R"({"command":"report"})");
  EXPECT_TRUE(app_->step());
  EXPECT_EQ(states_since(before), std::vector<std::string>{"idle"});
  // A malformed command is named in the status; nothing else happens.
  before = fake_idf().published.size();
  host::mqtt_deliver(command_topic, R"({"command":"reboot"})");
  EXPECT_TRUE(app_->step());
  ASSERT_GT(fake_idf().published.size(), before);
  const auto last = last_status();
  EXPECT_EQ(last.at("reason"), "bad-command") << last.dump();
  EXPECT_TRUE(fake_idf().requests.empty());
}

TEST_F(VirtualEsp32Agent, AfterABrokerReconnectTheTopicsAreRenewedAndTheStatusRepublished) {
  ASSERT_NO_FATAL_FAILURE(start_esp32());
  const size_t subscribed = fake_idf().subscribed.size();
  const size_t published = fake_idf().published.size();
  host::mqtt_disconnect();
  EXPECT_FALSE(app_->step());
  EXPECT_EQ(fake_idf().published.size(), published);  // nothing sent while offline
  host::mqtt_connect();
  EXPECT_FALSE(app_->step());
  EXPECT_EQ(fake_idf().subscribed.size(), 2 * subscribed);  // subscribed again
  EXPECT_EQ(states_since(published), std::vector<std::string>{"idle"});
}

TEST_F(VirtualEsp32Agent, AnInterruptedDownloadResumesFromNvsAfterARestart) {
  ASSERT_NO_FATAL_FAILURE(start_esp32());
  const std::string manifest = publish_release("demo-v2");
  // The server goes away after a few responses (every one ends after 2,000 bytes).
  fake_idf().cut_after = 2'000;
  fake_idf().on_request = [] {
    if (fake_idf().requests.size() == 4) fake_idf().force_status = 503;
  };
  const auto failed = notify(manifest);
  ASSERT_FALSE(failed.empty());
  EXPECT_EQ(failed.back(), "failed") << testing::PrintToString(failed);
  ASSERT_NE(fake_idf().nvs.find({CONFIG_FOTA_NVS_NAMESPACE, "progress"}), fake_idf().nvs.end())
      << "no resume point in NVS";

  // The ESP32 restarts; the server is back; the retained notification arrives again.
  fake_idf().on_request = nullptr;
  fake_idf().force_status = 0;
  fake_idf().cut_after = SIZE_MAX;
  const size_t read_before = fake_idf().body_bytes_read;
  ASSERT_NO_FATAL_FAILURE(start_esp32());
  const auto states = notify(manifest);
  ASSERT_FALSE(states.empty());
  EXPECT_EQ(states.back(), "confirmed") << testing::PrintToString(states) << "\n" << console();
  EXPECT_EQ(slot_bytes(Slot::kB, images_[1].size()), images_[1]);
  // It went on from the saved point: the header again (the release's identity), then only what
  // was not written before, so less than the image was downloaded.
  const size_t read_again = fake_idf().body_bytes_read - read_before;
  EXPECT_LT(read_again, images_[1].size() - 2'000) << testing::PrintToString(fake_idf().requests);
}

// What the FlashFromUrl sketch does (StmWiring, ConsoleReporter, one engine run from two image
// URLs): the console lines docs/esp32.md's bring-up checklist (step 4) tells a user to expect.
TEST_F(VirtualEsp32Agent, TheFlashFromUrlFlowPrintsTheLinesTheBringUpChecklistExpects) {
  (void)publish_release("demo-v2");
  StmWiring stm;
  ConsoleReporter reporter;
  ASSERT_TRUE(stm.begin());
  update::Release release;
  release.image = {&stm.image_a, &stm.image_b};
  update::Policy policy;
  std::strncpy(policy.product.data(), CONFIG_FOTA_PRODUCT, policy.product.size() - 1);
  const auto run = [&](const Ed25519Verifier::PublicKey& trusted) {
    const std::array<Ed25519Verifier::PublicKey, 1> keys{trusted};
    Ed25519Verifier verifier(keys);
    update::Engine engine(stm.target, stm.clock, reporter, &verifier, &stm.progress);
    EXPECT_TRUE(stm.image_a.begin((std::string(test::kBase) + "demo-v2-2.0.0-A.img").c_str()));
    EXPECT_TRUE(stm.image_b.begin((std::string(test::kBase) + "demo-v2-2.0.0-B.img").c_str()));
    testing::internal::CaptureStdout();
    const update::Outcome outcome = engine.run(release, policy);
    return std::make_pair(outcome.state, testing::internal::GetCapturedStdout());
  };
  // Step 4 without the release's key: refused before anything is erased.
  const auto [refused, refused_out] = run(boot_test::TestKey(0x77).public_key);
  EXPECT_EQ(refused, update::State::kFailed);
  EXPECT_NE(refused_out.find("fota: failed (unknown-key)\n"), std::string::npos) << refused_out;
  EXPECT_EQ(refused_out.find("fota: flashing"), std::string::npos) << refused_out;
  // With it: the lines in their order.
  const auto [state, out] = run(signer_.public_key);
  EXPECT_EQ(state, update::State::kConfirmed) << out;
  size_t at = 0;
  for (const std::string line :
       {"fota: checking\n", "fota: slot B, version 2.0.0, ", "fota: flashing\n",
        "fota: erase 100 %\n", "fota: downloading\n", "fota: write 10 %\n", "fota: write 90 %\n",
        "fota: verifying\n", "fota: write 100 %\n", "fota: committing\n", "fota: rebooting\n",
        "fota: trial\n", "stm32: boot: slot=B version=2.0.0 decision=trial reason=attempt-1/3\n",
        "stm32: demo 2.0.0 slot B\n", "stm32: confirmed\n", "fota: confirmed\n"}) {
    const size_t found = out.find(line, at);
    ASSERT_NE(found, std::string::npos) << "\"" << line << "\" after byte " << at << " in\n" << out;
    at = found + line.size();
  }
}

// The STM32 runs the secure bootloader and trusts another key than the one the release is signed
// with (the ESP32 trusts the signer): the device refuses the image, and the ESP32 says why in the
// words `fota agent` uses.
class VirtualEsp32SecureDevice : public test::VirtualEsp32 {
 protected:
  void prepare_layout() override {
    layout_.put_bootloader("bootloader-secure.bin");
    boot_test::put_key_block(layout_, {&device_key_});
  }
  boot_test::TestKey device_key_{0x11};
};

TEST_F(VirtualEsp32SecureDevice, AnImageTheDeviceDoesNotTrustIsReportedAsRefused) {
  ASSERT_NO_FATAL_FAILURE(start_esp32());
  ASSERT_NO_FATAL_FAILURE(expect_reverted(
      notify(publish_release("demo-v2")), "refused-unknown-key",
      "the device's secure boot refused the new image (unknown-key); the previous one runs"));
  EXPECT_EQ(last_status().at("running").at("version"), "1.0.0") << last_status().dump();
}

}  // namespace
}  // namespace fota::esp32
