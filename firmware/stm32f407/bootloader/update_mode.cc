// SPDX-License-Identifier: Apache-2.0
#include "update_mode.h"

#include <cstring>

#include "bootcore/meta_log.h"
#include "bootcore/trust.h"
#include "format/flash_map.h"
#include "i2c_pump.h"
#include "i2c_slave.h"
#include "native/device.h"
#include "native/i2c.h"
#include "ram_pump.h"
#include "stm32f407/backup.h"
#include "stm32f407/flash_controller.h"
#include "stm32f407/iwdg.h"
#include "stm32f407/leds.h"
#include "stm32f407/regs.h"
#include "stm32f407/usart.h"

#ifndef FOTA_BOOT_SYNC_WINDOW_US
#define FOTA_BOOT_SYNC_WINDOW_US 500
#endif
#ifndef FOTA_BOOT_SILENCE_MS
#define FOTA_BOOT_SILENCE_MS 10000
#endif
#ifndef FOTA_BOOT_PRODUCT
#define FOTA_BOOT_PRODUCT ""
#endif
#ifndef FOTA_BOOTLOADER_VERSION
#define FOTA_BOOTLOADER_VERSION 0
#endif
#ifndef FOTA_BOOT_SECURE
#define FOTA_BOOT_SECURE 0
#endif

namespace fota::boot {

namespace {

using bootcore::FlashStatus;
using stm32::Led;
using stm32::reg;
namespace fc = stm32::flash_ctrl;

// The receive ring: most of SRAM. In .noinit: not zeroed at startup (the cold boot stays fast).
// Page-aligned, away from the SRAM code at the start of .data (an emulator then never sees code
// and often-written data in one page).
constexpr uint32_t kRingBytes = 96 * 1024;
struct UpdateRam {
  alignas(4096) uint8_t ring_mem[kRingBytes];
  native::RxRing ring;
  PumpState pump;
};
__attribute__((section(".noinit"))) UpdateRam g_ram;
native::RxRing& g_ring = g_ram.ring;
PumpState& g_pump = g_ram.pump;

constexpr uint32_t kNvicIser0 = 0xE000'E100;
constexpr uint32_t kI2cDrainMs = 500;
constexpr uint32_t kI2cBusyWaitMs = 20;

class TargetPort final : public native::DevicePort {
 public:
  TargetPort(stm32::Usart1& uart, uint32_t pclk2_hz) : uart_(uart), pclk2_hz_(pclk2_hz) {}

  void send(std::span<const uint8_t> bytes) override {
    for (uint8_t b : bytes) {
      while (g_pump.tx_head - g_pump.tx_tail >= sizeof(g_pump.tx)) ram_pump(&g_pump);
      g_pump.tx[g_pump.tx_head % sizeof(g_pump.tx)] = b;
      g_pump.tx_head = g_pump.tx_head + 1;
    }
    ram_pump(&g_pump);
  }
  uint32_t now_ms() override {
    ram_pump(&g_pump);
    return g_pump.ms;
  }
  void set_baud(uint32_t baud) override {
    drain();
    uart_.set_baud(pclk2_hz_, baud);
  }
  FlashStatus erase_sector(unsigned sector) override {
    if (sector >= flash_map::kSectorCount) return FlashStatus::kOutOfRange;
    (void)stm32::unlock_flash_cr();
    reg(fc::kSr) = fc::kSrErrors;
    const uint32_t sr = ram_flash_op(
        &g_pump, fc::kCrPsizeX32 | fc::kCrSer | (sector << fc::kCrSnbShift) | fc::kCrEopie, 0, 0);
    stm32::flush_flash_data_cache();
    if ((sr & fc::kSrErrors) != 0) {
      reg(fc::kSr) = fc::kSrErrors;
      return FlashStatus::kEraseError;
    }
    const auto& s = flash_map::kSectors[sector];
    const volatile uint32_t* p = reinterpret_cast<const volatile uint32_t*>(s.address);
    for (uint32_t i = 0; i < s.size / 4; ++i) {
      if ((i & 63u) == 0) ram_pump(&g_pump);
      if (p[i] != flash_map::kErasedWord) return FlashStatus::kEraseError;
    }
    return FlashStatus::kOk;
  }
  FlashStatus program_word(uint32_t address, uint32_t word) override {
    if (address % 4 != 0 || address < flash_map::kFlashBase || address >= flash_map::kFlashEnd) {
      return FlashStatus::kOutOfRange;
    }
    volatile uint32_t& cell = reg(address);
    const uint32_t expected = cell & word;
    (void)stm32::unlock_flash_cr();
    const uint32_t sr =
        ram_flash_op(&g_pump, fc::kCrPsizeX32 | fc::kCrPg | fc::kCrEopie, address, word);
    if ((sr & fc::kSrErrors) != 0) {
      reg(fc::kSr) = fc::kSrErrors;
      return FlashStatus::kProgramError;
    }
    return cell == expected ? FlashStatus::kOk : FlashStatus::kProgramError;
  }
  void pump() override { ram_pump(&g_pump); }
  void busy(bool begins) override {
    if (!begins) {
      reg(i2c1::kCr1) = reg(i2c1::kCr1) | i2c1::kCr1Ack;
      return;
    }
    // No new transfer from now on; one in progress is served to its end first (bounded).
    reg(i2c1::kCr1) = reg(i2c1::kCr1) & ~i2c1::kCr1Ack;
    const uint32_t start_ms = g_pump.ms;
    do {
      ram_pump(&g_pump);
    } while ((reg(i2c1::kSr2) & i2c1::kSr2Busy) != 0 && g_pump.ms - start_ms < kI2cBusyWaitMs);
  }

