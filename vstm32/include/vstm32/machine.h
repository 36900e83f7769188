// SPDX-License-Identifier: Apache-2.0
// vstm32::Machine: a virtual STM32F407 that executes the real ARM binaries on Unicorn (Cortex-M4
// with FPU), with the peripherals an update pipeline touches modelled from RM0090 and DS8626, and
// ST's system-memory bootloader (rom_bootloader.h) taking over when BOOT0 is high at reset.
//
// Time is simulated: one instruction per SYSCLK cycle (16 MHz HSI after reset, 168 MHz once the
// firmware switches to the PLL), plus the time the core stalls on flash operations. Nothing here
// reads the wall clock; the CLI (vstm32/cli) paces a machine to the wall clock when asked to.
//
// What is and is not modelled: docs/vstm32.md ("The machine").
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "status/expected.h"
#include "vstm32/i2c_bus.h"
#include "vstm32/rom_bus.h"

namespace vstm32 {

class RomBootloader;

inline constexpr uint32_t kFlashBase = 0x0800'0000;
inline constexpr uint32_t kFlashSize = 1024 * 1024;
inline constexpr uint32_t kSramBase = 0x2000'0000;
inline constexpr uint32_t kSramSize = 128 * 1024;  // SRAM1 112 KB + SRAM2 16 KB
inline constexpr uint32_t kCcmBase = 0x1000'0000;
inline constexpr uint32_t kCcmSize = 64 * 1024;
inline constexpr uint32_t kUniqueIdAddress = 0x1FFF'7A10;

struct MachineConfig {
  // Persisted flash: read at creation (a shorter file reads as erased beyond its end) and every
  // program/erase is written through to it. Empty: the flash lives in memory only.
  std::filesystem::path flash_file;
  RomVersion rom_version = RomVersion::kV9_1;
  uint16_t product_id = 0x413;  // what the ROM's Get ID answers (change it to test host checks)
  std::array<uint8_t, 12> unique_id = {0x31, 0x00, 0x2B, 0x00, 0x0C, 0x51,
                                       0x33, 0x30, 0x37, 0x38, 0x35, 0x39};
  bool boot0 = false;        // level of the BOOT0 pin at power-on
  uint32_t lsi_hz = 32'000;  // IWDG clock (nominal 32 kHz; the datasheet allows 17-47 kHz)
  uint64_t seed = 1;         // for torn-state patterns and random cuts
  // Simulated time from Cortex-M4 cycle costs and flash wait states (docs/vstm32.md, "Cycle
  // model"); false: one cycle per instruction (the model before).
  bool cycle_model = true;
};

enum class ResetCause : uint8_t { kPowerOn, kPin, kSoftware, kWatchdog, kRom };
const char* to_string(ResetCause cause);

// What the chip is doing right now.
enum class Mode : uint8_t {
  kOff,     // no power
  kReset,   // NRST held low
  kRom,     // system memory boot: the AN3155 model owns USART1
  kCpu,     // executing code
  kLockup,  // a fault inside the HardFault handler: the core stopped (only a reset helps)
};
const char* to_string(Mode mode);

struct MachineEvent {
  enum class Kind : uint8_t {
    kPower,  // "power on" / "power off" / "power cut: <why>"
    kReset,  // "reset cause=<por|pin|software|iwdg|rom> boot=<flash|system>"
    kLed,    // "leds green=1 orange=0 red=0 blue=0"
    kFlash,  // "flash erase sector=5 ms=1000", "flash program 0x08020000..0x08020200 (128 ops)"
    kFault,  // "fault bus-error read address=0x... pc=0x..." and the like
    kRom,    // one line per finished ROM bootloader command
    kInfo,   // anything else worth a line (unmodelled register accessed, ...); lines that start
             // with "warning: " say why firmware may not work (an IRQ or block not modelled)
  };
  uint64_t at_ns;
  Kind kind;
  std::string text;
};

struct UartByte {
  uint8_t byte;
  uint64_t at_ns;     // simulated time the start bit begins
  uint32_t baud = 0;  // USART1's rate when the byte was sent (0: the ROM, autobaud)
};

// Where a power cut lands.
struct CutPlan {
  enum class Kind : uint8_t { kNone, kInstructions, kFlashStep, kTime };
  Kind kind = Kind::kNone;
  uint64_t at = 0;        // absolute instruction count, flash step number, or ns
  double fraction = 0.5;  // how far the interrupted erase/program got (flash-step cuts)
};

class Machine : public RomBus {
 public:
  // Fails with a message naming what is wrong (missing directory, oversized file, ...).
  static fota::Expected<std::unique_ptr<Machine>> create(const MachineConfig& config);
  ~Machine() override;
  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;

