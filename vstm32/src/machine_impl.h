// SPDX-License-Identifier: Apache-2.0
// Private state of vstm32::Machine, shared by machine.cc (CPU, time, power, ROM bus, API),
// nvic.cc (exceptions and interrupts), bus.cc (the peripheral table), flash_interface.cc (flash
// cells and controller) and the peripheral models (bus_device.h) that need the core.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "bus_device.h"
#include "cycle_model.h"
#include "vstm32/machine.h"
#include "vstm32/rom_bootloader.h"

struct uc_struct;

namespace vstm32 {

// RCC_CSR reset flags.
inline constexpr uint32_t kCsrLsiOn = 1u << 0;
inline constexpr uint32_t kCsrLsiRdy = 1u << 1;
inline constexpr uint32_t kCsrRmvf = 1u << 24;
inline constexpr uint32_t kCsrBor = 1u << 25;
inline constexpr uint32_t kCsrPin = 1u << 26;
inline constexpr uint32_t kCsrPor = 1u << 27;
inline constexpr uint32_t kCsrSft = 1u << 28;
inline constexpr uint32_t kCsrIwdg = 1u << 29;

// FLASH_SR / FLASH_CR bits (RM0090 3.9).
namespace fsr {
inline constexpr uint32_t kEop = 1u << 0, kOperr = 1u << 1, kWrperr = 1u << 4, kPgaerr = 1u << 5,
                          kPgperr = 1u << 6, kPgserr = 1u << 7, kBsy = 1u << 16;
inline constexpr uint32_t kErrors = kOperr | kWrperr | kPgaerr | kPgperr | kPgserr;
}  // namespace fsr
namespace fcr {
inline constexpr uint32_t kPg = 1u << 0, kSer = 1u << 1, kMer = 1u << 2, kStrt = 1u << 16,
                          kEopie = 1u << 24, kErrie = 1u << 25, kLock = 1u << 31;
}  // namespace fcr

inline constexpr uint64_t kPsPerNs = 1000;

class Rcc;
class Iwdg;
class Usart;
class I2c;
class Gpio;
class Exti;
class Syscfg;
class Dma;

inline constexpr unsigned kIrqCount = 82;  // STM32F407 NVIC inputs (RM0090 table 61)
inline constexpr unsigned kUartCount = 6;  // USART1/2/3, UART4/5, USART6 as ports 1..6

struct Machine::Impl final : DeviceHost {
  Impl(Machine& machine, const MachineConfig& cfg);
  ~Impl() override;

  Machine& self;
  MachineConfig config;
  int fd = -1;
  std::vector<uint8_t> flash, sram, ccm, sysmem, optpage, bkpsram;
  std::array<uint32_t, 20> rtc_bkp{};
  RomBootloader rom;
  uc_struct* uc = nullptr;

  // ---- power, pins, mode ----
  bool powered = false;
  bool boot0 = false;
  bool nrst_low = false;
  Mode mode = Mode::kOff;
  ResetCause last_cause = ResetCause::kPowerOn;
  uint64_t resets = 0;
  uint64_t power_cuts = 0;

