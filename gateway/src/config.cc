// SPDX-License-Identifier: Apache-2.0
#include "gateway/config.h"

#include <toml++/toml.h>

#include <fstream>
#include <set>
#include <sstream>

namespace fota::gateway {
namespace {

// Reads typed values out of one TOML table, remembering the first error (with the key's path).
class Reader {
 public:
  Reader(const toml::table& table, std::string path, std::string* error)
      : table_(table), path_(std::move(path)), error_(error) {}

  std::string key_path(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }
  void set_error(std::string_view key, const std::string& what) {
    if (error_->empty()) *error_ = key_path(key) + ": " + what;
  }
  void string(std::string_view key, std::string& out, bool required = false) {
    seen_.insert(std::string(key));
    const toml::node* node = table_.get(key);
    if (node == nullptr) {
      if (required) set_error(key, "missing");
      return;
    }
    if (!node->is_string()) return set_error(key, "must be a string");
    out = node->as_string()->get();
    if (required && out.empty()) set_error(key, "must not be empty");
  }
  void boolean(std::string_view key, bool& out) {
    seen_.insert(std::string(key));
    const toml::node* node = table_.get(key);
    if (node == nullptr) return;
    if (!node->is_boolean()) return set_error(key, "must be true or false");
    out = node->as_boolean()->get();
  }
  void number(std::string_view key, double& out, double min, double max) {
    seen_.insert(std::string(key));
    const toml::node* node = table_.get(key);
    if (node == nullptr) return;
    double v = 0;
    if (node->is_integer()) {
      v = static_cast<double>(node->as_integer()->get());
    } else if (node->is_floating_point()) {
      v = node->as_floating_point()->get();
    } else {
      return set_error(key, "must be a number");
    }
    if (!(v >= min && v <= max)) {
      std::ostringstream range;
      range << "must be between " << min << " and " << max;
      return set_error(key, range.str());
    }
    out = v;
  }
  template <typename Int>
  void integer(std::string_view key, Int& out, int64_t min, int64_t max) {
    seen_.insert(std::string(key));
    const toml::node* node = table_.get(key);
    if (node == nullptr) return;
    if (!node->is_integer()) return set_error(key, "must be an integer");
    const int64_t v = node->as_integer()->get();
    if (v < min || v > max) {
      return set_error(key,
                       "must be between " + std::to_string(min) + " and " + std::to_string(max));
    }
    out = static_cast<Int>(v);
  }
  void strings(std::string_view key, std::vector<std::string>& out) {
    seen_.insert(std::string(key));
    const toml::node* node = table_.get(key);
    if (node == nullptr) return;
    const toml::array* array = node->as_array();
    if (array == nullptr) return set_error(key, "must be an array of strings");
    for (const toml::node& item : *array) {
      if (!item.is_string()) return set_error(key, "must be an array of strings");
      out.push_back(item.as_string()->get());
    }
  }
  // Unknown keys are errors: a typo must not silently keep a default.
  void no_unknown_keys(std::initializer_list<std::string_view> tables = {}) {
    for (const auto& [key, node] : table_) {
      const std::string name(key.str());
      bool known = seen_.contains(name);
      for (std::string_view t : tables) known = known || name == t;
      if (!known) set_error(name, "unknown key");
    }
  }

 private:
  const toml::table& table_;
  std::string path_;
  std::string* error_;
  std::set<std::string> seen_;
};

bool is_hex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
  }
  return true;
}

const toml::table* sub_table(const toml::table& root, std::string_view key, std::string& error) {
  const toml::node* node = root.get(key);
  if (node == nullptr) return nullptr;
  if (!node->is_table()) {
    if (error.empty()) error = std::string(key) + ": must be a table ([" + std::string(key) + "])";
    return nullptr;
  }
  return node->as_table();
}

}  // namespace

