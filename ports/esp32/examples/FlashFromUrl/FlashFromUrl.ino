// SPDX-License-Identifier: Apache-2.0
// FlashFromUrl: joins Wi-Fi and installs one release on the STM32 through its ROM bootloader
// (BOOT0 and NRST wired, docs/esp32.md). The update engine reads the boot log, picks the inactive
// slot, downloads that slot's image over HTTP(S) (Range requests, resumable), checks the signed
// header before erasing, writes, verifies, commits and waits until the application confirms.
// Each step is printed on the console (115200 baud).
#include <StmFota.h>
#include <WiFi.h>

#include <cstring>

// Fill in: the network, the release's two image URLs (manifest.json: slots.A.url, slots.B.url)
// and the public key(s) the release is signed with (32 bytes each).
static const char kSsid[] = "your-ssid";
static const char kPassword[] = "your-password";
static const char kImageA[] = "https://example.com/releases/demo-v2/demo-v2-2.0.0-A.img";
static const char kImageB[] = "https://example.com/releases/demo-v2/demo-v2-2.0.0-B.img";
static const fota::esp32::Ed25519Verifier::PublicKey kTrustedKeys[] = {{}};

// The engine and the signature check need more than the default 8 KB of loop-task stack.
SET_LOOP_TASK_STACK_SIZE(16 * 1024);

// UART, BOOT0/NRST, clock, StmTarget (ROM or native path), the two image sources, progress in NVS.
static fota::esp32::StmWiring stm;
static fota::esp32::ConsoleReporter reporter;
static fota::esp32::Ed25519Verifier verifier(kTrustedKeys);
static fota::update::Engine engine(stm.target, stm.clock, reporter, &verifier, &stm.progress);

void setup() {
  Serial.begin(115200);
  WiFi.mode(WIFI_STA);
  WiFi.begin(kSsid, kPassword);
  Serial.print("wifi: connecting");
  while (WiFi.status() != WL_CONNECTED) {
    delay(500);
    Serial.print(".");
  }
  Serial.println(" connected");
  if (!stm.begin() || !stm.image_a.begin(kImageA) || !stm.image_b.begin(kImageB)) {
    Serial.println("fota: cannot set up the UART, the pins or the HTTP client");
    return;
  }
  fota::update::Release release;
  release.image = {&stm.image_a, &stm.image_b};
  fota::update::Policy policy;
  std::strncpy(policy.product.data(), CONFIG_FOTA_PRODUCT, policy.product.size() - 1);
  const fota::update::Outcome outcome = engine.run(release, policy);
  Serial.printf("fota: outcome %s", fota::update::to_string(outcome.state));
  if (outcome.state == fota::update::State::kFailed) {
    const auto& source = outcome.slot == fota::flash_map::Slot::kA ? stm.image_a : stm.image_b;
    Serial.printf(" (%s) %s %s", fota::update::to_string(outcome.failure.reason),
                  stm.target.last_error(), source.last_error());
  }
  Serial.println("");
}

void loop() {
  delay(1000);
}
