// SPDX-License-Identifier: Apache-2.0
// vstm32::Machine: the CPU (Unicorn), time, power and reset, exceptions, fault injection, the
// ROM bootloader's bus and the public API. Peripherals are in peripherals.cc.
#include "vstm32/machine.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <unicorn/unicorn.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "format/flash_map.h"
#include "format/hex.h"
#include "gpio.h"
#include "iwdg.h"
#include "machine_impl.h"
#include "rcc.h"
#include "usart.h"

namespace vstm32 {

namespace fm = fota::flash_map;

namespace {

using fota::hex32;

constexpr uint32_t kSysMemBase = 0x1FFF'0000;
constexpr uint32_t kSysMemSize = 0x8000;  // system memory, OTP, UID, flash size register
constexpr uint32_t kOptPageBase = 0x1FFF'C000;
constexpr uint32_t kOptPageSize = 0x1000;
constexpr uint32_t kApbAhb1Base = 0x4000'0000;
constexpr uint32_t kApbAhb1Size = 0x0008'0000;
constexpr uint32_t kAhb2Base = 0x5000'0000;
constexpr uint32_t kAhb2Size = 0x0006'1000;
constexpr uint32_t kPpbBase = 0xE000'0000;
constexpr uint32_t kPpbSize = 0x0010'0000;
constexpr uint32_t kSramBitBand = 0x2200'0000;
constexpr uint32_t kPeriphBitBand = 0x4200'0000;
constexpr uint32_t kBitBandSize = 0x0200'0000;
constexpr uint64_t kMaxSliceInstructions = 200'000;

void check(uc_err err, const char* what) {
  if (err != UC_ERR_OK) {
    std::fprintf(stderr, "vstm32: unicorn: %s: %s\n", what, uc_strerror(err));
    std::abort();  // only on a broken Unicorn install: every call here is valid by design
  }
}

Machine::Impl* impl_of(void* user) {
  return static_cast<Machine::Impl*>(user);
}

// Unicorn MMIO callbacks of the region mapped at kBase: Unicorn passes the offset in the region,
// the bus takes the address.
template <uint32_t kBase>
uint64_t region_read(uc_engine*, uint64_t offset, unsigned size, void* user) {
  return impl_of(user)->mmio_read(kBase + static_cast<uint32_t>(offset), size);
}
template <uint32_t kBase>
void region_write(uc_engine*, uint64_t offset, unsigned size, uint64_t value, void* user) {
  impl_of(user)->mmio_write(kBase + static_cast<uint32_t>(offset), size,
                            static_cast<uint32_t>(value));
}
template <uint32_t kBase>
uc_err map_region(uc_engine* uc, uint32_t size, Machine::Impl* impl) {
  return uc_mmio_map(uc, kBase, size, region_read<kBase>, impl, region_write<kBase>, impl);
}

// Bit-band aliases: one word per bit of the SRAM / peripheral region.
uint64_t sram_bb_read(uc_engine*, uint64_t offset, unsigned, void* user) {
  auto* m = impl_of(user);
  const uint32_t byte = static_cast<uint32_t>(offset >> 5);
  const unsigned bit = (offset >> 2) & 7;
  return byte < m->sram.size() ? (m->sram[byte] >> bit) & 1u : 0u;
}
void sram_bb_write(uc_engine*, uint64_t offset, unsigned, uint64_t value, void* user) {
  auto* m = impl_of(user);
  const uint32_t byte = static_cast<uint32_t>(offset >> 5);
  const unsigned bit = (offset >> 2) & 7;
  if (byte >= m->sram.size()) return;
  if (value & 1u) {
    m->sram[byte] = static_cast<uint8_t>(m->sram[byte] | (1u << bit));
  } else {
    m->sram[byte] = static_cast<uint8_t>(m->sram[byte] & ~(1u << bit));
  }
  m->code_written(kSramBase + byte, 1);
}
uint64_t periph_bb_read(uc_engine*, uint64_t offset, unsigned, void* user) {
  auto* m = impl_of(user);
  const uint32_t word = kApbAhb1Base + static_cast<uint32_t>((offset >> 5) & ~3u);
  const unsigned bit = static_cast<unsigned>((offset >> 2) & 31);
  return (m->mmio_read(word, 4) >> bit) & 1u;
}
void periph_bb_write(uc_engine*, uint64_t offset, unsigned, uint64_t value, void* user) {
  auto* m = impl_of(user);
  const uint32_t word = kApbAhb1Base + static_cast<uint32_t>((offset >> 5) & ~3u);
  const unsigned bit = static_cast<unsigned>((offset >> 2) & 31);
  uint32_t v = static_cast<uint32_t>(m->mmio_read(word, 4));
  v = (value & 1u) ? (v | (1u << bit)) : (v & ~(1u << bit));
  m->mmio_write(word, 4, v);
}

// Stores to flash, the boot alias, system memory/OTP and option bytes arrive here (those pages
// are mapped read/execute only): the flash controller decides what happens.
bool write_prot_hook(uc_engine*, uc_mem_type, uint64_t address, int size, int64_t value,
                     void* user) {
  auto* m = impl_of(user);
  uint32_t a = static_cast<uint32_t>(address);
  if (a < kFlashSize && !m->boot0) a += kFlashBase;  // boot alias of main flash
  if (a >= kFlashBase && a < kFlashBase + kFlashSize) {
    m->flash_store(a, static_cast<unsigned>(size), static_cast<uint64_t>(value));
  } else if (a >= 0x1FFF'7800 && a < 0x1FFF'7A10 && (m->fctl.cr & fcr::kPg) &&
             !(m->fctl.cr & fcr::kLock)) {
    // OTP programming goes through the flash controller like main flash (no erase exists).
    for (int i = 0; i < size; ++i) {
      m->sysmem[a - kSysMemBase + static_cast<uint32_t>(i)] &=
          static_cast<uint8_t>(static_cast<uint64_t>(value) >> (8 * i));
    }
    m->code_written(a, static_cast<uint32_t>(size));
  } else {
    m->raise_fault("bus-error write to read-only memory", a, false);
  }
  return true;
}

bool unmapped_hook(uc_engine* uc, uc_mem_type type, uint64_t address, int, int64_t, void* user) {
  const char* what = type == UC_MEM_FETCH_UNMAPPED   ? "bus-error fetch"
                     : type == UC_MEM_WRITE_UNMAPPED ? "bus-error write"
                                                     : "bus-error read";
  auto* m = impl_of(user);
  // A store goes through the write buffer: its bus error comes back imprecise (IMPRECISERR).
  const bool precise = type != UC_MEM_WRITE_UNMAPPED;
  m->pending_fault = Machine::Impl::PendingFault{what, static_cast<uint32_t>(address), precise, {}};
  uint32_t pc = 0;
  if (uc_reg_read(uc, UC_ARM_REG_PC, &pc) == UC_ERR_OK) m->pending_fault->pc = pc;
  return false;  // Unicorn stops with an error; the run loop takes the fault
}

// Counts instructions per translated block, before the block runs; keeps time within a slice.
// A run that stops inside the block corrects the count afterwards (settle_icount).
void block_hook(uc_engine* uc, uint64_t address, uint32_t size, void* user) {
  auto* m = impl_of(user);
  const uint32_t a = static_cast<uint32_t>(address);
  // A stop requested by the previous block (request_stop): Unicorn leaves before the block's
  // first instruction, but its PC can be stale (the previous block's last instruction when that
  // block jumped straight into this one), so the run resumes at this block's address.
  // After a watchpoint's stop (taken after its access completed) no block runs either.
  if (m->stop_at_block || m->watch_stopping) {
    m->stopped_at_block = a;
    uc_emu_stop(uc);
    return;
  }
  if (m->cycle_model) {
    m->count_block_cycles(a, size);
  } else {
    m->block_address = a;
    m->block_size = size;
    m->block_icount = m->icount;
    m->icount += m->block_instructions(a, size);
  }
  // An exception is pending but masked: a block that may unmask it (CPS, MSR) ends the run.
  if (m->unmask_watch && m->block_changes_mask(a, size)) {
    m->request_stop(Machine::Impl::StopWhy::kException);
  }
}

void watch_hook(uc_engine* uc, uc_mem_type type, uint64_t address, int size, int64_t, void* user) {
  auto* m = impl_of(user);
  if (m->watch_stopping) return;
  const bool write = type == UC_MEM_WRITE;
  for (const Machine::Impl::Watchpoint& w : m->watchpoints) {
    if ((w.kind == Machine::WatchKind::kWrite && !write) ||
        (w.kind == Machine::WatchKind::kRead && write)) {
      continue;
    }
    if (address + static_cast<uint64_t>(size) <= w.address ||
        address >= uint64_t{w.address} + w.length) {
      continue;
    }
    m->watch_hit = Machine::WatchHit{w.kind, std::max(static_cast<uint32_t>(address), w.address)};
    m->watch_stopping = true;
    uc_reg_read(uc, UC_ARM_REG_PC, &m->watch_pc);
    m->debug_stop = true;
    m->stop_why = Machine::Impl::StopWhy::kBreakpoint;
    uc_emu_stop(uc);  // the access completes; the run ends before the next instruction
    return;
  }
}

void breakpoint_hook(uc_engine* uc, uint64_t, uint32_t, void* user) {
  auto* m = impl_of(user);
  if (!m->breakpoint_hit_ns) {
    m->breakpoint_hit_ns = m->now_ns();  // made exact once the run has stopped (run_cpu_until)
    m->stop_why = Machine::Impl::StopWhy::kBreakpoint;
    uc_emu_stop(uc);
  }
}

void debug_breakpoint_hook(uc_engine* uc, uint64_t address, uint32_t, void* user) {
  auto* m = impl_of(user);
  const auto a = static_cast<uint32_t>(address);
  if (m->pass_breakpoint && *m->pass_breakpoint == a) {
    m->pass_breakpoint.reset();  // resuming from this breakpoint: the instruction runs
    return;
  }
  if (m->debug_breakpoints.count(a) == 0) return;  // removed (its hook stays until reset)
  m->debug_stop = true;
  m->stop_why = Machine::Impl::StopWhy::kBreakpoint;
  uc_emu_stop(uc);
}

// SVC (2), BKPT (7) and exception returns (a branch to 0xFFFFFFxx shows up as a prefetch abort).
void interrupt_hook(uc_engine* uc, uint32_t intno, void* user) {
  auto* m = impl_of(user);
  uint32_t pc = 0;
  uc_reg_read(uc, UC_ARM_REG_PC, &pc);
  if ((pc & 0xFFFF'FF00u) == 0xFFFF'FF00u) {
    m->exc_return_pending = true;
    m->exc_return_value = pc | 1u;
  } else if (intno == 2) {
    m->pending_exceptions |= 1u << 11;  // SVCall: taken at once (the return address is next)
  } else if (intno == 7) {
    m->pending_fault = Machine::Impl::PendingFault{"bkpt without a debugger", pc, true};
  } else if (intno == 3) {  // prefetch abort: a fetch from a region the core cannot execute
    m->pending_fault = Machine::Impl::PendingFault{"bus-error fetch", pc, true, pc};
  } else {
    m->pending_fault =
        Machine::Impl::PendingFault{"cpu exception " + std::to_string(intno), pc, true};
  }
  m->stop_why = Machine::Impl::StopWhy::kException;
  uc_emu_stop(uc);
}

}  // namespace

const char* to_string(ResetCause cause) {
  switch (cause) {
    case ResetCause::kPowerOn: return "por";
    case ResetCause::kPin: return "pin";
    case ResetCause::kSoftware: return "software";
    case ResetCause::kWatchdog: return "iwdg";
    case ResetCause::kRom: return "rom";
  }
  return "?";
}

const char* to_string(Mode mode) {
  switch (mode) {
    case Mode::kOff: return "off";
    case Mode::kReset: return "reset";
    case Mode::kRom: return "rom";
    case Mode::kCpu: return "cpu";
    case Mode::kLockup: return "lockup";
  }
  return "?";
}

uint64_t sector_erase_typical_ns(unsigned sector, unsigned psize) {
  static constexpr uint64_t k16[] = {400, 300, 250, 250};
  static constexpr uint64_t k64[] = {1200, 700, 550, 550};
  static constexpr uint64_t k128[] = {2000, 1300, 1000, 1000};
  const unsigned p = std::min(psize, 3u);
  const uint32_t size = fm::kSectors[std::min<unsigned>(sector, fm::kSectorCount - 1)].size;
  const uint64_t ms = size == 16 * 1024 ? k16[p] : size == 64 * 1024 ? k64[p] : k128[p];
  return ms * 1'000'000;
}

uint64_t sector_erase_max_ns(unsigned sector, unsigned psize) {
  return 2 * sector_erase_typical_ns(sector, psize);  // DS8626: max = 2 x typical at every width
}

// ---------------------------------------------------------------------------------------------
// Impl: construction, events, time

Machine::Impl::Impl(Machine& machine, const MachineConfig& cfg)
    : self(machine),
      config(cfg),
      flash(kFlashSize, 0xFF),
      sram(kSramSize, 0),
      ccm(kCcmSize, 0),
      sysmem(kSysMemSize, 0),
      optpage(kOptPageSize, 0xFF),
      bkpsram(4096, 0),
      rom(machine, cfg.rom_version) {
  boot0 = cfg.boot0;
  cycle_model = cfg.cycle_model;
  rng = cfg.seed * 0x9E37'79B9'7F4A'7C15ull + 1;
  // System memory: the ROM's code is not modelled (zeros), but the bytes users read are here.
  sysmem[0x77DE] = rom::version_id_byte(cfg.rom_version);
  std::fill(sysmem.begin() + 0x7800, sysmem.begin() + 0x7A10, 0xFF);  // OTP erased
  std::copy(cfg.unique_id.begin(), cfg.unique_id.end(), sysmem.begin() + 0x7A10);
  sysmem[0x7A22] = 0x00;  // flash size: 1024 KB
  sysmem[0x7A23] = 0x04;
  rom.set_product_id(cfg.product_id);
  rom.set_trace(
      [this](uint64_t, const std::string& line) { event(MachineEvent::Kind::kRom, line); });
  refresh_optpage();
  build_devices();
  reset_peripherals();
}

Machine::Impl::~Impl() {
  close_engine();
  if (fd >= 0) ::close(fd);
}

void Machine::Impl::refresh_optpage() {
  std::fill(optpage.begin(), optpage.end(), 0xFF);
  // RM0090 option bytes: USER, RDP at 0x1FFF'C000; nWRP at 0x1FFF'C008 (with complements).
  optpage[0] = opt_user;
  optpage[1] = opt_rdp;
  optpage[2] = static_cast<uint8_t>(~opt_user);
  optpage[3] = static_cast<uint8_t>(~opt_rdp);
  optpage[8] = static_cast<uint8_t>(opt_nwrp);
  optpage[9] = static_cast<uint8_t>(opt_nwrp >> 8);
  optpage[10] = static_cast<uint8_t>(~opt_nwrp);
  optpage[11] = static_cast<uint8_t>(~opt_nwrp >> 8);
  fctl.optcr = (fctl.optcr & 0x3u) | (uint32_t{opt_nwrp} << 16) | (uint32_t{opt_rdp} << 8) |
               (uint32_t{opt_user} & 0xE0u) | 0x0Cu;
}

static std::filesystem::path option_file(const std::filesystem::path& flash_file) {
  return flash_file.string() + ".opt";
}

void Machine::Impl::save_option_bytes() {
  if (config.flash_file.empty()) return;
  const std::filesystem::path path = option_file(config.flash_file);
  const int out = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const bool ok = out >= 0 && ::write(out, optpage.data(), 16) == 16 && ::fsync(out) == 0;
  if (out >= 0) ::close(out);
  if (!ok) event(MachineEvent::Kind::kInfo, "error: cannot write the option bytes file");
}

fota::Expected<void> Machine::Impl::load_option_bytes() {
  const std::filesystem::path path = option_file(config.flash_file);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return {};  // never changed: factory values
  uint8_t b[16] = {};
  const int in = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  const bool read_ok = in >= 0 && ::read(in, b, sizeof b) == static_cast<ssize_t>(sizeof b);
  if (in >= 0) ::close(in);
  // USER/RDP and nWRP are stored with their complements (RM0090 option byte organisation).
  if (!read_ok || static_cast<uint8_t>(~b[0]) != b[2] || static_cast<uint8_t>(~b[1]) != b[3] ||
      static_cast<uint8_t>(~b[8]) != b[10] || static_cast<uint8_t>(~b[9]) != b[11]) {
    return fota::fail("option bytes file " + path.string() +
                      " is damaged (16 bytes with complements expected); delete it for factory "
                      "values");
  }
  opt_user = b[0];
  opt_rdp = b[1];
  opt_nwrp = static_cast<uint16_t>((b[8] | b[9] << 8) & 0x0FFF);
  refresh_optpage();
  return {};
}

void Machine::Impl::event(MachineEvent::Kind kind, std::string text) {
  if (kind != MachineEvent::Kind::kFlash || text.rfind("flash program", 0) != 0) {
    flush_program_run();
  }
  MachineEvent e{now_ns(), kind, std::move(text)};
  if (listener) listener(e);
  events.push_back(std::move(e));
  if (events.size() > 100'000) events.erase(events.begin(), events.begin() + 50'000);
}

void Machine::Impl::flush_program_run() {
  if (program_run.ops == 0) return;
  const ProgramRun run = program_run;
  program_run = {};
  char text[96];
  std::snprintf(text, sizeof text, "flash program 0x%08X..0x%08X (%llu ops)", run.begin, run.end,
                static_cast<unsigned long long>(run.ops));
  MachineEvent e{run.at_ns, MachineEvent::Kind::kFlash, text};
  if (listener) listener(e);
  events.push_back(std::move(e));
}

namespace {
__extension__ typedef unsigned __int128 Wide;  // products of ps and Hz overflow 64 bits
}  // namespace

uint64_t Machine::Impl::now_ps() const {
  return base_ps + static_cast<uint64_t>(Wide{icount - base_icount} * kPsPerSecond / instr_hz);
}

uint64_t Machine::Impl::instructions_in(uint64_t ps) const {
  return static_cast<uint64_t>(Wide{ps} * instr_hz / kPsPerSecond);
}

void Machine::Impl::rebase_time() {
  base_ps = now_ps();
  base_icount = icount;
}

void Machine::Impl::add_stall_ps(uint64_t ps) {
  rebase_time();
  base_ps += ps;
}

void Machine::Impl::set_time_ps(uint64_t ps) {
  if (ps > now_ps()) {
    rebase_time();
    base_ps = ps;
  }
}

uint64_t Machine::Impl::next_random() {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

// ---------------------------------------------------------------------------------------------
// Memory seen by the host side (ROM model, debugger, block decoder)

uint8_t* Machine::Impl::host_pointer(uint32_t address, uint32_t size) {
  const uint64_t end = uint64_t{address} + size;
  if (address < kFlashSize && end <= kFlashSize) {
    if (boot0) return address + size <= kSysMemSize ? &sysmem[address] : nullptr;
    return &flash[address];
  }
  if (address >= kFlashBase && end <= kFlashBase + kFlashSize) return &flash[address - kFlashBase];
  if (address >= kSramBase && end <= kSramBase + kSramSize) return &sram[address - kSramBase];
  if (address >= kCcmBase && end <= kCcmBase + kCcmSize) return &ccm[address - kCcmBase];
  if (address >= kSysMemBase && end <= kSysMemBase + kSysMemSize) {
    return &sysmem[address - kSysMemBase];
  }
  if (address >= kOptPageBase && end <= kOptPageBase + 16) return &optpage[address - kOptPageBase];
  return nullptr;
}

// Thumb-2: a halfword whose top five bits are 0b11101, 0b11110 or 0b11111 starts a 32-bit
// instruction, every other halfword is a 16-bit one.
uint64_t Machine::Impl::count_instructions(uint32_t address, uint32_t size) {
  const uint8_t* p = host_pointer(address, size);
  if (p == nullptr) return size / 2;
  uint64_t n = 0;
  for (uint32_t i = 0; i + 1 < size; ++n) {
    i += 2u + 2u * static_cast<uint32_t>(p[i + 1] >= 0xE8u);  // branch-free: this is hot
  }
  return n;
}

// Blocks in flash, the boot alias and system memory change only through the machine (flash
// controller, load_flash, OTP), which calls code_written: their counts are cached (the hot path:
// one lookup per executed block). SRAM blocks are decoded every time: the core's own stores can
// rewrite them without the machine seeing it.
uint64_t Machine::Impl::block_instructions(uint32_t address, uint32_t size) {
  const bool cacheable = address < kSramBase;
  if (!cacheable) return std::max<uint64_t>(count_instructions(address, size), 1);
  BlockCount& e = block_counts[(address >> 1) % block_counts.size()];
  if (e.address != address || e.size != size || e.generation != code_generation) {
    e = BlockCount{address, size,
                   static_cast<uint32_t>(std::max<uint64_t>(count_instructions(address, size), 1)),
                   code_generation};
  }
  return e.count;
}

void Machine::Impl::settle_icount(uint32_t stop_pc) {
  if (stopped_at_block) return;  // every instruction counted so far has run
  stop_pc &= ~1u;
  if (stop_pc < block_address || stop_pc >= block_address + block_size) return;  // block done
  if (cycle_model) {
    const uint8_t* p = host_pointer(block_address, stop_pc - block_address);
    if (p == nullptr) return;
    const BlockCost ran = block_cost(p, block_address, stop_pc - block_address, fetch_model());
    retired = block_retired + (stop_pc == block_address ? 0 : ran.instructions);
    pending_refill = 0;  // the block's last instruction did not run
    last_block_end = stop_pc;
    set_icount(block_icount + (stop_pc == block_address ? 0 : ran.cycles));
    return;
  }
  set_icount(block_icount + count_instructions(block_address, stop_pc - block_address));
}

uint64_t Machine::Impl::cycles_now() {
  if (!in_emulation || block_size == 0) return icount;
  const uint32_t at = debug_pc();
  if (at < block_address || at >= block_address + block_size) return icount;
  if (at == block_address) return block_icount;
  if (!cycle_model) return block_icount + count_instructions(block_address, at - block_address);
  const uint8_t* p = host_pointer(block_address, at - block_address);
  if (p == nullptr) return icount;
  return block_icount + block_cost(p, block_address, at - block_address, fetch_model()).cycles;
}

uint32_t Machine::Impl::debug_pc() const {
  uint32_t at = pc;
  if (in_emulation) uc_reg_read(uc, UC_ARM_REG_PC, &at);  // exact at every instruction
  return at & ~1u;
}

uint32_t Machine::Impl::dwt_cyccnt() {
  const bool counting = (dwt.demcr & (1u << 24)) != 0 && (dwt.ctrl & 1u) != 0;
  return counting ? dwt.cyccnt + static_cast<uint32_t>(cycles_now() - dwt.origin) : dwt.cyccnt;
}

void Machine::Impl::dwt_set(uint32_t demcr, uint32_t ctrl) {
  dwt.cyccnt = dwt_cyccnt();
  dwt.origin = cycles_now();
  dwt.demcr = demcr;
  dwt.ctrl = ctrl;
}

void Machine::Impl::dwt_write_cyccnt(uint32_t value) {
  dwt.cyccnt = value;
  dwt.origin = cycles_now();
}

FetchModel Machine::Impl::fetch_model() const {
  return FetchModel{fctl.acr & 7u, (fctl.acr & (1u << 8)) != 0, (fctl.acr & (1u << 9)) != 0};
}

// Cycle model: the block's cycles (cached like the instruction counts), plus the refill of the
// previous block's branch when this block is not its fall-through (the branch was taken).
void Machine::Impl::count_block_cycles(uint32_t address, uint32_t size) {
  if (pending_refill != 0 && address != last_block_end) icount += pending_refill;
  block_address = address;
  block_size = size;
  block_icount = icount;
  block_retired = retired;
  BlockCount* e = nullptr;
  BlockCount fresh;
  if (address < kSramBase) {
    e = &block_counts[(address >> 1) % block_counts.size()];
    if (e->address != address || e->size != size || e->generation != code_generation) e = nullptr;
  }
  if (e == nullptr) {
    const uint8_t* p = host_pointer(address, size);
    const BlockCost c = p != nullptr ? block_cost(p, address, size, fetch_model())
                                     : BlockCost{size / 2, size / 2, 0};
    fresh = BlockCount{address, size, c.instructions, code_generation, c.cycles, c.refill};
    if (address < kSramBase) block_counts[(address >> 1) % block_counts.size()] = fresh;
    e = &fresh;
  }
  icount += e->cycles;
  retired += e->count;
  pending_refill = e->refill;
  last_block_end = address + size;
  // Instructions cost more than one cycle: the instruction count that bounds the slice can
  // overshoot its time; the run ends at the next block instead.
  if (icount >= slice_end_icount && in_emulation) request_stop(StopWhy::kException);
}

void Machine::Impl::set_icount(uint64_t exact) {
  if (exact >= icount) return;
  if (base_icount <= exact) {
    icount = exact;  // time is that of the instructions that ran
    return;
  }
  // Time was re-based inside the over-counted part (a stall or a clock change there): it does
  // not go back below that point.
  const uint64_t t = now_ps();
  icount = exact;
  base_icount = exact;
  base_ps = t;
}

void Machine::Impl::code_written(uint32_t address, uint32_t size) {
  if (++code_generation == 0) {  // every cached block count is stale (after a wrap: cleared)
    block_counts.fill(BlockCount{});
    code_generation = 1;
  }
  if (uc == nullptr || size == 0) return;
  uc_ctl_remove_cache(uc, uint64_t{address}, uint64_t{address} + size);
}

bool Machine::Impl::bus_read(uint32_t address, uint8_t* out, uint32_t size) {
  if (const uint8_t* p = host_pointer(address, size)) {
    std::memcpy(out, p, size);
    return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Engine, reset, exceptions

void Machine::Impl::close_engine() {
  if (uc != nullptr) uc_close(uc);
  uc = nullptr;
}

void Machine::Impl::open_engine() {
  close_engine();
  code_written(0, 0);  // BOOT0 may have changed what the alias at 0 holds: cached counts go
  check(uc_open(UC_ARCH_ARM, UC_MODE_THUMB, &uc), "open");
  check(uc_ctl_set_cpu_model(uc, UC_CPU_ARM_CORTEX_M4), "cpu model");
  const uint32_t rx = UC_PROT_READ | UC_PROT_EXEC;
  // Boot alias at 0: main flash (BOOT0 low) or system memory (BOOT0 high).
  if (boot0) {
    check(uc_mem_map_ptr(uc, 0, kSysMemSize, UC_PROT_ALL, sysmem.data()), "map alias");
    check(uc_mem_protect(uc, 0, kSysMemSize, rx), "protect alias");
  } else {
    check(uc_mem_map_ptr(uc, 0, kFlashSize, UC_PROT_ALL, flash.data()), "map alias");
    check(uc_mem_protect(uc, 0, kFlashSize, rx), "protect alias");
  }
  check(uc_mem_map_ptr(uc, kFlashBase, kFlashSize, UC_PROT_ALL, flash.data()), "map flash");
  check(uc_mem_protect(uc, kFlashBase, kFlashSize, rx), "protect flash");
  check(uc_mem_map_ptr(uc, kCcmBase, kCcmSize, UC_PROT_READ | UC_PROT_WRITE, ccm.data()), "ccm");
  check(uc_mem_map_ptr(uc, kSysMemBase, kSysMemSize, UC_PROT_ALL, sysmem.data()), "sysmem");
  check(uc_mem_protect(uc, kSysMemBase, kSysMemSize, rx), "protect sysmem");
  check(uc_mem_map_ptr(uc, kOptPageBase, kOptPageSize, UC_PROT_ALL, optpage.data()), "opt");
  check(uc_mem_protect(uc, kOptPageBase, kOptPageSize, UC_PROT_READ), "protect opt");
  check(uc_mem_map_ptr(uc, kSramBase, kSramSize, UC_PROT_ALL, sram.data()), "sram");
  check(map_region<kApbAhb1Base>(uc, kApbAhb1Size, this), "apb");
  check(map_region<kAhb2Base>(uc, kAhb2Size, this), "ahb2");
  check(map_region<kPpbBase>(uc, kPpbSize, this), "ppb");
  check(uc_mmio_map(uc, kSramBitBand, kBitBandSize, sram_bb_read, this, sram_bb_write, this),
        "sram bit-band");
  check(uc_mmio_map(uc, kPeriphBitBand, kBitBandSize, periph_bb_read, this, periph_bb_write, this),
        "peripheral bit-band");
  uc_hook hook;
  check(uc_hook_add(uc, &hook, UC_HOOK_MEM_WRITE_PROT, reinterpret_cast<void*>(write_prot_hook),
                    this, 1, 0),
        "write hook");
  check(uc_hook_add(uc, &hook, UC_HOOK_MEM_UNMAPPED, reinterpret_cast<void*>(unmapped_hook), this,
                    1, 0),
        "unmapped hook");
  check(uc_hook_add(uc, &hook, UC_HOOK_BLOCK, reinterpret_cast<void*>(block_hook), this, 1, 0),
        "block hook");
  check(uc_hook_add(uc, &hook, UC_HOOK_INTR, reinterpret_cast<void*>(interrupt_hook), this, 1, 0),
        "interrupt hook");
  for (auto& [address, unused] : debug_breakpoints) add_debug_hook(address);
  for (Watchpoint& w : watchpoints) add_watch_hook(w);
  if (breakpoint && !breakpoint_hit_ns) {
    check(uc_hook_add(uc, &hook, UC_HOOK_CODE, reinterpret_cast<void*>(breakpoint_hook), this,
                      *breakpoint, *breakpoint),
          "breakpoint hook");
  }
}

void Machine::Impl::do_reset(uint32_t csr_flags, ResetCause cause) {
  flush_program_run();
  ++resets;
  last_cause = cause;
  rcc->csr |= csr_flags;
  reset_peripherals();
  pending_reset_flags = 0;
  pending_fault.reset();
  exc_return_pending = false;
  pending_exceptions = 0;
  current_exception = 0;
  exception_stack.clear();
  reset_at_ps.reset();
  go_at.reset();
  wfi = false;
  clock_changed();
  open_engine();
  event(MachineEvent::Kind::kReset,
        std::string("reset cause=") + to_string(cause) + " boot=" + (boot0 ? "system" : "flash"));
  if (boot0) {
    mode = Mode::kRom;
    rom.reset(now_ns());
    return;
  }
  rom.stop();
  start_cpu_at(0);
}

void Machine::Impl::start_cpu_at(uint32_t vector_table) {
  uint8_t vec[8];
  uint32_t sp = 0xFFFF'FFFF, entry = 0xFFFF'FFFF;
  if (bus_read(vector_table, vec, 8)) {
    std::memcpy(&sp, vec, 4);
    std::memcpy(&entry, vec + 4, 4);
  }
  mode = Mode::kCpu;
  const uint32_t msp = sp & ~3u;
  check(uc_reg_write(uc, UC_ARM_REG_MSP, &msp), "msp");
  check(uc_reg_write(uc, UC_ARM_REG_SP, &msp), "sp");
  pc = entry;
  if ((entry & 1u) == 0) {
    // Vector fetch of a non-Thumb address: INVSTATE at the first instruction, then HardFault.
    pending_fault = PendingFault{"invalid reset vector (no Thumb bit)", entry, true};
  }
}

void Machine::Impl::raise_fault(const std::string& kind, uint32_t address, bool precise) {
  if (!pending_fault) {
    pending_fault = PendingFault{kind, address, precise, {}};
    uint32_t at = 0;
    if (uc != nullptr && in_emulation && uc_reg_read(uc, UC_ARM_REG_PC, &at) == UC_ERR_OK) {
      pending_fault->pc = at;
    }
  }
  request_stop(StopWhy::kFault);
}

// A callback asks the run to stop. Unicorn (2.0.1, measured) stopped from inside a store's
// callback abandons that instruction after its bus access (PC stays on it, a post-indexed
// store's write-back is lost), so resuming would do the store twice. Stops that do not undo the
// access (an exception the store pended, an imprecise bus error) wait for the start of the next
// translated block instead, where every instruction before it has completed: within the few
// instructions (up to the next branch) that the architecture allows before the ISB that software
// puts after such a store. Precise faults (the access did not happen), resets and power cuts stop
// at once.
void Machine::Impl::request_stop(StopWhy why) {
  if (stop_why == StopWhy::kNone || why == StopWhy::kPowerCut) stop_why = why;
  if (uc == nullptr || !in_emulation) return;
  const bool after_access = why == StopWhy::kException ||
                            (why == StopWhy::kFault && pending_fault && !pending_fault->precise);
  if (after_access) {
    stop_at_block = true;
  } else {
    uc_emu_stop(uc);
  }
}

void Machine::Impl::request_reset(uint32_t flags) {
  pending_reset_flags |= flags;
  request_stop(StopWhy::kReset);
}

// Every fault escalates to HardFault (HFSR.FORCED; MemManage/BusFault/UsageFault handlers are
// not modelled) with the CFSR bits of the fault underneath. A precise fault stacks the faulting
// instruction; an imprecise one the instruction the core had reached (the store retired).
void Machine::Impl::take_fault(const PendingFault& fault) {
  const uint32_t fault_pc = fault.pc.value_or(pc);
  const uint32_t return_pc = fault.precise ? fault_pc : pc;
  char text[160];
  std::snprintf(text, sizeof text, "fault %s address=0x%08X pc=0x%08X%s", fault.kind.c_str(),
                fault.address, fault_pc & ~1u,
                current_exception == 3 ? " in HardFault handler: lockup" : "");
  event(MachineEvent::Kind::kFault, text);
  scb.hfsr |= 1u << 30;  // FORCED: escalated to HardFault (fault handlers are not enabled)
  if (fault.kind.find("bus-error fetch") != std::string::npos) {
    // ARMv7-M default memory map: peripherals, external devices and the system region are
    // execute-never (MemManage IACCVIOL); elsewhere an instruction bus error (IBUSERR).
    const uint32_t a = fault.address;
    const bool xn = a >= 0x4000'0000u && (a < 0x6000'0000u || a >= 0xA000'0000u);
    scb.cfsr |= xn ? 1u << 0 : 1u << 8;
  } else if (fault.kind.find("bus-error") != std::string::npos) {
    scb.cfsr |= fault.precise ? (1u << 9) | (1u << 15) : (1u << 10);  // PRECISERR+BFARVALID
    if (fault.precise) scb.bfar = fault.address;
  } else if (fault.kind.find("undefined") != std::string::npos) {
    scb.cfsr |= 1u << 16;  // UNDEFINSTR
  } else if (fault.kind.find("Thumb") != std::string::npos) {
    scb.cfsr |= 1u << 17;  // INVSTATE
  }
  if (current_exception == 3 || !enter_exception(3, return_pc)) {
    mode = Mode::kLockup;
    if (current_exception != 3) event(MachineEvent::Kind::kFault, "lockup: HardFault entry failed");
  }
}

// The core at a branch to itself (`b .`, `b.w .`: a HardFault handler or a hang waiting for the
// watchdog) changes nothing but time until an event (an interrupt, a reset, a cut), so the
// instructions up to `deadline` are counted without running them. 0: not such a loop (or a
// breakpoint is armed there).
uint64_t Machine::Impl::idle_loop_instructions(uint64_t deadline) {
  const uint32_t at = pc & ~1u;
  const uint8_t* p = host_pointer(at, 4);
  if (p == nullptr || (breakpoint && !breakpoint_hit_ns && *breakpoint == at)) return 0;
  if (single_step || debug_breakpoints.count(at) != 0) return 0;
  const uint16_t first = static_cast<uint16_t>(p[0] | p[1] << 8);
  const uint16_t second = static_cast<uint16_t>(p[2] | p[3] << 8);
  if (first != 0xE7FE && !(first == 0xF7FF && second == 0xBFFE)) return 0;
  uint32_t xpsr = 0;
  uc_reg_read(uc, UC_ARM_REG_XPSR, &xpsr);
  if ((xpsr & 0x0600'FC00u) != 0) return 0;  // inside an IT block: the branch is conditional
  const uint64_t now = now_ps();
  uint64_t n = std::max<uint64_t>(instructions_in(deadline > now ? deadline - now : 0), 1);
  if (cut.kind == CutPlan::Kind::kInstructions) {  // 2 cycles a `b .` with the cycle model
    const uint64_t done = instructions_now();
    const uint64_t left = cut.at > done ? cut.at - done : 1;
    n = std::min<uint64_t>(n, cycle_model ? 2 * left : left);
  }
  return n;
}

uint64_t Machine::Impl::next_deadline_ps() const {
  uint64_t t = UINT64_MAX;
  for (const BusDevice* d : timed_devices) t = std::min(t, d->next_event_ps());
  if ((systick.ctrl & 3u) == 3u) t = std::min(t, systick.next_wrap_ps);
  if (fctl.eop_pending != 0) t = std::min(t, fctl.busy_until_ps);
  return t;
}

void Machine::Impl::run_cpu_until(uint64_t t_ps) {
  while (powered && mode == Mode::kCpu && now_ps() < t_ps) {
    if (pending_fault) {
      const PendingFault f = *pending_fault;
      pending_fault.reset();
      take_fault(f);
      continue;
    }
    // Pending exceptions are taken between translated blocks (nvic.cc), by priority.
    if (take_pending_exception()) continue;
    if (wfi && wake_pending()) wfi = false;
    const uint64_t deadline = std::min(t_ps, next_deadline_ps());
    if (wfi) {  // sleeping: time passes until the next event that could wake the core
      set_time_ps(std::max(deadline, now_ps() + 1));
    } else if (const uint64_t idle = idle_loop_instructions(deadline); idle != 0) {
      icount += idle;  // `b .` until the next event: counted, not run (the same time and count)
      if (cycle_model) retired += idle / (1 + cycles::kRefillImmediate);  // 2 cycles per `b .`
    } else {
      const uint64_t span_ps = deadline > now_ps() ? deadline - now_ps() : 0;
      uint64_t n = std::clamp<uint64_t>(instructions_in(span_ps), 1, kMaxSliceInstructions);
      if (single_step) n = 1;
      if (cut.kind == CutPlan::Kind::kInstructions) {  // Unicorn's count is instructions
        const uint64_t done = instructions_now();
        n = std::min<uint64_t>(n, cut.at > done ? cut.at - done : 1);
      }
      // Unicorn's instruction count ends the slice exactly (an instruction cut is exact) and
      // keeps PC exact at every instruction (its counting hook syncs PC), so a fault names the
      // faulting instruction, not its block. The block hook only keeps time within the slice.
      const uint64_t slice_start = icount;
      slice_end_icount = icount + n;
      slice_end_ps = now_ps() + static_cast<uint64_t>(Wide{n} * kPsPerSecond / instr_hz);
      stop_why = StopWhy::kNone;
      stop_at_block = false;
      stopped_at_block.reset();
      watch_stopping = false;
      block_size = 0;
      in_emulation = true;
      const uc_err err = uc_emu_start(uc, pc | 1u, 0xFFFF'FFFFu, 0, n);
      in_emulation = false;
      uint32_t new_pc = 0;
      uc_reg_read(uc, UC_ARM_REG_PC, &new_pc);
      if (stopped_at_block) new_pc = *stopped_at_block;
      if (watch_stopping && (new_pc & ~1u) == (watch_pc & ~1u)) {
        // Unicorn leaves after the accessing instruction with its PC still on it: behind it.
        const uint8_t* p = host_pointer(new_pc & ~1u, 2);
        new_pc = (new_pc & ~1u) + (p != nullptr && p[1] >= 0xE8u ? 4 : 2);
      }
      settle_icount(new_pc);  // a stop inside a block: only the instructions before PC ran
      if (dying) {
        self.power_off();
        return;
      }
      if (exc_return_pending) {
        exc_return_pending = false;
        exception_return(exc_return_value);
      } else if (err != UC_ERR_OK) {
        pc = new_pc | 1u;
        if (err == UC_ERR_WRITE_UNMAPPED) {
          // The store left for the bus and the core went on: resume behind it.
          const uint8_t* p = host_pointer(new_pc & ~1u, 2);
          pc = ((new_pc & ~1u) + (p != nullptr && p[1] >= 0xE8u ? 4 : 2)) | 1u;
        }
        if (!pending_fault) {
          const char* kind = err == UC_ERR_INSN_INVALID ? "undefined instruction"
                             : err == UC_ERR_FETCH_PROT ? "bus-error fetch (not executable)"
                                                        : uc_strerror(err);
          pending_fault = PendingFault{kind, new_pc, true};
        }
      } else if (stop_why == StopWhy::kException && (pending_exceptions & (1u << 11))) {
        pc = new_pc | 1u;  // SVC: return address is the next instruction
      } else {
        pc = new_pc | 1u;
        if (stop_why == StopWhy::kNone) {
          // Unicorn returns from a WFI with no stop request; otherwise the count was reached:
          // exactly n instructions ran (the block counts over-shoot to the end of the block).
          uint16_t insn = 0;
          if (const uint8_t* p = host_pointer((new_pc & ~1u) - 2, 2)) std::memcpy(&insn, p, 2);
          if (insn == 0xBF30) {
            // WFI does not sleep while an interrupt it would wake for is already pending (also
            // with PRIMASK set).
            wfi = !wake_pending();
          } else if (!cycle_model) {
            set_icount(slice_start + n);
          }
        }
      }
      if (single_step && stop_why != StopWhy::kBreakpoint) {
        single_step = false;
        at_breakpoint = true;  // one instruction ran: advance_to returns
        return;
      }
      if (stop_why == StopWhy::kBreakpoint && debug_stop) {
        stop_why = StopWhy::kNone;
        single_step = false;
        at_breakpoint = true;
        return;
      }
      if (stop_why == StopWhy::kBreakpoint) {
        breakpoint_hit_ns = now_ns();  // the instructions before the breakpoint, not its block
        stop_why = StopWhy::kNone;
        at_breakpoint = true;
        return;  // advance_to returns; the caller sees breakpoint_hit_ns
      }
    }
    // Things that happen at the end of a slice.
    if (!powered) return;
    if (cut.kind == CutPlan::Kind::kInstructions && instructions_now() >= cut.at) {
      power_cut("after " + std::to_string(cut.at) + " instructions", now_ps());
      return;
    }
    if (cut.kind == CutPlan::Kind::kTime && now_ps() >= cut.at * kPsPerNs) {
      power_cut("at t=" + std::to_string(cut.at) + "ns", cut.at * kPsPerNs);
      return;
    }
    const uint64_t now = now_ps();
    if (fctl.eop_pending != 0 && now >= fctl.busy_until_ps) {
      fctl.sr |= fctl.eop_pending & fsr::kEop;
      fctl.eop_pending = 0;
      update_flash_irq();  // EOP with EOPIE pends IRQ 4: a wake-up through the NVIC
    }
    if ((systick.ctrl & 1u) && now >= systick.next_wrap_ps) {
      systick.countflag = true;
      if (systick.ctrl & 2u) pending_exceptions |= 1u << 15;
      systick_schedule();
      wfi = false;
    }
    for (BusDevice* d : timed_devices) {
      if (now >= d->next_event_ps()) d->advance(now);
    }
    if (pending_reset_flags != 0) {
      const uint32_t flags = pending_reset_flags;
      const ResetCause cause = (flags & kCsrIwdg) ? ResetCause::kWatchdog : ResetCause::kSoftware;
      do_reset(flags, cause);
      if (mode != Mode::kCpu) return;
    }
  }
  if (powered && (mode == Mode::kLockup) && now_ps() < t_ps) {
    // Locked up: only a reset helps; the watchdog, if running, provides it.
    if (iwdg->running() && iwdg->deadline_ps() <= t_ps) {
      set_time_ps(iwdg->deadline_ps());
      event(MachineEvent::Kind::kInfo, "iwdg timeout");
      do_reset(kCsrIwdg | kCsrPin, ResetCause::kWatchdog);
      if (mode == Mode::kCpu) run_cpu_until(t_ps);
      return;
    }
    set_time_ps(t_ps);
  }
}

// ---------------------------------------------------------------------------------------------
// Fault injection

void Machine::Impl::power_cut(const std::string& why, uint64_t at_ps) {
  set_time_ps(at_ps);
  ++power_cuts;
  cut = CutPlan{};
  event(MachineEvent::Kind::kPower, "power cut: " + why);
  if (in_emulation) {
    // Inside a Unicorn callback: the engine cannot be closed here. Nothing more may change
    // (dying) until the run loop sees the stop and turns the power off.
    dying = true;
    request_stop(StopWhy::kPowerCut);
    return;
  }
  self.power_off();
}

bool Machine::Impl::cut_in_flash_op(uint64_t start_ps, uint64_t duration_ps, double& fraction) {
  ++flash_steps;
  if (cut.kind == CutPlan::Kind::kFlashStep && flash_steps >= cut.at) {
    fraction = cut.fraction;
    return true;
  }
  if (cut.kind == CutPlan::Kind::kTime) {
    const uint64_t t = cut.at * kPsPerNs;
    if (t >= start_ps && t < start_ps + duration_ps) {
      fraction = duration_ps == 0
                     ? 0.0
                     : static_cast<double>(t - start_ps) / static_cast<double>(duration_ps);
      return true;
    }
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Machine: public API

fota::Expected<std::unique_ptr<Machine>> Machine::create(const MachineConfig& config) {
  auto impl_holder = std::unique_ptr<Machine>(new Machine(nullptr));
  Machine& m = *impl_holder;
  m.impl_ = std::make_unique<Impl>(m, config);
  Impl& s = *m.impl_;
  if (!config.flash_file.empty()) {
    std::error_code ec;
    const bool exists = std::filesystem::exists(config.flash_file, ec);
    if (exists) {
      const auto size = std::filesystem::file_size(config.flash_file, ec);
      if (ec) {
        return fota::fail("cannot read the size of flash image " + config.flash_file.string());
      }
      if (size > kFlashSize) {
        return fota::fail("flash image " + config.flash_file.string() + " is " +
                          std::to_string(size) + " bytes; the STM32F407 has " +
                          std::to_string(kFlashSize) + " bytes of flash");
      }
    }
    s.fd = ::open(config.flash_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (s.fd < 0) {
      return fota::fail("cannot open flash image " + config.flash_file.string() + ": " +
                        std::strerror(errno));
    }
    const ssize_t got = ::pread(s.fd, s.flash.data(), kFlashSize, 0);
    if (got < 0) {
      return fota::fail("cannot read flash image " + config.flash_file.string() + ": " +
                        std::strerror(errno));
    }
    if (static_cast<size_t>(got) != kFlashSize) {
      std::fill(s.flash.begin() + got, s.flash.end(), 0xFF);  // short file: erased beyond its end
      FOTA_TRY_EXPECTED(m.save());
    }
    FOTA_TRY_EXPECTED(s.load_option_bytes());
  }
  return impl_holder;
}

Machine::Machine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Machine::~Machine() = default;

void Machine::power_on() {
  Impl& s = *impl_;
  if (s.powered) return;
  s.powered = true;
  std::fill(s.sram.begin(), s.sram.end(), 0);
  std::fill(s.ccm.begin(), s.ccm.end(), 0);
  s.rtc_bkp.fill(0);  // no VBAT in this model: the backup domain loses its contents
  s.dwt = Machine::Impl::DwtState{};
  std::fill(s.bkpsram.begin(), s.bkpsram.end(), 0);
  s.rcc->csr = 0;
  s.event(MachineEvent::Kind::kPower, "power on");
  if (s.nrst_low) {
    s.mode = Mode::kReset;
    return;
  }
  s.do_reset(kCsrPor | kCsrPin | kCsrBor, ResetCause::kPowerOn);
}

void Machine::power_off() {
  Impl& s = *impl_;
  if (!s.powered) return;
  s.flush_program_run();
  s.powered = false;
  s.mode = Mode::kOff;
  s.rom.stop();
  s.close_engine();
  s.reset_at_ps.reset();
  s.go_at.reset();
  s.pending_reset_flags = 0;
  s.iwdg->stop();
  s.dying = false;
  s.event(MachineEvent::Kind::kPower, "power off");
}

void Machine::set_boot0(bool high) {
  impl_->boot0 = high;
  impl_->event(MachineEvent::Kind::kInfo, high ? "pin boot0=1" : "pin boot0=0");
}

void Machine::set_nrst(bool asserted) {
  Impl& s = *impl_;
  if (asserted == s.nrst_low) return;
  s.nrst_low = asserted;
  s.event(MachineEvent::Kind::kInfo, asserted ? "pin nrst=low" : "pin nrst=high");
  if (!s.powered) return;
  if (asserted) {
    s.rom.stop();
    s.close_engine();
    s.mode = Mode::kReset;
    s.iwdg->stop();
  } else {
    s.do_reset(kCsrPin, ResetCause::kPin);
  }
}

void Machine::pulse_nrst() {
  set_nrst(true);
  set_nrst(false);
}

bool Machine::powered() const {
  return impl_->powered;
}
bool Machine::boot0() const {
  return impl_->boot0;
}
Mode Machine::mode() const {
  return impl_->mode;
}
std::optional<uint64_t> Machine::next_activity_ns() const {
  const Impl& s = *impl_;
  if (!s.powered) return std::nullopt;
  if (s.mode == Mode::kCpu || s.mode == Mode::kLockup) return s.now_ns();
  std::optional<uint64_t> t;
  auto consider = [&t](uint64_t ns) { t = t ? std::min(*t, ns) : ns; };
  const uint64_t now = s.now_ns();
  if (s.mode == Mode::kRom && s.rom.state() == RomBootloader::State::kStarting &&
      s.rom.ready_at_ns() > now) {
    consider(s.rom.ready_at_ns());
  }
  // Scheduled actions happen in advance_to(), which needs a time after now to run.
  if (s.reset_at_ps) consider(std::max(*s.reset_at_ps / kPsPerNs, now + 1));
  if (s.go_at) consider(std::max(s.go_at->second / kPsPerNs, now + 1));
  if (s.cut.kind == CutPlan::Kind::kTime) consider(std::max(s.cut.at, now + 1));
  return t;
}

ResetCause Machine::last_reset_cause() const {
  return impl_->last_cause;
}

void Machine::advance_to(uint64_t t_ns) {
  Impl& s = *impl_;
  const uint64_t target = t_ns * kPsPerNs;
  while (s.now_ps() < target) {
    if (!s.powered) {
      s.set_time_ps(target);
      return;
    }
    uint64_t until = target;
    if (s.cut.kind == CutPlan::Kind::kTime) until = std::min(until, s.cut.at * kPsPerNs);
    if (s.reset_at_ps) until = std::min(until, *s.reset_at_ps);
    if (s.go_at) until = std::min(until, s.go_at->second);
    if (s.mode == Mode::kCpu || s.mode == Mode::kLockup) {
      s.run_cpu_until(until);
      if (s.at_breakpoint) {
        s.at_breakpoint = false;
        return;  // stopped at the breakpoint
      }
    } else {
      s.set_time_ps(until);
    }
    if (!s.powered) continue;
    const uint64_t now = s.now_ps();
    if (s.cut.kind == CutPlan::Kind::kTime && now >= s.cut.at * kPsPerNs) {
      s.power_cut("at t=" + std::to_string(s.cut.at) + "ns", s.cut.at * kPsPerNs);
      continue;
    }
    if (s.reset_at_ps && now >= *s.reset_at_ps) {
      s.reset_at_ps.reset();
      s.do_reset(kCsrSft | kCsrPin, ResetCause::kRom);
    }
    if (s.go_at && now >= s.go_at->second) {
      const uint32_t address = s.go_at->first;
      s.go_at.reset();
      s.rom.stop();
      // The ROM leaves USART1 as it used it: 8E1 at the synced rate (115200 assumed), HSI.
      s.rcc->apb2enr |= 1u << 4;
      s.rcc->ahb1enr |= 1u;
      s.uarts[0]->set_rom_configuration();
      // VTOR stays 0 (the boot alias): the ROM's Go does not set it; firmware sets its own.
      s.start_cpu_at(address);
    }
  }
}

bool Machine::run_until(const std::function<bool()>& done, uint64_t max_ns, uint64_t check_ns) {
  const uint64_t end = now_ns() + max_ns;
  while (true) {
    if (done()) return true;
    if (!powered() || now_ns() >= end) return false;
    advance_to(std::min(end, now_ns() + check_ns));
    if (impl_->breakpoint_hit_ns && now_ns() < end && done()) return true;
  }
}

uint64_t Machine::now_ns() const {
  return impl_->now_ns();
}
uint64_t Machine::instructions() const {
  return impl_->cycle_model ? impl_->retired : impl_->icount;
}

uint64_t Machine::cycles() const {
  return impl_->icount;
}
uint32_t Machine::sysclk_hz() const {
  return impl_->hclk_hz();
}

void Machine::set_breakpoint(uint32_t address) {
  Impl& s = *impl_;
  s.breakpoint = address & ~1u;
  s.breakpoint_hit_ns.reset();
  if (s.uc != nullptr) {
    uc_hook hook;
    check(uc_hook_add(s.uc, &hook, UC_HOOK_CODE, reinterpret_cast<void*>(breakpoint_hook), &s,
                      *s.breakpoint, *s.breakpoint),
          "breakpoint hook");
  }
}

void Machine::Impl::add_debug_hook(uint32_t address) {
  if (uc == nullptr) return;
  uc_hook hook;
  check(uc_hook_add(uc, &hook, UC_HOOK_CODE, reinterpret_cast<void*>(debug_breakpoint_hook), this,
                    address, address),
        "debug breakpoint hook");
  code_written(address, 2);  // translated blocks over it get the hook
}

void Machine::add_debug_breakpoint(uint32_t address) {
  Impl& s = *impl_;
  address &= ~1u;
  if (s.debug_breakpoints.count(address) != 0) return;
  s.debug_breakpoints[address] = 0;
  s.add_debug_hook(address);
}

void Machine::remove_debug_breakpoint(uint32_t address) {
  impl_->debug_breakpoints.erase(address & ~1u);
}

// An access that starts up to 7 bytes before the range can still touch it (LDRD, STM): the
// hook's range starts there and watch_hook checks the overlap.
void Machine::Impl::add_watch_hook(Watchpoint& w) {
  if (uc == nullptr) return;
  const int types = w.kind == Machine::WatchKind::kWrite  ? UC_HOOK_MEM_WRITE
                    : w.kind == Machine::WatchKind::kRead ? UC_HOOK_MEM_READ
                                                          : UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE;
  const uint64_t begin = w.address >= 7 ? w.address - 7 : 0;
  check(uc_hook_add(uc, &w.hook, types, reinterpret_cast<void*>(watch_hook), this, begin,
                    uint64_t{w.address} + std::max<uint32_t>(w.length, 1) - 1),
        "watchpoint hook");
  uc_ctl_flush_tlb(uc);  // translated loads and stores call the new hook
}

void Machine::add_debug_watchpoint(uint32_t address, uint32_t length, WatchKind kind) {
  Impl& s = *impl_;
  for (const Impl::Watchpoint& w : s.watchpoints) {
    if (w.address == address && w.length == length && w.kind == kind) return;
  }
  s.watchpoints.push_back(Impl::Watchpoint{address, std::max<uint32_t>(length, 1), kind, 0});
  s.add_watch_hook(s.watchpoints.back());
}

void Machine::remove_debug_watchpoint(uint32_t address, uint32_t length, WatchKind kind) {
  Impl& s = *impl_;
  length = std::max<uint32_t>(length, 1);
  for (auto it = s.watchpoints.begin(); it != s.watchpoints.end(); ++it) {
    if (it->address != address || it->length != length || it->kind != kind) continue;
    if (s.uc != nullptr) {
      uc_hook_del(s.uc, it->hook);
      uc_ctl_flush_tlb(s.uc);
    }
    s.watchpoints.erase(it);
    return;
  }
}

std::optional<Machine::WatchHit> Machine::take_watch_hit() {
  return std::exchange(impl_->watch_hit, std::nullopt);
}

void Machine::step_over_breakpoint() {
  impl_->pass_breakpoint = impl_->pc & ~1u;
}

void Machine::debug_step() {
  Impl& s = *impl_;
  if (s.mode != Mode::kCpu) return;
  s.pass_breakpoint = s.pc & ~1u;
  s.single_step = true;
  advance_to(now_ns() + 1'000'000'000);  // returns after the instruction (or a breakpoint)
  s.single_step = false;
  s.pass_breakpoint.reset();
  s.debug_stop = false;
  s.watch_hit.reset();  // a step reports no watchpoint
}

bool Machine::take_debug_stop() {
  const bool stop = impl_->debug_stop;
  impl_->debug_stop = false;
  return stop;
}

void Machine::set_reg(int unicorn_reg_id, uint32_t value) {
  Impl& s = *impl_;
  if (s.uc == nullptr) return;
  if (unicorn_reg_id == UC_ARM_REG_PC) {
    s.pc = value | 1u;
    return;
  }
  uc_reg_write(s.uc, unicorn_reg_id, &value);
}

std::optional<uint64_t> Machine::breakpoint_hit_ns() const {
  return impl_->breakpoint_hit_ns;
}

void Machine::uart_receive(uint8_t byte) {
  Impl& s = *impl_;
  if (!s.powered || s.nrst_low) return;
  if (s.mode == Mode::kRom) {
    if (s.rom.active()) s.rom.on_rx_byte(byte, s.now_ns());
    return;
  }
  s.uarts[0]->receive(byte);
  s.wfi = false;
}

void Machine::uart_receive(unsigned port, uint8_t byte) {
  Impl& s = *impl_;
  if (port == 1) {
    uart_receive(byte);
    return;
  }
  if (!s.powered || s.nrst_low || port < 1 || port > kUartCount || s.mode != Mode::kCpu) return;
  s.uarts[port - 1]->receive(byte);
}

std::vector<UartByte> Machine::take_uart_tx(unsigned port) {
  if (port < 1 || port > kUartCount) return {};
  return std::exchange(impl_->uart_ports[port - 1].tx, {});
}

const std::string& Machine::uart_text(unsigned port) const {
  static const std::string kNone;
  if (port < 1 || port > kUartCount) return kNone;
  return impl_->uart_ports[port - 1].text;
}

void Machine::clear_uart_text(unsigned port) {
  if (port >= 1 && port <= kUartCount) impl_->uart_ports[port - 1].text.clear();
}

unsigned Machine::uart_frame_bits(unsigned port) const {
  if (port == 1) return uart_frame_bits();
  return port >= 1 && port <= kUartCount ? impl_->uarts[port - 1]->frame_bits() : 10;
}

uint32_t Machine::uart_baud(unsigned port) const {
  return port >= 1 && port <= kUartCount ? impl_->uarts[port - 1]->baud() : 0;
}

bool Machine::set_pin(unsigned port, unsigned pin, bool level) {
  Impl& s = *impl_;
  if (port >= s.gpio.size() || pin > 15) return false;
  char text[48];
  std::snprintf(text, sizeof text, "pin P%c%u=%d", 'A' + port, pin, level ? 1 : 0);
  s.event(MachineEvent::Kind::kInfo, text);
  s.gpio[port]->set_input(pin, level);
  return true;
}

uint32_t Machine::gpio_idr(unsigned port) const {
  return port < impl_->gpio.size() ? impl_->gpio[port]->idr() : 0;
}

uint32_t Machine::gpio_odr(unsigned port) const {
  return port < impl_->gpio.size() ? impl_->gpio[port]->odr() : 0;
}

std::vector<UartByte> Machine::take_uart_tx() {
  return std::exchange(impl_->uart_ports[0].tx, {});
}
const std::string& Machine::uart_text() const {
  return impl_->uart_ports[0].text;
}
void Machine::clear_uart_text() {
  impl_->uart_ports[0].text.clear();
}
unsigned Machine::uart_frame_bits() const {
  return impl_->mode == Mode::kRom ? 11u : impl_->uart_frame_bits();
}
uint32_t Machine::uart_baud() const {
  return impl_->uart_baud();
}

std::vector<MachineEvent> Machine::take_events() {
  impl_->flush_program_run();
  return std::exchange(impl_->events, {});
}

void Machine::set_event_listener(std::function<void(const MachineEvent&)> listener) {
  impl_->listener = std::move(listener);
}

void Machine::cut_after_instructions(uint64_t n) {
  impl_->cut =
      CutPlan{CutPlan::Kind::kInstructions, impl_->instructions_now() + std::max<uint64_t>(n, 1)};
}

void Machine::cut_at_flash_step(uint64_t n, double fraction) {
  impl_->cut = CutPlan{CutPlan::Kind::kFlashStep, impl_->flash_steps + std::max<uint64_t>(n, 1),
                       std::clamp(fraction, 0.0, 1.0)};
}

void Machine::cut_at_time(uint64_t t_ns) {
  impl_->cut = CutPlan{CutPlan::Kind::kTime, std::max(t_ns, now_ns())};
}

std::string Machine::cut_random(uint64_t seed, uint64_t window_ns, uint64_t flash_ops) {
  uint64_t x = seed * 0x9E37'79B9'7F4A'7C15ull + 0x632B'E59B'D9B4'E019ull;
  auto next = [&x] {
    x ^= x >> 31;
    x *= 0xBF58'476D'1CE4'E5B9ull;
    x ^= x >> 27;
    return x;
  };
  std::string plan;
  if ((next() & 1u) == 0 || flash_ops == 0) {
    const uint64_t at = now_ns() + 1 + next() % std::max<uint64_t>(window_ns, 1);
    cut_at_time(at);
    plan = "cut at t=" + std::to_string(at) + "ns";
  } else {
    const uint64_t n = 1 + next() % flash_ops;
    const double fraction = static_cast<double>(next() % 1000) / 1000.0;
    cut_at_flash_step(n, fraction);
    char text[96];
    std::snprintf(text, sizeof text, "cut at flash step +%llu fraction %.3f",
                  static_cast<unsigned long long>(n), fraction);
    plan = text;
  }
  impl_->event(MachineEvent::Kind::kInfo, "planned: " + plan);
  return plan;
}

void Machine::cancel_cut() {
  impl_->cut = CutPlan{};
}
CutPlan Machine::cut_plan() const {
  return impl_->cut;
}
uint64_t Machine::flash_steps() const {
  return impl_->flash_steps;
}
uint64_t Machine::power_cuts() const {
  return impl_->power_cuts;
}

std::span<uint8_t> Machine::flash() {
  return impl_->flash;
}
std::span<const uint8_t> Machine::flash() const {
  return impl_->flash;
}

void Machine::load_flash(uint32_t address, std::span<const uint8_t> bytes) {
  Impl& s = *impl_;
  if (address >= kFlashBase) address -= kFlashBase;
  if (address >= kFlashSize) return;
  const uint32_t n = static_cast<uint32_t>(std::min<size_t>(bytes.size(), kFlashSize - address));
  std::memcpy(&s.flash[address], bytes.data(), n);
  s.flash_changed(kFlashBase + address, n);
}

fota::Expected<> Machine::save() {
  Impl& s = *impl_;
  if (s.fd < 0) return {};
  if (::pwrite(s.fd, s.flash.data(), kFlashSize, 0) != static_cast<ssize_t>(kFlashSize) ||
      ::fsync(s.fd) != 0) {
    return fota::fail("cannot write the flash file " + s.config.flash_file.string() + ": " +
                      std::strerror(errno));
  }
  return {};
}

// A probe access that errors gets the error response on the AHB-AP; the core is not involved.
namespace {
struct ProbeAccess {
  explicit ProbeAccess(Machine::Impl& s) : s_(s), had_fault_(s.pending_fault.has_value()) {}
  // A bus error the access raised goes to the probe (an event), not to the core.
  void end() {
    if (had_fault_ || !s_.pending_fault) return;
    s_.event(MachineEvent::Kind::kInfo,
             "probe: bus error response (" + s_.pending_fault->kind + ")");
    s_.pending_fault.reset();
    s_.stop_why = Machine::Impl::StopWhy::kNone;
  }
  Machine::Impl& s_;
  bool had_fault_;
};
}  // namespace

bool Machine::debug_read32(uint32_t address, uint32_t& value) {
  Impl& s = *impl_;
  ProbeAccess probe(s);
  uint8_t bytes[4];
  if (s.bus_read(address, bytes, 4)) {
    std::memcpy(&value, bytes, 4);
    return true;
  }
  if (!s.powered) return false;
  if ((address >= kApbAhb1Base && address < kApbAhb1Base + kApbAhb1Size) ||
      (address >= kAhb2Base && address < kAhb2Base + kAhb2Size) ||
      (address >= kPpbBase && address < kPpbBase + kPpbSize)) {
    if (!s.known_peripheral(address)) return false;
    value = static_cast<uint32_t>(s.mmio_read(address, 4));
    probe.end();
    return true;
  }
  if (address >= kSramBitBand && address < kSramBitBand + kSramSize * 32) {
    value = static_cast<uint32_t>(sram_bb_read(nullptr, address - kSramBitBand, 4, &s));
    return true;
  }
  if (address >= kPeriphBitBand && address < kPeriphBitBand + kApbAhb1Size * 32 &&
      s.known_peripheral(kApbAhb1Base + ((address - kPeriphBitBand) >> 5))) {
    value = static_cast<uint32_t>(periph_bb_read(nullptr, address - kPeriphBitBand, 4, &s));
    probe.end();
    return true;
  }
  return false;
}

bool Machine::debug_write32(uint32_t address, uint32_t value) {
  Impl& s = *impl_;
  ProbeAccess probe(s);
  if ((address >= kFlashBase && address < kFlashBase + kFlashSize)) {
    s.flash_store(address, 4, value);
    return true;
  }
  if (address >= kSramBase && address + 4 <= kSramBase + kSramSize) {
    std::memcpy(&s.sram[address - kSramBase], &value, 4);
    s.code_written(address, 4);  // the core may have run the old contents
    return true;
  }
  if (address >= kCcmBase && address + 4 <= kCcmBase + kCcmSize) {
    std::memcpy(&s.ccm[address - kCcmBase], &value, 4);  // data only: nothing translated there
    return true;
  }
  if (!s.powered) return false;
  if ((address >= kApbAhb1Base && address < kApbAhb1Base + kApbAhb1Size) ||
      (address >= kAhb2Base && address < kAhb2Base + kAhb2Size) ||
      (address >= kPpbBase && address < kPpbBase + kPpbSize)) {
    if (!s.known_peripheral(address)) return false;
    s.mmio_write(address, 4, value);
    probe.end();
    // A reset the write asked for (AIRCR) happens at once for a debugger write.
    if (s.pending_reset_flags != 0 && !s.in_emulation) {
      const uint32_t flags = s.pending_reset_flags;
      s.do_reset(flags, (flags & kCsrIwdg) ? ResetCause::kWatchdog : ResetCause::kSoftware);
    }
    s.stop_why = Impl::StopWhy::kNone;
    return true;
  }
  if (address >= kSramBitBand && address < kSramBitBand + kSramSize * 32) {
    sram_bb_write(nullptr, address - kSramBitBand, 4, value, &s);
    return true;
  }
  if (address >= kPeriphBitBand && address < kPeriphBitBand + kApbAhb1Size * 32 &&
      s.known_peripheral(kApbAhb1Base + ((address - kPeriphBitBand) >> 5))) {
    periph_bb_write(nullptr, address - kPeriphBitBand, 4, value, &s);
    probe.end();
    return true;
  }
  return false;
}

void Machine::debug_flash_store(uint32_t address, unsigned size, uint64_t value) {
  impl_->flash_store(address, size, value);
}

uint32_t Machine::reg(int unicorn_reg_id) const {
  uint32_t v = 0;
  if (impl_->uc != nullptr) uc_reg_read(impl_->uc, unicorn_reg_id, &v);
  if (unicorn_reg_id == UC_ARM_REG_PC && impl_->mode == Mode::kCpu) v = impl_->pc & ~1u;
  return v;
}

uint8_t Machine::leds() const {
  return impl_->leds();
}
uint32_t Machine::rcc_csr() const {
  return impl_->rcc->csr;
}
uint32_t Machine::flash_sr() const {
  return impl_->fctl.sr | (impl_->now_ps() < impl_->fctl.busy_until_ps ? fsr::kBsy : 0u);
}
uint32_t Machine::flash_cr() const {
  return impl_->fctl.cr;
}
bool Machine::iwdg_running() const {
  return impl_->iwdg->running();
}
uint64_t Machine::resets() const {
  return impl_->resets;
}
RomBootloader& Machine::rom() {
  return impl_->rom;
}

std::string Machine::status() const {
  const Impl& s = *impl_;
  char text[320];
  std::snprintf(text, sizeof text,
                "power=%s boot0=%d nrst=%s mode=%s reset_cause=%s sim_ms=%.3f instructions=%llu "
                "sysclk_hz=%u leds=0x%X iwdg=%s flash_steps=%llu power_cuts=%llu pc=0x%08X",
                s.powered ? "on" : "off", s.boot0 ? 1 : 0, s.nrst_low ? "low" : "high",
                to_string(s.mode), to_string(s.last_cause), static_cast<double>(s.now_ps()) / 1e9,
                static_cast<unsigned long long>(s.cycle_model ? s.retired : s.icount), s.hclk_hz(),
                s.leds(), s.iwdg->running() ? "running" : "off",
                static_cast<unsigned long long>(s.flash_steps),
                static_cast<unsigned long long>(s.power_cuts), s.pc & ~1u);
  return text;
}

// ---------------------------------------------------------------------------------------------
// RomBus

void Machine::uart_transmit(uint8_t byte, uint64_t at_ns) {
  Impl& s = *impl_;
  if (!s.powered) return;
  s.uart_ports[0].tx.push_back({byte, at_ns, 0});  // the ROM follows the host's rate
  s.uart_ports[0].text.push_back(static_cast<char>(byte));
}

BusStatus Machine::read(uint32_t address, std::span<uint8_t> out) {
  Impl& s = *impl_;
  const uint64_t end = uint64_t{address} + out.size();
  // The ROM reads through its own view: flash, SRAM, system memory, OTP, UID, option bytes.
  const bool allowed = (address >= kFlashBase && end <= kFlashBase + kFlashSize) ||
                       (address >= kSramBase && end <= kSramBase + kSramSize) ||
                       (address >= kSysMemBase && end <= 0x1FFF'7A24) ||
                       (address >= kOptPageBase && end <= kOptPageBase + 16);
  if (!allowed || !s.bus_read(address, out.data(), static_cast<uint32_t>(out.size()))) {
    return BusStatus::kUnmapped;
  }
  return BusStatus::kOk;
}

BusStatus Machine::program_flash(uint32_t address, std::span<const uint8_t> data, unsigned psize,
                                 uint64_t& duration_ns) {
  Impl& s = *impl_;
  duration_ns = 0;
  if (!s.powered) return BusStatus::kProgramError;
  if (address < kFlashBase || uint64_t{address} + data.size() > kFlashBase + kFlashSize) {
    return BusStatus::kUnmapped;
  }
  for (size_t i = 0; i < data.size(); ++i) {
    if (s.sector_protected(fm::sector_of(static_cast<uint32_t>(address + i)))) {
      return BusStatus::kProtected;
    }
  }
  const size_t access = size_t{1} << std::min(psize, 2u);
  const uint64_t start = s.now_ps();
  uint64_t t = start;
  for (size_t off = 0; off < data.size(); off += access) {
    const unsigned n = static_cast<unsigned>(std::min(access, data.size() - off));
    if (!s.cell_program(address + static_cast<uint32_t>(off), &data[off], n, t)) {
      return BusStatus::kProgramError;  // power cut: nothing after this matters
    }
    t += kProgramTypicalNs * kPsPerNs;
  }
  duration_ns = (t - start) / kPsPerNs;
  return BusStatus::kOk;
}

BusStatus Machine::erase_sector(unsigned sector, unsigned psize, uint64_t& duration_ns) {
  Impl& s = *impl_;
  duration_ns = 0;
  if (!s.powered || sector >= fm::kSectorCount) return BusStatus::kProgramError;
  if (s.sector_protected(sector)) return BusStatus::kProtected;
  const uint64_t d = sector_erase_typical_ns(sector, psize);
  if (!s.cell_erase(fm::kSectors[sector].address, fm::kSectors[sector].size, s.now_ps(),
                    d * kPsPerNs,
                    "flash erase sector=" + std::to_string(sector) +
                        " ms=" + std::to_string(d / 1'000'000) + " by=rom")) {
    return BusStatus::kProgramError;
  }
  duration_ns = d;
  return BusStatus::kOk;
}

BusStatus Machine::mass_erase(unsigned psize, uint64_t& duration_ns) {
  static constexpr uint64_t kMassMs[] = {16000, 11000, 8000, 8000};
  Impl& s = *impl_;
  duration_ns = 0;
  if (!s.powered) return BusStatus::kProgramError;
  if (s.opt_nwrp != 0x0FFF) return BusStatus::kProtected;
  const uint64_t d = kMassMs[std::min(psize, 3u)] * 1'000'000;
  if (!s.cell_erase(kFlashBase, kFlashSize, s.now_ps(), d * kPsPerNs,
                    "flash mass-erase ms=" + std::to_string(d / 1'000'000) + " by=rom")) {
    return BusStatus::kProgramError;
  }
  duration_ns = d;
  return BusStatus::kOk;
}

BusStatus Machine::write_memory(uint32_t address, std::span<const uint8_t> data) {
  Impl& s = *impl_;
  const uint64_t end = uint64_t{address} + data.size();
  if (address >= kSramBase && end <= kSramBase + kSramSize) {
    std::memcpy(&s.sram[address - kSramBase], data.data(), data.size());
    s.code_written(address, static_cast<uint32_t>(data.size()));
    return BusStatus::kOk;
  }
  if (address >= 0x1FFF'7800 && end <= 0x1FFF'7A10) {
    for (size_t i = 0; i < data.size(); ++i) s.sysmem[address - kSysMemBase + i] &= data[i];
    s.code_written(address, static_cast<uint32_t>(data.size()));
    return BusStatus::kOk;
  }
  return BusStatus::kUnmapped;
}

uint8_t Machine::rdp_level_byte() const {
  return impl_->opt_rdp;
}
uint16_t Machine::nwrp_bits() const {
  return impl_->opt_nwrp;
}

void Machine::set_option_bytes(uint8_t rdp, uint16_t nwrp) {
  Impl& s = *impl_;
  s.opt_rdp = rdp;
  s.opt_nwrp = nwrp & 0x0FFF;
  s.refresh_optpage();
  s.save_option_bytes();
  char text[64];
  std::snprintf(text, sizeof text, "option-bytes rdp=0x%02X nwrp=0x%03X", s.opt_rdp, s.opt_nwrp);
  s.event(MachineEvent::Kind::kFlash, text);
}

void Machine::go(uint32_t address, uint64_t at_ns) {
  impl_->go_at = std::make_pair(address, at_ns * kPsPerNs);
  impl_->event(MachineEvent::Kind::kRom, "rom go address=" + hex32(address));
}

void Machine::system_reset(uint64_t at_ns) {
  impl_->reset_at_ps = at_ns * kPsPerNs;
}

}  // namespace vstm32

// ---------------------------------------------------------------------------------------------
// Unicorn 2.0.1 work-around: stores to RAM without a tree allocation each.
//
// Unicorn 2.0.1 (Debian 12's libunicorn2) takes QEMU's "not dirty" slow path on every store to
// RAM, and that path builds and frees a GLib tree of page locks (page_collection_lock/unlock)
// per store although Unicorn's page locks do nothing: a third of vstm32's run time
// (bench/vstm32, perf). Upstream dropped the tree (unicorn-engine/unicorn#1838, 2023). libunicorn
// 2.0.1 calls these two through its PLT (all ten call sites), so the definitions below take their
// place in every program that links vstm32_machine: the lock hands out no collection and the
// unlock does nothing, as upstream now does (the collection is only ever passed to the unlock;
// translated blocks are still invalidated, see tests/vstm32_core/code_rewrite_test.cc). With any
// other Unicorn version, or VSTM32_UNICORN_PAGE_LOCKS=1 in the environment, they forward to
// libunicorn's own.
namespace {

bool bypass_page_locks() {
  static const bool bypass = [] {
    const char* env = std::getenv("VSTM32_UNICORN_PAGE_LOCKS");
    return (uc_version(nullptr, nullptr) >> 8) == 0x02'00'01u && (env == nullptr || *env != '1');
  }();
  return bypass;
}

template <typename Fn>
Fn unicorn_own(const char* name) {
  return reinterpret_cast<Fn>(dlsym(RTLD_NEXT, name));
}

}  // namespace

extern "C" {
void* page_collection_lock_arm(void* uc, uint64_t start, uint64_t end);
void page_collection_unlock_arm(void* set);

void* page_collection_lock_arm(void* uc, uint64_t start, uint64_t end) {
  using Lock = void* (*)(void*, uint64_t, uint64_t);
  if (bypass_page_locks()) return nullptr;
  static const Lock own = unicorn_own<Lock>("page_collection_lock_arm");
  return own(uc, start, end);
}

void page_collection_unlock_arm(void* set) {
  using Unlock = void (*)(void*);
  if (bypass_page_locks()) return;
  static const Unlock own = unicorn_own<Unlock>("page_collection_unlock_arm");
  own(set);
}
}
