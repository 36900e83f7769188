// SPDX-License-Identifier: Apache-2.0
// Names of the engine's enums: stable, lower-case, used in JSON and MQTT status messages.
#include "status/enum_name.h"
#include "update/progress.h"
#include "update/reporter.h"
#include "update/signature.h"
#include "update/source.h"
#include "update/state.h"
#include "update/target.h"

namespace fota::update {

UidText uid_text(const std::array<uint8_t, 12>& uid) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  UidText text{};
  for (size_t i = 0; i < uid.size(); ++i) {
    text[2 * i] = kDigits[uid[i] >> 4];
    text[2 * i + 1] = kDigits[uid[i] & 0xF];
  }
  return text;
}

const char* to_string(State state) {
  static constexpr const char* kStateNames[] = {
      "idle",      "checking", "flashing",  "downloading", "verifying", "committing",
      "rebooting", "trial",    "confirmed", "reverted",    "failed",
  };
  static_assert(enum_names_cover(State::kFailed, kStateNames));
  return enum_name(state, kStateNames);
}

const char* to_string(FailReason reason) {
  static constexpr const char* kFailReasonNames[] = {
      "none",
      "no-image-for-slot",
      "source-failed",
      "truncated",
      "source-too-large",
      "bad-header",
      "wrong-slot",
      "wrong-product",
      "not-newer",
      "below-floor",
      "unsigned",
      "unknown-key",
      "bad-signature",
      "no-verifier",
      "no-device",
      "boot-log",
      "prepare-failed",
      "erase-failed",
      "write-failed",
      "read-failed",
      "payload-mismatch",
      "readback-mismatch",
      "commit-failed",
      "reboot-failed",
      "release-changed",
      "cancelled",
      "observe-failed",
      "no-verdict",
      "log-lost",
      "outcome-unreadable",
  };
  static_assert(enum_names_cover(FailReason::kOutcomeUnreadable, kFailReasonNames));
  return enum_name(reason, kFailReasonNames);
}

const char* to_string(SourceStatus status) {
  static constexpr const char* kSourceStatusNames[] = {
      "ok",
      "end of data",
      "read error",
      "changed underneath",
  };
  static_assert(enum_names_cover(SourceStatus::kChanged, kSourceStatusNames));
  return enum_name(status, kSourceStatusNames);
}

const char* to_string(TargetError error) {
  static constexpr const char* kTargetErrorNames[] = {
      "ok",           "link failed",  "timeout",        "refused",
      "wrong device", "bad argument", "boot log error", "unsupported",
  };
  static_assert(enum_names_cover(TargetError::kUnsupported, kTargetErrorNames));
  return enum_name(error, kTargetErrorNames);
}

const char* to_string(SignatureStatus status) {
  static constexpr const char* kSignatureStatusNames[] = {
      "ok",
      "unknown key",
      "bad signature",
  };
  static_assert(enum_names_cover(SignatureStatus::kBadSignature, kSignatureStatusNames));
  return enum_name(status, kSignatureStatusNames);
}

const char* to_string(ProgressError error) {
  static constexpr const char* kProgressErrorNames[] = {
      "ok",
      "too short",
      "not a progress record",
      "unsupported version",
      "CRC mismatch (torn or damaged)",
      "field out of range",
  };
  static_assert(enum_names_cover(ProgressError::kBadField, kProgressErrorNames));
  return enum_name(error, kProgressErrorNames);
}

const char* to_string(StoreStatus status) {
  static constexpr const char* kStoreStatusNames[] = {
      "ok",
      "empty",
      "corrupt",
      "I/O error",
  };
  static_assert(enum_names_cover(StoreStatus::kIoError, kStoreStatusNames));
  return enum_name(status, kStoreStatusNames);
}

const char* to_string(Step step) {
  static constexpr const char* kStepNames[] = {
      "connect", "erase", "write", "resume-check", "verify", "commit", "outcome",
  };
  static_assert(enum_names_cover(Step::kOutcome, kStepNames));
  return enum_name(step, kStepNames);
}

const char* to_string(Note note) {
  static constexpr const char* kNoteNames[] = {
      "trial-reset",     "image-invalid",        "revert-seen",       "no-verdict-yet",
      "resume-rejected", "progress-save-failed", "committed-already",
  };
  static_assert(enum_names_cover(Note::kCommittedAlready, kNoteNames));
  return enum_name(note, kNoteNames);
}

}  // namespace fota::update
