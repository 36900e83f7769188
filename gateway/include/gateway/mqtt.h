// SPDX-License-Identifier: Apache-2.0
// The MQTT side of one device of the agent over ports::MqttClient: one connection per device (so
// each device has its own last will "offline" on its status topic), subscriptions, and the
// device's status published retained from a thread of its own: the update engine never waits on
// the broker. The connection is re-made (with backoff) whenever it is lost; the latest status is
// then published again.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gateway/config.h"
#include "ports_linux/mqtt_client.h"
#include "status/expected.h"

namespace fota::gateway {

class MqttSession {
 public:
  using OnMessage = std::function<void(const std::string& topic, const std::string& payload)>;

  MqttSession() = default;
  ~MqttSession();
  MqttSession(const MqttSession&) = delete;
  MqttSession& operator=(const MqttSession&) = delete;

  // Checks the settings and starts the connection thread (a broker that is down is not an error).
  Expected<void> start(const BrokerConfig& broker, const std::string& client_id,
                       const std::string& status_topic, const std::string& will_payload,
                       std::vector<std::string> subscriptions, OnMessage on_message);
  // The latest status; published retained (QoS 1) as soon as possible. Newer replaces older.
  void set_status(std::string payload);
  // Publishes a pending status (bounded wait), disconnects cleanly (no last will), joins.
  void stop();
  bool connected() const;

 private:
  void loop();

  ports::MqttOptions options_;
  std::string status_topic_;
  std::vector<std::string> subscriptions_;
  OnMessage on_message_;
  std::unique_ptr<ports::MqttClient> client_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::string status_;
  bool dirty_ = false;
  bool stopping_ = false;
  bool connected_ = false;
  std::thread thread_;
};

}  // namespace fota::gateway
