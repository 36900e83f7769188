// SPDX-License-Identifier: Apache-2.0
#include "fota_esp32/console_reporter.h"

#include <cstdio>

namespace fota::esp32 {
void ConsoleReporter::on_state(update::State state, const update::Failure& failure) {
  if (state == update::State::kFailed) {
    std::printf("fota: failed (%s)\n", update::to_string(failure.reason));
  } else {
    std::printf("fota: %s\n", update::to_string(state));
  }
}

void ConsoleReporter::on_plan(const update::Plan& plan) {
  std::printf("fota: slot %c, version %u.%u.%u, %lu bytes%s\n",
              flash_map::slot_name(plan.target_slot),
              static_cast<unsigned>(plan.image.version.major),
              static_cast<unsigned>(plan.image.version.minor),
              static_cast<unsigned>(plan.image.version.patch),
              static_cast<unsigned long>(plan.image_bytes), plan.resuming ? " (resuming)" : "");
}

void ConsoleReporter::on_step(update::Step step, uint32_t total) {
  last_tenth_ = 0;
  std::printf("fota: %s (%lu bytes)\n", update::to_string(step), static_cast<unsigned long>(total));
}

void ConsoleReporter::on_progress(update::Step step, uint32_t done, uint32_t total) {
  if (total == 0) return;
  const auto tenth = static_cast<unsigned>(static_cast<uint64_t>(done) * 10 / total);
  if (tenth == last_tenth_) return;
  last_tenth_ = tenth;
  std::printf("fota: %s %u %%\n", update::to_string(step), tenth * 10);
}

void ConsoleReporter::on_note(update::Note note, flash_map::Slot slot) {
  std::printf("fota: note %s (slot %c)\n", update::to_string(note), flash_map::slot_name(slot));
}

}  // namespace fota::esp32
