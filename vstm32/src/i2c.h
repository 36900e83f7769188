// SPDX-License-Identifier: Apache-2.0
// I2C1 (RM0090 section 27) in slave mode with an external master: own address (OAR1 7-bit, OAR2
// dual, general call), ACK/NACK of the address and of received bytes, the SR1/SR2 flags ADDR,
// RXNE, TXE, BTF, STOPF, AF, BUSY, TRA, DUALF, GENCALL with their documented clear sequences,
// event (31) and error (32) interrupts, and clock stretching: the master's clock stops while ADDR
// is set, while a received byte waits behind a full DR (BTF), and while the transmitter has no byte
// (BTF). Bus timing: 9 SCL periods a byte at the master's rate, one for START and one for STOP.
// Master mode (START/STOP bits) is not modelled: those bits are stored.
#pragma once

#include <functional>
#include <optional>

#include "bus_device.h"
#include "vstm32/i2c_bus.h"

namespace vstm32 {

class I2c final : public BusDevice {
 public:
  I2c(DeviceHost& host, const char* name, uint32_t base, ClockGate gate, unsigned event_irq,
      unsigned error_irq);

  uint32_t read(uint32_t offset) override;
  void write(const RegWrite& w) override;
  void reset() override;
  [[nodiscard]] uint64_t next_event_ps() const override;
  void advance(uint64_t now_ps) override;
  [[nodiscard]] std::span<const uint8_t> irqs() const override { return {irq_numbers_, 2}; }

  // ---- The external master ----
  void set_speed_hz(uint32_t hz) { speed_hz_ = hz == 0 ? 100'000 : hz; }
  [[nodiscard]] uint32_t speed_hz() const { return speed_hz_; }
  // False when a transfer is still in progress.
  bool start(const I2cTransfer& transfer);
  [[nodiscard]] bool busy() const { return state_ != State::kIdle; }
  std::optional<I2cResult> take_result();
  // The master gives up (its timeout): the transfer ends with `status` now.
  void abort(I2cStatus status);
  // Whether SDA/SCL reach the peripheral (PB6/PB7 or PB8/PB9 in AF4): set by the machine.
  void set_pins_routed(std::function<bool()> routed) { pins_routed_ = std::move(routed); }

 private:
  enum class State : uint8_t {
    kIdle,
    kAddress,   // START + address byte on the wire until phase_end_
    kAddrHeld,  // ADDR set: SCL stretched until SR1 + SR2 are read
    kRxByte,    // a written byte on the wire until phase_end_
    kRxHeld,    // a byte waits in the shift register behind a full DR (BTF): stretched
    kTxWait,    // the transmitter has no byte: stretched until DR is written
    kTxByte,    // a read byte on the wire until phase_end_
    kStop,      // STOP until phase_end_
  };
  [[nodiscard]] bool clocked() const { return host_.clock_enabled(gate()); }
  [[nodiscard]] bool listening() const;
  [[nodiscard]] uint64_t bits_ps(unsigned bits) const;
  [[nodiscard]] bool address_matches(uint8_t address, bool read);
  void step(uint64_t now);
  void rx_byte_done(uint64_t now);
  void tx_next(uint64_t now);
  void finish_stop(uint64_t now);
  void finish(I2cStatus status, uint64_t now);
  void update_irq();

  DeviceHost& host_;
  uint8_t irq_numbers_[2];
  IrqLine event_irq_, error_irq_;
  std::function<bool()> pins_routed_;
  uint32_t cr1_ = 0, cr2_ = 0, oar1_ = 0, oar2_ = 0, ccr_ = 0, trise_ = 2, fltr_ = 0;
  uint32_t sr1_ = 0, sr2_ = 0;
  uint32_t sr1_seen_ = 0;  // SR1 flags as the last SR1 read saw them (the clear sequences)
  uint8_t dr_rx_ = 0, dr_tx_ = 0, shift_ = 0;
  bool tx_full_ = false;  // DR holds a byte the transmitter has not taken yet

  uint32_t speed_hz_ = 100'000;
  State state_ = State::kIdle;
  uint64_t phase_end_ps_ = kNever;
  I2cTransfer transfer_;
  I2cResult result_;
  size_t index_ = 0;        // bytes written / read so far
  bool addressed_ = false;  // the slave acknowledged its address in this transfer
  std::optional<I2cResult> done_;
};

}  // namespace vstm32
