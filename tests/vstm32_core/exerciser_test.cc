// SPDX-License-Identifier: Apache-2.0
// The ARM flash exerciser (vstm32/testfw/flash.cc) and the CRC program on vstm32::Machine: the
// flash interface, IWDG, reset flags, AIRCR and USART1 as firmware sees them from the CPU.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdio>
#include <random>
#include <string>

#include "harness.h"

namespace {

using vstm32::MachineEvent;
using vstm32_test::events_with;
using vstm32_test::flash_word;
using vstm32_test::machine_with;
using vstm32_test::run_until_text;
using Kind = vstm32::MachineEvent::Kind;

std::unique_ptr<vstm32::Machine> exerciser(testfw::FlashMode mode,
                                           const vstm32::MachineConfig& config = {}) {
  auto m = machine_with("testfw-flash.bin", config);
  if (m && mode != testfw::FlashMode::kRewrite) vstm32_test::set_flash_mode(*m, mode);
  return m;
}

// The exerciser in `mode`, powered on and run until `until` is on USART1; nullptr (and a failure
// showing what it printed) when the text does not come.
std::unique_ptr<vstm32::Machine> run_exerciser(testfw::FlashMode mode,
                                               std::string_view until = "done\n",
                                               const vstm32::MachineConfig& config = {}) {
  auto m = exerciser(mode, config);
  if (m == nullptr) return nullptr;
  m->power_on();
  if (!run_until_text(*m, until)) {
    ADD_FAILURE() << "no \"" << until << "\" on USART1:\n" << m->uart_text();
    return nullptr;
  }
  return m;
}

TEST(Vstm32ExerciserTest, RewritesSectorOneAndReportsIt) {
  auto m = exerciser(testfw::FlashMode::kRewrite);
  ASSERT_NE(m, nullptr);
  // Old contents that the erase has to remove.
  std::vector<uint8_t> old(testfw::kTargetSize, 0x00);
  m->load_flash(testfw::kTargetAddress, old);
  m->power_on();
  ASSERT_TRUE(run_until_text(*m, "done\n")) << m->uart_text();
  const std::string& text = m->uart_text();
  EXPECT_NE(text.find("flash: erase sector 1 sr=0x00000000\n"), std::string::npos) << text;
  EXPECT_NE(text.find("flash: programmed 1024 words, errors 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("flash: verify ok locked=1\n"), std::string::npos) << text;
  for (uint32_t i = 0; i < testfw::kTargetSize / 4; ++i) {
    const uint32_t want = i < testfw::kRewriteWords ? testfw::pattern(i) : 0xFFFF'FFFFu;
    ASSERT_EQ(flash_word(*m, testfw::kTargetAddress + 4 * i), want) << "word " << i;
  }
  EXPECT_EQ(m->flash_steps(), 1u + testfw::kRewriteWords);
  const auto events = m->take_events();
  const auto erase = events_with(events, Kind::kFlash, "flash erase sector=1 ms=250 by=cpu");
  ASSERT_EQ(erase.size(), 1u);
  const auto program = events_with(events, Kind::kFlash, "flash program 0x08004000..0x08005000");
  ASSERT_EQ(program.size(), 1u);
  // The CPU ran from flash: it stalled for the whole erase (DS8626 x32 16 KB typical 250 ms)
  // and each word program (16 us).
  EXPECT_GE(program[0].at_ns - erase[0].at_ns, 250'000'000u);
  EXPECT_GE(m->now_ns() - program[0].at_ns, testfw::kRewriteWords * 16'000u);
  // LEDs: orange while busy, then green.
  const auto leds = events_with(events, Kind::kLed);
  ASSERT_GE(leds.size(), 3u);
  EXPECT_EQ(leds[0].text, "leds green=0 orange=1 red=0 blue=0");
  EXPECT_EQ(leds.back().text, "leds green=1 orange=0 red=0 blue=0");
  EXPECT_EQ(m->leds(), 0x1u);
}

TEST(Vstm32ExerciserTest, EachErrorFlagFromCode) {
  auto m = run_exerciser(testfw::FlashMode::kErrors);
  ASSERT_NE(m, nullptr);
  const std::string& text = m->uart_text();
  for (const char* line : {
           "flash: pgserr sr=0x00000080\n",
           "flash: cleared sr=0x00000000\n",
           "flash: pgperr sr=0x00000040\n",
           "flash: pgperr-x64 sr=0x00000040\n",
           "flash: wrperr-snb sr=0x00000010\n",
           "flash: wrperr-mer-ser sr=0x00000010\n",
           "flash: operr sr=0x00000082\n",
           "flash: program x8 sr=0x00000000\n",
           "flash: byte=0x0000005a\n",
           "flash: locked cr=0x80000000\n",
       }) {
    EXPECT_NE(text.find(line), std::string::npos) << "missing: " << line << "in:\n" << text;
  }
  // PGAERR from a misaligned word store whose bytes cross a 128-bit row. The core splits an
  // unaligned store into aligned bus accesses, and what the controller flags for the second part
  // is not documented (vstm32 adds PGSERR: programming with an uncleared error), so only PGAERR
  // itself is required here; the exact flag is checked through the probe (flash_controller_test).
  unsigned pgaerr_sr = 0;
  const size_t at = text.find("flash: pgaerr sr=");
  ASSERT_NE(at, std::string::npos) << text;
  ASSERT_EQ(std::sscanf(text.c_str() + at, "flash: pgaerr sr=0x%x", &pgaerr_sr), 1);
  EXPECT_EQ(pgaerr_sr & 0x20u, 0x20u) << text;
  EXPECT_EQ(pgaerr_sr & ~(0x20u | 0x80u), 0u) << text;
  EXPECT_EQ(m->flash()[testfw::kTargetAddress - vstm32::kFlashBase], 0x5A);
  EXPECT_EQ(flash_word(*m, testfw::kTargetAddress + 4), 0xFFFF'FFFFu);
}

TEST(Vstm32ExerciserTest, WrongKeyIsABusFaultNamingPcAndAddress) {
  auto m = run_exerciser(testfw::FlashMode::kWrongKey, "flash_cr=0x80000000\n");
  ASSERT_NE(m, nullptr);
  const std::string& text = m->uart_text();
  EXPECT_EQ(text.find("flash: no fault"), std::string::npos) << text;
  EXPECT_NE(text.find("flash_cr=0x80000000\n"), std::string::npos) << text;
  EXPECT_NE(text.find("hardfault: cfsr=0x00000400"), std::string::npos)
      << "a faulting buffered store is an imprecise bus error (CFSR.IMPRECISERR)\n"
      << text;
  const auto faults = events_with(m->take_events(), Kind::kFault, "address=0x40023C04");
  ASSERT_EQ(faults.size(), 1u);
  unsigned pc = 0;
  ASSERT_EQ(std::sscanf(faults[0].text.c_str() + faults[0].text.find("pc=0x"), "pc=0x%x", &pc), 1)
      << faults[0].text;
  EXPECT_GE(pc, vstm32::kFlashBase);
  EXPECT_LT(pc, vstm32::kFlashBase + 16 * 1024);  // inside testfw-flash's code
}

TEST(Vstm32ExerciserTest, BsyVisibleToCodeRunningFromSram) {
  auto m = run_exerciser(testfw::FlashMode::kBusyPoll);
  ASSERT_NE(m, nullptr);
  const std::string& text = m->uart_text();
  unsigned polls = 0;
  const size_t at = text.find("flash: busy polls ");
  ASSERT_NE(at, std::string::npos) << text;
  ASSERT_EQ(std::sscanf(text.c_str() + at, "flash: busy polls %u", &polls), 1);
  // 250 ms of BSY at 16 MHz, one instruction per cycle, a poll loop of 3-8 instructions.
  EXPECT_GE(polls, 250'000'000ull * 16 / 1000 / 8);
  EXPECT_LE(polls, 250'000'000ull * 16 / 1000 / 3);
  EXPECT_NE(text.find("flash: after erase sr=0x00000001\n"), std::string::npos)
      << "EOP (EOPIE was set)\n"
      << text;
}

TEST(Vstm32ExerciserTest, WatchdogTimeoutResetsWithIwdgrstf) {
  for (const uint32_t lsi_hz : {32'000u, 40'000u}) {
    vstm32::MachineConfig config;
    config.lsi_hz = lsi_hz;
    auto m = run_exerciser(testfw::FlashMode::kWatchdog, "iwdg: started\n", config);
    ASSERT_NE(m, nullptr);
    EXPECT_NE(m->uart_text().find("reset: csr=0x0e000000\n"), std::string::npos)
        << "power-on reset: PORRSTF | PINRSTF | BORRSTF\n"
        << m->uart_text();
    m->clear_uart_text();
    ASSERT_TRUE(run_until_text(*m, "iwdg: started\n", 100'000'000)) << m->uart_text();
    // Flags accumulate until RMVF: IWDGRSTF and PINRSTF (the internal reset pulses NRST) join.
    EXPECT_NE(m->uart_text().find("reset: csr=0x2e000000\n"), std::string::npos) << m->uart_text();
    EXPECT_EQ(m->last_reset_cause(), vstm32::ResetCause::kWatchdog);
    const auto events = m->take_events();
    const auto started = events_with(events, Kind::kInfo, "iwdg started");
    const auto reset = events_with(events, Kind::kReset, "reset cause=iwdg");
    ASSERT_GE(started.size(), 1u);
    ASSERT_GE(reset.size(), 1u);
    // timeout = 4 * 2^PR * (RLR + 1) / f_LSI with PR = 0, RLR = 99.
    const uint64_t expect_ns = 4ull * 100 * 1'000'000'000ull / lsi_hz;
    const uint64_t got_ns = reset[0].at_ns - started[0].at_ns;
    EXPECT_GE(got_ns, expect_ns) << "lsi " << lsi_hz;
    EXPECT_LE(got_ns, expect_ns + expect_ns / 100) << "lsi " << lsi_hz;
  }
}

TEST(Vstm32ExerciserTest, SysResetReqSetsSftrstfAndRmvfClears) {
  auto m = run_exerciser(testfw::FlashMode::kSysReset);
  ASSERT_NE(m, nullptr);
  const std::string& text = m->uart_text();
  const std::string expected =
      "flash: mode 5\n"
      "reset: csr=0x0e000000\n"
      "reset: cleared csr=0x00000000\n"
      "flash: mode 5\n"
      "reset: csr=0x14000000\n"  // SFTRSTF | PINRSTF
      "reset: cleared csr=0x00000000\n"
      "done\n";
  EXPECT_EQ(text, expected);
  EXPECT_EQ(m->last_reset_cause(), vstm32::ResetCause::kSoftware);
  EXPECT_EQ(events_with(m->take_events(), Kind::kReset, "reset cause=software").size(), 1u);
}

TEST(Vstm32ExerciserTest, UsartReceiveOverrunAndTransmitTiming) {
  auto m = run_exerciser(testfw::FlashMode::kEcho, "echo: ready\n");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->uart_frame_bits(), 10u);  // 8N1
  const uint32_t baud = m->uart_baud();
  EXPECT_NEAR(baud, 115'200, 115'200 / 100);
  // Transmit timing: consecutive start bits one 10-bit frame apart.
  const auto tx = m->take_uart_tx();
  ASSERT_GE(tx.size(), 2u);
  for (size_t i = 1; i < tx.size(); ++i) {
    EXPECT_GE(tx[i].at_ns - tx[i - 1].at_ns, 10ull * 1'000'000'000 / baud);
  }
  m->uart_receive('A');
  ASSERT_TRUE(run_until_text(*m, "echo: 0x00000042 ore=0\n", 50'000'000)) << m->uart_text();
  m->uart_receive('B');
  m->uart_receive('C');  // DR still full: ORE, and 'C' is lost
  ASSERT_TRUE(run_until_text(*m, "echo: 0x00000043 ore=1\n", 50'000'000)) << m->uart_text();
  m->run_for_ns(5'000'000);
  EXPECT_EQ(m->uart_text().find("0x00000044"), std::string::npos) << m->uart_text();
  m->uart_receive('D');
  ASSERT_TRUE(run_until_text(*m, "echo: 0x00000045 ore=0\n", 50'000'000)) << m->uart_text();
  m->uart_receive('E');
  ASSERT_TRUE(run_until_text(*m, "done\n", 50'000'000)) << m->uart_text();
}

// Independent reference: zlib's crc32 over the same bytes the program checks.
TEST(Vstm32CrcProgramTest, Crc32Of384KbMatchesZlib) {
  auto m = machine_with("testfw-crc.bin");
  ASSERT_NE(m, nullptr);
  std::mt19937 rng(7);
  std::vector<uint8_t> slot(testfw::kCrcBytes);
  for (auto& b : slot) b = static_cast<uint8_t>(rng());
  m->load_flash(testfw::kCrcAddress, slot);
  m->power_on();
  ASSERT_TRUE(run_until_text(*m, "done\n")) << m->uart_text();
  const uLong want = crc32(crc32(0L, Z_NULL, 0), slot.data(), static_cast<uInt>(slot.size()));
  char line[80];
  std::snprintf(line, sizeof line, "crc: crc32 0x08020000+393216=0x%08lx unit\n", want);
  EXPECT_NE(m->uart_text().find(line), std::string::npos) << "want " << line << m->uart_text();
  EXPECT_NE(m->uart_text().find("crc: sysclk=168000000\n"), std::string::npos) << m->uart_text();
  EXPECT_EQ(m->sysclk_hz(), 168'000'000u);
}

}  // namespace
