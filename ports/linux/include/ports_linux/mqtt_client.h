// SPDX-License-Identifier: Apache-2.0
// MQTT client over libmosquitto for the host tools and the Linux agent: mqtt:// and mqtts://
// (CA file, optional client certificate/key), username/password, MQTT 3.1.1 or 5, last will,
// publish with QoS 0/1/2 waiting for the broker's acknowledgement (PUBACK for QoS 1), subscribe
// and receive. The network runs on libmosquitto's own thread; calls block with timeouts.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "status/expected.h"

namespace fota::ports {

enum class MqttVersion { k311, k5 };

struct MqttMessage {
  std::string topic;
  std::string payload;
  int qos = 1;
  bool retain = false;
};

struct MqttOptions {
  std::string url;        // mqtt://host[:port] (1883) or mqtts://host[:port] (8883)
  std::string client_id;  // "" = a random id
  std::string username;   // "" = none
  std::string password;
  std::string ca_file;    // mqtts: CA that signed the broker's certificate ("" = system CAs)
  std::string cert_file;  // mqtts: optional client certificate and key
  std::string key_file;
  MqttVersion version = MqttVersion::k311;
  int keepalive_s = 30;
  long connect_timeout_ms = 5000;
  bool clean_session = true;
  std::optional<MqttMessage> will;  // published by the broker if this client vanishes
};

// The parts of a broker URL: a Failure names what is wrong with it.
struct MqttEndpoint {
  bool tls = false;
  std::string host;
  int port = 0;
};
Expected<MqttEndpoint> parse_mqtt_url(const std::string& url);

// The broker password kept in a file (so that it is on no command line and in no config): its
// first line, without the line end. A Failure names the file.
Expected<std::string> read_password_file(const std::string& path);

class MqttClient {
 public:
  // Connects and waits for the broker's CONNACK. Errors name the broker and the reason
  // ("mqtt://127.0.0.1:1883: connection refused: not authorised").
  static Expected<std::unique_ptr<MqttClient>> connect(const MqttOptions& options);
  ~MqttClient();  // disconnects cleanly (no last will)
  MqttClient(const MqttClient&) = delete;
  MqttClient& operator=(const MqttClient&) = delete;

  // Publishes and waits until the broker acknowledged it (QoS 1: PUBACK; QoS 0: sent).
  // Returns the message id.
  Expected<int> publish(const MqttMessage& message, long timeout_ms = 10000);
  // Subscribes and waits for SUBACK; a refused subscription is a Failure.
  Expected<void> subscribe(const std::string& filter, int qos = 1, long timeout_ms = 10000);
  // The next received message, or nullopt after `timeout_ms`; a Failure when the connection is
  // lost. Messages are queued from the moment of subscription.
  Expected<std::optional<MqttMessage>> next_message(long timeout_ms);
  // Alternatively called for every message, on the network thread (then nothing is queued).
  void set_on_message(std::function<void(const MqttMessage&)> handler);
  bool connected() const;
  const std::string& url() const;
  Expected<void> disconnect();

 private:
  struct Impl;
  explicit MqttClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace fota::ports
