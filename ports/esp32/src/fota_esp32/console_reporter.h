// SPDX-License-Identifier: Apache-2.0
// update::Reporter that prints the engine's states, plan and progress on the ESP32's console
// (stdout: UART0 / USB), one line each, progress every 10 %.
#pragma once

#include "update/reporter.h"

namespace fota::esp32 {

class ConsoleReporter final : public update::Reporter {
 public:
  void on_state(update::State state, const update::Failure& failure) override;
  void on_plan(const update::Plan& plan) override;
  void on_step(update::Step step, uint32_t total) override;
  void on_progress(update::Step step, uint32_t done, uint32_t total) override;
  void on_note(update::Note note, flash_map::Slot slot) override;

 private:
  unsigned last_tenth_ = 0;
};

}  // namespace fota::esp32
