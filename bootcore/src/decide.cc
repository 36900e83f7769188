// SPDX-License-Identifier: Apache-2.0
// The boot decision (the bootloader's table, docs/bootloader.md); effective_state and the names
// are in decision.cc, which hosts use too.
#include "bootcore/decision.h"

namespace fota::bootcore {

namespace {

using flash_map::Slot;

constexpr Slot slot_at(unsigned i) {
  return i == 0 ? Slot::kA : Slot::kB;
}

MetaRecord record_for(const SlotView& v, Slot slot, RecordState state, RecordReason reason) {
  MetaRecord r;
  if (v.newest.present) r = v.newest.record;  // keeps max_attempts and attempts
  r.slot = slot;
  r.state = state;
  r.image_crc32 = v.payload_crc32;
  r.version = v.version;
  r.build = v.build;
  r.writer = RecordWriter::kBootloader;
  r.reason = reason;
  return r;
}

bool payload_enough(PayloadState p, bool need_sha) {
  return p == PayloadState::kFullOk || (!need_sha && p == PayloadState::kCrcOk);
}

Step step_for(Action action, Row row, Slot slot) {
  Step s;
  s.action = action;
  s.row = row;
  s.slot = slot;
  return s;
}

// A step that also appends a record for the slot's image.
Step step_appending(Action action, Row row, Slot slot, const SlotView& v, RecordState state,
                    RecordReason reason) {
  Step s = step_for(action, row, slot);
  s.append = true;
  s.record = record_for(v, slot, state, reason);
  return s;
}

Step verify(Slot slot, bool sha, Row row) {
  Step s = step_for(Action::kVerify, row, slot);
  s.with_sha = sha;
  return s;
}

// The order slots are considered in: slots whose image has an applicable record, newest record
// first; then images the log does not know, highest version first (A before B on a tie).
unsigned priority_order(const DecisionInput& in, unsigned order[flash_map::kSlotCount]) {
  unsigned n = 0;
  const SlotView& a = in.slots[0];
  const SlotView& b = in.slots[1];
  const bool ka = effective_state(a) != SlotState::kNone;
  const bool kb = effective_state(b) != SlotState::kNone;
  if (ka && kb) {
    const bool b_first = b.newest.record.sequence > a.newest.record.sequence;
    order[n++] = b_first ? 1 : 0;
    order[n++] = b_first ? 0 : 1;
    return n;
  }
  if (ka) order[n++] = 0;
  if (kb) order[n++] = 1;
  if (!ka && !kb) {
    const bool b_first = b.header_ok && (!a.header_ok || a.version < b.version ||
                                         (a.version == b.version && a.build < b.build));
    order[n++] = b_first ? 1 : 0;
    order[n++] = b_first ? 0 : 1;
  } else {
    order[n++] = ka ? 1 : 0;
  }
  return n;
}

}  // namespace

Step decide(const DecisionInput& in) {
  unsigned order[flash_map::kSlotCount];
  const unsigned n = priority_order(in, order);

  for (unsigned k = 0; k < n; ++k) {
    const unsigned i = order[k];
    const Slot slot = slot_at(i);
    const SlotView& v = in.slots[i];
    if (!v.header_ok || v.skip) continue;  // no image, or a record we could not write
    switch (effective_state(v)) {
      case SlotState::kTrial: {
        const MetaRecord& r = v.newest.record;
        if (r.attempts >= effective_max_attempts(r)) {
          return step_appending(Action::kReject, Row::kTrialExhausted, slot, v,
                                RecordState::kRejected, RecordReason::kAttemptsExhausted);
        }
        const bool need_sha = r.attempts == 0;  // first boot of a new image
        if (v.payload == PayloadState::kInvalid) {
          return step_appending(Action::kReject, Row::kTrialInvalid, slot, v,
                                RecordState::kRejected, v.invalid_reason);
        }
        if (!payload_enough(v.payload, need_sha)) return verify(slot, need_sha, Row::kTrialVerify);
        Step s = step_appending(Action::kBootTrial, Row::kTrialBoot, slot, v, RecordState::kTrial,
                                RecordReason::kTrialBoot);
        s.record.attempts = static_cast<uint8_t>(r.attempts + 1);
        return s;
      }
      case SlotState::kConfirmed: {
        if (v.payload == PayloadState::kInvalid) continue;  // damaged: try the other slot
        if (!payload_enough(v.payload, false)) return verify(slot, false, Row::kConfirmedVerify);
        return step_for(Action::kBootConfirmed, Row::kConfirmedBoot, slot);
      }
      case SlotState::kRejected: continue;
      case SlotState::kNone: {
        // An image the log does not know (empty/destroyed log, or the host's TRIAL record never
        // landed): boot it only on trial, so a bad one still reverts.
        if (v.payload == PayloadState::kInvalid) continue;
        if (!payload_enough(v.payload, true)) return verify(slot, true, Row::kUnknownVerify);
        Step s = step_appending(Action::kBootTrial, Row::kUnknownBoot, slot, v, RecordState::kTrial,
                                RecordReason::kRecovered);
        s.record.attempts = 1;
        s.record.max_attempts = 0;  // bootloader default
        return s;
      }
    }
  }

  // Last resort: an intact image that was rejected beats a device with nothing to run (the log
  // keeps saying REJECTED, so any newly installed image wins at once).
  for (unsigned k = 0; k < n; ++k) {
    const unsigned i = order[k];
    const SlotView& v = in.slots[i];
    if (!v.header_ok || effective_state(v) != SlotState::kRejected) continue;
    if (v.payload == PayloadState::kInvalid) continue;
    if (!payload_enough(v.payload, true)) return verify(slot_at(i), true, Row::kLastResortVerify);
    return step_for(Action::kBootLastResort, Row::kLastResortBoot, slot_at(i));
  }
  return Step{};
}

}  // namespace fota::bootcore
