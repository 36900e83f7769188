// SPDX-License-Identifier: Apache-2.0
// The independent watchdog (RM0090 section 21): KR start/reload/unlock, PR and RLR writable
// after 0x5555, SR PVU/RVU busy for 5 LSI periods, timeout 4 * 2^PR * (RLR + 1) / f_LSI, then a
// system reset with IWDGRSTF. Stopped only by a reset (no hardware-watchdog option).
#pragma once

#include <functional>

#include "bus_device.h"

namespace vstm32 {

class Iwdg final : public BusDevice {
 public:
  // `lsi_hz`: the LSI rate (MachineConfig::lsi_hz); `on_timeout` requests the reset.
  Iwdg(DeviceHost& host, uint32_t lsi_hz, std::function<void()> on_timeout)
      : BusDevice("IWDG", 0x4000'3000, 0x400),
        host_(host),
        lsi_hz_(lsi_hz == 0 ? 1 : lsi_hz),
        on_timeout_(std::move(on_timeout)) {}
  uint32_t read(uint32_t offset) override;
  void write(const RegWrite& w) override;
  void reset() override;
  [[nodiscard]] uint64_t next_event_ps() const override { return running_ ? deadline_ps_ : kNever; }
  void advance(uint64_t now_ps) override;

  [[nodiscard]] bool running() const { return running_; }
  void stop() { running_ = false; }
  [[nodiscard]] uint64_t deadline_ps() const { return deadline_ps_; }

 private:
  void reload();
  DeviceHost& host_;
  uint32_t lsi_hz_;
  std::function<void()> on_timeout_;
  bool running_ = false;
  bool access_ = false;
  uint32_t pr_ = 0, rlr_ = 0xFFF;
  uint64_t deadline_ps_ = 0;
  uint64_t busy_until_ps_ = 0;
};

}  // namespace vstm32
