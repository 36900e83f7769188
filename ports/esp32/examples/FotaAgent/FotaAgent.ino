// SPDX-License-Identifier: Apache-2.0
// FotaAgent: the update agent on an ESP32, wired to the STM32 (UART, BOOT0, NRST; docs/esp32.md).
// Wi-Fi with reconnect backoff; MQTT (ESP-MQTT) with a retained "offline" last will; a signed
// manifest on fota/<product>/<channel>/release is checked (signature, then the agent's policy:
// product, newer version, URL prefix, size) and installed by the update engine; every state goes
// out as the agent's status message on fota/<product>/device/<uid>/status. Engine, policy and
// status encoder are the ones `fota agent` runs on Linux.
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
static fota::an3155::Bootloader rom(uart, &pins, esp_clock);
static std::array<uint8_t, fota::esp32::kRomReadCacheBytes> rom_cache;
static fota::esp32::RomConsoleEcho stm32_console;
static fota::an3155::RomTarget target(rom, uart, esp_clock, rom_cache, {}, &stm32_console);
static fota::esp32::HttpRangeSource image_a;
static fota::esp32::HttpRangeSource image_b;
static fota::esp32::NvsProgressStore progress;
static fota::esp32::Ed25519Verifier verifier(kTrustedKeys);
static fota::esp32::MqttLink mqtt;
static char uid[25];
static char status_topic[fota::esp32::kTopicMaxBytes];
static char release_topic[fota::esp32::kTopicMaxBytes];
static char offline[64];
static fota::esp32::MqttStatusReporter reporter(mqtt, esp_clock, status_topic, uid);
static fota::update::Engine engine(target, esp_clock, reporter, &verifier, &progress);
static fota::esp32::Backoff wifi_backoff(fota::esp32::kWifiBackoffFirstMs,
                                         fota::esp32::kWifiBackoffMaxMs);
static fota::agent::Running running;
static fota::esp32::ReleaseNotice notice;
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

void setup() {
  Serial.begin(115200);
  if (!uart.begin() || !pins.begin() || !identify()) {
    Serial.printf("fota: no STM32 on the UART/pins: %s\n", target.last_error());
    return;
  }
  std::snprintf(status_topic, sizeof status_topic, "fota/%s/device/%s/status", CONFIG_FOTA_PRODUCT,
                uid);
  std::snprintf(release_topic, sizeof release_topic, "fota/%s/%s/release", CONFIG_FOTA_PRODUCT,
                CONFIG_FOTA_CHANNEL);
  const auto will = fota::agent::encode_offline(uid, std::span(offline, sizeof offline - 1));
  if (will.ok()) offline[*will] = '\0';
  WiFi.mode(WIFI_STA);
  WiFi.begin(kSsid, kPassword);
  static const char* const topics[] = {release_topic};
  if (!mqtt.begin({kBroker, uid, nullptr, nullptr, status_topic, offline, true}, topics)) {
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
  char error[160];
  const bool read = fota::esp32::read_release_notice(payload, verifier, notice, error);
  mqtt.release();
  if (!read) {
    Serial.println(error);
    return;
  }
  const fota::agent::Policy policy{CONFIG_FOTA_PRODUCT, kUrlPrefixes, false, false,
                                   fota::flash_map::kSlotSize};
  for (size_t i = 0; i < 2; ++i) {
    notice.offer.url = notice.url[i].data();
    notice.offer.size = notice.size[i];
    if (const auto refused = fota::agent::check_offer(policy, notice.offer, running);
        refused != fota::agent::PolicyError::kOk) {
      Serial.printf("fota: release refused: %s\n", fota::agent::to_string(refused));
      return;
    }
  }
  if (!image_a.begin(notice.url[0].data()) || !image_b.begin(notice.url[1].data())) return;
  fota::update::Release release;
  release.image = {&image_a, &image_b};
  fota::update::Policy engine_policy;
  std::strncpy(engine_policy.product.data(), CONFIG_FOTA_PRODUCT, engine_policy.product.size() - 1);
  const fota::update::Outcome outcome = engine.run(release, engine_policy);
  if (outcome.state == fota::update::State::kConfirmed) running = {true, outcome.version};
}
