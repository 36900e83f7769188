// SPDX-License-Identifier: Apache-2.0
#include "gateway/mqtt.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

namespace fota::gateway {

MqttSession::~MqttSession() {
  stop();
}

Expected<void> MqttSession::start(const BrokerConfig& broker, const std::string& client_id,
                                  const std::string& status_topic, const std::string& will_payload,
                                  std::vector<std::string> subscriptions, OnMessage on_message) {
  auto endpoint = ports::parse_mqtt_url(broker.url);
  if (!endpoint) return fail("broker.url: " + endpoint.error());
  options_.url = broker.url;
  options_.client_id = client_id;
  options_.username = broker.username;
  if (!broker.password_file.empty()) {
    auto password = ports::read_password_file(broker.password_file);
    if (!password) return fail("broker.password_file: " + password.error());
    options_.password = std::move(*password);
  }
  options_.ca_file = broker.ca_file;
  options_.cert_file = broker.cert_file;
  options_.key_file = broker.key_file;
  options_.keepalive_s = static_cast<int>(broker.keepalive_s);
  options_.will = ports::MqttMessage{status_topic, will_payload, 1, true};
  status_topic_ = status_topic;
  subscriptions_ = std::move(subscriptions);
  on_message_ = std::move(on_message);
  {
    std::lock_guard lock(mutex_);  // a session may be started again after stop()
    stopping_ = false;
    dirty_ = false;
    status_.clear();
  }
  thread_ = std::thread([this] { loop(); });
  return {};
}

void MqttSession::set_status(std::string payload) {
  {
    std::lock_guard lock(mutex_);
    status_ = std::move(payload);
    dirty_ = true;
  }
  wake_.notify_all();
}

bool MqttSession::connected() const {
  std::lock_guard lock(mutex_);
  return connected_;
}

void MqttSession::loop() {
  double backoff_s = 0.5;
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (client_ == nullptr || !client_->connected()) {
      connected_ = false;
      lock.unlock();
      client_.reset();
      auto made = ports::MqttClient::connect(options_);
      std::unique_ptr<ports::MqttClient> client;
      if (made) {
        client = std::move(*made);
        client->set_on_message([this](const ports::MqttMessage& m) {
          if (on_message_) on_message_(m.topic, m.payload);
        });
        for (const auto& topic : subscriptions_) {
          if (auto s = client->subscribe(topic, 1); !s) {
            spdlog::warn("MQTT: subscribing to {}: {}", topic, s.error());
            client.reset();
            break;
          }
        }
      } else {
        spdlog::warn("MQTT: {} (retrying in {:.1f} s)", made.error(), backoff_s);
      }
      lock.lock();
      if (client == nullptr) {
        wake_.wait_for(lock, std::chrono::duration<double>(backoff_s),
                       [this] { return stopping_; });
        backoff_s = std::min(backoff_s * 2, 30.0);
        continue;
      }
      spdlog::info("MQTT: connected to {}", options_.url);
      client_ = std::move(client);
      connected_ = true;
      backoff_s = 0.5;
      dirty_ = dirty_ || !status_.empty();  // republish the status after every (re)connect
    }
    wake_.wait_for(lock, std::chrono::milliseconds(500), [this] { return dirty_ || stopping_; });
    if (dirty_ && client_ != nullptr) {
      const std::string payload = status_;
      dirty_ = false;
      lock.unlock();
      auto sent = client_->publish(ports::MqttMessage{status_topic_, payload, 1, true}, 5000);
      lock.lock();
      if (!sent) {
        spdlog::warn("MQTT: publishing the status: {}", sent.error());
        dirty_ = true;
        lock.unlock();
        client_.reset();
        lock.lock();
      }
    }
  }
  // Stopping: the final status goes out before the clean disconnect.
  if (client_ != nullptr && client_->connected() && dirty_) {
    const std::string payload = status_;
    lock.unlock();
    (void)client_->publish(ports::MqttMessage{status_topic_, payload, 1, true}, 2000);
    lock.lock();
  }
  if (client_ != nullptr) {
    lock.unlock();
    (void)client_->disconnect();
    client_.reset();
    lock.lock();
  }
  connected_ = false;
}

void MqttSession::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace fota::gateway
