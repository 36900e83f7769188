// SPDX-License-Identifier: Apache-2.0
// A small MQTT client for the agent over libmosquitto: one connection per device (so each device
// has its own last will on its status topic), automatic reconnection, subscriptions renewed and
// the current status republished on every (re)connect.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/config.h"
#include "status/expected.h"

struct mosquitto;
struct mosquitto_message;

namespace fota::gateway {

class MqttClient {
 public:
  using OnMessage = std::function<void(const std::string& topic, std::string_view payload)>;
  using OnConnect = std::function<void()>;

  MqttClient();
  ~MqttClient();
  MqttClient(const MqttClient&) = delete;
  MqttClient& operator=(const MqttClient&) = delete;

  // Connects in the background (and keeps reconnecting); `will` is published retained by the
  // broker when the connection is lost without a clean disconnect.
  Expected<void> start(const BrokerConfig& broker, const std::string& client_id,
                       const std::string& will_topic, const std::string& will_payload,
                       std::vector<std::string> subscriptions, OnMessage on_message,
                       OnConnect on_connect);
  // QoS 1. While disconnected the message is dropped (the next connect republishes the status).
  void publish(const std::string& topic, std::string_view payload, bool retained);
  // Waits (bounded) for QoS-1 publications to be acknowledged, then disconnects cleanly (the
  // broker then does not publish the will).
  void stop(double flush_timeout_s = 2.0);
  bool connected() const;

 private:
  static void on_connect_cb(::mosquitto*, void* self, int rc);
  static void on_disconnect_cb(::mosquitto*, void* self, int rc);
  static void on_message_cb(::mosquitto*, void* self, const ::mosquitto_message*);
  static void on_publish_cb(::mosquitto*, void* self, int mid);

  ::mosquitto* mosq_ = nullptr;
  std::vector<std::string> subscriptions_;
  OnMessage on_message_;
  OnConnect on_connect_;
  mutable std::mutex mutex_;
  std::condition_variable acknowledged_;
  bool connected_ = false;
  bool running_ = false;
  int unacknowledged_ = 0;
};

// "mqtt://host:port" / "mqtts://host:port" -> host, port (1883 / 8883 by default).
Expected<std::pair<std::string, int>> parse_broker_url(const std::string& url);

}  // namespace fota::gateway
