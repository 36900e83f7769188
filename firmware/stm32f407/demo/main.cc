// SPDX-License-Identifier: Apache-2.0
// The demo application (built for both slots by fota_add_application). Prints its banner, blinks,
// runs a self-test, confirms itself, then blinks forever kicking the watchdog. Test variants
// (compile definitions): FOTA_DEMO_NO_CONFIRM never confirms, FOTA_DEMO_HARDFAULT faults at start,
// FOTA_DEMO_HANG stops kicking the watchdog at start.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "bootcore/image_check.h"
#include "fota_app/app.h"
#include "fota_app/console.h"
#include "stm32f407/clock.h"
#include "stm32f407/crc_unit.h"
#include "stm32f407/flash_controller.h"
#include "stm32f407/leds.h"

#ifndef FOTA_DEMO_NO_CONFIRM
#define FOTA_DEMO_NO_CONFIRM 0
#endif
#ifndef FOTA_DEMO_HARDFAULT
#define FOTA_DEMO_HARDFAULT 0
#endif
#ifndef FOTA_DEMO_HANG
#define FOTA_DEMO_HANG 0
#endif

namespace {

using namespace fota;
using stm32::Led;

constexpr uint32_t kSysclkHz = stm32::kHsiHz;  // we keep the reset clock

void wait_ms(uint32_t ms) {
  // Kick at least every 100 ms: far inside any watchdog period the bootloader arms.
  for (; ms > 100; ms -= 100) {
    stm32::delay_us(100'000, kSysclkHz);
    app::kick_watchdog();
  }
  stm32::delay_us(ms * 1000, kSysclkHz);
  app::kick_watchdog();
}

uint32_t g_ram_pattern[64];

// What "works" means for the demo: our header is intact and says the version we were built as,
// our payload matches its CRC-32 (through the CRC unit), and RAM holds a pattern.
const char* self_test(const app::BootInfo& info) {
  if (!info.header_valid) return "own image header invalid";
  if (info.version.major != FOTA_APP_VERSION_MAJOR ||
      info.version.minor != FOTA_APP_VERSION_MINOR ||
      info.version.patch != FOTA_APP_VERSION_PATCH) {
    return "header version differs from the built version";
  }
  stm32::FlashController flash;
  const bootcore::SlotHeader h = bootcore::read_slot_header(flash, info.slot);
  stm32::CrcUnitEngine crc;
  const bootcore::ImageVerdict v =
      bootcore::check_slot_payload(flash, info.slot, h.header, crc, false);
  crc.release();
  if (!v.ok()) return "payload CRC-32 mismatch";
  for (uint32_t i = 0; i < 64; ++i) g_ram_pattern[i] = 0xA5A5'0000u ^ (i * 0x0101'0101u);
  for (uint32_t i = 0; i < 64; ++i) {
    if (g_ram_pattern[i] != (0xA5A5'0000u ^ (i * 0x0101'0101u))) return "RAM pattern";
  }
  return nullptr;
}

}  // namespace

// Kept as the symbol `main` (not inlined into the startup code or cloned as main.isra.0 by LTO):
// `break main` in a debugger (vstm32 run --gdb) finds it.
__attribute__((externally_visible, noinline)) int main() {
  app::Console con;
  const flash_map::Slot slot = app::running_slot();
  con.print("demo ")
      .print(FOTA_APP_VERSION)
      .print(" slot ")
      .print(flash_map::slot_name(slot))
      .endl();
  stm32::leds_init();

  if (FOTA_DEMO_HARDFAULT) {
    con.println("hardfault: executing an undefined instruction (test variant)");
    con.flush();
    stm32::led_set(Led::kRed, true);
    asm volatile("udf #0");  // HardFault -> default handler spins -> IWDG reset
  }
  if (FOTA_DEMO_HANG) {
    con.println("hang: spinning without kicking the watchdog (test variant)");
    con.flush();
    stm32::led_set(Led::kRed, true);
    for (;;) {
    }
  }

  const app::BootInfo info = app::boot_info();
  con.print("info: state=").print(bootcore::to_string(info.state));
  con.print(" attempt=").print_uint(info.attempt).print('/').print_uint(info.max_attempts);
  con.print(" reset=").print(stm32::to_string(info.reset_cause));
  con.print(" watchdog_ms=").print_uint(info.watchdog_period_ms).endl();

  stm32::led_set(Led::kOrange, true);  // self-test running
  for (int i = 0; i < 3; ++i) {
    stm32::led_toggle(Led::kGreen);
    wait_ms(100);
    stm32::led_toggle(Led::kGreen);
    wait_ms(100);
  }
  const char* failure = self_test(info);
  stm32::led_set(Led::kOrange, false);
  if (failure != nullptr) {
    con.print("self-test failed: ").println(failure);
  } else {
    con.println("self-test ok");
    if (FOTA_DEMO_NO_CONFIRM) {
      con.println("not confirming (test variant)");
    } else {
      const bootcore::ConfirmStatus st = app::confirm();
      if (st == bootcore::ConfirmStatus::kConfirmed ||
          st == bootcore::ConfirmStatus::kAlreadyConfirmed) {
        con.println("confirmed");
      } else {
        con.print("confirm failed: ").println(bootcore::to_string(st));
      }
    }
  }

  // Console command "update" (then CR or LF): restart into the bootloader's update mode.
  con.println("commands: update");
  const Led blink = FOTA_DEMO_NO_CONFIRM ? Led::kOrange : Led::kGreen;
  char command[16];
  size_t length = 0;
  for (;;) {
    stm32::led_toggle(blink);
    for (uint32_t t = 0; t < 500 * 20; ++t) {  // 500 ms in 50 us steps, polling USART1 RX
      stm32::delay_us(50, kSysclkHz);
      uint8_t c = 0;
      if (!con.uart().try_read(c)) continue;
      if (c == '\r' || c == '\n') {
        if (std::string_view(command, length) == "update") {
          con.println("entering update mode");
          con.flush();
          app::request_update_mode();
        }
        length = 0;
      } else if (length < sizeof(command)) {
        command[length++] = static_cast<char>(c);
      }
    }
    app::kick_watchdog();
  }
}
