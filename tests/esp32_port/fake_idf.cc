// SPDX-License-Identifier: Apache-2.0
#include "fake_idf.h"

#include <algorithm>
#include <cstring>
#include <memory>

#include "driver/gpio.h"
#include "driver/uart.h"
#include "esp_crt_bundle.h"
#include "esp_http_client.h"
#include "esp_random.h"
#include "esp_sntp.h"
#include "esp_timer.h"
#include "fota_esp32/config.h"
#include "freertos/task.h"
#include "mqtt_client.h"
#include "nvs.h"

// The clients behind the IDF's opaque handles.
struct esp_mqtt_client {
  esp_event_handler_t handler = nullptr;
  void* arg = nullptr;
};

struct esp_http_client {
  esp_http_client_config_t config;
  std::map<std::string, std::string> headers;  // request headers, kept across requests
  int status = 0;
  std::string body;
  size_t pos = 0;
  std::vector<std::pair<std::string, std::string>> answer_headers;
};

namespace fota::esp32::host {
namespace {

FakeIdf state;

// What the UART was last set to (the link takes both at once).
uint32_t uart_baud = 115'200;
an3155::Parity uart_parity = an3155::Parity::kEven;

bool sntp_started = false;
uint32_t random_state = 0x2545'F491;

// The NVS writes of the open handles, committed by nvs_commit.
std::map<std::pair<std::string, std::string>, std::vector<uint8_t>> nvs_pending;
std::map<std::pair<std::string, std::string>, bool> nvs_erased;
std::vector<std::string> nvs_namespaces;  // handle = index + 1

std::vector<std::unique_ptr<esp_mqtt_client>> mqtt_clients;

uint32_t ms_of(TickType_t ticks) {
  return static_cast<uint32_t>(ticks) * portTICK_PERIOD_MS;
}

}  // namespace

FakeIdf& fake_idf() {
  return state;
}

void reset_fake_idf() {
  state = FakeIdf{};
  uart_baud = 115'200;
  uart_parity = an3155::Parity::kEven;
  sntp_started = false;
  nvs_pending.clear();
  nvs_erased.clear();
  nvs_namespaces.clear();
  mqtt_clients.clear();
}

}  // namespace fota::esp32::host

using fota::esp32::host::state;
namespace host = fota::esp32::host;
namespace an3155 = fota::an3155;

namespace fota::esp32::host {
namespace {

void mqtt_event(esp_mqtt_event_t& event) {
  if (mqtt_clients.empty()) return;
  esp_mqtt_client* client = mqtt_clients.back().get();
  event.client = client;
  if (client->handler != nullptr)
    client->handler(client->arg, "MQTT_EVENTS", event.event_id, &event);
}

}  // namespace

void mqtt_connect() {
  esp_mqtt_event_t event{};
  event.event_id = MQTT_EVENT_CONNECTED;
  mqtt_event(event);
}

void mqtt_disconnect() {
  esp_mqtt_event_t event{};
  event.event_id = MQTT_EVENT_DISCONNECTED;
  mqtt_event(event);
}

void mqtt_deliver(const std::string& topic, const std::string& payload, size_t piece) {
  if (piece == 0 || piece >= payload.size()) piece = payload.size();
  std::string t = topic;
  std::string p = payload;
  size_t offset = 0;
  do {
    const size_t n = std::min(piece, p.size() - offset);
    esp_mqtt_event_t event{};
    event.event_id = MQTT_EVENT_DATA;
    event.data = p.data() + offset;
    event.data_len = static_cast<int>(n);
    event.total_data_len = static_cast<int>(p.size());
    event.current_data_offset = static_cast<int>(offset);
    // ESP-MQTT gives the topic with the first piece only.
    event.topic = offset == 0 ? t.data() : nullptr;
    event.topic_len = offset == 0 ? static_cast<int>(t.size()) : 0;
    mqtt_event(event);
    offset += n;
  } while (offset < p.size());
}

}  // namespace fota::esp32::host

