#include "device.h"

#include "bootcore/boot.h"
#include "bootcore/meta_log.h"

namespace fota::boot_test {

Device::Device(FlashLayout& layout) : target_(std::make_unique<MiniTarget>(layout.bytes())) {}
Device::~Device() = default;

void Device::power_on() {
  target_->power_on();
}
void Device::power_off() {
  target_->power_off();
}
void Device::reset_pin() {
  target_->pulse_nrst();
}
double Device::now_ms() const {
  return target_->now_ms();
}
uint64_t Device::instructions() const {
  return target_->instructions();
}
void Device::cut_after_instructions(uint64_t n) {
  target_->cut_after_instructions(n);
}
void Device::cancel_cut() {
  target_->cancel_cut();
}
bool Device::powered() const {
  return target_->powered();
}

void Device::pull_output() {
  for (char c : target_->take_uart()) {
    if (c != '\r') output_.push_back(c);
  }
}

const std::string& Device::output() {
  pull_output();
  return output_;
}

void Device::mark() {
  pull_output();
  output_.clear();
}

bool Device::run_until(const std::function<bool(const std::string&)>& done, double max_sim_ms) {
  const double until = now_ms() + max_sim_ms;
  while (true) {
    pull_output();
    if (done(output_)) return true;
    if (!target_->powered() || now_ms() >= until) return false;
    // Check the output every ~0.2 ms of simulated time at most.
    for (int i = 0; i < 32 && target_->powered(); ++i) target_->step(1000);
  }
}

bool Device::run_until(const std::vector<std::string>& expected, double max_sim_ms) {
  return run_until(
      [&](const std::string& out) {
        size_t at = 0;
        for (const auto& e : expected) {
          const size_t found = out.find(e, at);
          if (found == std::string::npos) return false;
          at = found + e.size();
        }
        return true;
      },
      max_sim_ms);
}

void Device::run_for_ms(double sim_ms) {
  (void)run_until([](const std::string&) { return false; }, sim_ms);
}

bootcore::SlotState Device::slot_state(flash_map::Slot slot) {
  BufferFlash flash(target_->flash());
  bootcore::MetaLog log(flash);
  if (log.load() != bootcore::LogStatus::kOk) return bootcore::SlotState::kNone;
  return bootcore::slot_info(flash, log, slot).state;
}

std::vector<uint8_t> Device::flash_copy() const {
  return target_->flash();
}

}  // namespace fota::boot_test
