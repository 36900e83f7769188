// SPDX-License-Identifier: Apache-2.0
// Names of the engine's enums: stable, lower-case, used in JSON and MQTT status messages.
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
  switch (state) {
    case State::kIdle: return "idle";
    case State::kChecking: return "checking";
    case State::kFlashing: return "flashing";
    case State::kDownloading: return "downloading";
    case State::kVerifying: return "verifying";
    case State::kCommitting: return "committing";
    case State::kRebooting: return "rebooting";
    case State::kTrial: return "trial";
    case State::kConfirmed: return "confirmed";
    case State::kReverted: return "reverted";
    case State::kFailed: return "failed";
  }
  return "unknown";
}

const char* to_string(FailReason reason) {
  switch (reason) {
    case FailReason::kNone: return "none";
    case FailReason::kNoImageForSlot: return "no-image-for-slot";
    case FailReason::kSourceFailed: return "source-failed";
    case FailReason::kTruncated: return "truncated";
    case FailReason::kSourceTooLarge: return "source-too-large";
    case FailReason::kBadHeader: return "bad-header";
    case FailReason::kWrongSlot: return "wrong-slot";
    case FailReason::kWrongProduct: return "wrong-product";
    case FailReason::kNotNewer: return "not-newer";
    case FailReason::kBelowFloor: return "below-floor";
    case FailReason::kUnsigned: return "unsigned";
    case FailReason::kUnknownKey: return "unknown-key";
    case FailReason::kBadSignature: return "bad-signature";
    case FailReason::kNoVerifier: return "no-verifier";
    case FailReason::kNoDevice: return "no-device";
    case FailReason::kBootLog: return "boot-log";
    case FailReason::kPrepareFailed: return "prepare-failed";
    case FailReason::kEraseFailed: return "erase-failed";
    case FailReason::kWriteFailed: return "write-failed";
    case FailReason::kReadFailed: return "read-failed";
    case FailReason::kPayloadMismatch: return "payload-mismatch";
    case FailReason::kReadbackMismatch: return "readback-mismatch";
    case FailReason::kCommitFailed: return "commit-failed";
    case FailReason::kRebootFailed: return "reboot-failed";
    case FailReason::kReleaseChanged: return "release-changed";
    case FailReason::kCancelled: return "cancelled";
    case FailReason::kObserveFailed: return "observe-failed";
    case FailReason::kNoVerdict: return "no-verdict";
    case FailReason::kLogLost: return "log-lost";
    case FailReason::kOutcomeUnreadable: return "outcome-unreadable";
  }
  return "unknown";
}

const char* to_string(SourceStatus status) {
  switch (status) {
    case SourceStatus::kOk: return "ok";
    case SourceStatus::kEnd: return "end of data";
    case SourceStatus::kIoError: return "read error";
    case SourceStatus::kChanged: return "changed underneath";
  }
  return "unknown";
}

const char* to_string(TargetError error) {
  switch (error) {
    case TargetError::kOk: return "ok";
    case TargetError::kLink: return "link failed";
    case TargetError::kTimeout: return "timeout";
    case TargetError::kRefused: return "refused";
    case TargetError::kWrongDevice: return "wrong device";
    case TargetError::kBadArgument: return "bad argument";
    case TargetError::kLogError: return "boot log error";
    case TargetError::kUnsupported: return "unsupported";
  }
  return "unknown";
}

bool device_side(FailReason reason) {
  switch (reason) {
    // Reaching the device and reading its log.
    case FailReason::kNoDevice:
    case FailReason::kBootLog:
    case FailReason::kObserveFailed:
    case FailReason::kOutcomeUnreadable:
    // Its flash operations.
    case FailReason::kPrepareFailed:
    case FailReason::kEraseFailed:
    case FailReason::kWriteFailed:
    case FailReason::kReadFailed:
    case FailReason::kCommitFailed:
    case FailReason::kRebootFailed: return true;
    default: return false;
  }
}

const char* to_string(SignatureStatus status) {
  switch (status) {
    case SignatureStatus::kOk: return "ok";
    case SignatureStatus::kUnknownKey: return "unknown key";
    case SignatureStatus::kBadSignature: return "bad signature";
  }
  return "unknown";
}

const char* to_string(ProgressError error) {
  switch (error) {
    case ProgressError::kOk: return "ok";
    case ProgressError::kTooShort: return "too short";
    case ProgressError::kBadMagic: return "not a progress record";
    case ProgressError::kBadVersion: return "unsupported version";
    case ProgressError::kBadCrc: return "CRC mismatch (torn or damaged)";
    case ProgressError::kBadField: return "field out of range";
  }
  return "unknown";
}

const char* to_string(StoreStatus status) {
  switch (status) {
    case StoreStatus::kOk: return "ok";
    case StoreStatus::kEmpty: return "empty";
    case StoreStatus::kCorrupt: return "corrupt";
    case StoreStatus::kIoError: return "I/O error";
  }
  return "unknown";
}

const char* to_string(Step step) {
  switch (step) {
    case Step::kConnect: return "connect";
    case Step::kErase: return "erase";
    case Step::kWrite: return "write";
    case Step::kResumeCheck: return "resume-check";
    case Step::kReadback: return "verify";
    case Step::kCommit: return "commit";
    case Step::kOutcome: return "outcome";
  }
  return "unknown";
}

const char* to_string(Note note) {
  switch (note) {
    case Note::kTrialReset: return "trial-reset";
    case Note::kImageInvalid: return "image-invalid";
    case Note::kRevertSeen: return "revert-seen";
    case Note::kNoVerdictYet: return "no-verdict-yet";
    case Note::kResumeRejected: return "resume-rejected";
    case Note::kProgressSaveFailed: return "progress-save-failed";
    case Note::kCommittedAlready: return "committed-already";
  }
  return "unknown";
}

}  // namespace fota::update
