// SPDX-License-Identifier: Apache-2.0
// FotaAgent: the update agent on an ESP32, wired to the STM32 (UART, BOOT0, NRST; docs/esp32.md).
// This sketch brings Wi-Fi up (with a reconnect backoff) and runs fota::esp32::AgentApp: MQTT with
// a retained "offline" last will, SNTP time, the manifest pointer when configured, and every
// received message handed to the agent's decision loop (agent::DeviceLoop: the code `fota agent`
// runs on Linux for each device — policy, retries, rejected releases, commands), which runs the
// update engine and reports the status.
#include <StmFota.h>
#include <WiFi.h>

// Fill in: network, broker, where images may come from, the release signing public key(s).
static const char kSsid[] = "your-ssid";
static const char kPassword[] = "your-password";
static const char kBroker[] = "mqtts://broker.example.com:8883";
static const std::string_view kUrlPrefixes[] = {"https://example.com/releases"};
static const fota::esp32::Ed25519Verifier::PublicKey kTrustedKeys[] = {{}};

// The engine and the signature check need more than the default 8 KB of loop-task stack.
SET_LOOP_TASK_STACK_SIZE(16 * 1024);

static fota::esp32::AgentApp app({kBroker, nullptr, nullptr, kUrlPrefixes, kTrustedKeys});
static fota::esp32::Backoff wifi_backoff(fota::esp32::kWifiBackoffFirstMs,
                                         fota::esp32::kWifiBackoffMaxMs);
static bool started = false;

void setup() {
  Serial.begin(115200);
  started = app.begin();  // says on the console why not
  WiFi.mode(WIFI_STA);
  WiFi.begin(kSsid, kPassword);
}

void loop() {
  if (!started) {
    delay(1000);
    return;
  }
  if (WiFi.status() != WL_CONNECTED) {
    if (wifi_backoff.due(millis())) {
      (void)WiFi.reconnect();
      wifi_backoff.schedule(millis());
    }
    delay(100);
    return;
  }
  wifi_backoff.reset();
  if (!app.step()) delay(100);
}
