// SPDX-License-Identifier: Apache-2.0
// Cold boot of a confirmed 384 KB image to the application's first instruction, in simulated
// time, with the real bootloader binary on vstm32::Machine (docs/vstm32.md "Time": one
// instruction per HCLK cycle at the clock the firmware programs, DS8626 typical program/erase
// times, UART frames at the configured baud rate). Also: the first boot of a new image (SHA-256 +
// attempt record), the cost of the status line (115200 baud wire time), the bootloader's size and
// its peak stack use (RAM painted through the probe before the first instruction).
//
//   build/<dir>/bench/boot/cold_boot_bench            all figures
//   build/<dir>/bench/boot/cold_boot_bench --short    the confirmed cold boot only (ctest smoke)
#include <cstdio>
#include <cstring>
#include <string>

#include "device.h"
#include "flash_layout.h"
#include "format/flash_map.h"

namespace {

using fota::boot_test::FlashLayout;
using fota::flash_map::Slot;

constexpr uint32_t kStackTop = 0x2001'FFC0;  // the hand-over block is above the stack
constexpr uint32_t kStackReserved = 4096;
constexpr uint64_t kLimitNs = 2'000'000'000;  // the smoke test fails beyond 2 s

using Figure = fota::boot_test::BootToApplication;

Figure measure(const std::string& bootloader, bool confirmed) {
  FlashLayout layout;
  layout.put_bootloader(bootloader + ".bin");
  const std::vector<uint8_t> payload = fota::boot_test::full_slot_payload("demo-v1-A.bin");
  layout.put_image(Slot::kA, fota::boot_test::make_image(payload, Slot::kA, {1, 0, 0, 0}));
  const bool logged = confirmed ? layout.append_confirmed(Slot::kA) : layout.append_trial(Slot::kA);
  if (!logged) {
    std::fprintf(stderr, "could not append the log record\n");
    return {};
  }
  return fota::boot_test::boot_to_application(layout, fota::boot_test::reset_handler_of(payload),
                                              kStackTop, kStackReserved, kLimitNs);
}

void print(const char* what, const Figure& f) {
  if (!f.reached) {
    std::printf("%-56s NOT REACHED within 2 s\n", what);
    return;
  }
  std::printf("%-56s %9.3f ms  (%llu instructions, stack peak %u B)\n", what, f.ms,
              static_cast<unsigned long long>(f.instructions), f.stack_bytes);
}

}  // namespace

int main(int argc, char** argv) {
  const bool short_mode = argc > 1 && std::strcmp(argv[1], "--short") == 0;
  std::printf(
      "cold boot to the application's first instruction, 384 KB image, vstm32::Machine "
      "(simulated time)\n");
  const Figure quiet = measure("bootloader-quiet", true);
  print("confirmed image, CRC unit, no status line", quiet);
  bool all_reached = quiet.reached;
  if (!short_mode) {
    const Figure line = measure("bootloader", true);
    print("confirmed image, CRC unit, status line at 115200 baud", line);
    const Figure first = measure("bootloader-quiet", false);
    print("new image, first boot (CRC + SHA-256, attempt record)", first);
    all_reached = all_reached && line.reached && first.reached;
    if (quiet.reached && line.reached) {
      std::printf("status line costs %.3f ms\n", line.ms - quiet.ms);
    }
    for (const char* name : {"bootloader", "bootloader-quiet"}) {
      std::printf("%s.bin: %zu B of the 32768 B budget (sectors 0-1)\n", name,
                  fota::boot_test::read_artifact(std::string(name) + ".bin").size());
    }
  }
  std::printf("goal <= 5 ms for a confirmed image: %s\n",
              quiet.reached && quiet.ms <= 5.0 ? "met" : "NOT met");
  return all_reached ? 0 : 1;
}
