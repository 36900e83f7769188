// SPDX-License-Identifier: Apache-2.0
#include "provision.h"

#include <fmt/format.h>

#include <algorithm>

#include "an3155/rom_flash.h"
#include "format/flash_map.h"

namespace fota::cli {
namespace {

using an3155::Status;

std::string rom_error(an3155::Bootloader& rom, Status status) {
  return fmt::format("{} (command: {})", an3155::to_string(status),
                     an3155::to_string(rom.last_opcode()));
}

constexpr const char* kReadoutProtected =
    "the device is readout-protected (RDP level 1): its ROM bootloader refuses memory commands, "
    "so it cannot be provisioned (or checked) through the ROM any more. Update it through the "
    "native path; only AN3155 Readout Unprotect (it mass-erases the whole flash) makes it "
    "provisionable again";

// True when flash at `address` holds `expected`; stops at the first differing chunk.
Expected<bool> holds(an3155::Bootloader& rom, uint32_t address, std::span<const uint8_t> expected) {
  uint8_t chunk[an3155::kMaxBlock];
  for (size_t off = 0; off < expected.size(); off += sizeof chunk) {
    const size_t n = std::min(sizeof chunk, expected.size() - off);
    const uint32_t at = address + static_cast<uint32_t>(off);
    const Status status = an3155::read_checked(rom, at, {chunk, n}, true);
    if (status == Status::kProtected) return fail(kReadoutProtected);
    if (status != Status::kOk) {
      return fail(fmt::format("cannot read back 0x{:08X}: {}", at, rom_error(rom, status)));
    }
    if (!std::equal(chunk, chunk + n, expected.begin() + static_cast<long>(off))) return false;
  }
  return true;
}

Expected<void> write_region(an3155::Bootloader& rom, uint32_t address,
                            std::span<const uint16_t> sectors, std::span<const uint8_t> data,
                            const std::string& what) {
  if (const Status status = rom.extended_erase(sectors); status != Status::kOk) {
    if (status == Status::kNack) {
      return fail(
          fmt::format("erasing the sectors of the {} was refused (NACK): are they "
                      "write-protected?",
                      what));
    }
    return fail(fmt::format("cannot erase the {}'s sectors: {}", what, rom_error(rom, status)));
  }
  for (size_t off = 0; off < data.size(); off += an3155::kMaxBlock) {
    const size_t n = std::min(an3155::kMaxBlock, data.size() - off);
    const uint32_t at = address + static_cast<uint32_t>(off);
    const Status status = rom.write_memory(at, data.subspan(off, n));
    if (status != Status::kOk) {
      return fail(
          fmt::format("cannot write the {} at 0x{:08X}: {}", what, at, rom_error(rom, status)));
    }
  }
  auto same = holds(rom, address, data);
  if (!same) return same.failure();
  if (!*same) return fail(fmt::format("the {} read back differs from what was written", what));
  return {};
}

}  // namespace

Expected<void> check_bootloader_image(std::span<const uint8_t> image, const std::string& name) {
  if (image.size() >= 4 && image[0] == 0x7F && image[1] == 'E' && image[2] == 'L' &&
      image[3] == 'F') {
    return fail(
        fmt::format("{} is not a bootloader binary for 0x08000000 but an ELF file: give "
                    "the raw .bin (arm-none-eabi-objcopy -O binary)",
                    name));
  }
  if (image.size() < 8) {
    return fail(fmt::format("{} is {} bytes: too short for a vector table", name, image.size()));
  }
  if (image.size() > kBootloaderMaxSize) {
    return fail(
        fmt::format("{} is {} bytes: the bootloader must fit sectors 0-1 ({} bytes; "
                    "sector 2 holds the key block)",
                    name, image.size(), kBootloaderMaxSize));
  }
  auto word = [&](size_t at) {
    return static_cast<uint32_t>(image[at] | image[at + 1] << 8 | image[at + 2] << 16 |
                                 static_cast<uint32_t>(image[at + 3]) << 24);
  };
  const uint32_t sp = word(0);
  const uint32_t reset = word(4);
  const bool sp_ok =
      (sp > 0x2000'0000 && sp <= 0x2002'0000) || (sp > 0x1000'0000 && sp <= 0x1001'0000);
  if (!sp_ok) {
    return fail(
        fmt::format("{} is not a bootloader binary for 0x08000000: initial stack pointer "
                    "0x{:08X} is not in SRAM (an .elf or a slot image?)",
                    name, sp));
  }
  if ((reset & 1u) == 0 || reset < flash_map::kFlashBase ||
      reset >= flash_map::kFlashBase + kBootloaderMaxSize) {
    return fail(
        fmt::format("{} is not a bootloader binary for 0x08000000: reset vector 0x{:08X} "
                    "is not Thumb code in sectors 0-1",
                    name, reset));
  }
  return {};
}

Expected<OptionBytes> read_option_bytes(an3155::Bootloader& rom) {
  uint8_t bytes[16];
  const Status status = an3155::read_checked(rom, kOptionBytesAddress, bytes, true);
  if (status == Status::kProtected) return fail(kReadoutProtected);
  if (status != Status::kOk) {
    return fail("cannot read the option bytes: " + rom_error(rom, status));
  }
  OptionBytes out;
  out.rdp = bytes[1];
  out.nwrp = static_cast<uint16_t>((bytes[8] | bytes[9] << 8) & 0x0FFF);
  return out;
}

Expected<ProvisionReport> provision(an3155::Bootloader& rom, const ProvisionRequest& request,
                                    const std::function<void(const std::string&)>& say) {
  FOTA_TRY_EXPECTED(check_bootloader_image(request.bootloader, "the bootloader"));
  if (request.keys.empty() || request.keys.size() > bootcore::kMaxTrustedKeys) {
    return fail(fmt::format("{} public keys given: the key block holds 1 or 2 (current, next)",
                            request.keys.size()));
  }
  if (request.keys.size() == 2 && request.keys[0] == request.keys[1]) {
    return fail("the same public key was given twice (current and next must differ)");
  }
  ProvisionReport report;
  auto before = read_option_bytes(rom);
  if (!before) return before.failure();
  report.before = *before;
  if (before->rdp_level() == 2)
    return fail("the device is at RDP level 2: it can never be changed");
  if (!before->level0()) return fail(kReadoutProtected);

  std::vector<uint8_t> bootloader = request.bootloader;
  bootloader.resize((bootloader.size() + 3) & ~size_t{3}, 0xFF);
  const auto key_block = bootcore::encode_key_block(request.keys);

  auto has_bootloader = holds(rom, flash_map::kFlashBase, bootloader);
  if (!has_bootloader) return has_bootloader.failure();
  auto has_keys = holds(rom, bootcore::kKeyBlockAddress, key_block);
  if (!has_keys) return has_keys.failure();
  const bool any_protected =
      std::any_of(std::begin(kProvisionedSectors), std::end(kProvisionedSectors),
                  [&](uint8_t s) { return before->write_protected(s); });
  if (any_protected && (!*has_bootloader || !*has_keys)) {
    return fail(fmt::format(
        "sectors 0-2 are already write-protected (nWRP 0x{:03X}) and hold {} than requested: the "
        "device was provisioned before with other contents. Nothing was changed. To re-provision "
        "on purpose, lift the write protection first (AN3155 Write Unprotect, e.g. stm32flash -u)",
        before->nwrp, !*has_bootloader ? "another bootloader" : "another key block"));
  }

  if (!*has_bootloader || !*has_keys) {
    // x32: erase and program four times faster than the ROM's x8 default (2.7-3.6 V supply).
    const Status status = rom.set_parallelism(an3155::Parallelism::kX32);
    if (status != Status::kOk) {
      return fail("cannot set the ROM's parallelism: " + rom_error(rom, status));
    }
  }
  if (*has_bootloader) {
    say(fmt::format("bootloader: already on the device ({} bytes), not rewritten",
                    bootloader.size()));
  } else {
    const uint16_t sectors[] = {0, 1};
    FOTA_TRY_EXPECTED(write_region(rom, flash_map::kFlashBase, sectors, bootloader, "bootloader"));
    report.bootloader_written = true;
    say(fmt::format("bootloader: {} bytes written to 0x08000000 and read back", bootloader.size()));
  }
  if (*has_keys) {
    say("key block: already on the device, not rewritten");
  } else {
    const uint16_t sectors[] = {bootcore::kKeyBlockSector};
    FOTA_TRY_EXPECTED(
        write_region(rom, bootcore::kKeyBlockAddress, sectors, key_block, "key block"));
    report.key_block_written = true;
    say(fmt::format("key block: {} key(s) written to 0x{:08X} and read back", request.keys.size(),
                    bootcore::kKeyBlockAddress));
  }

  OptionBytes now = *before;
  if (!any_protected || !std::all_of(std::begin(kProvisionedSectors), std::end(kProvisionedSectors),
                                     [&](uint8_t s) { return now.write_protected(s); })) {
    Status status = rom.write_protect(kProvisionedSectors);
    if (status != Status::kOk) return fail("Write Protect failed: " + rom_error(rom, status));
    status = rom.reconnect_after_reset();
    if (status != Status::kOk) {
      return fail("the ROM did not come back after Write Protect reset the chip: " +
                  rom_error(rom, status));
    }
    auto after = read_option_bytes(rom);
    if (!after) return after.failure();
    now = *after;
    for (uint8_t s : kProvisionedSectors) {
      if (!now.write_protected(s)) {
        return fail(
            fmt::format("Write Protect was acknowledged but sector {} is not protected "
                        "(nWRP 0x{:03X})",
                        s, now.nwrp));
      }
    }
    report.write_protect_set = true;
    say(fmt::format("write protection: sectors 0-2 (nWRP 0x{:03X})", now.nwrp));
  } else {
    say(fmt::format("write protection: sectors 0-2 already protected (nWRP 0x{:03X})", now.nwrp));
  }
  report.after = now;

  if (request.rdp1) {
    Status status = rom.readout_protect();
    if (status != Status::kOk) return fail("Readout Protect failed: " + rom_error(rom, status));
    status = rom.reconnect_after_reset();
    if (status != Status::kOk) {
      return fail("the ROM did not come back after Readout Protect reset the chip: " +
                  rom_error(rom, status));
    }
    // The proof: the ROM now refuses to read.
    uint8_t probe[4];
    status = an3155::read_checked(rom, kOptionBytesAddress, probe, false);
    if (status != Status::kProtected) {
      return fail(
          fmt::format("Readout Protect was acknowledged but the ROM still answers Read "
                      "Memory ({})",
                      an3155::to_string(status)));
    }
    report.readout_protect_set = true;
    report.after.rdp = 0x55;
    say("readout protection: level 1 (the ROM now refuses Read Memory)");
  }
  return report;
}

}  // namespace fota::cli
