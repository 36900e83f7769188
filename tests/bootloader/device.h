// A virtual STM32F407 (MiniTarget until vstm32::Machine is available) loaded with a flash picture,
// seen the way the scenario tests need it: power, reset pin, USART1 text since the last mark,
// bounded runs in simulated time, power cuts, and the metadata log read back through bootcore.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bootcore/decision.h"
#include "flash_layout.h"
#include "mini_target.h"

namespace fota::boot_test {

class Device {
 public:
  explicit Device(FlashLayout& layout);
  ~Device();

  void power_on();
  void power_off();
  void reset_pin();  // NRST pulse

  // Runs until every text of `expected` appeared in the output since the last mark(), in order,
  // or `max_sim_ms` of simulated time passed. True when they all appeared.
  bool run_until(const std::vector<std::string>& expected, double max_sim_ms);
  // Runs until `done(output())` holds, the power goes off (a scheduled cut), or `max_sim_ms` of
  // simulated time passed. True when `done` held.
  bool run_until(const std::function<bool(const std::string&)>& done, double max_sim_ms);
  void run_for_ms(double sim_ms);
  const std::string& output();  // USART1 since the last mark (CR removed)
  void mark();                  // forget the output so far

  // Simulated time since the machine was created.
  double now_ms() const;
  uint64_t instructions() const;

  // Cuts the power after `n` more instructions (the machine stays off until power_on()).
  void cut_after_instructions(uint64_t n);
  void cancel_cut();
  // Cuts the power in the middle of the `n`-th flash program/erase step from now (torn result).
  void cut_at_flash_step(uint64_t n, double fraction, uint64_t seed) {
    target_->cut_at_flash_step(n, fraction, seed);
  }
  uint64_t flash_steps() const { return target_->flash_steps(); }
  bool powered() const;

  // What the metadata log says about a slot (reads the chip's flash through bootcore).
  bootcore::SlotState slot_state(flash_map::Slot slot);
  std::vector<uint8_t> flash_copy() const;

  MiniTarget& target() { return *target_; }

 private:
  void pull_output();
  std::unique_ptr<MiniTarget> target_;
  std::string output_;
};

}  // namespace fota::boot_test
