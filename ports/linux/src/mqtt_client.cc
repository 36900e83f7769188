// SPDX-License-Identifier: Apache-2.0
#include "ports_linux/mqtt_client.h"

#include <mosquitto.h>
#include <mqtt_protocol.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <mutex>
#include <set>

namespace fota::ports {
namespace {

struct MosquittoLib {
  MosquittoLib() { mosquitto_lib_init(); }
  ~MosquittoLib() { mosquitto_lib_cleanup(); }
};

void ensure_lib() {
  static MosquittoLib lib;
}

}  // namespace

Expected<std::string> read_password_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return fail("password file " + path + ": cannot be read");
  std::string password;
  std::getline(in, password);
  if (!password.empty() && password.back() == '\r') password.pop_back();
  return password;
}

Expected<MqttEndpoint> parse_mqtt_url(const std::string& url) {
  MqttEndpoint e;
  std::string rest;
  if (url.rfind("mqtt://", 0) == 0) {
    rest = url.substr(7);
    e.port = 1883;
  } else if (url.rfind("mqtts://", 0) == 0) {
    rest = url.substr(8);
    e.tls = true;
    e.port = 8883;
  } else {
    return fail("broker URL \"" + url + "\" must start with mqtt:// or mqtts://");
  }
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  const size_t colon = rest.rfind(':');
  if (colon != std::string::npos && rest.find(']') == std::string::npos) {
    const std::string port = rest.substr(colon + 1);
    rest = rest.substr(0, colon);
    char* end = nullptr;
    const long p = std::strtol(port.c_str(), &end, 10);
    if (port.empty() || *end != '\0' || p < 1 || p > 65535) {
      return fail("broker URL \"" + url + "\": port \"" + port + "\" is not 1..65535");
    }
    e.port = static_cast<int>(p);
  }
  if (rest.empty() || rest.find('/') != std::string::npos) {
    return fail("broker URL \"" + url + "\": expected mqtt[s]://host[:port]");
  }
  e.host = rest;
  return e;
}

struct MqttClient::Impl {
  mosquitto* mosq = nullptr;
  std::string url;
  bool v5 = false;
  bool loop_started = false;

  std::mutex mutex;
  std::condition_variable cv;
  bool connack = false;
  int connack_rc = -1;
  bool is_connected = false;
  bool lost = false;
  std::string lost_reason;
  std::set<int> acked;
  std::set<int> subacked;
  int suback_qos = 0;
  std::deque<MqttMessage> inbox;
  std::function<void(const MqttMessage&)> handler;
  std::string last_log_error;

  ~Impl() {
    if (mosq) {
      if (loop_started) {
        // Not forced: the network thread sends DISCONNECT first (else the broker would publish
        // the last will).
        mosquitto_disconnect(mosq);
        mosquitto_loop_stop(mosq, false);
      }
      mosquitto_destroy(mosq);
    }
  }

  template <typename Pred>
  bool wait(long timeout_ms, Pred pred) {
    std::unique_lock lock(mutex);
    return cv.wait_for(lock, std::chrono::milliseconds(timeout_ms), pred);
  }

  std::string reason(int rc) const {
    return v5 ? mosquitto_reason_string(rc) : mosquitto_connack_string(rc);
  }

  static void on_connect(mosquitto*, void* self, int rc) {
    auto* impl = static_cast<Impl*>(self);
    std::lock_guard lock(impl->mutex);
    impl->connack = true;
    impl->connack_rc = rc;
    impl->is_connected = rc == 0;
    impl->cv.notify_all();
  }
  static void on_disconnect(mosquitto*, void* self, int rc) {
    auto* impl = static_cast<Impl*>(self);
    std::lock_guard lock(impl->mutex);
    impl->is_connected = false;
    if (rc != 0) {
      impl->lost = true;
      impl->lost_reason =
          impl->last_log_error.empty() ? mosquitto_strerror(rc) : impl->last_log_error;
    }
    impl->cv.notify_all();
  }
  static void on_publish(mosquitto*, void* self, int mid) {
    auto* impl = static_cast<Impl*>(self);
    std::lock_guard lock(impl->mutex);
    impl->acked.insert(mid);
    impl->cv.notify_all();
  }
  static void on_subscribe(mosquitto*, void* self, int mid, int count, const int* granted) {
    auto* impl = static_cast<Impl*>(self);
    std::lock_guard lock(impl->mutex);
    impl->subacked.insert(mid);
    impl->suback_qos = count > 0 ? granted[0] : 0x80;
    impl->cv.notify_all();
  }
  static void on_message(mosquitto*, void* self, const mosquitto_message* m) {
    auto* impl = static_cast<Impl*>(self);
    MqttMessage msg;
    msg.topic = m->topic;
    msg.payload.assign(static_cast<const char*>(m->payload), static_cast<size_t>(m->payloadlen));
    msg.qos = m->qos;
    msg.retain = m->retain;
    std::function<void(const MqttMessage&)> handler;
    {
      std::lock_guard lock(impl->mutex);
      handler = impl->handler;
      if (!handler) impl->inbox.push_back(msg);
      impl->cv.notify_all();
    }
    if (handler) handler(msg);
  }
  static void on_log(mosquitto*, void* self, int level, const char* text) {
    if (level != MOSQ_LOG_ERR) return;
    auto* impl = static_cast<Impl*>(self);
    std::lock_guard lock(impl->mutex);
    impl->last_log_error = text;
    impl->cv.notify_all();
  }
};

