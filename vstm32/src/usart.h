// SPDX-License-Identifier: Apache-2.0
// USART1/2/3/6 and UART4/5 (RM0090 section 30) in asynchronous mode: SR flags with their wire
// timing at the rate BRR and the bus clock give, RXNE/TXE/TC/IDLE/ORE/PE interrupts, DMA
// requests (CR3 DMAT with TXE, DMAR with RXNE) for the DMA streams (dma.h). Bytes leave through a
// sink with the time their start bit begins; bytes arrive through receive() at the time their stop
// bit ends.
#pragma once

#include <array>
#include <functional>

#include "bus_device.h"

namespace vstm32 {

class Usart final : public BusDevice {
 public:
  // `port` 1..6 as ST numbers them (4 and 5 are UARTs); `apb2`: clocked from PCLK2.
  Usart(DeviceHost& host, unsigned port, const char* name, uint32_t base, ClockGate gate, bool apb2,
        unsigned irq);

  uint32_t read(uint32_t offset) override;
  void write(const RegWrite& w) override;
  void reset() override;
  [[nodiscard]] uint64_t next_event_ps() const override;
  void advance(uint64_t now_ps) override;
  [[nodiscard]] std::span<const uint8_t> irqs() const override { return {&irq_number_, 1}; }

  // A byte whose stop bit ends now. Lost (and ORE) when DR still holds the previous one.
  void receive(uint8_t byte);
  using Sink = std::function<void(uint8_t byte, uint64_t start_ns)>;
  void set_sink(Sink sink) { sink_ = std::move(sink); }

  [[nodiscard]] unsigned port() const { return port_; }
  [[nodiscard]] unsigned frame_bits() const;
  [[nodiscard]] uint32_t baud() const;  // 0 when BRR is not set
  [[nodiscard]] bool receiver_on() const;
  // The DMA request lines: transmit (DMAT and TXE), receive (DMAR and RXNE).
  [[nodiscard]] bool dma_tx_request() const;
  [[nodiscard]] bool dma_rx_request() const;
  // What the ROM's Go leaves behind: 8E1 at 115200 from 16 MHz.
  void set_rom_configuration();

 private:
  [[nodiscard]] bool clocked() const { return host_.clock_enabled(gate()); }
  [[nodiscard]] uint64_t frame_ps() const;
  [[nodiscard]] uint32_t status(uint64_t now) const;
  void update_irq();

  DeviceHost& host_;
  unsigned port_;
  bool apb2_;
  uint8_t irq_number_;
  IrqLine irq_;
  Sink sink_;
  uint32_t sr_ = 0x00C0, brr_ = 0, cr1_ = 0, cr2_ = 0, cr3_ = 0, gtpr_ = 0;
  uint16_t rx_dr_ = 0;
  uint64_t tx_start_ps_ = 0;      // start bit of the last byte written to DR (TXE from then)
  uint64_t tx_end_ps_ = 0;        // its stop bit ends (TC from then)
  bool tc_armed_ = false;         // a byte was sent since TC was cleared
  uint64_t idle_at_ps_ = kNever;  // the line has been idle for a frame after the last byte
  uint64_t updated_ps_ = 0;       // the IRQ line was last evaluated then
};

}  // namespace vstm32
