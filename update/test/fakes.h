// SPDX-License-Identifier: Apache-2.0
// Fakes for the engine tests: a Target over bootcore's RAM flash model that runs the real boot
// decision on "reboot" (so trial, confirm and revert are the bootloader's own), an in-memory
// Source with fault injection, a manual clock, a recording reporter, an in-memory progress store
// (through the real record codec) and a toy signature verifier.
#pragma once

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "bootcore/boot.h"
#include "fake_flash.h"
#include "test_support.h"
#include "update/engine.h"
#include "update/flash_log.h"

namespace fota::update::test {

using bootcore::test::FakeFlash;

class FakeClock final : public Clock {
 public:
  uint64_t now_ms() override { return now; }
  uint64_t now = 1'000'000;
};

class MemorySource final : public Source {
 public:
  explicit MemorySource(std::vector<uint8_t> bytes, std::string tag = "")
      : data(std::move(bytes)), tag_(std::move(tag)) {}
  SourceStatus read(uint32_t offset, std::span<uint8_t> out, size_t& got) override {
    got = 0;
    ++reads;
    if (fail_at_read >= 0 && reads == static_cast<uint64_t>(fail_at_read) + 1) {
      return SourceStatus::kIoError;
    }
    if (change_at_read >= 0 && reads == static_cast<uint64_t>(change_at_read) + 1) {
      return SourceStatus::kChanged;
    }
    if (offset >= data.size()) return SourceStatus::kEnd;
    got = std::min(out.size(), data.size() - offset);
    std::memcpy(out.data(), data.data() + offset, got);
    bytes_read += got;
    return got == out.size() ? SourceStatus::kOk : SourceStatus::kEnd;
  }
  const char* etag() const override { return tag_.c_str(); }

  std::vector<uint8_t> data;
  std::string tag_;
  uint64_t reads = 0;
  uint64_t bytes_read = 0;
  int64_t fail_at_read = -1;    // this read (0-based) fails with kIoError
  int64_t change_at_read = -1;  // this read reports kChanged
};

class FakeTarget final : public Target {
 public:
  FakeTarget(FakeFlash& flash, FakeClock& clock) : flash_(flash), clock_(clock) {}

  TargetError open(DeviceId& id) override {
    ++opens;
    if (fail_open) return TargetError::kTimeout;
    id.uid = uid;
    id.pid = 0x413;
    id.flash_kb = 1024;
    return TargetError::kOk;
  }
  TargetError read_boot_state(BootState& state) override {
    log_.emplace(flash_);
    return update::read_boot_state(flash_, *log_, state) == bootcore::LogStatus::kOk
               ? TargetError::kOk
               : TargetError::kLogError;
  }
  TargetError erase_sector(unsigned sector) override {
    erased.push_back(sector);
    return flash_.erase_sector(sector) == bootcore::FlashStatus::kOk ? TargetError::kOk
                                                                     : TargetError::kRefused;
  }
  TargetError write(uint32_t address, std::span<const uint8_t> data) override {
    if (fail_write_at >= 0 && writes == static_cast<uint64_t>(fail_write_at)) {
      return TargetError::kLink;
    }
    ++writes;
    bytes_written += data.size();
    clock_.now += 5;  // ~ a 256-byte block over a 115200-baud ROM link
    std::vector<uint8_t> copy(data.begin(), data.end());
    if (flip_in_write >= 0 && writes == static_cast<uint64_t>(flip_in_write) + 1) copy[7] ^= 0x10;
    const auto words = bootcore::test::to_words(copy);
    return flash_.program_words(address, words) == bootcore::FlashStatus::kOk
               ? TargetError::kOk
               : TargetError::kRefused;
  }
  TargetError read(uint32_t address, std::span<uint8_t> out) override {
    ++reads;
    bytes_read += out.size();
    return flash_.read(address, out) == bootcore::FlashStatus::kOk ? TargetError::kOk
                                                                   : TargetError::kRefused;
  }
  TargetError commit(flash_map::Slot slot, const ImageHeader& header) override {
    ++commits;
    log_.emplace(flash_);
    if (log_->load() != bootcore::LogStatus::kOk) return TargetError::kLogError;
    return bootcore::request_trial(*log_, slot, header) == bootcore::LogStatus::kOk
               ? TargetError::kOk
               : TargetError::kLogError;
  }
  TargetError reboot() override {
    ++reboots;
    if (fail_reboot) return TargetError::kLink;  // the host died before the reset
    pending_boot_ = true;
    confirm_next_ = false;
    return TargetError::kOk;
  }
  // The device after a reset: our bootloader decides (bootcore::run_boot on the same flash);
  // the application confirms itself when app_confirms is set.
  TargetError observe(flash_map::Slot slot, uint32_t wait_ms, Observation& seen) override {
    clock_.now += wait_ms;
    seen = Observation::kNothing;
    if (confirm_next_) {
      confirm_next_ = false;
      seen = Observation::kConfirmed;
      return TargetError::kOk;
    }
    if (!pending_boot_) return TargetError::kOk;
    pending_boot_ = false;
    bootcore::MetaLog log(flash_);
    bootcore::SoftwareCrc32Engine crc;
    const bootcore::BootOutcome boot = bootcore::run_boot(flash_, log, crc);
    ++boots;
    if (!boot.boots()) return TargetError::kOk;
    if (boot.slot == slot) {
      if (boot.action == bootcore::Action::kBootConfirmed) {
        seen = Observation::kConfirmed;
        return TargetError::kOk;
      }
      seen = Observation::kBooted;
      if (app_confirms) {
        bootcore::MetaLog app_log(flash_);
        (void)app_log.load();
        (void)bootcore::confirm(flash_, app_log, slot);
        confirm_next_ = true;
      }
      return TargetError::kOk;
    }
    seen = boot.image_error[static_cast<unsigned>(slot)] != HeaderError::kOk
               ? Observation::kImageInvalid
               : Observation::kReverted;
    return TargetError::kOk;
  }
  bool can_reset() const override { return resettable; }

