// SPDX-License-Identifier: Apache-2.0
// The whole virtual STM32F407 behind `vstm32 run`: vstm32::Machine (the CPU executing the flash
// image, the peripherals, the ROM bootloader when BOOT0 is high) seen through the runner's Device
// interface. The machine writes every flash change through to the file itself.
#include <unicorn/unicorn.h>

#include <algorithm>
#include <cstdio>
#include <utility>

#include "device.h"
#include "vstm32/machine.h"

namespace vstm32::cli {
namespace {

// How far one runner step advances a running CPU before it polls the pty and the control socket
// again: short enough for prompt I/O, long enough to keep the per-step cost small.
constexpr uint64_t kCpuSliceNs = 1'000'000;

std::string stamp(uint64_t at_ns) {
  char text[32];
  std::snprintf(text, sizeof text, "t=%.3fms ", static_cast<double>(at_ns) / 1e6);
  return text;
}

// GDB register number (gdb_server.cc) to Unicorn's: r0-r12, sp, lr, pc, xpsr, (d0-d15 as pairs
// of s registers), fpscr, msp, psp, primask, basepri, faultmask, control.
int unicorn_register(unsigned n) {
  static constexpr int kCore[] = {
      UC_ARM_REG_R0,  UC_ARM_REG_R1, UC_ARM_REG_R2, UC_ARM_REG_R3, UC_ARM_REG_R4,  UC_ARM_REG_R5,
      UC_ARM_REG_R6,  UC_ARM_REG_R7, UC_ARM_REG_R8, UC_ARM_REG_R9, UC_ARM_REG_R10, UC_ARM_REG_R11,
      UC_ARM_REG_R12, UC_ARM_REG_SP, UC_ARM_REG_LR, UC_ARM_REG_PC, UC_ARM_REG_XPSR};
  static constexpr int kSystem[] = {UC_ARM_REG_FPSCR,   UC_ARM_REG_MSP,     UC_ARM_REG_PSP,
                                    UC_ARM_REG_PRIMASK, UC_ARM_REG_BASEPRI, UC_ARM_REG_FAULTMASK,
                                    UC_ARM_REG_CONTROL};
  if (n < 17) return kCore[n];
  if (n >= 33 && n < 40) return kSystem[n - 33];
  return -1;
}

bool is_flash(uint32_t address) {
  return address < 0x0010'0000u || (address >= kFlashBase && address < kFlashBase + kFlashSize);
}

class MachineDevice : public Device, public DebugTarget {
 public:
  explicit MachineDevice(std::unique_ptr<Machine> machine) : machine_(std::move(machine)) {
    // Why firmware may hang (an IRQ without a modelled source, an unmodelled block): on stderr
    // at once as well as in `events`.
    machine_->set_event_listener([](const MachineEvent& e) {
      if (e.text.rfind("warning: ", 0) == 0) std::fprintf(stderr, "vstm32: %s\n", e.text.c_str());
    });
    machine_->power_on();
  }

  uint64_t now_ns() const override { return machine_->now_ns(); }
  void advance_to(uint64_t t_ns) override {
    if (halted_) return;
    machine_->advance_to(t_ns);
    if (machine_->take_debug_stop()) halted_ = stopped_ = true;
    machine_->clear_uart_text();  // bytes are taken with their times by take_tx()
  }
  std::optional<uint64_t> next_event_ns() const override {
    const std::optional<uint64_t> t = machine_->next_activity_ns();
    // A running CPU is always due: one slice at a time.
    if (t && *t == machine_->now_ns()) return *t + kCpuSliceNs;
    return t;
  }

  // ---- DebugTarget ----
  DebugTarget* debug_target() override { return this; }
  bool halted() const override { return halted_; }
  void halt() override { halted_ = true; }
  void resume() override {
    if (!halted_) return;
    machine_->step_over_breakpoint();
    halted_ = false;
  }
  void step() override {
    machine_->debug_step();
    halted_ = true;
  }
  bool take_stop() override { return std::exchange(stopped_, false); }
  uint64_t read_register(unsigned n) const override {
    if (n >= 17 && n < 33) {  // d(n-17) = s(2k) | s(2k+1) << 32
      const int s = UC_ARM_REG_S0 + 2 * static_cast<int>(n - 17);
      return machine_->reg(s) | uint64_t{machine_->reg(s + 1)} << 32;
    }
    const int id = unicorn_register(n);
    return id < 0 ? 0 : machine_->reg(id);
  }
  void write_register(unsigned n, uint64_t value) override {
    if (n >= 17 && n < 33) {
      const int s = UC_ARM_REG_S0 + 2 * static_cast<int>(n - 17);
      machine_->set_reg(s, static_cast<uint32_t>(value));
      machine_->set_reg(s + 1, static_cast<uint32_t>(value >> 32));
      return;
    }
    if (const int id = unicorn_register(n); id >= 0) {
      machine_->set_reg(id, static_cast<uint32_t>(value));
    }
  }
  bool read_memory(uint32_t address, uint8_t& byte) override {
    uint32_t word = 0;
    if (!machine_->debug_read32(address & ~3u, word)) return false;
    byte = static_cast<uint8_t>(word >> (8 * (address & 3u)));
    return true;
  }
  bool write_memory(uint32_t address, uint8_t byte) override {
    if (is_flash(address)) return false;  // flash changes only through its controller
    uint32_t word = 0;
    if (!machine_->debug_read32(address & ~3u, word)) return false;
    const unsigned shift = 8 * (address & 3u);
    word = (word & ~(0xFFu << shift)) | (uint32_t{byte} << shift);
    return machine_->debug_write32(address & ~3u, word);
  }
  void add_breakpoint(uint32_t address) override { machine_->add_debug_breakpoint(address); }
  void remove_breakpoint(uint32_t address) override { machine_->remove_debug_breakpoint(address); }
  void add_watchpoint(uint32_t address, uint32_t length, int type) override {
    machine_->add_debug_watchpoint(address, length, watch_kind(type));
  }
  void remove_watchpoint(uint32_t address, uint32_t length, int type) override {
    machine_->remove_debug_watchpoint(address, length, watch_kind(type));
  }
  std::optional<WatchStop> take_watch() override {
    const std::optional<Machine::WatchHit> hit = machine_->take_watch_hit();
    if (!hit) return std::nullopt;
    const int type = hit->kind == Machine::WatchKind::kWrite  ? 2
                     : hit->kind == Machine::WatchKind::kRead ? 3
                                                              : 4;
    return WatchStop{type, hit->address};
  }
  static Machine::WatchKind watch_kind(int type) {
    return type == 2   ? Machine::WatchKind::kWrite
           : type == 3 ? Machine::WatchKind::kRead
                       : Machine::WatchKind::kAccess;
  }
  void reset() override {
    pulse_nrst();
    halted_ = true;
  }
  void rx_byte(uint8_t byte, uint64_t at_ns) override {
    advance_to(at_ns);
    machine_->uart_receive(byte);
  }
  std::vector<TimedByte> take_tx() override {
    std::vector<TimedByte> out;
    for (const UartByte& b : machine_->take_uart_tx()) out.push_back({b.byte, b.at_ns, b.baud});
    return out;
  }
  unsigned bits_per_byte() const override {
    return machine_->mode() == Mode::kRom ? 11 : machine_->uart_frame_bits();
  }

