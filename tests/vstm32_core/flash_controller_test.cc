// SPDX-License-Identifier: Apache-2.0
// The flash interface of vstm32::Machine checked against RM0090 (3.5-3.9) and DS8626 through the
// probe (debug_read32/debug_write32/debug_flash_store: the same decoding as CPU accesses) while
// the CPU idles in SRAM, so FLASH_SR can be watched during an operation. The CPU-side view of
// the same rules is in exerciser_test.cc.
#include <gtest/gtest.h>
#include <unicorn/unicorn.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include "harness.h"

namespace {

using vstm32::Machine;
using vstm32_test::flash_word;
using vstm32_test::idle_machine;
using vstm32_test::read32;

// RM0090 3.9: register addresses and bits, written out here rather than taken from the model.
constexpr uint32_t kKeyr = 0x4002'3C04;
constexpr uint32_t kSr = 0x4002'3C0C;
constexpr uint32_t kCr = 0x4002'3C10;
constexpr uint32_t kKey1 = 0x4567'0123;
constexpr uint32_t kKey2 = 0xCDEF'89AB;
constexpr uint32_t kEop = 1u << 0, kOperr = 1u << 1, kWrperr = 1u << 4, kPgaerr = 1u << 5,
                   kPgperr = 1u << 6, kPgserr = 1u << 7, kBsy = 1u << 16;
constexpr uint32_t kPg = 1u << 0, kSer = 1u << 1, kMer = 1u << 2, kStrt = 1u << 16,
                   kEopie = 1u << 24, kErrie = 1u << 25, kLock = 1u << 31;
constexpr uint32_t psize(unsigned p) {
  return p << 8;  // 0 x8, 1 x16, 2 x32, 3 x64
}
constexpr uint32_t snb(unsigned sector) {
  return sector << 3;
}

constexpr uint32_t kSector1 = 0x0800'4000;  // 16 KB
constexpr uint32_t kSector5 = 0x0802'0000;  // 128 KB

class Vstm32FlashControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    m_ = idle_machine();
    ASSERT_NE(m_, nullptr);
    m_->run_for_ns(10'000);
    ASSERT_EQ(m_->mode(), vstm32::Mode::kCpu);
  }
  void unlock() {
    ASSERT_TRUE(m_->debug_write32(kKeyr, kKey1));
    ASSERT_TRUE(m_->debug_write32(kKeyr, kKey2));
    ASSERT_EQ(read32(*m_, kCr) & kLock, 0u);
  }
  uint32_t sr() { return read32(*m_, kSr); }
  // The core sleeps (wfi ; b .-2) instead of spinning: seconds of BSY pass without executing.
  void sleep_core() { vstm32_test::write_code(*m_, vstm32_test::kIdleLoop, {0xBF30, 0xE7FD}); }
  void write_cr(uint32_t value) { ASSERT_TRUE(m_->debug_write32(kCr, value)); }
  void clear_sr() { ASSERT_TRUE(m_->debug_write32(kSr, 0xFFFF'FFFF)); }
  // Simulated ns until BSY clears, polled every `step_ns`; 0 when it never cleared in `max_ns`.
  uint64_t busy_for(uint64_t step_ns, uint64_t max_ns) {
    const uint64_t start = m_->now_ns();
    while (m_->now_ns() - start <= max_ns) {
      if ((sr() & kBsy) == 0) return m_->now_ns() - start;
      m_->run_for_ns(step_ns);
    }
    return 0;
  }
  std::unique_ptr<Machine> m_;
};

TEST_F(Vstm32FlashControllerTest, ResetStateIsLocked) {
  EXPECT_EQ(read32(*m_, kCr), 0x8000'0000u);  // RM0090: FLASH_CR reset value
  EXPECT_EQ(sr(), 0u);
  EXPECT_EQ(m_->flash_cr(), 0x8000'0000u);
}

TEST_F(Vstm32FlashControllerTest, KeySequenceUnlocksAndLockBitRelocks) {
  write_cr(kPg);  // ignored while locked
  EXPECT_EQ(read32(*m_, kCr), kLock);
  unlock();
  write_cr(psize(2) | kPg);
  EXPECT_EQ(read32(*m_, kCr), psize(2) | kPg);
  write_cr(kLock);
  EXPECT_EQ(read32(*m_, kCr), kLock);
  write_cr(kPg);
  EXPECT_EQ(read32(*m_, kCr), kLock);
  unlock();  // the same sequence unlocks again after a normal lock
}

TEST_F(Vstm32FlashControllerTest, WrongSecondKeyLocksUntilReset) {
  ASSERT_TRUE(m_->debug_write32(kKeyr, kKey1));
  ASSERT_TRUE(m_->debug_write32(kKeyr, 0x1111'1111));
  EXPECT_EQ(read32(*m_, kCr) & kLock, kLock);
  // The right sequence no longer unlocks (RM0090 3.5.1: locked until the next reset).
  ASSERT_TRUE(m_->debug_write32(kKeyr, kKey1));
  ASSERT_TRUE(m_->debug_write32(kKeyr, kKey2));
  EXPECT_EQ(read32(*m_, kCr) & kLock, kLock);
  EXPECT_EQ(vstm32_test::events_with(m_->take_events(), vstm32::MachineEvent::Kind::kInfo,
                                     "wrong KEYR sequence")
                .size(),
            1u);
  m_->pulse_nrst();
  m_->run_for_ns(10'000);
  unlock();
}

TEST_F(Vstm32FlashControllerTest, WrongFirstKeyLocksUntilReset) {
  ASSERT_TRUE(m_->debug_write32(kKeyr, kKey2));  // second key first
  ASSERT_TRUE(m_->debug_write32(kKeyr, kKey1));
  ASSERT_TRUE(m_->debug_write32(kKeyr, kKey2));
  EXPECT_EQ(read32(*m_, kCr) & kLock, kLock);
}

TEST_F(Vstm32FlashControllerTest, StoreWithoutPgRaisesPgserrAndWritingOneClearsIt) {
  unlock();
  write_cr(psize(2));
  m_->debug_flash_store(kSector1, 4, 0x1234'5678);
  EXPECT_EQ(sr(), kPgserr);
  EXPECT_EQ(flash_word(*m_, kSector1), 0xFFFF'FFFFu);
  ASSERT_TRUE(m_->debug_write32(kSr, kPgperr));  // another flag: PGSERR stays
  EXPECT_EQ(sr(), kPgserr);
  ASSERT_TRUE(m_->debug_write32(kSr, kPgserr));
  EXPECT_EQ(sr(), 0u);
}

TEST_F(Vstm32FlashControllerTest, StoreWhileLockedRaisesPgserr) {
  m_->debug_flash_store(kSector1, 4, 0);
  EXPECT_EQ(sr(), kPgserr);
  EXPECT_EQ(flash_word(*m_, kSector1), 0xFFFF'FFFFu);
}

TEST_F(Vstm32FlashControllerTest, StoreWidthOtherThanPsizeRaisesPgperr) {
  unlock();
  const struct {
    unsigned psize_code, size;
  } cases[] = {{2, 1}, {2, 2}, {0, 4}, {1, 4}, {1, 1}, {0, 2}, {3, 4}};
  for (const auto& c : cases) {
    clear_sr();
    write_cr(psize(c.psize_code) | kPg);
    m_->debug_flash_store(kSector1 + 16, c.size, 0);
    EXPECT_EQ(sr(), kPgperr) << "psize " << c.psize_code << " store of " << c.size;
  }
  EXPECT_EQ(flash_word(*m_, kSector1 + 16), 0xFFFF'FFFFu);
}

TEST_F(Vstm32FlashControllerTest, DataCrossingA128BitRowRaisesPgaerr) {
  unlock();
  write_cr(psize(2) | kPg);
  m_->debug_flash_store(kSector1 + 14, 4, 0);  // bytes 14..17: two rows
  EXPECT_EQ(sr(), kPgaerr);
  EXPECT_EQ(flash_word(*m_, kSector1 + 12), 0xFFFF'FFFFu);
  EXPECT_EQ(flash_word(*m_, kSector1 + 16), 0xFFFF'FFFFu);
}

TEST_F(Vstm32FlashControllerTest, ErrieAddsOperrToAnError) {
  unlock();
  write_cr(psize(2) | kErrie);
  m_->debug_flash_store(kSector1, 4, 0);
  EXPECT_EQ(sr(), kPgserr | kOperr);
  ASSERT_TRUE(m_->debug_write32(kSr, kOperr | kPgserr));
  EXPECT_EQ(sr(), 0u);
}

TEST_F(Vstm32FlashControllerTest, WriteProtectedSectorRaisesWrperr) {
  m_->set_option_bytes(0xAA, 0x0FFF & ~(1u << 5));  // nWRP5 = 0: sector 5 protected
  const uint32_t before = flash_word(*m_, kSector5);
  m_->debug_flash_store(kSector5, 4, 0);  // locked: sequence error first
  clear_sr();
  unlock();
  write_cr(psize(2) | kPg);
  m_->debug_flash_store(kSector5, 4, 0);
  EXPECT_EQ(sr(), kWrperr);
  clear_sr();
  write_cr(psize(2) | kSer | snb(5));
  write_cr(psize(2) | kSer | snb(5) | kStrt);
  EXPECT_EQ(sr() & ~kBsy, kWrperr);
  EXPECT_EQ(flash_word(*m_, kSector5), before);
  clear_sr();
  // Mass erase is refused as a whole while any sector is protected.
  write_cr(psize(2) | kMer | kStrt);
  EXPECT_EQ(sr() & ~kBsy, kWrperr);
}

TEST_F(Vstm32FlashControllerTest, InvalidSectorNumberAndSerWithMerRaiseWrperr) {
  unlock();
  for (unsigned sector : {12u, 13u, 15u}) {
    clear_sr();
    write_cr(psize(2) | kSer | snb(sector) | kStrt);
    EXPECT_EQ(sr(), kWrperr) << "SNB " << sector;
  }
  clear_sr();
  const uint32_t kept = 0x0F0F'0F0F;
  write_cr(psize(2) | kPg);
  m_->debug_flash_store(kSector1, 4, kept);
  m_->run_for_ns(200'000);
  write_cr(psize(2) | kSer | kMer | snb(1) | kStrt);
  EXPECT_EQ(sr() & ~kBsy, kWrperr);
  EXPECT_EQ(flash_word(*m_, kSector1), kept);  // nothing erased
}

TEST_F(Vstm32FlashControllerTest, EopOnlyWithEopie) {
  unlock();
  write_cr(psize(2) | kPg);
  m_->debug_flash_store(kSector1, 4, 0x1234'5678);
  m_->run_for_ns(200'000);
  EXPECT_EQ(sr(), 0u);  // RM0090: EOP is set only when EOPIE = 1
  write_cr(psize(2) | kPg | kEopie);
  m_->debug_flash_store(kSector1 + 4, 4, 0x1234'5678);
  m_->run_for_ns(200'000);
  EXPECT_EQ(sr(), kEop);
  ASSERT_TRUE(m_->debug_write32(kSr, kEop));
  EXPECT_EQ(sr(), 0u);
}

TEST_F(Vstm32FlashControllerTest, ProgrammingOnlyClearsBits) {
  unlock();
  write_cr(psize(2) | kPg);
  m_->debug_flash_store(kSector1, 4, 0x1234'5678);
  m_->run_for_ns(200'000);
  EXPECT_EQ(flash_word(*m_, kSector1), 0x1234'5678u);
  // A second program of a programmed word: new = old AND data (docs/stm32-facts.md; AN3969 relies
  // on it), no error flag.
  m_->debug_flash_store(kSector1, 4, 0xFFFF'0F0F);
  m_->run_for_ns(200'000);
  EXPECT_EQ(flash_word(*m_, kSector1), 0x1234'0608u);
  m_->debug_flash_store(kSector1, 4, 0xFFFF'FFFF);  // cannot bring a 0 back to 1
  m_->run_for_ns(200'000);
  EXPECT_EQ(flash_word(*m_, kSector1), 0x1234'0608u);
  EXPECT_EQ(sr(), 0u);
  // Byte and half-word programming at x8 / x16 follow the same rule.
  write_cr(psize(0) | kPg);
  m_->debug_flash_store(kSector1 + 5, 1, 0xA5);
  m_->run_for_ns(200'000);
  write_cr(psize(1) | kPg);
  m_->debug_flash_store(kSector1 + 6, 2, 0x0FF0);
  m_->run_for_ns(200'000);
  EXPECT_EQ(flash_word(*m_, kSector1 + 4), 0x0FF0'A5FFu);
  EXPECT_EQ(sr(), 0u);
}

TEST_F(Vstm32FlashControllerTest, WordProgramKeepsBsyForItsDuration) {
  unlock();
  write_cr(psize(2) | kPg);
  m_->debug_flash_store(kSector1, 4, 0);
  EXPECT_EQ(sr() & kBsy, kBsy);
  // DS8626: word programming 16 us typical, 100 us max.
  const uint64_t ns = busy_for(1'000, 200'000);
  EXPECT_GE(ns, 16'000u);
  EXPECT_LE(ns, 100'000u);
}

TEST_F(Vstm32FlashControllerTest, EraseSetsTheWholeSectorAndNothingElse) {
  unlock();
  write_cr(psize(2) | kPg);
  for (uint32_t a : {kSector1 - 4, kSector1, kSector1 + 0x3FFC, kSector1 + 0x4000}) {
    m_->debug_flash_store(a, 4, 0x0000'0000);
    m_->run_for_ns(200'000);
  }
  write_cr(psize(2) | kSer | snb(1));
  write_cr(psize(2) | kSer | snb(1) | kStrt);
  EXPECT_EQ(sr() & kBsy, kBsy);
  ASSERT_NE(busy_for(1'000'000, 1'000'000'000), 0u);
  EXPECT_EQ(flash_word(*m_, kSector1 - 4), 0u);  // sector 0
  EXPECT_EQ(flash_word(*m_, kSector1), 0xFFFF'FFFFu);
  EXPECT_EQ(flash_word(*m_, kSector1 + 0x3FFC), 0xFFFF'FFFFu);
  EXPECT_EQ(flash_word(*m_, kSector1 + 0x4000), 0u);  // sector 2
  const auto events = m_->take_events();
  EXPECT_EQ(
      vstm32_test::events_with(events, vstm32::MachineEvent::Kind::kFlash, "flash erase sector=1")
          .size(),
      1u);
}

// A probe write that errors (wrong KEYR) is answered to the probe; the core, which made no
// access, must not enter HardFault.
TEST_F(Vstm32FlashControllerTest, ProbeKeyErrorDoesNotFaultTheCore) {
  ASSERT_TRUE(m_->debug_write32(kKeyr, kKey1));
  ASSERT_TRUE(m_->debug_write32(kKeyr, 0x1111'1111));
  m_->run_for_ns(100'000);
  EXPECT_TRUE(
      vstm32_test::events_with(m_->take_events(), vstm32::MachineEvent::Kind::kFault).empty());
  EXPECT_EQ(m_->reg(UC_ARM_REG_PC), vstm32_test::kIdleLoop);
}

// RM0090 3.7: option bytes through OPTKEYR/OPTCR; nWRP bits protect sectors against the CPU's
// programming and erasing.
TEST_F(Vstm32FlashControllerTest, OptionBytesProgrammedThroughOptcr) {
  constexpr uint32_t kOptkeyr = 0x4002'3C08;
  constexpr uint32_t kOptcr = 0x4002'3C14;
  const uint32_t reset_optcr = read32(*m_, kOptcr);
  EXPECT_EQ(reset_optcr, 0x0FFF'AAEDu);  // RM0090 reset value: OPTLOCK, nWRP all 1, RDP 0xAA
  EXPECT_EQ(read32(*m_, 0x1FFF'C008) & 0xFFFFu, 0x0FFFu);
  // Locked: writes are ignored.
  ASSERT_TRUE(m_->debug_write32(kOptcr, (reset_optcr & ~(1u << (16 + 1))) | 2u));
  EXPECT_EQ(read32(*m_, kOptcr), reset_optcr);
  ASSERT_TRUE(m_->debug_write32(kOptkeyr, 0x0819'2A3B));
  ASSERT_TRUE(m_->debug_write32(kOptkeyr, 0x4C5D'6E7F));
  EXPECT_EQ(read32(*m_, kOptcr) & 1u, 0u);  // OPTLOCK cleared
  // nWRP1 = 0, then OPTSTRT.
  const uint32_t value = (reset_optcr & ~1u & ~(1u << (16 + 1)));
  ASSERT_TRUE(m_->debug_write32(kOptcr, value));
  ASSERT_TRUE(m_->debug_write32(kOptcr, value | 2u));
  EXPECT_EQ((read32(*m_, kOptcr) >> 16) & 0xFFFu, 0xFFDu);
  EXPECT_EQ(read32(*m_, 0x1FFF'C008) & 0xFFFFu, 0x0FFDu);  // the option byte itself
  EXPECT_EQ(m_->nwrp_bits(), 0x0FFDu);
  unlock();
  write_cr(psize(2) | kPg);
  m_->debug_flash_store(kSector1, 4, 0);
  EXPECT_EQ(sr(), kWrperr);
  EXPECT_EQ(flash_word(*m_, kSector1), 0xFFFF'FFFFu);
  clear_sr();
  m_->debug_flash_store(kSector1 + 0x4000, 4, 0);  // sector 2 is not protected
  m_->run_for_ns(200'000);
  EXPECT_EQ(sr(), 0u);
  EXPECT_EQ(flash_word(*m_, kSector1 + 0x4000), 0u);
}

// RM0090 3.7.3: going from RDP level 1 back to level 0 mass-erases the flash (write-protected
// sectors included) before RDP changes; level 2 is final.
TEST_F(Vstm32FlashControllerTest, RdpLevel1To0MassErasesAndLevel2IsFinal) {
  constexpr uint32_t kOptkeyr = 0x4002'3C08;
  constexpr uint32_t kOptcr = 0x4002'3C14;
  m_->load_flash(0x4000, std::vector<uint8_t>(16, 0x12));  // sector 1
  m_->load_flash(0x2'0000, std::vector<uint8_t>(16, 0x34));
  m_->set_option_bytes(0x55, 0x0FF8);  // level 1, sectors 0-2 protected (as after provisioning)
  ASSERT_TRUE(m_->debug_write32(kOptkeyr, 0x0819'2A3B));
  ASSERT_TRUE(m_->debug_write32(kOptkeyr, 0x4C5D'6E7F));
  const uint32_t keep_wrp = (read32(*m_, kOptcr) & ~0xFF01u) | (0xAAu << 8);
  ASSERT_TRUE(m_->debug_write32(kOptcr, keep_wrp | 2u));
  EXPECT_EQ(m_->rdp_level_byte(), 0xAA);
  EXPECT_EQ(m_->nwrp_bits(), 0x0FF8u);
  EXPECT_EQ(flash_word(*m_, kSector1), 0xFFFF'FFFFu);
  EXPECT_EQ(flash_word(*m_, kSector5), 0xFFFF'FFFFu);
  EXPECT_FALSE(vstm32_test::events_with(m_->take_events(), vstm32::MachineEvent::Kind::kFlash,
                                        "RDP level 1 -> 0")
                   .empty());
  // Level 2: no further change.
  m_->set_option_bytes(0xCC, 0x0FFF);
  ASSERT_TRUE(m_->debug_write32(kOptcr, (read32(*m_, kOptcr) & ~0xFF01u) | (0xAAu << 8) | 2u));
  EXPECT_EQ(m_->rdp_level_byte(), 0xCC);
}

// Option bytes are non-volatile: a machine on the same flash file comes back with them (the
// protection `fota provision` sets survives vstm32 being restarted), and a damaged file is named.
TEST(Vstm32OptionBytesTest, PersistBesideTheFlashFile) {
  const vstm32_test::TempDir dir("vstm32_optbytes");
  vstm32::MachineConfig config;
  config.flash_file = dir / "flash.bin";
  {
    auto m = idle_machine(config);
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->nwrp_bits(), 0x0FFFu);
    m->set_option_bytes(0x55, 0x0FF8);
  }
  {
    auto m = idle_machine(config);
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->rdp_level_byte(), 0x55);
    EXPECT_EQ(m->nwrp_bits(), 0x0FF8u);
    EXPECT_EQ(read32(*m, 0x1FFF'C008) & 0xFFFFu, 0x0FF8u);
    // And the protection applies: sector 1 refuses the CPU's erase.
    ASSERT_TRUE(m->debug_write32(kKeyr, kKey1));
    ASSERT_TRUE(m->debug_write32(kKeyr, kKey2));
    ASSERT_TRUE(m->debug_write32(kCr, psize(2) | kSer | snb(1) | kStrt));
    EXPECT_EQ(read32(*m, kSr) & kWrperr, kWrperr);
  }
  {
    std::fstream f(dir / "flash.bin.opt", std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(3);
    f.put(0x00);  // the RDP complement no longer matches
  }
  auto refused = vstm32::Machine::create(config);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().find("flash.bin.opt"), std::string::npos) << refused.error();
}

// DS8626 table "Flash memory programming" (VDD 2.7-3.6 V): sector erase typical / max in ms.
struct EraseCase {
  unsigned sector;
  unsigned psize_code;
  uint64_t typical_ms, max_ms;
};

std::string erase_case_name(const ::testing::TestParamInfo<EraseCase>& info) {
  static const char* const kWidth[] = {"x8", "x16", "x32", "x64"};
  return "sector" + std::to_string(info.param.sector) + "_" + kWidth[info.param.psize_code];
}

class Vstm32EraseTimingTest : public Vstm32FlashControllerTest,
                              public ::testing::WithParamInterface<EraseCase> {};

TEST_P(Vstm32EraseTimingTest, BusyTimeWithinDatasheetRange) {
  const EraseCase c = GetParam();
  sleep_core();
  unlock();
  write_cr(psize(c.psize_code) | kSer | snb(c.sector));
  write_cr(psize(c.psize_code) | kSer | snb(c.sector) | kStrt);
  EXPECT_EQ(sr() & kBsy, kBsy);
  const uint64_t ns = busy_for(1'000'000, 2 * c.max_ms * 1'000'000);
  ASSERT_NE(ns, 0u) << "BSY never cleared";
  EXPECT_GE(ns, c.typical_ms * 1'000'000) << "faster than the datasheet's typical time";
  EXPECT_LE(ns, c.max_ms * 1'000'000) << "slower than the datasheet's maximum";
  EXPECT_EQ(sr() & ~kBsy, 0u);
  const uint64_t model_ns = vstm32::sector_erase_typical_ns(c.sector, c.psize_code);
  EXPECT_GE(model_ns, c.typical_ms * 1'000'000);
  EXPECT_LE(vstm32::sector_erase_max_ns(c.sector, c.psize_code), c.max_ms * 1'000'000);
}

INSTANTIATE_TEST_SUITE_P(Ds8626, Vstm32EraseTimingTest,
                         ::testing::Values(EraseCase{1, 0, 400, 800}, EraseCase{1, 1, 300, 600},
                                           EraseCase{1, 2, 250, 500}, EraseCase{4, 0, 1200, 2400},
                                           EraseCase{4, 1, 700, 1400}, EraseCase{4, 2, 550, 1100},
                                           EraseCase{5, 0, 2000, 4000}, EraseCase{5, 1, 1300, 2600},
                                           EraseCase{11, 2, 1000, 2000}),
                         erase_case_name);

// DS8626 mass erase (MER): typical 16 / 11 / 8 s, max 32 / 22 / 16 s at x8 / x16 / x32. Every
// sector is erased. The core sleeps in WFI meanwhile (so the seconds pass without executing).
struct MassEraseCase {
  unsigned psize_code;
  uint64_t typical_ms, max_ms;
};

class Vstm32MassEraseTest : public Vstm32FlashControllerTest,
                            public ::testing::WithParamInterface<MassEraseCase> {};

TEST_P(Vstm32MassEraseTest, ErasesEverySectorWithinDatasheetTime) {
  const MassEraseCase c = GetParam();
  sleep_core();
  unlock();
  write_cr(psize(2) | kPg);
  for (uint32_t a : {kSector1, kSector5, 0x080E'0000u, 0x080F'FFFCu}) {
    m_->debug_flash_store(a, 4, 0);
    m_->run_for_ns(200'000);
  }
  write_cr(psize(c.psize_code) | kMer);
  write_cr(psize(c.psize_code) | kMer | kStrt);
  EXPECT_EQ(sr() & kBsy, kBsy);
  const uint64_t ns = busy_for(10'000'000, 2 * c.max_ms * 1'000'000);
  ASSERT_NE(ns, 0u) << "BSY never cleared";
  EXPECT_GE(ns, c.typical_ms * 1'000'000);
  EXPECT_LE(ns, c.max_ms * 1'000'000);
  EXPECT_EQ(sr() & ~kBsy, 0u);
  const auto flash = m_->flash();
  EXPECT_TRUE(std::all_of(flash.begin(), flash.end(), [](uint8_t b) { return b == 0xFF; }));
  EXPECT_EQ(vstm32_test::events_with(m_->take_events(), vstm32::MachineEvent::Kind::kFlash,
                                     "flash mass-erase")
                .size(),
            1u);
}

std::string mass_erase_name(const ::testing::TestParamInfo<MassEraseCase>& info) {
  static const char* const kWidth[] = {"x8", "x16", "x32"};
  return kWidth[info.param.psize_code];
}

INSTANTIATE_TEST_SUITE_P(Ds8626, Vstm32MassEraseTest,
                         ::testing::Values(MassEraseCase{0, 16'000, 32'000},
                                           MassEraseCase{1, 11'000, 22'000},
                                           MassEraseCase{2, 8'000, 16'000}),
                         mass_erase_name);

}  // namespace
