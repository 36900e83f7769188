// SPDX-License-Identifier: Apache-2.0
#include "fota_esp32/mqtt_link.h"

#include <cstring>

#include "esp_crt_bundle.h"
#include "mqtt_client.h"

namespace fota::esp32 {
namespace {

void handler(void* arg, esp_event_base_t /*base*/, int32_t event_id, void* event_data) {
  static_cast<MqttLink*>(arg)->on_event(event_id, event_data);
}

}  // namespace

bool MqttLink::begin(const MqttConfig& config, std::span<const char* const> topics) {
  if (topics.size() > kMaxTopics || config.uri == nullptr) return false;
  topic_count_ = topics.size();
  for (size_t i = 0; i < topics.size(); ++i) topics_[i] = topics[i];

  esp_mqtt_client_config_t mqtt{};
  mqtt.broker.address.uri = config.uri;
  if (config.tls_bundle) mqtt.broker.verification.crt_bundle_attach = esp_crt_bundle_attach;
  mqtt.credentials.client_id = config.client_id;
  mqtt.credentials.username = config.username;
  mqtt.credentials.authentication.password = config.password;
  if (config.will_topic != nullptr && config.will_payload != nullptr) {
    mqtt.session.last_will.topic = config.will_topic;
    mqtt.session.last_will.msg = config.will_payload;
    mqtt.session.last_will.msg_len = static_cast<int>(std::strlen(config.will_payload));
    mqtt.session.last_will.qos = 1;
    mqtt.session.last_will.retain = 1;
  }
  mqtt.buffer.size = kMqttBufferBytes;
  client_ = esp_mqtt_client_init(&mqtt);
  if (client_ == nullptr) return false;
  return esp_mqtt_client_register_event(client_, MQTT_EVENT_ANY, handler, this) == ESP_OK &&
         esp_mqtt_client_start(client_) == ESP_OK;
}

bool MqttLink::publish(const char* topic, std::string_view payload, bool retain) {
  if (client_ == nullptr || !connected_.load()) return false;
  return esp_mqtt_client_publish(client_, topic, payload.data(), static_cast<int>(payload.size()),
                                 1, retain ? 1 : 0) >= 0;
}

bool MqttLink::peek(std::string_view& topic, std::span<const uint8_t>& payload) const {
  if (!full_.load(std::memory_order_acquire)) return false;
  topic = std::string_view(topic_.data(), topic_size_);
  payload = std::span<const uint8_t>(payload_.data(), payload_size_);
  return true;
}

void MqttLink::on_event(int32_t event_id, void* event_data) {
  auto* event = static_cast<esp_mqtt_event_handle_t>(event_data);
  switch (static_cast<esp_mqtt_event_id_t>(event_id)) {
    case MQTT_EVENT_CONNECTED:
      connected_.store(true);
      for (size_t i = 0; i < topic_count_; ++i) {
        (void)esp_mqtt_client_subscribe(client_, topics_[i], 1);
      }
      break;
    case MQTT_EVENT_DISCONNECTED: connected_.store(false); break;
    case MQTT_EVENT_DATA: {
      // A message larger than the client's buffer arrives in pieces: refused whole, never cut.
      const bool whole =
          event->current_data_offset == 0 && event->data_len == event->total_data_len;
      const auto topic_len = static_cast<size_t>(event->topic_len);
      const auto data_len = static_cast<size_t>(event->data_len);
      if (!whole || topic_len > topic_.size() || data_len > payload_.size() ||
          full_.load(std::memory_order_acquire)) {
        if (event->current_data_offset == 0) dropped_.fetch_add(1);
        break;
      }
      std::memcpy(topic_.data(), event->topic, topic_len);
      std::memcpy(payload_.data(), event->data, data_len);
      topic_size_ = topic_len;
      payload_size_ = data_len;
      full_.store(true, std::memory_order_release);
      break;
    }
    default: break;
  }
}

}  // namespace fota::esp32
