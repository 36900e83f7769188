// SPDX-License-Identifier: Apache-2.0
// MQTT over ESP-MQTT (esp-mqtt, part of ESP-IDF and of Arduino-ESP32 3.x): connects with a
// retained "offline" last will, subscribes to the agent's topics on every (re)connect, publishes
// status messages, and hands each received message to the loop task through a one-message
// mailbox (the client calls back on its own task; the update engine runs on the loop task).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "fota_esp32/config.h"

struct esp_mqtt_client;

namespace fota::esp32 {

struct MqttConfig {
  const char* uri = nullptr;        // mqtt://host:1883 or mqtts://host:8883
  const char* client_id = nullptr;  // the STM32 UID in hex is a good one
  const char* username = nullptr;
  const char* password = nullptr;
  const char* will_topic = nullptr;  // the status topic
  const char* will_payload = nullptr;
  bool tls_bundle = true;  // mqtts: verify the broker with ESP-IDF's certificate bundle
};

class MqttLink {
 public:
  static constexpr size_t kMaxTopics = 4;

  // `topics`: subscribed (QoS 1) on every connect; the strings must outlive the link.
  [[nodiscard]] bool begin(const MqttConfig& config, std::span<const char* const> topics);
  bool connected() const { return connected_.load(); }
  [[nodiscard]] bool publish(const char* topic, std::string_view payload, bool retain);

  // The received message, if any; it stays in the mailbox (and later ones are dropped) until
  // release().
  bool peek(std::string_view& topic, std::span<const uint8_t>& payload) const;
  void release() { full_.store(false, std::memory_order_release); }
  // Messages dropped: the mailbox was full, or a message did not fit kMqttBufferBytes.
  uint32_t dropped() const { return dropped_.load(); }

  // The ESP-MQTT event handler (public for the C callback; not for callers).
  void on_event(int32_t event_id, void* event_data);

 private:
  esp_mqtt_client* client_ = nullptr;
  std::array<const char*, kMaxTopics> topics_{};
  size_t topic_count_ = 0;
  std::atomic<bool> connected_{false};
  std::atomic<bool> full_{false};
  std::atomic<uint32_t> dropped_{0};
  // Written by the MQTT task while !full_, read by the loop task while full_.
  std::array<char, kTopicMaxBytes> topic_{};
  size_t topic_size_ = 0;
  std::array<uint8_t, kMqttBufferBytes> payload_{};
  size_t payload_size_ = 0;
};

}  // namespace fota::esp32
