// SPDX-License-Identifier: Apache-2.0
#include "bootcore/decision.h"

namespace fota::bootcore {

SlotState effective_state(const SlotView& v) {
  if (!v.header_ok || !v.newest.present || v.newest.record.image_crc32 != v.payload_crc32) {
    return SlotState::kNone;
  }
  switch (v.newest.record.state) {
    case RecordState::kTrial: return SlotState::kTrial;
    case RecordState::kConfirmed: return SlotState::kConfirmed;
    case RecordState::kRejected: return SlotState::kRejected;
  }
  return SlotState::kNone;
}

const char* to_string(SlotState state) {
  switch (state) {
    case SlotState::kNone: return "none";
    case SlotState::kTrial: return "trial";
    case SlotState::kConfirmed: return "confirmed";
    case SlotState::kRejected: return "rejected";
  }
  return "?";
}

const char* to_string(Action action) {
  switch (action) {
    case Action::kVerify: return "verify";
    case Action::kReject: return "reject";
    case Action::kBootTrial: return "trial";
    case Action::kBootConfirmed: return "confirmed";
    case Action::kBootLastResort: return "last-resort";
    case Action::kNoImage: return "none";
  }
  return "?";
}

const char* to_string(Row row) {
  switch (row) {
    case Row::kTrialExhausted: return "trial attempts exhausted";
    case Row::kTrialVerify: return "verify trial image";
    case Row::kTrialInvalid: return "trial image invalid";
    case Row::kTrialBoot: return "trial boot";
    case Row::kConfirmedVerify: return "verify confirmed image";
    case Row::kConfirmedBoot: return "confirmed image";
    case Row::kUnknownVerify: return "verify unrecorded image";
    case Row::kUnknownBoot: return "no record for image: trial";
    case Row::kLastResortVerify: return "verify rejected image";
    case Row::kLastResortBoot: return "only rejected images left";
    case Row::kNoImage: return "no valid image";
  }
  return "?";
}

}  // namespace fota::bootcore