extern "C" {

const char* esp_err_to_name(esp_err_t code) {
  return code == ESP_FAIL ? "ESP_FAIL" : "ESP_ERR";
}
esp_err_t esp_crt_bundle_attach(void*) {
  return ESP_OK;
}
uint32_t esp_random(void) {
  // xorshift32: deterministic runs.
  uint32_t& x = host::random_state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return x;
}

// --- Time ----------------------------------------------------------------------------------
int64_t esp_timer_get_time(void) {
  return state.clock != nullptr ? static_cast<int64_t>(state.clock->now_us()) : 0;
}
void vTaskDelay(const TickType_t ticks) {
  if (state.clock != nullptr) state.clock->delay_ms(host::ms_of(ticks));
}

// --- UART ----------------------------------------------------------------------------------
esp_err_t uart_driver_install(uart_port_t, int, int, int, QueueHandle_t*, int) {
  return ESP_OK;
}
esp_err_t uart_driver_delete(uart_port_t) {
  return ESP_OK;
}
esp_err_t uart_param_config(uart_port_t, const uart_config_t* config) {
  host::uart_baud = static_cast<uint32_t>(config->baud_rate);
  state.uart_top_baud = std::max(state.uart_top_baud, host::uart_baud);
  host::uart_parity =
      config->parity == UART_PARITY_EVEN ? an3155::Parity::kEven : an3155::Parity::kNone;
  if (state.uart == nullptr) return ESP_OK;
  return state.uart->configure(host::uart_baud, host::uart_parity) == an3155::PortStatus::kOk
             ? ESP_OK
             : ESP_FAIL;
}
esp_err_t uart_set_pin(uart_port_t, int, int, int, int) {
  return ESP_OK;
}
esp_err_t uart_set_baudrate(uart_port_t, uint32_t baud) {
  host::uart_baud = baud;
  state.uart_top_baud = std::max(state.uart_top_baud, baud);
  if (state.uart == nullptr) return ESP_OK;
  return state.uart->configure(host::uart_baud, host::uart_parity) == an3155::PortStatus::kOk
             ? ESP_OK
             : ESP_FAIL;
}
esp_err_t uart_set_parity(uart_port_t, uart_parity_t parity) {
  host::uart_parity = parity == UART_PARITY_EVEN ? an3155::Parity::kEven : an3155::Parity::kNone;
  if (state.uart == nullptr) return ESP_OK;
  return state.uart->configure(host::uart_baud, host::uart_parity) == an3155::PortStatus::kOk
             ? ESP_OK
             : ESP_FAIL;
}
int uart_write_bytes(uart_port_t, const void* src, size_t size) {
  if (state.uart == nullptr) return static_cast<int>(size);
  const auto* bytes = static_cast<const uint8_t*>(src);
  return state.uart->write({bytes, size}) == an3155::PortStatus::kOk ? static_cast<int>(size) : -1;
}
int uart_read_bytes(uart_port_t, void* buf, uint32_t length, TickType_t ticks) {
  if (state.uart == nullptr) return 0;
  size_t got = 0;
  const an3155::PortStatus status =
      state.uart->read({static_cast<uint8_t*>(buf), length}, host::ms_of(ticks), got);
  return status == an3155::PortStatus::kIoError ? -1 : static_cast<int>(got);
}
esp_err_t uart_flush_input(uart_port_t) {
  if (state.uart == nullptr) return ESP_OK;
  return state.uart->flush_input() == an3155::PortStatus::kOk ? ESP_OK : ESP_FAIL;
}
esp_err_t uart_wait_tx_done(uart_port_t, TickType_t) {
  return ESP_OK;
}

// --- GPIO: BOOT0 and NRST of the STM32 -----------------------------------------------------
esp_err_t gpio_reset_pin(gpio_num_t) {
  return ESP_OK;
}
esp_err_t gpio_set_direction(gpio_num_t, gpio_mode_t) {
  return ESP_OK;
}
esp_err_t gpio_set_level(gpio_num_t gpio, uint32_t level) {
  if (state.pins == nullptr) return ESP_OK;
  an3155::PortStatus status = an3155::PortStatus::kOk;
  if (gpio == fota::esp32::kBoot0Gpio) {
    status = state.pins->set_boot0(fota::esp32::kBoot0ActiveHigh ? level != 0 : level == 0);
  } else if (gpio == fota::esp32::kNrstGpio) {
    status = state.pins->set_reset(fota::esp32::kNrstActiveLow ? level == 0 : level != 0);
  }
  return status == an3155::PortStatus::kOk ? ESP_OK : ESP_FAIL;
}

// --- SNTP ----------------------------------------------------------------------------------
void esp_sntp_setoperatingmode(esp_sntp_operatingmode_t) {}
void esp_sntp_setservername(uint8_t, const char*) {}
void esp_sntp_init(void) {
  host::sntp_started = true;
}
bool esp_sntp_enabled(void) {
  return host::sntp_started;
}
sntp_sync_status_t sntp_get_sync_status(void) {
  return SNTP_SYNC_STATUS_RESET;
}

// --- ESP-MQTT ------------------------------------------------------------------------------
esp_mqtt_client_handle_t esp_mqtt_client_init(const esp_mqtt_client_config_t* config) {
  state.mqtt_uri = config->broker.address.uri != nullptr ? config->broker.address.uri : "";
  state.mqtt_client_id =
      config->credentials.client_id != nullptr ? config->credentials.client_id : "";
  if (config->session.last_will.topic != nullptr) {
    state.mqtt_will_topic = config->session.last_will.topic;
    state.mqtt_will_payload.assign(config->session.last_will.msg,
                                   static_cast<size_t>(config->session.last_will.msg_len));
  }
  host::mqtt_clients.push_back(std::make_unique<esp_mqtt_client>());
  return host::mqtt_clients.back().get();
}
esp_err_t esp_mqtt_client_start(esp_mqtt_client_handle_t) {
  return ESP_OK;
}
esp_err_t esp_mqtt_client_register_event(esp_mqtt_client_handle_t client, esp_mqtt_event_id_t,
                                         esp_event_handler_t handler, void* arg) {
  client->handler = handler;
  client->arg = arg;
  return ESP_OK;
}
int esp_mqtt_client_subscribe(esp_mqtt_client_handle_t, const char* topic, int) {
  state.subscribed.emplace_back(topic);
  return static_cast<int>(state.subscribed.size());
}
int esp_mqtt_client_publish(esp_mqtt_client_handle_t, const char* topic, const char* data, int len,
                            int, int retain) {
  state.published.push_back({topic, std::string(data, static_cast<size_t>(len)), retain != 0});
  return static_cast<int>(state.published.size());
}

}  // extern "C"

