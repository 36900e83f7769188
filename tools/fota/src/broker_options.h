// SPDX-License-Identifier: Apache-2.0
// The MQTT broker options every subcommand that talks to the broker takes (`fota release`,
// `fota promote`, `fota status`): the same flag names, the same environment defaults.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "ports_linux/mqtt_client.h"
#include "status/expected.h"

namespace fota::cli {

struct BrokerOptions {
  std::string url;
  std::string user;
  std::string password;
  std::string password_file;
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  bool v5 = false;
};

// --mqtt, --mqtt-user, --mqtt-password, --mqtt-password-file, --mqtt-ca, --mqtt-cert, --mqtt-key,
// --mqtt-v5. `fota status` also takes the agent configuration's names (--broker, --username,
// --password-file, --ca-file) as aliases.
void add_broker_options(CLI::App& cmd, BrokerOptions& b, bool with_aliases = false);

// The URL given, else $FOTA_MQTT_URL ("" when neither is set: no broker).
std::string broker_url(const BrokerOptions& b);

// The client options: each field not given comes from the environment ($FOTA_MQTT_USER,
// $FOTA_MQTT_PASSWORD, $FOTA_MQTT_CA); the password from --mqtt-password-file when given. A Failure
// names the flag that is wrong.
Expected<ports::MqttOptions> mqtt_options(const BrokerOptions& b);

}  // namespace fota::cli
