#include "mini_target.h"

#include <unicorn/unicorn.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "format/crc32.h"
#include "format/flash_map.h"

namespace fota::boot_test {

namespace {

constexpr uint32_t kRamBase = 0x2000'0000;
constexpr uint32_t kRamSize = 128 * 1024;
constexpr uint32_t kCcmBase = 0x1000'0000;
constexpr uint32_t kCcmSize = 64 * 1024;
constexpr uint32_t kPeriphBase = 0x4000'0000;
constexpr uint32_t kPeriphSize = 0x0008'0000;
constexpr uint32_t kPpbBase = 0xE000'0000;
constexpr uint32_t kPpbSize = 0x0010'0000;

constexpr uint32_t kCsrPor = 0x0E00'0000;  // PORRSTF | PINRSTF | BORRSTF
constexpr uint32_t kCsrPin = 1u << 26;
constexpr uint32_t kCsrSft = 1u << 28;
constexpr uint32_t kCsrIwdg = 1u << 29;

void check(uc_err err, const char* what) {
  if (err != UC_ERR_OK) {
    std::fprintf(stderr, "unicorn: %s: %s\n", what, uc_strerror(err));
    std::abort();
  }
}

uint64_t periph_read(uc_engine*, uint64_t offset, unsigned, void* user) {
  return static_cast<MiniTarget*>(user)->mmio_read(kPeriphBase + static_cast<uint32_t>(offset));
}
void periph_write(uc_engine*, uint64_t offset, unsigned, uint64_t value, void* user) {
  static_cast<MiniTarget*>(user)->mmio_write(kPeriphBase + static_cast<uint32_t>(offset),
                                             static_cast<uint32_t>(value));
}
uint64_t ppb_read(uc_engine*, uint64_t offset, unsigned, void* user) {
  return static_cast<MiniTarget*>(user)->mmio_read(kPpbBase + static_cast<uint32_t>(offset));
}
void ppb_write(uc_engine*, uint64_t offset, unsigned, uint64_t value, void* user) {
  static_cast<MiniTarget*>(user)->mmio_write(kPpbBase + static_cast<uint32_t>(offset),
                                             static_cast<uint32_t>(value));
}
bool flash_write_hook(uc_engine*, uc_mem_type, uint64_t address, int size, int64_t value,
                      void* user) {
  return static_cast<MiniTarget*>(user)->flash_store(static_cast<uint32_t>(address), size, value);
}
void watch_hook(uc_engine*, uint64_t, uint32_t, void* user) {
  static_cast<MiniTarget*>(user)->on_watch();
}

// DS8626 typical erase times at x32.
uint64_t erase_ns(unsigned sector) {
  const uint32_t size = flash_map::kSectors[sector].size;
  return size == 16 * 1024 ? 250'000'000ull : size == 64 * 1024 ? 550'000'000ull : 1'000'000'000ull;
}
constexpr uint64_t kProgramNs = 16'000;  // per word, typical

}  // namespace

MiniTarget::MiniTarget(std::span<const uint8_t> flash_image)
    : flash_(kFlashSize, 0xFF), ram_(kRamSize, 0), ccm_(kCcmSize, 0) {
  std::memcpy(flash_.data(), flash_image.data(), std::min<size_t>(flash_image.size(), kFlashSize));
}

MiniTarget::~MiniTarget() {
  close_engine();
}

void MiniTarget::close_engine() {
  if (uc_ != nullptr) uc_close(uc_);
  uc_ = nullptr;
}

void MiniTarget::power_on() {
  if (powered_) return;
  std::fill(ram_.begin(), ram_.end(), 0);
  rcc_csr_ = 0;
  powered_ = true;
  boot(kCsrPor);
}

void MiniTarget::power_off() {
  close_engine();
  cut_at_ = 0;
  cut_flash_at_ = 0;
  pending_power_off_ = false;
  powered_ = false;
  faulted_ = false;
  iwdg_running_ = false;
  pending_reset_ = 0;
}

void MiniTarget::pulse_nrst() {
  if (powered_) boot(kCsrPin);
}

void MiniTarget::reset_peripherals() {
  rcc_cr_ = 0x83;  // HSION | HSIRDY
  rcc_pllcfgr_ = 0x2400'3010;
  rcc_cfgr_ = 0;
  rcc_ahb1enr_ = 0x0010'0000;
  rcc_apb1enr_ = 0;
  rcc_apb2enr_ = 0;
  flash_acr_ = 0;
  flash_cr_ = 0x8000'0000;
  flash_sr_ = 0;
  flash_key_stage_ = 0;
  crc_dr_ = 0xFFFF'FFFF;
  iwdg_running_ = false;
  iwdg_pr_ = 0;
  iwdg_rlr_ = 0xFFF;
  usart_brr_ = 0;
  usart_cr1_ = 0;
  usart_busy_until_ns_ = 0;
  gpioa_moder_ = 0xA800'0000;
  gpioa_afrh_ = 0;
  gpioa_pupdr_ = 0x6400'0000;
  gpiod_moder_ = 0;
  set_odr(0);
  vtor_ = 0;
  cpacr_ = 0;
}

void MiniTarget::boot(uint32_t reset_flags) {
  close_engine();
  ++resets_;
  rcc_csr_ |= reset_flags;
  reset_peripherals();
  faulted_ = false;
  pending_reset_ = 0;
  check(uc_open(UC_ARCH_ARM, UC_MODE_THUMB, &uc_), "open");
  check(uc_ctl_set_cpu_model(uc_, UC_CPU_ARM_CORTEX_M4), "cpu model");
  check(uc_mem_map_ptr(uc_, kFlashBase, kFlashSize, UC_PROT_ALL, flash_.data()), "map flash");
  check(uc_mem_protect(uc_, kFlashBase, kFlashSize, UC_PROT_READ | UC_PROT_EXEC), "protect flash");
  check(uc_mem_map_ptr(uc_, kRamBase, kRamSize, UC_PROT_ALL, ram_.data()), "map ram");
  check(uc_mem_map_ptr(uc_, kCcmBase, kCcmSize, UC_PROT_READ | UC_PROT_WRITE, ccm_.data()), "ccm");
  check(uc_mmio_map(uc_, kPeriphBase, kPeriphSize, periph_read, this, periph_write, this),
        "periph");
  check(uc_mmio_map(uc_, kPpbBase, kPpbSize, ppb_read, this, ppb_write, this), "ppb");
  uc_hook hook;
  check(uc_hook_add(uc_, &hook, UC_HOOK_MEM_WRITE_PROT, reinterpret_cast<void*>(flash_write_hook),
                    this, kFlashBase, kFlashBase + kFlashSize - 1),
        "flash hook");
  if (watch_address_ != 0 && watch_hit_ms_ < 0) {
    check(uc_hook_add(uc_, &hook, UC_HOOK_CODE, reinterpret_cast<void*>(watch_hook), this,
                      watch_address_, watch_address_),
          "watch hook");
  }
  // BOOT0 low: main flash is aliased at 0, the core loads SP and PC from it.
  uint32_t sp = 0;
  uint32_t pc = 0;
  std::memcpy(&sp, &flash_[0], 4);
  std::memcpy(&pc, &flash_[4], 4);
  check(uc_reg_write(uc_, UC_ARM_REG_SP, &sp), "sp");
  pc_ = pc | 1u;
}

void MiniTarget::watch_address(uint32_t address) {
  watch_address_ = address & ~1u;
}

void MiniTarget::on_watch() {
  if (watch_hit_ms_ < 0) {
    watch_hit_ms_ = now_ms();
    uc_emu_stop(uc_);
  }
}

void MiniTarget::request_reset(uint32_t flags) {
  pending_reset_ |= flags;
  if (uc_ != nullptr) uc_emu_stop(uc_);
}

uint32_t MiniTarget::sysclk_hz() const {
  const bool pll = (rcc_cfgr_ & 3u) == 2u && (rcc_cr_ & (1u << 24)) != 0;
  return pll ? 168'000'000u : 16'000'000u;
}

uint32_t MiniTarget::pclk2_hz() const {
  const uint32_t ppre2 = (rcc_cfgr_ >> 13) & 7u;
  return ppre2 < 4 ? sysclk_hz() : sysclk_hz() >> (ppre2 - 3);
}

uint64_t MiniTarget::iwdg_period_ns() const {
  return (4ull << iwdg_pr_) * (iwdg_rlr_ + 1ull) * 1'000'000'000ull / 32'000ull;
}

uint64_t MiniTarget::step(uint64_t max_instructions) {
  if (!powered_) return 0;
  uint64_t n = std::min(max_instructions, slice_);
  if (cut_at_ != 0) {
    if (instructions_ >= cut_at_) {
      cut_at_ = 0;
      power_off();
      return 0;
    }
    n = std::min(n, cut_at_ - instructions_);
  }
  const uint64_t ns_per_kinstr = 1'000'000'000'000ull / sysclk_hz();
  if (faulted_) {
    // HardFault handler spinning: time goes on, nothing else happens.
    instructions_ += n;
    now_ns_ += n * ns_per_kinstr / 1000;
  } else {
    const uc_err err = uc_emu_start(uc_, pc_, 0xFFFF'FFFF, 0, n);
    uint32_t pc = 0;
    uc_reg_read(uc_, UC_ARM_REG_PC, &pc);
    pc_ = pc | 1u;
    instructions_ += n;
    now_ns_ += n * ns_per_kinstr / 1000 + stall_ns_;
    stall_ns_ = 0;
    if (err != UC_ERR_OK) faulted_ = true;
    if (pending_power_off_) {
      pending_power_off_ = false;
      power_off();
      return n;
    }
  }
  if (iwdg_running_ && now_ns_ - iwdg_kick_ns_ > iwdg_period_ns())
    request_reset(kCsrIwdg | kCsrPin);
  if (pending_reset_ != 0) boot(pending_reset_);
  if (cut_at_ != 0 && instructions_ >= cut_at_) {
    cut_at_ = 0;
    power_off();
  }
  return n;
}

std::string MiniTarget::take_uart() {
  std::string out;
  out.swap(uart_);
  return out;
}

void MiniTarget::set_odr(uint32_t odr) {
  const uint8_t before = static_cast<uint8_t>((gpiod_odr_ >> 12) & 0xF);
  gpiod_odr_ = odr & 0xFFFF;
  const uint8_t after = static_cast<uint8_t>((gpiod_odr_ >> 12) & 0xF);
  if (before != after) led_events_.push_back({now_ms(), after});
}

bool MiniTarget::cut_this_step() {
  if (cut_flash_at_ == 0 || flash_steps_ + 1 != cut_flash_at_) return false;
  cut_flash_at_ = 0;
  pending_power_off_ = true;
  uc_emu_stop(uc_);
  return true;
}

void MiniTarget::erase_sector(unsigned sector) {
  const auto& s = flash_map::kSectors[sector];
  if (cut_this_step()) {  // torn erase: the first part erased, the rest as it was
    const uint32_t done = static_cast<uint32_t>(s.size * cut_fraction_) & ~3u;
    std::memset(&flash_[s.address - kFlashBase], 0xFF, done);
    uc_ctl_remove_cache(uc_, static_cast<uint64_t>(s.address),
                        static_cast<uint64_t>(s.address + s.size));
    ++flash_steps_;
    return;
  }
  std::memset(&flash_[s.address - kFlashBase], 0xFF, s.size);
  uc_ctl_remove_cache(uc_, static_cast<uint64_t>(s.address),
                      static_cast<uint64_t>(s.address + s.size));
  stall_ns_ += erase_ns(sector);
  ++flash_steps_;
}

bool MiniTarget::flash_store(uint32_t address, int size, int64_t value) {
  const bool unlocked = (flash_cr_ & 0x8000'0000u) == 0;
  if (!unlocked || (flash_cr_ & 1u) == 0) {
    flash_sr_ |= 1u << 7;  // PGSERR
    return true;
  }
  const int psize_bytes = 1 << ((flash_cr_ >> 8) & 3u);
  if (size != psize_bytes) {
    flash_sr_ |= 1u << 6;  // PGPERR
    return true;
  }
  uint8_t* p = &flash_[address - kFlashBase];
  if (cut_this_step()) {  // torn word: only some of the bits to clear got cleared
    uint64_t x = cut_seed_ * 0x9E37'79B9'7F4A'7C15ull + 1;
    for (int i = 0; i < size; ++i) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      p[i] &= static_cast<uint8_t>(value >> (8 * i)) | static_cast<uint8_t>(x);
    }
    ++flash_steps_;
    return true;
  }
  for (int i = 0; i < size; ++i) p[i] &= static_cast<uint8_t>(value >> (8 * i));
  stall_ns_ += kProgramNs;
  ++flash_steps_;
  uc_ctl_remove_cache(uc_, static_cast<uint64_t>(address), static_cast<uint64_t>(address + 4));
  return true;
}

uint64_t MiniTarget::mmio_read(uint32_t a) {
  switch (a) {
    // RCC
    case 0x4002'3800: {
      uint32_t cr = rcc_cr_ & ~((1u << 1) | (1u << 17) | (1u << 25));
      if (cr & 1u) cr |= 1u << 1;
      if (cr & (1u << 16)) cr |= 1u << 17;
      if (cr & (1u << 24)) cr |= 1u << 25;
      return cr;
    }
    case 0x4002'3804: return rcc_pllcfgr_;
    case 0x4002'3808: return (rcc_cfgr_ & ~0xCu) | ((rcc_cfgr_ & 3u) << 2);
    case 0x4002'3830: return rcc_ahb1enr_;
    case 0x4002'3840: return rcc_apb1enr_;
    case 0x4002'3844: return rcc_apb2enr_;
    case 0x4002'3874: return rcc_csr_;
    // FLASH
    case 0x4002'3C00: return flash_acr_;
    case 0x4002'3C0C: return flash_sr_;
    case 0x4002'3C10: return flash_cr_;
    // CRC (clocked through AHB1ENR bit 12)
    case 0x4002'3000: return (rcc_ahb1enr_ & (1u << 12)) ? crc_dr_ : 0;
    // IWDG
    case 0x4000'300C: return 0;
    // USART1
    case 0x4001'1000: return now_ns_ >= usart_busy_until_ns_ ? 0xC0u : 0u;  // TXE | TC
    case 0x4001'1008: return usart_brr_;
    case 0x4001'100C: return usart_cr1_;
    // GPIO
    case 0x4002'0000: return gpioa_moder_;
    case 0x4002'000C: return gpioa_pupdr_;
    case 0x4002'0024: return gpioa_afrh_;
    case 0x4002'0C00: return gpiod_moder_;
    case 0x4002'0C14: return gpiod_odr_;
    // SCB
    case 0xE000'ED08: return vtor_;
    case 0xE000'ED88: return cpacr_;
    default: return 0;
  }
}

void MiniTarget::mmio_write(uint32_t a, uint32_t v) {
  switch (a) {
    case 0x4002'3800: rcc_cr_ = v; break;
    case 0x4002'3804: rcc_pllcfgr_ = v; break;
    case 0x4002'3808: rcc_cfgr_ = v; break;
    case 0x4002'3810:  // AHB1RSTR
      if (v & (1u << 3)) {
        gpiod_moder_ = 0;
        set_odr(0);
      }
      if (v & 1u) gpioa_moder_ = 0xA800'0000, gpioa_afrh_ = 0, gpioa_pupdr_ = 0x6400'0000;
      if (v & (1u << 12)) crc_dr_ = 0xFFFF'FFFF;
      break;
    case 0x4002'3824:  // APB2RSTR
      if (v & (1u << 4)) usart_brr_ = 0, usart_cr1_ = 0;
      break;
    case 0x4002'3830: rcc_ahb1enr_ = v; break;
    case 0x4002'3840: rcc_apb1enr_ = v; break;
    case 0x4002'3844: rcc_apb2enr_ = v; break;
    case 0x4002'3874:
      if (v & (1u << 24)) rcc_csr_ &= ~0xFF00'0000u;  // RMVF
      rcc_csr_ = (rcc_csr_ & 0xFF00'0000u) | (v & 0x1u);
      break;
    case 0x4002'3C00: flash_acr_ = v & 0x1F07u & ~((1u << 11) | (1u << 12)); break;
    case 0x4002'3C04:  // KEYR
      if (flash_key_stage_ == 0 && v == 0x4567'0123) {
        flash_key_stage_ = 1;
      } else if (flash_key_stage_ == 1 && v == 0xCDEF'89AB) {
        flash_key_stage_ = 0;
        flash_cr_ &= ~0x8000'0000u;
      } else {
        flash_key_stage_ = 2;  // wrong sequence: locked until reset
      }
      break;
    case 0x4002'3C0C: flash_sr_ &= ~(v & 0xF3u); break;
    case 0x4002'3C10: {
      if (flash_cr_ & 0x8000'0000u) break;  // locked: ignored
      flash_cr_ = v;
      if ((v & (1u << 16)) && (v & (1u << 1))) {  // STRT with SER
        const unsigned sector = (v >> 3) & 0xF;
        if (sector < flash_map::kSectorCount) {
          erase_sector(sector);
        } else {
          flash_sr_ |= 1u << 4;  // WRPERR: invalid sector
        }
        flash_cr_ &= ~(1u << 16);
      }
      break;
    }
    case 0x4002'3000:
      if (rcc_ahb1enr_ & (1u << 12)) crc_dr_ = stm32_crc_unit_update(crc_dr_, v);
      break;
    case 0x4002'3008:
      if ((rcc_ahb1enr_ & (1u << 12)) && (v & 1u)) crc_dr_ = 0xFFFF'FFFF;
      break;
    case 0x4000'3000:  // IWDG KR
      if (v == 0xCCCC) {
        if (!iwdg_running_) iwdg_kick_ns_ = now_ns_;
        iwdg_running_ = true;
      } else if (v == 0xAAAA) {
        iwdg_kick_ns_ = now_ns_;
      }
      break;
    case 0x4000'3004: iwdg_pr_ = v & 7u; break;
    case 0x4000'3008: iwdg_rlr_ = v & 0xFFFu; break;
    case 0x4001'1004:  // USART1 DR
      if ((usart_cr1_ & 0x2008u) == 0x2008u && (rcc_apb2enr_ & (1u << 4)) && usart_brr_ != 0) {
        uart_.push_back(static_cast<char>(v & 0xFF));
        const uint64_t baud = pclk2_hz() / usart_brr_;
        usart_busy_until_ns_ = std::max(now_ns_, usart_busy_until_ns_) + 10'000'000'000ull / baud;
      }
      break;
    case 0x4001'1008: usart_brr_ = v & 0xFFFFu; break;
    case 0x4001'100C: usart_cr1_ = v; break;
    case 0x4002'0000: gpioa_moder_ = v; break;
    case 0x4002'000C: gpioa_pupdr_ = v; break;
    case 0x4002'0024: gpioa_afrh_ = v; break;
    case 0x4002'0C00: gpiod_moder_ = v; break;
    case 0x4002'0C14: set_odr(v); break;
    case 0x4002'0C18: set_odr((gpiod_odr_ | (v & 0xFFFF)) & ~(v >> 16)); break;
    case 0xE000'ED08: vtor_ = v & ~0x1FFu; break;
    case 0xE000'ED0C:
      if ((v >> 16) == 0x05FA && (v & 4u)) request_reset(kCsrSft | kCsrPin);
      break;
    case 0xE000'ED88: cpacr_ = v; break;
    default: break;
  }
}

}  // namespace fota::boot_test
