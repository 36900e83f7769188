// SPDX-License-Identifier: Apache-2.0
// What the engine tells the outside world: every state change, the plan, per-step progress and a
// few notes. The CLI turns this into bars / JSON lines; the agent into MQTT status messages. All
// callbacks are optional except on_state; they must not call back into the engine.
#pragma once

#include <cstdint>

#include "format/image_header.h"
#include "update/source.h"
#include "update/state.h"
#include "update/target.h"

namespace fota::update {

// Finer-grained than State, for progress bars.
enum class Step : uint8_t {
  kConnect = 0,  // open + identify
  kErase,        // total = bytes of the sectors erased
  kWrite,        // total = image bytes (from the resume point when resuming)
  kResumeCheck,  // read-back of the written tail before resuming
  kReadback,     // optional read-back of the whole image
  kCommit,
  kOutcome,
};

const char* to_string(Step step);

struct Plan {
  DeviceId device;
  flash_map::Slot running_slot = flash_map::Slot::kA;  // the slot not written
  bootcore::SlotInfo running;                          // its header and log state
  flash_map::Slot target_slot = flash_map::Slot::kB;
  ImageHeader image;           // header of the new image (checked)
  uint32_t image_bytes = 0;    // header + payload, padded to 4
  bool resuming = false;       // continues a previous run of the same release
  uint32_t resume_offset = 0;  // image offset it continues from
  unsigned first_sector = 0;   // sectors erased (count 0 when resuming past the erase)
  unsigned sector_count = 0;
};

// Details of a failure; which fields mean something depends on `reason`.
struct Failure {
  FailReason reason = FailReason::kNone;
  TargetError target = TargetError::kOk;    // for device failures
  SourceStatus source = SourceStatus::kOk;  // for kSourceFailed / kTruncated / kReleaseChanged
  HeaderError header = HeaderError::kOk;    // for kBadHeader / kPayloadMismatch
  uint32_t address = 0;                     // flash address of a failed write/read/mismatch
  unsigned sector = 0;                      // for kEraseFailed
  bootcore::SlotState slot_state = bootcore::SlotState::kNone;  // for kNoVerdict (kTrial)
  uint8_t attempts = 0;                                         // for kNoVerdict
};

enum class Note : uint8_t {
  kTrialReset,      // the image ran past confirm_timeout_ms without confirming: reset it
  kImageInvalid,    // the bootloader refused the new image (CRC-32/SHA-256 mismatch)
  kRevertSeen,      // a boot of the other slot was seen: reading the log to be sure
  kNoVerdictYet,    // nothing decisive before the deadline: reading the log
  kResumeRejected,  // a saved resume point did not hold (changed release, tail mismatch): restart
  kProgressSaveFailed,  // the ProgressStore failed: the update goes on, without resume
  kCommittedAlready,    // the slot holds this image committed, attempts left: no rewrite
};

const char* to_string(Note note);

class Reporter {
 public:
  // Every state change. `failure` is meaningful for kFailed (and carries the reason of kReverted
  // as kNone).
  virtual void on_state(State state, const Failure& failure) = 0;
  virtual void on_device(const DeviceId& /*device*/) {}
  virtual void on_plan(const Plan& /*plan*/) {}
  virtual void on_step(Step /*step*/, uint32_t /*total*/) {}
  virtual void on_progress(Step /*step*/, uint32_t /*done*/, uint32_t /*total*/) {}
  virtual void on_step_done(Step /*step*/) {}
  virtual void on_note(Note /*note*/, flash_map::Slot /*slot*/) {}

 protected:
  ~Reporter() = default;
};

}  // namespace fota::update
