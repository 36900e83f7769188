// SPDX-License-Identifier: Apache-2.0
// Factory provisioning through ST's ROM bootloader (AN3155): the (secure) bootloader into sectors
// 0-1, the key block into sector 2, both read back, then nWRP on sectors 0-2 and optionally RDP
// level 1. Used by `fota provision` and by the on-target tests; docs/security.md ("Provisioning").
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "an3155/an3155.h"
#include "bootcore/trust.h"
#include "status/expected.h"

namespace fota::cli {

// The bootloader may use sectors 0-1; sector 2 holds the key block.
inline constexpr uint32_t kBootloaderMaxSize = 32 * 1024;
inline constexpr uint8_t kProvisionedSectors[] = {0, 1, 2};
inline constexpr uint32_t kOptionBytesAddress = 0x1FFF'C000;

struct OptionBytes {
  uint8_t rdp = 0xAA;      // 0xAA level 0, 0xCC level 2, anything else level 1
  uint16_t nwrp = 0x0FFF;  // bit i = 0: sector i write-protected
  bool level0() const { return rdp_level() == 0; }
  int rdp_level() const { return rdp == 0xAA ? 0 : rdp == 0xCC ? 2 : 1; }
  bool write_protected(unsigned sector) const { return (nwrp & (1u << sector)) == 0; }
};

struct ProvisionRequest {
  std::vector<uint8_t> bootloader;        // raw .bin for 0x0800'0000
  std::vector<bootcore::PublicKey> keys;  // 1 or 2: current, next
  bool rdp1 = false;                      // set readout protection level 1 at the end
};

struct ProvisionReport {
  bool bootloader_written = false;  // false: the device already held exactly this bootloader
  bool key_block_written = false;   // false: ... this key block
  bool write_protect_set = false;   // false: sectors 0-2 were already write-protected
  bool readout_protect_set = false;
  OptionBytes before;
  OptionBytes after;  // as read back (after RDP 1: not readable, `before` with RDP 1 assumed)
};

// A plausible Cortex-M image for 0x0800'0000 of at most kBootloaderMaxSize bytes: initial stack
// pointer in SRAM/CCM, reset vector (Thumb) inside sectors 0-1. `name` is used in messages.
Expected<void> check_bootloader_image(std::span<const uint8_t> image, const std::string& name);

// Reads the option bytes (USER/RDP, nWRP) with Read Memory. Fails with a sentence naming RDP when
// the ROM refuses the read (readout protection).
Expected<OptionBytes> read_option_bytes(an3155::Bootloader& rom);

// The whole factory step on a synced, identified ROM session (BOOT0 high, so that the resets the
// option-byte commands cause come back to the ROM). Idempotent: what is already there is not
// written again; a device already protected with other contents is refused untouched. `say`
// gets one line per step.
Expected<ProvisionReport> provision(an3155::Bootloader& rom, const ProvisionRequest& request,
                                    const std::function<void(const std::string&)>& say);

// What RDP level 1 means for updates; printed by `fota provision` and named in docs.
inline constexpr const char* kRdp1Consequence =
    "RDP level 1 disables the ROM bootloader's memory commands (Read/Write Memory, Erase, Go): "
    "this device can now only be updated through the native path of our bootloader (update "
    "mode); removing RDP 1 (AN3155 Readout Unprotect) mass-erases the whole flash";

}  // namespace fota::cli