  // ---- time: now = base_ps + (icount - base_icount) / instr_hz, exactly (no rounded period:
  // 168 MHz is 5952.38 ps per instruction) ----
  uint64_t base_ps = 0;
  uint64_t base_icount = 0;
  uint64_t icount = 0;                          // instructions executed since creation
  uint64_t instr_hz = 16'000'000;               // HCLK: 16 MHz HSI after reset
  uint64_t instructions_in(uint64_t ps) const;  // whole instructions that fit in `ps`
  bool stop_at_block = false;  // stop when the next translated block starts (request_stop)
  std::optional<uint32_t>
      stopped_at_block;  // ... and it did, before this block's first instruction
  // The translated block running now: where it starts, its size, icount before it.
  uint32_t block_address = 0;
  uint32_t block_size = 0;
  uint64_t block_icount = 0;
  uint64_t count_instructions(uint32_t address, uint32_t size);
  uint64_t block_instructions(uint32_t address, uint32_t size);  // >= 1, cached (machine.cc)
  struct BlockCount {
    uint32_t address = 1;  // odd: no block starts there
    uint32_t size = 0;
    uint32_t count = 0;
    uint32_t generation = 0;
    uint32_t cycles = 0;  // cycle model: the block's cycles and its taken-branch refill
    uint32_t refill = 0;
  };
  // ---- cycle model (MachineConfig::cycle_model): icount counts cycles, `retired` instructions
  bool cycle_model = false;
  uint64_t retired = 0;
  uint64_t block_retired = 0;
  uint32_t last_block_end = 0;    // where the previous block falls through
  uint32_t pending_refill = 0;    // its refill, added when the next block is not the fall-through
  uint64_t slice_end_icount = 0;  // the run ends at the first block after this many cycles
  void count_block_cycles(uint32_t address, uint32_t size);
  FetchModel fetch_model() const;
  std::array<BlockCount, 4096> block_counts{};
  uint32_t code_generation = 1;  // code_written bumps it: cached counts older than it are stale
  // A run stopped inside the current block (a callback stopped it, a fault, a breakpoint): only
  // the instructions before `stop_pc` ran, not the whole block the block hook counted.
  void settle_icount(uint32_t stop_pc);
  void set_icount(uint64_t exact);  // lowers an over-count to the instructions that ran
  bool in_emulation = false;
  bool dying = false;  // a power cut happened inside a Unicorn callback
  uint64_t now_ns() const { return now_ps() / kPsPerNs; }
  void rebase_time();              // before a clock change
  void add_stall_ps(uint64_t ps);  // the core waits (flash busy)
  void set_time_ps(uint64_t ps);   // when the CPU does not run

  // ---- CPU state across slices ----
  uint32_t pc = 0;
  bool wfi = false;
  enum class StopWhy : uint8_t {
    kNone,
    kReset,
    kFault,
    kPowerCut,
    kException,
    kBreakpoint,
    kFlashBusy
  };
  StopWhy stop_why = StopWhy::kNone;
  std::optional<uint32_t> breakpoint;
  std::optional<uint64_t> breakpoint_hit_ns;
  bool at_breakpoint = false;
  // Debugger breakpoints (hook per address), the one to pass once, a stop at one, single step.
  std::map<uint32_t, size_t> debug_breakpoints;
  std::optional<uint32_t> pass_breakpoint;
  bool debug_stop = false;
  bool single_step = false;
  void add_debug_hook(uint32_t address);
  struct Watchpoint {
    uint32_t address, length;
    Machine::WatchKind kind;
    size_t hook;  // uc_hook
  };
  std::vector<Watchpoint> watchpoints;
  std::optional<Machine::WatchHit> watch_hit;  // what stopped the last run (take_watch_hit)
  bool watch_stopping = false;                 // a watchpoint ended the run in progress
  uint32_t watch_pc = 0;                       // the instruction whose access hit it
  void add_watch_hook(Watchpoint& w);
  struct PendingFault {
    std::string kind;
    uint32_t address = 0;
    bool precise = true;
    std::optional<uint32_t> pc;  // the faulting instruction, when known inside the callback
  };
  std::optional<PendingFault> pending_fault;
  uint32_t current_exception = 0;  // IPSR as we track it
  // What an exception entry preempted: its number and (FPU enabled in CPACR) S0-S15 and FPSCR,
  // kept here instead of in an extended stack frame (docs/vstm32.md, "FPU context").
  struct Preempted {
    uint32_t number = 0;
    bool fp_saved = false;
    std::array<uint32_t, 17> fp{};
  };
  std::vector<Preempted> exception_stack;
  bool exc_return_pending = false;
  uint32_t exc_return_value = 0;
  uint32_t pending_exceptions =
      0;  // bitmask of pended system exceptions (SVCall 11, PendSV 14, SysTick 15)

  // ---- scheduled things (simulated ps) ----
  std::optional<uint64_t> reset_at_ps;                 // the ROM asked for a system reset
  std::optional<std::pair<uint32_t, uint64_t>> go_at;  // ROM Go: address, ps
  uint32_t pending_reset_flags = 0;  // a reset requested by the CPU side (AIRCR, IWDG)

  // ---- fault injection ----
  CutPlan cut;
  uint64_t flash_steps = 0;
  uint64_t rng = 1;
  uint64_t next_random();
  // Returns true (and has cut the power) when the flash operation that is step `flash_steps+1`
  // and lasts `duration_ps` from `start_ps` must be torn; `fraction` receives how far it got.
  bool cut_in_flash_op(uint64_t start_ps, uint64_t duration_ps, double& fraction);
  void power_cut(const std::string& why, uint64_t at_ps);

