// SPDX-License-Identifier: Apache-2.0
#include "stm32f407/flash_controller.h"

#include <cstring>

#include "format/flash_map.h"
#include "status/result.h"
#include "stm32f407/regs.h"

namespace fota::stm32 {

namespace {

using bootcore::FlashStatus;
namespace fc = flash_ctrl;

bool in_flash(uint32_t address, uint32_t size) {
  return address >= flash_map::kFlashBase && address <= flash_map::kFlashEnd &&
         size <= flash_map::kFlashEnd - address;
}

FlashStatus wait_idle(uint32_t polls) {
  while ((reg(fc::kSr) & fc::kSrBsy) != 0) {
    if (--polls == 0) return FlashStatus::kTimeout;
  }
  return FlashStatus::kOk;
}

// Error flags of the last operation (cleared on the way out: they are write-1-to-clear).
FlashStatus take_errors(FlashStatus kind) {
  const uint32_t sr = reg(fc::kSr) & fc::kSrErrors;
  if (sr == 0) return FlashStatus::kOk;
  reg(fc::kSr) = sr;
  return (sr & fc::kSrWrperr) != 0 ? FlashStatus::kWriteProtected : kind;
}

FlashStatus unlock() {
  return unlock_flash_cr() ? FlashStatus::kOk : FlashStatus::kWriteProtected;
}

void lock() {
  reg(fc::kCr) = fc::kCrLock;
}

FlashStatus start(FlashStatus kind) {
  FOTA_TRY(unlock());
  FOTA_TRY(wait_idle(FlashController::kErasePolls));
  (void)take_errors(kind);  // stale flags from before would fail the next operation
  return FlashStatus::kOk;
}

}  // namespace

bool unlock_flash_cr() {
  if ((reg(fc::kCr) & fc::kCrLock) == 0) return true;
  reg(fc::kKeyr) = fc::kKey1;
  reg(fc::kKeyr) = fc::kKey2;
  return (reg(fc::kCr) & fc::kCrLock) == 0;
}

void flush_flash_data_cache() {
  const uint32_t acr = reg(fc::kAcr);
  if ((acr & fc::kAcrDcen) == 0) return;
  reg(fc::kAcr) = acr & ~fc::kAcrDcen;
  reg(fc::kAcr) = (acr & ~fc::kAcrDcen) | fc::kAcrDcrst;
  reg(fc::kAcr) = acr & ~fc::kAcrDcrst;
}

FlashStatus FlashController::read(uint32_t address, std::span<uint8_t> out) {
  if (!in_flash(address, static_cast<uint32_t>(out.size()))) return FlashStatus::kOutOfRange;
  std::memcpy(out.data(), reinterpret_cast<const void*>(address), out.size());
  return FlashStatus::kOk;
}

const uint8_t* FlashController::mapped(uint32_t address, uint32_t size) {
  return in_flash(address, size) ? reinterpret_cast<const uint8_t*>(address) : nullptr;
}

FlashStatus FlashController::program_words(uint32_t address, std::span<const uint32_t> words) {
  if (!in_flash(address, static_cast<uint32_t>(words.size() * 4))) return FlashStatus::kOutOfRange;
  if (address % 4 != 0) return FlashStatus::kMisaligned;
  FOTA_TRY(start(FlashStatus::kProgramError));
  FlashStatus status = FlashStatus::kOk;
  reg(fc::kCr) = fc::kCrPsizeX32 | fc::kCrPg;
  for (size_t i = 0; i < words.size() && status == FlashStatus::kOk; ++i) {
    volatile uint32_t& cell = reg(address + 4 * static_cast<uint32_t>(i));
    const uint32_t expected = cell & words[i];
    cell = words[i];
    dsb();
    status = wait_idle(kProgramPolls);
    if (status == FlashStatus::kOk) status = take_errors(FlashStatus::kProgramError);
    // The read-back catches a write that did not stick (QEMU: flash is ROM, no controller).
    if (status == FlashStatus::kOk && cell != expected) status = FlashStatus::kProgramError;
  }
  reg(fc::kCr) = 0;
  lock();
  return status;
}

FlashStatus FlashController::erase_sector(unsigned sector) {
  if (sector >= flash_map::kSectorCount) return FlashStatus::kOutOfRange;
  FOTA_TRY(start(FlashStatus::kEraseError));
  reg(fc::kCr) = fc::kCrPsizeX32 | fc::kCrSer | (sector << fc::kCrSnbShift);
  reg(fc::kCr) = fc::kCrPsizeX32 | fc::kCrSer | (sector << fc::kCrSnbShift) | fc::kCrStrt;
  dsb();
  FlashStatus status = wait_idle(kErasePolls);
  if (status == FlashStatus::kOk) status = take_errors(FlashStatus::kEraseError);
  reg(fc::kCr) = 0;
  lock();
  flush_flash_data_cache();
  if (status != FlashStatus::kOk) return status;
  // Read back: an erase that did not happen must not be taken for one.
  const auto& s = flash_map::kSectors[sector];
  const volatile uint32_t* p = reinterpret_cast<const volatile uint32_t*>(s.address);
  for (uint32_t i = 0; i < s.size / 4; ++i) {
    if (p[i] != flash_map::kErasedWord) return FlashStatus::kEraseError;
  }
  return FlashStatus::kOk;
}

}  // namespace fota::stm32
