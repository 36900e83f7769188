// A small virtual STM32F407 for F's bootloader tests, on Unicorn (Cortex-M4): flash with the
// controller's rules (unlock, PG/SER/STRT, PSIZE x32, AND programming, erase with its stall time),
// SRAM, RCC (ready flags, clock switch, reset flags), CRC unit, IWDG (LSI 32 kHz), USART1 TX with
// wire time, GPIOD LEDs, SCB (VTOR, AIRCR reset, CPACR). Time = instructions / SYSCLK (CPI 1).
// A fault (undefined instruction, unmapped access) leaves the core spinning as in a HardFault
// handler loop until the watchdog resets it.
//
// Stopgap: helper V1's vstm32::Machine is the project's virtual target; this model exists because
// machine.h was not published during this session. Device (device.h) is the seam to swap it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

struct uc_struct;

namespace fota::boot_test {

struct LedEvent {
  double time_ms;
  uint8_t leds;  // bit 0 green PD12, 1 orange PD13, 2 red PD14, 3 blue PD15
};

class MiniTarget {
 public:
  static constexpr uint32_t kFlashBase = 0x0800'0000;
  static constexpr uint32_t kFlashSize = 1024 * 1024;

  explicit MiniTarget(std::span<const uint8_t> flash_image);
  ~MiniTarget();
  MiniTarget(const MiniTarget&) = delete;
  MiniTarget& operator=(const MiniTarget&) = delete;

  void power_on();    // power-on reset: RAM cleared, PORRSTF|PINRSTF|BORRSTF
  void power_off();   // everything stops; flash keeps its contents
  void pulse_nrst();  // external reset: PINRSTF, RAM kept
  bool powered() const { return powered_; }

  // Executes up to `max_instructions` (fewer when a cut, reset or stop point intervenes).
  // Returns the instructions executed.
  uint64_t step(uint64_t max_instructions);

  void cut_after_instructions(uint64_t n) { cut_at_ = instructions_ + n; }
  // Cuts the power in the middle of the `n`-th flash program/erase step from now: the word is
  // left torn (only some of its bits cleared), the sector partly erased (the first `fraction`).
  void cut_at_flash_step(uint64_t n, double fraction, uint64_t seed) {
    cut_flash_at_ = flash_steps_ + n;
    cut_fraction_ = fraction;
    cut_seed_ = seed;
  }
  void cancel_cut() { cut_at_ = cut_flash_at_ = 0; }
  // Records the first time the core reaches `address` (e.g. an application's reset handler).
  void watch_address(uint32_t address);
  double watch_hit_ms() const { return watch_hit_ms_; }

  double now_ms() const { return static_cast<double>(now_ns_) / 1e6; }
  uint64_t now_ns() const { return now_ns_; }
  uint64_t instructions() const { return instructions_; }
  uint64_t flash_steps() const { return flash_steps_; }
  uint64_t resets() const { return resets_; }
  std::string take_uart();
  const std::vector<LedEvent>& led_events() const { return led_events_; }
  std::vector<uint8_t>& flash() { return flash_; }
  std::vector<uint8_t>& ram() { return ram_; }
  void set_slice(uint64_t instructions) { slice_ = instructions; }

  // Peripheral access from the Unicorn callbacks (public for them only).
  uint64_t mmio_read(uint32_t address);
  void mmio_write(uint32_t address, uint32_t value);
  bool flash_store(uint32_t address, int size, int64_t value);
  void on_watch();

 private:
  void boot(uint32_t reset_flags);
  void close_engine();
  void reset_peripherals();
  uint32_t sysclk_hz() const;
  uint32_t pclk2_hz() const;
  void set_odr(uint32_t odr);
  void erase_sector(unsigned sector);
  void request_reset(uint32_t flags);
  uint64_t iwdg_period_ns() const;

  std::vector<uint8_t> flash_;
  std::vector<uint8_t> ram_;
  std::vector<uint8_t> ccm_;
  uc_struct* uc_ = nullptr;
  bool powered_ = false;
  bool faulted_ = false;
  uint32_t pc_ = 0;
  uint64_t now_ns_ = 0;
  uint64_t stall_ns_ = 0;  // flash operations: the core waits (no fetch while BSY)
  uint64_t instructions_ = 0;
  uint64_t cut_at_ = 0;
  uint64_t cut_flash_at_ = 0;
  double cut_fraction_ = 0.5;
  uint64_t cut_seed_ = 0;
  bool pending_power_off_ = false;
  bool cut_this_step();
  uint64_t slice_ = 1000;
  uint64_t flash_steps_ = 0;
  uint64_t resets_ = 0;
  uint32_t pending_reset_ = 0;
  uint32_t watch_address_ = 0;
  double watch_hit_ms_ = -1;
  std::string uart_;
  std::vector<LedEvent> led_events_;

  // Peripheral state
  uint32_t rcc_cr_ = 0, rcc_pllcfgr_ = 0, rcc_cfgr_ = 0, rcc_csr_ = 0;
  uint32_t rcc_ahb1enr_ = 0, rcc_apb1enr_ = 0, rcc_apb2enr_ = 0;
  uint32_t flash_acr_ = 0, flash_cr_ = 0, flash_sr_ = 0;
  int flash_key_stage_ = 0;
  uint32_t crc_dr_ = 0;
  bool iwdg_running_ = false;
  uint32_t iwdg_pr_ = 0, iwdg_rlr_ = 0xFFF;
  uint64_t iwdg_kick_ns_ = 0;
  uint32_t usart_brr_ = 0, usart_cr1_ = 0;
  uint64_t usart_busy_until_ns_ = 0;
  uint32_t gpiod_moder_ = 0, gpiod_odr_ = 0, gpioa_moder_ = 0, gpioa_afrh_ = 0, gpioa_pupdr_ = 0;
  uint32_t vtor_ = 0, cpacr_ = 0;
};

}  // namespace fota::boot_test
