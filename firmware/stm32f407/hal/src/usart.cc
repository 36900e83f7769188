// SPDX-License-Identifier: Apache-2.0
#include "stm32f407/usart.h"

#include "format/decimal.h"
#include "stm32f407/regs.h"

namespace fota::stm32 {

namespace {

// A character leaves in ~87 us at 115200; a poll is >= 4 cycles. 100'000 polls outlast a byte at
// any clock up to 168 MHz and bound the wait when USART1 is absent or stuck.
constexpr uint32_t kTxPolls = 100'000;

bool wait_flag(uint32_t mask) {
  for (uint32_t n = kTxPolls; (reg(usart1::kSr) & mask) == 0;) {
    if (--n == 0) return false;
  }
  return true;
}

void pulse_reset(uint32_t rstr, uint32_t bit) {
  reg(rstr) = reg(rstr) | bit;
  reg(rstr) = reg(rstr) & ~bit;
}

}  // namespace

void Usart1::init(uint32_t pclk2_hz, uint32_t baud) {
  reg(rcc::kAhb1enr) = reg(rcc::kAhb1enr) | rcc::kAhb1Gpioa;
  reg(rcc::kApb2enr) = reg(rcc::kApb2enr) | rcc::kApb2Usart1;
  dsb();
  const uint32_t a = gpio::kGpioa;
  // PA9, PA10: alternate function 7 (USART1), pull-up on RX.
  reg(a + gpio::kModer) = (reg(a + gpio::kModer) & ~(0xFu << 18)) | (0xAu << 18);
  reg(a + gpio::kAfrh) = (reg(a + gpio::kAfrh) & ~(0xFFu << 4)) | (0x77u << 4);
  reg(a + gpio::kPupdr) = (reg(a + gpio::kPupdr) & ~(3u << 20)) | (1u << 20);
  // Oversampling by 16: BRR = USARTDIV * 16 = pclk / baud, rounded.
  reg(usart1::kBrr) = (pclk2_hz + baud / 2) / baud;
  reg(usart1::kCr1) = usart1::kCr1Ue | usart1::kCr1Te | usart1::kCr1Re;
  enabled_ = true;
}

void Usart1::write(char c) {
  if (!enabled_) return;
  if (!wait_flag(usart1::kSrTxe)) return;
  reg(usart1::kDr) = static_cast<uint8_t>(c);
}

void Usart1::write(std::string_view text) {
  for (char c : text) write(c);
}

void Usart1::write_uint(uint32_t value) {
  char digits[kMaxDecimalDigits];
  write(std::string_view(digits, write_decimal(value, digits)));
}

bool Usart1::try_read(uint8_t& byte) {
  if (!enabled_) return false;
  const uint32_t sr = reg(usart1::kSr);
  if ((sr & (usart1::kSrRxne | usart1::kSrOre)) == 0) return false;
  byte = static_cast<uint8_t>(reg(usart1::kDr));  // SR then DR also clears ORE
  return (sr & usart1::kSrRxne) != 0;
}

void Usart1::set_baud(uint32_t pclk2_hz, uint32_t baud) {
  if (!enabled_) return;
  flush();
  reg(usart1::kBrr) = (pclk2_hz + baud / 2) / baud;
}

void Usart1::flush() {
  if (enabled_) (void)wait_flag(usart1::kSrTc);
}

void Usart1::release() {
  if (!enabled_) return;
  flush();
  reg(usart1::kCr1) = 0;
  pulse_reset(rcc::kApb2rstr, rcc::kApb2Usart1);
  pulse_reset(rcc::kAhb1rstr, rcc::kAhb1Gpioa);
  reg(rcc::kApb2enr) = reg(rcc::kApb2enr) & ~rcc::kApb2Usart1;
  reg(rcc::kAhb1enr) = reg(rcc::kAhb1enr) & ~rcc::kAhb1Gpioa;
  enabled_ = false;
}

}  // namespace fota::stm32
