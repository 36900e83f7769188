// SPDX-License-Identifier: Apache-2.0
#include "gateway/mqtt.h"

#include <mosquitto.h>

#include <fstream>
#include <sstream>

namespace fota::gateway {
namespace {

void library_init() {
  static std::once_flag once;
  std::call_once(once, [] { mosquitto_lib_init(); });
}

}  // namespace

Expected<std::pair<std::string, int>> parse_broker_url(const std::string& url) {
  const bool tls = url.rfind("mqtts://", 0) == 0;
  if (!tls && url.rfind("mqtt://", 0) != 0) {
    return fail("broker URL \"" + url + "\" must start with mqtt:// or mqtts://");
  }
  std::string rest = url.substr(tls ? 8 : 7);
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  int port = tls ? 8883 : 1883;
  const size_t colon = rest.rfind(':');
  if (colon != std::string::npos) {
    const std::string digits = rest.substr(colon + 1);
    if (digits.empty() || digits.size() > 5 ||
        digits.find_first_not_of("0123456789") != std::string::npos || std::stoi(digits) == 0 ||
        std::stoi(digits) > 65535) {
      return fail("broker URL \"" + url + "\": bad port \"" + digits + "\"");
    }
    port = std::stoi(digits);
    rest = rest.substr(0, colon);
  }
  if (rest.empty() || rest.find('/') != std::string::npos) {
    return fail("broker URL \"" + url + "\": expected mqtt[s]://host[:port]");
  }
  return std::make_pair(rest, port);
}

MqttClient::MqttClient() {
  library_init();
}

MqttClient::~MqttClient() {
  stop();
  if (mosq_ != nullptr) mosquitto_destroy(mosq_);
}

void MqttClient::on_connect_cb(::mosquitto* mosq, void* self, int rc) {
  auto* client = static_cast<MqttClient*>(self);
  if (rc != 0) return;  // refused (auth): libmosquitto retries
  for (const auto& topic : client->subscriptions_) {
    mosquitto_subscribe(mosq, nullptr, topic.c_str(), 1);
  }
  {
    std::lock_guard lock(client->mutex_);
    client->connected_ = true;
  }
  if (client->on_connect_) client->on_connect_();
}

void MqttClient::on_publish_cb(::mosquitto*, void* self, int) {
  auto* client = static_cast<MqttClient*>(self);
  std::lock_guard lock(client->mutex_);
  --client->unacknowledged_;  // may run before publish() counted it: the sum is what matters
  client->acknowledged_.notify_all();
}

void MqttClient::on_disconnect_cb(::mosquitto*, void* self, int) {
  auto* client = static_cast<MqttClient*>(self);
  std::lock_guard lock(client->mutex_);
  client->connected_ = false;
}

void MqttClient::on_message_cb(::mosquitto*, void* self, const ::mosquitto_message* m) {
  auto* client = static_cast<MqttClient*>(self);
  if (!client->on_message_ || m->topic == nullptr) return;
  client->on_message_(m->topic, std::string_view(static_cast<const char*>(m->payload),
                                                 static_cast<size_t>(m->payloadlen)));
}

Expected<void> MqttClient::start(const BrokerConfig& broker, const std::string& client_id,
                                 const std::string& will_topic, const std::string& will_payload,
                                 std::vector<std::string> subscriptions, OnMessage on_message,
                                 OnConnect on_connect) {
  auto address = parse_broker_url(broker.url);
  if (!address) return address.failure();
  subscriptions_ = std::move(subscriptions);
  on_message_ = std::move(on_message);
  on_connect_ = std::move(on_connect);
  mosq_ = mosquitto_new(client_id.c_str(), true, this);
  if (mosq_ == nullptr) return fail("MQTT: cannot create a client \"" + client_id + "\"");
  mosquitto_int_option(mosq_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
  if (!broker.username.empty()) {
    std::string password;
    if (!broker.password_file.empty()) {
      std::ifstream in(broker.password_file);
      if (!in) return fail("broker.password_file " + broker.password_file + ": cannot be read");
      std::getline(in, password);
    }
    if (mosquitto_username_pw_set(mosq_, broker.username.c_str(),
                                  password.empty() ? nullptr : password.c_str()) !=
        MOSQ_ERR_SUCCESS) {
      return fail("MQTT: cannot set the username");
    }
  }
  if (broker.url.rfind("mqtts://", 0) == 0) {
    const int rc =
        mosquitto_tls_set(mosq_, broker.ca_file.empty() ? nullptr : broker.ca_file.c_str(),
                          broker.ca_file.empty() ? "/etc/ssl/certs" : nullptr,
                          broker.cert_file.empty() ? nullptr : broker.cert_file.c_str(),
                          broker.key_file.empty() ? nullptr : broker.key_file.c_str(), nullptr);
    if (rc != MOSQ_ERR_SUCCESS) {
      return fail(std::string("MQTT TLS set-up (broker.ca_file/cert_file/key_file): ") +
                  mosquitto_strerror(rc));
    }
  }
  if (mosquitto_will_set(mosq_, will_topic.c_str(), static_cast<int>(will_payload.size()),
                         will_payload.data(), 1, true) != MOSQ_ERR_SUCCESS) {
    return fail("MQTT: cannot set the last will on " + will_topic);
  }
  mosquitto_connect_callback_set(mosq_, on_connect_cb);
  mosquitto_disconnect_callback_set(mosq_, on_disconnect_cb);
  mosquitto_message_callback_set(mosq_, on_message_cb);
  mosquitto_publish_callback_set(mosq_, on_publish_cb);
  mosquitto_reconnect_delay_set(mosq_, 1, 30, true);
  // A broker that is down now is not an error: the loop keeps trying.
  (void)mosquitto_connect_async(mosq_, address->first.c_str(), address->second,
                                static_cast<int>(broker.keepalive_s));
  if (const int rc = mosquitto_loop_start(mosq_); rc != MOSQ_ERR_SUCCESS) {
    return fail(std::string("MQTT: cannot start the network thread: ") + mosquitto_strerror(rc));
  }
  running_ = true;
  return {};
}

void MqttClient::publish(const std::string& topic, std::string_view payload, bool retained) {
  if (mosq_ == nullptr) return;
  if (!connected()) return;
  // Not under mutex_: libmosquitto's network thread takes it in on_publish_cb.
  if (mosquitto_publish(mosq_, nullptr, topic.c_str(), static_cast<int>(payload.size()),
                        payload.data(), 1, retained) == MOSQ_ERR_SUCCESS) {
    std::lock_guard lock(mutex_);
    ++unacknowledged_;
  }
}

void MqttClient::stop(double flush_timeout_s) {
  if (!running_) return;
  running_ = false;
  {
    std::unique_lock lock(mutex_);
    acknowledged_.wait_for(lock, std::chrono::duration<double>(flush_timeout_s),
                           [this] { return unacknowledged_ <= 0 || !connected_; });
  }
  mosquitto_disconnect(mosq_);
  mosquitto_loop_stop(mosq_, false);
}

bool MqttClient::connected() const {
  std::lock_guard lock(mutex_);
  return connected_;
}

}  // namespace fota::gateway
