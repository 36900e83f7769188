// SPDX-License-Identifier: Apache-2.0
// One device of `fota agent`: learns about releases (MQTT release topic, seed-000 topic, HTTP
// polling of the manifest pointer, commands), applies the release policy, runs the update engine
// (update::Engine: the same sequence as `fota flash`), and publishes the device's status. Each
// device runs in its own thread, independently of the others. Behaviour: docs/agent.md.
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
#include <set>
#include <string>

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

class DeviceAgent final : private update::Reporter {
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
    enum class Kind { kRelease, kLegacy, kCommand, kPoll, kStop } kind;
    std::string payload;
  };
  // update::Reporter
  void on_state(update::State state, const update::Failure& failure) override;
  void on_plan(const update::Plan& plan) override;
  void on_step(update::Step step, uint32_t total) override;
  void on_progress(update::Step step, uint32_t done, uint32_t total) override;
  void on_note(update::Note note, flash_map::Slot slot) override;

  bool identify();
  void on_device(const update::DeviceId& device) override;
  // The cached identity (<state_dir>/<name>.identity); docs/agent.md says when it is re-probed.
  std::filesystem::path identity_path() const;
  bool load_identity();
  void save_identity(bool updating);
  bool session();  // one MQTT session under the current uid; false: stop
  void push(Event event);
  void handle_release(const std::string& payload, bool legacy, bool forced);
  void handle_command(const std::string& payload);
  void poll_pointer(bool forced);  // forced: a release already tried is tried again
  void install(const ReleaseNotice& notice, bool explicit_request);
  void report_refusal(const std::string& reason, const std::string& error);
  void publish_status(bool force);
  void set_error(const std::string& reason, const std::string& error);
  std::string release_key(const ReleaseNotice& notice) const;
  void load_rejected();
  void save_rejected();

  const AgentConfig& config_;
  const DeviceConfig& device_;
  std::unique_ptr<DeviceServices> services_;
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

  std::optional<ReleaseNotice> latest_;  // the newest valid release notice seen
  std::set<std::string> attempted_;      // releases already tried in this run
  std::set<std::string> rejected_;       // releases that were reverted (persisted)
  std::string pointer_etag_;
  // The HTTP sources of the running update (for failure messages).
  const std::array<std::unique_ptr<HttpSource>, flash_map::kSlotCount>* current_sources_ = nullptr;
  double next_poll_s_ = 0;
  // A release to try again after a failure on the device's side.
  std::optional<ReleaseNotice> retry_notice_;
  bool retry_explicit_ = false;
  double retry_at_s_ = 0;
  double retry_delay_s_ = 0;
};

}  // namespace fota::gateway
