// SPDX-License-Identifier: Apache-2.0
// The agent's configuration file (TOML). Reference: docs/agent.md ("Configuration"). Every error
// names the key (e.g. "agent.toml: release.poll_interval_s: must be >= 0").
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "status/expected.h"

namespace fota::gateway {

struct BrokerConfig {
  std::string url;  // mqtt://host:port or mqtts://host:port; "" = no MQTT at all
  std::string client_id;
  std::string username;
  std::string password_file;  // the password is read from a file, never stored in the config
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  unsigned keepalive_s = 30;
};

struct ReleaseConfig {
  std::string product;
  std::string channel = "stable";
  bool subscribe = true;     // MQTT: fota/<product>/<channel>/release (retained)
  std::string manifest_url;  // HTTP polling: HEAD + If-None-Match on this pointer ("" = off)
  double poll_interval_s = 300;
  double poll_jitter_s = 30;
  std::vector<std::string> allowed_url_prefixes;
  std::vector<std::string> public_keys;  // ed25519 public keys, 64 hex digits each
  bool allow_unsigned = false;
  bool allow_downgrade = false;  // explicit "update to X" commands only
  std::string legacy_topic;      // seed 000's {"url","crc"} topic; needs allow_unsigned
};

struct DownloadConfig {
  double connect_timeout_s = 10;
  double stall_timeout_s = 30;  // no byte for this long: the transfer is retried
  unsigned retries = 8;
  double backoff_initial_s = 0.5;
  double backoff_max_s = 30;
  std::string ca_file;  // for https:// downloads ("" = the system's store)
};

struct DeviceConfig {
  std::string name;  // for logs; the status topic uses the STM32's unique ID
  std::string port;
  std::string pins = "none";
  std::string transport = "rom";     // rom | native | auto (our bootloader if it answers, else rom)
  uint32_t baud = 115200;            // the ROM bootloader's rate (the native path starts at 115200)
  uint32_t native_baud = 921'600;    // native: switched to after HELLO when the device offers it
  std::string native_entry = "pin";  // native: pin (NRST + sync) | hello (already in update mode)
  double confirm_timeout_s = 20;
  double outcome_timeout_s = 60;
  // After a failure on the device's side (link lost, power off, no answer) the release is tried
  // again after this long, doubling up to 10 minutes.
  double retry_s = 10;
};

struct AgentConfig {
  std::filesystem::path source;  // the file it was read from (for messages)
  BrokerConfig broker;
  ReleaseConfig release;
  DownloadConfig download;
  std::filesystem::path state_dir = "/var/lib/fota-agent";
  std::string log_level = "info";
  double status_interval_s = 1.0;  // progress messages at most this often
  std::vector<DeviceConfig> devices;
  // Not from the file: `fota agent --reprobe` ignores the cached device identities.
  bool reprobe = false;
};

Expected<AgentConfig> parse_config(std::string_view text, const std::string& source_name);
Expected<AgentConfig> load_config(const std::filesystem::path& path);

}  // namespace fota::gateway
