// SPDX-License-Identifier: Apache-2.0
// What runs on the STM32 only: the bootloader's boot flow (run_boot: the log, the slots' headers
// and payload checks fed to the decision table until it settles) and the application's confirm.
// The queries hosts use too (slot_info, install_slot, request_trial) are in boot.cc.
#include "bootcore/boot.h"
#include "slot_view.h"

namespace fota::bootcore {

namespace {

using flash_map::Slot;

constexpr unsigned kMaxSteps = 12;  // each step settles a payload or rejects a slot: <= 6 needed

void note_log_failure(BootOutcome& out, LogStatus status, const MetaLog& log) {
  if (out.log_status == LogStatus::kOk) {
    out.log_status = status;
    out.flash_status = log.flash_status();
  }
}

}  // namespace

BootOutcome run_boot(Flash& flash, MetaLog& log, Crc32Engine& crc) {
  return run_boot(flash, log, crc, BootPolicy{});
}

BootOutcome run_boot(Flash& flash, MetaLog& log, Crc32Engine& crc, const BootPolicy& policy) {
  BootOutcome out;
  const LogStatus loaded = log.load();
  bool log_usable = loaded == LogStatus::kOk;
  if (!log_usable) {
    // Unreadable log (the target never fails reads; a host transport might): decide from the
    // images alone and append nothing, rather than "repair" a log we could not read.
    note_log_failure(out, loaded, log);
  }
  out.log_empty = !log_usable || log.state().empty();

  std::array<SlotHeader, flash_map::kSlotCount> headers;
  DecisionInput in;
  for (unsigned i = 0; i < flash_map::kSlotCount; ++i) {
    const Slot slot = i == 0 ? Slot::kA : Slot::kB;
    headers[i] = read_slot_header(flash, slot);
    out.image_error[i] = headers[i].verdict.error;
    in.slots[i] = slot_view_of(headers[i]);
    if (log_usable) in.slots[i].newest = log.state().newest[i];
  }
  if (log_usable) out.security_floor = log.state().security_floor;
  std::array<bool, flash_map::kSlotCount> below_floor{};
  if (policy.anti_rollback) {
    for (unsigned i = 0; i < flash_map::kSlotCount; ++i) {
      SlotView& v = in.slots[i];
      if (!v.header_ok || security_level(v.version) >= out.security_floor) continue;
      // Never booted, not even as the last resort; a TRIAL of it is REJECTED. Reported when it
      // is a new image (TRIAL or unknown), or below when nothing boots: an older image left in
      // the other slot after an update is not news on every boot.
      below_floor[i] = true;
      v.payload = PayloadState::kInvalid;
      v.invalid_reason = RecordReason::kBelowFloor;
      const SlotState state = effective_state(v);
      if (state == SlotState::kTrial || state == SlotState::kNone) {
        out.refused[i] = TrustStatus::kBelowFloor;
      }
    }
  }

  for (unsigned n = 0; n < kMaxSteps; ++n) {
    const Step step = decide(in);
    out.steps = n + 1;
    const unsigned i = static_cast<unsigned>(step.slot);
    SlotView& v = in.slots[i];
    switch (step.action) {
      case Action::kVerify: {
        const ImageVerdict verdict =
            check_slot_payload(flash, step.slot, headers[i].header, crc, step.with_sha);
        v.payload = verdict.ok() ? (step.with_sha ? PayloadState::kFullOk : PayloadState::kCrcOk)
                                 : PayloadState::kInvalid;
        if (!verdict.ok()) out.image_error[i] = verdict.error;
        if (verdict.ok() && step.with_sha && policy.keys != nullptr) {
          // Every check with SHA-256 is a first boot (new or unknown image, or last resort):
          // that is when the signature is checked too.
          const TrustStatus trust =
              check_image_signature(flash, step.slot, headers[i].header, *policy.keys);
          if (trust != TrustStatus::kOk) {
            v.payload = PayloadState::kInvalid;
            v.invalid_reason = RecordReason::kUntrusted;
            out.refused[i] = trust;
          }
        }
        break;
      }
      case Action::kReject: {
        out.rejected[i] = step.record.reason;
        const LogStatus st = log_usable ? log.append(step.record) : LogStatus::kNotLoaded;
        if (st == LogStatus::kOk) {
          v.newest = log.state().newest[i];
        } else {
          note_log_failure(out, st, log);
          v.skip = true;  // not rejected on flash, but not booted either
          log_usable = log_usable && log.load() == LogStatus::kOk;
        }
        break;
      }
      case Action::kBootTrial:
      case Action::kBootConfirmed:
      case Action::kBootLastResort: {
        if (step.append && log_usable) {
          const LogStatus st = log.append(step.record);
          if (st != LogStatus::kOk) {
            // The attempt could not be counted. Booting an intact image still beats not booting;
            // the failure is reported on the boot line.
            note_log_failure(out, st, log);
          }
        }
        out.action = step.action;
        out.row = step.row;
        out.slot = step.slot;
        out.header = headers[i].header;
        if (step.action == Action::kBootTrial) {
          out.attempt = step.record.attempts;
          out.max_attempts = effective_max_attempts(step.record);
        }
        return out;
      }
      case Action::kNoImage:
        out.action = Action::kNoImage;
        out.row = Row::kNoImage;
        for (unsigned k = 0; k < flash_map::kSlotCount; ++k) {
          if (below_floor[k]) out.refused[k] = TrustStatus::kBelowFloor;
        }
        return out;
    }
  }
  out.action = Action::kNoImage;  // unreachable: every step settles a payload or a slot
  return out;
}

const char* to_string(ConfirmStatus status) {
  switch (status) {
    case ConfirmStatus::kConfirmed: return "confirmed";
    case ConfirmStatus::kAlreadyConfirmed: return "already confirmed";
    case ConfirmStatus::kNoImage: return "no valid image header in slot";
    case ConfirmStatus::kLogError: return "metadata log error";
  }
  return "?";
}

ConfirmStatus confirm(Flash& flash, MetaLog& log, Slot slot, RecordWriter writer) {
  const SlotHeader h = read_slot_header(flash, slot);
  if (!h.verdict.ok()) return ConfirmStatus::kNoImage;
  if (log.load() != LogStatus::kOk) return ConfirmStatus::kLogError;
  SlotView v = slot_view_of(h);
  v.newest = log.state().of(slot);
  const SlotState state = effective_state(v);
  if (state == SlotState::kConfirmed) return ConfirmStatus::kAlreadyConfirmed;
  MetaRecord r;
  if (state == SlotState::kTrial) r = v.newest.record;  // keeps attempts for the record
  r.slot = slot;
  r.state = RecordState::kConfirmed;
  r.image_crc32 = v.payload_crc32;
  r.version = v.version;
  r.build = v.build;
  r.writer = writer;
  r.reason = RecordReason::kSelfTestPassed;
  // The anti-rollback floor rises to this image's level, here and only here (raising it at trial
  // would lock a failing update out of the image it reverts to). append() never lowers it.
  const uint16_t level = security_level(v.version);
  const uint16_t floor = log.state().security_floor;
  r.security_floor = level > floor ? level : floor;
  return log.append(r) == LogStatus::kOk ? ConfirmStatus::kConfirmed : ConfirmStatus::kLogError;
}

}  // namespace fota::bootcore
