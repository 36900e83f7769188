// SPDX-License-Identifier: Apache-2.0
// FotaAgent: the update agent on an ESP32, wired to the STM32 (UART, BOOT0, NRST; docs/esp32.md).
// Wiring only: Wi-Fi with reconnect backoff, SNTP time, MQTT (ESP-MQTT) with a retained "offline"
// last will, and each received message handed to the agent's decision loop (agent::DeviceLoop:
// the code `fota agent` runs on Linux for each device — policy, retries, rejected releases,
// commands) through the AgentPort adapter, which runs the update engine and reports the status.
#include <StmFota.h>
#include <WiFi.h>

#include <cstring>

// Fill in: network, broker, where images may come from, the release signing public key(s).
static const char kSsid[] = "your-ssid";
static const char kPassword[] = "your-password";
static const char kBroker[] = "mqtts://broker.example.com:8883";
static const std::string_view kUrlPrefixes[] = {"https://example.com/releases"};
static const fota::esp32::Ed25519Verifier::PublicKey kTrustedKeys[] = {{}};

// The engine and the signature check need more than the default 8 KB of loop-task stack.
SET_LOOP_TASK_STACK_SIZE(16 * 1024);

// UART, BOOT0/NRST, clock, StmTarget (ROM or native path), the two image sources, progress in NVS.
static fota::esp32::StmWiring stm;
static fota::esp32::Ed25519Verifier verifier(kTrustedKeys);
static fota::esp32::MqttLink mqtt;
static fota::esp32::SntpTime wall;
static char uid[25];  // the STM32's unique ID in hex (AgentPort::identify)
static char status_topic[fota::esp32::kTopicMaxBytes];
static char release_topic[fota::esp32::kTopicMaxBytes];
static char command_topic[fota::esp32::kTopicMaxBytes];
static char offline[64];
static fota::esp32::MqttStatusReporter reporter(mqtt, stm.clock, status_topic, uid, &wall);
static fota::update::Engine engine(stm.target, stm.clock, reporter, &verifier, &stm.progress);
static fota::esp32::ManifestPointer pointer;  // polled when CONFIG_FOTA_MANIFEST_URL is set
static fota::esp32::AgentPort port(stm.target, stm.clock, engine, stm.image_a, stm.image_b,
                                   verifier, reporter, uid, &pointer);
static fota::agent::DeviceLoop agent_loop(fota::esp32::loop_config(kUrlPrefixes), port);
static fota::esp32::Backoff wifi_backoff(fota::esp32::kWifiBackoffFirstMs,
                                         fota::esp32::kWifiBackoffMaxMs);
// An MQTT message copied out (the mailbox is free again at once), or a polled manifest.
static uint8_t message[fota::esp32::kMqttBufferBytes];
static bool announced = false;

// A topic name from the core into a NUL-terminated buffer.
static bool terminate_topic(fota::Result<size_t, fota::agent::TopicError> written, char* out) {
  if (!written.ok()) return false;
  out[*written] = '\0';
  return true;
}

void setup() {
  Serial.begin(115200);
  if (!stm.begin() || !port.identify()) {
    Serial.printf("fota: no STM32 on the UART/pins: %s\n", stm.target.last_error());
    return;
  }
  constexpr size_t kTopic = fota::esp32::kTopicMaxBytes - 1;
  if (!terminate_topic(fota::agent::status_topic(CONFIG_FOTA_PRODUCT, uid, {status_topic, kTopic}),
                       status_topic) ||
      !terminate_topic(fota::agent::release_topic(CONFIG_FOTA_PRODUCT, CONFIG_FOTA_CHANNEL,
                                                  {release_topic, kTopic}),
                       release_topic) ||
      !terminate_topic(
          fota::agent::command_topic(CONFIG_FOTA_PRODUCT, uid, {command_topic, kTopic}),
          command_topic)) {
    Serial.println("fota: a topic is longer than kTopicMaxBytes");
    return;
  }
  const auto will = fota::agent::encode_offline(uid, std::span(offline, sizeof offline - 1));
  if (will.ok()) offline[*will] = '\0';
  agent_loop.begin_session();
  port.load_rejected(agent_loop);  // releases reverted on this STM32 before a restart of the ESP32
  if (CONFIG_FOTA_MANIFEST_URL[0] != '\0' &&
      !pointer.begin(CONFIG_FOTA_MANIFEST_URL,
                     std::span(reinterpret_cast<char*>(message), sizeof message))) {
    Serial.println("fota: the manifest pointer URL is longer than kUrlMaxBytes - 1");
  }
  WiFi.mode(WIFI_STA);
  WiFi.begin(kSsid, kPassword);
  static const char* const topics[] = {release_topic, command_topic, CONFIG_FOTA_LEGACY_TOPIC};
  const size_t topic_count = CONFIG_FOTA_LEGACY_TOPIC[0] != '\0' ? 3 : 2;
  if (!mqtt.begin({kBroker, uid, nullptr, nullptr, status_topic, offline, true},
                  std::span(topics, topic_count))) {
    Serial.println("fota: cannot start the MQTT client");
  }
}

void loop() {
  if (WiFi.status() != WL_CONNECTED) {
    if (wifi_backoff.due(millis())) {
      (void)WiFi.reconnect();
      wifi_backoff.schedule(millis());
    }
    delay(100);
    return;
  }
  wifi_backoff.reset();
  wall.begin(CONFIG_FOTA_SNTP_SERVER);  // once: later calls return at once
  if (mqtt.connected() != announced) {
    announced = mqtt.connected();
    if (announced) reporter.publish();
  }
  agent_loop.on_tick();  // a retry or a poll of the manifest pointer that is due
  std::string_view topic;
  std::span<const uint8_t> payload;
  if (!mqtt.peek(topic, payload)) {
    delay(100);
    return;
  }
  const std::string_view text(reinterpret_cast<const char*>(message), payload.size());
  std::memcpy(message, payload.data(), payload.size());
  const bool command = topic == command_topic;
  const bool legacy = topic == CONFIG_FOTA_LEGACY_TOPIC;
  mqtt.release();
  if (command) {
    agent_loop.on_command(text);
  } else {
    agent_loop.on_notification(text, legacy);
  }
}
