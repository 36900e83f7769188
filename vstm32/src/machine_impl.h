// SPDX-License-Identifier: Apache-2.0
// Private state of vstm32::Machine, shared by machine.cc (CPU, time, power, ROM bus, API) and
// peripherals.cc (the memory-mapped peripherals and the flash controller).
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

struct Machine::Impl {
  Impl(Machine& machine, const MachineConfig& cfg);
  ~Impl();

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
  bool stop_at_block = false;           // stop when the next translated block starts (request_stop)
  bool stopped_at_block_start = false;  // ... and it did: the previous block ran to its end
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
  };
  std::array<BlockCount, 4096> block_counts{};
  uint32_t code_generation = 1;  // code_written bumps it: cached counts older than it are stale
  // A run stopped inside the current block (a callback stopped it, a fault, a breakpoint): only
  // the instructions before `stop_pc` ran, not the whole block the block hook counted.
  void settle_icount(uint32_t stop_pc);
  void set_icount(uint64_t exact);  // lowers an over-count to the instructions that ran
  bool in_emulation = false;
  bool dying = false;  // a power cut happened inside a Unicorn callback
  uint64_t now_ps() const;
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
  struct PendingFault {
    std::string kind;
    uint32_t address = 0;
    bool precise = true;
    std::optional<uint32_t> pc;  // the faulting instruction, when known inside the callback
  };
  std::optional<PendingFault> pending_fault;
  uint32_t current_exception = 0;         // IPSR as we track it
  std::vector<uint32_t> exception_stack;  // preempted exception numbers
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
  std::set<uint32_t> unmodelled_reported;
  void event(MachineEvent::Kind kind, std::string text);
  void flush_program_run();

  // ---- UART text kept for tests ----
  std::string uart_text;
  std::vector<UartByte> uart_tx;

  // ---- option bytes ----
  uint8_t opt_rdp = 0xAA;
  uint16_t opt_nwrp = 0x0FFF;
  uint8_t opt_user = 0xEC;
  void refresh_optpage();

  // ---- peripherals (peripherals.cc) ----
  struct Rcc {
    uint32_t cr = 0x83, pllcfgr = 0x2400'3010, cfgr = 0, cir = 0;
    uint32_t ahb1enr = 0x0010'0000, ahb2enr = 0, ahb3enr = 0, apb1enr = 0, apb2enr = 0;
    uint32_t ahb1lpenr = 0x7E67'91FF, apb1lpenr = 0x36FE'C9FF, apb2lpenr = 0x0007'5F33;
    uint32_t bdcr = 0, csr = 0, sscgr = 0, plli2scfgr = 0x2000'3000;
  } rcc;
  struct FlashCtl {
    uint32_t acr = 0, cr = fcr::kLock, sr = 0, optcr = 0x0FFF'AAED;
    int key_stage = 0;  // 0 none, 1 first key seen
    bool key_locked_until_reset = false;
    int optkey_stage = 0;
    uint64_t busy_until_ps = 0;
    uint32_t eop_pending = 0;  // EOP to raise when the busy time ends
  } fctl;
  uint32_t crc_dr = 0xFFFF'FFFF;
  uint8_t crc_idr = 0;
  struct Iwdg {
    bool running = false;
    bool access = false;
    uint32_t pr = 0, rlr = 0xFFF;
    uint64_t deadline_ps = 0;
    uint64_t busy_until_ps = 0;  // SR PVU/RVU
  } iwdg;
  struct Usart {
    uint32_t sr = 0x00C0, brr = 0, cr1 = 0, cr2 = 0, cr3 = 0, gtpr = 0;
    uint16_t rx_dr = 0;
    uint64_t tx_start_ps = 0;  // start bit of the last byte written to DR
    uint64_t tx_end_ps = 0;    // its stop bit ends
  } usart;
  struct Gpio {
    uint32_t moder, otyper, ospeedr, pupdr, odr, lckr, afrl, afrh;
  };
  std::array<Gpio, 9> gpio{};
  struct Scb {
    uint32_t vtor = 0, aircr = 0xFA05'0000, scr = 0, ccr = 0x200, cpacr = 0;
    std::array<uint32_t, 3> shpr{};
    uint32_t shcsr = 0, cfsr = 0, hfsr = 0, mmfar = 0, bfar = 0;
  } scb;
  struct SysTick {
    uint32_t ctrl = 0, load = 0;
    uint64_t origin_ps = 0;  // VAL was reloaded at this time
    bool countflag = false;
    uint64_t next_wrap_ps = UINT64_MAX;
  } systick;
  std::array<uint32_t, 8> nvic_iser{};
  std::array<uint8_t, 82> nvic_ipr{};
  std::map<uint32_t, uint32_t> plain_regs;  // modelled-as-storage registers of other peripherals

  void reset_peripherals();
  uint64_t mmio_read(uint32_t address, unsigned size);
  void mmio_write(uint32_t address, unsigned size, uint32_t value);
  bool known_peripheral(uint32_t address) const;
  uint32_t hclk_hz() const;
  uint32_t sysclk() const;
  uint32_t pclk2_hz() const;
  void clock_changed();
  void set_gpio_odr(unsigned port, uint32_t odr);
  uint8_t leds() const;
  void iwdg_reload();
  void systick_schedule();
  uint32_t systick_val() const;
  unsigned uart_frame_bits() const;
  uint32_t uart_baud() const;

  // ---- flash controller (peripherals.cc) ----
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