// --- esp_http_client: a file server in memory ----------------------------------------------
namespace fota::esp32::host {
namespace {

std::string header_or_dash(const esp_http_client& c, const char* name) {
  const auto it = c.headers.find(name);
  return it == c.headers.end() ? "-" : it->second;
}

void answer(esp_http_client& c) {
  c.pos = 0;
  c.body.clear();
  c.answer_headers.clear();
  if (state.force_status != 0) {
    c.status = state.force_status;
    return;
  }
  const auto it = state.files.find(c.config.url);
  if (it == state.files.end()) {
    c.status = 404;
    return;
  }
  const HttpFile& file = it->second;
  if (!file.etag.empty()) c.answer_headers.emplace_back("ETag", file.etag);
  const std::string if_none_match = header_or_dash(c, "If-None-Match");
  const std::string if_match = header_or_dash(c, "If-Match");
  const std::string range = header_or_dash(c, "Range");
  if (!state.ignore_conditions && if_none_match != "-" && if_none_match == file.etag) {
    c.status = 304;
    return;
  }
  if (!state.ignore_conditions && if_match != "-" && if_match != file.etag) {
    c.status = 412;
    return;
  }
  if (range.rfind("bytes=", 0) == 0) {
    const size_t from = std::stoul(range.substr(6));
    if (from >= file.body.size()) {
      c.status = 416;
      return;
    }
    c.status = 206;
    c.body = file.body.substr(from);
    c.answer_headers.emplace_back("Content-Range", "bytes " + std::to_string(from) + "-" +
                                                       std::to_string(file.body.size() - 1) + "/" +
                                                       std::to_string(file.body.size()));
    return;
  }
  c.status = 200;
  c.body = file.body;
}

}  // namespace
}  // namespace fota::esp32::host

