// SPDX-License-Identifier: Apache-2.0
#include "bootcore/flash.h"

namespace fota::bootcore {

const char* to_string(FlashStatus status) {
  switch (status) {
    case FlashStatus::kOk: return "ok";
    case FlashStatus::kOutOfRange: return "flash address or sector out of range";
    case FlashStatus::kMisaligned: return "flash program address not word-aligned";
    case FlashStatus::kProgramError: return "flash program failed";
    case FlashStatus::kEraseError: return "flash erase failed";
    case FlashStatus::kWriteProtected: return "flash is write-protected";
    case FlashStatus::kTimeout: return "flash operation timed out";
    case FlashStatus::kIoError: return "flash I/O error (transport)";
    case FlashStatus::kUnsupported: return "flash operation not supported";
  }
  return "unknown flash status";
}

}  // namespace fota::bootcore