  void rx_byte(unsigned port, uint8_t byte, uint64_t at_ns) override {
    advance_to(at_ns);
    machine_->uart_receive(port, byte);
  }
  std::vector<TimedByte> take_tx(unsigned port) override {
    std::vector<TimedByte> out;
    for (const UartByte& b : machine_->take_uart_tx(port)) out.push_back({b.byte, b.at_ns});
    machine_->clear_uart_text(port);
    return out;
  }
  unsigned bits_per_byte(unsigned port) const override { return machine_->uart_frame_bits(port); }
  uint32_t firmware_baud(unsigned port) const override {
    if (port == 1 && machine_->mode() == Mode::kRom) return 0;
    return machine_->uart_baud(port);
  }
  I2cResult i2c_transfer(const I2cTransfer& transfer) override {
    return machine_->i2c_transfer(transfer);
  }
  void i2c_set_speed_hz(uint32_t hz) override { machine_->i2c_set_speed_hz(hz); }
  bool set_pin(unsigned port, unsigned pin, bool level) override {
    return machine_->set_pin(port, pin, level);
  }
  void set_boot0(bool high) override { machine_->set_boot0(high); }
  void set_nrst(bool asserted) override { machine_->set_nrst(asserted); }
  void pulse_nrst() override {
    set_nrst(true);
    set_nrst(false);
  }
  void set_power(bool on) override {
    if (on) {
      machine_->power_on();
    } else {
      machine_->power_off();
    }
  }
  std::string status() const override {
    std::string s = machine_->status();
    if (machine_->mode() == Mode::kRom) {
      const RomBootloader& rom = machine_->rom();
      RomBootloader::State state = rom.state();
      if (state == RomBootloader::State::kStarting && now_ns() >= rom.ready_at_ns()) {
        state = RomBootloader::State::kWaitSync;  // start-up over, even before a byte came
      }
      s += std::string(" rom=") + to_string(state) +
           " rom_acks=" + std::to_string(rom.stats().acks) +
           " rom_nacks=" + std::to_string(rom.stats().nacks) +
           " rom_overruns=" + std::to_string(rom.stats().bytes_overrun);
    } else {
      s += " rom=off";
    }
    s += std::string(" rom_version=") +
         (machine_->rom().version() == RomVersion::kV3_1 ? "3.1" : "9.1") +
         " uart_baud=" + std::to_string(machine_->uart_baud());
    return s;
  }
  std::vector<std::string> take_events() override {
    std::vector<std::string> lines;
    for (const MachineEvent& e : machine_->take_events()) lines.push_back(stamp(e.at_ns) + e.text);
    return lines;
  }
  fota::Expected<void> cut_after_instructions(uint64_t n) override {
    machine_->cut_after_instructions(n);
    return {};
  }
  fota::Expected<void> cut_at_flash_step(uint64_t n, double fraction) override {
    machine_->cut_at_flash_step(n, fraction);
    return {};
  }
  fota::Expected<void> cut_random(uint64_t seed, uint64_t window_ns, uint64_t flash_ops) override {
    (void)machine_->cut_random(seed, window_ns, flash_ops);  // the machine logs the plan
    return {};
  }
  void cancel_cut() override { machine_->cancel_cut(); }
  fota::Expected<void> save() override { return machine_->save(); }

 private:
  std::unique_ptr<Machine> machine_;
  bool halted_ = false;
  bool stopped_ = false;  // halted by a breakpoint while running (reported to the debugger)
};

}  // namespace

fota::Expected<std::unique_ptr<Device>> make_machine_device(const MachineConfig& config) {
  std::error_code ec;
  if (!std::filesystem::exists(config.flash_file, ec)) {
    return fota::fail("flash image " + config.flash_file.string() +
                      " does not exist (create one: vstm32 flash-image create FILE)");
  }
  if (!std::filesystem::is_regular_file(config.flash_file, ec)) {
    return fota::fail("flash image " + config.flash_file.string() + " is not a regular file");
  }
  auto machine = Machine::create(config);
  if (!machine) return machine.failure();
  return std::unique_ptr<Device>(std::make_unique<MachineDevice>(std::move(machine).value()));
}

}  // namespace vstm32::cli
