// SPDX-License-Identifier: Apache-2.0
// The update engine: one release into the inactive slot of one device, from check to verdict.
// Portable and freestanding (no heap, no exceptions; fixed buffers inside the object, ~1.3 KB).
// Sequence, states and resume: docs/update-engine.md.
#pragma once

#include <array>
#include <cstdint>

#include "format/crc32.h"
#include "format/image_header.h"
#include "format/sha256.h"
#include "update/clock.h"
#include "update/progress.h"
#include "update/reporter.h"
#include "update/signature.h"
#include "update/source.h"
#include "update/state.h"
#include "update/target.h"

namespace fota::update {

// A release offers one image per slot (each linked for its slot); nullptr = not offered.
struct Release {
  std::array<Source*, flash_map::kSlotCount> image{};
};

enum class VersionPolicy : uint8_t {
  kAny = 0,   // anything (factory / `fota flash` default)
  kNewer,     // strictly newer than the running image (major.minor.patch, then build)
  kNotOlder,  // newer or the same version (reinstall)
};

enum class SlotChoice : uint8_t { kAuto = 0, kA, kB };

struct Policy {
  // Header product must equal this (NUL-terminated; "" = not checked against a fixed name).
  std::array<char, kProductNameSize> product{};
  // When the running image is valid, the new one must carry the same product name.
  bool match_running_product = true;
  VersionPolicy version = VersionPolicy::kNewer;
  // Unsigned images are refused; a signed image is always verified when a verifier is given.
  bool require_signature = true;
  SlotChoice slot = SlotChoice::kAuto;
  bool readback = false;     // read every byte back after writing
  bool wait_outcome = true;  // observe the verdict after the reboot
  uint32_t outcome_timeout_ms = 60'000;
  uint32_t confirm_timeout_ms = 20'000;  // trial supervision reset (0: leave it to the watchdog)
  uint32_t observe_slice_ms = 100;       // one Target::observe() call
  // Progress is saved after at least this many bytes and this much time (whichever comes
  // later), and always at phase changes.
  // 4 KB is ~0.4 s of the ROM path at 115200 baud: a crash costs at most that much rewriting.
  uint32_t save_every_bytes = 4 * 1024;
  uint32_t save_every_ms = 250;
  uint32_t resume_tail_bytes = 2'048;  // written bytes read back before resuming
};

struct Outcome {
  State state = State::kIdle;  // kConfirmed, kReverted, kTrial (not waited / no verdict), kFailed
  Failure failure;
  flash_map::Slot slot = flash_map::Slot::kB;
  Version version;
  bool resumed = false;
  uint32_t resumed_from = 0;   // image offset
  uint32_t bytes_written = 0;  // written in this run
  uint64_t flash_ms = 0;       // open .. reboot
};

class Engine {
 public:
  // verifier and store may be nullptr (no signature checks possible / no resume).
  Engine(Target& target, Clock& clock, Reporter& reporter, SignatureVerifier* verifier,
         ProgressStore* store);
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Runs one update to its end. Not reentrant.
  Outcome run(const Release& release, const Policy& policy);

  // Asks a running update to stop at the next safe point (between chunks, before commit):
  // callable from a signal handler. The progress is saved: the next run resumes.
  void request_stop() { stop_ = true; }

  State state() const { return state_; }

 private:
  bool do_run(const Release& release, uint64_t start_ms);
  bool fail(Failure failure);
  bool fail(FailReason reason);
  void enter(State state);
  bool stop_point();
  bool fetch_header(Source& source);
  bool check_header(const BootState& boot);
  bool try_resume(Source& source, const DeviceId& device, uint32_t& offset);
  bool try_resume_stream(Source& source, uint32_t& offset);
  bool erase(flash_map::Slot slot);
  bool stream(Source& source, uint32_t from);
  bool write_block(uint32_t offset, size_t size);
  bool verify_payload();
  bool write_header();
  bool readback(Source& source);
  bool compare_block(Source& source, uint32_t offset, size_t size, bool writable);
  bool observe();
  void save_progress(ProgressPhase phase, uint32_t bytes_written, bool force);
  void clear_progress();

  Target& target_;
  Clock& clock_;
  Reporter& reporter_;
  SignatureVerifier* verifier_;
  ProgressStore* store_;
  volatile bool stop_ = false;
  bool streaming_ = false;  // target_.kind() == TargetKind::kStreaming

  State state_ = State::kIdle;
  const Policy* policy_ = nullptr;
  Outcome outcome_;
  Plan plan_;
  Progress progress_;
  bool progress_ok_ = true;
  uint32_t last_save_bytes_ = 0;
  uint64_t last_save_ms_ = 0;
  std::array<uint8_t, kImageHeaderSize> header_bytes_{};
  ImageHeader header_;
  uint32_t image_size_ = 0;   // padded to 4
  uint32_t written_end_ = 0;  // image offset up to which the stream wrote (and hashed)
  uint32_t mismatch_address_ = 0;
  Crc32 crc_;
  Sha256 sha_;
  std::array<uint8_t, kChunkSize> chunk_{};
  std::array<uint8_t, kChunkSize> check_{};
};

}  // namespace fota::update
