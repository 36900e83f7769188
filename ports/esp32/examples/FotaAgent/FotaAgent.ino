// SPDX-License-Identifier: Apache-2.0
// FotaAgent: the update agent on an ESP32, wired to the STM32 (UART, BOOT0, NRST; docs/esp32.md).
// Wi-Fi with reconnect backoff; SNTP time; MQTT (ESP-MQTT) with a retained "offline" last will; a
// signed manifest on fota/<product>/<channel>/release (or seed 000's {"url", "crc"} on the legacy
// topic) is checked (signature, then the agent's policy: product, newer version, URL prefix, size)
// and installed by the update engine; commands on fota/<product>/device/<uid>/cmd (check, update
// to X.Y.Z, report); every state goes out as the agent's status message on
// fota/<product>/device/<uid>/status. Engine, policy, message parsers, topics and status encoder
// are the ones `fota agent` runs on Linux.
#include <StmFota.h>
#include <WiFi.h>

#include <cstdio>
#include <cstring>

// Fill in: network, broker, where images may come from, the release signing public key(s).
static const char kSsid[] = "your-ssid";
static const char kPassword[] = "your-password";
static const char kBroker[] = "mqtts://broker.example.com:8883";
static const std::string_view kUrlPrefixes[] = {"https://example.com/releases"};
static const fota::esp32::Ed25519Verifier::PublicKey kTrustedKeys[] = {{}};

// The engine and the signature check need more than the default 8 KB of loop-task stack.
SET_LOOP_TASK_STACK_SIZE(16 * 1024);

static fota::esp32::UartLink uart;
static fota::esp32::GpioPins pins;
static fota::esp32::EspClock esp_clock;
// ROM bootloader or native path: Kconfig FOTA_TRANSPORT_NATIVE, or target.use() in setup().
static fota::esp32::StmTarget target(uart, pins, esp_clock);
static fota::esp32::HttpRangeSource image_a;
static fota::esp32::HttpRangeSource image_b;
static fota::esp32::NvsProgressStore progress;
static fota::esp32::Ed25519Verifier verifier(kTrustedKeys);
static fota::esp32::MqttLink mqtt;
static fota::esp32::SntpTime wall;
static char uid[25];
static char status_topic[fota::esp32::kTopicMaxBytes];
static char release_topic[fota::esp32::kTopicMaxBytes];
static char command_topic[fota::esp32::kTopicMaxBytes];
static char offline[64];
static char message_error[160];
static fota::esp32::MqttStatusReporter reporter(mqtt, esp_clock, status_topic, uid, &wall);
static fota::update::Engine engine(target, esp_clock, reporter, &verifier, &progress);
static fota::esp32::Backoff wifi_backoff(fota::esp32::kWifiBackoffFirstMs,
                                         fota::esp32::kWifiBackoffMaxMs);
static fota::agent::Running running;
static fota::esp32::ReleaseNotice notice;    // the last valid release notification
static fota::esp32::ReleaseNotice incoming;  // the one being read
static fota::agent::KnownRelease known;      // what it offers (for commands)
static bool announced = false;

// The STM32's unique ID names the device, its boot log says what runs: read once through the ROM
// bootloader at start-up (the STM32 restarts once).
static bool identify() {
  fota::update::DeviceId device;
  fota::update::BootState boot;
  const bool ok = target.open(device) == fota::update::TargetError::kOk &&
                  target.read_boot_state(boot) == fota::update::TargetError::kOk;
  (void)target.reboot();
  if (!ok) return false;
  for (size_t i = 0; i < device.uid.size(); ++i)
    std::snprintf(uid + 2 * i, 3, "%02X", device.uid[i]);
  const auto& active = boot.slots[boot.install_slot == fota::flash_map::Slot::kA ? 1 : 0];
  running.known = active.header_verdict.ok();
  running.version = active.header.version;
  return true;
}

// A topic name from the core into a NUL-terminated buffer.
static bool terminate_topic(fota::Result<size_t, fota::agent::TopicError> written, char* out) {
  if (!written.ok()) return false;
  out[*written] = '\0';
  return true;
}

