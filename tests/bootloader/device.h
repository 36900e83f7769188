// SPDX-License-Identifier: Apache-2.0
// The product's virtual STM32F407 (vstm32::Machine, docs/vstm32.md "The machine") loaded with a
// flash picture, seen the way the bootloader scenario tests need it: power, reset pin, USART1 text
// since the last mark, bounded runs in simulated time, power cuts, LED changes, and the metadata
// log read back through bootcore.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bootcore/decision.h"
#include "flash_layout.h"
#include "vstm32/machine.h"

namespace fota::boot_test {

// One change of the Discovery LEDs, from the machine's kLed events
// ("leds green=1 orange=0 red=0 blue=0").
struct LedEvent {
  double time_ms;
  uint8_t leds;  // as vstm32::Machine::leds(): bit 0 green PD12, 1 orange, 2 red, 3 blue PD15
};
inline constexpr uint8_t kLedGreen = 1, kLedOrange = 2, kLedRed = 4, kLedBlue = 8;

class Device {
 public:
  // A machine with `layout`'s bytes as its whole flash (in memory only). `seed` picks the torn
  // patterns of flash steps cut by a power failure.
  // cycle_model: MachineConfig::cycle_model (false: one cycle per instruction).
  explicit Device(FlashLayout& layout, uint64_t seed = 1, bool cycle_model = true);
  ~Device();
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  void power_on();
  void power_off();
  void reset_pin();  // NRST pulse

  // Runs until every text of `expected` appeared in the output since the last mark(), in order,
  // or `max_sim_ms` of simulated time passed. True when they all appeared.
  bool run_until(const std::vector<std::string>& expected, double max_sim_ms);
  // Runs until `done(output())` holds, the power goes off (a scheduled cut), or `max_sim_ms` of
  // simulated time passed. True when `done` held. `done` is checked every 0.2 ms of simulated time.
  bool run_until(const std::function<bool(const std::string&)>& done, double max_sim_ms);
  void run_for_ms(double sim_ms);
  const std::string& output();  // USART1 since the last mark (CR removed)
  void mark();                  // forget the output so far

  // Simulated time since the machine was created.
  double now_ms() const;
  uint64_t instructions() const;

  // Power cuts (the machine stays off until power_on()).
  void cut_after_instructions(uint64_t n);
  // In the middle of the `n`-th flash program/erase step from now (n >= 1): a torn word, or a
  // sector erased for its first `fraction`.
  void cut_at_flash_step(uint64_t n, double fraction);
  // vstm32::Machine::cut_random: half the seeds a time in the next `window_ms`, half one of the
  // next `flash_ops` flash steps at a random fraction. Returns the plan as text.
  std::string cut_random(uint64_t seed, double window_ms, uint64_t flash_ops);
  void cancel_cut();
  uint64_t flash_steps() const;
  uint64_t power_cuts() const;
  // Why the power went off last ("during flash program step 12", "after 1234 instructions",
  // "at t=...ns"), "" before the first cut.
  const std::string& last_cut();
  bool powered() const;

  // LED changes since the machine was created, and the LEDs now.
  const std::vector<LedEvent>& led_events();
  uint8_t leds() const;
  // The machine's other events since it was created (power, resets, flash operations, faults,
  // watchdog; the oldest are dropped beyond 50,000), and the last ones as text for failure
  // messages.
  const std::vector<vstm32::MachineEvent>& events();
  std::string recent_events();

  // What the metadata log says about a slot (reads the chip's flash through bootcore).
  bootcore::SlotState slot_state(flash_map::Slot slot);
  std::vector<uint8_t> flash_copy() const;

  vstm32::Machine& machine() { return *machine_; }

 private:
  void pull();
  std::unique_ptr<vstm32::Machine> machine_;
  std::string output_;
  std::vector<LedEvent> led_events_;
  std::vector<vstm32::MachineEvent> events_;
  std::string last_cut_;
};

// A boot timed from power-on to the application's first instruction on a fresh machine (benches).
struct BootToApplication {
  bool reached = false;       // the application's reset handler ran within the limit
  double ms = 0;              // simulated time to it
  uint64_t instructions = 0;  // executed by then
  uint32_t stack_bytes = 0;   // the bootloader's peak stack use (from the painted stack)
};
// Runs `layout` until `reset_handler` executes or `limit_ns` of simulated time passed. The
// bootloader's stack, [stack_top - stack_reserved, stack_top), is painted through the probe
// before the first instruction to find its peak use. pin_reset: after that power-on boot reached
// the application, NRST is pulsed and the boot that follows (which listens for the native sync)
// is measured from the release of NRST.
BootToApplication boot_to_application(FlashLayout& layout, uint32_t reset_handler,
                                      uint32_t stack_top, uint32_t stack_reserved,
                                      uint64_t limit_ns, bool pin_reset = false);

}  // namespace fota::boot_test