extern "C" {

esp_http_client_handle_t esp_http_client_init(const esp_http_client_config_t* config) {
  auto* client = new esp_http_client{};
  client->config = *config;
  ++state.http_clients;
  return client;
}
esp_err_t esp_http_client_set_header(esp_http_client_handle_t client, const char* key,
                                     const char* value) {
  client->headers[key] = value;
  return ESP_OK;
}
esp_err_t esp_http_client_delete_header(esp_http_client_handle_t client, const char* key) {
  client->headers.erase(key);
  return ESP_OK;
}
esp_err_t esp_http_client_open(esp_http_client_handle_t client, int) {
  state.requests.push_back(std::string(client->config.url) + " " +
                           host::header_or_dash(*client, "Range") + " " +
                           host::header_or_dash(*client, "If-Match") + " " +
                           host::header_or_dash(*client, "If-None-Match"));
  if (state.on_request) state.on_request();
  if (state.fail_open) return ESP_FAIL;
  host::answer(*client);
  return ESP_OK;
}
int64_t esp_http_client_fetch_headers(esp_http_client_handle_t client) {
  if (state.fail_headers) return ESP_FAIL;
  for (auto& [key, value] : client->answer_headers) {
    esp_http_client_event_t event{};
    event.event_id = HTTP_EVENT_ON_HEADER;
    event.client = client;
    event.user_data = client->config.user_data;
    event.header_key = key.data();
    event.header_value = value.data();
    if (client->config.event_handler != nullptr) client->config.event_handler(&event);
  }
  return static_cast<int64_t>(client->body.size());
}
int esp_http_client_get_status_code(esp_http_client_handle_t client) {
  return client->status;
}
int64_t esp_http_client_get_content_length(esp_http_client_handle_t client) {
  return static_cast<int64_t>(client->body.size());
}
bool esp_http_client_is_chunked_response(esp_http_client_handle_t) {
  return false;
}
int esp_http_client_read(esp_http_client_handle_t client, char* buffer, int len) {
  if (client->pos >= state.cut_after) return -1;
  size_t n = std::min(static_cast<size_t>(len), client->body.size() - client->pos);
  n = std::min(n, state.cut_after - client->pos);
  n = std::min<size_t>(n, 1000);  // a body arrives in pieces
  std::memcpy(buffer, client->body.data() + client->pos, n);
  client->pos += n;
  state.body_bytes_read += n;
  return static_cast<int>(n);
}
esp_err_t esp_http_client_close(esp_http_client_handle_t) {
  return ESP_OK;
}
esp_err_t esp_http_client_cleanup(esp_http_client_handle_t client) {
  --state.http_clients;
  delete client;
  return ESP_OK;
}

// --- NVS -----------------------------------------------------------------------------------
esp_err_t nvs_open(const char* name, nvs_open_mode_t mode, nvs_handle_t* out) {
  if (state.nvs_fail_open) return ESP_FAIL;
  bool exists = false;
  for (const auto& entry : state.nvs) exists = exists || entry.first.first == name;
  if (mode == NVS_READONLY && !exists) return ESP_ERR_NVS_NOT_FOUND;  // namespace not made yet
  host::nvs_namespaces.emplace_back(name);
  *out = static_cast<nvs_handle_t>(host::nvs_namespaces.size());
  ++state.nvs_open_handles;
  return ESP_OK;
}
esp_err_t nvs_get_blob(nvs_handle_t handle, const char* key, void* out, size_t* length) {
  const auto it = state.nvs.find({host::nvs_namespaces.at(handle - 1), key});
  if (it == state.nvs.end()) return ESP_ERR_NVS_NOT_FOUND;
  if (it->second.size() > *length) return ESP_ERR_NVS_INVALID_LENGTH;
  std::memcpy(out, it->second.data(), it->second.size());
  *length = it->second.size();
  return ESP_OK;
}
esp_err_t nvs_set_blob(nvs_handle_t handle, const char* key, const void* value, size_t length) {
  const auto* bytes = static_cast<const uint8_t*>(value);
  const auto at = std::make_pair(host::nvs_namespaces.at(handle - 1), std::string(key));
  host::nvs_pending[at] = std::vector<uint8_t>(bytes, bytes + length);
  host::nvs_erased.erase(at);
  return ESP_OK;
}
esp_err_t nvs_erase_key(nvs_handle_t handle, const char* key) {
  const auto at = std::make_pair(host::nvs_namespaces.at(handle - 1), std::string(key));
  if (state.nvs.count(at) == 0 && host::nvs_pending.count(at) == 0) return ESP_ERR_NVS_NOT_FOUND;
  host::nvs_pending.erase(at);
  host::nvs_erased[at] = true;
  return ESP_OK;
}
esp_err_t nvs_commit(nvs_handle_t) {
  if (state.nvs_fail_commit) return ESP_FAIL;
  for (auto& [at, bytes] : host::nvs_pending) state.nvs[at] = bytes;
  for (auto& [at, erased] : host::nvs_erased) state.nvs.erase(at);
  host::nvs_pending.clear();
  host::nvs_erased.clear();
  return ESP_OK;
}
void nvs_close(nvs_handle_t) {
  --state.nvs_open_handles;
  host::nvs_pending.clear();  // what was not committed is lost
  host::nvs_erased.clear();
}

}  // extern "C"