  // ---- Pins and power (what an ESP32 or a gateway drives) ----
  void power_on();   // power-on reset: RAM lost, PORRSTF|PINRSTF|BORRSTF
  void power_off();  // everything stops; flash keeps its contents
  void set_boot0(bool high);
  void set_nrst(bool asserted);  // held low: the chip stays in reset; released: reset (PINRSTF)
  void pulse_nrst();
  [[nodiscard]] bool powered() const;
  [[nodiscard]] bool boot0() const;
  [[nodiscard]] Mode mode() const;
  // When the machine next needs simulated time to pass although no input comes: now while the CPU
  // runs (or is locked up: the IWDG may reset it); otherwise the end of the ROM's start-up, a
  // reset or Go the ROM has scheduled, or a power cut planned by time. nullopt: nothing until
  // input (a front-end may then sleep).
  [[nodiscard]] std::optional<uint64_t> next_activity_ns() const;
  [[nodiscard]] ResetCause last_reset_cause() const;

  // ---- Running (simulated time) ----
  // Runs until simulated time `t_ns` (the CPU executes; in ROM mode or when off, time just
  // passes). Returns early only when the power goes off (a scheduled cut).
  void advance_to(uint64_t t_ns);
  void run_for_ns(uint64_t ns) { advance_to(now_ns() + ns); }
  // Runs until `done()` holds (checked every `check_ns` of simulated time), the power goes off,
  // or `max_ns` passed. True when `done` held.
  bool run_until(const std::function<bool()>& done, uint64_t max_ns, uint64_t check_ns = 100'000);
  [[nodiscard]] uint64_t now_ns() const override;
  [[nodiscard]] uint64_t instructions() const;
  // HCLK cycles the core ran (with MachineConfig::cycle_model; else one per instruction).
  [[nodiscard]] uint64_t cycles() const;
  [[nodiscard]] uint32_t sysclk_hz() const;
  // Stops the run at the first execution of `address` (Thumb bit ignored) and records the time.
  void set_breakpoint(uint32_t address);
  [[nodiscard]] std::optional<uint64_t> breakpoint_hit_ns() const;

  // ---- USART1 (the serial port the host talks to) ----
  // A byte whose stop bit ends now (the caller advanced the machine to its arrival time). Goes
  // to the ROM model in system-memory boot, else to USART1 (RXNE; ORE when DR was still full).
  void uart_receive(uint8_t byte);
  std::vector<UartByte> take_uart_tx();
  // Everything transmitted so far as text (kept until cleared), for tests that wait for a line.
  [[nodiscard]] const std::string& uart_text() const;
  void clear_uart_text();
  // Frame on the wire: 11 bits for 8E1 (M=1 with parity, and the ROM), 10 for 8N1.
  [[nodiscard]] unsigned uart_frame_bits() const;
  [[nodiscard]] uint32_t uart_baud() const;  // from BRR and PCLK2 (0 when not configured)

  // ---- Every U(S)ART: port 1..6 = USART1, USART2, USART3, UART4, UART5, USART6 ----
  // The same as the USART1 functions above for any port (port 1 in ROM mode goes to the ROM).
  void uart_receive(unsigned port, uint8_t byte);
  std::vector<UartByte> take_uart_tx(unsigned port);
  [[nodiscard]] const std::string& uart_text(unsigned port) const;
  void clear_uart_text(unsigned port);
  [[nodiscard]] unsigned uart_frame_bits(unsigned port) const;
  [[nodiscard]] uint32_t uart_baud(unsigned port) const;  // from BRR and its APB clock

  // ---- I2C1: an external master on its bus (the I2C1 slave model, vstm32/i2c_bus.h) ----
  // The master's SCL rate (100'000 standard mode, 400'000 fast mode).
  void i2c_set_speed_hz(uint32_t hz);
  [[nodiscard]] uint32_t i2c_speed_hz() const;
  // One transaction, the machine running meanwhile; the master gives up (kTimeout) when the slave
  // stretches SCL for `timeout_ns` of simulated time. A chip without power or in reset does not
  // acknowledge its address.
  I2cResult i2c_transfer(const I2cTransfer& transfer, uint64_t timeout_ns = 25'000'000);
  // The same in steps (register-level tests): start a transaction (false: one is in progress),
  // run the machine, take its result once it ended.
  bool i2c_start(const I2cTransfer& transfer);
  [[nodiscard]] bool i2c_busy() const;
  std::optional<I2cResult> i2c_take_result();

  // ---- GPIO inputs (what a button or another circuit drives) ----
  // Drives pin `pin` (0..15) of port `port` (0 = A .. 8 = I) from outside: IDR shows `level`
  // on an input pin and EXTI sees the edge. False: no such pin.
  bool set_pin(unsigned port, unsigned pin, bool level);
  [[nodiscard]] uint32_t gpio_idr(unsigned port) const;
  [[nodiscard]] uint32_t gpio_odr(unsigned port) const;

  // ---- Events ----
  std::vector<MachineEvent> take_events();
  // Called for each event as it happens (in addition to the queue).
  void set_event_listener(std::function<void(const MachineEvent&)> listener);

  // ---- Fault injection ----
  void cut_after_instructions(uint64_t n);
  // Power fails during the `n`-th flash program/erase operation from now (n >= 1): an erase
  // leaves the first `fraction` of the sector erased, a program leaves the word with only some
  // of its 1->0 bits cleared (what can be left when the cell charge is cut mid-pulse).
  void cut_at_flash_step(uint64_t n, double fraction);
  void cut_at_time(uint64_t t_ns);
  // A random cut: uniformly in the next `window_ns` of simulated time, or (half the seeds) at a
  // random flash operation among the next `flash_ops` ones. Describes the plan in the returned
  // text.
  std::string cut_random(uint64_t seed, uint64_t window_ns = 1'000'000'000,
                         uint64_t flash_ops = 4096);
  void cancel_cut();
  [[nodiscard]] CutPlan cut_plan() const;
  [[nodiscard]] uint64_t flash_steps() const;  // program + erase operations since creation
  [[nodiscard]] uint64_t power_cuts() const;

  // ---- Memory (debug access, like a probe on the AHB-AP) ----
  std::span<uint8_t> flash();
  [[nodiscard]] std::span<const uint8_t> flash() const;
  // Replaces flash bytes directly (no controller, no timing) and writes them to the file.
  void load_flash(uint32_t address, std::span<const uint8_t> bytes);
  fota::Expected<> save();  // flush the flash file (write-through already happened)
  // Bus accesses from the debugger: same decoding and side effects as the CPU's loads/stores
  // (peripheral registers included), at the current simulated time. False: nothing mapped there.
  bool debug_read32(uint32_t address, uint32_t& value);
  bool debug_write32(uint32_t address, uint32_t value);
  // Flash stores as the CPU would do them (size 1, 2, 4 or 8 bytes) through the controller rules.
  void debug_flash_store(uint32_t address, unsigned size, uint64_t value);
  [[nodiscard]] uint32_t reg(int unicorn_reg_id) const;  // core register (PC, SP, R0...)
  void set_reg(int unicorn_reg_id, uint32_t value);      // ... written by a debugger

  // ---- Debugger (the GDB server of `vstm32 run --gdb`) ----
  // Instruction breakpoints, any number (GDB's software and hardware ones alike): a run
  // (advance_to) stops before the instruction at one executes and take_debug_stop() says so.
  void add_debug_breakpoint(uint32_t address);
  void remove_debug_breakpoint(uint32_t address);
  // The next advance_to does not stop at a breakpoint at the current PC (continuing from it).
  void step_over_breakpoint();
  // Executes one instruction (a pending interrupt is taken first: the step ends in its handler).
  void debug_step();
  [[nodiscard]] bool take_debug_stop();
  // Data watchpoints (GDB's Z2/Z3/Z4), any number: a run stops after the instruction that wrote
  // (kWrite), read (kRead) or accessed (kAccess) a byte of [address, address + length) in SRAM,
  // CCM or flash (as the DWT's comparators stop the core after the access), take_debug_stop()
  // says so and take_watch_hit() which one.
  enum class WatchKind : uint8_t { kWrite, kRead, kAccess };
  struct WatchHit {
    WatchKind kind;
    uint32_t address;  // the first watched byte the access touched
  };
  void add_debug_watchpoint(uint32_t address, uint32_t length, WatchKind kind);
  void remove_debug_watchpoint(uint32_t address, uint32_t length, WatchKind kind);
  [[nodiscard]] std::optional<WatchHit> take_watch_hit();

  // ---- Peripheral state for tests and status lines ----
  [[nodiscard]] uint8_t leds() const;  // bit 0 green PD12, 1 orange, 2 red, 3 blue PD15
  [[nodiscard]] uint32_t rcc_csr() const;
  [[nodiscard]] uint32_t flash_sr() const;
  [[nodiscard]] uint32_t flash_cr() const;
  [[nodiscard]] bool iwdg_running() const;
  [[nodiscard]] uint64_t resets() const;
  RomBootloader& rom();
  [[nodiscard]] std::string status() const;  // "key=value ..." one line

  // ---- RomBus (used by the ROM model; not for users) ----
  void uart_transmit(uint8_t byte, uint64_t at_ns) override;
  BusStatus read(uint32_t address, std::span<uint8_t> out) override;
  BusStatus program_flash(uint32_t address, std::span<const uint8_t> data, unsigned psize,
                          uint64_t& duration_ns) override;
  BusStatus erase_sector(unsigned sector, unsigned psize, uint64_t& duration_ns) override;
  BusStatus mass_erase(unsigned psize, uint64_t& duration_ns) override;
  BusStatus write_memory(uint32_t address, std::span<const uint8_t> data) override;
  uint8_t rdp_level_byte() const override;
  uint16_t nwrp_bits() const override;
  void set_option_bytes(uint8_t rdp, uint16_t nwrp) override;
  void go(uint32_t address, uint64_t at_ns) override;
  void system_reset(uint64_t at_ns) override;

  struct Impl;  // public for the Unicorn callbacks only

 private:
  explicit Machine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// DS8626 typical sector erase time for `sector` at parallelism `psize` (0 x8 .. 3 x64 as x32).
uint64_t sector_erase_typical_ns(unsigned sector, unsigned psize);
uint64_t sector_erase_max_ns(unsigned sector, unsigned psize);
inline constexpr uint64_t kProgramTypicalNs = 16'000;  // byte/half-word/word, all widths
inline constexpr uint64_t kProgramMaxNs = 100'000;

}  // namespace vstm32
