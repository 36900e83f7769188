// SPDX-License-Identifier: Apache-2.0
#include "update/flash_log.h"

#include "bootcore/trust.h"

namespace fota::update {

bootcore::LogStatus read_boot_state(bootcore::Flash& flash, bootcore::MetaLog& log,
                                    BootState& out) {
  if (const auto status = log.load(); status != bootcore::LogStatus::kOk) return status;
  for (unsigned s = 0; s < flash_map::kSlotCount; ++s) {
    out.slots[s] = bootcore::slot_info(flash, log, static_cast<flash_map::Slot>(s));
  }
  out.install_slot = bootcore::install_slot(flash, log);
  // A valid key block means the secure bootloader (provisioning writes both): it enforces the
  // floor.
  if (bootcore::read_key_block(flash).ok()) out.security_floor = log.state().security_floor;
  return bootcore::LogStatus::kOk;
}

}  // namespace fota::update
