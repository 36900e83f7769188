// SPDX-License-Identifier: Apache-2.0
// The ESP32's side of the agent's decision loop (agent::DevicePort, agent/device_loop.h): the
// loop decides (policy, retries, rejected releases, commands), this adapter only carries its
// decisions out with the other adapters — notifications read with cJSON (release_notice.*) or the
// core's seed-000 parser, the update engine over two HTTP sources, the status through
// MqttStatusReporter, the clock; the manifest pointer polled through ManifestPointer when
// CONFIG_FOTA_MANIFEST_URL is set.
// Reverted releases are kept across restarts of the ESP32 as one NVS blob (agent::RejectedList,
// key "rejected" in CONFIG_FOTA_NVS_NAMESPACE) for the STM32 they were reverted on.
#pragma once

#include <array>
#include <span>
#include <string_view>

#include "agent/device_loop.h"
#include "agent/rejected_list.h"
#include "fota_esp32/config.h"
#include "fota_esp32/ed25519_verifier.h"
#include "fota_esp32/http_source.h"
#include "fota_esp32/manifest_pointer.h"
#include "fota_esp32/mqtt_status_reporter.h"
#include "update/clock.h"
#include "update/engine.h"
#include "update/target.h"

namespace fota::esp32 {

// The loop's configuration from config.h: the product, the allowed URL prefixes (must outlive the
// loop), unsigned releases as configured, no downgrades, polling when CONFIG_FOTA_MANIFEST_URL is
// set (period and jitter from config.h, the jitter seeded by esp_random() so that a fleet does not
// poll in step), retries after 10 s doubling to 10 min (`fota agent`'s defaults).
agent::LoopConfig loop_config(std::span<const std::string_view> url_prefixes);

class AgentPort final : public agent::DevicePort {
 public:
  AgentPort(update::Target& target, update::Clock& clock, update::Engine& engine,
            HttpRangeSource& image_a, HttpRangeSource& image_b, const Ed25519Verifier& keys,
            MqttStatusReporter& reporter, std::span<char, 25> uid,
            ManifestPointer* pointer = nullptr)
      : target_(target),
        clock_(clock),
        engine_(engine),
        image_a_(image_a),
        image_b_(image_b),
        keys_(keys),
        reporter_(reporter),
        uid_(uid),
        pointer_(pointer) {}

  // Reads the STM32's unique ID (into `uid`: 24 hex digits) and what it runs (the device
  // restarts once); false when it does not answer.
  [[nodiscard]] bool identify();
  // Hands the releases reverted on this STM32 (kept in NVS) to `loop`: after identify() and
  // loop.begin_session(). A list kept for another STM32, or one that cannot be read, is dropped
  // (said on the console).
  void load_rejected(agent::DeviceLoop& loop);

  uint64_t now_ms() override { return clock_.now_ms(); }
  bool read_notice(std::string_view payload, bool legacy, agent::Notice& out,
                   std::span<char> error) override;
  agent::PollResult poll(std::string_view etag) override;
  agent::Running running() override { return running_; }
  update::Outcome install(const agent::Notice& notice, update::VersionPolicy version) override;
  void restart_device() override { (void)target_.reboot(); }
  void reidentify() override;
  void remember_rejected(const agent::Notice& notice) override;
  void refuse(std::string_view reason, std::string_view error) override {
    reporter_.refuse(reason, error);
  }
  void set_error(std::string_view reason, std::string_view error) override {
    reporter_.set_error(reason, error);
  }
  void publish_status() override { reporter_.publish(); }
  bool stopping() const override { return false; }
  void note(agent::LoopNote note, const agent::Notice* notice, std::string_view text,
            uint32_t value) override;

 private:
  update::Target& target_;
  update::Clock& clock_;
  update::Engine& engine_;
  HttpRangeSource& image_a_;
  HttpRangeSource& image_b_;
  const Ed25519Verifier& keys_;
  MqttStatusReporter& reporter_;
  agent::Running running_;
  std::span<char, 25> uid_;
  agent::RejectedList rejected_;
  ManifestPointer* pointer_;  // nullptr: no polling
};

}  // namespace fota::esp32
