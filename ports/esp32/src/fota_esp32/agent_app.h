// SPDX-License-Identifier: Apache-2.0
// The update agent on an ESP32 wired to the STM32, apart from bringing the network up: what the
// FotaAgent sketch (Arduino) and the ESP-IDF example both run. It owns the adapters (UART, pins,
// StmTarget, HTTP sources, NVS progress, MQTT, SNTP, the manifest pointer), the update engine and
// the agent's decision loop (agent::DeviceLoop, the code `fota agent` runs on Linux for each
// device), and hands every received message to the loop through AgentPort. One object, placed in
// static RAM by the application (about 60 KB, docs/esp32.md "Memory budget").
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "agent/device_loop.h"
#include "fota_esp32/agent_port.h"
#include "fota_esp32/config.h"
#include "fota_esp32/ed25519_verifier.h"
#include "fota_esp32/manifest_pointer.h"
#include "fota_esp32/mqtt_link.h"
#include "fota_esp32/mqtt_status_reporter.h"
#include "fota_esp32/sntp_time.h"
#include "fota_esp32/stm_wiring.h"
#include "update/engine.h"

namespace fota::esp32 {

struct AgentAppConfig {
  const char* broker = nullptr;  // mqtt://host:1883, or mqtts://host:8883 (certificate bundle)
  const char* username = nullptr;
  const char* password = nullptr;
  std::span<const std::string_view> url_prefixes;            // where images may come from
  std::span<const Ed25519Verifier::PublicKey> trusted_keys;  // release signing keys
};

class AgentApp {
 public:
  // The broker strings and both spans must outlive the app.
  explicit AgentApp(const AgentAppConfig& config);
  AgentApp(const AgentApp&) = delete;
  AgentApp& operator=(const AgentApp&) = delete;

  // Sets up the UART and pins, identifies the STM32 (its UID names the topics), reloads the
  // releases reverted on it, sets up polling (CONFIG_FOTA_MANIFEST_URL) and starts MQTT, which
  // connects once the network is up. False, with the reason on the console, when the STM32 does
  // not answer or a topic does not fit.
  [[nodiscard]] bool begin();

  // One turn of the loop task while the network is up (the first call starts SNTP): publishes the
  // status after each (re)connect, runs a retry or a poll that is due, and hands one received
  // message to the loop. False when no message was waiting (the caller may sleep ~100 ms).
  bool step();

  StmWiring& stm() { return stm_; }
  agent::DeviceLoop& loop() { return loop_; }

 private:
  AgentAppConfig config_;
  StmWiring stm_;
  Ed25519Verifier verifier_;
  MqttLink mqtt_;
  SntpTime wall_;
  std::array<char, 25> uid_{};  // the STM32's unique ID in hex (AgentPort::identify)
  std::array<char, kTopicMaxBytes> status_topic_{};
  std::array<char, kTopicMaxBytes> release_topic_{};
  std::array<char, kTopicMaxBytes> command_topic_{};
  std::array<const char*, 3> topics_{};
  std::array<char, 64> offline_{};
  MqttStatusReporter reporter_;
  update::Engine engine_;
  ManifestPointer pointer_;
  AgentPort port_;
  agent::DeviceLoop loop_;
  // An MQTT message copied out (the mailbox is free again at once), or a polled manifest.
  std::array<uint8_t, kMqttBufferBytes> message_{};
  bool announced_ = false;
  bool wall_started_ = false;
};

}  // namespace fota::esp32