MqttClient::MqttClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MqttClient::~MqttClient() = default;

Expected<std::unique_ptr<MqttClient>> MqttClient::connect(const MqttOptions& o) {
  ensure_lib();
  auto endpoint = parse_mqtt_url(o.url);
  if (!endpoint) return endpoint.failure();
  auto impl = std::make_unique<Impl>();
  impl->url = o.url;
  impl->v5 = o.version == MqttVersion::k5;
  const std::string where = o.url + ": ";
  impl->mosq = mosquitto_new(o.client_id.empty() ? nullptr : o.client_id.c_str(), o.clean_session,
                             impl.get());
  if (!impl->mosq) return fail(where + "cannot create an MQTT client");
  mosquitto* m = impl->mosq;
  mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION,
                       impl->v5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311);
  mosquitto_connect_callback_set(m, Impl::on_connect);
  mosquitto_disconnect_callback_set(m, Impl::on_disconnect);
  mosquitto_publish_callback_set(m, Impl::on_publish);
  mosquitto_subscribe_callback_set(m, Impl::on_subscribe);
  mosquitto_message_callback_set(m, Impl::on_message);
  mosquitto_log_callback_set(m, Impl::on_log);
  if (!o.username.empty()) {
    mosquitto_username_pw_set(m, o.username.c_str(),
                              o.password.empty() ? nullptr : o.password.c_str());
  }
  if (endpoint->tls) {
    // Without a CA file: the system's trusted CAs (a broker with a public certificate).
    const int rc = mosquitto_tls_set(m, o.ca_file.empty() ? nullptr : o.ca_file.c_str(),
                                     o.ca_file.empty() ? "/etc/ssl/certs" : nullptr,
                                     o.cert_file.empty() ? nullptr : o.cert_file.c_str(),
                                     o.key_file.empty() ? nullptr : o.key_file.c_str(), nullptr);
    if (rc != MOSQ_ERR_SUCCESS) {
      return fail(where + "TLS set-up failed (CA " +
                  (o.ca_file.empty() ? std::string("/etc/ssl/certs") : o.ca_file) +
                  (o.cert_file.empty() ? "" : ", certificate " + o.cert_file) +
                  "): " + mosquitto_strerror(rc));
    }
  }
  if (o.will) {
    const int rc =
        mosquitto_will_set(m, o.will->topic.c_str(), static_cast<int>(o.will->payload.size()),
                           o.will->payload.data(), o.will->qos, o.will->retain);
    if (rc != MOSQ_ERR_SUCCESS) return fail(where + "last will: " + mosquitto_strerror(rc));
  }
  int rc = mosquitto_connect(m, endpoint->host.c_str(), endpoint->port, o.keepalive_s);
  if (rc != MOSQ_ERR_SUCCESS) {
    std::string why =
        rc == MOSQ_ERR_ERRNO ? std::string(std::strerror(errno)) : mosquitto_strerror(rc);
    std::lock_guard lock(impl->mutex);
    if (!impl->last_log_error.empty()) why += " (" + impl->last_log_error + ")";
    return fail(where + "cannot connect: " + why);
  }
  rc = mosquitto_loop_start(m);
  if (rc != MOSQ_ERR_SUCCESS) return fail(where + "network thread: " + mosquitto_strerror(rc));
  impl->loop_started = true;
  Impl* p = impl.get();
  // A TLS handshake may finish on the network thread: its failure shows as an error log line.
  if (!impl->wait(o.connect_timeout_ms,
                  [p] { return p->connack || p->lost || !p->last_log_error.empty(); })) {
    return fail(where + "no answer from the broker within " + std::to_string(o.connect_timeout_ms) +
                " ms");
  }
  {
    std::lock_guard lock(impl->mutex);
    if (!impl->connack && !impl->last_log_error.empty()) {
      return fail(where + "cannot connect: " + impl->last_log_error);
    }
    if (!impl->connack) return fail(where + "cannot connect: " + impl->lost_reason);
    if (impl->connack_rc != 0) {
      return fail(where + "connection refused: " + impl->reason(impl->connack_rc));
    }
  }
  return std::unique_ptr<MqttClient>(new MqttClient(std::move(impl)));
}

