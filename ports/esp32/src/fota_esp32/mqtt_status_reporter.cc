// SPDX-License-Identifier: Apache-2.0
#include "fota_esp32/mqtt_status_reporter.h"

#include "agent/device_loop.h"
#include "agent/status_message.h"

namespace fota::esp32 {

void MqttStatusReporter::publish() {
  report_.uid = uid_;
  report_.time_unix_s = wall_ != nullptr ? wall_->unix_s() : 0;
  if (report_.state_since_unix_s == 0) report_.state_since_unix_s = report_.time_unix_s;
  if (auto size = agent::encode_status(report_, message_); size.ok()) {
    (void)mqtt_.publish(topic_, std::string_view(message_.data(), *size), true);
  }
}

void MqttStatusReporter::refuse(std::string_view reason, std::string_view error) {
  report_.state = update::State::kFailed;
  report_.state_since_unix_s = 0;  // now (set by publish)
  set_error(reason, error);
}

void MqttStatusReporter::set_error(std::string_view reason, std::string_view error) {
  agent::set_text(reason_, reason);
  agent::set_text(error_, error);
  report_.reason = reason_.data();
  report_.error = error_.data();
  publish();
}

void MqttStatusReporter::on_state(update::State state, const update::Failure& failure) {
  if (state != report_.state) report_.state_since_unix_s = 0;  // now (set by publish)
  report_.state = state;
  report_.error = "";
  report_.reason =
      failure.reason == update::FailReason::kNone ? "" : update::to_string(failure.reason);
  if (state != update::State::kDownloading) report_.bytes_total = 0;
  if (state == update::State::kFailed) {
    // What went wrong, in the words `fota agent` uses: the device's, the source's or the check's.
    const char* source_error = "";
    for (const update::Source* source : sources_) {
      if (source != nullptr && source->last_error()[0] != '\0') source_error = source->last_error();
    }
    agent::write_failure_text(failure, target_ != nullptr ? target_->last_error() : "",
                              source_error, "the trusted keys given to Ed25519Verifier", error_);
    report_.error = error_.data();
  }
  if (state == update::State::kReverted) {
    // Why, in the words `fota agent` uses: "not-confirmed" or "refused-<why>".
    agent::write_reverted_reason(target_ != nullptr ? target_->refusal() : "", reason_, error_);
    report_.reason = reason_.data();
    report_.error = error_.data();
  }
  if (state == update::State::kConfirmed && report_.target_known) {
    // The confirmed image is what runs now: the status that says "confirmed" says so too (as
    // `fota agent` reports it).
    report_.running_known = true;
    report_.running = report_.target;
    report_.running_slot = target_slot_;
  }
  publish();
}

void MqttStatusReporter::on_plan(const update::Plan& plan) {
  report_.running_known = plan.running.header_verdict.ok();
  report_.running = plan.running.header.version;
  report_.running_slot = flash_map::slot_name(plan.running_slot);
  report_.target_known = true;
  report_.target = plan.image.version;
  target_slot_ = flash_map::slot_name(plan.target_slot);
}

void MqttStatusReporter::on_progress(update::Step step, uint32_t done, uint32_t total) {
  if (step != update::Step::kWrite) return;
  const uint64_t now = clock_.now_ms();
  if (done != total && now - last_progress_ms_ < kProgressEveryMs) return;
  if (last_progress_ms_ != 0 && now > last_progress_ms_ && done > report_.bytes_done) {
    report_.rate_bps =
        static_cast<uint32_t>((done - report_.bytes_done) * 1000 / (now - last_progress_ms_));
  }
  last_progress_ms_ = now;
  report_.bytes_done = done;
  report_.bytes_total = total;
  publish();
}

}  // namespace fota::esp32
