// SPDX-License-Identifier: Apache-2.0
// DMA1/DMA2 (RM0090 section 10): eight streams each, LISR/HISR flags with LIFCR/HIFCR clears,
// SxCR/SxNDTR/SxPAR/SxM0AR/SxM1AR/SxFCR. Peripheral-to-memory and memory-to-peripheral transfers
// are paced by the USARTs' DMA requests (CR3 DMAR/DMAT, the channel each stream selects as in
// RM0090 tables 42/43); memory-to-memory (DMA2 only) runs to its end when the stream is enabled.
// Circular and double-buffer modes, half-transfer/complete/error flags and the stream IRQs.
#pragma once

#include <array>
#include <functional>

#include "bus_device.h"

namespace vstm32 {

class Dma final : public BusDevice {
 public:
  // A peripheral's DMA request line: its level now, for a stream's direction.
  struct Requester {
    std::function<bool()> active;
  };
  // `number` 1 or 2.
  Dma(DeviceHost& host, unsigned number);

  uint32_t read(uint32_t offset) override;
  void write(const RegWrite& w) override;
  void reset() override;
  [[nodiscard]] std::span<const uint8_t> irqs() const override { return irq_numbers_; }

  // The request of (stream, channel), from RM0090 tables 42/43 (unset: nothing drives it).
  void connect(unsigned stream, unsigned channel, Requester requester);
  // Serve every enabled stream whose request is active (called when a request may have risen).
  void serve();

 private:
  struct Stream {
    uint32_t cr = 0, ndtr = 0, par = 0, m0ar = 0, m1ar = 0, fcr = 0x21;
    uint32_t flags = 0;   // FEIF, -, DMEIF, TEIF, HTIF, TCIF in bits 0..5
    uint32_t length = 0;  // NDTR when enabled: the circular reload and the half-transfer mark
    uint32_t done = 0;    // items transferred in this round
  };
  void enable(unsigned s);
  bool transfer_one(unsigned s);  // false: stopped (error or complete)
  void finish_round(unsigned s);
  void update_irq(unsigned s);
  [[nodiscard]] uint32_t isr(unsigned first_stream) const;
  void clear_flags(unsigned first_stream, uint32_t bits);

  DeviceHost& host_;
  std::array<Stream, 8> streams_{};
  std::array<std::array<Requester, 8>, 8> requesters_{};  // [stream][channel]
  std::array<uint8_t, 8> irq_numbers_{};
  std::array<IrqLine, 8> irq_lines_;
  bool serving_ = false;
};

}  // namespace vstm32