  // ---- events ----
  std::vector<MachineEvent> events;
  std::function<void(const MachineEvent&)> listener;
  struct ProgramRun {
    uint32_t begin = 0, end = 0;
    uint64_t ops = 0, at_ns = 0;
  } program_run;
  void flush_program_run();

  // ---- option bytes ----
  uint8_t opt_rdp = 0xAA;
  uint16_t opt_nwrp = 0x0FFF;
  uint8_t opt_user = 0xEC;
  void refresh_optpage();
  // Option bytes are flash too: kept beside the flash file (FILE.opt, the 16 bytes at
  // 0x1FFF'C000) so that they survive the process like the flash does.
  void save_option_bytes();
  fota::Expected<void> load_option_bytes();

  // ---- peripherals: the device table (bus.cc) ----
  std::vector<std::unique_ptr<BusDevice>> devices;
  std::array<BusDevice*, 0x8'0000 / 0x400> slots{};  // 0x4000'0000-0x4007'FFFF in 1 KB slots
  std::vector<BusDevice*> far_devices;               // AHB2 and the private peripheral bus
  std::vector<BusDevice*> timed_devices;             // those with next_event_ps()
  Rcc* rcc = nullptr;
  Iwdg* iwdg = nullptr;
  Exti* exti = nullptr;
  Syscfg* syscfg = nullptr;
  std::array<Usart*, kUartCount> uarts{};
  I2c* i2c1 = nullptr;
  std::array<Gpio*, 9> gpio{};
  std::array<Dma*, 2> dma{};
  std::array<bool, kIrqCount> irq_has_source{};
  std::array<bool, kIrqCount> irq_warned{};
  void build_devices();
  BusDevice* device_at(uint32_t address) const;
  void reset_device(ClockGate gate);
  uint64_t slice_end_ps = 0;  // the run in progress ends here (reschedule compares)

  struct FlashCtl {
    uint32_t acr = 0, cr = fcr::kLock, sr = 0, optcr = 0x0FFF'AAED;
    int key_stage = 0;  // 0 none, 1 first key seen
    bool key_locked_until_reset = false;
    int optkey_stage = 0;
    uint64_t busy_until_ps = 0;
    uint32_t eop_pending = 0;  // EOP to raise when the busy time ends
  } fctl;
  // FLASH global interrupt (IRQ 4): EOP with EOPIE, OPERR with ERRIE (RM0090 3.9).
  IrqLine flash_irq{4};
  void update_flash_irq() {
    flash_irq.set(*this, ((fctl.sr & fsr::kEop) && (fctl.cr & fcr::kEopie)) ||
                             ((fctl.sr & fsr::kOperr) && (fctl.cr & fcr::kErrie)));
  }
  struct Scb {
    uint32_t vtor = 0, aircr = 0xFA05'0000, scr = 0, ccr = 0x200, cpacr = 0;
    std::array<uint32_t, 3> shpr{};
    uint32_t shcsr = 0, cfsr = 0, hfsr = 0, mmfar = 0, bfar = 0;
    uint32_t fpccr = 0xC000'0000, fpcar = 0, fpdscr = 0;
  } scb;
  // DEMCR (SCS) and the DWT's cycle counter (scs.cc): CYCCNT is `cyccnt` at `origin` cycles and
  // counts from there while TRCENA and CYCCNTENA are set. Reset at power-on only.
  struct DwtState {
    uint32_t demcr = 0;
    uint32_t ctrl = 0x4000'0000;  // NUMCOMP = 4
    uint32_t cyccnt = 0;
    uint64_t origin = 0;
  } dwt;
  // Cycles up to the instruction running now, also inside a translated block (icount runs
  // ahead to the block's end): what a load of DWT_CYCCNT sees.
  uint64_t cycles_now();
  uint64_t instructions_now() const { return cycle_model ? retired : icount; }
  uint32_t dwt_cyccnt();
  void dwt_set(uint32_t demcr, uint32_t ctrl);
  void dwt_write_cyccnt(uint32_t value);
  uint32_t debug_pc() const;
  struct SysTick {
    uint32_t ctrl = 0, load = 0;
    uint64_t origin_ps = 0;  // VAL was reloaded at this time
    bool countflag = false;
    uint64_t next_wrap_ps = UINT64_MAX;
  } systick;
  struct Nvic {
    std::array<uint32_t, 3> enabled{}, pending{};
    std::array<uint8_t, kIrqCount> level{};  // sources driving each input high
    std::array<uint8_t, kIrqCount> priority{};
  } nvic;

