// SPDX-License-Identifier: Apache-2.0
// `fota status`: the fleet as the agents report it. Subscribes to fota/<product>/device/+/status
// (retained), then shows a table (device, state, versions, progress bar, rate, error), live on a
// terminal; --json prints one JSON object per device; --device UID --follow prints every change of
// one device until it reaches a final state (or --until states).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "broker_options.h"
#include "command.h"
#include "exit_code.h"
#include "gateway/config.h"
#include "gateway/messages.h"
#include "ports_linux/mqtt_client.h"

namespace fota::cli {
namespace {

struct StatusOptions {
  BrokerOptions broker;
  std::string product;
  std::string config_path;
  std::string device;
  bool json = false;
  bool follow = false;
  bool live = false;
  std::string until = "confirmed,reverted,failed";
  double wait_s = 1.0;   // without --follow/--live: how long retained messages are collected
  double timeout_s = 0;  // --follow: give up after this long (0 = never)
};

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string bar(unsigned percent, int width) {
  const int filled = static_cast<int>(percent) * width / 100;
  return "[" + std::string(static_cast<size_t>(filled), '#') +
         std::string(static_cast<size_t>(width - filled), '.') + "]";
}

std::string rate(uint64_t bps) {
  char text[32];
  if (bps == 0) return "-";
  if (bps >= 1024 * 1024) {
    std::snprintf(text, sizeof text, "%.1f MB/s", static_cast<double>(bps) / (1024 * 1024));
  } else {
    std::snprintf(text, sizeof text, "%.1f KB/s", static_cast<double>(bps) / 1024);
  }
  return text;
}

std::string state_of(const gateway::StatusView& s) {
  if (s.offline) return "offline";
  std::string text = update::to_string(s.state);
  if (!s.reason.empty() &&
      (s.state == update::State::kFailed || s.state == update::State::kReverted)) {
    text += "(" + s.reason + ")";
  }
  return text;
}

std::string table(const std::map<std::string, gateway::StatusView>& fleet) {
  std::ostringstream out;
  char line[512];
  std::snprintf(line, sizeof line, "%-24s  %-24s  %-9s  %-9s  %-27s  %-10s  %s\n", "DEVICE",
                "STATE", "RUNNING", "TARGET", "PROGRESS", "RATE", "ERROR");
  out << line;
  for (const auto& [uid, s] : fleet) {
    const std::string running =
        s.running_version.empty() ? "-" : s.running_version + "/" + s.running_slot;
    const bool moving =
        !s.offline && s.total > 0 &&
        (s.state == update::State::kDownloading || s.state == update::State::kFlashing ||
         s.state == update::State::kVerifying);
    const std::string progress =
        moving ? bar(s.progress, 20) + " " + std::to_string(s.progress) + "%" : "";
    std::snprintf(line, sizeof line, "%-24s  %-24s  %-9s  %-9s  %-27s  %-10s  %s\n", uid.c_str(),
                  state_of(s).c_str(), running.c_str(),
                  s.target_version.empty() ? "-" : s.target_version.c_str(), progress.c_str(),
                  moving ? rate(s.rate_bps).c_str() : "", s.error.substr(0, 80).c_str());
    out << line;
  }
  return out.str();
}

int run_status(StatusOptions o) {
  if (!o.config_path.empty()) {
    auto config = gateway::load_config(o.config_path);
    if (!config) {
      std::fprintf(stderr, "fota status: error: %s\n", config.error().c_str());
      return kExitUsage;
    }
    // The file's broker unless --mqtt names another one; flags given win field by field.
    const gateway::BrokerConfig& from = config->broker;
    if (o.broker.url.empty()) {
      o.broker.url = from.url;
      if (o.broker.user.empty()) o.broker.user = from.username;
      if (o.broker.password.empty() && o.broker.password_file.empty()) {
        o.broker.password_file = from.password_file;
      }
      if (o.broker.ca_file.empty()) o.broker.ca_file = from.ca_file;
      if (o.broker.cert_file.empty()) o.broker.cert_file = from.cert_file;
      if (o.broker.key_file.empty()) o.broker.key_file = from.key_file;
    }
    if (o.product.empty()) o.product = config->release.product;
  }
  if (broker_url(o.broker).empty() || o.product.empty()) {
    std::fprintf(stderr,
                 "fota status: error: give --mqtt URL (or $FOTA_MQTT_URL) and --product, or "
                 "--config FILE\n");
    return kExitUsage;
  }
  if (o.follow && o.device.empty()) {
    std::fprintf(stderr, "fota status: error: --follow needs --device UID\n");
    return kExitUsage;
  }
  auto mqtt = mqtt_options(o.broker);
  if (!mqtt) {
    std::fprintf(stderr, "fota status: error: %s\n", mqtt.error().c_str());
    return kExitUsage;
  }
  auto client = ports::MqttClient::connect(*mqtt);
  if (!client) {
    std::fprintf(stderr, "fota status: error: %s\n", client.error().c_str());
    return kExitNoDevice;
  }
  const std::string filter = "fota/" + o.product + "/device/" +
                             (o.device.empty() ? std::string("+") : o.device) + "/status";
  if (auto s = (*client)->subscribe(filter, 1); !s) {
    std::fprintf(stderr, "fota status: error: %s\n", s.error().c_str());
    return kExitNoDevice;
  }
  std::set<std::string> final_states;
  for (size_t start = 0; start <= o.until.size();) {
    const size_t comma = std::min(o.until.find(',', start), o.until.size());
    final_states.insert(o.until.substr(start, comma - start));
    start = comma + 1;
  }
  const bool tty = isatty(STDOUT_FILENO) != 0;
  std::map<std::string, gateway::StatusView> fleet;
  const double start = now_s();
  const double deadline =
      o.follow || o.live ? (o.timeout_s > 0 ? start + o.timeout_s : 1e300) : start + o.wait_s;
  std::string last_line;
  while (now_s() < deadline) {
    auto message = (*client)->next_message(200);
    if (!message) {
      std::fprintf(stderr, "fota status: error: %s\n", message.error().c_str());
      return kExitNoDevice;
    }
    if (!message->has_value()) continue;
    const std::string& topic = (*message)->topic;
    auto status = gateway::parse_status((*message)->payload);
    // The device id comes from the topic (an "offline" will carries it too, but may be bare).
    const size_t from = topic.find("/device/") + 8;
    const std::string uid = topic.substr(from, topic.rfind("/status") - from);
    if (!status) {
      std::fprintf(stderr, "fota status: %s: %s\n", topic.c_str(), status.error().c_str());
      continue;
    }
    status->uid = uid;
    fleet[uid] = *status;
    if (o.follow) {
      const std::string text =
          o.json ? gateway::status_to_json(*status)
                 : state_of(*status) + " " +
                       (status->total ? std::to_string(status->progress) + "% " : "") +
                       (status->target_version.empty() ? ""
                                                       : "target " + status->target_version + " ") +
                       (status->running_version.empty() ? ""
                                                        : "running " + status->running_version +
                                                              "/" + status->running_slot + " ") +
                       status->error;
      if (text != last_line) {
        std::printf("%s\n", text.c_str());
        std::fflush(stdout);
        last_line = text;
      }
      const std::string name = status->offline ? "offline" : update::to_string(status->state);
      // A retained message is the state from before we subscribed: it never ends --follow.
      if (!(*message)->retain && final_states.contains(name)) {
        return name == "confirmed" ? kExitOk : 1;
      }
    } else if (o.live && tty) {
      std::printf("\033[H\033[2J%s", table(fleet).c_str());
      std::fflush(stdout);
    }
  }
  if (o.follow) {
    std::fprintf(stderr, "fota status: no final state within %.0f s\n", o.timeout_s);
    return kExitNoOutcome;
  }
  if (o.json) {
    for (const auto& [uid, s] : fleet) std::printf("%s\n", gateway::status_to_json(s).c_str());
  } else if (!(o.live && tty)) {
    std::printf("%s", table(fleet).c_str());
  }
  return kExitOk;
}

void setup(CLI::App& app, int& exit_code) {
  auto [cmd, options] = add_command<StatusOptions>(
      app, "status", "Show the devices' update status as the agents report it over MQTT", exit_code,
      run_status);
  add_broker_options(*cmd, options->broker, /*with_aliases=*/true);
  cmd->add_option("--product", options->product, "product name (topic fota/<product>/...)");
  cmd->add_option("--config,-c", options->config_path,
                  "take broker and product from an agent configuration file");
  cmd->add_option("--device", options->device, "one device (its unique ID, 24 hex digits)");
  cmd->add_flag("--json", options->json, "one JSON object per device (per change with --follow)");
  cmd->add_flag("--follow", options->follow,
                "with --device: print every change until a final state (exit 0 on confirmed)");
  cmd->add_flag("--live", options->live, "keep the table on screen and redraw it on every change");
  cmd->add_option("--until", options->until, "final states for --follow (comma-separated)")
      ->capture_default_str();
  cmd->add_option("--wait", options->wait_s,
                  "seconds to collect the retained status messages before printing")
      ->capture_default_str();
  cmd->add_option("--timeout", options->timeout_s,
                  "--follow/--live: stop after this long (0: never)")
      ->capture_default_str();
}

const Registration registration("status", setup);

}  // namespace
}  // namespace fota::cli
