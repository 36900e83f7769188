// SPDX-License-Identifier: Apache-2.0
// Update mode's code that runs from SRAM: the USART1 pump (received bytes into the ring, queued
// bytes out, the millisecond tick) and the two flash operations that keep pumping while the flash
// is busy (the core stalls on every flash fetch then, and USART1 holds only one received byte).
// Between events the core sleeps (WFI, PRIMASK set: a pending RXNE, flash EOP or SysTick wakes it
// without running a handler).
#pragma once

#include <cstdint>

#include "native/device.h"

namespace fota::boot {

struct PumpState {
  native::RxRing* ring = nullptr;
  uint8_t tx[512] = {};
  volatile uint32_t tx_head = 0;   // written by the session (flash code)
  volatile uint32_t tx_tail = 0;   // advanced by the pump
  volatile uint32_t ms = 0;        // SysTick wraps counted
  volatile uint8_t link = 0;       // where replies go: kLinkUart / kLinkI2c (i2c_pump.h)
  volatile uint32_t i2c_left = 0;  // reply bytes promised to the I2C read in progress
};

// A received byte into the ring, or an overrun when it is full: RxRing::push for the pumps, always
// inlined so that code in SRAM never calls into flash (which stalls while it is busy).
[[gnu::always_inline]] inline void ring_receive(native::RxRing* ring, uint8_t byte) {
  const uint32_t head = ring->head;
  if (head - ring->release < ring->size) {
    ring->data[head % ring->size] = byte;
    ring->head = head + 1;
  } else {
    ring->overruns = ring->overruns + 1;
  }
}

// One pass: a received byte into the ring, a queued byte out, the tick, I2C1 (i2c_pump.h).
void ram_pump(PumpState* s);
// Runs a flash operation whose CR value (without STRT for erases; PG for programs) is `cr`:
// erase when `address` is 0, else programs `word` at `address`. Pumps and sleeps until BSY clears.
// Returns FLASH_SR as it was when the operation ended.
uint32_t ram_flash_op(PumpState* s, uint32_t cr, uint32_t address, uint32_t word);

}  // namespace fota::boot
