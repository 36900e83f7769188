// SPDX-License-Identifier: Apache-2.0
// The per-device decision loop of an update agent, one implementation for the Linux gateway
// (`fota agent`'s DeviceAgent) and the ESP32 port. Given events — a release notification, a
// command, the result of polling the manifest pointer, a timer tick — it decides what happens to
// one device: install a release (the release policy first, then the update engine through the
// port), refuse it with a reason, try it again later with a doubling backoff, remember a reverted
// release so that it is not retried, report the status. Freestanding: no heap, fixed buffers; the
// port does what needs an OS (JSON, signatures, HTTP, MQTT, files, logs). Behaviour:
// docs/agent.md ("Release policy", "What happens on each failure").
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "agent/policy.h"
#include "format/sha256.h"
#include "format/version.h"
#include "update/engine.h"

namespace fota::agent {

inline constexpr size_t kMaxProductBytes = 64;
inline constexpr size_t kMaxNoticeErrorBytes = 200;
// A URL the policy accepts (kMaxUrlLength) plus one byte, so that a longer one is still refused
// by the policy as too long, plus the NUL.
inline constexpr size_t kNoticeUrlBytes = kMaxUrlLength + 2;

// A release notification as the loop keeps it: the signed manifest's fields, or seed 000's URL and
// CRC. Texts are NUL-terminated and cut to fit (set_text).
struct Notice {
  bool legacy = false;                           // seed 000: url[0] and crc only, never signed
  std::array<char, kMaxProductBytes> product{};  // "" for seed 000
  Version version;                               // not for seed 000 (the image header says)
  std::array<std::array<char, kNoticeUrlBytes>, 2> url{};    // slot A, slot B
  std::array<uint32_t, 2> size{};                            // 0: not given (seed 000)
  uint32_t crc = 0;                                          // seed 000's CRC-32/MPEG-2, as sent
  bool has_signature = false;                                // the manifest carries a signature
  bool signature_verified = false;                           // it verified against a trusted key
  std::array<char, kMaxNoticeErrorBytes> signature_error{};  // why not, when it did not
};

// Copies `text` into `out` with a NUL, cut to fit.
void set_text(std::span<char> out, std::string_view text);

// What identifies a release: "<product> <X.Y.Z+build> <url A> <url B>" or
// "legacy <url> <crc in decimal>" (the gateway keeps reverted ones as lines of this text). The loop
// remembers releases by the SHA-256 of that text.
using ReleaseKey = Sha256Digest;
size_t write_release_key(const Notice& notice, std::span<char> out);  // cut to fit, NUL added
[[nodiscard]] ReleaseKey release_key(const Notice& notice);
[[nodiscard]] ReleaseKey release_key(std::string_view key_text);

// "X.Y.Z+build" (NUL added, cut to fit); returns the length.
size_t write_version(const Version& version, bool with_build, std::span<char> out);

// A failure before the reboot: the device may still sit in its bootloader, so the loop has the
// port restart it (DevicePort::restart_device) to let the previous firmware run again.
[[nodiscard]] bool needs_restart(const update::Outcome& outcome);

enum class PollStatus : uint8_t { kFailed, kUnchanged, kChanged };
struct PollResult {
  PollStatus status = PollStatus::kFailed;
  std::string_view etag;   // kChanged: the pointer's new ETag
  std::string_view body;   // kChanged: the manifest
  std::string_view error;  // kFailed: a sentence
};

// What the answer to a request for the manifest pointer sent with If-None-Match: <known_etag>
// means, for every port (the Linux agent's HEAD, the ESP32's conditional GET): 304, or 200 with
// the known ETag (a server that ignores If-None-Match), is kUnchanged; another 200 is kChanged
// (fetch or keep the body); any other status is kFailed.
[[nodiscard]] PollStatus pointer_status(int http_status, std::string_view etag,
                                        std::string_view known_etag);

// What the loop tells the port besides the status (for a log or a console), with the release
// it concerns, a text or a number.
enum class LoopNote : uint8_t {
  kBadNotification,  // text: the parser's sentence
  kBadCommand,       // text
  kAlreadyHandled,   // notice: tried before in this session
  kRejectedBefore,   // notice: reverted on this device before, not retried
  kNotNewer,         // notice: not newer than what runs, nothing to do
  kRefused,          // text: the policy's or the signature's refusal
  kCheckNow,         // the check command
  kUpdateTo,         // value: the update command's version (Version::packed())
  kRetryScheduled,   // notice, value: the delay in ms
  kRetrying,         // notice
  kPollFailed,       // text
  kPollUnchanged,    // text: the ETag
  kPollChanged,      // text: the new ETag
};

// Everything the loop does to the world.
class DevicePort {
 public:
  [[nodiscard]] virtual uint64_t now_ms() = 0;
  // Reads a notification (the signed manifest, or seed 000's message when `legacy`) into `out`
  // and checks its signature (out.signature_verified / signature_error); false with a sentence
  // in `error` (NUL-terminated) when it is malformed.
  [[nodiscard]] virtual bool read_notice(std::string_view payload, bool legacy, Notice& out,
                                         std::span<char> error) = 0;
  // Fetches the manifest pointer if its ETag differs from `etag`. Views stay valid until the next
  // call. A port that does not poll is never asked (LoopConfig::poll).
  [[nodiscard]] virtual PollResult poll(std::string_view etag) = 0;
  // What the device runs now (its boot log, updated after a confirmed update).
  [[nodiscard]] virtual Running running() = 0;
  // Runs the update engine on the release (sources for both slots, the engine's policy with
  // `version`); the status follows the engine's states through the port's update::Reporter.
  [[nodiscard]] virtual update::Outcome install(const Notice& notice,
                                                update::VersionPolicy version) = 0;
  // After a failure before the reboot: takes the device out of its bootloader so that the previous
  // firmware runs again.
  virtual void restart_device() = 0;
  // The engine found the release not newer (a commit whose outcome was lost): reads what runs and
  // reports idle.
  virtual void reidentify() = 0;
  // A release was reverted on the device: keep it (its key text) across restarts.
  virtual void remember_rejected(const Notice& notice) = 0;
  // Status: state failed with `reason` and `error`.
  virtual void refuse(std::string_view reason, std::string_view error) = 0;
  // Status: `reason` and `error` only (the state stays).
  virtual void set_error(std::string_view reason, std::string_view error) = 0;
  // Publishes the current status now.
  virtual void publish_status() = 0;
  // The agent is stopping: no retry, no re-identification.
  [[nodiscard]] virtual bool stopping() const = 0;
  virtual void note(LoopNote note, const Notice* notice, std::string_view text, uint32_t value) {
    (void)note;
    (void)notice;
    (void)text;
    (void)value;
  }

