// SPDX-License-Identifier: Apache-2.0
// testfw-irq: an ordinary interrupt-driven application, written the way vendor HALs drive the
// hardware, for vstm32's "run your own firmware" tests. Runs linked for 0x0800'0000 and, relinked,
// in slot A behind our bootloader. In order, each step printing its result on USART1:
//   1. PLL to 168 MHz, SysTick 1 ms, a HAL_Delay(100) between two orange LED edges;
//   2. TIM2 update interrupt toggling the green LED every 25 ms, 8 times (PSC 8399, ARR 249);
//   3. nested interrupts by priority (PRIGROUP 3): TIM3 (low) pends TIM4 (high: preempts), TIM4
//      pends TIM5 (between: runs after TIM4, before TIM3 resumes); IABR and MRS IPSR inside
//      TIM4, IPSR back in thread mode;
//   4. BASEPRI and PRIMASK masking: a pended interrupt waits while masked, runs on unmask;
//   5. interrupt-driven echo (RXNE in, TXE out, ring buffers) on USART1 and USART2 at 115200,
//      upper-casing letters, until each has received a '.';
//   6. the user button on PA0 through SYSCFG EXTICR1 and EXTI0 (rising edge), two presses;
//   7. UART DMA as HAL_UART_Receive_DMA (circular, half/complete callbacks) and
//      HAL_UART_Transmit_DMA (stream TC, then the USART's TC interrupt) on USART2 with DMA1
//      streams 5/6, and a memory-to-memory copy on DMA2 stream 0.
// USART1 output is interrupt-driven too (TXEIE), like HAL_UART_Transmit_IT.
#include <cstdint>
#include <string_view>

#include "format/decimal.h"
#include "stm32f407/clock.h"
#include "stm32f407/iwdg.h"
#include "stm32f407/regs.h"

