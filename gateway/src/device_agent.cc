// SPDX-License-Identifier: Apache-2.0
#include "gateway/device_agent.h"

#include <spdlog/spdlog.h>

#include <array>
#include <cctype>
#include <chrono>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <thread>

#include "agent/messages.h"
#include "agent/policy.h"
#include "format/flash_map.h"
#include "release/image.h"
#include "release/manifest.h"

namespace fota::gateway {
namespace {

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

uint64_t unix_s() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

// Replaces the file at `path` by `text` atomically (release::write_file); a state file that cannot
// be written is logged, not fatal.
void save_text(const std::string& device, const std::filesystem::path& path,
               const std::string& text) {
  const auto bytes = std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size());
  if (auto written = release::write_file(path, bytes); !written) {
    spdlog::warn("[{}] {}", device, written.error());
  }
}

std::string version_text(const Version& v) {
  return release::version_string(v) + "+" + std::to_string(v.build);
}

// A short reason code and a sentence for an engine failure.
std::string describe(const update::Failure& f, const update::Source* source,
                     update::Target& target) {
  std::array<char, agent::kMaxErrorLength + 1> text{};
  agent::write_failure_text(f, target.last_error(), source != nullptr ? source->last_error() : "",
                            "release.public_keys", text);
  return text.data();
}

}  // namespace

// The names are the core's (agent/messages.h), which the ESP32 port uses too.
std::string release_topic(const std::string& product, const std::string& channel) {
  std::string topic(product.size() + channel.size() + 32, '\0');
  topic.resize(agent::release_topic(product, channel, topic).value());
  return topic;
}
std::string status_topic(const std::string& product, const std::string& uid) {
  std::string topic(product.size() + uid.size() + 32, '\0');
  topic.resize(agent::status_topic(product, uid, topic).value());
  return topic;
}
std::string command_topic(const std::string& product, const std::string& uid) {
  std::string topic(product.size() + uid.size() + 32, '\0');
  topic.resize(agent::command_topic(product, uid, topic).value());
  return topic;
}

DeviceAgent::DeviceAgent(const AgentConfig& config, const DeviceConfig& device,
                         std::unique_ptr<DeviceServices> services)
    : config_(config),
      device_(device),
      services_(std::move(services)),
      url_prefixes_(config.release.allowed_url_prefixes.begin(),
                    config.release.allowed_url_prefixes.end()),
      loop_(loop_config(config, device, url_prefixes_), *this),
      reprobe_(config.reprobe) {}

agent::LoopConfig DeviceAgent::loop_config(const AgentConfig& config, const DeviceConfig& device,
                                           std::span<const std::string_view> prefixes) {
  agent::LoopConfig c;
  c.policy = {config.release.product, prefixes, config.release.allow_unsigned,
              config.release.allow_downgrade, flash_map::kSlotSize};
  c.poll = !config.release.manifest_url.empty();
  c.poll_interval_ms = static_cast<uint32_t>(config.release.poll_interval_s * 1000);
  c.poll_jitter_ms = static_cast<uint32_t>(config.release.poll_jitter_s * 1000);
  c.retry_first_ms = static_cast<uint32_t>(device.retry_s * 1000);
  c.retry_max_ms = 600'000;
  c.seed = std::random_device{}();
  return c;
}

DeviceAgent::~DeviceAgent() = default;

void DeviceAgent::stop() {
  stop_ = true;
  http_stop_ = true;
  {
    std::lock_guard lock(engine_mutex_);
    if (engine_) engine_->request_stop();
  }
  push({Event::Kind::kStop, ""});
}

void DeviceAgent::push(Event event) {
  {
    std::lock_guard lock(queue_mutex_);
    // A burst of notifications: only the newest of a kind matters.
    if (event.kind == Event::Kind::kRelease || event.kind == Event::Kind::kLegacy) {
      std::erase_if(queue_, [&](const Event& e) { return e.kind == event.kind; });
    }
    queue_.push_back(std::move(event));
  }
  queue_cv_.notify_one();
}

