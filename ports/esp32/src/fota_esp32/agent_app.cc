// SPDX-License-Identifier: Apache-2.0
#include "fota_esp32/agent_app.h"

#include <cstdio>
#include <cstring>

#include "agent/messages.h"

namespace fota::esp32 {
namespace {

// A topic name from the core into a NUL-terminated buffer.
bool make_topic(Result<size_t, agent::TopicError> written, std::span<char> out) {
  if (!written.ok()) return false;
  out[*written] = '\0';
  return true;
}

}  // namespace

AgentApp::AgentApp(const AgentAppConfig& config)
    : config_(config),
      verifier_(config.trusted_keys),
      reporter_(mqtt_, stm_.clock, status_topic_.data(), uid_.data(), &wall_, &stm_.target),
      engine_(stm_.target, stm_.clock, reporter_, &verifier_, &stm_.progress),
      port_(stm_.target, stm_.clock, engine_, stm_.image_a, stm_.image_b, verifier_, reporter_,
            uid_, &pointer_),
      loop_(loop_config(config.url_prefixes), port_) {
  reporter_.watch_sources(stm_.image_a, stm_.image_b);
}

bool AgentApp::begin() {
  if (!stm_.begin() || !port_.identify()) {
    std::printf("fota: no STM32 on the UART/pins: %s\n", stm_.target.last_error());
    return false;
  }
  const std::string_view uid(uid_.data());
  const auto room = [](std::array<char, kTopicMaxBytes>& topic) {
    return std::span(topic).first(topic.size() - 1);
  };
  if (!make_topic(agent::status_topic(CONFIG_FOTA_PRODUCT, uid, room(status_topic_)),
                  status_topic_) ||
      !make_topic(
          agent::release_topic(CONFIG_FOTA_PRODUCT, CONFIG_FOTA_CHANNEL, room(release_topic_)),
          release_topic_) ||
      !make_topic(agent::command_topic(CONFIG_FOTA_PRODUCT, uid, room(command_topic_)),
                  command_topic_)) {
    std::printf("fota: a topic is longer than kTopicMaxBytes\n");
    return false;
  }
  const auto will = agent::encode_offline(uid, std::span(offline_).first(offline_.size() - 1));
  if (will.ok()) offline_[*will] = '\0';
  loop_.begin_session();
  port_.load_rejected(loop_);  // releases reverted on this STM32 before a restart of the ESP32
  if (CONFIG_FOTA_MANIFEST_URL[0] != '\0' &&
      !pointer_.begin(CONFIG_FOTA_MANIFEST_URL,
                      std::span(reinterpret_cast<char*>(message_.data()), message_.size()))) {
    std::printf("fota: the manifest pointer URL is longer than kUrlMaxBytes - 1\n");
  }
  topics_ = {release_topic_.data(), command_topic_.data(), CONFIG_FOTA_LEGACY_TOPIC};
  const size_t topic_count = CONFIG_FOTA_LEGACY_TOPIC[0] != '\0' ? 3 : 2;
  if (!mqtt_.begin({config_.broker, uid_.data(), config_.username, config_.password,
                    status_topic_.data(), offline_.data(), true},
                   std::span(topics_).first(topic_count))) {
    std::printf("fota: cannot start the MQTT client\n");
  }
  return true;
}

bool AgentApp::step() {
  if (!wall_started_) {
    wall_.begin(CONFIG_FOTA_SNTP_SERVER);
    wall_started_ = true;
  }
  if (mqtt_.connected() != announced_) {
    announced_ = mqtt_.connected();
    if (announced_) reporter_.publish();
  }
  loop_.on_tick();  // a retry or a poll of the manifest pointer that is due
  std::string_view topic;
  std::span<const uint8_t> payload;
  if (!mqtt_.peek(topic, payload)) return false;
  std::memcpy(message_.data(), payload.data(), payload.size());
  const std::string_view text(reinterpret_cast<const char*>(message_.data()), payload.size());
  const bool command = topic == command_topic_.data();
  const bool legacy = topic == CONFIG_FOTA_LEGACY_TOPIC;
  mqtt_.release();
  if (command) {
    loop_.on_command(text);
  } else {
    loop_.on_notification(text, legacy);
  }
  return true;
}

}  // namespace fota::esp32