Expected<int> MqttClient::publish(const MqttMessage& message, long timeout_ms) {
  Impl* p = impl_.get();
  int mid = 0;
  const int rc = mosquitto_publish(p->mosq, &mid, message.topic.c_str(),
                                   static_cast<int>(message.payload.size()), message.payload.data(),
                                   message.qos, message.retain);
  if (rc != MOSQ_ERR_SUCCESS) {
    return fail("publish " + message.topic + " to " + p->url + ": " + mosquitto_strerror(rc));
  }
  if (!p->wait(timeout_ms, [p, mid] { return p->acked.contains(mid) || p->lost; })) {
    return fail("publish " + message.topic + " to " + p->url + ": no acknowledgement within " +
                std::to_string(timeout_ms) + " ms");
  }
  std::lock_guard lock(p->mutex);
  if (!p->acked.contains(mid)) {
    return fail("publish " + message.topic + " to " + p->url + ": connection lost (" +
                p->lost_reason + ")");
  }
  p->acked.erase(mid);
  return mid;
}

Expected<void> MqttClient::subscribe(const std::string& filter, int qos, long timeout_ms) {
  Impl* p = impl_.get();
  int mid = 0;
  const int rc = mosquitto_subscribe(p->mosq, &mid, filter.c_str(), qos);
  if (rc != MOSQ_ERR_SUCCESS) {
    return fail("subscribe " + filter + " on " + p->url + ": " + mosquitto_strerror(rc));
  }
  if (!p->wait(timeout_ms, [p, mid] { return p->subacked.contains(mid) || p->lost; })) {
    return fail("subscribe " + filter + " on " + p->url + ": no SUBACK within " +
                std::to_string(timeout_ms) + " ms");
  }
  std::lock_guard lock(p->mutex);
  if (!p->subacked.contains(mid)) return fail("subscribe " + filter + ": connection lost");
  p->subacked.erase(mid);
  if (p->suback_qos >= 0x80) return fail("subscribe " + filter + " on " + p->url + ": refused");
  return {};
}

Expected<std::optional<MqttMessage>> MqttClient::next_message(long timeout_ms) {
  Impl* p = impl_.get();
  p->wait(timeout_ms, [p] { return !p->inbox.empty() || p->lost; });
  std::lock_guard lock(p->mutex);
  if (!p->inbox.empty()) {
    MqttMessage m = std::move(p->inbox.front());
    p->inbox.pop_front();
    return std::optional<MqttMessage>(std::move(m));
  }
  if (p->lost) return fail(p->url + ": connection lost (" + p->lost_reason + ")");
  return std::optional<MqttMessage>();
}

void MqttClient::set_on_message(std::function<void(const MqttMessage&)> handler) {
  std::lock_guard lock(impl_->mutex);
  impl_->handler = std::move(handler);
}

bool MqttClient::connected() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->is_connected;
}

const std::string& MqttClient::url() const {
  return impl_->url;
}

Expected<void> MqttClient::disconnect() {
  Impl* p = impl_.get();
  if (!p->loop_started) return {};
  const int rc = mosquitto_disconnect(p->mosq);
  mosquitto_loop_stop(p->mosq, false);
  p->loop_started = false;
  if (rc != MOSQ_ERR_SUCCESS && rc != MOSQ_ERR_NO_CONN) {
    return fail(p->url + ": disconnect: " + mosquitto_strerror(rc));
  }
  return {};
}

}  // namespace fota::ports