 protected:
  // Not deleted through this interface: no deleting destructor (operator delete) in heap-free
  // builds, as for the engine's interfaces.
  ~DevicePort() = default;
};

struct LoopConfig {
  Policy policy;      // product, URL prefixes, unsigned releases, downgrades, slot size
  bool poll = false;  // poll the manifest pointer (port.poll)
  uint32_t poll_interval_ms = 0;
  uint32_t poll_jitter_ms = 0;      // added at random to each interval
  uint32_t retry_first_ms = 10000;  // after a device-side failure, doubling up to retry_max_ms
  uint32_t retry_max_ms = 600000;
  uint64_t seed = 1;  // of the poll jitter
};

class DeviceLoop {
 public:
  static constexpr size_t kMaxAttempted = 16;  // releases tried in a session (oldest forgotten)
  static constexpr size_t kMaxRejected = 16;   // reverted releases remembered
  static constexpr uint64_t kNever = UINT64_MAX;

  DeviceLoop(const LoopConfig& config, DevicePort& port);

  // A new session with the device (after it was identified): forgets which releases were tried
  // and rejected (add_rejected reloads them); polling is due at once.
  void begin_session();
  // A release reverted before (its key text, as remember_rejected's notice gives it).
  void add_rejected(std::string_view key_text);
  // The same by its key (release_key), for a port that keeps keys only (RejectedList).
  void add_rejected(const ReleaseKey& key);

  void on_notification(std::string_view payload, bool legacy);
  void on_command(std::string_view payload);
  // Runs what is due: a retry, else a poll.
  void on_tick();
  // When on_tick has something to do (port clock), or kNever.
  [[nodiscard]] uint64_t next_due_ms() const;

  [[nodiscard]] const Notice* latest() const { return has_latest_ ? &latest_ : nullptr; }
  [[nodiscard]] bool retry_pending() const { return retry_pending_; }
  [[nodiscard]] uint32_t retry_delay_ms() const { return retry_delay_ms_; }

 private:
  struct KeyRing {
    std::array<ReleaseKey, kMaxAttempted> keys{};
    size_t count = 0;
    size_t next = 0;
    [[nodiscard]] bool contains(const ReleaseKey& key) const;
    void insert(const ReleaseKey& key);
    void erase(const ReleaseKey& key);
    void clear() { count = next = 0; }
  };

  void handle_release(std::string_view payload, bool legacy, bool forced);
  void poll(bool forced);
  void install(const Notice& notice, bool explicit_request);
  void refuse(std::string_view reason);

  LoopConfig config_;
  DevicePort& port_;
  Notice incoming_;  // the notification being read
  Notice latest_;    // the newest valid notification
  bool has_latest_ = false;
  Notice retry_;  // to try again after a failure on the device's side
  bool retry_pending_ = false;
  bool retry_explicit_ = false;
  uint64_t retry_at_ms_ = 0;
  uint32_t retry_delay_ms_ = 0;
  uint64_t next_poll_ms_ = 0;
  uint64_t random_;
  std::array<char, 256> etag_{};
  std::array<char, 480> text_{};  // error sentences
  KeyRing attempted_;
  KeyRing rejected_;
};

}  // namespace fota::agent