  void drain() {
    // Over I2C the host has to come and read: bounded, a host that went away does not hold us.
    const uint32_t start_ms = g_pump.ms;
    while (g_pump.tx_tail != g_pump.tx_head) {
      ram_pump(&g_pump);
      if (g_pump.link != kLinkUart && g_pump.ms - start_ms > kI2cDrainMs) break;
    }
    // The last byte taken is still on the bus until the host's read ends.
    while ((reg(i2c1::kSr2) & i2c1::kSr2Busy) != 0 && g_pump.ms - start_ms <= kI2cDrainMs) {
      ram_pump(&g_pump);
    }
    uart_.flush();
  }

 private:
  stm32::Usart1& uart_;
  uint32_t pclk2_hz_;
};

void show_leds(native::EntryReason reason, uint32_t ms, bool begun, int no_image_flashes) {
  if (reason == native::EntryReason::kNoImage && !begun) {
    // The "no image" pattern: `no_image_flashes` red flashes every second (100 on, 150 off; two
    // when nothing is installed, three when secure boot refused an image), blue off.
    const uint32_t t = ms % 1000;
    const bool in_flash = t < static_cast<uint32_t>(no_image_flashes) * 250 && (t % 250) < 100;
    stm32::led_set(Led::kRed, in_flash);
    stm32::led_set(Led::kBlue, false);
    return;
  }
  // Update mode: blue on, orange blinking (4 Hz idle, 10 Hz while an image comes in).
  stm32::led_set(Led::kRed, false);
  stm32::led_set(Led::kBlue, true);
  stm32::led_set(Led::kOrange, ((ms / (begun ? 50 : 125)) & 1u) != 0);
}

#if FOTA_BOOT_SECURE
// At END, before the header is programmed: the image must be signed by a key of the provisioned
// key block, as the boot decision will demand, so a wrongly signed image is refused while the
// host is still there to hear why (kSignatureInvalid) and the slot never holds a header.
native::Status verify_signature(std::span<const uint8_t> header_bytes, const ImageHeader& header,
                                std::span<const uint8_t> /*payload*/) {
  stm32::FlashController flash;
  const auto keys = bootcore::read_key_block(flash);
  if (!keys.ok()) return native::Status::kSignatureInvalid;
  return bootcore::check_header_signature(header_bytes, header, keys.value()) ==
                 bootcore::TrustStatus::kOk
             ? native::Status::kOk
             : native::Status::kSignatureInvalid;
}
#endif

[[noreturn]] void system_reset() {
  stm32::dsb();
  reg(stm32::scb::kAircr) = stm32::scb::kAircrSysResetReq;
  stm32::dsb();
  for (;;) {
  }
}

}  // namespace

void enter_update_mode_if_asked(uint32_t reset_flags, const stm32::ClockInfo& clock) {
  if (stm32::take_update_request()) run_update_mode(native::EntryReason::kAppRequest, clock);
  constexpr uint32_t kOtherCauses = stm32::rcc::kCsrPorrstf | stm32::rcc::kCsrBorrstf |
                                    stm32::rcc::kCsrSftrstf | stm32::rcc::kCsrIwdgrstf |
                                    stm32::rcc::kCsrWwdgrstf | stm32::rcc::kCsrLpwrrstf;
  if ((reset_flags & stm32::rcc::kCsrPinrstf) == 0 || (reset_flags & kOtherCauses) != 0) return;
  // Pin reset: listen for the sync (A5 5A) for a short window.
  if (FOTA_BOOT_SYNC_WINDOW_US == 0) return;
  stm32::Usart1 uart;
  uart.init(clock.pclk2_hz, native::kDefaultBaud);
  const uint32_t ticks = clock.sysclk_hz / 1'000'000 * FOTA_BOOT_SYNC_WINDOW_US;
  reg(stm32::systick::kLoad) = ticks - 1;
  reg(stm32::systick::kVal) = 0;
  reg(stm32::systick::kCtrl) = stm32::systick::kCtrlClkHclk | stm32::systick::kCtrlEnable;
  i2c_slave_init();  // the sync may also come as an I2C write (native/i2c.h)
  bool seen_sync0 = false;
  bool i2c_seen_sync0 = false;
  bool synced = false;
  while ((reg(stm32::systick::kCtrl) & stm32::systick::kCtrlCountflag) == 0 && !synced) {
    uint8_t b = 0;
    if (uart.try_read(b)) {
      synced = seen_sync0 && b == native::kSync1;
      seen_sync0 = b == native::kSync0;
    }
    const uint32_t sr1 = reg(i2c1::kSr1);
    if ((sr1 & i2c1::kSr1Addr) != 0) {
      const uint32_t sr2 = reg(i2c1::kSr2);  // SR1 then SR2 clears ADDR
      (void)sr2;
    }
    if ((sr1 & i2c1::kSr1Rxne) != 0) {
      b = static_cast<uint8_t>(reg(i2c1::kDr));
      synced = synced || (i2c_seen_sync0 && b == native::kSync1);
      i2c_seen_sync0 = b == native::kSync0;
    }
  }
  reg(stm32::systick::kCtrl) = 0;
  reg(stm32::systick::kVal) = 0;
  if (synced) run_update_mode(native::EntryReason::kPinSync, clock);
  i2c_slave_release();
  uart.release();
}

void run_update_mode(native::EntryReason reason, const stm32::ClockInfo& clock,
                     int no_image_flashes) {
  asm volatile("cpsid i" ::: "memory");  // wake-ups without handlers
  stm32::leds_init();
  stm32::Usart1 uart;
  uart.init(clock.pclk2_hz, native::kDefaultBaud);
  reg(stm32::usart1::kCr1) = reg(stm32::usart1::kCr1) | stm32::usart1::kCr1Rxneie;
  reg(kNvicIser0) = 1u << 4;              // FLASH (EOP): pending wakes WFI
  reg(kNvicIser0 + 4) = 1u << (37 - 32);  // USART1
  i2c_slave_init();                       // the second link: I2C1 slave (native/i2c.h)
  i2c_slave_enable_wakeups();
  reg(stm32::systick::kLoad) = clock.sysclk_hz / 1000 - 1;
  reg(stm32::systick::kVal) = 0;
  reg(stm32::systick::kCtrl) =
      stm32::systick::kCtrlClkHclk | stm32::systick::kCtrlTickint | stm32::systick::kCtrlEnable;

  g_ring = native::RxRing{};
  g_ring.data = g_ram.ring_mem;
  g_ring.size = kRingBytes;
  g_pump.ring = &g_ring;
  g_pump.tx_head = 0;
  g_pump.tx_tail = 0;
  g_pump.ms = 0;
  g_pump.link = kLinkUart;
  g_pump.i2c_left = 0;

  stm32::FlashController flash;
  bootcore::MetaLog log(flash);
  (void)log.load();
  native::DeviceConfig config;
  config.reason = reason;
  config.bootloader_version = FOTA_BOOTLOADER_VERSION;
  std::memcpy(config.uid.data(), reinterpret_cast<const void*>(flash_map::kUniqueIdAddress), 12);
  config.product = FOTA_BOOT_PRODUCT;
  config.silence_timeout_ms = reason == native::EntryReason::kNoImage ? 0 : FOTA_BOOT_SILENCE_MS;
#if FOTA_BOOT_SECURE
  config.verifier = verify_signature;
#endif
  TargetPort port(uart, clock.pclk2_hz);
  native::DeviceSession session(port, flash, log, g_ring, config);
  for (;;) {
    const native::DeviceAction action = session.poll();
    if (action != native::DeviceAction::kContinue) {
      port.drain();
      system_reset();
    }
    show_leds(reason, g_pump.ms, session.begun(), no_image_flashes);
    stm32::iwdg_kick();  // in case the option bytes start the IWDG in hardware
    if (session.idle() && (g_pump.tx_tail == g_pump.tx_head || g_pump.link != kLinkUart) &&
        (reg(stm32::usart1::kSr) & (stm32::usart1::kSrRxne | stm32::usart1::kSrOre)) == 0 &&
        (reg(i2c1::kSr1) & i2c1::kSr1Work) == 0) {
      asm volatile("wfi" ::: "memory");
    }
  }
}

}  // namespace fota::boot
