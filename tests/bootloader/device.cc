// SPDX-License-Identifier: Apache-2.0
#include "device.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "bootcore/boot.h"
#include "bootcore/meta_log.h"

namespace fota::boot_test {

namespace {

constexpr uint64_t kCheckNs = 200'000;  // run_until looks at the output this often
constexpr size_t kRecentEvents = 40;
constexpr size_t kMaxEvents = 50'000;

uint64_t ms_to_ns(double ms) {
  return ms <= 0 ? 0 : static_cast<uint64_t>(ms * 1e6);
}

// "leds green=1 orange=0 red=0 blue=0" -> bits as Machine::leds(); false when not such a line.
bool parse_leds(const std::string& text, uint8_t& leds) {
  unsigned g = 0, o = 0, r = 0, b = 0;
  if (std::sscanf(text.c_str(), "leds green=%u orange=%u red=%u blue=%u", &g, &o, &r, &b) != 4) {
    return false;
  }
  leds = static_cast<uint8_t>((g & 1u) | (o & 1u) << 1 | (r & 1u) << 2 | (b & 1u) << 3);
  return true;
}

}  // namespace

Device::Device(FlashLayout& layout, uint64_t seed, bool cycle_model) {
  vstm32::MachineConfig config;  // flash_file empty: the flash lives in memory only
  config.cycle_model = cycle_model;
  config.seed = seed;
  auto created = vstm32::Machine::create(config);
  if (!created) {
    std::fprintf(stderr, "vstm32::Machine::create: %s\n", created.error().c_str());
    std::abort();
  }
  machine_ = std::move(created).value();
  machine_->load_flash(vstm32::kFlashBase, layout.bytes());
}

Device::~Device() = default;

void Device::power_on() {
  machine_->power_on();
}
void Device::power_off() {
  machine_->power_off();
}
void Device::reset_pin() {
  machine_->pulse_nrst();
}
double Device::now_ms() const {
  return static_cast<double>(machine_->now_ns()) / 1e6;
}
uint64_t Device::instructions() const {
  return machine_->instructions();
}
void Device::cut_after_instructions(uint64_t n) {
  machine_->cut_after_instructions(n);
}
void Device::cut_at_flash_step(uint64_t n, double fraction) {
  machine_->cut_at_flash_step(n, fraction);
}
std::string Device::cut_random(uint64_t seed, double window_ms, uint64_t flash_ops) {
  return machine_->cut_random(seed, std::max<uint64_t>(1, ms_to_ns(window_ms)), flash_ops);
}
void Device::cancel_cut() {
  machine_->cancel_cut();
}
uint64_t Device::flash_steps() const {
  return machine_->flash_steps();
}
uint64_t Device::power_cuts() const {
  return machine_->power_cuts();
}
bool Device::powered() const {
  return machine_->powered();
}
uint8_t Device::leds() const {
  return machine_->leds();
}

void Device::pull() {
  const std::string& text = machine_->uart_text();
  if (!text.empty()) {
    for (char c : text) {
      if (c != '\r') output_.push_back(c);
    }
    machine_->clear_uart_text();
  }
  for (vstm32::MachineEvent& e : machine_->take_events()) {
    uint8_t leds = 0;
    if (e.kind == vstm32::MachineEvent::Kind::kLed && parse_leds(e.text, leds)) {
      led_events_.push_back({static_cast<double>(e.at_ns) / 1e6, leds});
      continue;
    }
    if (e.kind == vstm32::MachineEvent::Kind::kPower && e.text.rfind("power cut: ", 0) == 0) {
      last_cut_ = e.text.substr(11);
    }
    events_.push_back(std::move(e));
  }
  if (events_.size() > kMaxEvents) {
    events_.erase(events_.begin(), events_.begin() + static_cast<long>(kMaxEvents / 2));
  }
}

const std::string& Device::output() {
  pull();
  return output_;
}

void Device::mark() {
  pull();
  output_.clear();
}

const std::vector<LedEvent>& Device::led_events() {
  pull();
  return led_events_;
}

const std::string& Device::last_cut() {
  pull();
  return last_cut_;
}

const std::vector<vstm32::MachineEvent>& Device::events() {
  pull();
  return events_;
}

std::string Device::recent_events() {
  pull();
  std::string text;
  const size_t from = events_.size() > kRecentEvents ? events_.size() - kRecentEvents : 0;
  for (size_t i = from; i < events_.size(); ++i) {
    char at[32];
    std::snprintf(at, sizeof at, "%12.3f ms ", static_cast<double>(events_[i].at_ns) / 1e6);
    text += at + events_[i].text + "\n";
  }
  return text;
}

bool Device::run_until(const std::function<bool(const std::string&)>& done, double max_sim_ms) {
  const uint64_t end = machine_->now_ns() + ms_to_ns(max_sim_ms);
  while (true) {
    pull();
    if (done(output_)) return true;
    if (!machine_->powered() || machine_->now_ns() >= end) return false;
    machine_->advance_to(std::min(end, machine_->now_ns() + kCheckNs));
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
  BufferFlash flash(machine_->flash());
  bootcore::MetaLog log(flash);
  if (log.load() != bootcore::LogStatus::kOk) return bootcore::SlotState::kNone;
  return bootcore::slot_info(flash, log, slot).state;
}

std::vector<uint8_t> Device::flash_copy() const {
  const std::span<const uint8_t> bytes = machine_->flash();
  return {bytes.begin(), bytes.end()};
}

BootToApplication boot_to_application(FlashLayout& layout, uint32_t reset_handler,
                                      uint32_t stack_top, uint32_t stack_reserved,
                                      uint64_t limit_ns, bool pin_reset) {
  constexpr uint32_t kPaint = 0xDEAD'BEEF;
  auto created = vstm32::Machine::create({});
  if (!created) {
    std::fprintf(stderr, "vstm32::Machine::create: %s\n", created.error().c_str());
    return {};
  }
  const std::unique_ptr<vstm32::Machine> m = std::move(created).value();
  m->load_flash(vstm32::kFlashBase, layout.bytes());
  m->set_breakpoint(reset_handler);
  m->power_on();  // reset done, no instruction executed yet
  for (uint32_t a = stack_top - stack_reserved; a < stack_top; a += 4) {
    (void)m->debug_write32(a, kPaint);
  }
  m->advance_to(limit_ns);  // returns at the breakpoint
  BootToApplication b;
  uint64_t t0_ns = 0;
  uint64_t instructions0 = 0;
  if (pin_reset) {
    if (!m->breakpoint_hit_ns().has_value()) return b;
    m->set_nrst(true);
    m->set_nrst(false);
    t0_ns = m->now_ns();
    instructions0 = m->instructions();
    m->set_breakpoint(reset_handler);
    m->advance_to(t0_ns + limit_ns);
  }
  b.reached = m->breakpoint_hit_ns().has_value();
  if (!b.reached) return b;
  b.ms = static_cast<double>(*m->breakpoint_hit_ns() - t0_ns) / 1e6;
  b.instructions = m->instructions() - instructions0;
  for (uint32_t a = stack_top - stack_reserved; a < stack_top; a += 4) {
    uint32_t w = 0;
    if (m->debug_read32(a, w) && w != kPaint) {
      b.stack_bytes = stack_top - a;
      break;
    }
  }
  return b;
}

}  // namespace fota::boot_test