  void reset_peripherals();
  uint64_t mmio_read(uint32_t address, unsigned size);
  void mmio_write(uint32_t address, unsigned size, uint32_t value);
  bool known_peripheral(uint32_t address) const;
  uint32_t hclk_hz() const override;
  uint32_t pclk1_hz() const override;
  uint32_t pclk2_hz() const override;
  void clock_changed();
  uint8_t leds() const;
  void systick_schedule();
  uint32_t systick_val() const;
  unsigned uart_frame_bits() const;
  uint32_t uart_baud() const;
  struct UartPort {
    std::vector<UartByte> tx;
    std::string text;
  };
  std::array<UartPort, kUartCount> uart_ports;

  // ---- DeviceHost ----
  uint64_t now_ps() const override;
  void set_irq(unsigned irq, bool level) override;
  void reschedule(uint64_t at_ps) override;
  void event(MachineEvent::Kind kind, std::string text) override;
  void bus_error(uint32_t address, bool write) override;
  bool clock_enabled(ClockGate gate) const override;
  bool dma_transfer(uint32_t address, uint8_t* data, unsigned size, bool write) override;
  void dma_requests_changed() override;

  // ---- NVIC and exceptions (nvic.cc) ----
  int exception_priority(uint32_t number) const;
  int group_priority(int priority) const;
  int execution_priority(bool with_primask) const;
  std::optional<uint32_t> highest_pending() const;  // enabled and pending, by priority
  bool take_pending_exception();                    // entered one (or faulted trying)
  bool wake_pending() const;                        // WFI ends
  bool block_changes_mask(uint32_t address, uint32_t size);
  bool unmask_watch = false;  // something is pending but masked: stop after MSR/CPS
  void nvic_enable(unsigned word, uint32_t bits);
  void nvic_pend_word(unsigned word, uint32_t bits);
  void nvic_unpend_word(unsigned word, uint32_t bits);
  void nvic_set_pending(unsigned irq);
  uint32_t nvic_active_word(unsigned word) const;
  bool exception_active(uint32_t number) const;
  uint32_t icsr() const;
  void write_icsr(uint32_t value);
  uint32_t shcsr() const;
  void priorities_changed();

  // ---- flash controller (flash_interface.cc) ----
  // A store by the CPU (or the debugger) to a flash address. Applies the programming rules.
  void flash_store(uint32_t address, unsigned size, uint64_t value);
  void flash_start_operation();  // CR.STRT
  bool sector_protected(unsigned sector) const { return (opt_nwrp & (1u << sector)) == 0; }
  // The cell-level operations shared by the controller and the ROM (with steps, cuts, file).
  // Return false when the power was cut during the operation.
  bool cell_program(uint32_t address, const uint8_t* data, unsigned size, uint64_t start_ps);
  bool cell_erase(uint32_t address, uint32_t size, uint64_t start_ps, uint64_t duration_ps,
                  const std::string& what);
  void flash_changed(uint32_t address, uint32_t size);
  void flash_busy(uint64_t duration_ps);

  // ---- CPU (machine.cc) ----
  void open_engine();
  void close_engine();
  void do_reset(uint32_t csr_flags, ResetCause cause);
  void start_cpu_at(uint32_t vector_table);
  void run_cpu_until(uint64_t t_ps);
  void raise_fault(const std::string& kind, uint32_t address, bool precise);
  void take_fault(const PendingFault& fault);
  bool enter_exception(uint32_t number, uint32_t return_pc);
  void exception_return(uint32_t exc_return);
  void set_core_mode(uint32_t ipsr, uint32_t control, uint32_t msp, uint32_t psp);
  void request_stop(StopWhy why);
  void request_reset(uint32_t flags);
  uint8_t* host_pointer(uint32_t address, uint32_t size);
  // Executable memory changed behind Unicorn's back (a host-side write: the probe, the ROM
  // model, the flash controller, bit-band stores, exception frames): drops the translated blocks
  // over [address, address + size) so the core executes what is there now. The core's own
  // stores to SRAM are caught by Unicorn itself. Not for CCM (never executable).
  void code_written(uint32_t address, uint32_t size);
  bool bus_read(uint32_t address, uint8_t* out, uint32_t size);
  uint64_t next_deadline_ps() const;
  uint64_t idle_loop_instructions(uint64_t deadline);
};

}  // namespace vstm32
