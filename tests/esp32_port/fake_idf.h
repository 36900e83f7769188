// SPDX-License-Identifier: Apache-2.0
// A host stand-in for the ESP-IDF functions the ESP32 adapters call (declared in
// tests/esp32_api_stubs, written from the public API reference), so that the adapters' own code
// runs on the host: the UART, BOOT0/NRST and the clock reach the target through the core's port
// interfaces (a vstm32::Machine through native_test's MachineLink, in simulated time, which
// esp_timer and vTaskDelay then follow), esp_http_client serves
// files from memory with Range, ETag, If-Match and If-None-Match, ESP-MQTT records what is
// published and lets the test deliver messages, NVS keeps blobs in memory. The behaviour is the
// reference's word, not an ESP32's: nothing here ran on one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "an3155/port.h"

namespace fota::esp32::host {

struct HttpFile {
  std::string body;
  std::string etag;
};

struct Published {
  std::string topic;
  std::string payload;
  bool retain = false;
};

struct FakeIdf {
  // The STM32 behind the UART and the pins, and the time (nullptr: the UART answers nothing,
  // the pins go nowhere, time stands still).
  an3155::ByteLink* uart = nullptr;
  an3155::TargetPins* pins = nullptr;
  an3155::Clock* clock = nullptr;

  // HTTP: the files by URL, and faults for the next requests.
  std::map<std::string, HttpFile> files;
  int force_status = 0;               // answer every request with this status (0: serve the file)
  bool ignore_conditions = false;     // a server that ignores If-Match and If-None-Match
  bool fail_open = false;             // esp_http_client_open fails
  bool fail_headers = false;          // the connection closes before the headers
  size_t cut_after = SIZE_MAX;        // a body ends early (read returns -1) after this many bytes
  std::vector<std::string> requests;  // "<url> <Range|-> <If-Match|-> <If-None-Match|->"
  size_t body_bytes_read = 0;
  std::function<void()> on_request;  // called as each request is made (e.g. to replace a file)
  int http_clients = 0;              // made and not cleaned up

  uint32_t uart_top_baud = 0;  // the highest rate the UART was set to

  // MQTT: the client's configuration, subscriptions and what it published.
  std::string mqtt_uri, mqtt_client_id, mqtt_will_topic, mqtt_will_payload;
  std::vector<std::string> subscribed;
  std::vector<Published> published;

  // NVS: committed blobs by (namespace, key), and faults.
  std::map<std::pair<std::string, std::string>, std::vector<uint8_t>> nvs;
  bool nvs_fail_open = false;
  bool nvs_fail_commit = false;
  int nvs_open_handles = 0;
};

// The one instance the extern "C" functions use; reset() before each test.
FakeIdf& fake_idf();
void reset_fake_idf();

// The broker's side: the connection is up (the client subscribes), or a message arrives (in
// pieces of `piece` bytes when 0 < piece < its size, as ESP-MQTT splits a message larger than its
// buffer).
void mqtt_connect();
void mqtt_disconnect();
void mqtt_deliver(const std::string& topic, const std::string& payload, size_t piece = 0);

}  // namespace fota::esp32::host
