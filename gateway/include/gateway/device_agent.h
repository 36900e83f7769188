// SPDX-License-Identifier: Apache-2.0
// One device of `fota agent`: learns about releases (MQTT release topic, seed-000 topic, HTTP
// polling of the manifest pointer, commands) and hands them to the agent's decision loop
// (agent::DeviceLoop, the code the ESP32 port runs too: policy, retries, rejected releases), which
// runs the update engine (update::Engine: the same sequence as `fota flash`) through this class;
// publishes the device's status. Each device runs in its own thread, independently of the
// others. Behaviour: docs/agent.md.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "agent/device_loop.h"
#include "agent/status_message.h"
#include "gateway/config.h"
#include "gateway/http_source.h"
#include "gateway/messages.h"
#include "gateway/mqtt.h"
#include "status/expected.h"
#include "update/clock.h"
#include "update/engine.h"
#include "update/progress.h"
#include "update/signature.h"
#include "update/target.h"

namespace fota::gateway {

// What the agent needs to reach one device; made by the CLI (the ROM path over a serial port and
// BOOT0/NRST pins today).
class DeviceServices {
 public:
  virtual ~DeviceServices() = default;
  virtual update::Target& target() = 0;
  virtual update::Clock& clock() = 0;
  virtual update::SignatureVerifier* verifier() = 0;  // nullptr: no trusted keys
  // The resume store for the device with this unique ID (a file in the state directory).
  virtual update::ProgressStore* store(const std::string& uid_hex) = 0;
};
using ServicesFactory =
    std::function<Expected<std::unique_ptr<DeviceServices>>(const DeviceConfig& device)>;

// Topics (docs/agent.md, "Topics").
std::string release_topic(const std::string& product, const std::string& channel);
std::string status_topic(const std::string& product, const std::string& uid);
std::string command_topic(const std::string& product, const std::string& uid);

class DeviceAgent final : private update::Reporter, private agent::DevicePort {
 public:
  DeviceAgent(const AgentConfig& config, const DeviceConfig& device,
              std::unique_ptr<DeviceServices> services);
  ~DeviceAgent();

  // The thread body: identifies the device (from its cached identity when that is still good,
  // else by probing it through the target), connects, then serves events until stop().
  void run();
  // Finishes the current safe step (the engine stops between chunks, never half-committed),
  // publishes nothing more than the final status, and makes run() return.
  void stop();

 private:
  struct Event {
    enum class Kind { kRelease, kLegacy, kCommand, kStop } kind;
    std::string payload;
  };
  // update::Reporter
  void on_state(update::State state, const update::Failure& failure) override;
  void on_plan(const update::Plan& plan) override;
  void on_step(update::Step step, uint32_t total) override;
  void on_progress(update::Step step, uint32_t done, uint32_t total) override;
  void on_note(update::Note note, flash_map::Slot slot) override;

  // agent::DevicePort: what the shared decision loop (agent/device_loop.h) does through us.
  uint64_t now_ms() override;
  bool read_notice(std::string_view payload, bool legacy, agent::Notice& out,
                   std::span<char> error) override;
  agent::PollResult poll(std::string_view etag) override;
  agent::Running running() override;
  update::Outcome install(const agent::Notice& notice, update::VersionPolicy version) override;
  void restart_device() override;
  void reidentify() override;
  void remember_rejected(const agent::Notice& notice) override;
  void refuse(std::string_view reason, std::string_view error) override;
  void set_error(std::string_view reason, std::string_view error) override;
  void publish_status() override { publish_status(true); }
  bool stopping() const override { return stop_; }
  void note(agent::LoopNote note, const agent::Notice* notice, std::string_view text,
            uint32_t value) override;

  bool identify();
  void on_device(const update::DeviceId& device) override;
  // The cached identity (<state_dir>/<name>.identity); docs/agent.md says when it is re-probed.
  std::filesystem::path identity_path() const;
  bool load_identity();
  void save_identity(bool updating);
  bool session();  // one MQTT session under the current uid; false: stop
  void push(Event event);
  void publish_status(bool force);
  void load_rejected();
  static agent::LoopConfig loop_config(const AgentConfig& config, const DeviceConfig& device,
                                       std::span<const std::string_view> prefixes);

  const AgentConfig& config_;
  const DeviceConfig& device_;
  std::unique_ptr<DeviceServices> services_;
  std::vector<std::string_view> url_prefixes_;  // views of config_'s
  agent::DeviceLoop loop_;
  MqttSession mqtt_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> http_stop_{false};
  bool reprobe_ = false;           // the next identification probes the device
  bool identity_changed_ = false;  // the engine met another device on this port
  std::optional<update::Engine> engine_;
  std::mutex engine_mutex_;

  std::mutex queue_mutex_;
  std::condition_variable queue_cv_;
  std::deque<Event> queue_;

  // Status (guarded by status_mutex_: the MQTT thread republishes it on reconnect).
  std::mutex status_mutex_;
  std::string uid_;
  agent::State state_ = agent::State::kIdle;
  std::string reason_;
  std::string error_;
  uint64_t bytes_done_ = 0, bytes_total_ = 0;
  uint32_t rate_bps_ = 0;
  bool running_known_ = false;
  Version running_;
  char running_slot_ = '-';
  bool target_known_ = false;
  Version target_;
  char target_slot_ = '-';  // the slot the engine's plan installs into
  uint64_t since_unix_s_ = 0;
  double last_publish_s_ = 0;
  double rate_window_start_s_ = 0;
  uint64_t rate_window_bytes_ = 0;

  // The last answer of the manifest pointer (agent::PollResult views these).
  std::string poll_etag_;
  std::string poll_body_;
  std::string poll_error_;
  // The HTTP sources of the running update (for failure messages).
  const std::array<std::unique_ptr<HttpSource>, flash_map::kSlotCount>* current_sources_ = nullptr;
};

}  // namespace fota::gateway
