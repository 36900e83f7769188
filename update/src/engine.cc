// SPDX-License-Identifier: Apache-2.0
#include "update/engine.h"

#include <algorithm>
#include <cstring>

#include "format/erased.h"
#include "format/meta_record.h"

namespace fota::update {
namespace {

// Trial supervision resets that restart the wait for a verdict: above the bootloader's default of
// 3 attempts (format/meta_record.h), so the revert after the last one is seen; bounded, so a
// device that never decides cannot hold the engine for ever.
constexpr unsigned kMaxTrialResets = 8;

// Everything the engine needs lives in the Engine object: keep it inside the buffer budget of a
// small host (the ESP32 or a Cortex-M gateway).
constexpr size_t kEngineBudget = 8 * 1024;

// Read Memory data has no checksum: a block is good as soon as one read matches, bad when two
// reads agree on other data (docs/flashing.md, --verify=readback).
constexpr int kMaxReads = 8;

using flash_map::all_erased;

bool same_name(const char* a, const char* b, size_t size) {
  return std::strncmp(a, b, size) == 0;
}

// The failure for a source read that did not return kOk.
Failure source_failure(SourceStatus status) {
  Failure failure;
  failure.source = status;
  failure.reason = status == SourceStatus::kEnd       ? FailReason::kTruncated
                   : status == SourceStatus::kChanged ? FailReason::kReleaseChanged
                                                      : FailReason::kSourceFailed;
  return failure;
}

// The failure for a device operation that returned `error` (address: where, when it matters).
Failure target_failure(FailReason reason, TargetError error, uint32_t address = 0) {
  Failure failure;
  failure.reason = reason;
  failure.target = error;
  failure.address = address;
  return failure;
}

}  // namespace

static_assert(sizeof(Engine) <= kEngineBudget, "the engine's buffers must stay within 8 KB");

Engine::Engine(Target& target, Clock& clock, Reporter& reporter, SignatureVerifier* verifier,
               ProgressStore* store)
    : target_(target), clock_(clock), reporter_(reporter), verifier_(verifier), store_(store) {}

void Engine::enter(State state) {
  state_ = state;
  reporter_.on_state(state, Failure{});
}

bool Engine::fail(Failure failure) {
  outcome_.failure = failure;
  outcome_.state = State::kFailed;
  state_ = State::kFailed;
  reporter_.on_state(State::kFailed, failure);
  return false;
}

bool Engine::fail(FailReason reason) {
  Failure failure;
  failure.reason = reason;
  return fail(failure);
}

// ---- resume point ----

void Engine::save_progress(ProgressPhase phase, uint32_t bytes_written, bool force) {
  if (store_ == nullptr || !progress_ok_) return;
  const uint64_t now = clock_.now_ms();
  if (!force && (bytes_written - last_save_bytes_ < policy_->save_every_bytes ||
                 now - last_save_ms_ < policy_->save_every_ms)) {
    return;
  }
  progress_.phase = phase;
  progress_.bytes_written = bytes_written;
  progress_.crc32_state = crc_.state();
  if (phase == ProgressPhase::kWriting && !sha_.midstate(progress_.sha256)) return;
  if (phase != ProgressPhase::kWriting) progress_.sha256 = Sha256Midstate{};
  if (store_->save(progress_) != StoreStatus::kOk) {
    progress_ok_ = false;
    reporter_.on_note(Note::kProgressSaveFailed, plan_.target_slot);
    return;
  }
  last_save_bytes_ = bytes_written;
  last_save_ms_ = now;
}

void Engine::clear_progress() {
  if (store_ != nullptr) (void)store_->clear();
}

bool Engine::stop_point() {
  if (!stop_) return true;
  return fail(FailReason::kCancelled);
}

// ---- release checks ----

bool Engine::fetch_header(Source& source) {
  size_t got = 0;
  const SourceStatus status = source.read(0, header_bytes_, got);
  if (status != SourceStatus::kOk) return fail(source_failure(status));
  return true;
}

bool Engine::check_header(const BootState& boot) {
  const auto parsed = parse_image_header(header_bytes_);
  if (!parsed.ok()) {
    Failure failure;
    failure.reason = FailReason::kBadHeader;
    failure.header = parsed.error();
    return fail(failure);
  }
  header_ = parsed.value();
  const flash_map::Slot slot = plan_.target_slot;
  if (check_header_slot(header_, slot) != HeaderError::kOk) return fail(FailReason::kWrongSlot);
  const Policy& policy = *policy_;
  if (policy.product[0] != '\0' &&
      !same_name(header_.product.data(), policy.product.data(), kProductNameSize)) {
    return fail(FailReason::kWrongProduct);
  }
  const bootcore::SlotInfo& running =
      boot.slots[static_cast<unsigned>(flash_map::other_slot(slot))];
  const bool running_valid = running.header_verdict.ok();
  if (policy.match_running_product && running_valid && boot.running_product_known &&
      !same_name(header_.product.data(), running.header.product.data(), kProductNameSize)) {
    return fail(FailReason::kWrongProduct);
  }
  if (running_valid) {
    const Version& now = running.header.version;
    const Version& next = header_.version;
    if ((policy.version == VersionPolicy::kNewer && !(now < next)) ||
        (policy.version == VersionPolicy::kNotOlder && next < now)) {
      return fail(FailReason::kNotNewer);
    }
  }
  // A secure bootloader would refuse it at its first boot (docs/security.md): do not download it.
  if (security_level(header_.version.packed()) < boot.security_floor) {
    return fail(FailReason::kBelowFloor);
  }
  const bool is_signed = (header_.flags & kImageFlagSigned) != 0;
  if (is_signed && verifier_ != nullptr) {
    const SignatureStatus status = verifier_->verify(
        header_.key_id, std::span<const uint8_t, kSignedSize>(header_bytes_.data(), kSignedSize),
        header_.signature);
    if (status == SignatureStatus::kUnknownKey) return fail(FailReason::kUnknownKey);
    if (status != SignatureStatus::kOk) return fail(FailReason::kBadSignature);
  } else if (policy.require_signature) {
    return fail(is_signed ? FailReason::kNoVerifier : FailReason::kUnsigned);
  }
  const uint32_t size = static_cast<uint32_t>(kImageHeaderSize) + header_.payload_size;
  image_size_ = (size + 3) & ~3u;
  return true;
}

// ---- target blocks ----

// Compares the target's flash at image `offset` (size <= kChunkSize) with the image. When
// `writable` is set the block may also be (partly) unwritten: every bit the image needs set must
// still be set, so writing the image over it gives the image.
bool Engine::compare_block(Source& source, uint32_t offset, size_t size, bool writable) {
  const uint32_t source_end = static_cast<uint32_t>(kImageHeaderSize) + header_.payload_size;
  std::fill(chunk_.begin(), chunk_.begin() + static_cast<long>(size), flash_map::kErasedByte);
  if (offset < source_end) {
    const size_t n = std::min<size_t>(size, source_end - offset);
    size_t got = 0;
    const SourceStatus status = source.read(offset, {chunk_.data(), n}, got);
    if (status != SourceStatus::kOk) return fail(source_failure(status));
  }
  const uint32_t address = flash_map::slot_address(plan_.target_slot) + offset;
  std::array<uint8_t, kChunkSize> previous{};
  for (int attempt = 0; attempt < kMaxReads; ++attempt) {
    if (const TargetError e = target_.read(address, {check_.data(), size}); e != TargetError::kOk) {
      return fail(target_failure(FailReason::kReadFailed, e, address));
    }
    bool good = true;
    for (size_t i = 0; i < size && good; ++i) {
      good = writable ? (check_[i] & chunk_[i]) == chunk_[i] : check_[i] == chunk_[i];
    }
    if (good) return true;
    if (attempt > 0 &&
        std::equal(check_.begin(), check_.begin() + static_cast<long>(size), previous.begin())) {
      break;
    }
    std::copy(check_.begin(), check_.begin() + static_cast<long>(size), previous.begin());
  }
  mismatch_address_ = address;
  return false;
}

bool Engine::try_resume(Source& source, const DeviceId& device, uint32_t& offset) {
  offset = static_cast<uint32_t>(kImageHeaderSize);
  if (store_ == nullptr) return false;
  Progress saved;
  const StoreStatus loaded = store_->load(saved);
  if (loaded == StoreStatus::kEmpty) return false;
  const Sha256Digest release = sha256(header_bytes_);
  const char* etag = source.etag();
  const bool matches = loaded == StoreStatus::kOk && saved.release == release &&
                       same_name(saved.etag.data(), etag, kEtagSize - 1) &&
                       saved.device_uid == device.uid && saved.slot == plan_.target_slot &&
                       saved.image_size == image_size_;
  if (!matches) {
    reporter_.on_note(Note::kResumeRejected, plan_.target_slot);
    clear_progress();
    return false;
  }
  // The written tail must hold the image (nothing changed the slot since), and the next block
  // must still be writable.
  const uint32_t end = saved.bytes_written;
  const uint32_t tail =
      std::min(policy_->resume_tail_bytes, end - static_cast<uint32_t>(kImageHeaderSize));
  uint32_t from = end - tail;
  from -= (from - static_cast<uint32_t>(kImageHeaderSize)) % kChunkSize;
  reporter_.on_step(Step::kResumeCheck, end - from);
  bool ok = true;
  for (uint32_t at = from; at < end && ok; at += kChunkSize) {
    const size_t n = std::min<size_t>(kChunkSize, end - at);
    ok = compare_block(source, at, n, false);
    if (state_ == State::kFailed) return false;
    reporter_.on_progress(Step::kResumeCheck, at + static_cast<uint32_t>(n) - from, end - from);
  }
  if (ok && end < image_size_) {
    ok = compare_block(source, end, std::min<size_t>(kChunkSize, image_size_ - end), true);
    if (state_ == State::kFailed) return false;
  }
  reporter_.on_step_done(Step::kResumeCheck);
  if (!ok) {
    reporter_.on_note(Note::kResumeRejected, plan_.target_slot);
    clear_progress();
    return false;
  }
  progress_ = saved;
  crc_ = Crc32::from_state(saved.crc32_state);
  sha_ = saved.phase == ProgressPhase::kWriting ? Sha256::from_midstate(saved.sha256) : Sha256();
  offset = end;
  return true;
}

// Streaming target: the device says how much of the slot it holds (a payload prefix and its
// CRC-32). The prefix is hashed from the source; when the CRCs agree the stream goes on from
// there. The device, not the ProgressStore, is the truth here: it checks the whole image at
// commit anyway.
bool Engine::try_resume_stream(Source& source, uint32_t& offset) {
  offset = static_cast<uint32_t>(kImageHeaderSize);
  ResumePoint point;
  const TargetError e = target_.resume_point(plan_.target_slot, point);
  if (e == TargetError::kUnsupported || point.payload_bytes == 0) return false;
  if (e != TargetError::kOk) {
    return fail(target_failure(FailReason::kReadFailed, e));
  }
  if (point.payload_bytes >= header_.payload_size) {
    reporter_.on_note(Note::kResumeRejected, plan_.target_slot);
    return false;
  }
  reporter_.on_step(Step::kResumeCheck, point.payload_bytes);
  Crc32 crc;
  Sha256 sha;
  const uint32_t end = static_cast<uint32_t>(kImageHeaderSize) + point.payload_bytes;
  for (uint32_t at = static_cast<uint32_t>(kImageHeaderSize); at < end; at += kChunkSize) {
    const size_t n = std::min<size_t>(kChunkSize, end - at);
    size_t got = 0;
    const SourceStatus status = source.read(at, {chunk_.data(), n}, got);
    if (status != SourceStatus::kOk) return fail(source_failure(status));
    crc.update({chunk_.data(), n});
    sha.update({chunk_.data(), n});
    reporter_.on_progress(Step::kResumeCheck, at + static_cast<uint32_t>(n) - kImageHeaderSize,
                          point.payload_bytes);
  }
  reporter_.on_step_done(Step::kResumeCheck);
  if (crc.value() != point.crc32) {
    reporter_.on_note(Note::kResumeRejected, plan_.target_slot);
    return false;
  }
  crc_ = crc;
  sha_ = sha;
  offset = end;
  return true;
}

bool Engine::erase(flash_map::Slot slot) {
  const uint32_t address = flash_map::slot_address(slot);
  uint32_t total = 0;
  for (unsigned i = 0; i < plan_.sector_count; ++i) {
    total += flash_map::kSectors[plan_.first_sector + i].size;
  }
  (void)address;
  reporter_.on_step(Step::kErase, total);
  uint32_t done = 0;
  for (unsigned i = 0; i < plan_.sector_count; ++i) {
    const unsigned sector = plan_.first_sector + i;
    if (const TargetError e = target_.erase_sector(sector); e != TargetError::kOk) {
      Failure failure;
      failure.reason = FailReason::kEraseFailed;
      failure.target = e;
      failure.sector = sector;
      return fail(failure);
    }
    done += flash_map::kSectors[sector].size;
    reporter_.on_progress(Step::kErase, done, total);
  }
  reporter_.on_step_done(Step::kErase);
  return true;
}

bool Engine::write_block(uint32_t offset, size_t size) {
  const auto block = std::span<const uint8_t>(chunk_.data(), size);
  // Erased flash already reads 0xFF: such blocks need no write (a stream must stay contiguous).
  if (!streaming_ && all_erased(block)) return true;
  const uint32_t address = flash_map::slot_address(plan_.target_slot) + offset;
  if (const TargetError e = target_.write(address, block); e != TargetError::kOk) {
    return fail(target_failure(FailReason::kWriteFailed, e, address));
  }
  outcome_.bytes_written += static_cast<uint32_t>(size);
  return true;
}

// Streams payload blocks [from, image end) from the source into the slot, hashing them.
bool Engine::stream(Source& source, uint32_t from) {
  const uint32_t source_end = static_cast<uint32_t>(kImageHeaderSize) + header_.payload_size;
  written_end_ = from;
  for (uint32_t offset = from; offset < image_size_; offset += kChunkSize) {
    if (!stop_point()) return false;
    const size_t size = std::min<size_t>(kChunkSize, image_size_ - offset);
    const size_t n = std::min<size_t>(size, source_end - offset);
    size_t got = 0;
    const SourceStatus status = source.read(offset, {chunk_.data(), n}, got);
    if (status != SourceStatus::kOk) {
      if (status == SourceStatus::kChanged) clear_progress();
      return fail(source_failure(status));
    }
    std::fill(chunk_.begin() + static_cast<long>(n), chunk_.begin() + static_cast<long>(size),
              flash_map::kErasedByte);
    // A streaming target takes the payload only, not the padding to a word.
    if (!write_block(offset, streaming_ ? n : size)) return false;
    // Hashed once written, so the saved hash state always matches written_end_.
    crc_.update({chunk_.data(), n});
    sha_.update({chunk_.data(), n});
    const uint32_t next = offset + static_cast<uint32_t>(size);
    written_end_ = next;
    reporter_.on_progress(Step::kWrite, next - static_cast<uint32_t>(kImageHeaderSize),
                          image_size_);
    if (next < image_size_) save_progress(ProgressPhase::kWriting, next, false);
  }
  // The source must end where the header says the image ends.
  uint8_t extra = 0;
  size_t got = 0;
  const SourceStatus status = source.read(source_end, {&extra, 1}, got);
  if (status == SourceStatus::kOk) return fail(FailReason::kSourceTooLarge);
  // Not kOk nor kEnd here: source_failure gives kReleaseChanged or kSourceFailed.
  if (status != SourceStatus::kEnd) return fail(source_failure(status));
  return true;
}

bool Engine::verify_payload() {
  Failure failure;
  failure.reason = FailReason::kPayloadMismatch;
  if (crc_.value() != header_.payload_crc32) {
    failure.header = HeaderError::kPayloadCrcMismatch;
  } else if (sha_.finish() != header_.payload_sha256) {
    failure.header = HeaderError::kPayloadShaMismatch;
  } else {
    return true;
  }
  clear_progress();  // what was written is not the image the header describes
  return fail(failure);
}

bool Engine::write_header() {
  // A streaming target got the header at begin_image(): the device writes it at commit.
  if (streaming_) {
    reporter_.on_progress(Step::kWrite, image_size_, image_size_);
    return true;
  }
  for (uint32_t offset = 0; offset < kImageHeaderSize; offset += kChunkSize) {
    std::copy_n(header_bytes_.begin() + offset, kChunkSize, chunk_.begin());
    if (!write_block(offset, kChunkSize)) return false;
  }
  reporter_.on_progress(Step::kWrite, image_size_, image_size_);
  return true;
}

bool Engine::readback(Source& source) {
  reporter_.on_step(Step::kReadback, image_size_);
  for (uint32_t offset = 0; offset < image_size_; offset += kChunkSize) {
    const size_t n = std::min<size_t>(kChunkSize, image_size_ - offset);
    if (!compare_block(source, offset, n, false)) {
      if (state_ == State::kFailed) return false;
      Failure failure;
      failure.reason = FailReason::kReadbackMismatch;
      failure.address = mismatch_address_;
      return fail(failure);
    }
    reporter_.on_progress(Step::kReadback, offset + static_cast<uint32_t>(n), image_size_);
  }
  reporter_.on_step_done(Step::kReadback);
  return true;
}

// ---- outcome ----

bool Engine::observe() {
  const flash_map::Slot slot = plan_.target_slot;
  reporter_.on_step(Step::kOutcome, 0);
  uint64_t deadline = clock_.now_ms() + policy_->outcome_timeout_ms;
  unsigned trial_resets = 0;
  bool booted = false;
  uint64_t booted_at = 0;
  enum class Verdict : uint8_t { kNone, kConfirmed, kReverted } verdict = Verdict::kNone;
  Failure failure;
  while (verdict == Verdict::kNone && clock_.now_ms() < deadline) {
    // Trial supervision: an image that booted but does not confirm in time is reset, which
    // costs it one of its attempts; the bootloader reverts once they are used up.
    if (booted && policy_->confirm_timeout_ms > 0 && target_.can_reset() &&
        clock_.now_ms() - booted_at > policy_->confirm_timeout_ms) {
      reporter_.on_note(Note::kTrialReset, slot);
      if (const TargetError e = target_.reboot(); e != TargetError::kOk) {
        failure.reason = FailReason::kObserveFailed;
        failure.target = e;
        break;
      }
      booted = false;
      // The reset is a reboot too: the wait for a verdict starts again, so that the boot after
      // the last attempt (the revert) is seen whatever the timeouts. Bounded: each reset costs an
      // attempt, and the bootloader gives up after its maximum.
      if (++trial_resets <= kMaxTrialResets) {
        const uint64_t again = clock_.now_ms() + policy_->outcome_timeout_ms;
        if (again > deadline) deadline = again;
      }
    }
    Observation seen = Observation::kNothing;
    if (const TargetError e = target_.observe(slot, policy_->observe_slice_ms, seen);
        e != TargetError::kOk) {
      failure.reason = FailReason::kObserveFailed;
      failure.target = e;
      break;
    }
    switch (seen) {
      case Observation::kNothing: break;
      case Observation::kBooted:
        booted = true;
        booted_at = clock_.now_ms();
        break;
      case Observation::kConfirmed: verdict = Verdict::kConfirmed; break;
      case Observation::kImageInvalid:
        reporter_.on_note(Note::kImageInvalid, slot);
        verdict = Verdict::kReverted;
        break;
      case Observation::kReverted: verdict = Verdict::kReverted; break;
    }
  }
  reporter_.on_step_done(Step::kOutcome);
  if (failure.reason == FailReason::kNone && verdict == Verdict::kConfirmed) {
    outcome_.state = State::kConfirmed;
    enter(State::kConfirmed);
    return true;
  }
  if (failure.reason == FailReason::kNone) {
    // Ask the log (also confirms a revert seen on the console).
    reporter_.on_note(verdict == Verdict::kReverted ? Note::kRevertSeen : Note::kNoVerdictYet,
                      slot);
    DeviceId device;
    BootState boot;
    TargetError e = target_.open(device);
    if (e == TargetError::kOk) e = target_.read_boot_state(boot);
    if (e != TargetError::kOk) {
      failure.reason = FailReason::kOutcomeUnreadable;
      failure.target = e;
    } else {
      (void)target_.reboot();
      const bootcore::SlotInfo& info = boot.slots[static_cast<unsigned>(slot)];
      switch (info.state) {
        case bootcore::SlotState::kConfirmed:
          outcome_.state = State::kConfirmed;
          enter(State::kConfirmed);
          return true;
        case bootcore::SlotState::kRejected:
          outcome_.state = State::kReverted;
          enter(State::kReverted);
          return true;
        case bootcore::SlotState::kTrial:
          failure.reason = FailReason::kNoVerdict;
          failure.slot_state = info.state;
          failure.attempts = info.attempts;
          break;
        case bootcore::SlotState::kNone: failure.reason = FailReason::kLogLost; break;
      }
    }
  }
  // Committed, but the verdict is unknown: the device stays on trial and its bootloader decides.
  outcome_.state = State::kTrial;
  outcome_.failure = failure;
  state_ = State::kTrial;
  reporter_.on_state(State::kTrial, failure);
  return false;
}

// ---- the sequence ----

Outcome Engine::run(const Release& release, const Policy& policy) {
  policy_ = &policy;
  outcome_ = Outcome{};
  plan_ = Plan{};
  progress_ = Progress{};
  progress_ok_ = true;
  last_save_bytes_ = 0;
  last_save_ms_ = 0;
  crc_ = Crc32();
  sha_.reset();
  stop_ = false;
  streaming_ = target_.kind() == TargetKind::kStreaming;
  const uint64_t start_ms = clock_.now_ms();
  (void)do_run(release, start_ms);
  return outcome_;
}

bool Engine::do_run(const Release& release, uint64_t start_ms) {
  const Policy& policy = *policy_;
  // 1. Device, boot log, slot.
  enter(State::kChecking);
  reporter_.on_step(Step::kConnect, 0);
  DeviceId device;
  if (const TargetError e = target_.open(device); e != TargetError::kOk) {
    return fail(target_failure(FailReason::kNoDevice, e));
  }
  reporter_.on_step_done(Step::kConnect);
  reporter_.on_device(device);
  plan_.device = device;
  BootState boot;
  if (const TargetError e = target_.read_boot_state(boot); e != TargetError::kOk) {
    return fail(target_failure(FailReason::kBootLog, e));
  }
  flash_map::Slot slot = boot.install_slot;
  if (policy.slot == SlotChoice::kA) slot = flash_map::Slot::kA;
  if (policy.slot == SlotChoice::kB) slot = flash_map::Slot::kB;
  plan_.target_slot = slot;
  plan_.running_slot = flash_map::other_slot(slot);
  plan_.running = boot.slots[static_cast<unsigned>(plan_.running_slot)];
  outcome_.slot = slot;
  Source* source = release.image[static_cast<unsigned>(slot)];
  if (source == nullptr) return fail(FailReason::kNoImageForSlot);
  // 2. The release against the device and the policy: header first, before anything is erased.
  if (!fetch_header(*source) || !check_header(boot)) return false;
  outcome_.version = header_.version;
  uint32_t offset = static_cast<uint32_t>(kImageHeaderSize);
  // Stopped after the commit (an agent killed or a host that lost power before the reboot, or
  // while the image ran on trial, which the next probe interrupts): the slot holds this very
  // image, committed, with boot attempts left, and the resume point went with the commit. Resume
  // as if only the header were left to write: nothing is erased or streamed again; the new TRIAL
  // record gives the image its attempts anew.
  const bootcore::SlotInfo& committed = boot.slots[static_cast<unsigned>(slot)];
  const bool committed_already = !streaming_ && committed.state == bootcore::SlotState::kTrial &&
                                 committed.attempts < committed.max_attempts &&
                                 committed.header.payload_sha256 == header_.payload_sha256;
  if (committed_already) {
    reporter_.on_note(Note::kCommittedAlready, slot);
    progress_.phase = ProgressPhase::kWritten;
    offset = image_size_;
  }
  const bool resuming = committed_already || (streaming_ ? try_resume_stream(*source, offset)
                                                         : try_resume(*source, device, offset));
  if (state_ == State::kFailed) return false;
  if (!resuming || streaming_) {
    progress_ = Progress{};
    progress_.release = sha256(header_bytes_);
    const char* etag = source->etag();
    for (size_t i = 0; i + 1 < kEtagSize && etag[i] != '\0'; ++i) progress_.etag[i] = etag[i];
    progress_.device_uid = device.uid;
    progress_.slot = slot;
    progress_.image_size = image_size_;
    const uint32_t address = flash_map::slot_address(slot);
    plan_.first_sector = static_cast<unsigned>(flash_map::sector_of(address));
    plan_.sector_count = static_cast<unsigned>(flash_map::sector_of(address + image_size_ - 1)) -
                         plan_.first_sector + 1;
  }
  plan_.image = header_;
  plan_.image_bytes = image_size_;
  plan_.resuming = resuming;
  plan_.resume_offset = offset;
  outcome_.resumed = resuming;
  outcome_.resumed_from = offset;
  reporter_.on_plan(plan_);
  // 3. Erase (unless resuming past it; a streaming target erases by itself), stream, verify.
  const TargetError prepared =
      streaming_
          ? target_.begin_image(slot, std::span<const uint8_t, kImageHeaderSize>(header_bytes_),
                                offset - static_cast<uint32_t>(kImageHeaderSize))
          : target_.begin_write();
  if (const TargetError e = prepared; e != TargetError::kOk) {
    return fail(target_failure(FailReason::kPrepareFailed, e));
  }
  if (!resuming && !streaming_) {
    enter(State::kFlashing);
    if (!erase(slot)) return false;
    save_progress(ProgressPhase::kErased, offset, true);
  }
  enter(State::kDownloading);
  reporter_.on_step(Step::kWrite, image_size_);
  reporter_.on_progress(Step::kWrite, offset - static_cast<uint32_t>(kImageHeaderSize),
                        image_size_);
  if (progress_.phase != ProgressPhase::kWritten || !resuming || streaming_) {
    if (!stream(*source, offset)) {
      // Keep what is durably written for the next run (a link or network failure, a stop).
      const FailReason reason = outcome_.failure.reason;
      if ((reason == FailReason::kCancelled || reason == FailReason::kWriteFailed ||
           reason == FailReason::kSourceFailed) &&
          written_end_ < image_size_) {
        save_progress(ProgressPhase::kWriting, written_end_, true);
      }
      return false;
    }
    enter(State::kVerifying);
    if (!verify_payload()) return false;
    save_progress(ProgressPhase::kWritten, image_size_, true);
  } else {
    enter(State::kVerifying);
  }
  // The header goes last: until now the slot held no valid header, so a cut write never looks
  // like an image.
  if (!write_header()) return false;
  reporter_.on_step_done(Step::kWrite);
  // A streaming target has no raw read; its device reads the whole image back and checks CRC-32
  // and SHA-256 at commit, which covers what a read-back would.
  if (policy.readback && !streaming_ && !readback(*source)) return false;
  // 4. Commit and boot.
  if (!stop_point()) return false;
  enter(State::kCommitting);
  reporter_.on_step(Step::kCommit, 0);
  if (const TargetError e = target_.commit(slot, header_); e != TargetError::kOk) {
    return fail(target_failure(FailReason::kCommitFailed, e));
  }
  reporter_.on_step_done(Step::kCommit);
  clear_progress();
  enter(State::kRebooting);
  if (const TargetError e = target_.reboot(); e != TargetError::kOk) {
    return fail(target_failure(FailReason::kRebootFailed, e));
  }
  outcome_.flash_ms = clock_.now_ms() - start_ms;
  outcome_.state = State::kTrial;
  enter(State::kTrial);
  if (!policy.wait_outcome) return true;
  return observe();
}

}  // namespace fota::update
