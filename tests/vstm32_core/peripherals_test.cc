// SPDX-License-Identifier: Apache-2.0
// Peripherals of vstm32::Machine other than the flash interface, checked through the probe and
// small Thumb routines in SRAM: CRC unit, unique ID, bus faults, reset flags (POR, PIN, SFT,
// IWDG, RMVF), AIRCR, the Discovery LEDs, BOOT0 and the ROM bootloader's start-up.
#include <gtest/gtest.h>
#include <unicorn/unicorn.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "harness.h"

namespace {

using vstm32_test::events_with;
using vstm32_test::idle_machine;
using vstm32_test::new_machine;
using vstm32_test::read32;
using vstm32_test::write_code;
using Kind = vstm32::MachineEvent::Kind;

constexpr uint32_t kAhb1enr = 0x4002'3830;
constexpr uint32_t kCsr = 0x4002'3874;
constexpr uint32_t kCrcDr = 0x4002'3000;
constexpr uint32_t kCrcCr = 0x4002'3008;
constexpr uint32_t kGpiodOdr = 0x4002'0C14;
constexpr uint32_t kGpiodBsrr = 0x4002'0C18;
constexpr uint32_t kAircr = 0xE000'ED0C;
constexpr uint32_t kCfsr = 0xE000'ED28;
constexpr uint32_t kBfar = 0xE000'ED38;
constexpr uint32_t kPor = 1u << 27, kPin = 1u << 26, kBor = 1u << 25, kSft = 1u << 28,
                   kIwdg = 1u << 29, kRmvf = 1u << 24;

TEST(Vstm32CrcUnitTest, KnownAnswers) {
  auto m = idle_machine();
  ASSERT_NE(m, nullptr);
  // Clock off: the unit does not take data.
  ASSERT_TRUE(m->debug_write32(kCrcDr, 0x1234'5678));
  EXPECT_EQ(read32(*m, kCrcDr), 0u);
  ASSERT_TRUE(m->debug_write32(kAhb1enr, read32(*m, kAhb1enr) | (1u << 12)));
  ASSERT_TRUE(m->debug_write32(kCrcCr, 1));
  EXPECT_EQ(read32(*m, kCrcDr), 0xFFFF'FFFFu);
  ASSERT_TRUE(m->debug_write32(kCrcDr, 0x1234'5678));
  EXPECT_EQ(read32(*m, kCrcDr), 0xDF8A'8A2Bu);
  ASSERT_TRUE(m->debug_write32(kCrcCr, 1));
  ASSERT_TRUE(m->debug_write32(kCrcDr, 0));
  EXPECT_EQ(read32(*m, kCrcDr), 0xC704'DD7Bu);
  // Two words chain: the second starts from the first's result (not a reset).
  ASSERT_TRUE(m->debug_write32(kCrcDr, 0x1234'5678));
  const uint32_t chained = read32(*m, kCrcDr);
  EXPECT_NE(chained, 0xDF8A'8A2Bu);
  // Independent check of the chain: MSB-first CRC-32 (poly 0x04C11DB7), no reflection.
  uint32_t crc = 0xFFFF'FFFF;
  for (uint32_t word : {0u, 0x1234'5678u}) {
    crc ^= word;
    for (int bit = 0; bit < 32; ++bit)
      crc = (crc & 0x8000'0000u) ? (crc << 1) ^ 0x04C1'1DB7u : crc << 1;
  }
  EXPECT_EQ(chained, crc);
}

TEST(Vstm32UniqueIdTest, ConfigurablePerDevice) {
  vstm32::MachineConfig config;
  config.unique_id = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C};
  auto m = idle_machine(config);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(read32(*m, vstm32::kUniqueIdAddress), 0x0403'0201u);
  EXPECT_EQ(read32(*m, vstm32::kUniqueIdAddress + 4), 0x0807'0605u);
  EXPECT_EQ(read32(*m, vstm32::kUniqueIdAddress + 8), 0x0C0B'0A09u);
  auto other = idle_machine();
  ASSERT_NE(other, nullptr);
  EXPECT_NE(read32(*other, vstm32::kUniqueIdAddress), 0x0403'0201u);
  // Flash size register right behind it: 1024 KB.
  EXPECT_EQ(read32(*m, 0x1FFF'7A20) >> 16, 1024u);
}

// An access to `address` from SRAM code: the fault event names the PC and the address, and the
// core enters HardFault with the CFSR bits the Cortex-M4 sets (escalated: HFSR.FORCED):
//   load   precise bus error: PRECISERR + BFARVALID, BFAR = address, stacked PC = the load
//   store  imprecise (the write buffer took it): IMPRECISERR, BFAR not valid
//   fetch  instruction bus error: IBUSERR, stacked PC = address; from an execute-never region
//          (peripherals, system): MemManage IACCVIOL instead
// Code: movw r0, #lo ; movt r0, #hi ; then `ldr r1, [r0]` / `str r1, [r0]` / `adds r0, #1 ;
// bx r0` ; b .
enum class Access { kLoad, kStore, kFetch };

void expect_access_faults(uint32_t address, Access access) {
  constexpr uint32_t kHfsr = 0xE000'ED2C;
  constexpr uint32_t kIaccviol = 1u << 0, kIbuserr = 1u << 8, kPreciserr = 1u << 9,
                     kImpreciserr = 1u << 10, kBfarvalid = 1u << 15;
  auto m = idle_machine();
  ASSERT_NE(m, nullptr);
  constexpr uint32_t kCode = 0x2000'0200;
  const uint16_t lo = static_cast<uint16_t>(address), hi = static_cast<uint16_t>(address >> 16);
  auto movw = [](uint16_t imm, bool top) {
    const uint16_t first = static_cast<uint16_t>((top ? 0xF2C0u : 0xF240u) | ((imm >> 12) & 0xFu) |
                                                 (((imm >> 11) & 1u) << 10));
    const uint16_t second =
        static_cast<uint16_t>((((imm >> 8) & 7u) << 12) | (imm & 0xFFu));  // Rd = r0
    return std::vector<uint16_t>{first, second};
  };
  std::vector<uint16_t> code = movw(lo, false);
  for (uint16_t h : movw(hi, true)) code.push_back(h);
  switch (access) {
    case Access::kLoad: code.push_back(0x6801); break;   // ldr r1, [r0]
    case Access::kStore: code.push_back(0x6001); break;  // str r1, [r0]
    case Access::kFetch:
      code.push_back(0x3001);  // adds r0, #1 (Thumb bit)
      code.push_back(0x4700);  // bx r0
      break;
  }
  code.push_back(0xE7FE);  // b .
  write_code(*m, kCode, code);
  const uint32_t vectors[2] = {vstm32::kSramBase + vstm32::kSramSize, kCode | 1u};
  uint8_t bytes[8];
  std::memcpy(bytes, vectors, sizeof bytes);
  m->load_flash(vstm32::kFlashBase, bytes);
  m->pulse_nrst();
  m->run_for_ns(100'000);
  const auto faults = events_with(m->take_events(), Kind::kFault);
  ASSERT_EQ(faults.size(), 1u);
  const char* what = access == Access::kLoad    ? "bus-error read"
                     : access == Access::kStore ? "bus-error write"
                                                : "bus-error fetch";
  EXPECT_NE(faults[0].text.find(what), std::string::npos) << faults[0].text;
  char want[64];
  std::snprintf(want, sizeof want, "address=0x%08X pc=0x", address);
  const size_t at = faults[0].text.find(want);
  ASSERT_NE(at, std::string::npos) << faults[0].text << " want " << want;
  const uint32_t pc =
      static_cast<uint32_t>(std::stoul(faults[0].text.substr(at + 24, 8), nullptr, 16));
  const uint32_t insn = kCode + 8;  // the ldr / str
  EXPECT_EQ(pc, access == Access::kFetch ? address : insn) << faults[0].text;
  EXPECT_EQ(m->reg(UC_ARM_REG_PC) & ~1u, vstm32_test::kIdleFaultHandler);
  EXPECT_EQ(m->mode(), vstm32::Mode::kCpu);
  EXPECT_EQ(read32(*m, kHfsr), 1u << 30);  // FORCED
  const uint32_t stacked_pc = read32(*m, m->reg(UC_ARM_REG_MSP) + 24);
  const uint32_t cfsr = read32(*m, kCfsr);
  switch (access) {
    case Access::kLoad:
      EXPECT_EQ(cfsr, kPreciserr | kBfarvalid);
      EXPECT_EQ(read32(*m, kBfar), address);
      EXPECT_EQ(stacked_pc, insn);
      break;
    case Access::kStore:
      EXPECT_EQ(cfsr, kImpreciserr);
      EXPECT_GE(stacked_pc, insn);
      break;
    case Access::kFetch: {
      const bool xn = address >= 0x4000'0000 && (address < 0x6000'0000 || address >= 0xA000'0000);
      EXPECT_EQ(cfsr, xn ? kIaccviol : kIbuserr) << std::hex << address;
      EXPECT_EQ(stacked_pc, address);
      break;
    }
  }
}

TEST(Vstm32BusFaultTest, HoleAfterSramFaults) {
  expect_access_faults(0x2002'0000, Access::kLoad);
  expect_access_faults(0x2002'0000, Access::kStore);
  expect_access_faults(0x2002'0000, Access::kFetch);
}
TEST(Vstm32BusFaultTest, ReservedPeripheralSlotFaults) {
  expect_access_faults(0x4000'2400, Access::kLoad);  // between TIM14 and RTC (RM0090 table 1)
  expect_access_faults(0x4000'2400, Access::kStore);
}
TEST(Vstm32BusFaultTest, NothingAtTheFsmcBankFaults) {
  expect_access_faults(0x6000'0000, Access::kLoad);
  expect_access_faults(0x6000'0000, Access::kStore);
  expect_access_faults(0x6000'0000, Access::kFetch);
}
// CCM RAM is on the D-bus only: data works, instruction fetches fault. Peripherals are
// execute-never.
TEST(Vstm32BusFaultTest, FetchFromCcmOrPeripheralsFaults) {
  expect_access_faults(vstm32::kCcmBase + 0x100, Access::kFetch);
  expect_access_faults(0x4002'3800, Access::kFetch);  // RCC
}
TEST(Vstm32BusFaultTest, ProbeReadOfNothingFails) {
  auto m = idle_machine();
  ASSERT_NE(m, nullptr);
  uint32_t v = 0;
  EXPECT_FALSE(m->debug_read32(0x2002'0000, v));
  EXPECT_FALSE(m->debug_read32(0x4000'2400, v));
  EXPECT_FALSE(m->debug_write32(0x6000'0000, 0));
}

TEST(Vstm32ResetFlagsTest, PowerOnPinSoftwareAndRmvf) {
  auto m = idle_machine();
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(read32(*m, kCsr) & 0xFF00'0000u, kPor | kPin | kBor);
  EXPECT_EQ(m->last_reset_cause(), vstm32::ResetCause::kPowerOn);
  ASSERT_TRUE(m->debug_write32(kCsr, kRmvf));
  EXPECT_EQ(read32(*m, kCsr) & 0xFF00'0000u, 0u);
  m->pulse_nrst();
  EXPECT_EQ(read32(*m, kCsr) & 0xFF00'0000u, kPin);
  EXPECT_EQ(m->last_reset_cause(), vstm32::ResetCause::kPin);
  ASSERT_TRUE(m->debug_write32(kCsr, kRmvf));
  // AIRCR without VECTKEY: ignored.
  ASSERT_TRUE(m->debug_write32(kAircr, 0x0000'0004));
  EXPECT_EQ(read32(*m, kCsr) & 0xFF00'0000u, 0u);
  const uint64_t resets = m->resets();
  ASSERT_TRUE(m->debug_write32(kAircr, 0x05FA'0004));
  m->run_for_ns(10'000);
  EXPECT_EQ(m->resets(), resets + 1);
  EXPECT_EQ(read32(*m, kCsr) & 0xFF00'0000u, kSft | kPin);
  EXPECT_EQ(m->last_reset_cause(), vstm32::ResetCause::kSoftware);
  EXPECT_EQ(events_with(m->take_events(), Kind::kReset, "reset cause=software").size(), 1u);
  // Power cycle: POR again, RAM cleared.
  m->power_off();
  m->power_on();
  EXPECT_EQ(read32(*m, kCsr) & 0xFF00'0000u, kPor | kPin | kBor);
  EXPECT_EQ(read32(*m, vstm32_test::kIdleLoop), 0u);
}

TEST(Vstm32WatchdogTest, ProbeStartedIwdgResetsAfterItsPeriod) {
  auto m = idle_machine();
  ASSERT_NE(m, nullptr);
  ASSERT_TRUE(m->debug_write32(kCsr, kRmvf));
  ASSERT_TRUE(m->debug_write32(0x4000'3000, 0x5555));
  ASSERT_TRUE(m->debug_write32(0x4000'3004, 3));    // PR /32
  ASSERT_TRUE(m->debug_write32(0x4000'3008, 249));  // RLR
  ASSERT_TRUE(m->debug_write32(0x4000'3000, 0xCCCC));
  EXPECT_TRUE(m->iwdg_running());
  const uint64_t start = m->now_ns();
  // 4 * 2^3 * 250 / 32 kHz = 250 ms. Kicked at 200 ms it lasts to 450 ms.
  m->run_for_ns(200'000'000);
  ASSERT_TRUE(m->debug_write32(0x4000'3000, 0xAAAA));
  m->run_for_ns(240'000'000);
  EXPECT_EQ(read32(*m, kCsr) & kIwdg, 0u);
  ASSERT_TRUE(m->run_until([&] { return (m->rcc_csr() & kIwdg) != 0; }, 20'000'000, 100'000));
  const uint64_t at = m->now_ns() - start;
  EXPECT_GE(at, 450'000'000u);
  EXPECT_LE(at, 450'000'000u + 200'000);
  EXPECT_EQ(read32(*m, kCsr) & 0xFF00'0000u, kIwdg | kPin);
  EXPECT_FALSE(m->iwdg_running());  // the reset stops it (no hardware-watchdog option)
}

// A fault inside the HardFault handler locks the core up; only a reset gets it out, and a
// running IWDG provides one.
TEST(Vstm32LockupTest, FaultInHardFaultLocksUpUntilTheWatchdogResets) {
  auto m = idle_machine();
  ASSERT_NE(m, nullptr);
  // HardFault handler: a load from the SRAM hole (faults again). Main code: the same load.
  // movw r0, #0 ; movt r0, #0x2002 ; ldr r1, [r0] ; b .
  const std::vector<uint16_t> faulting = {0xF240, 0x0000, 0xF2C2, 0x0002, 0x6801, 0xE7FE};
  write_code(*m, vstm32_test::kIdleFaultHandler, faulting);
  write_code(*m, vstm32_test::kIdleLoop, faulting);
  ASSERT_TRUE(m->debug_write32(kCsr, kRmvf));
  ASSERT_TRUE(m->debug_write32(0x4000'3000, 0x5555));
  ASSERT_TRUE(m->debug_write32(0x4000'3004, 0));   // /4
  ASSERT_TRUE(m->debug_write32(0x4000'3008, 99));  // 12.5 ms at 32 kHz
  ASSERT_TRUE(m->debug_write32(0x4000'3000, 0xCCCC));
  m->run_for_ns(1'000'000);
  EXPECT_EQ(m->mode(), vstm32::Mode::kLockup);
  const auto faults = events_with(m->take_events(), Kind::kFault);
  ASSERT_EQ(faults.size(), 2u);
  EXPECT_NE(faults[1].text.find("lockup"), std::string::npos) << faults[1].text;
  const uint64_t resets = m->resets();
  ASSERT_TRUE(m->run_until([&] { return m->resets() > resets; }, 20'000'000, 100'000));
  EXPECT_EQ(m->last_reset_cause(), vstm32::ResetCause::kWatchdog);
  EXPECT_EQ(read32(*m, kCsr) & 0xFF00'0000u, kIwdg | kPin);
  EXPECT_EQ(m->mode(), vstm32::Mode::kCpu);
}

// SysTick interrupts every millisecond: an SRAM handler counts them, and returns to the loop.
TEST(Vstm32SysTickTest, InterruptEveryPeriodAndExceptionReturn) {
  auto m = idle_machine();
  ASSERT_NE(m, nullptr);
  // Vector 15 (SysTick) -> 0x2000'0300: movw r0,#0x400; movt r0,#0x2000; ldr r1,[r0];
  // adds r1,#1; str r1,[r0]; bx lr.
  std::vector<uint8_t> table(16 * 4, 0);
  const uint32_t vectors[16] = {vstm32::kSramBase + vstm32::kSramSize,
                                vstm32_test::kIdleLoop | 1u,
                                vstm32_test::kIdleFaultHandler | 1u,
                                vstm32_test::kIdleFaultHandler | 1u,
                                0,
                                0,
                                0,
                                0,
                                0,
                                0,
                                0,
                                0,
                                0,
                                0,
                                0,
                                0x2000'0301u};
  std::memcpy(table.data(), vectors, table.size());
  m->load_flash(vstm32::kFlashBase, table);
  write_code(*m, 0x2000'0300, {0xF240, 0x4000, 0xF2C2, 0x0000, 0x6801, 0x3101, 0x6001, 0x4770});
  ASSERT_TRUE(m->debug_write32(0xE000'E014, 16'000 - 1));  // LOAD: 1 ms at HCLK 16 MHz
  ASSERT_TRUE(m->debug_write32(0xE000'E018, 0));
  ASSERT_TRUE(m->debug_write32(0xE000'E010, 7));  // CLKSOURCE | TICKINT | ENABLE
  m->run_for_ns(10'000'000 + 500'000);
  EXPECT_EQ(read32(*m, 0x2000'0400), 10u);
  EXPECT_EQ(m->reg(UC_ARM_REG_PC), vstm32_test::kIdleLoop);  // back in thread mode
  EXPECT_EQ(read32(*m, 0xE000'ED04) & 0x1FFu, 0u);           // ICSR.VECTACTIVE: none
  EXPECT_TRUE(events_with(m->take_events(), Kind::kFault).empty());
  EXPECT_EQ(read32(*m, 0xE000'E010) & (1u << 16), 1u << 16);  // COUNTFLAG, cleared by the read
  EXPECT_EQ(read32(*m, 0xE000'E010) & (1u << 16), 0u);
}

// PendSV pended by a store to ICSR is taken after that store has completed (post-indexed
// write-back included), once per store, and the core returns behind it. SRAM code:
//   movw r0,#0xED04 ; movt r0,#0xE000 ; mov.w r2,#0x10000000 ; movs r3,#1 ; cmp r3,#1
//   itte eq ; streq r2,[r0] ; addeq r1,#1 ; addne r1,#100 ; b 1f
//   1: adds r1,#10 ; str.w r2,[r0],#4 ; adds r1,#10 ; b .
// PendSV (0x2000'0300): movw r6,#0x500 ; movt r6,#0x2000 ; ldr r7,[r6] ; adds r7,#1 ;
//   str r7,[r6] ; bx lr
TEST(Vstm32ExceptionTest, PendSvPendedByAStoreIsTakenOnceAfterIt) {
  auto m = idle_machine();
  ASSERT_NE(m, nullptr);
  std::vector<uint8_t> table(16 * 4, 0);
  uint32_t vectors[16] = {vstm32::kSramBase + vstm32::kSramSize, 0x2000'0201u,
                          vstm32_test::kIdleFaultHandler | 1u, vstm32_test::kIdleFaultHandler | 1u};
  vectors[14] = 0x2000'0301u;
  std::memcpy(table.data(), vectors, sizeof vectors);
  m->load_flash(vstm32::kFlashBase, table);
  m->pulse_nrst();
  write_code(*m, vstm32_test::kIdleFaultHandler, {0xE7FE});
  write_code(*m, 0x2000'0300, {0xF240, 0x5600, 0xF2C2, 0x0600, 0x6837, 0x3701, 0x6037, 0x4770});
  write_code(*m, 0x2000'0200,
             {0xF64E, 0x5004, 0xF2CE, 0x0000, 0xF04F, 0x5280, 0x2301, 0x2B01, 0xBF06, 0x6002,
              0x3101, 0x3164, 0xE7FF, 0x310A, 0xF840, 0x2B04, 0x310A, 0xE7FE});
  m->run_for_ns(20'000);
  EXPECT_EQ(read32(*m, 0x2000'0500), 2u) << "PendSV runs";
  EXPECT_EQ(m->reg(UC_ARM_REG_R0), 0xE000'ED08u) << "the post-indexed store's write-back";
  EXPECT_EQ(m->reg(UC_ARM_REG_R1), 21u);
  EXPECT_EQ(m->reg(UC_ARM_REG_PC), 0x2000'0222u);
  EXPECT_EQ(read32(*m, 0xE000'ED04) & 0x1FFu, 0u);  // back in thread mode
}

// Code the probe writes over SRAM code the core has already run takes effect (the translated
// block is dropped).
TEST(Vstm32ProbeTest, ProbeWriteOverRunningSramCodeTakesEffect) {
  auto m = idle_machine();
  ASSERT_NE(m, nullptr);
  m->run_for_ns(10'000);  // the idle loop has been translated and run
  // movw r0, #0 ; movt r0, #0x2002 ; ldr r1, [r0] ; b .  (a load from the SRAM hole)
  write_code(*m, vstm32_test::kIdleLoop, {0xF240, 0x0000, 0xF2C2, 0x0002, 0x6801, 0xE7FE});
  m->run_for_ns(10'000);
  EXPECT_EQ(events_with(m->take_events(), Kind::kFault, "address=0x20020000").size(), 1u);
  EXPECT_EQ(m->reg(UC_ARM_REG_PC), vstm32_test::kIdleFaultHandler);
}

TEST(Vstm32ProbeTest, ProbeWritesCcm) {
  auto m = idle_machine();
  ASSERT_NE(m, nullptr);
  EXPECT_TRUE(m->debug_write32(vstm32::kCcmBase + 0x100, 0x1234'5678));
  EXPECT_EQ(read32(*m, vstm32::kCcmBase + 0x100), 0x1234'5678u);
  EXPECT_TRUE(m->debug_write32(vstm32::kCcmBase + vstm32::kCcmSize - 4, 0xA5A5'5A5A));
  EXPECT_EQ(read32(*m, vstm32::kCcmBase + vstm32::kCcmSize - 4), 0xA5A5'5A5Au);
  EXPECT_FALSE(m->debug_write32(vstm32::kCcmBase + vstm32::kCcmSize, 0));  // past its end
}

// RM0090 2.3.3 bit-banding: word n of 0x2200'0000 + 32 * byte + 4 * bit is that bit of SRAM;
// 0x4200'0000 likewise for the peripherals (here GPIOD ODR bit 13: the orange LED).
TEST(Vstm32ProbeTest, ProbeReachesBitBandAliases) {
  auto m = idle_machine();
  ASSERT_NE(m, nullptr);
  ASSERT_TRUE(m->debug_write32(0x2000'0404, 0x0000'0100));
  EXPECT_EQ(read32(*m, 0x2200'0000 + 32 * 0x405 + 4 * 0), 1u);
  EXPECT_EQ(read32(*m, 0x2200'0000 + 32 * 0x405 + 4 * 1), 0u);
  ASSERT_TRUE(m->debug_write32(0x2200'0000 + 32 * 0x404 + 4 * 7, 1));
  EXPECT_EQ(read32(*m, 0x2000'0404), 0x0000'0180u);
  ASSERT_TRUE(m->debug_write32(0x2200'0000 + 32 * 0x405, 0));
  EXPECT_EQ(read32(*m, 0x2000'0404), 0x0000'0080u);
  ASSERT_TRUE(m->debug_write32(0x4200'0000 + 32 * (kGpiodOdr - 0x4000'0000) + 4 * 13, 1));
  EXPECT_EQ(m->leds(), 0x2u);
  EXPECT_EQ(read32(*m, 0x4200'0000 + 32 * (kGpiodOdr - 0x4000'0000) + 4 * 13), 1u);
  uint32_t v = 0;
  EXPECT_FALSE(m->debug_read32(0x4200'0000 + 32 * 0x2400, v));  // reserved slot 0x4000'2400
}

// RM0090 21.4.4: PVU/RVU stay set while a PR/RLR write crosses to the LSI domain (up to 5 LSI
// periods); the new value is in force after that.
TEST(Vstm32WatchdogTest, PrescalerAndReloadUpdatesAreBusyForFiveLsiPeriods) {
  constexpr uint32_t kKr = 0x4000'3000, kPr = 0x4000'3004, kRlr = 0x4000'3008, kSr = 0x4000'300C;
  auto m = idle_machine();
  ASSERT_NE(m, nullptr);
  ASSERT_TRUE(m->debug_write32(kPr, 4));  // no 0x5555 first: write-protected, ignored
  EXPECT_EQ(read32(*m, kPr), 0u);
  EXPECT_EQ(read32(*m, kSr), 0u);
  ASSERT_TRUE(m->debug_write32(kKr, 0x5555));
  ASSERT_TRUE(m->debug_write32(kPr, 4));
  ASSERT_TRUE(m->debug_write32(kRlr, 0x123));
  EXPECT_NE(read32(*m, kSr) & 3u, 0u);
  m->run_for_ns(5ull * 1'000'000'000 / 32'000 + 1'000);
  EXPECT_EQ(read32(*m, kSr), 0u);
  EXPECT_EQ(read32(*m, kPr), 4u);
  EXPECT_EQ(read32(*m, kRlr), 0x123u);
  EXPECT_FALSE(m->iwdg_running());
}

// NRST held low: the chip does nothing (no instruction runs, time passes); released, it resets
// with PINRSTF only.
TEST(Vstm32ResetFlagsTest, NrstHeldLowStopsTheChipUntilReleased) {
  auto m = idle_machine();
  ASSERT_NE(m, nullptr);
  m->run_for_ns(10'000);
  ASSERT_TRUE(m->debug_write32(kCsr, kRmvf));
  m->set_nrst(true);
  EXPECT_EQ(m->mode(), vstm32::Mode::kReset);
  const uint64_t executed = m->instructions(), t = m->now_ns();
  m->run_for_ns(5'000'000);
  EXPECT_EQ(m->instructions(), executed);
  EXPECT_EQ(m->now_ns(), t + 5'000'000);
  m->set_nrst(false);
  EXPECT_EQ(m->mode(), vstm32::Mode::kCpu);
  EXPECT_EQ(m->last_reset_cause(), vstm32::ResetCause::kPin);
  EXPECT_EQ(read32(*m, kCsr) & 0xFF00'0000u, kPin);
  m->run_for_ns(10'000);
  EXPECT_GT(m->instructions(), executed);
}

// Simulated time is one instruction per HCLK cycle: 16 MHz HSI after reset, 168 MHz from the PLL
// (HSE 8 MHz / M 8 * N 336 / P 2, as the Discovery firmware sets it), 84 MHz with AHB /2. Over
// 10 ms the count is exact to one instruction (where the window starts within an instruction).
// HCLK cycles (the cycle model's, the default) per 10 ms follow the clock tree. A run ends at
// the first block boundary at or after its time, so a window can be off by up to one block of the
// `nop; b .-2` loop (1 + 2 cycles).
TEST(Vstm32TimeTest, CyclesPerHclkPeriod) {
  constexpr uint32_t kRccCr = 0x4002'3800, kPllcfgr = 0x4002'3804, kCfgr = 0x4002'3808;
  auto m = idle_machine();
  ASSERT_NE(m, nullptr);
  auto cycles_in_10ms = [&] {
    const uint64_t before = m->cycles();
    m->run_for_ns(10'000'000);
    return static_cast<double>(m->cycles() - before);
  };
  EXPECT_EQ(m->sysclk_hz(), 16'000'000u);
  EXPECT_NEAR(cycles_in_10ms(), 160'000, 1);
  // The same from a loop that runs (the machine counts a `b .` loop without running it).
  write_code(*m, 0x2000'0600, {0xBF00, 0xE7FD});            // nop ; b .-2
  ASSERT_TRUE(m->debug_write32(0x2000'0000, 0xBAFE'F000));  // b.w 0x2000'0600 over the b .
  m->run_for_ns(1'000);
  EXPECT_NEAR(cycles_in_10ms(), 160'000, 3);
  EXPECT_GE(m->reg(UC_ARM_REG_PC), 0x2000'0600u);
  ASSERT_TRUE(m->debug_write32(kRccCr, read32(*m, kRccCr) | 1u << 16));  // HSEON
  ASSERT_TRUE(m->debug_write32(kPllcfgr, 1u << 22 | 7u << 24 | 0u << 16 | 336u << 6 | 8u));
  ASSERT_TRUE(m->debug_write32(kRccCr, read32(*m, kRccCr) | 1u << 24));  // PLLON
  EXPECT_NE(read32(*m, kRccCr) & (1u << 25), 0u);                        // PLLRDY
  ASSERT_TRUE(m->debug_write32(kCfgr, 2u));                              // SW = PLL
  EXPECT_EQ(read32(*m, kCfgr) & 0xCu, 0x8u);                             // SWS = PLL
  EXPECT_EQ(m->sysclk_hz(), 168'000'000u);
  EXPECT_NEAR(cycles_in_10ms(), 1'680'000, 3);
  ASSERT_TRUE(m->debug_write32(kCfgr, 2u | 8u << 4));  // HPRE: /2
  EXPECT_EQ(m->sysclk_hz(), 84'000'000u);
  EXPECT_NEAR(cycles_in_10ms(), 840'000, 3);
}

// SCB VTOR: 0 after reset (the vector table at the boot alias); exceptions take their handler
// from the table VTOR names, here one in SRAM whose PendSV handler counts.
TEST(Vstm32VtorTest, ExceptionsUseTheTableVtorPointsTo) {
  constexpr uint32_t kVtor = 0xE000'ED08, kIcsr = 0xE000'ED04, kTable = 0x2000'0800;
  auto m = idle_machine();
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(read32(*m, kVtor), 0u);
  // The flash table has no PendSV handler (0): taking PendSV from it would fault.
  write_code(*m, 0x2000'0300, {0xF240, 0x4000, 0xF2C2, 0x0000, 0x6801, 0x3101, 0x6001, 0x4770});
  ASSERT_TRUE(m->debug_write32(kTable + 14 * 4, 0x2000'0301));
  ASSERT_TRUE(m->debug_write32(kVtor, kTable));
  EXPECT_EQ(read32(*m, kVtor), kTable);
  ASSERT_TRUE(m->debug_write32(kIcsr, 1u << 28));  // PENDSVSET
  m->run_for_ns(10'000);
  EXPECT_EQ(read32(*m, 0x2000'0400), 1u);
  EXPECT_EQ(m->reg(UC_ARM_REG_PC), vstm32_test::kIdleLoop);
  EXPECT_TRUE(events_with(m->take_events(), Kind::kFault).empty());
  m->pulse_nrst();
  EXPECT_EQ(read32(*m, kVtor), 0u);
}

// The frame follows CR1 (M, PCE) and CR2 (STOP): 8N1 10 bits, 8E1 and 9N1 11, 8N2 11; TC comes
// one frame after the byte starts.
TEST(Vstm32UsartTest, FrameFollowsCr1AndCr2) {
  constexpr uint32_t kApb2enr = 0x4002'3844;
  constexpr uint32_t kSr = 0x4001'1000, kDr = 0x4001'1004, kBrr = 0x4001'1008, kCr1 = 0x4001'100C,
                     kCr2 = 0x4001'1010;
  constexpr uint32_t kUe = 1u << 13, kM = 1u << 12, kPce = 1u << 10, kTe = 1u << 3, kTc = 1u << 6;
  auto m = idle_machine();
  ASSERT_NE(m, nullptr);
  ASSERT_TRUE(m->debug_write32(kApb2enr, 1u << 4));
  ASSERT_TRUE(m->debug_write32(kBrr, 0x683));  // 16 MHz / 9600 = 1666.67: 0x68 + 3/16
  const struct {
    uint32_t cr1, cr2;
    unsigned bits;
  } cases[] = {{kUe | kTe, 0, 10},
               {kUe | kTe | kM | kPce, 0, 11},
               {kUe | kTe | kM, 0, 11},
               {kUe | kTe, 2u << 12, 11}};
  for (const auto& c : cases) {
    ASSERT_TRUE(m->debug_write32(kCr1, c.cr1));
    ASSERT_TRUE(m->debug_write32(kCr2, c.cr2));
    EXPECT_EQ(m->uart_frame_bits(), c.bits) << std::hex << c.cr1 << " " << c.cr2;
    EXPECT_EQ(m->uart_baud(), 16'000'000u / 0x683);
    const uint64_t frame_ns = uint64_t{c.bits} * 1'000'000'000 / (16'000'000 / 0x683);
    ASSERT_TRUE(m->debug_write32(kDr, 0x55));
    m->run_for_ns(frame_ns - 2'000);
    EXPECT_EQ(read32(*m, kSr) & kTc, 0u) << c.bits << " bits";
    m->run_for_ns(4'000);
    EXPECT_EQ(read32(*m, kSr) & kTc, kTc) << c.bits << " bits";
  }
}

TEST(Vstm32LedTest, GpiodPins12To15AreEvents) {
  auto m = idle_machine();
  ASSERT_NE(m, nullptr);
  m->take_events();
  ASSERT_TRUE(m->debug_write32(kGpiodBsrr, 1u << 12 | 1u << 15));
  EXPECT_EQ(m->leds(), 0x9u);
  ASSERT_TRUE(m->debug_write32(kGpiodBsrr, 1u << (16 + 12) | 1u << 14));
  EXPECT_EQ(m->leds(), 0xCu);
  ASSERT_TRUE(m->debug_write32(kGpiodOdr, 1u << 13 | 1u << 3));  // PD3 is not an LED
  EXPECT_EQ(m->leds(), 0x2u);
  ASSERT_TRUE(m->debug_write32(kGpiodOdr, 1u << 13 | 1u << 4));  // no LED change: no event
  const auto leds = events_with(m->take_events(), Kind::kLed);
  ASSERT_EQ(leds.size(), 3u);
  EXPECT_EQ(leds[0].text, "leds green=1 orange=0 red=0 blue=1");
  EXPECT_EQ(leds[1].text, "leds green=0 orange=0 red=1 blue=1");
  EXPECT_EQ(leds[2].text, "leds green=0 orange=1 red=0 blue=0");
}

TEST(Vstm32UsartTest, StatusFlagsFollowTheWireIn8E1) {
  constexpr uint32_t kApb2enr = 0x4002'3844;
  constexpr uint32_t kSr = 0x4001'1000, kDr = 0x4001'1004, kBrr = 0x4001'1008, kCr1 = 0x4001'100C;
  constexpr uint32_t kRxne = 1u << 5, kTc = 1u << 6, kTxe = 1u << 7, kOre = 1u << 3;
  auto m = idle_machine();
  ASSERT_NE(m, nullptr);
  ASSERT_TRUE(m->debug_write32(kBrr, 139));
  EXPECT_EQ(read32(*m, kBrr), 0u) << "clock off: the write is lost, registers read 0";
  ASSERT_TRUE(m->debug_write32(kApb2enr, 1u << 4));
  ASSERT_TRUE(m->debug_write32(kBrr, 139));  // 16 MHz / 139 = 115108 baud
  // UE | M | PCE | TE | RE: 8 data bits + even parity.
  ASSERT_TRUE(m->debug_write32(kCr1, 1u << 13 | 1u << 12 | 1u << 10 | 1u << 3 | 1u << 2));
  EXPECT_EQ(m->uart_frame_bits(), 11u);
  EXPECT_EQ(m->uart_baud(), 16'000'000u / 139);
  EXPECT_EQ(read32(*m, kSr) & (kTxe | kTc), kTxe | kTc);
  const uint64_t frame_ns = 11ull * 1'000'000'000 / (16'000'000 / 139);
  ASSERT_TRUE(m->debug_write32(kDr, 'a'));
  EXPECT_EQ(read32(*m, kSr) & (kTxe | kTc), kTxe) << "a went to the shift register: TXE, not TC";
  ASSERT_TRUE(m->debug_write32(kDr, 'b'));
  EXPECT_EQ(read32(*m, kSr) & (kTxe | kTc), 0u) << "b waits in DR";
  m->run_for_ns(frame_ns + 1'000);
  EXPECT_EQ(read32(*m, kSr) & (kTxe | kTc), kTxe);
  m->run_for_ns(frame_ns + 1'000);
  EXPECT_EQ(read32(*m, kSr) & (kTxe | kTc), kTxe | kTc);
  ASSERT_TRUE(m->debug_write32(kSr, ~kTc));  // TC: rc_w0
  EXPECT_EQ(read32(*m, kSr) & kTc, 0u);
  const auto tx = m->take_uart_tx();
  ASSERT_EQ(tx.size(), 2u);
  EXPECT_EQ(tx[0].byte, 'a');
  EXPECT_EQ(tx[1].at_ns - tx[0].at_ns, frame_ns);
  // Receive: RXNE until DR is read; a second byte before that sets ORE and is lost.
  m->uart_receive(0x41);
  EXPECT_EQ(read32(*m, kSr) & (kRxne | kOre), kRxne);
  m->uart_receive(0x42);
  EXPECT_EQ(read32(*m, kSr) & (kRxne | kOre), kRxne | kOre);
  EXPECT_EQ(read32(*m, kDr), 0x41u);
  EXPECT_EQ(read32(*m, kSr) & (kRxne | kOre), 0u);
}

TEST(Vstm32BootModeTest, Boot0HighStartsTheRomWhichAcksSyncAfterItsStartupDelay) {
  vstm32::MachineConfig config;
  config.boot0 = true;
  auto m = new_machine(config);
  ASSERT_NE(m, nullptr);
  m->power_on();
  EXPECT_EQ(m->mode(), vstm32::Mode::kRom);
  // Too early: the ROM is still starting (AN2606) and ignores the byte.
  m->run_for_ns(10'000'000);
  m->uart_receive(0x7F);
  m->run_for_ns(10'000'000);
  EXPECT_TRUE(m->take_uart_tx().empty());
  m->advance_to(100'000'000);
  m->uart_receive(0x7F);
  ASSERT_TRUE(m->run_until([&] { return !m->uart_text().empty(); }, 10'000'000, 10'000));
  const auto tx = m->take_uart_tx();
  ASSERT_EQ(tx.size(), 1u);
  EXPECT_EQ(tx[0].byte, 0x79);  // ACK
  EXPECT_GE(tx[0].at_ns, 100'000'000u);
  EXPECT_EQ(m->uart_frame_bits(), 11u);  // the ROM talks 8E1
  // BOOT0 low and a reset: the CPU runs from flash.
  m->set_boot0(false);
  m->pulse_nrst();
  EXPECT_EQ(m->mode(), vstm32::Mode::kCpu);
}

// The boot alias at 0: main flash with BOOT0 low (the vector table is fetched there), system
// memory with BOOT0 high (the ROM's version byte at 0x1FFF'77DE shows through at 0x77DE).
TEST(Vstm32BootModeTest, AliasAtZeroFollowsBoot0) {
  auto m = idle_machine();
  ASSERT_NE(m, nullptr);
  for (uint32_t a : {0u, 4u, 8u}) EXPECT_EQ(read32(*m, a), read32(*m, vstm32::kFlashBase + a));
  EXPECT_NE(read32(*m, 0x77DC), read32(*m, 0x1FFF'77DC));
  m->set_boot0(true);
  m->pulse_nrst();
  EXPECT_EQ(m->mode(), vstm32::Mode::kRom);
  EXPECT_EQ(read32(*m, 0x77DC), read32(*m, 0x1FFF'77DC));
  EXPECT_EQ(read32(*m, 0x77DC) >> 16 & 0xFFu, 0x91u);  // V9.1
  EXPECT_NE(read32(*m, 0), read32(*m, vstm32::kFlashBase));
}

}  // namespace
