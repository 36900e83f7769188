// SPDX-License-Identifier: Apache-2.0
#include "agent/device_loop.h"

#include <cstring>

#include "agent/messages.h"
#include "format/flash_map.h"

namespace fota::agent {
namespace {

// Appends to a NUL-terminated text in a fixed buffer, cutting what does not fit.
class Text {
 public:
  explicit Text(std::span<char> out) : out_(out) {
    if (!out_.empty()) out_[0] = '\0';
  }
  Text& operator<<(std::string_view s) {
    for (const char c : s) {
      if (size_ + 1 >= out_.size()) break;
      out_[size_++] = c;
    }
    if (!out_.empty()) out_[size_] = '\0';
    return *this;
  }
  Text& operator<<(uint32_t n) {
    char digits[10];
    size_t count = 0;
    do {
      digits[count++] = static_cast<char>('0' + n % 10);
      n /= 10;
    } while (n != 0);
    char text[10];
    for (size_t i = 0; i < count; ++i) text[i] = digits[count - 1 - i];
    return *this << std::string_view(text, count);
  }
  size_t size() const { return size_; }
  std::string_view view() const { return {out_.data(), size_}; }

 private:
  std::span<char> out_;
  size_t size_ = 0;
};

void append_version(Text& t, const Version& v, bool with_build) {
  t << v.major << "." << v.minor << "." << v.patch;
  if (with_build) t << "+" << v.build;
}

std::string_view view(std::span<const char> text) {
  const void* end = std::memchr(text.data(), '\0', text.size());
  return {text.data(), end == nullptr
                           ? text.size()
                           : static_cast<size_t>(static_cast<const char*>(end) - text.data())};
}

// The key text's pieces, to a sink (hashed, or written out).
using Sink = void (*)(void* context, std::string_view piece);
void key_pieces(const Notice& n, Sink sink, void* context) {
  std::array<char, 32> number{};
  std::string_view pieces[7];
  size_t count = 0;
  if (n.legacy) {
    Text t(number);
    t << n.crc;
    pieces[count++] = "legacy ";
    pieces[count++] = view(n.url[0]);
  } else {
    write_version(n.version, true, number);
    pieces[count++] = view(n.product);
    pieces[count++] = " ";
    pieces[count++] = view(number);
    pieces[count++] = " ";
    pieces[count++] = view(n.url[0]);
  }
  pieces[count++] = " ";
  pieces[count++] = n.legacy ? view(number) : view(n.url[1]);
  for (size_t i = 0; i < count; ++i) sink(context, pieces[i]);
}

}  // namespace

void set_text(std::span<char> out, std::string_view text) {
  Text t(out);
  t << text;
}

size_t write_version(const Version& v, bool with_build, std::span<char> out) {
  Text t(out);
  append_version(t, v, with_build);
  return t.size();
}

size_t write_release_key(const Notice& notice, std::span<char> out) {
  Text t(out);
  key_pieces(
      notice, [](void* text, std::string_view piece) { *static_cast<Text*>(text) << piece; }, &t);
  return t.size();
}

ReleaseKey release_key(const Notice& notice) {
  Sha256 hash;
  key_pieces(
      notice,
      [](void* h, std::string_view piece) {
        static_cast<Sha256*>(h)->update(
            {reinterpret_cast<const uint8_t*>(piece.data()), piece.size()});
      },
      &hash);
  return hash.finish();
}

ReleaseKey release_key(std::string_view key_text) {
  return sha256({reinterpret_cast<const uint8_t*>(key_text.data()), key_text.size()});
}

bool needs_restart(const update::Outcome& outcome) {
  return outcome.state == update::State::kFailed &&
         outcome.failure.reason < update::FailReason::kObserveFailed;
}

bool DeviceLoop::KeyRing::contains(const ReleaseKey& key) const {
  for (size_t i = 0; i < count; ++i) {
    if (keys[i] == key) return true;
  }
  return false;
}

void DeviceLoop::KeyRing::insert(const ReleaseKey& key) {
  if (contains(key)) return;
  keys[next] = key;  // full: the oldest goes
  next = (next + 1) % keys.size();
  if (count < keys.size()) ++count;
}

void DeviceLoop::KeyRing::erase(const ReleaseKey& key) {
  for (size_t i = 0; i < count; ++i) {
    if (keys[i] == key) keys[i] = ReleaseKey{};  // no release hashes to all zeros
  }
}

PollStatus pointer_status(int http_status, std::string_view etag, std::string_view known_etag) {
  if (http_status == 304) return PollStatus::kUnchanged;
  if (http_status != 200) return PollStatus::kFailed;
  return !known_etag.empty() && etag == known_etag ? PollStatus::kUnchanged : PollStatus::kChanged;
}

DeviceLoop::DeviceLoop(const LoopConfig& config, DevicePort& port)
    : config_(config), port_(port), random_(config.seed | 1) {}

void DeviceLoop::begin_session() {
  attempted_.clear();
  rejected_.clear();
  if (config_.poll) next_poll_ms_ = port_.now_ms();
}

void DeviceLoop::add_rejected(std::string_view key_text) {
  add_rejected(release_key(key_text));
}

void DeviceLoop::add_rejected(const ReleaseKey& key) {
  rejected_.insert(key);
}

uint64_t DeviceLoop::next_due_ms() const {
  uint64_t due = config_.poll ? next_poll_ms_ : kNever;
  if (retry_pending_ && retry_at_ms_ < due) due = retry_at_ms_;
  return due;
}

void DeviceLoop::on_tick() {
  const uint64_t now = port_.now_ms();
  if (retry_pending_ && now >= retry_at_ms_) {
    port_.note(LoopNote::kRetrying, &retry_, {}, 0);
    install(retry_, retry_explicit_);
  } else if (config_.poll && now >= next_poll_ms_) {
    poll(false);
  }
}

void DeviceLoop::on_notification(std::string_view payload, bool legacy) {
  handle_release(payload, legacy, false);
}

void DeviceLoop::poll(bool forced) {
  // xorshift64: jitter spreads many devices' polls, it needs no quality.
  random_ ^= random_ << 13;
  random_ ^= random_ >> 7;
  random_ ^= random_ << 17;
  const uint64_t jitter = config_.poll_jitter_ms == 0 ? 0 : random_ % config_.poll_jitter_ms;
  next_poll_ms_ = port_.now_ms() + config_.poll_interval_ms + jitter;
  const PollResult result = port_.poll(view(etag_));
  switch (result.status) {
    case PollStatus::kFailed:
      port_.note(LoopNote::kPollFailed, nullptr, result.error, 0);
      port_.set_error("poll", result.error);
      return;
    case PollStatus::kUnchanged:
      port_.note(LoopNote::kPollUnchanged, nullptr, view(etag_), 0);
      return;
    case PollStatus::kChanged:
      port_.note(LoopNote::kPollChanged, nullptr, result.etag, 0);
      set_text(etag_, result.etag);
      handle_release(result.body, false, forced);
      return;
  }
}

void DeviceLoop::handle_release(std::string_view payload, bool legacy, bool forced) {
  if (!port_.read_notice(payload, legacy, incoming_, text_)) {
    // Reported, never fatal: the device keeps its state and the last valid release.
    port_.note(LoopNote::kBadNotification, nullptr, view(text_), 0);
    port_.set_error("bad-notification", view(text_));
    return;
  }
  if (legacy && !config_.policy.allow_unsigned) {
    port_.set_error("unsigned",
                    "seed-000 message ignored: the configuration requires signed releases");
    return;
  }
  latest_ = incoming_;
  has_latest_ = true;
  const ReleaseKey key = release_key(latest_);
  if (!forced && attempted_.contains(key)) {
    port_.note(LoopNote::kAlreadyHandled, &latest_, {}, 0);
    return;
  }
  if (rejected_.contains(key)) {
    port_.note(LoopNote::kRejectedBefore, &latest_, {}, 0);
    return;
  }
  install(latest_, false);
}

void DeviceLoop::on_command(std::string_view payload) {
  MessageDetail detail;
  const auto command = parse_command(payload, &detail);
  if (!command.ok()) {
    (void)describe("command", command.error(), detail, text_);
    port_.note(LoopNote::kBadCommand, nullptr, view(text_), 0);
    port_.set_error("bad-command", view(text_));
    return;
  }
  KnownRelease known;
  if (has_latest_) known = {true, latest_.legacy, latest_.version};
  if (command->kind == CommandKind::kUpdate) {
    port_.note(LoopNote::kUpdateTo, nullptr, {}, command->version.packed());
  }
  switch (command_action(*command, known)) {
    case CommandAction::kPublishStatus: port_.publish_status(); return;
    case CommandAction::kCheck:
      port_.note(LoopNote::kCheckNow, nullptr, {}, 0);
      if (config_.poll) {
        etag_[0] = '\0';  // fetch the pointer even if unchanged
        poll(true);
      } else if (has_latest_ && !rejected_.contains(release_key(latest_))) {
        install(latest_, false);
      }
      return;
    case CommandAction::kUnknownVersion: {
      Text t(text_);
      t << "update to ";
      append_version(t, command->version, false);
      t << ": not the release the channel offers (";
      if (has_latest_ && !latest_.legacy) {
        append_version(t, latest_.version, true);
      } else {
        t << "none known";
      }
      t << ")";
      port_.set_error("unknown-version", t.view());
      return;
    }
    case CommandAction::kInstall: install(latest_, true); return;
  }
}

void DeviceLoop::refuse(std::string_view reason) {
  port_.note(LoopNote::kRefused, nullptr, view(text_), 0);
  port_.refuse(reason, view(text_));
}

void DeviceLoop::install(const Notice& notice, bool explicit_request) {
  const ReleaseKey key = release_key(notice);
  retry_pending_ = false;  // whatever was pending, this is the release now
  // 1. Policy: signature, product, version, URL, size — before the device is touched.
  const std::string_view signature_error = view(notice.signature_error);
  if (!notice.legacy && notice.has_signature && !notice.signature_verified) {
    // A signature that does not verify is refused even where unsigned releases are allowed.
    set_text(text_, signature_error);
    refuse("bad-signature");
    attempted_.insert(key);
    return;
  }
  const Running running = port_.running();
  for (size_t s = 0; s < flash_map::kSlotCount; ++s) {
    Offer offer;
    offer.product = notice.legacy ? std::string_view() : view(notice.product);
    offer.has_version = !notice.legacy;
    offer.version = notice.version;
    offer.url = view(notice.url[notice.legacy ? 0 : s]);
    offer.size = notice.size[s];
    offer.signature_verified = !notice.legacy && notice.signature_verified;
    offer.explicit_request = explicit_request;
    const PolicyError refused = check_offer(config_.policy, offer, running);
    if (refused == PolicyError::kNotNewer && !explicit_request) {
      port_.note(LoopNote::kNotNewer, &notice, {}, 0);
      attempted_.insert(key);
      return;
    }
    if (refused != PolicyError::kOk) {
      Text t(text_);
      t << to_string(refused);
      if (refused == PolicyError::kUnsigned && !signature_error.empty()) {
        t << " (" << signature_error << ")";
      }
      if (refused == PolicyError::kUrlNotAllowed || refused == PolicyError::kUrlMalformed) {
        t << ": " << offer.url;
      }
      refuse(refused == PolicyError::kUnsigned ? "policy-unsigned" : "policy-refused");
      attempted_.insert(key);
      return;
    }
  }
  attempted_.insert(key);
  // 2. The engine: the same sequence as `fota flash`.
  const update::Outcome outcome = port_.install(
      notice, explicit_request && config_.policy.allow_downgrade ? update::VersionPolicy::kAny
                                                                 : update::VersionPolicy::kNewer);
  const bool failed = outcome.state == update::State::kFailed;
  const update::FailReason reason = outcome.failure.reason;
  // The failed slot holds no valid header, so the previous firmware runs after the restart.
  if (needs_restart(outcome)) port_.restart_device();
  if (outcome.state == update::State::kReverted) {
    rejected_.insert(key);
    port_.remember_rejected(notice);
  }
  if (failed && reason == update::FailReason::kCancelled) {
    attempted_.erase(key);  // resumable: the next start continues it
  }
  // The device already runs this release or a newer one (committed before a link or power
  // failure hid the outcome): learn what runs, then nothing is left to do.
  if (failed && reason == update::FailReason::kNotNewer && !port_.stopping()) port_.reidentify();
  if (failed && update::device_side(reason) && !port_.stopping()) {
    // The device went away (power, cable, a hung bootloader): try again later; the resume point
    // makes the next attempt continue where this one stopped.
    retry_delay_ms_ = retry_delay_ms_ == 0
                          ? config_.retry_first_ms
                          : (retry_delay_ms_ > config_.retry_max_ms / 2 ? config_.retry_max_ms
                                                                        : retry_delay_ms_ * 2);
    if (&notice != &retry_) retry_ = notice;
    retry_explicit_ = explicit_request;
    retry_pending_ = true;
    retry_at_ms_ = port_.now_ms() + retry_delay_ms_;
    attempted_.erase(key);
    port_.note(LoopNote::kRetryScheduled, &retry_, {}, retry_delay_ms_);
  } else {
    retry_delay_ms_ = 0;
  }
  port_.publish_status();
}

}  // namespace fota::agent
