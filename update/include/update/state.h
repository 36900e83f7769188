// SPDX-License-Identifier: Apache-2.0
// The update engine's states and the reasons it fails. Every change is reported (Reporter) and
// these names are what `fota flash --json`, the agent's MQTT status and `fota status` show.
#pragma once

#include <cstdint>

namespace fota::update {

// idle -> checking -> flashing (erase) -> downloading (Source -> Target, hashed on the fly)
//      -> verifying -> committing -> rebooting -> trial -> confirmed | reverted
// failed(reason) can follow any state before `trial`; trial without a verdict stays trial.
enum class State : uint8_t {
  kIdle = 0,
  kChecking,     // device identified, boot log read, header fetched and checked against policy
  kFlashing,     // erasing the sectors the image covers in the inactive slot
  kDownloading,  // streaming the image from the Source into the slot (header block last)
  kVerifying,    // whole image matched its header (CRC-32 + SHA-256), optional read-back
  kCommitting,   // TRIAL record appended to the boot log
  kRebooting,    // target left update mode and boots from flash
  kTrial,        // new image runs on trial (final when nobody waits for the verdict)
  kConfirmed,    // the application confirmed itself (only ever after its own confirmation)
  kReverted,     // the bootloader rejected the image and boots the previous one
  kFailed,       // see FailReason; the previous image still boots
};

const char* to_string(State state);

// Why the engine stopped in kFailed (or kReverted / no verdict for the outcome reasons).
enum class FailReason : uint8_t {
  kNone = 0,
  // Release refused before anything is erased.
  kNoImageForSlot,  // the release has no image for the slot that must be written
  kSourceFailed,    // the Source could not deliver bytes (I/O, HTTP error)
  kTruncated,       // the Source ended before the image did (header or payload)
  kSourceTooLarge,  // the Source holds more bytes than the header says
  kBadHeader,       // header does not parse (see Failure::header)
  kWrongSlot,       // image linked for the other slot
  kWrongProduct,    // header product differs from the policy's / the running image's
  kNotNewer,        // version policy refuses this version
  kBelowFloor,      // major.minor below the device's anti-rollback floor (BootState)
  kUnsigned,        // policy requires a signature, image carries none
  kUnknownKey,      // signed with a key id the verifier does not know
  kBadSignature,    // ed25519 signature over header bytes [0, 128) does not verify
  kNoVerifier,      // policy requires a signature but no verifier is configured
  // Device.
  kNoDevice,          // Target::open failed (link, pins, sync, identification)
  kBootLog,           // the boot log could not be read
  kPrepareFailed,     // Target::begin_write failed (e.g. ROM parallelism)
  kEraseFailed,       // Target::erase_sector failed
  kWriteFailed,       // Target::write failed
  kReadFailed,        // Target::read failed (read-back / resume check)
  kPayloadMismatch,   // streamed payload does not match the header's size/CRC-32/SHA-256
  kReadbackMismatch,  // read-back differs from the image (Failure::address)
  kCommitFailed,      // appending TRIAL failed
  kRebootFailed,      // leaving update mode failed
  kReleaseChanged,    // the Source changed underneath (other ETag) during the update
  kCancelled,         // Engine::request_stop(): stopped at a safe point (resumable)
  // Outcome.
  kObserveFailed,      // the link was lost while waiting for the verdict
  kNoVerdict,          // still on trial when the outcome timeout passed
  kLogLost,            // the log no longer names the new image
  kOutcomeUnreadable,  // re-entering update mode to read the log failed
};

const char* to_string(FailReason reason);

// The failure came from the device side (a Target call failed: Failure::target and
// Target::last_error() say how), not from the release or the engine's checks.
[[nodiscard]] bool device_side(FailReason reason);

}  // namespace fota::update
