// SPDX-License-Identifier: Apache-2.0
// The memory-mapped peripherals of vstm32::Machine, modelled from RM0090 (register layout, reset
// values, access rules) and DS8626 (flash timings): RCC, FLASH interface, CRC, IWDG, USART1,
// GPIOA-I (LEDs on GPIOD 12-15), SCB, SysTick, NVIC enables, DBGMCU, backup registers/SRAM.
// Registers of other peripherals that exist on the chip read and write as plain storage and are
// reported once as "unmodelled"; addresses where the chip has nothing raise a bus fault.
#include <unicorn/unicorn.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>

#include "format/crc32.h"
#include "format/flash_map.h"
#include "machine_impl.h"

namespace vstm32 {

namespace fm = fota::flash_map;

namespace {

constexpr uint32_t kRcc = 0x4002'3800;
constexpr uint32_t kFlashIf = 0x4002'3C00;
constexpr uint32_t kCrc = 0x4002'3000;
constexpr uint32_t kIwdg = 0x4000'3000;
constexpr uint32_t kUsart1 = 0x4001'1000;
constexpr uint32_t kGpioA = 0x4002'0000;
constexpr uint32_t kBkpSram = 0x4002'4000;
constexpr uint32_t kRtcBkp = 0x4000'2850;
constexpr uint32_t kPwr = 0x4000'7000;
constexpr uint32_t kScs = 0xE000'E000;
constexpr uint32_t kDbgMcu = 0xE004'2000;
constexpr uint64_t kHseHz = 8'000'000;  // the Discovery board's crystal
constexpr uint64_t kHsiHz = 16'000'000;

// Peripheral blocks of the STM32F407 (RM0090 table 1), 1 KB each unless stated.
struct Block {
  uint32_t base, size;
  const char* name;
};
constexpr Block kBlocks[] = {
    {0x4000'0000, 0x400, "TIM2"},         {0x4000'0400, 0x400, "TIM3"},
    {0x4000'0800, 0x400, "TIM4"},         {0x4000'0C00, 0x400, "TIM5"},
    {0x4000'1000, 0x400, "TIM6"},         {0x4000'1400, 0x400, "TIM7"},
    {0x4000'1800, 0x400, "TIM12"},        {0x4000'1C00, 0x400, "TIM13"},
    {0x4000'2000, 0x400, "TIM14"},        {0x4000'2800, 0x400, "RTC/BKP"},
    {0x4000'2C00, 0x400, "WWDG"},         {0x4000'3000, 0x400, "IWDG"},
    {0x4000'3400, 0x400, "I2S2ext"},      {0x4000'3800, 0x400, "SPI2"},
    {0x4000'3C00, 0x400, "SPI3"},         {0x4000'4000, 0x400, "I2S3ext"},
    {0x4000'4400, 0x400, "USART2"},       {0x4000'4800, 0x400, "USART3"},
    {0x4000'4C00, 0x400, "UART4"},        {0x4000'5000, 0x400, "UART5"},
    {0x4000'5400, 0x400, "I2C1"},         {0x4000'5800, 0x400, "I2C2"},
    {0x4000'5C00, 0x400, "I2C3"},         {0x4000'6400, 0x400, "CAN1"},
    {0x4000'6800, 0x400, "CAN2"},         {0x4000'7000, 0x400, "PWR"},
    {0x4000'7400, 0x400, "DAC"},          {0x4001'0000, 0x400, "TIM1"},
    {0x4001'0400, 0x400, "TIM8"},         {0x4001'1000, 0x400, "USART1"},
    {0x4001'1400, 0x400, "USART6"},       {0x4001'2000, 0x400, "ADC"},
    {0x4001'2C00, 0x400, "SDIO"},         {0x4001'3000, 0x400, "SPI1"},
    {0x4001'3800, 0x400, "SYSCFG"},       {0x4001'3C00, 0x400, "EXTI"},
    {0x4001'4000, 0x400, "TIM9"},         {0x4001'4400, 0x400, "TIM10"},
    {0x4001'4800, 0x400, "TIM11"},        {0x4002'0000, 0x2400, "GPIOA-I"},
    {0x4002'3000, 0x400, "CRC"},          {0x4002'3800, 0x400, "RCC"},
    {0x4002'3C00, 0x400, "FLASH"},        {0x4002'4000, 0x1000, "BKPSRAM"},
    {0x4002'6000, 0x400, "DMA1"},         {0x4002'6400, 0x400, "DMA2"},
    {0x4002'8000, 0x1400, "ETH"},         {0x4004'0000, 0x40000, "USB OTG HS"},
    {0x5000'0000, 0x40000, "USB OTG FS"}, {0x5005'0000, 0x400, "DCMI"},
    {0x5006'0800, 0x400, "RNG"},          {0xE000'0000, 0x100000, "PPB"},
};

const Block* find_block_slow(uint32_t address) {
  for (const Block& b : kBlocks) {
    if (address >= b.base && address < b.base + b.size) return &b;
  }
  return nullptr;
}

// Every peripheral access looks its block up: APB1/APB2/AHB1 (0x4000'0000-0x4007'FFFF) through
// a table of 1 KB slots, the few blocks elsewhere by a scan.
constexpr uint32_t kSlotBase = 0x4000'0000;
constexpr uint32_t kSlotCount = 0x8'0000 / 0x400;

const Block* find_block(uint32_t address) {
  static const auto slots = [] {
    std::array<const Block*, kSlotCount> table{};
    for (uint32_t i = 0; i < kSlotCount; ++i) table[i] = find_block_slow(kSlotBase + i * 0x400);
    return table;
  }();
  if (address - kSlotBase < kSlotCount * 0x400) return slots[(address - kSlotBase) / 0x400];
  return find_block_slow(address);
}

}  // namespace

bool Machine::Impl::known_peripheral(uint32_t address) const {
  return find_block(address) != nullptr;
}

void Machine::Impl::reset_peripherals() {
  const uint32_t csr_flags = rcc.csr & 0xFF00'0000u;
  rcc = Rcc{};
  rcc.csr = csr_flags;
  fctl = FlashCtl{};
  refresh_optpage();
  crc_dr = 0xFFFF'FFFF;
  crc_idr = 0;
  iwdg = Iwdg{};
  usart = Usart{};
  set_gpio_odr(3, 0);  // the LEDs go off with the reset
  for (unsigned i = 0; i < gpio.size(); ++i) {
    gpio[i] = Gpio{0, 0, 0, 0, 0, 0, 0, 0};
  }
  gpio[0].moder = 0xA800'0000;  // PA13-15: debug pins
  gpio[0].pupdr = 0x6400'0000;
  gpio[0].ospeedr = 0x0C00'0000;
  gpio[1].moder = 0x0000'0280;  // PB3-4: debug pins
  gpio[1].pupdr = 0x0000'0100;
  gpio[1].ospeedr = 0x0000'00C0;
  scb = Scb{};
  systick = SysTick{};
  nvic_iser.fill(0);
  nvic_ipr.fill(0);
  plain_regs.clear();
}

// ---- clocks ----

uint32_t Machine::Impl::sysclk() const {
  const uint32_t sws = rcc.cfgr & 3u;
  if (sws == 1 && (rcc.cr & (1u << 16))) return kHseHz;
  if (sws == 2 && (rcc.cr & (1u << 24))) {
    const uint64_t src = (rcc.pllcfgr & (1u << 22)) ? kHseHz : kHsiHz;
    const uint64_t m = std::max<uint32_t>(rcc.pllcfgr & 0x3Fu, 2);
    const uint64_t n = std::max<uint32_t>((rcc.pllcfgr >> 6) & 0x1FFu, 2);
    const uint64_t p = 2 * (((rcc.pllcfgr >> 16) & 3u) + 1);
    return static_cast<uint32_t>(src * n / m / p);
  }
  return kHsiHz;
}

uint32_t Machine::Impl::hclk_hz() const {
  const uint32_t hpre = (rcc.cfgr >> 4) & 0xFu;
  static constexpr unsigned kShift[] = {1, 2, 3, 4, 6, 7, 8, 9};
  return hpre < 8 ? sysclk() : sysclk() >> kShift[hpre - 8];
}

uint32_t Machine::Impl::pclk2_hz() const {
  const uint32_t ppre2 = (rcc.cfgr >> 13) & 7u;
  return ppre2 < 4 ? hclk_hz() : hclk_hz() >> (ppre2 - 3);
}

void Machine::Impl::clock_changed() {
  rebase_time();
  instr_hz = std::max<uint32_t>(hclk_hz(), 1);
  systick_schedule();
}

// ---- GPIO / LEDs ----

uint8_t Machine::Impl::leds() const {
  return static_cast<uint8_t>((gpio[3].odr >> 12) & 0xFu);
}

void Machine::Impl::set_gpio_odr(unsigned port, uint32_t odr) {
  const uint8_t before = leds();
  gpio[port].odr = odr & 0xFFFFu;
  const uint8_t after = leds();
  if (port == 3 && before != after) {
    char text[64];
    std::snprintf(text, sizeof text, "leds green=%u orange=%u red=%u blue=%u", after & 1u,
                  (after >> 1) & 1u, (after >> 2) & 1u, (after >> 3) & 1u);
    event(MachineEvent::Kind::kLed, text);
  }
}

// ---- IWDG ----

void Machine::Impl::iwdg_reload() {
  const uint64_t ticks = (4ull << std::min<uint32_t>(iwdg.pr, 6)) * (iwdg.rlr + 1ull);
  iwdg.deadline_ps = now_ps() + ticks * 1'000'000'000'000ull / std::max<uint32_t>(config.lsi_hz, 1);
}

// ---- SysTick ----

void Machine::Impl::systick_schedule() {
  if ((systick.ctrl & 1u) == 0) {
    systick.next_wrap_ps = UINT64_MAX;
    return;
  }
  const uint64_t hz = (systick.ctrl & 4u) ? hclk_hz() : hclk_hz() / 8;
  const uint64_t period_ps = (uint64_t{systick.load & 0xFF'FFFFu} + 1) * 1'000'000'000'000ull / hz;
  const uint64_t now = now_ps();
  if (systick.next_wrap_ps == UINT64_MAX || systick.next_wrap_ps <= systick.origin_ps) {
    systick.next_wrap_ps = systick.origin_ps + period_ps;
  }
  while (systick.next_wrap_ps <= now) systick.next_wrap_ps += std::max<uint64_t>(period_ps, 1);
}

uint32_t Machine::Impl::systick_val() const {
  if ((systick.ctrl & 1u) == 0 || systick.next_wrap_ps == UINT64_MAX) return 0;
  const uint64_t hz = (systick.ctrl & 4u) ? hclk_hz() : hclk_hz() / 8;
  const uint64_t left_ps = systick.next_wrap_ps > now_ps() ? systick.next_wrap_ps - now_ps() : 0;
  return static_cast<uint32_t>(left_ps * hz / 1'000'000'000'000ull) & 0xFF'FFFFu;
}

// ---- USART1 ----

unsigned Machine::Impl::uart_frame_bits() const {
  const unsigned data = (usart.cr1 & (1u << 12)) ? 9 : 8;  // M: 9 bits incl. parity when PCE
  const unsigned stop = ((usart.cr2 >> 12) & 3u) == 2 ? 2 : 1;
  return 1 + data + stop;
}

uint32_t Machine::Impl::uart_baud() const {
  if (usart.brr == 0) return 0;
  const bool over8 = (usart.cr1 & (1u << 15)) != 0;
  const uint32_t div = over8 ? ((usart.brr & 0xFFF0u) | ((usart.brr & 7u) << 1)) : usart.brr;
  return pclk2_hz() / std::max<uint32_t>(div, 1);
}

// ---- flash cells (shared by the controller and the ROM) ----

void Machine::Impl::flash_changed(uint32_t address, uint32_t size) {
  const uint32_t off = address - kFlashBase;
  if (fd >= 0 && ::pwrite(fd, &flash[off], size, off) != static_cast<ssize_t>(size)) {
    event(MachineEvent::Kind::kInfo, "error: cannot write the flash file");
  }
  // Code that ran from the changed range, through 0x0800'0000 or the boot alias at 0, must be
  // translated again (a slot erased, reprogrammed and jumped to runs the new image).
  code_written(address, size);
  if (!boot0) code_written(off, size);
}

bool Machine::Impl::cell_program(uint32_t address, const uint8_t* data, unsigned size,
                                 uint64_t start_ps) {
  double fraction = 0;
  uint8_t* p = &flash[address - kFlashBase];
  if (cut_in_flash_op(start_ps, kProgramTypicalNs * kPsPerNs, fraction)) {
    // Torn program: some of the bits that had to go 1 -> 0 did, the others are still 1.
    for (unsigned i = 0; i < size; ++i) {
      p[i] &= static_cast<uint8_t>(data[i] | static_cast<uint8_t>(next_random()));
    }
    flash_changed(address, size);
    char text[96];
    std::snprintf(text, sizeof text, "flash program 0x%08X torn (power cut)", address);
    event(MachineEvent::Kind::kFlash, text);
    power_cut("during flash program step " + std::to_string(flash_steps),
              start_ps + static_cast<uint64_t>(fraction * kProgramTypicalNs * kPsPerNs));
    return false;
  }
  for (unsigned i = 0; i < size; ++i) p[i] &= data[i];
  flash_changed(address, size);
  if (program_run.ops != 0 && program_run.end == address) {
    program_run.end += size;
    ++program_run.ops;
  } else {
    flush_program_run();
    program_run = {address, address + size, 1, start_ps / kPsPerNs};
  }
  return true;
}

bool Machine::Impl::cell_erase(uint32_t address, uint32_t size, uint64_t start_ps,
                               uint64_t duration_ps, const std::string& what) {
  double fraction = 0;
  uint8_t* p = &flash[address - kFlashBase];
  if (cut_in_flash_op(start_ps, duration_ps, fraction)) {
    // Torn erase: our picture is the first `fraction` of the sector erased, the rest untouched
    // (silicon erases the whole array in pulses and can leave any mix; docs/vstm32.md says why
    // a prefix is the hard case for software that scans for the end of data).
    const uint32_t done = static_cast<uint32_t>(size * fraction) & ~3u;
    std::memset(p, 0xFF, done);
    flash_changed(address, size);
    event(MachineEvent::Kind::kFlash, what + " torn at " + std::to_string(done) + " bytes");
    power_cut("during flash erase step " + std::to_string(flash_steps),
              start_ps + static_cast<uint64_t>(fraction * static_cast<double>(duration_ps)));
    return false;
  }
  std::memset(p, 0xFF, size);
  flash_changed(address, size);
  event(MachineEvent::Kind::kFlash, what);
  return true;
}

// The core stalls on flash fetches while the flash is busy; code running from RAM goes on and
// sees BSY in FLASH_SR.
void Machine::Impl::flash_busy(uint64_t duration_ps) {
  const uint64_t now = now_ps();
  fctl.busy_until_ps = std::max(fctl.busy_until_ps, now) + duration_ps;
  uint32_t current_pc = pc;
  if (uc != nullptr && in_emulation) uc_reg_read(uc, UC_ARM_REG_PC, &current_pc);
  const bool from_flash =
      current_pc < kFlashSize || (current_pc >= kFlashBase && current_pc < kFlashBase + kFlashSize);
  if (from_flash) {
    add_stall_ps(fctl.busy_until_ps - now);
    if (fctl.eop_pending) {
      fctl.sr |= fsr::kEop;
      fctl.eop_pending = 0;
    }
  }
}

// ---- flash controller: a store to a flash address ----

void Machine::Impl::flash_store(uint32_t address, unsigned size, uint64_t value) {
  if (!powered || dying) return;
  auto error = [this](uint32_t flag) {
    fctl.sr |= flag;
    if (fctl.cr & fcr::kErrie) fctl.sr |= fsr::kOperr;
  };
  // A store while an operation is running waits for it (the bus stalls).
  if (now_ps() < fctl.busy_until_ps) add_stall_ps(fctl.busy_until_ps - now_ps());
  if (fctl.eop_pending) {
    fctl.sr |= fsr::kEop;
    fctl.eop_pending = 0;
  }
  const bool locked = (fctl.cr & fcr::kLock) != 0;
  if (locked || (fctl.cr & fcr::kPg) == 0 || (fctl.cr & (fcr::kSer | fcr::kMer)) != 0) {
    error(fsr::kPgserr);
    return;
  }
  if ((fctl.sr & (fsr::kPgaerr | fsr::kPgperr | fsr::kPgserr)) != 0) {
    // RM0090: programming is refused while a previous programming error is not cleared.
    error(fsr::kPgserr);
    return;
  }
  const unsigned psize_bytes = 1u << ((fctl.cr >> 8) & 3u);
  if ((address & 0xFu) + size > 16) {
    error(fsr::kPgaerr);  // the data would cross a 128-bit row
    return;
  }
  if (size != psize_bytes || (address % size) != 0) {
    error(fsr::kPgperr);
    return;
  }
  if (sector_protected(fm::sector_of(address))) {
    error(fsr::kWrperr);
    return;
  }
  uint8_t bytes[8];
  for (unsigned i = 0; i < size; ++i) bytes[i] = static_cast<uint8_t>(value >> (8 * i));
  const uint64_t duration = kProgramTypicalNs * kPsPerNs;
  if (!cell_program(address, bytes, size, now_ps())) return;
  if (fctl.cr & fcr::kEopie) fctl.eop_pending = fsr::kEop;
  flash_busy(duration);
}

void Machine::Impl::flash_start_operation() {
  auto error = [this](uint32_t flag) {
    fctl.sr |= flag;
    if (fctl.cr & fcr::kErrie) fctl.sr |= fsr::kOperr;
  };
  const bool ser = (fctl.cr & fcr::kSer) != 0;
  const bool mer = (fctl.cr & fcr::kMer) != 0;
  const unsigned psize = (fctl.cr >> 8) & 3u;
  fctl.cr &= ~fcr::kStrt;
  if (ser && mer) {
    error(fsr::kWrperr);
    return;
  }
  if (fctl.cr & fcr::kPg) {
    error(fsr::kPgserr);
    return;
  }
  if (ser) {
    const unsigned sector = (fctl.cr >> 3) & 0xFu;
    if (sector >= fm::kSectorCount) {
      error(fsr::kWrperr);  // SNB 12-15 do not exist on the 1 MB single-bank F407
      return;
    }
    if (sector_protected(sector)) {
      error(fsr::kWrperr);
      return;
    }
    const uint64_t d = sector_erase_typical_ns(sector, psize) * kPsPerNs;
    if (!cell_erase(fm::kSectors[sector].address, fm::kSectors[sector].size, now_ps(), d,
                    "flash erase sector=" + std::to_string(sector) +
                        " ms=" + std::to_string(d / kPsPerNs / 1'000'000) + " by=cpu")) {
      return;
    }
    if (fctl.cr & fcr::kEopie) fctl.eop_pending = fsr::kEop;
    flash_busy(d);
  } else if (mer) {
    if (opt_nwrp != 0x0FFF) {
      error(fsr::kWrperr);
      return;
    }
    static constexpr uint64_t kMassMs[] = {16000, 11000, 8000, 8000};
    const uint64_t d = kMassMs[psize] * 1'000'000'000ull;
    if (!cell_erase(kFlashBase, kFlashSize, now_ps(), d,
                    "flash mass-erase ms=" + std::to_string(kMassMs[psize]) + " by=cpu")) {
      return;
    }
    if (fctl.cr & fcr::kEopie) fctl.eop_pending = fsr::kEop;
    flash_busy(d);
  }
}

// ---- register file ----

uint64_t Machine::Impl::mmio_read(uint32_t a, unsigned size) {
  const uint32_t word = a & ~3u;
  const unsigned shift = (a & 3u) * 8;
  auto sub = [&](uint32_t v) -> uint64_t {
    const uint64_t mask = size >= 4 ? 0xFFFF'FFFFull : ((1ull << (8 * size)) - 1);
    return (v >> shift) & mask;
  };
  const Block* block = find_block(a);
  if (block == nullptr) {
    raise_fault("bus-error read (no peripheral)", a, true);
    return 0;
  }
  if (a >= kBkpSram && a < kBkpSram + 0x1000) {
    uint32_t v = 0;
    std::memcpy(&v, &bkpsram[word - kBkpSram], 4);
    return sub(v);
  }
  if (a >= kGpioA && a < kGpioA + 0x2400) {
    const unsigned port = (a - kGpioA) / 0x400;
    const Gpio& g = gpio[port];
    switch (word - kGpioA - port * 0x400) {
      case 0x00: return sub(g.moder);
      case 0x04: return sub(g.otyper);
      case 0x08: return sub(g.ospeedr);
      case 0x0C: return sub(g.pupdr);
      case 0x10: return sub((g.odr & g.moder) | 0);  // IDR: outputs read back, inputs low
      case 0x14: return sub(g.odr);
      case 0x18: return 0;  // BSRR is write-only
      case 0x1C: return sub(g.lckr);
      case 0x20: return sub(g.afrl);
      case 0x24: return sub(g.afrh);
      default: return 0;
    }
  }
  if (a >= kRtcBkp && a < kRtcBkp + 80) return sub(rtc_bkp[(word - kRtcBkp) / 4]);
  switch (word) {
    // RCC
    case kRcc + 0x00: {
      uint32_t cr = rcc.cr & ~((1u << 1) | (1u << 17) | (1u << 25) | (1u << 27));
      if (cr & 1u) cr |= 1u << 1;           // HSIRDY
      if (cr & (1u << 16)) cr |= 1u << 17;  // HSERDY
      if (cr & (1u << 24)) cr |= 1u << 25;  // PLLRDY
      if (cr & (1u << 26)) cr |= 1u << 27;  // PLLI2SRDY
      return sub(cr);
    }
    case kRcc + 0x04: return sub(rcc.pllcfgr);
    case kRcc + 0x08: {
      // SWS follows SW when the source is ready.
      const uint32_t sw = rcc.cfgr & 3u;
      const bool ready =
          sw == 0 || (sw == 1 && (rcc.cr & (1u << 16))) || (sw == 2 && (rcc.cr & (1u << 24)));
      const uint32_t sws = ready ? sw : 0;
      return sub((rcc.cfgr & ~0xCu) | (sws << 2));
    }
    case kRcc + 0x0C: return sub(rcc.cir);
    case kRcc + 0x10:  // reset registers: hold what was written
    case kRcc + 0x14:
    case kRcc + 0x18:
    case kRcc + 0x20:
    case kRcc + 0x24: {
      const auto it = plain_regs.find(word);
      return it == plain_regs.end() ? 0 : sub(it->second);
    }
    case kRcc + 0x30: return sub(rcc.ahb1enr);
    case kRcc + 0x34: return sub(rcc.ahb2enr);
    case kRcc + 0x38: return sub(rcc.ahb3enr);
    case kRcc + 0x40: return sub(rcc.apb1enr);
    case kRcc + 0x44: return sub(rcc.apb2enr);
    case kRcc + 0x50: return sub(rcc.ahb1lpenr);
    case kRcc + 0x60: return sub(rcc.apb1lpenr);
    case kRcc + 0x64: return sub(rcc.apb2lpenr);
    case kRcc + 0x70: return sub(rcc.bdcr | ((rcc.bdcr & 1u) << 1));
    case kRcc + 0x74: return sub(rcc.csr | ((rcc.csr & kCsrLsiOn) ? kCsrLsiRdy : 0u));
    case kRcc + 0x80: return sub(rcc.sscgr);
    case kRcc + 0x84: return sub(rcc.plli2scfgr);
    // FLASH interface
    case kFlashIf + 0x00: return sub(fctl.acr);
    case kFlashIf + 0x0C: {
      uint32_t sr = fctl.sr;
      if (now_ps() < fctl.busy_until_ps) {
        sr |= fsr::kBsy;
      } else if (fctl.eop_pending) {
        fctl.sr |= fsr::kEop;
        fctl.eop_pending = 0;
        sr = fctl.sr;
      }
      return sub(sr);
    }
    case kFlashIf + 0x10: return sub(fctl.cr);
    case kFlashIf + 0x14: return sub(fctl.optcr);
    // CRC
    case kCrc + 0x00: return (rcc.ahb1enr & (1u << 12)) ? sub(crc_dr) : 0;
    case kCrc + 0x04: return (rcc.ahb1enr & (1u << 12)) ? sub(crc_idr) : 0;
    case kCrc + 0x08: return 0;
    // IWDG
    case kIwdg + 0x04: return sub(iwdg.pr);
    case kIwdg + 0x08: return sub(iwdg.rlr);
    case kIwdg + 0x0C:
      return now_ps() < iwdg.busy_until_ps ? 3u : 0u;  // PVU | RVU
    // USART1 (registers read 0 while its clock is off)
    case kUsart1 + 0x00: {
      if ((rcc.apb2enr & (1u << 4)) == 0) return 0;
      uint32_t sr = usart.sr & ~0xC0u;
      const uint64_t now = now_ps();
      if (now >= usart.tx_start_ps) sr |= 1u << 7;  // TXE: DR moved to the shift register
      if (now >= usart.tx_end_ps && (usart.sr & (1u << 6))) sr |= 1u << 6;  // TC
      return sub(sr);
    }
    case kUsart1 + 0x04: {
      if ((rcc.apb2enr & (1u << 4)) == 0) return 0;
      const uint16_t dr = usart.rx_dr;
      usart.sr &= ~((1u << 5) | (1u << 3) | (1u << 4) | 1u | 2u);  // RXNE, ORE, IDLE, PE, FE
      return sub(dr);
    }
    case kUsart1 + 0x08: return (rcc.apb2enr & (1u << 4)) ? sub(usart.brr) : 0;
    case kUsart1 + 0x0C: return (rcc.apb2enr & (1u << 4)) ? sub(usart.cr1) : 0;
    case kUsart1 + 0x10: return (rcc.apb2enr & (1u << 4)) ? sub(usart.cr2) : 0;
    case kUsart1 + 0x14: return (rcc.apb2enr & (1u << 4)) ? sub(usart.cr3) : 0;
    case kUsart1 + 0x18: return (rcc.apb2enr & (1u << 4)) ? sub(usart.gtpr) : 0;
    // PWR
    case kPwr + 0x04: return sub(plain_regs.count(word) ? plain_regs[word] : 0u);
    // SCB / SysTick / NVIC
    case kScs + 0x010: {
      uint32_t v = systick.ctrl | (systick.countflag ? 1u << 16 : 0u);
      systick.countflag = false;
      return sub(v);
    }
    case kScs + 0x014: return sub(systick.load);
    case kScs + 0x018: return sub(systick_val());
    case kScs + 0x01C: return sub(0x4000'0000u | (hclk_hz() / 8 / 1000 - 1));  // CALIB: 1 ms
    case kScs + 0xD00: return sub(0x410F'C241u);       // CPUID: Cortex-M4 r0p1
    case kScs + 0xD04: return sub(current_exception);  // ICSR: VECTACTIVE
    case kScs + 0xD08: return sub(scb.vtor);
    case kScs + 0xD0C: return sub(0xFA05'0000u | (scb.aircr & 0x700u));
    case kScs + 0xD10: return sub(scb.scr);
    case kScs + 0xD14: return sub(scb.ccr);
    case kScs + 0xD18: return sub(scb.shpr[0]);
    case kScs + 0xD1C: return sub(scb.shpr[1]);
    case kScs + 0xD20: return sub(scb.shpr[2]);
    case kScs + 0xD24: return sub(scb.shcsr);
    case kScs + 0xD28: return sub(scb.cfsr);
    case kScs + 0xD2C: return sub(scb.hfsr);
    case kScs + 0xD34: return sub(scb.mmfar);
    case kScs + 0xD38: return sub(scb.bfar);
    case kScs + 0xD88: return sub(scb.cpacr);
    case kDbgMcu + 0x00: return sub(0x1007'6413u);  // IDCODE: rev Z, DEV_ID 0x413
    default: break;
  }
  if (word >= kScs + 0x100 && word < kScs + 0x120) return sub(nvic_iser[(word - kScs - 0x100) / 4]);
  if (word >= kScs + 0x180 && word < kScs + 0x1A0) return sub(nvic_iser[(word - kScs - 0x180) / 4]);
  if (word >= kScs + 0x400 && word < kScs + 0x400 + 82) {
    uint32_t v = 0;
    for (unsigned i = 0; i < 4 && word - kScs - 0x400 + i < nvic_ipr.size(); ++i) {
      v |= uint32_t{nvic_ipr[word - kScs - 0x400 + i]} << (8 * i);
    }
    return sub(v);
  }
  if (unmodelled_reported.insert(word).second) {
    char text[96];
    std::snprintf(text, sizeof text, "unmodelled register read %s+0x%03X (storage only)",
                  block->name, word - block->base);
    event(MachineEvent::Kind::kInfo, text);
  }
  const auto it = plain_regs.find(word);
  return it == plain_regs.end() ? 0 : sub(it->second);
}

void Machine::Impl::mmio_write(uint32_t a, unsigned size, uint32_t value) {
  if (dying) return;  // the power is going: the rest of this translated block has no effect
  const uint32_t word = a & ~3u;
  // Narrow stores merge into the register (read-modify-write of the other bytes).
  auto merge = [&](uint32_t old) -> uint32_t {
    if (size >= 4) return value;
    const unsigned shift = (a & 3u) * 8;
    const uint32_t mask = ((1u << (8 * size)) - 1) << shift;
    return (old & ~mask) | ((value << shift) & mask);
  };
  const Block* block = find_block(a);
  if (block == nullptr) {
    raise_fault("bus-error write (no peripheral)", a, false);
    return;
  }
  if (a >= kBkpSram && a < kBkpSram + 0x1000) {
    uint32_t v = 0;
    std::memcpy(&v, &bkpsram[word - kBkpSram], 4);
    v = merge(v);
    std::memcpy(&bkpsram[word - kBkpSram], &v, 4);
    return;
  }
  if (a >= kGpioA && a < kGpioA + 0x2400) {
    const unsigned port = (a - kGpioA) / 0x400;
    Gpio& g = gpio[port];
    switch (word - kGpioA - port * 0x400) {
      case 0x00: g.moder = merge(g.moder); break;
      case 0x04: g.otyper = merge(g.otyper); break;
      case 0x08: g.ospeedr = merge(g.ospeedr); break;
      case 0x0C: g.pupdr = merge(g.pupdr); break;
      case 0x14: set_gpio_odr(port, merge(g.odr)); break;
      case 0x18: {
        const uint32_t v = merge(0);
        set_gpio_odr(port, (g.odr | (v & 0xFFFFu)) & ~(v >> 16));
        break;
      }
      case 0x1C: g.lckr = merge(g.lckr); break;
      case 0x20: g.afrl = merge(g.afrl); break;
      case 0x24: g.afrh = merge(g.afrh); break;
      default: break;
    }
    return;
  }
  if (a >= kRtcBkp && a < kRtcBkp + 80) {
    uint32_t& r = rtc_bkp[(word - kRtcBkp) / 4];
    r = merge(r);
    return;
  }
  switch (word) {
    // RCC
    case kRcc + 0x00:
      rcc.cr = merge(rcc.cr);
      clock_changed();
      return;
    case kRcc + 0x04:
      rcc.pllcfgr = merge(rcc.pllcfgr);
      clock_changed();
      return;
    case kRcc + 0x08:
      rcc.cfgr = merge(rcc.cfgr) & ~0xCu;
      clock_changed();
      return;
    case kRcc + 0x0C: rcc.cir = merge(rcc.cir); return;
    case kRcc + 0x14:
    case kRcc + 0x18:
    case kRcc + 0x20: plain_regs[word] = merge(plain_regs[word]); return;
    case kRcc + 0x10: {  // AHB1RSTR: peripherals back to their reset state
      const uint32_t v = merge(plain_regs[word]);
      plain_regs[word] = v;
      for (unsigned port = 0; port < 9; ++port) {
        if (v & (1u << port)) {
          const Gpio blank{port == 0   ? 0xA800'0000u
                           : port == 1 ? 0x0000'0280u
                                       : 0u,
                           0,
                           port == 0   ? 0x0C00'0000u
                           : port == 1 ? 0x0000'00C0u
                                       : 0u,
                           port == 0   ? 0x6400'0000u
                           : port == 1 ? 0x0000'0100u
                                       : 0u,
                           gpio[port].odr,
                           0,
                           0,
                           0};
          gpio[port] = blank;
          set_gpio_odr(port, 0);
        }
      }
      if (v & (1u << 12)) crc_dr = 0xFFFF'FFFF, crc_idr = 0;
      return;
    }
    case kRcc + 0x24: {  // APB2RSTR
      const uint32_t v = merge(plain_regs[word]);
      plain_regs[word] = v;
      if (v & (1u << 4)) usart = Usart{};
      return;
    }
    case kRcc + 0x30: rcc.ahb1enr = merge(rcc.ahb1enr); return;
    case kRcc + 0x34: rcc.ahb2enr = merge(rcc.ahb2enr); return;
    case kRcc + 0x38: rcc.ahb3enr = merge(rcc.ahb3enr); return;
    case kRcc + 0x40: rcc.apb1enr = merge(rcc.apb1enr); return;
    case kRcc + 0x44: rcc.apb2enr = merge(rcc.apb2enr); return;
    case kRcc + 0x50: rcc.ahb1lpenr = merge(rcc.ahb1lpenr); return;
    case kRcc + 0x60: rcc.apb1lpenr = merge(rcc.apb1lpenr); return;
    case kRcc + 0x64: rcc.apb2lpenr = merge(rcc.apb2lpenr); return;
    case kRcc + 0x70: rcc.bdcr = merge(rcc.bdcr); return;
    case kRcc + 0x74: {
      const uint32_t v = merge(rcc.csr);
      if (v & kCsrRmvf) rcc.csr &= ~0xFE00'0000u;  // RMVF clears every reset flag
      rcc.csr = (rcc.csr & 0xFE00'0000u) | (v & kCsrLsiOn);
      return;
    }
    case kRcc + 0x80: rcc.sscgr = merge(rcc.sscgr); return;
    case kRcc + 0x84: rcc.plli2scfgr = merge(rcc.plli2scfgr); return;
    // FLASH interface
    case kFlashIf + 0x00: {
      const uint32_t v = merge(fctl.acr);
      fctl.acr = v & 0x0707u;  // ICRST/DCRST are write-only actions
      if (v & ((1u << 11) | (1u << 12)) && uc != nullptr) {
        uc_ctl_remove_cache(uc, 0, 0x1'0000'0000ull);  // cache reset: drop translated code
      }
      return;
    }
    case kFlashIf + 0x04: {  // KEYR
      const uint32_t v = merge(0);
      if (fctl.key_locked_until_reset) {
        raise_fault("bus-error write FLASH_KEYR (locked until reset)", a, false);
      } else if (fctl.key_stage == 0 && v == 0x4567'0123u && (fctl.cr & fcr::kLock)) {
        fctl.key_stage = 1;
      } else if (fctl.key_stage == 1 && v == 0xCDEF'89ABu) {
        fctl.key_stage = 0;
        fctl.cr &= ~fcr::kLock;
      } else {
        // RM0090 3.5.1: a wrong sequence locks FLASH_CR until the next reset (bus error).
        fctl.key_stage = 0;
        fctl.key_locked_until_reset = true;
        fctl.cr |= fcr::kLock;
        event(MachineEvent::Kind::kInfo, "flash: wrong KEYR sequence, FLASH_CR locked until reset");
        raise_fault("bus-error write FLASH_KEYR (wrong key sequence)", a, false);
      }
      return;
    }
    case kFlashIf + 0x08: {  // OPTKEYR
      const uint32_t v = merge(0);
      if (fctl.optkey_stage == 0 && v == 0x0819'2A3Bu) {
        fctl.optkey_stage = 1;
      } else if (fctl.optkey_stage == 1 && v == 0x4C5D'6E7Fu) {
        fctl.optkey_stage = 0;
        fctl.optcr &= ~1u;
      } else {
        fctl.optkey_stage = 0;
        raise_fault("bus-error write FLASH_OPTKEYR (wrong key sequence)", a, false);
      }
      return;
    }
    case kFlashIf + 0x0C: {  // SR: error flags and EOP clear by writing 1
      const uint32_t v = merge(0);
      fctl.sr &= ~(v & (fsr::kEop | fsr::kErrors));
      return;
    }
    case kFlashIf + 0x10: {
      if (fctl.cr & fcr::kLock) return;  // locked: writes are ignored
      const uint32_t v = merge(fctl.cr);
      if (now_ps() < fctl.busy_until_ps) add_stall_ps(fctl.busy_until_ps - now_ps());
      fctl.cr = v & 0x8301'037Fu;
      if (v & fcr::kStrt) flash_start_operation();
      return;
    }
    case kFlashIf + 0x14: {         // OPTCR
      if (fctl.optcr & 1u) return;  // OPTLOCK
      const uint32_t v = merge(fctl.optcr);
      fctl.optcr = (v & 0x0FFF'FFECu) | (v & 1u);
      if (v & 2u) {  // OPTSTRT: program the option bytes from OPTCR
        opt_user = static_cast<uint8_t>(v & 0xE0u) | 0x0Cu;
        opt_rdp = static_cast<uint8_t>(v >> 8);
        opt_nwrp = static_cast<uint16_t>((v >> 16) & 0x0FFFu);
        refresh_optpage();
        char text[64];
        std::snprintf(text, sizeof text, "option-bytes rdp=0x%02X nwrp=0x%03X by=cpu", opt_rdp,
                      opt_nwrp);
        event(MachineEvent::Kind::kFlash, text);
      }
      return;
    }
    // CRC (clock: AHB1ENR bit 12)
    case kCrc + 0x00:
      if (rcc.ahb1enr & (1u << 12)) crc_dr = fota::stm32_crc_unit_update(crc_dr, merge(0));
      return;
    case kCrc + 0x04:
      if (rcc.ahb1enr & (1u << 12)) crc_idr = static_cast<uint8_t>(value);
      return;
    case kCrc + 0x08:
      if ((rcc.ahb1enr & (1u << 12)) && (value & 1u)) crc_dr = 0xFFFF'FFFF;
      return;
    // IWDG
    case kIwdg + 0x00: {
      const uint32_t key = merge(0) & 0xFFFFu;
      if (key == 0xCCCCu) {
        if (!iwdg.running) {
          iwdg.running = true;
          iwdg_reload();
          event(MachineEvent::Kind::kInfo, "iwdg started");
        }
      } else if (key == 0xAAAAu) {
        iwdg.access = false;
        if (iwdg.running) iwdg_reload();
      } else if (key == 0x5555u) {
        iwdg.access = true;
      }
      return;
    }
    case kIwdg + 0x04:
      if (iwdg.access) {
        iwdg.pr = merge(0) & 7u;
        iwdg.busy_until_ps = now_ps() + 5ull * 1'000'000'000'000ull / config.lsi_hz;
      }
      return;
    case kIwdg + 0x08:
      if (iwdg.access) {
        iwdg.rlr = merge(0) & 0xFFFu;
        iwdg.busy_until_ps = now_ps() + 5ull * 1'000'000'000'000ull / config.lsi_hz;
      }
      return;
    // USART1
    case kUsart1 + 0x00:
      if (rcc.apb2enr & (1u << 4)) {
        usart.sr &= merge(0xFFFF'FFFFu) | ~((1u << 5) | (1u << 6));  // RXNE, TC: rc_w0
      }
      return;
    case kUsart1 + 0x04: {
      const bool on = (rcc.apb2enr & (1u << 4)) && (usart.cr1 & (1u << 13)) &&
                      (usart.cr1 & (1u << 3)) && usart.brr != 0;
      if (!on) return;
      const uint64_t now = now_ps();
      const uint64_t frame_ps =
          uint64_t{uart_frame_bits()} * 1'000'000'000'000ull / std::max<uint32_t>(uart_baud(), 1);
      const uint64_t start = std::max(now, usart.tx_end_ps);
      usart.tx_start_ps = start;
      usart.tx_end_ps = start + frame_ps;
      usart.sr |= 1u << 6;  // TC will be set at tx_end
      const uint8_t byte = static_cast<uint8_t>(value);
      uart_tx.push_back({byte, start / kPsPerNs});
      uart_text.push_back(static_cast<char>(byte));
      return;
    }
    case kUsart1 + 0x08:
      if (rcc.apb2enr & (1u << 4)) usart.brr = merge(usart.brr) & 0xFFFFu;
      return;
    case kUsart1 + 0x0C:
      if (rcc.apb2enr & (1u << 4)) usart.cr1 = merge(usart.cr1) & 0xBFFFu;
      return;
    case kUsart1 + 0x10:
      if (rcc.apb2enr & (1u << 4)) usart.cr2 = merge(usart.cr2) & 0x7F7Fu;
      return;
    case kUsart1 + 0x14:
      if (rcc.apb2enr & (1u << 4)) usart.cr3 = merge(usart.cr3) & 0x0FFFu;
      return;
    case kUsart1 + 0x18:
      if (rcc.apb2enr & (1u << 4)) usart.gtpr = merge(usart.gtpr) & 0xFFFFu;
      return;
    // SCB / SysTick
    case kScs + 0x010: {
      const uint32_t before = systick.ctrl;
      systick.ctrl = merge(systick.ctrl) & 7u;
      if ((before & 1u) == 0 && (systick.ctrl & 1u)) {
        systick.origin_ps = now_ps();
        systick.next_wrap_ps = UINT64_MAX;
      }
      systick_schedule();
      return;
    }
    case kScs + 0x014: systick.load = merge(systick.load) & 0xFF'FFFFu; return;
    case kScs + 0x018:  // any write clears VAL and COUNTFLAG: the count restarts from LOAD
      systick.countflag = false;
      systick.origin_ps = now_ps();
      systick.next_wrap_ps = UINT64_MAX;
      systick_schedule();
      return;
    case kScs + 0xD04: {  // ICSR: PENDSVSET 28, PENDSTSET 26
      const uint32_t v = merge(0);
      if (v & (1u << 28)) pending_exceptions |= 1u << 14;
      if (v & (1u << 26)) pending_exceptions |= 1u << 15;
      if (v & (1u << 27)) pending_exceptions &= ~(1u << 14);
      if (v & (1u << 25)) pending_exceptions &= ~(1u << 15);
      if (pending_exceptions != 0) request_stop(StopWhy::kException);
      return;
    }
    case kScs + 0xD08: scb.vtor = merge(scb.vtor) & 0xFFFF'FE00u; return;
    case kScs + 0xD0C: {
      const uint32_t v = merge(0);
      if ((v >> 16) != 0x05FAu) return;  // VECTKEY
      scb.aircr = v & 0x700u;
      if (v & 4u) {
        event(MachineEvent::Kind::kInfo, "aircr sysresetreq");
        request_reset(kCsrSft | kCsrPin);
      }
      return;
    }
    case kScs + 0xD10: scb.scr = merge(scb.scr); return;
    case kScs + 0xD14: scb.ccr = merge(scb.ccr); return;
    case kScs + 0xD18: scb.shpr[0] = merge(scb.shpr[0]); return;
    case kScs + 0xD1C: scb.shpr[1] = merge(scb.shpr[1]); return;
    case kScs + 0xD20: scb.shpr[2] = merge(scb.shpr[2]); return;
    case kScs + 0xD24: scb.shcsr = merge(scb.shcsr); return;
    case kScs + 0xD28: scb.cfsr &= ~merge(0); return;  // write 1 to clear
    case kScs + 0xD2C: scb.hfsr &= ~merge(0); return;
    case kScs + 0xD88: scb.cpacr = merge(scb.cpacr); return;
    default: break;
  }
  if (word >= kScs + 0x100 && word < kScs + 0x120) {
    nvic_iser[(word - kScs - 0x100) / 4] |= merge(0);
    return;
  }
  if (word >= kScs + 0x180 && word < kScs + 0x1A0) {
    nvic_iser[(word - kScs - 0x180) / 4] &= ~merge(0);
    return;
  }
  if (word >= kScs + 0x400 && word < kScs + 0x400 + 82) {
    const uint32_t v = merge(0);
    for (unsigned i = 0; i < 4 && word - kScs - 0x400 + i < nvic_ipr.size(); ++i) {
      nvic_ipr[word - kScs - 0x400 + i] = static_cast<uint8_t>(v >> (8 * i));
    }
    return;
  }
  if (unmodelled_reported.insert(word).second) {
    char text[96];
    std::snprintf(text, sizeof text, "unmodelled register write %s+0x%03X (storage only)",
                  block->name, word - block->base);
    event(MachineEvent::Kind::kInfo, text);
  }
  uint32_t& r = plain_regs[word];
  r = merge(r);
}

}  // namespace vstm32
