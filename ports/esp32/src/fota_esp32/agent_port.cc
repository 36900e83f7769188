// SPDX-License-Identifier: Apache-2.0
#include "fota_esp32/agent_port.h"

#include <cstdio>
#include <cstring>

#include "agent/messages.h"
#include "esp_random.h"
#include "fota_esp32/nvs_blob.h"
#include "fota_esp32/release_notice.h"

namespace fota::esp32 {

static_assert(kUrlMaxBytes < agent::kNoticeUrlBytes);

namespace {

constexpr char kRejectedKey[] = "rejected";  // NVS keys are at most 15 characters

}  // namespace

agent::LoopConfig loop_config(std::span<const std::string_view> url_prefixes) {
  agent::LoopConfig config;
  config.policy = {CONFIG_FOTA_PRODUCT, url_prefixes, kAllowUnsigned, false, flash_map::kSlotSize};
  config.poll = CONFIG_FOTA_MANIFEST_URL[0] != '\0';
  config.poll_interval_ms = static_cast<uint32_t>(CONFIG_FOTA_POLL_INTERVAL_S) * 1000u;
  config.poll_jitter_ms = static_cast<uint32_t>(CONFIG_FOTA_POLL_JITTER_S) * 1000u;
  config.seed = (static_cast<uint64_t>(esp_random()) << 32) | esp_random();
  return config;
}

bool AgentPort::identify() {
  update::DeviceId device;
  update::BootState boot;
  const bool ok = target_.open(device) == update::TargetError::kOk &&
                  target_.read_boot_state(boot) == update::TargetError::kOk;
  (void)target_.reboot();
  if (!ok) return false;
  agent::set_text(uid_, update::uid_text(device.uid).data());
  const auto& active = boot.slots[static_cast<unsigned>(flash_map::other_slot(boot.install_slot))];
  running_ = {active.header_verdict.ok(), active.header.version};
  return true;
}

void AgentPort::load_rejected(agent::DeviceLoop& loop) {
  rejected_.reset(uid_.data());
  std::array<uint8_t, agent::kRejectedBlobMaxBytes> blob{};
  size_t size = 0;
  const NvsBlobStatus read = nvs_read_blob(CONFIG_FOTA_NVS_NAMESPACE, kRejectedKey, blob, size);
  if (read == NvsBlobStatus::kNotFound) return;  // nothing reverted yet
  const char* problem = "cannot be read";
  if (read == NvsBlobStatus::kOk) {
    switch (rejected_.load(std::span<const uint8_t>(blob.data(), size))) {
      case agent::RejectedLoad::kLoaded:
        rejected_.feed(loop);
        std::printf("fota: %u reverted release(s) kept in NVS: not retried\n",
                    static_cast<unsigned>(rejected_.size()));
        return;
      case agent::RejectedLoad::kOtherDevice: problem = "was kept for another STM32"; break;
      case agent::RejectedLoad::kCorrupt: problem = "is corrupt"; break;
    }
  }
  std::printf("fota: the list of reverted releases in NVS %s: starting with none\n", problem);
}

void AgentPort::remember_rejected(const agent::Notice& notice) {
  if (!rejected_.add(agent::release_key(notice))) return;
  if (!nvs_write_blob(CONFIG_FOTA_NVS_NAMESPACE, kRejectedKey, rejected_.blob())) {
    std::printf(
        "fota: cannot keep the reverted release in NVS: it may be tried again after a "
        "restart of the ESP32\n");
  }
}

void AgentPort::reidentify() {
  if (identify()) reporter_.on_state(update::State::kIdle, {});
}

bool AgentPort::read_notice(std::string_view payload, bool legacy, agent::Notice& out,
                            std::span<char> error) {
  if (!legacy) {
    if (!read_release_notice({reinterpret_cast<const uint8_t*>(payload.data()), payload.size()},
                             keys_, out, error)) {
      return false;
    }
  } else {
    // Seed 000's {"url": "...", "crc": "..."}: one image for whichever slot it is linked for.
    out = agent::Notice{};
    out.legacy = true;
    agent::MessageDetail detail;
    const auto message =
        agent::parse_legacy_message(payload, std::span(out.url[0]).first(kUrlMaxBytes), &detail);
    if (!message.ok()) {
      (void)agent::describe("firmware message", message.error(), detail, error);
      return false;
    }
    out.url[0][message->url.size()] = '\0';
    out.url[1] = out.url[0];
    out.crc = message->crc;
    std::printf("fota: seed-000 message, CRC-32/MPEG-2 %08lX\n",
                static_cast<unsigned long>(message->crc));
  }
  // HttpRangeSource keeps a URL in kUrlMaxBytes: a longer one is refused here, not at download.
  for (const auto& url : out.url) {
    if (std::strlen(url.data()) >= kUrlMaxBytes) {
      std::snprintf(error.data(), error.size(),
                    "release notice: an image URL is longer than %u characters (kUrlMaxBytes)",
                    static_cast<unsigned>(kUrlMaxBytes - 1));
      return false;
    }
  }
  return true;
}

agent::PollResult AgentPort::poll(std::string_view etag) {
  if (pointer_ == nullptr) {
    return {agent::PollStatus::kFailed, {}, {}, "no manifest pointer given to AgentPort"};
  }
  return pointer_->poll(etag);
}

update::Outcome AgentPort::install(const agent::Notice& notice, update::VersionPolicy version) {
  update::Outcome outcome;
  if (!image_a_.begin(notice.url[0].data()) || !image_b_.begin(notice.url[1].data())) {
    outcome.state = update::State::kFailed;
    outcome.failure.reason = update::FailReason::kSourceFailed;
    reporter_.refuse("source-failed",
                     "cannot start the HTTP client (URL longer than kUrlMaxBytes?)");
    return outcome;
  }
  update::Release release;
  release.image = {&image_a_, &image_b_};
  update::Policy policy;
  std::strncpy(policy.product.data(), CONFIG_FOTA_PRODUCT, policy.product.size() - 1);
  policy.version = version;
  policy.require_signature = !kAllowUnsigned;
  outcome = engine_.run(release, policy);
  if (outcome.state == update::State::kConfirmed) running_ = {true, outcome.version};
  return outcome;
}

void AgentPort::note(agent::LoopNote note, const agent::Notice*, std::string_view text,
                     uint32_t value) {
  using agent::LoopNote;
  switch (note) {
    case LoopNote::kBadNotification:
    case LoopNote::kBadCommand:
    case LoopNote::kRefused:
      std::printf("fota: %.*s\n", static_cast<int>(text.size()), text.data());
      break;
    case LoopNote::kNotNewer:
      std::printf("fota: release not newer than the running image: nothing to do\n");
      break;
    case LoopNote::kRejectedBefore:
      std::printf("fota: release was reverted before on this device: not retried\n");
      break;
    case LoopNote::kPollFailed:
      std::printf("fota: manifest pointer: %.*s\n", static_cast<int>(text.size()), text.data());
      break;
    case LoopNote::kPollChanged:
      std::printf("fota: manifest pointer changed (ETag %.*s)\n", static_cast<int>(text.size()),
                  text.data());
      break;
    case LoopNote::kRetryScheduled:
      std::printf("fota: trying again in %lu s\n", static_cast<unsigned long>(value / 1000));
      break;
    default: break;
  }
}

}  // namespace fota::esp32