// Reads the unique ID and the running image through the target, then lets the device run again.
bool DeviceAgent::identify() {
  update::Target& target = services_->target();
  update::DeviceId id;
  if (const auto e = target.open(id); e != update::TargetError::kOk) {
    spdlog::warn("[{}] cannot reach the device on {}: {} {}", device_.name, device_.port,
                 update::to_string(e), target.last_error());
    return false;
  }
  update::BootState boot;
  const auto e = target.read_boot_state(boot);
  (void)target.reboot();
  if (e != update::TargetError::kOk) {
    spdlog::warn("[{}] cannot read the boot log: {} {}", device_.name, update::to_string(e),
                 target.last_error());
    return false;
  }
  std::lock_guard lock(status_mutex_);
  uid_ = update::uid_text(id.uid).data();
  const flash_map::Slot running = flash_map::other_slot(boot.install_slot);
  const bootcore::SlotInfo& info = boot.slots[static_cast<unsigned>(running)];
  running_known_ = info.header_verdict.ok();
  if (running_known_) {
    running_ = info.header.version;
    running_slot_ = flash_map::slot_name(running);
  }
  spdlog::info("[{}] device {} runs {} in slot {}", device_.name, uid_,
               running_known_ ? version_text(running_) : "no valid image", running_slot_);
  return true;
}

std::filesystem::path DeviceAgent::identity_path() const {
  std::string file = device_.name;
  for (char& c : file) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') c = '_';
  }
  return config_.state_dir / (file + ".identity");
}