Expected<AgentConfig> parse_config(std::string_view text, const std::string& source_name) {
  toml::table root;
  try {
    root = toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    return fail(source_name + ":" + std::to_string(where.line) + ":" +
                std::to_string(where.column) + ": " + std::string(e.description()));
  }
  AgentConfig config;
  config.source = source_name;
  std::string error;
  auto failed = [&]() -> Failure { return fail(source_name + ": " + error); };

  Reader top(root, "", &error);
  std::string state_dir = config.state_dir.string();
  top.string("state_dir", state_dir);
  config.state_dir = state_dir;
  top.string("log_level", config.log_level);
  top.number("status_interval_s", config.status_interval_s, 0.1, 3600);
  top.no_unknown_keys({"broker", "release", "download", "device"});
  if (!error.empty()) return failed();
  static const std::set<std::string> kLevels = {"trace", "debug", "info", "warn", "error", "off"};
  if (!kLevels.contains(config.log_level)) {
    error = "log_level: \"" + config.log_level + "\" is not one of trace, debug, info, warn, " +
            "error, off";
    return failed();
  }

  if (const toml::table* t = sub_table(root, "broker", error)) {
    Reader r(*t, "broker", &error);
    BrokerConfig& b = config.broker;
    r.string("url", b.url);
    r.string("client_id", b.client_id);
    r.string("username", b.username);
    r.string("password_file", b.password_file);
    r.string("ca_file", b.ca_file);
    r.string("cert_file", b.cert_file);
    r.string("key_file", b.key_file);
    r.integer("keepalive_s", b.keepalive_s, 5, 3600);
    r.no_unknown_keys();
    if (error.empty() && !b.url.empty() && !b.url.starts_with("mqtt://") &&
        !b.url.starts_with("mqtts://")) {
      error = "broker.url: \"" + b.url + "\" must start with mqtt:// or mqtts://";
    }
    if (error.empty() && b.cert_file.empty() != b.key_file.empty()) {
      error = "broker.cert_file and broker.key_file: give both or neither";
    }
  }
  if (!error.empty()) return failed();

  const toml::table* release = sub_table(root, "release", error);
  if (!error.empty()) return failed();
  if (release == nullptr) {
    error = "release: missing ([release] with at least product)";
    return failed();
  }
  {
    Reader r(*release, "release", &error);
    ReleaseConfig& c = config.release;
    r.string("product", c.product, true);
    r.string("channel", c.channel);
    r.boolean("subscribe", c.subscribe);
    r.string("manifest_url", c.manifest_url);
    r.number("poll_interval_s", c.poll_interval_s, 1, 7 * 24 * 3600);
    r.number("poll_jitter_s", c.poll_jitter_s, 0, 24 * 3600);
    r.strings("allowed_url_prefixes", c.allowed_url_prefixes);
    r.strings("public_keys", c.public_keys);
    r.boolean("allow_unsigned", c.allow_unsigned);
    r.boolean("allow_downgrade", c.allow_downgrade);
    r.string("legacy_topic", c.legacy_topic);
    r.no_unknown_keys();
    if (!error.empty()) return failed();
    for (const char ch : c.product + c.channel) {
      if (ch == '/' || ch == '+' || ch == '#' || ch == ' ') {
        error = "release.product/channel: must not contain '/', '+', '#' or spaces";
        return failed();
      }
    }
    for (size_t i = 0; i < c.public_keys.size(); ++i) {
      if (c.public_keys[i].size() != 64 || !is_hex(c.public_keys[i])) {
        error = "release.public_keys[" + std::to_string(i) +
                "]: must be an ed25519 public key as 64 hex digits";
        return failed();
      }
    }
    if (c.allowed_url_prefixes.empty()) {
      error = "release.allowed_url_prefixes: missing (no download URL would be allowed)";
      return failed();
    }
    if (c.public_keys.empty() && !c.allow_unsigned) {
      error = "release.public_keys: missing (give a key, or set allow_unsigned = true)";
      return failed();
    }
    if (!c.legacy_topic.empty() && !c.allow_unsigned) {
      error = "release.legacy_topic: seed-000 messages are unsigned: needs allow_unsigned = true";
      return failed();
    }
    const bool mqtt = !config.broker.url.empty();
    if (!(mqtt && (c.subscribe || !c.legacy_topic.empty())) && c.manifest_url.empty()) {
      error = "release: no way to learn about releases (give broker.url, or release.manifest_url)";
      return failed();
    }
  }

  if (const toml::table* t = sub_table(root, "download", error)) {
    Reader r(*t, "download", &error);
    DownloadConfig& d = config.download;
    r.number("connect_timeout_s", d.connect_timeout_s, 1, 600);
    r.number("stall_timeout_s", d.stall_timeout_s, 1, 3600);
    r.integer("retries", d.retries, 0, 1000);
    r.number("backoff_initial_s", d.backoff_initial_s, 0.01, 3600);
    r.number("backoff_max_s", d.backoff_max_s, 0.01, 24 * 3600);
    r.string("ca_file", d.ca_file);
    r.no_unknown_keys();
  }
  if (!error.empty()) return failed();

  const toml::node* devices = root.get("device");
  if (devices == nullptr || !devices->is_array_of_tables() || devices->as_array()->empty()) {
    error = "device: missing (one or more [[device]] sections)";
    return failed();
  }
  std::set<std::string> names, ports;
  size_t index = 0;
  for (const toml::node& node : *devices->as_array()) {
    const std::string where = "device[" + std::to_string(index++) + "]";
    Reader r(*node.as_table(), where, &error);
    DeviceConfig d;
    d.name = "device" + std::to_string(index);
    r.string("name", d.name);
    r.string("port", d.port, true);
    r.string("pins", d.pins);
    r.string("transport", d.transport);
    r.integer("baud", d.baud, 1200, 4'000'000);
    r.integer("native_baud", d.native_baud, 9600, 4'000'000);
    r.string("native_entry", d.native_entry);
    r.number("confirm_timeout_s", d.confirm_timeout_s, 0, 3600);
    r.number("outcome_timeout_s", d.outcome_timeout_s, 1, 3600);
    r.number("retry_s", d.retry_s, 0.1, 3600);
    r.no_unknown_keys();
    if (!error.empty()) return failed();
    if (d.transport != "rom" && d.transport != "native" && d.transport != "auto") {
      error = where + ".transport: \"" + d.transport + "\" is not one of rom, native, auto";
      return failed();
    }
    if (d.native_entry != "pin" && d.native_entry != "hello") {
      error = where + ".native_entry: \"" + d.native_entry + "\" is not one of pin, hello";
      return failed();
    }
    if (d.transport == "native" && d.pins == "none" && d.native_entry == "pin") {
      error = where +
              ".native_entry: \"pin\" needs reset pins (pins is \"none\"): use \"hello\" for a "
              "device already in update mode";
      return failed();
    }
    if (!names.insert(d.name).second) {
      error = where + ".name: \"" + d.name + "\" is used twice";
      return failed();
    }
    if (!ports.insert(d.port).second) {
      error = where + ".port: \"" + d.port + "\" is used by two devices";
      return failed();
    }
    config.devices.push_back(std::move(d));
  }
  return config;
}

Expected<AgentConfig> load_config(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(path.string() + ": cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().size() > 1024 * 1024) return fail(path.string() + ": larger than 1 MB");
  return parse_config(text.str(), path.string());
}

}  // namespace fota::gateway
