// SPDX-License-Identifier: Apache-2.0
#include "backup.h"

#include <cstdio>
#include <cstring>

namespace vstm32 {

namespace {
constexpr uint32_t kBkpOffset = 0x50;
}

void RtcBackup::report(uint32_t offset, const char* what) {
  if (reported_) return;
  reported_ = true;
  char text[128];
  std::snprintf(text, sizeof text,
                "warning: firmware %s RTC+0x%03X; the RTC calendar is not modelled (storage only)",
                what, offset);
  host_.event(MachineEvent::Kind::kInfo, text);
}

uint32_t RtcBackup::read(uint32_t offset) {
  if (offset >= kBkpOffset && offset < kBkpOffset + 80) return bkp_[(offset - kBkpOffset) / 4];
  report(offset, "reads");
  const auto it = rtc_.find(offset);
  return it == rtc_.end() ? 0 : it->second;
}

void RtcBackup::write(const RegWrite& w) {
  if (w.offset >= kBkpOffset && w.offset < kBkpOffset + 80) {
    uint32_t& r = bkp_[(w.offset - kBkpOffset) / 4];
    r = w.merge(r);
    return;
  }
  report(w.offset, "writes");
  rtc_[w.offset] = w.merge(rtc_[w.offset]);
}

uint32_t BackupSram::read(uint32_t offset) {
  uint32_t v = 0;
  std::memcpy(&v, &bytes_[offset], 4);
  return v;
}

void BackupSram::write(const RegWrite& w) {
  const uint32_t v = w.merge(read(w.offset));
  std::memcpy(&bytes_[w.offset], &v, 4);
}

uint32_t Pwr::read(uint32_t offset) {
  switch (offset) {
    case 0x00: return cr_;
    case 0x04: return csr_ | (1u << 14);  // VOSRDY: the regulator is at its scale at once
    default: return 0;
  }
}

void Pwr::write(const RegWrite& w) {
  switch (w.offset) {
    case 0x00: cr_ = w.merge(cr_) & 0x0000'C3FFu & ~0xCu; break;  // CWUF/CSBF write-only
    case 0x04: csr_ = w.merge(csr_) & 0x0300u; break;
    default: break;
  }
}

void StorageDevice::report(uint32_t offset, const char* what) {
  if (!warned_) {
    warned_ = true;
    char text[128];
    std::snprintf(text, sizeof text,
                  "warning: firmware uses %s, which vstm32 does not model (its registers only "
                  "store values)",
                  name());
    host_.event(MachineEvent::Kind::kInfo, text);
  }
  if (reported_[offset]) return;
  reported_[offset] = true;
  char text[96];
  std::snprintf(text, sizeof text, "unmodelled register %s %s+0x%03X (storage only)", what, name(),
                offset);
  host_.event(MachineEvent::Kind::kInfo, text);
}

uint32_t StorageDevice::read(uint32_t offset) {
  report(offset, "read");
  const auto it = regs_.find(offset);
  return it == regs_.end() ? 0 : it->second;
}

void StorageDevice::write(const RegWrite& w) {
  report(w.offset, "write");
  regs_[w.offset] = w.merge(regs_[w.offset]);
}

}  // namespace vstm32
