// SPDX-License-Identifier: Apache-2.0
// The peripheral models behind the bus-device table checked through the probe against RM0090:
// reset values, flag semantics and interrupt conditions of the USARTs, timers, GPIO inputs,
// EXTI/SYSCFG, DMA1/DMA2, the NVIC, and the warnings for unmodelled interrupt sources and blocks.
#include <gtest/gtest.h>

#include <string>

#include "harness.h"

namespace {

using vstm32_test::events_with;
using vstm32_test::idle_machine;
using vstm32_test::read32;
using Kind = vstm32::MachineEvent::Kind;

constexpr uint32_t kRcc = 0x4002'3800;
constexpr uint32_t kApb1enr = kRcc + 0x40, kApb2enr = kRcc + 0x44, kApb1rstr = kRcc + 0x20;
constexpr uint32_t kUsart2 = 0x4000'4400;
constexpr uint32_t kTim3 = 0x4000'0400;
constexpr uint32_t kGpioA = 0x4002'0000;
constexpr uint32_t kExti = 0x4001'3C00;
constexpr uint32_t kNvic = 0xE000'E000;
constexpr uint32_t kRxne = 1u << 5, kTc = 1u << 6, kTxe = 1u << 7, kOre = 1u << 3, kIdle = 1u << 4;

void write(vstm32::Machine& m, uint32_t address, uint32_t value) {
  ASSERT_TRUE(m.debug_write32(address, value)) << std::hex << address;
}

TEST(Vstm32UsartModelTest, ResetValuesClockGateAndReceiveFlags) {
  auto m = idle_machine();
  ASSERT_NE(m, nullptr);
  write(*m, kUsart2 + 0x08, 139);  // clock off: ignored, registers read 0
  EXPECT_EQ(read32(*m, kUsart2 + 0x00), 0u);
  write(*m, kApb1enr, 1u << 17);
  EXPECT_EQ(read32(*m, kUsart2 + 0x00), 0x00C0u);  // RM0090 30.6.1: TXE and TC after reset
  EXPECT_EQ(read32(*m, kUsart2 + 0x08), 0u);
  EXPECT_EQ(read32(*m, kUsart2 + 0x0C), 0u);
  write(*m, kUsart2 + 0x08, 139);  // 16 MHz / 139 = 115107 baud
  write(*m, kUsart2 + 0x0C, (1u << 13) | (1u << 3) | (1u << 2));
  EXPECT_NEAR(m->uart_baud(2), 115107.0, 1.0);
  // OVER8: USARTDIV 0x27 + 7/8 (BRR 0x277, RM0090's example) divides by 8 x 39.875 = 319.
  write(*m, kUsart2 + 0x0C, (1u << 15) | (1u << 13) | (1u << 3) | (1u << 2));
  write(*m, kUsart2 + 0x08, 0x277);
  EXPECT_EQ(m->uart_baud(2), 16'000'000u / 319);
  write(*m, kUsart2 + 0x08, 139);
  write(*m, kUsart2 + 0x0C, (1u << 13) | (1u << 3) | (1u << 2));

  m->uart_receive(2, 'A');
  EXPECT_EQ(read32(*m, kUsart2) & (kRxne | kOre | kIdle), kRxne);
  m->uart_receive(2, 'B');  // DR still full: ORE, 'B' lost
  EXPECT_EQ(read32(*m, kUsart2) & (kRxne | kOre), kRxne | kOre);
  m->run_for_ns(100'000);  // a frame of idle line after the last byte: IDLE
  EXPECT_NE(read32(*m, kUsart2) & kIdle, 0u);
  EXPECT_EQ(read32(*m, kUsart2 + 0x04), uint32_t{'A'});
  EXPECT_EQ(read32(*m, kUsart2) & (kRxne | kOre | kIdle), 0u);  // SR then DR read clears them
}

TEST(Vstm32UsartModelTest, TransmitFlagsFollowTheWireTime) {
  auto m = idle_machine();
  ASSERT_NE(m, nullptr);
  write(*m, kApb1enr, 1u << 17);
  write(*m, kUsart2 + 0x08, 139);
  write(*m, kUsart2 + 0x0C, (1u << 13) | (1u << 3));
  write(*m, kUsart2 + 0x04, 'x');
  // The byte moved to the shift register at once (TXE), TC only when its stop bit ends.
  EXPECT_EQ(read32(*m, kUsart2) & (kTxe | kTc), kTxe);
  write(*m, kUsart2 + 0x04, 'y');  // waits in DR behind 'x': TXE low
  EXPECT_EQ(read32(*m, kUsart2) & kTxe, 0u);
  m->run_for_ns(87'000);  // 10 bits at 115107 baud = 86.9 us: 'y' starts
  EXPECT_EQ(read32(*m, kUsart2) & (kTxe | kTc), kTxe);
  m->run_for_ns(87'000);
  EXPECT_EQ(read32(*m, kUsart2) & (kTxe | kTc), kTxe | kTc);
  write(*m, kUsart2 + 0x00, ~kTc);  // TC is rc_w0
  EXPECT_EQ(read32(*m, kUsart2) & kTc, 0u);
  const auto bytes = m->take_uart_tx(2);
  ASSERT_EQ(bytes.size(), 2u);
  EXPECT_NEAR(static_cast<double>(bytes[1].at_ns - bytes[0].at_ns), 86'876.0, 1.0);  // 10 bits
}

TEST(Vstm32UsartModelTest, InterruptLineFollowsEnabledFlags) {
  auto m = idle_machine();
  ASSERT_NE(m, nullptr);
  constexpr uint32_t kIspr1 = kNvic + 0x204, kIcpr1 = kNvic + 0x284;
  constexpr uint32_t kBit = 1u << (38 - 32);  // USART2 is IRQ 38
  write(*m, kApb1enr, 1u << 17);
  write(*m, kUsart2 + 0x08, 139);
  write(*m, kUsart2 + 0x0C, (1u << 13) | (1u << 2) | (1u << 5));  // UE RE RXNEIE
  EXPECT_EQ(read32(*m, kIspr1) & kBit, 0u);
  m->uart_receive(2, 'A');
  EXPECT_NE(read32(*m, kIspr1) & kBit, 0u);  // RXNE with RXNEIE: pending (not enabled)
  write(*m, kIcpr1, kBit);                   // the line is still high: stays pending
  EXPECT_NE(read32(*m, kIspr1) & kBit, 0u);
  (void)read32(*m, kUsart2 + 0x04);  // DR read: RXNE low, the line drops
  write(*m, kIcpr1, kBit);
  EXPECT_EQ(read32(*m, kIspr1) & kBit, 0u);
  write(*m, kUsart2 + 0x0C, (1u << 13) | (1u << 3) | (1u << 7));  // TE TXEIE: TXE is high
  EXPECT_NE(read32(*m, kIspr1) & kBit, 0u);
  // The RCC reset bit puts the USART back to its reset state.
  write(*m, kApb1rstr, 1u << 17);
  write(*m, kApb1rstr, 0);
  EXPECT_EQ(read32(*m, kUsart2 + 0x0C), 0u);
}

TEST(Vstm32TimerModelTest, CountsAtThePrescaledRateAndRaisesUpdate) {
  auto m = idle_machine();
  ASSERT_NE(m, nullptr);
  write(*m, kApb1enr, 1u << 1);
  EXPECT_EQ(read32(*m, kTim3 + 0x2C), 0xFFFFu);  // ARR reset value
  EXPECT_EQ(read32(*m, kTim3 + 0x24), 0u);
  write(*m, kTim3 + 0x28, 15);   // 16 MHz / 16 = 1 MHz
  write(*m, kTim3 + 0x2C, 999);  // 1 ms period
  EXPECT_EQ(read32(*m, kTim3 + 0x10), 0u);
  write(*m, kTim3 + 0x14, 1);  // UG: UIF (URS=0), prescaler loaded, counter 0
  EXPECT_EQ(read32(*m, kTim3 + 0x10), 1u);
  write(*m, kTim3 + 0x10, 0);
  write(*m, kTim3 + 0x34, 300);  // CCR1
  write(*m, kTim3 + 0x00, 1);    // CEN
  m->run_for_ns(250'000);
  EXPECT_NEAR(read32(*m, kTim3 + 0x24), 250.0, 1.0);
  EXPECT_EQ(read32(*m, kTim3 + 0x10), 0u);
  m->run_for_ns(100'000);
  EXPECT_EQ(read32(*m, kTim3 + 0x10), 2u);  // CC1IF at CNT == CCR1, no update yet
  m->run_for_ns(700'000);
  EXPECT_EQ(read32(*m, kTim3 + 0x10), 3u);  // and the overflow
  EXPECT_NEAR(read32(*m, kTim3 + 0x24), 50.0, 1.0);
  // Update interrupt condition: UIF with UIE pends TIM3 (IRQ 29).
  write(*m, kTim3 + 0x0C, 1);
  EXPECT_NE(read32(*m, kNvic + 0x200) & (1u << 29), 0u);
  write(*m, kTim3 + 0x10, 0);
  write(*m, kNvic + 0x280, 1u << 29);
  EXPECT_EQ(read32(*m, kNvic + 0x200) & (1u << 29), 0u);
  m->run_for_ns(1'000'000);
  EXPECT_NE(read32(*m, kNvic + 0x200) & (1u << 29), 0u);  // the next overflow pended it
}

TEST(Vstm32TimerModelTest, DownCountingOnePulseUrsAndArrPreload) {
  auto m = idle_machine();
  ASSERT_NE(m, nullptr);
  write(*m, kApb1enr, 1u << 1);
  write(*m, kTim3 + 0x28, 15);
  write(*m, kTim3 + 0x2C, 999);
  // Down counting (DIR before UG, as HAL configures it), URS: UG does not set UIF.
  write(*m, kTim3 + 0x00, (1u << 2) | (1u << 4));
  write(*m, kTim3 + 0x14, 1);
  EXPECT_EQ(read32(*m, kTim3 + 0x10), 0u);
  EXPECT_EQ(read32(*m, kTim3 + 0x24), 999u);  // down: UG reloads ARR
  // One pulse: from ARR to 0, then the update stops the counter.
  write(*m, kTim3 + 0x00, (1u << 2) | (1u << 4) | (1u << 3) | 1u);
  m->run_for_ns(400'000);
  EXPECT_NEAR(read32(*m, kTim3 + 0x24), 999.0 - 400.0, 1.0);
  m->run_for_ns(700'000);
  EXPECT_EQ(read32(*m, kTim3 + 0x10) & 1u, 1u);
  EXPECT_EQ(read32(*m, kTim3 + 0x00) & 1u, 0u);  // CEN cleared by the one-pulse update
  // ARR preload: a new ARR waits for the update event.
  write(*m, kTim3 + 0x00, 1u << 7);  // ARPE, up counting
  write(*m, kTim3 + 0x14, 1);
  write(*m, kTim3 + 0x2C, 99);
  write(*m, kTim3 + 0x10, 0);
  write(*m, kTim3 + 0x00, (1u << 7) | 1u);
  m->run_for_ns(500'000);
  EXPECT_NEAR(read32(*m, kTim3 + 0x24), 500.0, 1.0);  // still counting to the old 999
  m->run_for_ns(550'000);  // overflow at 1000 us, then 50 counts of the new period
  EXPECT_NEAR(read32(*m, kTim3 + 0x24), 50.0, 1.0);
  m->run_for_ns(100'000);
  EXPECT_NEAR(read32(*m, kTim3 + 0x24), 50.0, 1.0);  // period 100 now
}

TEST(Vstm32GpioExtiModelTest, InputsPullsEdgesAndPendingRegister) {
  auto m = idle_machine();
  ASSERT_NE(m, nullptr);
  write(*m, kRcc + 0x30, read32(*m, kRcc + 0x30) | 1u);
  write(*m, kApb2enr, 1u << 14);                                     // SYSCFG
  EXPECT_EQ(read32(*m, kGpioA + 0x10) & 1u, 0u);                     // floating input reads 0
  write(*m, kGpioA + 0x0C, (read32(*m, kGpioA + 0x0C) & ~3u) | 1u);  // pull-up
  EXPECT_EQ(read32(*m, kGpioA + 0x10) & 1u, 1u);
  ASSERT_TRUE(m->set_pin(0, 0, false));  // the button circuit drives it low
  EXPECT_EQ(read32(*m, kGpioA + 0x10) & 1u, 0u);
  // EXTI0 from port A (EXTICR1 = 0) on the rising edge only.
  write(*m, kExti + 0x00, 1);  // IMR
  write(*m, kExti + 0x08, 1);  // RTSR
  ASSERT_TRUE(m->set_pin(0, 0, true));
  EXPECT_EQ(read32(*m, kExti + 0x14), 1u);
  EXPECT_NE(read32(*m, kNvic + 0x200) & (1u << 6), 0u);  // EXTI0 is IRQ 6
  write(*m, kExti + 0x14, 1);                            // rc_w1
  EXPECT_EQ(read32(*m, kExti + 0x14), 0u);
  ASSERT_TRUE(m->set_pin(0, 0, false));  // falling edge: not selected
  EXPECT_EQ(read32(*m, kExti + 0x14), 0u);
  // Line 0 routed to port B: PA0 no longer reaches it.
  write(*m, 0x4001'3808, 1);
  ASSERT_TRUE(m->set_pin(0, 0, true));
  EXPECT_EQ(read32(*m, kExti + 0x14), 0u);
  write(*m, kExti + 0x10, 1u << 3);  // SWIER3 (IMR3 off): nothing
  EXPECT_EQ(read32(*m, kExti + 0x14), 0u);
  write(*m, kExti + 0x00, 1u << 3);
  write(*m, kExti + 0x10, 1u << 3);
  EXPECT_EQ(read32(*m, kExti + 0x14), 1u << 3);
  EXPECT_FALSE(m->set_pin(9, 0, true));
}

TEST(Vstm32RngModelTest, DataReadyAfterEnableAndEachRead) {
  auto m = idle_machine();
  ASSERT_NE(m, nullptr);
  constexpr uint32_t kRng = 0x5006'0800;
  write(*m, kRcc + 0x34, 1u << 6);  // AHB2ENR RNGEN
  EXPECT_EQ(read32(*m, kRng + 0x00), 0u);
  EXPECT_EQ(read32(*m, kRng + 0x04), 0u);
  write(*m, kRng + 0x00, 4u | 8u);         // RNGEN, IE
  EXPECT_EQ(read32(*m, kRng + 0x04), 0u);  // 40 PLL48 periods first
  m->run_for_ns(1'000);
  EXPECT_EQ(read32(*m, kRng + 0x04), 1u);
  EXPECT_NE(read32(*m, kNvic + 0x208) & (1u << (80 - 64)), 0u);  // HASH_RNG pending
  const uint32_t a = read32(*m, kRng + 0x08);
  EXPECT_EQ(read32(*m, kRng + 0x04), 0u);  // DRDY cleared by the read
  m->run_for_ns(1'000);
  const uint32_t b = read32(*m, kRng + 0x08);
  EXPECT_NE(a, b);
}

TEST(Vstm32NvicModelTest, RegistersAndWarningsForUnmodelledSources) {
  auto m = idle_machine();
  ASSERT_NE(m, nullptr);
  write(*m, kNvic + 0x400 + 18, 0xFF);  // byte store would be a probe word write: IPR4
  EXPECT_EQ(read32(*m, kNvic + 0x400 + 16) >> 16 & 0xFFu, 0xF0u);  // 4 bits implemented
  write(*m, kNvic + 0x200, 1u << 18);
  EXPECT_EQ(read32(*m, kNvic + 0x200), 1u << 18);
  write(*m, kNvic + 0x280, 1u << 18);
  EXPECT_EQ(read32(*m, kNvic + 0x200), 0u);
  (void)m->take_events();
  write(*m, kNvic + 0x180, 1u << 18);         // ICER: nothing to warn about
  write(*m, kNvic + 0x108, 1u << (71 - 64));  // USART6: modelled, no warning
  EXPECT_TRUE(events_with(m->take_events(), Kind::kInfo, "warning:").empty());
  // ADC (IRQ 18) has no model: one warning when firmware enables it, not twice.
  write(*m, kNvic + 0x180, 1u << (71 - 64));
  write(*m, kNvic + 0x108, 0);
  ASSERT_TRUE(m->debug_write32(kNvic + 0x100, 1u << 18));
  ASSERT_TRUE(m->debug_write32(kNvic + 0x180, 1u << 18));
  ASSERT_TRUE(m->debug_write32(kNvic + 0x100, 1u << 18));
  auto warnings = events_with(m->take_events(), Kind::kInfo, "warning: firmware enables IRQ 18");
  EXPECT_EQ(warnings.size(), 1u);
  ASSERT_TRUE(m->debug_write32(kNvic + 0x180, 1u << 18));
  // An unmodelled block (SPI1): one warning for the block, storage semantics.
  write(*m, 0x4001'3000, 0x44);
  EXPECT_EQ(read32(*m, 0x4001'3000), 0x44u);
  warnings = events_with(m->take_events(), Kind::kInfo, "warning: firmware uses SPI1");
  EXPECT_EQ(warnings.size(), 1u);
}

// DMA (RM0090 section 10): reset values, memory-to-memory on DMA2 (not DMA1), the flags and their
// clear registers, a transfer error on CCM (not on the DMA's bus), and a circular
// peripheral-to-memory stream paced by USART2's receive request with its half/complete IRQ.
TEST(Vstm32DmaModelTest, MemoryToMemoryFlagsErrorsAndCircularUartReceive) {
  auto m = idle_machine();
  ASSERT_NE(m, nullptr);
  constexpr uint32_t kAhb1enr = kRcc + 0x30, kDma1 = 0x4002'6000, kDma2 = 0x4002'6400;
  constexpr uint32_t kSrc = 0x2001'0000, kDst = 0x2001'0100;
  const uint32_t s0 = kDma2 + 0x10;
  write(*m, s0 + 0x04, 7);  // clock off: ignored
  write(*m, kAhb1enr, (1u << 21) | (1u << 22));
  EXPECT_EQ(read32(*m, s0 + 0x04), 0u);
  EXPECT_EQ(read32(*m, s0 + 0x00), 0u);
  EXPECT_EQ(read32(*m, s0 + 0x14), 0x21u);  // FCR: FIFO empty, threshold 1/2
  EXPECT_EQ(read32(*m, kDma2 + 0x00), 0u);

  for (uint32_t i = 0; i < 8; ++i) write(*m, kSrc + 4 * i, 0xA5A5'0000u + i);
  // M2M, PINC, MINC, words, TCIE.
  const uint32_t m2m = (2u << 6) | (1u << 9) | (1u << 10) | (2u << 11) | (2u << 13) | (1u << 4);
  write(*m, s0 + 0x08, kSrc);
  write(*m, s0 + 0x0C, kDst);
  write(*m, s0 + 0x04, 8);
  write(*m, s0 + 0x00, m2m | 1u);
  for (uint32_t i = 0; i < 8; ++i) EXPECT_EQ(read32(*m, kDst + 4 * i), 0xA5A5'0000u + i) << i;
  EXPECT_EQ(read32(*m, s0 + 0x00) & 1u, 0u);  // EN drops at the end
  EXPECT_EQ(read32(*m, s0 + 0x04), 0u);
  EXPECT_EQ(read32(*m, kDma2 + 0x00), (1u << 5) | (1u << 4));                 // TCIF0, HTIF0
  EXPECT_EQ(read32(*m, kNvic + 0x204) & (1u << (56 - 32)), 1u << (56 - 32));  // DMA2 stream 0
  write(*m, s0 + 0x04, 8);
  write(*m, s0 + 0x00, m2m | 1u);  // TCIF still set: the stream does not start
  EXPECT_EQ(read32(*m, s0 + 0x00) & 1u, 0u);
  EXPECT_EQ(read32(*m, s0 + 0x04), 8u);
  write(*m, kDma2 + 0x08, 0x3Du);  // LIFCR clears stream 0's flags
  EXPECT_EQ(read32(*m, kDma2 + 0x00), 0u);

  // CCM is not reachable by the DMA: transfer error, EN cleared.
  write(*m, s0 + 0x08, 0x1000'0000);
  write(*m, s0 + 0x00, m2m | 1u);
  EXPECT_EQ(read32(*m, kDma2 + 0x00) & (1u << 3), 1u << 3);  // TEIF0
  EXPECT_EQ(read32(*m, s0 + 0x00) & 1u, 0u);

  // DMA1 cannot do memory to memory.
  (void)m->take_events();
  write(*m, kDma1 + 0x10 + 0x04, 8);
  write(*m, kDma1 + 0x10, m2m | 1u);
  EXPECT_EQ(read32(*m, kDma1 + 0x10) & 1u, 0u);
  EXPECT_EQ(events_with(m->take_events(), Kind::kInfo, "memory-to-memory needs DMA2").size(), 1u);

  // USART2 receive into a 4-byte circular ring: DMA1 stream 5, channel 4.
  write(*m, kApb1enr, 1u << 17);
  write(*m, kUsart2 + 0x08, 139);
  write(*m, kUsart2 + 0x0C, (1u << 13) | (1u << 3) | (1u << 2));
  const uint32_t s5 = kDma1 + 0x10 + 5 * 0x18;
  write(*m, s5 + 0x08, kUsart2 + 0x04);
  write(*m, s5 + 0x0C, kDst);
  write(*m, s5 + 0x04, 4);
  write(*m, s5 + 0x00, (4u << 25) | (1u << 10) | (1u << 8) | (1u << 4) | (1u << 3) | 1u);
  m->uart_receive(2, 'a');  // DMAR still off: the byte waits in DR
  EXPECT_EQ(read32(*m, s5 + 0x04), 4u);
  write(*m, kUsart2 + 0x14, 1u << 6);  // DMAR: the pending byte goes at once
  EXPECT_EQ(read32(*m, s5 + 0x04), 3u);
  EXPECT_EQ(read32(*m, kUsart2) & kRxne, 0u);
  for (char c : std::string("bcde")) m->uart_receive(2, static_cast<uint8_t>(c));
  EXPECT_EQ(read32(*m, kDst), 0x6463'6265u);                    // "ebcd": the ring wrapped
  EXPECT_EQ(read32(*m, s5 + 0x04), 3u);                         // reloaded, one taken
  EXPECT_EQ(read32(*m, s5 + 0x00) & 1u, 1u);                    // circular: still enabled
  EXPECT_EQ(read32(*m, kDma1 + 0x04) & (3u << 10), 3u << 10);   // HISR: HTIF5, TCIF5
  EXPECT_EQ(read32(*m, kNvic + 0x200) & (1u << 16), 1u << 16);  // DMA1 stream 5 pending
  write(*m, kDma1 + 0x0C, 3u << 10);
  EXPECT_EQ(read32(*m, kDma1 + 0x04), 0u);
}

}  // namespace
