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
#include <thread>

#include "agent/messages.h"
#include "agent/policy.h"
#include "format/flash_map.h"
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

std::string version_text(const Version& v) {
  return release::version_string(v) + "+" + std::to_string(v.build);
}

// A short reason code and a sentence for an engine failure.
std::string describe(const update::Failure& f, const update::Source* source,
                     update::Target& target) {
  std::string text = update::to_string(f.reason);
  switch (f.reason) {
    case update::FailReason::kSourceFailed:
    case update::FailReason::kTruncated:
    case update::FailReason::kReleaseChanged:
      if (source != nullptr && source->last_error()[0] != '\0')
        text += ": " + std::string(source->last_error());
      break;
    case update::FailReason::kUnknownKey:
      text += ": the image header is signed by a key that is not among release.public_keys";
      break;
    case update::FailReason::kBadSignature:
      text +=
          ": the image header's ed25519 signature does not verify (header or signature altered)";
      break;
    case update::FailReason::kUnsigned:
      text += ": the image header carries no signature and unsigned releases are not allowed";
      break;
    case update::FailReason::kBadHeader:
    case update::FailReason::kPayloadMismatch:
      text += std::string(": ") + to_string(f.header);
      break;
    case update::FailReason::kNoDevice:
    case update::FailReason::kEraseFailed:
    case update::FailReason::kWriteFailed:
    case update::FailReason::kReadFailed:
    case update::FailReason::kCommitFailed:
    case update::FailReason::kRebootFailed:
    case update::FailReason::kBootLog:
    case update::FailReason::kObserveFailed:
      text += std::string(": ") + update::to_string(f.target);
      if (target.last_error()[0] != '\0') text += " (" + std::string(target.last_error()) + ")";
      break;
    default: break;
  }
  return text;
}

