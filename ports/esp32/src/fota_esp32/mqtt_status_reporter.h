// SPDX-License-Identifier: Apache-2.0
// update::Reporter that publishes the agent's status message (agent::encode_status: the same
// bytes `fota agent` publishes on Linux) on fota/<product>/device/<uid>/status, retained: at
// every state change and at most every 2 s while writing.
#pragma once

#include <array>
#include <string_view>

#include "agent/status_message.h"
#include "fota_esp32/mqtt_link.h"
#include "fota_esp32/sntp_time.h"
#include "update/clock.h"
#include "update/reporter.h"
#include "update/source.h"
#include "update/target.h"

namespace fota::esp32 {

class MqttStatusReporter final : public update::Reporter {
 public:
  // `topic` and `uid` must outlive the reporter; `wall` (may be nullptr) dates the messages;
  // `target` (may be nullptr) says why its secure boot refused an image that was reverted.
  MqttStatusReporter(MqttLink& mqtt, update::Clock& clock, const char* topic, const char* uid,
                     const SntpTime* wall = nullptr, const update::Target* target = nullptr)
      : mqtt_(mqtt), clock_(clock), topic_(topic), uid_(uid), wall_(wall), target_(target) {}

  // The image sources an update reads: a failure's error names what the failing one said.
  void watch_sources(const update::Source& image_a, const update::Source& image_b) {
    sources_ = {&image_a, &image_b};
  }

  // Publishes the current status (e.g. idle after connecting).
  void publish();
  // A failure outside the engine (a refused release): state failed with `reason` (the code
  // `fota agent` uses, e.g. "policy-refused") and `error` (both copied, cut to fit).
  void refuse(std::string_view reason, std::string_view error);
  // `reason` and `error` only, the state stays (a malformed message, a poll error).
  void set_error(std::string_view reason, std::string_view error);

  void on_state(update::State state, const update::Failure& failure) override;
  void on_plan(const update::Plan& plan) override;
  void on_progress(update::Step step, uint32_t done, uint32_t total) override;

 private:
  static constexpr uint64_t kProgressEveryMs = 2000;
  MqttLink& mqtt_;
  update::Clock& clock_;
  const char* topic_;
  const char* uid_;
  const SntpTime* wall_;
  const update::Target* target_;
  std::array<const update::Source*, 2> sources_{};
  agent::StatusReport report_{};
  char target_slot_ = '-';  // the plan's slot: what runs once the new image confirmed
  uint64_t last_progress_ms_ = 0;
  std::array<char, agent::kMaxStatusSize> message_{};
  std::array<char, 32> reason_{};
  std::array<char, agent::kMaxErrorLength + 1> error_{};
};

}  // namespace fota::esp32
