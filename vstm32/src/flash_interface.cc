// SPDX-License-Identifier: Apache-2.0
// The flash memory interface: the cell operations shared by the controller and the ROM model
// (program, erase, torn states at a power cut, write-through to the file), the controller's
// programming rules for CPU stores, and its registers (FlashInterface, RM0090 section 3.9,
// DS8626 timings).
#include <unicorn/unicorn.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "format/flash_map.h"
#include "machine_impl.h"
#include "scs.h"

namespace vstm32 {

namespace fm = fota::flash_map;

// ---- flash cells (shared by the controller and the ROM) ----

void Machine::Impl::flash_changed(uint32_t address, uint32_t size) {
  const uint32_t off = address - kFlashBase;
  if (fd >= 0 && ::pwrite(fd, &flash[off], size, off) != static_cast<ssize_t>(size)) {
    event(MachineEvent::Kind::kInfo, "error: cannot write the flash file");
  }
  // Code that ran from the changed range, through 0x0800'0000 or the boot alias at 0, must be
  // translated again (a slot erased, reprogrammed and jumped to runs the new image).
  code_written(address, size);
  if (!boot0) code_written(off, size);
}

bool Machine::Impl::cell_program(uint32_t address, const uint8_t* data, unsigned size,
                                 uint64_t start_ps) {
  double fraction = 0;
  uint8_t* p = &flash[address - kFlashBase];
  if (cut_in_flash_op(start_ps, kProgramTypicalNs * kPsPerNs, fraction)) {
    // Torn program: some of the bits that had to go 1 -> 0 did, the others are still 1.
    for (unsigned i = 0; i < size; ++i) {
      p[i] &= static_cast<uint8_t>(data[i] | static_cast<uint8_t>(next_random()));
    }
    flash_changed(address, size);
    char text[96];
    std::snprintf(text, sizeof text, "flash program 0x%08X torn (power cut)", address);
    event(MachineEvent::Kind::kFlash, text);
    power_cut("during flash program step " + std::to_string(flash_steps),
              start_ps + static_cast<uint64_t>(fraction * kProgramTypicalNs * kPsPerNs));
    return false;
  }
  for (unsigned i = 0; i < size; ++i) p[i] &= data[i];
  flash_changed(address, size);
  if (program_run.ops != 0 && program_run.end == address) {
    program_run.end += size;
    ++program_run.ops;
  } else {
    flush_program_run();
    program_run = {address, address + size, 1, start_ps / kPsPerNs};
  }
  return true;
}

bool Machine::Impl::cell_erase(uint32_t address, uint32_t size, uint64_t start_ps,
                               uint64_t duration_ps, const std::string& what) {
  double fraction = 0;
  uint8_t* p = &flash[address - kFlashBase];
  if (cut_in_flash_op(start_ps, duration_ps, fraction)) {
    // Torn erase: our picture is the first `fraction` of the sector erased, the rest untouched
    // (silicon erases the whole array in pulses and can leave any mix; docs/vstm32.md says why
    // a prefix is the hard case for software that scans for the end of data).
    const uint32_t done = static_cast<uint32_t>(size * fraction) & ~3u;
    std::memset(p, 0xFF, done);
    flash_changed(address, size);
    event(MachineEvent::Kind::kFlash, what + " torn at " + std::to_string(done) + " bytes");
    power_cut("during flash erase step " + std::to_string(flash_steps),
              start_ps + static_cast<uint64_t>(fraction * static_cast<double>(duration_ps)));
    return false;
  }
  std::memset(p, 0xFF, size);
  flash_changed(address, size);
  event(MachineEvent::Kind::kFlash, what);
  return true;
}

// The core stalls on flash fetches while the flash is busy; code running from RAM goes on and
// sees BSY in FLASH_SR.
void Machine::Impl::flash_busy(uint64_t duration_ps) {
  const uint64_t now = now_ps();
  fctl.busy_until_ps = std::max(fctl.busy_until_ps, now) + duration_ps;
  uint32_t current_pc = pc;
  if (uc != nullptr && in_emulation) uc_reg_read(uc, UC_ARM_REG_PC, &current_pc);
  const bool from_flash =
      current_pc < kFlashSize || (current_pc >= kFlashBase && current_pc < kFlashBase + kFlashSize);
  if (from_flash) {
    add_stall_ps(fctl.busy_until_ps - now);
    if (fctl.eop_pending) {
      fctl.sr |= fsr::kEop;
      fctl.eop_pending = 0;
    }
  }
}

// ---- flash controller: a store to a flash address ----

void Machine::Impl::flash_store(uint32_t address, unsigned size, uint64_t value) {
  if (!powered || dying) return;
  auto error = [this](uint32_t flag) {
    fctl.sr |= flag;
    if (fctl.cr & fcr::kErrie) fctl.sr |= fsr::kOperr;
  };
  // A store while an operation is running waits for it (the bus stalls).
  if (now_ps() < fctl.busy_until_ps) add_stall_ps(fctl.busy_until_ps - now_ps());
  if (fctl.eop_pending) {
    fctl.sr |= fsr::kEop;
    fctl.eop_pending = 0;
  }
  const bool locked = (fctl.cr & fcr::kLock) != 0;
  if (locked || (fctl.cr & fcr::kPg) == 0 || (fctl.cr & (fcr::kSer | fcr::kMer)) != 0) {
    error(fsr::kPgserr);
    return;
  }
  if ((fctl.sr & (fsr::kPgaerr | fsr::kPgperr | fsr::kPgserr)) != 0) {
    // RM0090: programming is refused while a previous programming error is not cleared.
    error(fsr::kPgserr);
    return;
  }
  const unsigned psize_bytes = 1u << ((fctl.cr >> 8) & 3u);
  if ((address & 0xFu) + size > 16) {
    error(fsr::kPgaerr);  // the data would cross a 128-bit row
    return;
  }
  if (size != psize_bytes || (address % size) != 0) {
    error(fsr::kPgperr);
    return;
  }
  if (sector_protected(fm::sector_of(address))) {
    error(fsr::kWrperr);
    return;
  }
  uint8_t bytes[8];
  for (unsigned i = 0; i < size; ++i) bytes[i] = static_cast<uint8_t>(value >> (8 * i));
  const uint64_t duration = kProgramTypicalNs * kPsPerNs;
  if (!cell_program(address, bytes, size, now_ps())) return;
  if (fctl.cr & fcr::kEopie) fctl.eop_pending = fsr::kEop;
  flash_busy(duration);
}

void Machine::Impl::flash_start_operation() {
  auto error = [this](uint32_t flag) {
    fctl.sr |= flag;
    if (fctl.cr & fcr::kErrie) fctl.sr |= fsr::kOperr;
  };
  const bool ser = (fctl.cr & fcr::kSer) != 0;
  const bool mer = (fctl.cr & fcr::kMer) != 0;
  const unsigned psize = (fctl.cr >> 8) & 3u;
  fctl.cr &= ~fcr::kStrt;
  if (ser && mer) {
    error(fsr::kWrperr);
    return;
  }
  if (fctl.cr & fcr::kPg) {
    error(fsr::kPgserr);
    return;
  }
  if (ser) {
    const unsigned sector = (fctl.cr >> 3) & 0xFu;
    if (sector >= fm::kSectorCount) {
      error(fsr::kWrperr);  // SNB 12-15 do not exist on the 1 MB single-bank F407
      return;
    }
    if (sector_protected(sector)) {
      error(fsr::kWrperr);
      return;
    }
    const uint64_t d = sector_erase_typical_ns(sector, psize) * kPsPerNs;
    if (!cell_erase(fm::kSectors[sector].address, fm::kSectors[sector].size, now_ps(), d,
                    "flash erase sector=" + std::to_string(sector) +
                        " ms=" + std::to_string(d / kPsPerNs / 1'000'000) + " by=cpu")) {
      return;
    }
    if (fctl.cr & fcr::kEopie) fctl.eop_pending = fsr::kEop;
    flash_busy(d);
  } else if (mer) {
    if (opt_nwrp != 0x0FFF) {
      error(fsr::kWrperr);
      return;
    }
    static constexpr uint64_t kMassMs[] = {16000, 11000, 8000, 8000};
    const uint64_t d = kMassMs[psize] * 1'000'000'000ull;
    if (!cell_erase(kFlashBase, kFlashSize, now_ps(), d,
                    "flash mass-erase ms=" + std::to_string(kMassMs[psize]) + " by=cpu")) {
      return;
    }
    if (fctl.cr & fcr::kEopie) fctl.eop_pending = fsr::kEop;
    flash_busy(d);
  }
}

// ---- registers ----

uint32_t FlashInterface::read(uint32_t offset) {
  const uint32_t value = read_register(offset);
  m_.update_flash_irq();  // reading SR can raise a finished operation's EOP
  return value;
}

void FlashInterface::write(const RegWrite& w) {
  write_register(w);
  m_.update_flash_irq();
}

uint32_t FlashInterface::read_register(uint32_t offset) {
  Machine::Impl& m = m_;
  switch (offset) {
    case 0x00: return m.fctl.acr;
    case 0x0C: {
      uint32_t sr = m.fctl.sr;
      if (m.now_ps() < m.fctl.busy_until_ps) {
        sr |= fsr::kBsy;
      } else if (m.fctl.eop_pending) {
        m.fctl.sr |= fsr::kEop;
        m.fctl.eop_pending = 0;
        sr = m.fctl.sr;
      }
      return sr;
    }
    case 0x10: return m.fctl.cr;
    case 0x14: return m.fctl.optcr;
    default: return 0;
  }
}

void FlashInterface::write_register(const RegWrite& w) {
  Machine::Impl& m = m_;
  auto& fctl = m.fctl;
  const uint32_t a = base() + w.offset;
  switch (w.offset) {
    case 0x00: {
      const uint32_t v = w.merge(fctl.acr);
      fctl.acr = v & 0x0707u;                   // ICRST/DCRST are write-only actions
      if (m.cycle_model) m.code_written(0, 0);  // cached block cycles depend on wait states
      if (v & ((1u << 11) | (1u << 12)) && m.uc != nullptr) {
        uc_ctl_remove_cache(m.uc, 0, 0x1'0000'0000ull);  // cache reset: drop translated code
      }
      return;
    }
    case 0x04: {  // KEYR
      const uint32_t v = w.merge(0);
      if (fctl.key_locked_until_reset) {
        m.raise_fault("bus-error write FLASH_KEYR (locked until reset)", a, false);
      } else if (fctl.key_stage == 0 && v == 0x4567'0123u && (fctl.cr & fcr::kLock)) {
        fctl.key_stage = 1;
      } else if (fctl.key_stage == 1 && v == 0xCDEF'89ABu) {
        fctl.key_stage = 0;
        fctl.cr &= ~fcr::kLock;
      } else {
        // RM0090 3.5.1: a wrong sequence locks FLASH_CR until the next reset (bus error).
        fctl.key_stage = 0;
        fctl.key_locked_until_reset = true;
        fctl.cr |= fcr::kLock;
        m.event(MachineEvent::Kind::kInfo,
                "flash: wrong KEYR sequence, FLASH_CR locked until reset");
        m.raise_fault("bus-error write FLASH_KEYR (wrong key sequence)", a, false);
      }
      return;
    }
    case 0x08: {  // OPTKEYR
      const uint32_t v = w.merge(0);
      if (fctl.optkey_stage == 0 && v == 0x0819'2A3Bu) {
        fctl.optkey_stage = 1;
      } else if (fctl.optkey_stage == 1 && v == 0x4C5D'6E7Fu) {
        fctl.optkey_stage = 0;
        fctl.optcr &= ~1u;
      } else {
        fctl.optkey_stage = 0;
        m.raise_fault("bus-error write FLASH_OPTKEYR (wrong key sequence)", a, false);
      }
      return;
    }
    case 0x0C: {  // SR: error flags and EOP clear by writing 1
      const uint32_t v = w.merge(0);
      fctl.sr &= ~(v & (fsr::kEop | fsr::kErrors));
      return;
    }
    case 0x10: {
      if (fctl.cr & fcr::kLock) return;  // locked: writes are ignored
      const uint32_t v = w.merge(fctl.cr);
      if (m.now_ps() < fctl.busy_until_ps) m.add_stall_ps(fctl.busy_until_ps - m.now_ps());
      fctl.cr = v & 0x8301'037Fu;
      if (v & fcr::kStrt) m.flash_start_operation();
      return;
    }
    case 0x14: {                    // OPTCR
      if (fctl.optcr & 1u) return;  // OPTLOCK
      const uint32_t v = w.merge(fctl.optcr);
      fctl.optcr = (v & 0x0FFF'FFECu) | (v & 1u);
      if (v & 2u) {  // OPTSTRT: program the option bytes from OPTCR
        const uint8_t rdp = static_cast<uint8_t>(v >> 8);
        if (m.opt_rdp == 0xCC) {
          // RM0090 3.7.3: level 2 is final; the option bytes cannot be changed any more.
          m.event(MachineEvent::Kind::kInfo, "option-bytes: RDP level 2, change refused");
          return;
        }
        if (m.opt_rdp != 0xAA && rdp == 0xAA) {
          // Level 1 -> 0 mass-erases the whole flash first, write-protected sectors included.
          static constexpr uint64_t kMassMs[] = {16000, 11000, 8000, 8000};
          const uint64_t d = kMassMs[(fctl.cr >> 8) & 3u] * 1'000'000'000ull;
          if (!m.cell_erase(kFlashBase, kFlashSize, m.now_ps(), d,
                            "flash mass-erase (RDP level 1 -> 0) by=cpu")) {
            return;  // power cut: RDP stays at level 1
          }
          m.flash_busy(d);
        }
        m.opt_user = static_cast<uint8_t>(v & 0xE0u) | 0x0Cu;
        m.opt_rdp = rdp;
        m.opt_nwrp = static_cast<uint16_t>((v >> 16) & 0x0FFFu);
        m.refresh_optpage();
        m.save_option_bytes();
        char text[64];
        std::snprintf(text, sizeof text, "option-bytes rdp=0x%02X nwrp=0x%03X by=cpu", m.opt_rdp,
                      m.opt_nwrp);
        m.event(MachineEvent::Kind::kFlash, text);
      }
      return;
    }
    default: return;
  }
}

}  // namespace vstm32