  std::array<uint8_t, 12> uid{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  bool fail_open = false;
  bool app_confirms = true;
  bool resettable = true;
  bool fail_reboot = false;
  int64_t fail_write_at = -1;  // the write with this index (0-based) fails with kLink
  int64_t flip_in_write = -1;  // this write's data gets a bit flipped on the "line"
  std::vector<unsigned> erased;
  uint64_t writes = 0, bytes_written = 0, reads = 0, bytes_read = 0;
  unsigned opens = 0, commits = 0, reboots = 0, boots = 0;

 private:
  FakeFlash& flash_;
  FakeClock& clock_;
  std::optional<bootcore::MetaLog> log_;
  bool pending_boot_ = false;
  bool confirm_next_ = false;
};

struct Event {
  State state;
  FailReason reason;
};

class RecordingReporter final : public Reporter {
 public:
  void on_state(State state, const Failure& failure) override {
    events.push_back({state, failure.reason});
    last_failure = failure;
  }
  void on_plan(const Plan& p) override { plan = p; }
  void on_progress(Step step, uint32_t done, uint32_t total) override {
    if (step == Step::kWrite) {
      monotonic = monotonic && done >= last_write_done && done <= total;
      last_write_done = done;
    }
  }
  void on_note(Note note, flash_map::Slot) override { notes.push_back(note); }
  std::vector<State> states() const {
    std::vector<State> out;
    for (const auto& e : events) out.push_back(e.state);
    return out;
  }
  size_t count(Note note) const {
    return static_cast<size_t>(std::count(notes.begin(), notes.end(), note));
  }

  std::vector<Event> events;
  std::vector<Note> notes;
  Failure last_failure;
  Plan plan;
  uint32_t last_write_done = 0;
  bool monotonic = true;
};

class MemoryStore final : public ProgressStore {
 public:
  StoreStatus load(Progress& out) override {
    if (bytes.empty()) return StoreStatus::kEmpty;
    const auto decoded = decode_progress(bytes);
    if (!decoded.ok()) return StoreStatus::kCorrupt;
    out = decoded.value();
    return StoreStatus::kOk;
  }
  StoreStatus save(const Progress& progress) override {
    ++saves;
    if (fail_saves) return StoreStatus::kIoError;
    if (freeze_after >= 0 && saves > static_cast<unsigned>(freeze_after)) return StoreStatus::kOk;
    bytes.assign(kProgressSize, 0);
    encode_progress(progress, std::span<uint8_t, kProgressSize>(bytes.data(), kProgressSize));
    return StoreStatus::kOk;
  }
  StoreStatus clear() override {
    bytes.clear();
    return StoreStatus::kOk;
  }
  std::vector<uint8_t> bytes;
  unsigned saves = 0;
  bool fail_saves = false;
  int freeze_after = -1;  // saves after this many are silently lost (a crashed host)
};

// Toy signature for tests: the first 32 bytes are SHA-256(message) XOR the key, the rest zero.
class FakeVerifier final : public SignatureVerifier {
 public:
  SignatureStatus verify(std::span<const uint8_t, kKeyIdSize> key_id,
                         std::span<const uint8_t, kSignedSize> message,
                         std::span<const uint8_t, kSignatureSize> signature) override {
    if (!std::equal(key_id.begin(), key_id.end(), known_id.begin())) {
      return SignatureStatus::kUnknownKey;
    }
    return sign(message) == std::vector<uint8_t>(signature.begin(), signature.end())
               ? SignatureStatus::kOk
               : SignatureStatus::kBadSignature;
  }
  std::vector<uint8_t> sign(std::span<const uint8_t> message) const {
    const Sha256Digest d = sha256(message);
    std::vector<uint8_t> sig(kSignatureSize, 0);
    for (size_t i = 0; i < 32; ++i) sig[i] = d[i] ^ key;
    return sig;
  }
  std::array<uint8_t, kKeyIdSize> known_id{7, 7, 7, 7, 7, 7, 7, 7};
  uint8_t key = 0x5A;
};

}  // namespace fota::update::test
