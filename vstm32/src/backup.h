// SPDX-License-Identifier: Apache-2.0
// The backup domain as far as firmware keeps data in it: RTC BKP0R-BKP19R and the 4 KB backup
// SRAM. They survive system resets, not a power cycle (no VBAT: Machine::power_on clears them).
// The RTC itself (calendar, alarms, wake-up) is not modelled: its registers are storage.
#pragma once

#include <array>
#include <map>
#include <vector>

#include "bus_device.h"

namespace vstm32 {

class RtcBackup final : public BusDevice {
 public:
  RtcBackup(DeviceHost& host, std::array<uint32_t, 20>& bkp)
      : BusDevice("RTC/BKP", 0x4000'2800, 0x400), host_(host), bkp_(bkp) {}
  uint32_t read(uint32_t offset) override;
  void write(const RegWrite& w) override;
  void reset() override { rtc_.clear(); }

 private:
  void report(uint32_t offset, const char* what);
  DeviceHost& host_;
  std::array<uint32_t, 20>& bkp_;
  std::map<uint32_t, uint32_t> rtc_;  // calendar registers: storage
  bool reported_ = false;
};

class BackupSram final : public BusDevice {
 public:
  explicit BackupSram(std::vector<uint8_t>& bytes)
      : BusDevice("BKPSRAM", 0x4002'4000, 0x1000, ClockGate{ClockGate::kAhb1, 18}), bytes_(bytes) {}
  uint32_t read(uint32_t offset) override;
  void write(const RegWrite& w) override;
  void reset() override {}  // contents survive a system reset

 private:
  std::vector<uint8_t>& bytes_;
};

// PWR (RM0090 section 5) as HAL clock set-up uses it: CR (VOS, DBP ...) stored, CSR VOSRDY set.
class Pwr final : public BusDevice {
 public:
  Pwr() : BusDevice("PWR", 0x4000'7000, 0x400, ClockGate{ClockGate::kApb1, 28}) {}
  uint32_t read(uint32_t offset) override;
  void write(const RegWrite& w) override;
  void reset() override {
    cr_ = 0x4000;
    csr_ = 0;
  }

 private:
  uint32_t cr_ = 0x4000, csr_ = 0;
};

// Registers of a peripheral the chip has and vstm32 does not model: plain storage, each register
// reported once, and the block once as a warning.
class StorageDevice final : public BusDevice {
 public:
  StorageDevice(DeviceHost& host, const char* name, uint32_t base, uint32_t size)
      : BusDevice(name, base, size), host_(host) {}
  uint32_t read(uint32_t offset) override;
  void write(const RegWrite& w) override;
  void reset() override { regs_.clear(); }
  [[nodiscard]] bool modelled() const override { return false; }

 private:
  void report(uint32_t offset, const char* what);
  DeviceHost& host_;
  std::map<uint32_t, uint32_t> regs_;
  std::map<uint32_t, bool> reported_;
  bool warned_ = false;
};

}  // namespace vstm32
