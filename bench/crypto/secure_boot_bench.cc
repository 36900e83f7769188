// SPDX-License-Identifier: Apache-2.0
// Secure boot figures in simulated time on vstm32::Machine (one instruction per HCLK cycle at the
// clock the firmware programs, docs/vstm32.md "Time"; a real Cortex-M4 with flash wait states
// takes somewhat more cycles):
//  - ed25519 verification and SHA-512 of 1 KB at 168 MHz
//  (firmware/stm32f407/bench/ed25519_bench.cc,
//    timed by SysTick on the target);
//  - the secure bootloader's first boot of a new signed 384 KB image, reset to the application's
//    first instruction (CRC-32 + SHA-256 + signature + attempt record), and its confirmed cold
//    boot;
//  - the bootloader sizes.
// Exit status 1 when a figure is missing or verification misses the 100 ms goal.
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "device.h"
#include "flash_layout.h"
#include "signing.h"
#include "vstm32/machine.h"

namespace {

using fota::boot_test::FlashLayout;
using fota::flash_map::Slot;

constexpr double kGoalVerifyMs = 100.0;
constexpr uint64_t kLimitNs = 3'000'000'000;
constexpr uint32_t kStackTop = 0x2001'FFC0;  // the hand-over block is above the stack
constexpr uint32_t kStackReserved = 8192;    // bootloader.ld's _fota_stack_size

bool parse_after(const std::string& text, const std::string& key, unsigned long& value) {
  const size_t at = text.find(key);
  if (at == std::string::npos) return false;
  value = std::strtoul(text.c_str() + at + key.size(), nullptr, 10);
  return true;
}

fota::boot_test::BootToApplication boot_to_app(bool confirmed) {
  FlashLayout layout;
  layout.put_bootloader("bootloader-secure.bin");
  const fota::boot_test::TestKey key(0x11);
  fota::boot_test::put_key_block(layout, {&key});
  const std::vector<uint8_t> payload = fota::boot_test::full_slot_payload("demo-v1-A.bin");
  std::vector<uint8_t> image = fota::boot_test::make_image(payload, Slot::kA, {1, 0, 0, 0});
  fota::boot_test::sign_image(image, key);
  layout.put_image(Slot::kA, image);
  if (!(confirmed ? layout.append_confirmed(Slot::kA) : layout.append_trial(Slot::kA))) return {};
  return fota::boot_test::boot_to_application(layout, fota::boot_test::reset_handler_of(payload),
                                              kStackTop, kStackReserved, kLimitNs);
}

}  // namespace

int main() {
  bool ok = true;
  // 1. Verification cycles, measured by the target itself.
  {
    FlashLayout layout;
    layout.put_bootloader("ed25519-bench.bin");
    auto created = vstm32::Machine::create({});
    if (!created) {
      std::fprintf(stderr, "vstm32: %s\n", created.error().c_str());
      return 1;
    }
    const std::unique_ptr<vstm32::Machine> m = std::move(created).value();
    m->load_flash(vstm32::kFlashBase, layout.bytes());
    m->power_on();
    const bool done = m->run_until([&] { return m->uart_text().find("done") != std::string::npos; },
                                   kLimitNs, 1'000'000);
    const std::string& text = m->uart_text();
    unsigned long verify_cycles = 0, sha_cycles = 0;
    const bool verified = text.find("verify=ok") != std::string::npos;
    if (!done || !verified || !parse_after(text, "verify=ok cycles=", verify_cycles) ||
        !parse_after(text, "sha512-1k cycles=", sha_cycles)) {
      std::printf("ed25519-bench did not report (USART1: %s)\n", text.c_str());
      return 1;
    }
    const double verify_ms = static_cast<double>(verify_cycles) / 168e3;
    std::printf(
        "ed25519 verify (RFC 8032 TEST SHA(abc), 64-byte message): %lu cycles = %.2f ms "
        "at 168 MHz (goal <= %.0f ms: %s)\n",
        verify_cycles, verify_ms, kGoalVerifyMs, verify_ms <= kGoalVerifyMs ? "met" : "NOT met");
    std::printf("SHA-512 of 1 KB: %lu cycles = %.3f ms at 168 MHz\n", sha_cycles,
                static_cast<double>(sha_cycles) / 168e3);
    ok = ok && verify_ms <= kGoalVerifyMs;
  }
  // 2. Boots with the secure bootloader.
  const auto first = boot_to_app(false);
  const auto confirmed = boot_to_app(true);
  if (first.reached) {
    std::printf(
        "bootloader-secure, new signed 384 KB image, first boot to the application: "
        "%.3f ms, stack peak %u B of %u\n",
        first.ms, first.stack_bytes, kStackReserved);
  } else {
    std::printf("bootloader-secure first boot: NOT REACHED\n");
  }
  if (confirmed.reached) {
    std::printf("bootloader-secure, confirmed 384 KB image, cold boot (status line on): %.3f ms\n",
                confirmed.ms);
  } else {
    std::printf("bootloader-secure confirmed boot: NOT REACHED\n");
  }
  ok = ok && first.reached && confirmed.reached;
  // 3. Sizes.
  for (const char* name : {"bootloader", "bootloader-secure", "ed25519-bench"}) {
    std::printf("%s.bin: %zu B (bootloader budget: 32768 B, sectors 0-1)\n", name,
                fota::boot_test::read_artifact(std::string(name) + ".bin").size());
  }
  return ok ? 0 : 1;
}