// The identity learnt by the last probe, if it still describes this device: written for the
// same port, pins, transport and baud rate, and not in the middle of an update (an agent that
// died there may have left the device in its bootloader: the probe lets the firmware run again).
bool DeviceAgent::load_identity() {
  using nlohmann::json;
  std::ifstream in(identity_path());
  if (!in) return false;
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const json j = json::parse(text, nullptr, false);
  auto str = [&](const char* key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  auto why_not = [&]() -> std::string {
    if (j.is_discarded() || !j.is_object()) return "not valid JSON";
    if (str("port") != device_.port || str("pins") != device_.pins ||
        str("transport") != device_.transport ||
        !(j.contains("baud") && j["baud"].is_number_unsigned() &&
          j["baud"].get<uint32_t>() == device_.baud)) {
      return "written for another port, pins, transport or baud rate";
    }
    if (!j.contains("updating") || !j["updating"].is_boolean()) return "no \"updating\" field";
    if (j["updating"].get<bool>()) return "the previous agent stopped in the middle of an update";
    const std::string uid = str("uid");
    if (uid.size() != 24 || uid.find_first_not_of("0123456789ABCDEF") != std::string::npos) {
      return "no valid uid";
    }
    return "";
  };
  const std::string problem = why_not();
  if (!problem.empty()) {
    spdlog::info("[{}] cached identity {} not used: {}", device_.name, identity_path().string(),
                 problem);
    return false;
  }
  bool known = false;
  Version version;
  char slot = '-';
  if (const auto it = j.find("running"); it != j.end() && it->is_object()) {
    const auto v = it->find("version");
    const auto b = it->find("build");
    const auto s = it->find("slot");
    if (v != it->end() && v->is_string() && b != it->end() && b->is_number_unsigned() &&
        s != it->end() && s->is_string() && (*s == "A" || *s == "B")) {
      auto parsed = release::parse_version(v->get<std::string>());
      if (parsed) {
        version = *parsed;
        version.build = b->get<uint32_t>();
        slot = s->get<std::string>()[0];
        known = true;
      }
    }
  }
  std::lock_guard lock(status_mutex_);
  uid_ = str("uid");
  running_known_ = known;
  running_ = version;
  running_slot_ = slot;
  spdlog::info("[{}] device {} runs {} in slot {} (identity cached in {})", device_.name, uid_,
               known ? version_text(running_) : "no valid image", running_slot_,
               identity_path().string());
  return true;
}

void DeviceAgent::save_identity(bool updating) {
  using nlohmann::json;
  json j;
  {
    std::lock_guard lock(status_mutex_);
    if (uid_.empty()) return;
    j["uid"] = uid_;
    j["running"] = running_known_ ? json{{"version", release::version_string(running_)},
                                         {"build", running_.build},
                                         {"slot", std::string(1, running_slot_)}}
                                  : json(nullptr);
  }
  j["port"] = device_.port;
  j["pins"] = device_.pins;
  j["transport"] = device_.transport;
  j["baud"] = device_.baud;
  j["updating"] = updating;
  save_text(device_.name, identity_path(), j.dump() + "\n");
}

void DeviceAgent::on_device(const update::DeviceId& device) {
  const std::string seen = update::uid_text(device.uid).data();
  std::lock_guard lock(status_mutex_);
  if (seen != uid_) {
    // Another device was wired to this port since the identity was cached.
    spdlog::warn("[{}] the device on {} is {}, not {}: it will be identified again", device_.name,
                 device_.port, seen, uid_);
    identity_changed_ = true;
  }
}

void DeviceAgent::run() {
  while (!stop_ && session()) {
  }
}

bool DeviceAgent::session() {
  bool cached = !reprobe_ && load_identity();
  reprobe_ = false;
  double retry_s = 1;
  while (!cached && !stop_ && !identify()) {
    // The device may be off or busy: try again, more and more slowly.
    const double until = now_s() + retry_s;
    while (!stop_ && now_s() < until) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    retry_s = std::min(retry_s * 2, 60.0);
  }
  if (stop_) return false;
  if (!cached) save_identity(false);
  since_unix_s_ = unix_s();
  loop_.begin_session();
  load_rejected();
  const std::string& product = config_.release.product;
  if (!config_.broker.url.empty()) {
    std::vector<std::string> topics = {command_topic(product, uid_)};
    if (config_.release.subscribe) {
      topics.push_back(release_topic(product, config_.release.channel));
    }
    if (!config_.release.legacy_topic.empty()) topics.push_back(config_.release.legacy_topic);
    std::array<char, 128> will{};
    auto n = agent::encode_offline(uid_, will);
    const std::string client_id =
        (config_.broker.client_id.empty() ? std::string("fota-agent") : config_.broker.client_id) +
        "-" + uid_;
    auto started =
        mqtt_.start(config_.broker, client_id, status_topic(product, uid_),
                    std::string(will.data(), n.ok() ? *n : 0), topics,
                    [this, product](const std::string& topic, const std::string& payload) {
                      if (topic == command_topic(product, uid_)) {
                        push({Event::Kind::kCommand, payload});
                      } else if (topic == config_.release.legacy_topic) {
                        push({Event::Kind::kLegacy, payload});
                      } else {
                        push({Event::Kind::kRelease, payload});
                      }
                    });
    if (!started) spdlog::error("[{}] MQTT: {}", device_.name, started.error());
    publish_status(true);  // the first status: idle, what runs (sent once connected)
  }
  while (!stop_ && !identity_changed_) {
    Event event{Event::Kind::kStop, ""};
    {
      std::unique_lock lock(queue_mutex_);
      auto ready = [&] { return !queue_.empty() || stop_; };
      const uint64_t due = loop_.next_due_ms();
      if (due != agent::DeviceLoop::kNever) {
        const uint64_t now = now_ms();
        const auto wait = std::chrono::milliseconds(due > now ? due - now : 0);
        if (!queue_cv_.wait_for(lock, wait, ready)) {
          lock.unlock();
          loop_.on_tick();  // a retry or a poll is due
          continue;
        }
      } else {
        queue_cv_.wait(lock, ready);
      }
      if (stop_) break;
      event = std::move(queue_.front());
      queue_.pop_front();
    }
    switch (event.kind) {
      case Event::Kind::kRelease: loop_.on_notification(event.payload, false); break;
      case Event::Kind::kLegacy: loop_.on_notification(event.payload, true); break;
      case Event::Kind::kCommand: loop_.on_command(event.payload); break;
      case Event::Kind::kStop: break;
    }
  }
  // A clean stop: the broker will not publish the last will, so say "offline" ourselves.
  if (!config_.broker.url.empty()) {
    std::array<char, 128> offline{};
    if (auto n = agent::encode_offline(uid_, offline); n.ok()) {
      mqtt_.set_status(std::string(offline.data(), *n));
    }
  }
  mqtt_.stop();
  if (identity_changed_) {
    identity_changed_ = false;
    reprobe_ = true;
    std::lock_guard lock(status_mutex_);
    state_ = agent::State::kIdle;
    reason_.clear();
    error_.clear();
    return true;
  }
  return false;
}

// ---- agent::DevicePort ----

uint64_t DeviceAgent::now_ms() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

bool DeviceAgent::read_notice(std::string_view payload, bool legacy, agent::Notice& out,
                              std::span<char> error) {
  auto notice = legacy ? parse_legacy_notice(payload) : parse_release_notice(payload);
  if (!notice) {
    agent::set_text(error, notice.error());
    return false;
  }
  out = agent::Notice{};
  out.legacy = notice->legacy;
  if (notice->legacy) {
    agent::set_text(out.url[0], notice->url);
    agent::set_text(out.url[1], notice->url);
    out.crc = notice->crc;
    return true;
  }
  const release::Manifest& m = notice->manifest;
  agent::set_text(out.product, m.product);
  out.version = m.version;
  agent::set_text(out.url[0], m.slot_a.url);
  agent::set_text(out.url[1], m.slot_b.url);
  out.size = {m.slot_a.size, m.slot_b.size};
  out.has_signature = !m.signature.empty();
  std::vector<std::array<uint8_t, 32>> keys;
  for (const auto& text : config_.release.public_keys) {
    std::array<uint8_t, 32> k{};
    for (size_t i = 0; i < 32; ++i)
      k[i] = static_cast<uint8_t>(std::stoul(text.substr(2 * i, 2), nullptr, 16));
    keys.push_back(k);
  }
  auto v = verify_notice(*notice, keys);
  out.signature_verified = v.ok();
  if (!v.ok()) agent::set_text(out.signature_error, v.error());
  return true;
}

agent::PollResult DeviceAgent::poll(std::string_view etag) {
  HttpOptions options;
  options.connect_timeout_s = config_.download.connect_timeout_s;
  options.stall_timeout_s = config_.download.stall_timeout_s;
  options.ca_file = config_.download.ca_file;
  options.stop = &http_stop_;
  auto checked =
      check_pointer(config_.release.manifest_url, std::string(etag), options, kMaxNotificationSize);
  if (!checked) {
    poll_error_ = checked.error();
    return {agent::PollStatus::kFailed, {}, {}, poll_error_};
  }
  if (!checked->changed) return {agent::PollStatus::kUnchanged, {}, {}, {}};
  poll_etag_ = checked->etag;
  poll_body_ = std::move(checked->body);
  return {agent::PollStatus::kChanged, poll_etag_, poll_body_, {}};
}

agent::Running DeviceAgent::running() {
  std::lock_guard lock(status_mutex_);
  return {running_known_, running_};
}

update::Outcome DeviceAgent::install(const agent::Notice& notice, update::VersionPolicy version) {
  // The engine: the same sequence as `fota flash`, with HTTP sources.
  HttpOptions options;
  options.connect_timeout_s = config_.download.connect_timeout_s;
  options.stall_timeout_s = config_.download.stall_timeout_s;
  options.retries = config_.download.retries;
  options.backoff_initial_s = config_.download.backoff_initial_s;
  options.backoff_max_s = config_.download.backoff_max_s;
  options.ca_file = config_.download.ca_file;
  options.stop = &http_stop_;
  options.max_size = flash_map::kSlotSize;
  std::array<std::unique_ptr<HttpSource>, flash_map::kSlotCount> sources;
  update::Release release;
  for (unsigned s = 0; s < flash_map::kSlotCount; ++s) {
    options.expected_size = notice.size[s];
    sources[s] = std::make_unique<HttpSource>(notice.url[s].data(), options);
    release.image[s] = sources[s].get();
  }
  update::Policy engine_policy;
  const size_t n = std::min(config_.release.product.size(), engine_policy.product.size() - 1);
  std::memcpy(engine_policy.product.data(), config_.release.product.data(), n);
  engine_policy.version = version;
  engine_policy.require_signature = !config_.release.allow_unsigned;
  engine_policy.confirm_timeout_ms = static_cast<uint32_t>(device_.confirm_timeout_s * 1000);
  engine_policy.outcome_timeout_ms = static_cast<uint32_t>(device_.outcome_timeout_s * 1000);
  {
    std::lock_guard lock(status_mutex_);
    reason_.clear();
    error_.clear();
    bytes_done_ = bytes_total_ = 0;
    rate_bps_ = 0;
    target_known_ = !notice.legacy;
    target_ = notice.version;
  }
  spdlog::info("[{}] installing {} ", device_.name,
               notice.legacy ? std::string(notice.url[0].data()) : version_text(notice.version));
  update::Outcome outcome;
  {
    std::unique_lock lock(engine_mutex_);
    engine_.emplace(services_->target(), services_->clock(), static_cast<update::Reporter&>(*this),
                    services_->verifier(), services_->store(uid_));
    if (stop_) engine_->request_stop();
    lock.unlock();
    current_sources_ = &sources;
    save_identity(true);
    outcome = engine_->run(release, engine_policy);
    current_sources_ = nullptr;
    lock.lock();
    engine_.reset();
  }
  uint64_t downloaded = 0;
  for (const auto& s : sources) downloaded += s->bytes_downloaded();
  spdlog::info("[{}] outcome {} ({}), {} bytes written, {} bytes downloaded{}", device_.name,
               update::to_string(outcome.state), update::to_string(outcome.failure.reason),
               outcome.bytes_written, downloaded,
               outcome.resumed ? " (resumed at " + std::to_string(outcome.resumed_from) + ")" : "");
  // Not updating any more once the device left its bootloader (restart_device does it then).
  if (!identity_changed_ && !agent::needs_restart(outcome)) save_identity(false);
  return outcome;
}

void DeviceAgent::restart_device() {
  (void)services_->target().reboot();
  if (!identity_changed_) save_identity(false);
}

void DeviceAgent::reidentify() {
  if (!identify()) return;
  save_identity(false);
  std::lock_guard lock(status_mutex_);
  state_ = agent::State::kIdle;
  reason_.clear();
  error_.clear();
}

void DeviceAgent::note(agent::LoopNote note, const agent::Notice* notice, std::string_view text,
                       uint32_t value) {
  using agent::LoopNote;
  auto key = [&] {
    std::string k(agent::kNoticeUrlBytes * 2 + agent::kMaxProductBytes + 64, '\0');
    k.resize(agent::write_release_key(*notice, k));
    return k;
  };
  switch (note) {
    case LoopNote::kBadNotification:
      spdlog::warn("[{}] ignored a malformed notification: {}", device_.name, text);
      break;
    case LoopNote::kBadCommand:
      spdlog::warn("[{}] ignored a malformed command: {}", device_.name, text);
      break;
    case LoopNote::kAlreadyHandled:
      spdlog::debug("[{}] release already handled: {}", device_.name, key());
      break;
    case LoopNote::kRejectedBefore:
      spdlog::info("[{}] release was reverted before on this device: not retried ({})",
                   device_.name, key());
      break;
    case LoopNote::kNotNewer:
      spdlog::info("[{}] release {} is not newer than the running {}: nothing to do", device_.name,
                   version_text(notice->version), version_text(running().version));
      break;
    case LoopNote::kRefused: break;  // refuse() logs it
    case LoopNote::kCheckNow: spdlog::info("[{}] command: check now", device_.name); break;
    case LoopNote::kUpdateTo:
      spdlog::info("[{}] command: update to {}", device_.name,
                   release::version_string(Version::from_packed(value)));
      break;
    case LoopNote::kRetryScheduled:
      spdlog::info("[{}] trying again in {:.1f} s", device_.name, value / 1000.0);
      break;
    case LoopNote::kRetrying:
      spdlog::info("[{}] trying the release again after a failure on the device's side",
                   device_.name);
      break;
    case LoopNote::kPollFailed: spdlog::warn("[{}] polling: {}", device_.name, text); break;
    case LoopNote::kPollUnchanged:
      spdlog::debug("[{}] polling: {} unchanged ({})", device_.name, config_.release.manifest_url,
                    text);
      break;
    case LoopNote::kPollChanged:
      spdlog::info("[{}] polling: {} changed (ETag {})", device_.name, config_.release.manifest_url,
                   text);
      break;
  }
}

void DeviceAgent::refuse(std::string_view reason, std::string_view error) {
  spdlog::warn("[{}] refused: {}", device_.name, error);
  {
    std::lock_guard lock(status_mutex_);
    state_ = agent::State::kFailed;
    since_unix_s_ = unix_s();
    reason_ = reason;
    error_ = error;
  }
  publish_status(true);
}

void DeviceAgent::set_error(std::string_view reason, std::string_view error) {
  {
    std::lock_guard lock(status_mutex_);
    reason_ = reason;
    error_ = error;
  }
  publish_status(true);
}

// ---- update::Reporter ----

void DeviceAgent::on_state(update::State state, const update::Failure& failure) {
  {
    std::lock_guard lock(status_mutex_);
    state_ = state;
    since_unix_s_ = unix_s();
    if (state == update::State::kFailed) {
      const update::Source* source = nullptr;
      if (current_sources_ != nullptr) {
        for (const auto& s : *current_sources_) {
          if (s->last_error()[0] != '\0') source = s.get();
        }
      }
      reason_ = update::to_string(failure.reason);
      error_ = describe(failure, source, services_->target());
    } else if (state == update::State::kConfirmed) {
      // The confirmed image is what runs now: the status that says "confirmed" says so too.
      running_known_ = true;
      running_ = target_;
      running_slot_ = target_slot_;
    } else if (state == update::State::kReverted) {
      std::array<char, 64> reason{};
      std::array<char, agent::kMaxErrorLength + 1> error{};
      agent::write_reverted_reason(services_->target().refusal(), reason, error);
      reason_ = reason.data();
      error_ = error.data();
    }
  }
  spdlog::info("[{}] state {}{}", device_.name, update::to_string(state),
               state == update::State::kFailed ? std::string(" (") + error_ + ")" : "");
  publish_status(true);
}

void DeviceAgent::on_plan(const update::Plan& plan) {
  std::lock_guard lock(status_mutex_);
  target_known_ = true;
  target_ = plan.image.version;
  target_slot_ = flash_map::slot_name(plan.target_slot);
  bytes_total_ = plan.image_bytes;
  bytes_done_ = plan.resume_offset;
}

void DeviceAgent::on_step(update::Step step, uint32_t total) {
  if (step != update::Step::kWrite) return;
  std::lock_guard lock(status_mutex_);
  bytes_total_ = total;
  rate_window_start_s_ = now_s();
  rate_window_bytes_ = bytes_done_;
}

void DeviceAgent::on_progress(update::Step step, uint32_t done, uint32_t total) {
  if (step != update::Step::kWrite) return;
  {
    std::lock_guard lock(status_mutex_);
    bytes_done_ = done;
    bytes_total_ = total;
    const double now = now_s();
    if (now - rate_window_start_s_ >= 1.0) {
      rate_bps_ = static_cast<uint32_t>(static_cast<double>(done - rate_window_bytes_) /
                                        (now - rate_window_start_s_));
      rate_window_start_s_ = now;
      rate_window_bytes_ = done;
    }
  }
  publish_status(false);
}

void DeviceAgent::on_note(update::Note note, flash_map::Slot slot) {
  spdlog::info("[{}] {} (slot {})", device_.name, update::to_string(note),
               flash_map::slot_name(slot));
}

void DeviceAgent::publish_status(bool force) {
  std::array<char, agent::kMaxStatusSize> buffer{};
  size_t size = 0;
  {
    std::lock_guard lock(status_mutex_);
    if (uid_.empty()) return;
    const double now = now_s();
    if (!force && now - last_publish_s_ < config_.status_interval_s) return;
    last_publish_s_ = now;
    agent::StatusReport r;
    r.uid = uid_;
    r.state = state_;
    r.reason = reason_;
    r.error = error_;
    r.bytes_done = bytes_done_;
    r.bytes_total = bytes_total_;
    r.rate_bps = rate_bps_;
    r.running_known = running_known_;
    r.running = running_;
    r.running_slot = running_slot_;
    r.target_known = target_known_;
    r.target = target_;
    r.time_unix_s = unix_s();
    r.state_since_unix_s = since_unix_s_;
    auto n = agent::encode_status(r, buffer);
    if (!n.ok()) return;
    size = *n;
  }
  if (!config_.broker.url.empty()) mqtt_.set_status(std::string(buffer.data(), size));
}

// Releases that were reverted on this device are not retried automatically (only by command):
// one key text per line (agent::write_release_key).
void DeviceAgent::load_rejected() {
  std::ifstream in(config_.state_dir / (uid_ + ".rejected"));
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) loop_.add_rejected(line);
  }
}

void DeviceAgent::remember_rejected(const agent::Notice& notice) {
  std::string key(agent::kNoticeUrlBytes * 2 + agent::kMaxProductBytes + 64, '\0');
  key.resize(agent::write_release_key(notice, key));
  const auto path = config_.state_dir / (uid_ + ".rejected");
  std::set<std::string> keys{key};
  {
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty()) keys.insert(line);
    }
  }
  std::string text;
  for (const auto& k : keys) text += k + "\n";
  save_text(device_.name, path, text);
}

}  // namespace fota::gateway