// Failures of the device or its link, not of the release: worth trying again later.
bool device_side(update::FailReason reason) {
  switch (reason) {
    case update::FailReason::kNoDevice:
    case update::FailReason::kBootLog:
    case update::FailReason::kPrepareFailed:
    case update::FailReason::kEraseFailed:
    case update::FailReason::kWriteFailed:
    case update::FailReason::kReadFailed:
    case update::FailReason::kCommitFailed:
    case update::FailReason::kRebootFailed:
    case update::FailReason::kObserveFailed:
    case update::FailReason::kOutcomeUnreadable: return true;
    default: return false;
  }
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
    : config_(config), device_(device), services_(std::move(services)), reprobe_(config.reprobe) {}

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
  const auto path = identity_path();
  auto temp = path;
  temp += ".tmp";
  {
    std::ofstream out(temp, std::ios::trunc);
    out << j.dump() << "\n";
    out.flush();
    if (!out) {
      spdlog::warn("[{}] cannot write {}", device_.name, temp.string());
      return;
    }
  }
  std::error_code ec;
  std::filesystem::rename(temp, path, ec);
  if (ec) spdlog::warn("[{}] cannot write {}: {}", device_.name, path.string(), ec.message());
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
  rejected_.clear();
  attempted_.clear();
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
  if (!config_.release.manifest_url.empty()) next_poll_s_ = now_s();
  while (!stop_ && !identity_changed_) {
    Event event{Event::Kind::kPoll, ""};
    {
      std::unique_lock lock(queue_mutex_);
      const bool polling = !config_.release.manifest_url.empty();
      auto ready = [&] { return !queue_.empty() || stop_; };
      if (polling || retry_notice_) {
        double due = polling ? next_poll_s_ : retry_at_s_;
        if (retry_notice_) due = std::min(due, retry_at_s_);
        const auto wait = std::chrono::duration<double>(std::max(0.0, due - now_s()));
        if (!queue_cv_.wait_for(lock, wait, ready)) {
          lock.unlock();
          if (retry_notice_ && now_s() >= retry_at_s_) {
            const ReleaseNotice notice = *retry_notice_;
            spdlog::info("[{}] trying the release again after a failure on the device's side",
                         device_.name);
            install(notice, retry_explicit_);
          } else if (polling && now_s() >= next_poll_s_) {
            poll_pointer(false);
          }
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
      case Event::Kind::kRelease: handle_release(event.payload, false, false); break;
      case Event::Kind::kLegacy: handle_release(event.payload, true, false); break;
      case Event::Kind::kCommand: handle_command(event.payload); break;
      case Event::Kind::kPoll: poll_pointer(false); break;
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

void DeviceAgent::poll_pointer(bool forced) {
  std::mt19937_64 random(std::random_device{}());
  std::uniform_real_distribution<double> jitter(0, config_.release.poll_jitter_s);
  next_poll_s_ = now_s() + config_.release.poll_interval_s + jitter(random);
  HttpOptions options;
  options.connect_timeout_s = config_.download.connect_timeout_s;
  options.stall_timeout_s = config_.download.stall_timeout_s;
  options.ca_file = config_.download.ca_file;
  options.stop = &http_stop_;
  auto checked =
      check_pointer(config_.release.manifest_url, pointer_etag_, options, kMaxNotificationSize);
  if (!checked) {
    spdlog::warn("[{}] polling: {}", device_.name, checked.error());
    set_error("poll", checked.error());
    return;
  }
  if (!checked->changed) {
    spdlog::debug("[{}] polling: {} unchanged ({})", device_.name, config_.release.manifest_url,
                  pointer_etag_);
    return;
  }
  spdlog::info("[{}] polling: {} changed (ETag {})", device_.name, config_.release.manifest_url,
               checked->etag);
  pointer_etag_ = checked->etag;
  handle_release(checked->body, false, forced);
}

std::string DeviceAgent::release_key(const ReleaseNotice& notice) const {
  if (notice.legacy) return "legacy " + notice.url + " " + std::to_string(notice.crc);
  return notice.manifest.product + " " + version_text(notice.manifest.version) + " " +
         notice.manifest.slot_a.url + " " + notice.manifest.slot_b.url;
}

void DeviceAgent::handle_release(const std::string& payload, bool legacy, bool forced) {
  auto notice = legacy ? parse_legacy_notice(payload) : parse_release_notice(payload);
  if (!notice) {
    // Reported, never fatal: the agent keeps running and keeps the device's state.
    spdlog::warn("[{}] ignored a malformed notification: {}", device_.name, notice.error());
    set_error("bad-notification", notice.error());
    return;
  }
  if (legacy && !config_.release.allow_unsigned) {
    set_error("unsigned", "seed-000 message ignored: the configuration requires signed releases");
    return;
  }
  latest_ = *notice;
  const std::string key = release_key(*notice);
  if (!forced && attempted_.contains(key)) {
    spdlog::debug("[{}] release already handled: {}", device_.name, key);
    return;
  }
  if (rejected_.contains(key)) {
    spdlog::info("[{}] release was reverted before on this device: not retried ({})", device_.name,
                 key);
    return;
  }
  install(*notice, false);
}

void DeviceAgent::handle_command(const std::string& payload) {
  auto command = parse_command(payload);
  if (!command) {
    spdlog::warn("[{}] ignored a malformed command: {}", device_.name, command.error());
    set_error("bad-command", command.error());
    return;
  }
  agent::KnownRelease known;
  if (latest_) known = {true, latest_->legacy, latest_->manifest.version};
  switch (agent::command_action(*command, known)) {
    case agent::CommandAction::kPublishStatus: publish_status(true); break;
    case agent::CommandAction::kCheck:
      spdlog::info("[{}] command: check now", device_.name);
      if (!config_.release.manifest_url.empty()) {
        pointer_etag_.clear();  // fetch the pointer even if unchanged
        poll_pointer(true);
      } else if (latest_ && !rejected_.contains(release_key(*latest_))) {
        install(*latest_, false);
      }
      break;
    case agent::CommandAction::kUnknownVersion:
      spdlog::info("[{}] command: update to {}", device_.name,
                   release::version_string(command->version));
      set_error("unknown-version",
                "update to " + release::version_string(command->version) +
                    ": not the release the channel offers (" +
                    (latest_ && !latest_->legacy ? version_text(latest_->manifest.version)
                                                 : std::string("none known")) +
                    ")");
      break;
    case agent::CommandAction::kInstall:
      spdlog::info("[{}] command: update to {}", device_.name,
                   release::version_string(command->version));
      install(*latest_, true);
      break;
  }
}

void DeviceAgent::install(const ReleaseNotice& notice, bool explicit_request) {
  const std::string key = release_key(notice);
  retry_notice_.reset();  // whatever was pending, this is the release now
  // 1. Policy: signature, product, version, URL, size — before the device is touched.
  bool verified = false;
  std::string signature_error;
  if (!notice.legacy) {
    std::vector<std::array<uint8_t, 32>> keys;
    for (const auto& text : config_.release.public_keys) {
      std::array<uint8_t, 32> k{};
      for (size_t i = 0; i < 32; ++i)
        k[i] = static_cast<uint8_t>(std::stoul(text.substr(2 * i, 2), nullptr, 16));
      keys.push_back(k);
    }
    auto v = verify_notice(notice, keys);
    verified = v.ok();
    if (!v.ok()) signature_error = v.error();
  }
  if (!verified && !notice.manifest.signature.empty()) {
    // A signature that does not verify is refused even where unsigned releases are allowed.
    report_refusal("bad-signature", signature_error);
    attempted_.insert(key);
    return;
  }
  std::vector<std::string_view> prefixes(config_.release.allowed_url_prefixes.begin(),
                                         config_.release.allowed_url_prefixes.end());
  agent::Policy policy{config_.release.product, prefixes, config_.release.allow_unsigned,
                       config_.release.allow_downgrade, flash_map::kSlotSize};
  agent::Running running;
  {
    std::lock_guard lock(status_mutex_);
    running.known = running_known_;
    running.version = running_;
  }
  std::array<std::string, flash_map::kSlotCount> urls;
  std::array<uint32_t, flash_map::kSlotCount> sizes{};
  if (notice.legacy) {
    urls = {notice.url, notice.url};  // one image: the engine refuses it for the wrong slot
  } else {
    urls = {notice.manifest.slot_a.url, notice.manifest.slot_b.url};
    sizes = {notice.manifest.slot_a.size, notice.manifest.slot_b.size};
  }
  for (unsigned s = 0; s < flash_map::kSlotCount; ++s) {
    agent::Offer offer;
    offer.product = notice.legacy ? std::string_view() : std::string_view(notice.manifest.product);
    offer.has_version = !notice.legacy;
    offer.version = notice.manifest.version;
    offer.url = urls[s];
    offer.size = sizes[s];
    offer.signature_verified = verified;
    offer.explicit_request = explicit_request;
    const agent::PolicyError refused = agent::check_offer(policy, offer, running);
    if (refused == agent::PolicyError::kNotNewer && !explicit_request) {
      spdlog::info("[{}] release {} is not newer than the running {}: nothing to do", device_.name,
                   version_text(notice.manifest.version), version_text(running.version));
      attempted_.insert(key);
      return;
    }
    if (refused != agent::PolicyError::kOk) {
      std::string what = agent::to_string(refused);
      if (refused == agent::PolicyError::kUnsigned && !signature_error.empty()) {
        what += " (" + signature_error + ")";
      }
      if (refused == agent::PolicyError::kUrlNotAllowed ||
          refused == agent::PolicyError::kUrlMalformed) {
        what += ": " + urls[s];
      }
      report_refusal(std::string("policy-") +
                         (refused == agent::PolicyError::kUnsigned ? "unsigned" : "refused"),
                     what);
      attempted_.insert(key);
      return;
    }
  }
  attempted_.insert(key);
  // 2. The engine: the same sequence as `fota flash`, with HTTP sources.
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
    options.expected_size = sizes[s];
    sources[s] = std::make_unique<HttpSource>(urls[s], options);
    release.image[s] = sources[s].get();
  }
  update::Policy engine_policy;
  const size_t n = std::min(config_.release.product.size(), engine_policy.product.size() - 1);
  std::memcpy(engine_policy.product.data(), config_.release.product.data(), n);
  engine_policy.version = explicit_request && config_.release.allow_downgrade
                              ? update::VersionPolicy::kAny
                              : update::VersionPolicy::kNewer;
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
    target_ = notice.manifest.version;
  }
  spdlog::info("[{}] installing {} ", device_.name,
               notice.legacy ? notice.url : version_text(notice.manifest.version));
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
  if (outcome.state == update::State::kFailed &&
      (outcome.failure.reason < update::FailReason::kObserveFailed)) {
    // Failed before the reboot: the device may still sit in its ROM bootloader. Let the previous
    // firmware run again (the failed slot holds no valid header, so it cannot boot).
    (void)services_->target().reboot();
  }
  if (!identity_changed_) save_identity(false);
  if (outcome.state == update::State::kReverted) {
    rejected_.insert(key);
    save_rejected();
  }
  if (outcome.state == update::State::kFailed &&
      outcome.failure.reason == update::FailReason::kCancelled) {
    attempted_.erase(key);  // resumable: the next start continues it
  }
  if (outcome.state == update::State::kFailed &&
      outcome.failure.reason == update::FailReason::kNotNewer && !stop_) {
    // The device already runs this release or a newer one (committed before a link or power
    // failure hid the outcome): learn what runs, then nothing is left to do.
    if (identify()) {
      save_identity(false);
      std::lock_guard lock(status_mutex_);
      state_ = agent::State::kIdle;
      reason_.clear();
      error_.clear();
    }
  }
  if (outcome.state == update::State::kFailed && device_side(outcome.failure.reason) && !stop_) {
    // The device went away (power, cable, a hung bootloader): try again later; the resume point
    // makes the next attempt continue where this one stopped.
    retry_delay_s_ = retry_delay_s_ == 0 ? device_.retry_s : std::min(retry_delay_s_ * 2, 600.0);
    retry_notice_ = notice;
    retry_explicit_ = explicit_request;
    retry_at_s_ = now_s() + retry_delay_s_;
    attempted_.erase(key);
    spdlog::info("[{}] trying again in {:.1f} s", device_.name, retry_delay_s_);
  } else {
    retry_delay_s_ = 0;
  }
  publish_status(true);
}

void DeviceAgent::report_refusal(const std::string& reason, const std::string& error) {
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

void DeviceAgent::set_error(const std::string& reason, const std::string& error) {
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
      const std::string refusal = services_->target().refusal();
      reason_ = refusal.empty() ? "not-confirmed" : "refused-" + refusal;
      error_ = refusal.empty()
                   ? "the new image did not confirm itself; the bootloader went back to the "
                     "previous one"
                   : "the device's secure boot refused the new image (" + refusal +
                         "); the previous one runs";
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

// Releases that were reverted on this device are not retried automatically (only by command).
void DeviceAgent::load_rejected() {
  std::ifstream in(config_.state_dir / (uid_ + ".rejected"));
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) rejected_.insert(line);
  }
}

void DeviceAgent::save_rejected() {
  const auto path = config_.state_dir / (uid_ + ".rejected");
  const auto temp = config_.state_dir / (uid_ + ".rejected.tmp");
  {
    std::ofstream out(temp, std::ios::trunc);
    for (const auto& key : rejected_) out << key << "\n";
    if (!out) {
      spdlog::warn("[{}] cannot write {}", device_.name, temp.string());
      return;
    }
  }
  std::error_code ec;
  std::filesystem::rename(temp, path, ec);
  if (ec) spdlog::warn("[{}] cannot write {}: {}", device_.name, path.string(), ec.message());
}

}  // namespace fota::gateway
