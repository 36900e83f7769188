// SPDX-License-Identifier: Apache-2.0
#include "broker_options.h"

#include "command.h"

namespace fota::cli {
namespace {

// "--mqtt" or "--mqtt,--broker": CLI11 takes a comma-separated list of names.
std::string names(const char* name, const char* alias, bool with_aliases) {
  return with_aliases ? std::string(name) + "," + alias : std::string(name);
}

}  // namespace

void add_broker_options(CLI::App& cmd, BrokerOptions& b, bool with_aliases) {
  cmd.add_option(names("--mqtt", "--broker", with_aliases), b.url,
                 "Broker URL mqtt://host[:port] or mqtts://...; default $FOTA_MQTT_URL");
  cmd.add_option(names("--mqtt-user", "--username", with_aliases), b.user,
                 "Broker user name; default $FOTA_MQTT_USER");
  cmd.add_option("--mqtt-password", b.password,
                 "Broker password (prefer $FOTA_MQTT_PASSWORD or --mqtt-password-file: command "
                 "lines are visible)");
  cmd.add_option(names("--mqtt-password-file", "--password-file", with_aliases), b.password_file,
                 "File whose first line is the broker password");
  cmd.add_option(names("--mqtt-ca", "--ca-file", with_aliases), b.ca_file,
                 "CA file for mqtts:// (default $FOTA_MQTT_CA, else the system's CAs)");
  cmd.add_option("--mqtt-cert", b.cert_file, "Client certificate for mqtts://");
  cmd.add_option("--mqtt-key", b.key_file, "Client key for mqtts://");
  cmd.add_flag("--mqtt-v5", b.v5, "Speak MQTT 5 (default 3.1.1)");
}

std::string broker_url(const BrokerOptions& b) {
  return flag_or_env(b.url, "FOTA_MQTT_URL");
}

Expected<ports::MqttOptions> mqtt_options(const BrokerOptions& b) {
  if (!b.password.empty() && !b.password_file.empty()) {
    return fail("give --mqtt-password or --mqtt-password-file, not both");
  }
  ports::MqttOptions o;
  o.url = broker_url(b);
  o.username = flag_or_env(b.user, "FOTA_MQTT_USER");
  if (!b.password_file.empty()) {
    auto password = ports::read_password_file(b.password_file);
    if (!password) return fail("--mqtt-password-file: " + password.error());
    o.password = std::move(*password);
  } else {
    o.password = flag_or_env(b.password, "FOTA_MQTT_PASSWORD");
  }
  o.ca_file = flag_or_env(b.ca_file, "FOTA_MQTT_CA");
  o.cert_file = b.cert_file;
  o.key_file = b.key_file;
  o.version = b.v5 ? ports::MqttVersion::k5 : ports::MqttVersion::k311;
  return o;
}

}  // namespace fota::cli
