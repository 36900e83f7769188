// SPDX-License-Identifier: Apache-2.0
// GPIOA-GPIOI (RM0090 section 8): mode, type, speed, pull, ODR/BSRR/LCKR, alternate functions;
// IDR reads output pins back and input pins at the level driven from outside (set_input: the
// control socket's `pin PA0 1`, the Discovery's user button on PA0) or their pull (pull-up reads
// 1). Input changes go to EXTI. PD12-15 drive the Discovery's LEDs (events).
#pragma once

#include <array>
#include <functional>

#include "bus_device.h"

namespace vstm32 {

class Gpio final : public BusDevice {
 public:
  Gpio(DeviceHost& host, unsigned port);

  uint32_t read(uint32_t offset) override;
  void write(const RegWrite& w) override;
  void reset() override;

  // The level an external circuit drives on pin `pin` (nullopt-like: `driven` false = floating).
  void set_input(unsigned pin, bool level);
  [[nodiscard]] uint32_t idr() const;
  [[nodiscard]] uint32_t odr() const { return odr_; }
  // The alternate function pin `pin` is routed to (MODER = 10), or -1 when it is not in AF mode.
  [[nodiscard]] int alternate(unsigned pin) const {
    if (((moder_ >> (2 * pin)) & 3u) != 2u) return -1;
    const uint32_t afr = pin < 8 ? afrl_ : afrh_;
    return static_cast<int>((afr >> (4 * (pin % 8))) & 0xFu);
  }
  // Called with (port, pin, level) whenever a pin's IDR level changes.
  using PinListener = std::function<void(unsigned port, unsigned pin, bool level)>;
  void set_pin_listener(PinListener listener) { listener_ = std::move(listener); }

 private:
  void set_odr(uint32_t odr);
  void notify(uint32_t before);

  DeviceHost& host_;
  unsigned port_;
  PinListener listener_;
  uint32_t moder_ = 0, otyper_ = 0, ospeedr_ = 0, pupdr_ = 0, odr_ = 0, lckr_ = 0, afrl_ = 0,
           afrh_ = 0;
  uint32_t driven_ = 0;  // pins an external source drives ...
  uint32_t levels_ = 0;  // ... and their levels
};

// EXTI (RM0090 section 12) and the SYSCFG EXTICR selection of which port feeds lines 0-15:
// rising/falling edge triggers, software interrupt, pending register (rc_w1), interrupt mask;
// lines 0-4, 9-5 and 15-10 drive their NVIC inputs. Lines 16-22 (PVD, RTC, USB) have no source.
class Exti final : public BusDevice {
 public:
  explicit Exti(DeviceHost& host);
  uint32_t read(uint32_t offset) override;
  void write(const RegWrite& w) override;
  void reset() override;
  [[nodiscard]] std::span<const uint8_t> irqs() const override { return kIrqs; }
  // A GPIO pin changed level; `port_selected` says whether SYSCFG routes its port to the line.
  void pin_changed(unsigned line, bool level, bool port_selected);

 private:
  static constexpr uint8_t kIrqs[] = {6, 7, 8, 9, 10, 23, 40};
  void update_irqs();
  DeviceHost& host_;
  uint32_t imr_ = 0, emr_ = 0, rtsr_ = 0, ftsr_ = 0, pr_ = 0;
  std::array<IrqLine, 7> lines_{IrqLine{6},  IrqLine{7},  IrqLine{8}, IrqLine{9},
                                IrqLine{10}, IrqLine{23}, IrqLine{40}};
};

class Syscfg final : public BusDevice {
 public:
  explicit Syscfg(DeviceHost& host);
  uint32_t read(uint32_t offset) override;
  void write(const RegWrite& w) override;
  void reset() override;
  [[nodiscard]] unsigned exti_port(unsigned line) const {
    return (exticr_[line / 4] >> (4 * (line % 4))) & 0xFu;
  }

 private:
  DeviceHost& host_;
  uint32_t memrmp_ = 0, pmc_ = 0, cmpcr_ = 0;
  std::array<uint32_t, 4> exticr_{};
};

}  // namespace vstm32
