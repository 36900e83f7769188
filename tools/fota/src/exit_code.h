// SPDX-License-Identifier: Apache-2.0
// Exit codes of `fota flash` and `fota info`, documented in docs/flashing.md ("Exit codes").
#pragma once

namespace fota::cli {

enum ExitCode : int {
  kExitOk = 0,
  kExitUsage = 1,         // bad command line
  kExitBadRelease = 2,    // release/image/file invalid: nothing was touched on the device
  kExitNoDevice = 3,      // port, pins, sync or identification failed: nothing was touched
  kExitFlashFailed = 4,   // link/NACK/timeout while erasing/writing/committing
  kExitVerifyFailed = 5,  // read-back differs from the image (--verify=readback)
  kExitReverted = 6,      // the new image did not confirm; the device runs the previous one
  kExitNoOutcome = 7,     // no outcome within --outcome-timeout (still on trial)
};

}  // namespace fota::cli
