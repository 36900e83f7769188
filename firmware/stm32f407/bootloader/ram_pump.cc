// SPDX-License-Identifier: Apache-2.0
#include "ram_pump.h"

#include "i2c_pump.h"

// Linked into .data (sections.ld collects .data.*), so the startup code copies it to SRAM. The
// section is declared with data flags ("@" comments out the code flags GCC appends). Built
// without LTO (CMake) so nothing here is inlined into flash code or pulled from flash.
#define FOTA_RAMFUNC \
  __attribute__((section(".data.ramfunc,\"aw\",%progbits @"), noinline, long_call))

namespace fota::boot {

namespace {

constexpr uint32_t kUsartSr = 0x4001'1000;
constexpr uint32_t kUsartDr = 0x4001'1004;
constexpr uint32_t kSrRxne = 1u << 5;
constexpr uint32_t kSrOre = 1u << 3;
constexpr uint32_t kSrTxe = 1u << 7;
constexpr uint32_t kSystCsr = 0xE000'E010;
constexpr uint32_t kCountflag = 1u << 16;
constexpr uint32_t kFlashSr = 0x4002'3C0C;
constexpr uint32_t kFlashCr = 0x4002'3C10;
constexpr uint32_t kBsy = 1u << 16;
constexpr uint32_t kStrt = 1u << 16;
constexpr uint32_t kIcsr = 0xE000'ED04;
constexpr uint32_t kPendstclr = 1u << 25;
constexpr uint32_t kNvicIcpr0 = 0xE000'E280;
constexpr uint32_t kIrqFlash = 1u << 4;           // IRQ 4, ICPR0
constexpr uint32_t kIrqUsart1 = 1u << (37 - 32);  // IRQ 37, ICPR1

inline volatile uint32_t& r(uint32_t a) {
  return *reinterpret_cast<volatile uint32_t*>(a);
}

}  // namespace

FOTA_RAMFUNC void ram_pump(PumpState* s) {
  const uint32_t sr = r(kUsartSr);
  if ((sr & (kSrRxne | kSrOre)) != 0) {
    const uint8_t byte = static_cast<uint8_t>(r(kUsartDr));
    native::RxRing* ring = s->ring;
    ring_receive(ring, byte);
    if ((sr & kSrOre) != 0) ring->overruns = ring->overruns + 1;  // a byte was lost before it
    r(kNvicIcpr0 + 4) = kIrqUsart1;  // the latched pending bit would keep WFI from sleeping
    s->link = kLinkUart;
  }
  if (s->link == kLinkUart && s->tx_tail != s->tx_head && (sr & kSrTxe) != 0) {
    r(kUsartDr) = s->tx[s->tx_tail % sizeof(s->tx)];
    s->tx_tail = s->tx_tail + 1;
  }
  if ((r(kSystCsr) & kCountflag) != 0) {
    s->ms = s->ms + 1;
    r(kIcsr) = kPendstclr;
  }
  i2c_pump(s);
}

FOTA_RAMFUNC uint32_t ram_flash_op(PumpState* s, uint32_t cr, uint32_t address, uint32_t word) {
  if (address == 0) {
    r(kFlashCr) = cr;
    r(kFlashCr) = cr | kStrt;
  } else {
    r(kFlashCr) = cr;
    *reinterpret_cast<volatile uint32_t*>(address) = word;
  }
  asm volatile("dsb" ::: "memory");
  uint32_t sr;
  while (((sr = r(kFlashSr)) & kBsy) != 0) {
    ram_pump(s);
    // Replies queued for I2C wait for the host's read (its address match wakes the core).
    if ((r(kUsartSr) & (kSrRxne | kSrOre)) == 0 &&
        (s->tx_tail == s->tx_head || s->link != kLinkUart) &&
        (r(i2c1::kSr1) & i2c1::kSr1Work) == 0 && (r(kFlashSr) & kBsy) != 0) {
      asm volatile("wfi" ::: "memory");
    }
  }
  r(kFlashCr) = 0;
  r(kFlashSr) = 1u;  // EOP (write 1 to clear)
  r(kNvicIcpr0) = kIrqFlash;
  return sr;
}

}  // namespace fota::boot
