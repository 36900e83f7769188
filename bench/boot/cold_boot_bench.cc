// Cold boot of a confirmed 384 KB image to the application's first instruction, in simulated
// time, with the real bootloader binary on the virtual STM32F407 (tests/bootloader/mini_target.h:
// CPI 1 at the SYSCLK the firmware programs, 16 us per programmed word, typical erase times).
// Also: the first boot of a new image (SHA-256 + attempt record), the bootloader with its status
// line (115200 baud wire time), and the bootloader's peak stack use (RAM painted before boot).
//
//   build/<dir>/bench/boot/cold_boot_bench
#include <cstdio>
#include <cstring>
#include <random>
#include <string>

#include "flash_layout.h"
#include "format/flash_map.h"
#include "mini_target.h"

namespace {

using fota::boot_test::FlashLayout;
using fota::boot_test::MiniTarget;
using fota::flash_map::Slot;

constexpr uint32_t kPaint = 0xDEAD'BEEF;

struct Figure {
  bool reached = false;
  double ms = 0;
  uint64_t instructions = 0;
  uint32_t stack_bytes = 0;
};

Figure measure(const std::string& bootloader, bool confirmed) {
  FlashLayout layout;
  layout.put_bootloader(bootloader + ".bin");
  // The demo padded to a full slot (384 KB - 512 B header): every byte is checked.
  std::vector<uint8_t> payload = fota::boot_test::read_artifact("demo-v1-A.bin");
  std::mt19937 rng(1);
  while (payload.size() < fota::flash_map::kMaxPayloadSize)
    payload.push_back(static_cast<uint8_t>(rng()));
  layout.put_image(Slot::kA, fota::boot_test::make_image(payload, Slot::kA, {1, 0, 0, 0}));
  if (confirmed) {
    (void)layout.append_confirmed(Slot::kA);
  } else {
    (void)layout.append_trial(Slot::kA);
  }
  uint32_t reset_handler = 0;
  std::memcpy(&reset_handler, &payload[4], 4);

  MiniTarget target(layout.bytes());
  target.set_slice(50);  // first-instruction time resolution: 50 instructions
  target.watch_address(reset_handler);
  target.power_on();
  // Paint the bootloader's stack (below the hand-over block) to find its peak use.
  auto& ram = target.ram();
  const uint32_t stack_top = 0x2001'FFC0 - 0x2000'0000;
  for (uint32_t a = stack_top - 4096; a < stack_top; a += 4) std::memcpy(&ram[a], &kPaint, 4);
  while (target.watch_hit_ms() < 0 && target.now_ms() < 2'000) target.step(50);
  Figure f;
  f.reached = target.watch_hit_ms() >= 0;
  f.ms = target.watch_hit_ms();
  f.instructions = target.instructions();
  for (uint32_t a = stack_top - 4096; a < stack_top; a += 4) {
    uint32_t w;
    std::memcpy(&w, &ram[a], 4);
    if (w != kPaint) {
      f.stack_bytes = stack_top - a;
      break;
    }
  }
  return f;
}

void print(const char* what, const Figure& f) {
  if (!f.reached) {
    std::printf("%-58s NOT REACHED within 2 s\n", what);
    return;
  }
  std::printf("%-58s %8.3f ms  (%llu instructions, bootloader stack peak %u B)\n", what, f.ms,
              static_cast<unsigned long long>(f.instructions), f.stack_bytes);
}

}  // namespace

int main() {
  std::printf("cold boot to the application's first instruction, 384 KB image (simulated time)\n");
  const Figure quiet = measure("bootloader-quiet", true);
  print("confirmed image, CRC unit, no status line", quiet);
  print("confirmed image, CRC unit, status line at 115200 baud", measure("bootloader", true));
  print("new image first boot (CRC + SHA-256, attempt record)", measure("bootloader-quiet", false));
  std::printf("goal <= 5 ms for a confirmed image: %s\n",
              quiet.reached && quiet.ms <= 5.0 ? "met" : "NOT met");
  return quiet.reached ? 0 : 1;
}