namespace {

using fota::stm32::reg;
using fota::stm32::rcc::kAhb1enr;
using fota::stm32::rcc::kApb1enr;
using fota::stm32::rcc::kApb2enr;
using fota::stm32::scb::kAircr;
constexpr uint32_t kGpioA = fota::stm32::gpio::kGpioa, kGpioD = fota::stm32::gpio::kGpiod;
constexpr uint32_t kSyscfgExticr1 = 0x4001'3808;
constexpr uint32_t kExti = 0x4001'3C00;
constexpr uint32_t kTim2 = 0x4000'0000;
constexpr uint32_t kNvicIser = 0xE000'E100, kNvicIspr = 0xE000'E200, kNvicIabr = 0xE000'E300,
                   kNvicIpr = 0xE000'E400;
constexpr unsigned kIrqExti0 = 6, kIrqTim2 = 28, kIrqTim3 = 29, kIrqTim4 = 30, kIrqUsart1 = 37,
                   kIrqUsart2 = 38, kIrqTim5 = 50;
constexpr uint32_t kSrRxne = 1u << 5, kSrTxe = 1u << 7, kSrOre = 1u << 3;
constexpr uint32_t kCr1Re = 1u << 2, kCr1Te = 1u << 3, kCr1Rxneie = 1u << 5, kCr1Txeie = 1u << 7,
                   kCr1Ue = 1u << 13;

inline void disable_irq() {
  asm volatile("cpsid i" ::: "memory");
}
inline void enable_irq() {
  asm volatile("cpsie i" ::: "memory");
}
inline void barrier() {
  asm volatile("dsb\n isb" ::: "memory");
}
inline void set_basepri(uint32_t v) {
  asm volatile("msr basepri, %0" ::"r"(v) : "memory");
}

void nvic_enable(unsigned irq, uint8_t priority) {
  reinterpret_cast<volatile uint8_t*>(kNvicIpr)[irq] = priority;
  reg(kNvicIser + 4 * (irq / 32)) = 1u << (irq % 32);
}
void nvic_pend(unsigned irq) {
  reg(kNvicIspr + 4 * (irq / 32)) = 1u << (irq % 32);
  barrier();
}
bool nvic_pending(unsigned irq) {
  return (reg(kNvicIspr + 4 * (irq / 32)) >> (irq % 32)) & 1u;
}

// ---- interrupt-driven UART (ring buffers), HAL_UART_Receive_IT / Transmit_IT style ----
struct Uart {
  uint32_t base;
  volatile uint8_t rx[64];
  volatile uint32_t rx_head, rx_tail;
  volatile uint8_t tx[256];
  volatile uint32_t tx_head, tx_tail;
  volatile uint32_t overruns;
};
Uart g_usart1{0x4001'1000, {}, 0, 0, {}, 0, 0, 0};
Uart g_usart2{0x4000'4400, {}, 0, 0, {}, 0, 0, 0};

void uart_init(Uart& u, uint32_t pclk_hz, uint32_t baud, unsigned irq) {
  reg(u.base + 0x0C) = 0;
  reg(u.base + 0x08) = (pclk_hz + baud / 2) / baud;  // BRR, oversampling by 16
  reg(u.base + 0x10) = 0;
  reg(u.base + 0x14) = 0;
  reg(u.base + 0x0C) = kCr1Ue | kCr1Te | kCr1Re | kCr1Rxneie;
  nvic_enable(irq, 0x60);
}

void uart_put(Uart& u, char c) {
  const uint32_t next = (u.tx_head + 1) % sizeof u.tx;
  while (next == u.tx_tail) fota::stm32::iwdg_kick();  // full: the interrupt drains it
  u.tx[u.tx_head] = static_cast<uint8_t>(c);
  u.tx_head = next;
  disable_irq();  // CR1 is also written by the interrupt handler
  reg(u.base + 0x0C) = reg(u.base + 0x0C) | kCr1Txeie;
  enable_irq();
}

int uart_get(Uart& u) {
  if (u.rx_head == u.rx_tail) return -1;
  const uint8_t b = u.rx[u.rx_tail];
  u.rx_tail = (u.rx_tail + 1) % sizeof u.rx;
  return b;
}

void uart_irq(Uart& u) {
  const uint32_t sr = reg(u.base + 0x00);
  const uint32_t cr1 = reg(u.base + 0x0C);
  if (sr & (kSrRxne | kSrOre)) {
    const uint8_t b = static_cast<uint8_t>(reg(u.base + 0x04));  // clears RXNE and ORE
    if (sr & kSrOre) u.overruns = u.overruns + 1;
    const uint32_t next = (u.rx_head + 1) % sizeof u.rx;
    if (next != u.rx_tail) {
      u.rx[u.rx_head] = b;
      u.rx_head = next;
    }
  }
  if ((cr1 & kCr1Txeie) && (sr & kSrTxe)) {
    if (u.tx_tail != u.tx_head) {
      reg(u.base + 0x04) = u.tx[u.tx_tail];
      u.tx_tail = (u.tx_tail + 1) % sizeof u.tx;
    } else {
      reg(u.base + 0x0C) = cr1 & ~kCr1Txeie;  // nothing left: TXE interrupt off
    }
  }
}

void print(std::string_view text) {
  for (char c : text) uart_put(g_usart1, c);
}
void print_uint(uint32_t v) {
  char digits[fota::kMaxDecimalDigits];
  print(std::string_view(digits, fota::write_decimal(v, digits)));
}
void flush() {
  while (g_usart1.tx_tail != g_usart1.tx_head) fota::stm32::iwdg_kick();
}

// ---- SysTick / HAL_Delay ----
volatile uint32_t g_ms = 0;
void delay_ms(uint32_t ms) {
  const uint32_t start = g_ms;
  while (g_ms - start < ms) fota::stm32::iwdg_kick();
}

void led(unsigned pin, bool on) {
  reg(kGpioD + 0x18) = on ? 1u << pin : 1u << (pin + 16);
}

// ---- nesting log ----
volatile char g_log[16];
volatile uint32_t g_log_len = 0;
void log(char c) {
  if (g_log_len < sizeof g_log) g_log[g_log_len] = c;
  g_log_len = g_log_len + 1;
}
void print_log() {
  for (uint32_t i = 0; i < g_log_len && i < sizeof g_log; ++i) uart_put(g_usart1, g_log[i]);
  g_log_len = 0;
}
volatile uint32_t g_iabr_in_tim4 = 0;
volatile uint32_t g_ipsr_in_tim4 = 0;
inline uint32_t ipsr() {
  uint32_t v;
  asm volatile("mrs %0, ipsr" : "=r"(v));
  return v;
}

// ---- DMA (HAL_UART_Receive_DMA circular / HAL_UART_Transmit_DMA, HAL_DMA_Start_IT M2M) ----
constexpr uint32_t kDma1 = 0x4002'6000, kDma2 = 0x4002'6400;
constexpr unsigned kIrqDma1S5 = 16, kIrqDma1S6 = 17, kIrqDma2S0 = 56;
constexpr uint32_t kDmaEn = 1u << 0, kDmaTeie = 1u << 2, kDmaHtie = 1u << 3, kDmaTcie = 1u << 4,
                   kDmaCirc = 1u << 8, kDmaMinc = 1u << 10, kDmaM2p = 1u << 6, kDmaM2m = 2u << 6;
constexpr uint32_t kCr1Tcie = 1u << 6, kSrTc = 1u << 6;
constexpr uint32_t kCr3Dmar = 1u << 6, kCr3Dmat = 1u << 7;
uint32_t stream(uint32_t dma, unsigned s) {
  return dma + 0x10 + 0x18 * s;
}
uint8_t g_dma_rx[8];
volatile uint8_t g_dma_line[16];
volatile uint32_t g_dma_line_len = 0;
volatile uint32_t g_dma_rx_pos = 0;  // the next byte of g_dma_rx to take
uint8_t g_dma_tx[16];
volatile bool g_dma_tx_done = false;
volatile char g_dma_log[12];
volatile uint32_t g_dma_log_len = 0;
uint32_t g_m2m_src[16];
uint32_t g_m2m_dst[16];
volatile bool g_m2m_done = false;
void dma_log(char c) {
  if (g_dma_log_len < sizeof g_dma_log) g_dma_log[g_dma_log_len] = c;
  g_dma_log_len = g_dma_log_len + 1;
}
// HAL_UARTEx_RxEventCallback style: take what the DMA wrote up to `end` of the ring.
void dma_take(uint32_t end) {
  while (g_dma_rx_pos != end) {
    if (g_dma_line_len < sizeof g_dma_line) g_dma_line[g_dma_line_len] = g_dma_rx[g_dma_rx_pos];
    g_dma_line_len = g_dma_line_len + 1;
    g_dma_rx_pos = (g_dma_rx_pos + 1) % sizeof g_dma_rx;
  }
}

volatile uint32_t g_tim2_toggles = 0;
volatile uint32_t g_button_presses = 0;

}  // namespace

extern "C" {
void SysTick_Handler() {
  g_ms = g_ms + 1;
}
void USART1_IRQHandler() {
  uart_irq(g_usart1);
}
void USART2_IRQHandler() {
  const uint32_t sr = reg(g_usart2.base + 0x00);
  const uint32_t cr1 = reg(g_usart2.base + 0x0C);
  if ((cr1 & kCr1Tcie) && (sr & kSrTc)) {  // UART_EndTransmit_IT: the DMA transmit is over
    reg(g_usart2.base + 0x0C) = cr1 & ~kCr1Tcie;
    dma_log('U');
    g_dma_tx_done = true;
    return;
  }
  uart_irq(g_usart2);
}
// DMA1 stream 5 (USART2 RX, circular): HISR bits 6.. (FEIF5 6, TEIF5 9, HTIF5 10, TCIF5 11).
void DMA1_Stream5_IRQHandler() {
  const uint32_t hisr = reg(kDma1 + 0x04);
  if (hisr & (1u << 10)) {
    reg(kDma1 + 0x0C) = 1u << 10;
    dma_log('h');
    dma_take(sizeof g_dma_rx / 2);
  }
  if (hisr & (1u << 11)) {
    reg(kDma1 + 0x0C) = 1u << 11;
    dma_log('t');
    dma_take(0);
  }
  if (hisr & (1u << 9)) {
    reg(kDma1 + 0x0C) = 1u << 9;
    dma_log('E');
  }
}
// DMA1 stream 6 (USART2 TX): HISR bits 16.. (TCIF6 21). UART_DMATransmitCplt: DMAT off, TCIE on.
void DMA1_Stream6_IRQHandler() {
  const uint32_t hisr = reg(kDma1 + 0x04);
  if (hisr & (1u << 21)) {
    reg(kDma1 + 0x0C) = 1u << 21;
    dma_log('T');
    reg(g_usart2.base + 0x14) = reg(g_usart2.base + 0x14) & ~kCr3Dmat;
    reg(g_usart2.base + 0x0C) = reg(g_usart2.base + 0x0C) | kCr1Tcie;
  }
  if (hisr & (1u << 19)) {
    reg(kDma1 + 0x0C) = 1u << 19;
    dma_log('E');
  }
}
// DMA2 stream 0 (memory to memory): LISR TCIF0 bit 5.
void DMA2_Stream0_IRQHandler() {
  if (reg(kDma2 + 0x00) & (1u << 5)) {
    reg(kDma2 + 0x08) = 1u << 5;
    g_m2m_done = true;
  }
}
void TIM2_IRQHandler() {
  reg(kTim2 + 0x10) = ~1u;  // clear UIF (rc_w0), as HAL does
  const uint32_t n = g_tim2_toggles + 1;
  g_tim2_toggles = n;
  led(12, (n & 1u) != 0);
  if (n >= 8) reg(kTim2 + 0x00) = 0;  // counter off
}
void TIM3_IRQHandler() {
  log('3');
  nvic_pend(kIrqTim4);  // higher priority: preempts at once
  log('3');
}
void TIM4_IRQHandler() {
  log('4');
  g_iabr_in_tim4 = reg(kNvicIabr);
  g_ipsr_in_tim4 = ipsr();  // 16 + 30, as ICSR.VECTACTIVE
  nvic_pend(kIrqTim5);      // lower than TIM4, higher than TIM3: after TIM4, before TIM3 resumes
  log('4');
}
void TIM5_IRQHandler() {
  log('5');
}
void EXTI0_IRQHandler() {
  reg(kExti + 0x14) = 1u;  // clear the pending bit (rc_w1)
  g_button_presses = g_button_presses + 1;
  led(15, (g_button_presses & 1u) != 0);
}
}

// `break main` works in a debugger (not inlined into Reset_Handler by LTO).
__attribute__((externally_visible, noinline)) int main() {
  const fota::stm32::ClockInfo clock = fota::stm32::clock_init_168mhz();
  const uint32_t pclk1 = clock.pclk2_hz / 2;               // APB1 /4, APB2 /2
  reg(kAhb1enr) = reg(kAhb1enr) | 1u | (1u << 3);          // GPIOA, GPIOD
  reg(kApb1enr) = reg(kApb1enr) | 0xFu | (1u << 17);       // TIM2-5, USART2
  reg(kApb2enr) = reg(kApb2enr) | (1u << 4) | (1u << 14);  // USART1, SYSCFG
  const uint32_t readback = reg(kApb2enr);  // as HAL: the clock is on before the first access
  asm volatile("" ::"r"(readback));
  // PD12-15 outputs; PA9/PA10 (USART1) and PA2/PA3 (USART2) alternate function 7.
  reg(kGpioD + 0x00) = (reg(kGpioD + 0x00) & 0x00FF'FFFFu) | 0x5500'0000u;
  reg(kGpioD + 0x18) = 0xF000u << 16;  // every LED off, whatever a bootloader left on
  reg(kGpioA + 0x00) = (reg(kGpioA + 0x00) & ~0x003C'00F0u) | 0x0028'00A0u;
  reg(kGpioA + 0x20) = (reg(kGpioA + 0x20) & ~0x0000'FF00u) | 0x0000'7700u;
  reg(kGpioA + 0x24) = (reg(kGpioA + 0x24) & ~0x0000'0FF0u) | 0x0000'0770u;
  reg(kAircr) = 0x05FA'0000u | (3u << 8);  // PRIGROUP 3: 4 bits of group priority
  uart_init(g_usart1, clock.pclk2_hz, 115200, kIrqUsart1);
  uart_init(g_usart2, pclk1, 115200, kIrqUsart2);
  reinterpret_cast<volatile uint8_t*>(0xE000'ED20)[3] = 0xF0;  // SysTick: lowest priority
  reg(0xE000'E014) = clock.sysclk_hz / 1000 - 1;
  reg(0xE000'E018) = 0;
  reg(0xE000'E010) = 7;
  print("irq: sysclk=");
  print_uint(clock.sysclk_hz);
  print("\n");

  // 1. HAL_Delay between two orange LED edges.
  led(13, true);
  delay_ms(100);
  led(13, false);
  print("delay: done\n");

  // 2. TIM2 update interrupt every 25 ms: 84 MHz / 8400 = 10 kHz, 250 counts.
  reg(kTim2 + 0x28) = 8400 - 1;  // PSC
  reg(kTim2 + 0x2C) = 250 - 1;   // ARR
  reg(kTim2 + 0x14) = 1;         // UG: load PSC (HAL_TIM_Base_Init)
  reg(kTim2 + 0x10) = 0;         // clear the UIF that UG set
  reg(kTim2 + 0x0C) = 1;         // UIE
  nvic_enable(kIrqTim2, 0x20);
  reg(kTim2 + 0x00) = 1;  // CEN
  while (g_tim2_toggles < 8) fota::stm32::iwdg_kick();
  print("tim2: toggles=");
  print_uint(g_tim2_toggles);
  print("\n");

  // 3. Nesting: TIM3 0xC0 (low), TIM5 0x80, TIM4 0x40 (high); pended by software.
  nvic_enable(kIrqTim3, 0xC0);
  nvic_enable(kIrqTim4, 0x40);
  nvic_enable(kIrqTim5, 0x80);
  nvic_pend(kIrqTim3);
  print("nest: ");
  print_log();
  print(" iabr=");
  print_uint(g_iabr_in_tim4 >> kIrqTim3);  // TIM3 and TIM4 active inside TIM4: 0b11
  print(" ipsr=");
  print_uint(g_ipsr_in_tim4);
  print(" thread=");
  print_uint(ipsr());  // 0 again in thread mode
  print("\n");

  // 4. BASEPRI 0x80 masks TIM5 (0x80) but not TIM4 (0x40); PRIMASK masks everything.
  set_basepri(0x80);
  barrier();
  nvic_pend(kIrqTim5);
  log(nvic_pending(kIrqTim5) ? 'p' : 'x');
  log('|');
  nvic_pend(kIrqTim4);  // above the mask: runs (its own pend of TIM5 stays masked)
  log('|');
  set_basepri(0);
  barrier();
  log('|');
  disable_irq();
  nvic_pend(kIrqTim5);
  log(nvic_pending(kIrqTim5) ? 'p' : 'x');
  enable_irq();
  log('.');
  print("mask: ");
  print_log();
  print("\n");

  // 5. Echo on USART1 and USART2 until each has seen a '.'.
  print("echo: ready\n");
  bool done1 = false, done2 = false;
  while (!done1 || !done2) {
    fota::stm32::iwdg_kick();
    for (Uart* u : {&g_usart1, &g_usart2}) {
      const int c = uart_get(*u);
      if (c < 0) continue;
      const char out = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : static_cast<char>(c);
      uart_put(*u, out);
      if (c == '.') (u == &g_usart1 ? done1 : done2) = true;
    }
  }
  print("\necho: done overruns=");
  print_uint(g_usart1.overruns + g_usart2.overruns);
  print("\n");

  // 6. User button: PA0 input with pull-down, EXTI0 on the rising edge.
  reg(kGpioA + 0x00) = reg(kGpioA + 0x00) & ~3u;
  reg(kGpioA + 0x0C) = (reg(kGpioA + 0x0C) & ~3u) | 2u;
  reg(kSyscfgExticr1) = reg(kSyscfgExticr1) & ~0xFu;  // EXTI0 <- port A
  reg(kExti + 0x08) = reg(kExti + 0x08) | 1u;         // RTSR
  reg(kExti + 0x0C) = reg(kExti + 0x0C) & ~1u;        // not FTSR
  reg(kExti + 0x00) = reg(kExti + 0x00) | 1u;         // IMR
  nvic_enable(kIrqExti0, 0xA0);
  print("button: ready\n");
  while (g_button_presses < 2) fota::stm32::iwdg_kick();
  print("button: presses=");
  print_uint(g_button_presses);
  print("\n");

  // 7. UART DMA on USART2 (DMA1 stream 5 RX circular, stream 6 TX, channel 4), M2M on DMA2.
  reg(kAhb1enr) = reg(kAhb1enr) | (1u << 21) | (1u << 22);
  const uint32_t ahb1 = reg(kAhb1enr);  // read back: the clock is on before the first access
  asm volatile("" ::"r"(ahb1));
  reg(g_usart2.base + 0x0C) = reg(g_usart2.base + 0x0C) & ~kCr1Rxneie;  // from IT to DMA
  const uint32_t rx = stream(kDma1, 5), tx = stream(kDma1, 6);
  reg(rx + 0x00) = 0;  // HAL_DMA_Init: off, wait for EN to read 0
  while (reg(rx + 0x00) & kDmaEn) {
  }
  reg(rx + 0x00) = (4u << 25) | kDmaMinc | kDmaCirc;  // channel 4, P2M, bytes
  reg(rx + 0x14) = 0;                                 // direct mode
  reg(rx + 0x08) = g_usart2.base + 0x04;              // PAR: DR
  reg(rx + 0x0C) = reinterpret_cast<uint32_t>(g_dma_rx);
  reg(rx + 0x04) = sizeof g_dma_rx;
  reg(kDma1 + 0x0C) = 0x3Du << 6;  // clear stream 5's flags
  reg(rx + 0x00) = reg(rx + 0x00) | kDmaTcie | kDmaHtie | kDmaTeie;
  reg(rx + 0x00) = reg(rx + 0x00) | kDmaEn;
  const uint32_t sr_dr = reg(g_usart2.base + 0x00) + reg(g_usart2.base + 0x04);  // clear ORE
  asm volatile("" ::"r"(sr_dr));
  reg(g_usart2.base + 0x14) = reg(g_usart2.base + 0x14) | kCr3Dmar;
  nvic_enable(kIrqDma1S5, 0x60);
  nvic_enable(kIrqDma1S6, 0x60);
  print("dma: ready\n");
  while (g_dma_line_len < 12) fota::stm32::iwdg_kick();
  for (uint32_t i = 0; i < 12; ++i) {
    const uint8_t c = g_dma_line[i];
    g_dma_tx[i] = (c >= 'a' && c <= 'z') ? static_cast<uint8_t>(c - 32) : c;
  }
  g_dma_tx[12] = '\n';
  reg(tx + 0x00) = (4u << 25) | kDmaMinc | kDmaM2p;
  reg(tx + 0x14) = 0;
  reg(tx + 0x08) = g_usart2.base + 0x04;
  reg(tx + 0x0C) = reinterpret_cast<uint32_t>(g_dma_tx);
  reg(tx + 0x04) = 13;
  reg(kDma1 + 0x0C) = 0x3Du << 16;
  reg(tx + 0x00) = reg(tx + 0x00) | kDmaTcie | kDmaTeie | kDmaEn;
  reg(g_usart2.base + 0x00) = ~kSrTc;  // __HAL_UART_CLEAR_FLAG(TC)
  reg(g_usart2.base + 0x14) = reg(g_usart2.base + 0x14) | kCr3Dmat;
  while (!g_dma_tx_done) fota::stm32::iwdg_kick();
  print("dma: log=");
  for (uint32_t i = 0; i < g_dma_log_len && i < sizeof g_dma_log; ++i) {
    uart_put(g_usart1, g_dma_log[i]);
  }
  print(" ndtr=");
  print_uint(reg(rx + 0x04));  // 12 of the 8-byte ring taken: 4 left in this round
  print("\n");

  // Memory to memory: 16 words, DMA2 stream 0, FIFO mode (direct mode is not allowed for M2M).
  for (uint32_t i = 0; i < 16; ++i) g_m2m_src[i] = 0x1000'0001u * (i + 1);
  const uint32_t m2m = stream(kDma2, 0);
  reg(m2m + 0x00) = kDmaM2m | (1u << 9) | kDmaMinc | (2u << 11) | (2u << 13);  // PINC, words
  reg(m2m + 0x14) = (1u << 2) | 3u;                                            // FIFO, full
  reg(m2m + 0x08) = reinterpret_cast<uint32_t>(g_m2m_src);
  reg(m2m + 0x0C) = reinterpret_cast<uint32_t>(g_m2m_dst);
  reg(m2m + 0x04) = 16;
  reg(kDma2 + 0x08) = 0x3Du;
  nvic_enable(kIrqDma2S0, 0x60);
  reg(m2m + 0x00) = reg(m2m + 0x00) | kDmaTcie | kDmaEn;
  while (!g_m2m_done) fota::stm32::iwdg_kick();
  bool same = true;
  for (uint32_t i = 0; i < 16; ++i) same = same && g_m2m_dst[i] == g_m2m_src[i];
  print(same ? "m2m: same\n" : "m2m: differs\n");
  print("done\n");
  flush();
  for (;;) fota::stm32::iwdg_kick();
}