// Policy, then the engine: what `fota agent` does with a release (docs/agent.md).
static void install(bool explicit_request) {
  const fota::agent::Policy policy{CONFIG_FOTA_PRODUCT, kUrlPrefixes, fota::esp32::kAllowUnsigned,
                                   false, fota::flash_map::kSlotSize};
  for (size_t i = 0; i < 2; ++i) {
    notice.offer.url = notice.url[i].data();
    notice.offer.size = notice.size[i];
    notice.offer.explicit_request = explicit_request;
    const auto refused = fota::agent::check_offer(policy, notice.offer, running);
    if (refused == fota::agent::PolicyError::kNotNewer && !explicit_request) {
      Serial.println("fota: release not newer than the running image: nothing to do");
      return;
    }
    if (refused != fota::agent::PolicyError::kOk) {
      Serial.printf("fota: release refused: %s\n", fota::agent::to_string(refused));
      reporter.refuse(
          refused == fota::agent::PolicyError::kUnsigned ? "policy-unsigned" : "policy-refused",
          fota::agent::to_string(refused));
      return;
    }
  }
  if (!image_a.begin(notice.url[0].data()) || !image_b.begin(notice.url[1].data())) return;
  fota::update::Release release;
  release.image = {&image_a, &image_b};
  fota::update::Policy engine_policy;
  std::strncpy(engine_policy.product.data(), CONFIG_FOTA_PRODUCT, engine_policy.product.size() - 1);
  engine_policy.require_signature = !fota::esp32::kAllowUnsigned;
  const fota::update::Outcome outcome = engine.run(release, engine_policy);
  if (outcome.state == fota::update::State::kConfirmed) running = {true, outcome.version};
}

// Seed 000's {"url": "...", "crc": "..."}: one image for whichever slot it is linked for.
static bool read_legacy(std::span<const uint8_t> payload) {
  fota::agent::MessageDetail detail;
  const auto legacy = fota::agent::parse_legacy_message(
      {reinterpret_cast<const char*>(payload.data()), payload.size()}, incoming.url[0], &detail);
  if (!legacy.ok()) {
    (void)fota::agent::describe("firmware message", legacy.error(), detail, message_error);
    return false;
  }
  std::memcpy(incoming.url[1].data(), incoming.url[0].data(), legacy->url.size());
  incoming.url[0][legacy->url.size()] = incoming.url[1][legacy->url.size()] = '\0';
  incoming.size = {0, 0};
  incoming.product = {};
  incoming.offer = {};  // no product, no version, not signed: the image header says
  Serial.printf("fota: seed-000 message, CRC-32/MPEG-2 %08lX\n",
                static_cast<unsigned long>(legacy->crc));
  return true;
}

static void handle_command(std::span<const uint8_t> payload) {
  fota::agent::MessageDetail detail;
  const auto command = fota::agent::parse_command(
      {reinterpret_cast<const char*>(payload.data()), payload.size()}, &detail);
  mqtt.release();
  if (!command.ok()) {
    (void)fota::agent::describe("command", command.error(), detail, message_error);
    reporter.refuse("bad-command", message_error);
    return;
  }
  switch (fota::agent::command_action(*command, known)) {
    case fota::agent::CommandAction::kPublishStatus: reporter.publish(); break;
    case fota::agent::CommandAction::kCheck:
      if (known.known) install(false);
      break;
    case fota::agent::CommandAction::kInstall: install(true); break;
    case fota::agent::CommandAction::kUnknownVersion:
      reporter.refuse("unknown-version", "update: not the release the channel offers");
      break;
  }
}

void setup() {
  Serial.begin(115200);
  if (!uart.begin() || !pins.begin() || !identify()) {
    Serial.printf("fota: no STM32 on the UART/pins: %s\n", target.last_error());
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
  std::string_view topic;
  std::span<const uint8_t> payload;
  if (!mqtt.peek(topic, payload)) {
    delay(100);
    return;
  }
  if (topic == command_topic) return handle_command(payload);
  const bool legacy = topic == CONFIG_FOTA_LEGACY_TOPIC;
  const bool read =
      legacy ? read_legacy(payload)
             : fota::esp32::read_release_notice(payload, verifier, incoming, message_error);
  mqtt.release();
  if (!read) {
    Serial.println(message_error);
    reporter.refuse("bad-notification", message_error);
    return;
  }
  if (legacy && !fota::esp32::kAllowUnsigned) {
    reporter.refuse("unsigned",
                    "seed-000 message ignored: the configuration requires signed releases");
    return;
  }
  notice = incoming;
  notice.offer.product = legacy ? std::string_view() : std::string_view(notice.product.data());
  known = {true, legacy, notice.offer.version};
  install(false);
}
