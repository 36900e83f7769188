// SPDX-License-Identifier: Apache-2.0
// A RAM model of the STM32F407's 1 MB flash with the silicon's rules, for host tests:
//  - RM0090 sector map; erase sets a whole sector to 0xFF;
//  - programming ANDs each word into the cell (a rewrite can only clear bits), 4-byte aligned;
//  - out-of-range or misaligned access fails like the controller would;
//  - a power cut can be scheduled at any program/erase step (one word programmed = one step, one
//    sector erase = one step): the step is either not done at all or torn (the word got only
//    some of its bits cleared; the sector got partly erased, partly left old, partly garbage),
//    and the operation does not return: it throws PowerCut, which unwinds the code under test
//    (compiled without exceptions, it has no handler and no cleanup to run) up to the test that
//    plays the power supply. Every flash operation until power_on() throws PowerCut too.
//    The production Flash interface has no power-loss status: on silicon nothing returns.
// Reads are counted (calls and bytes) so tests can assert how much the host would transfer.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "bootcore/flash.h"
#include "format/flash_map.h"

namespace fota::bootcore::test {

enum class CutKind : uint8_t { kClean, kTorn };

// Thrown by FakeFlash at a power cut. Host tests only: catch it where the device "dies".
struct PowerCut {};

class FakeFlash final : public Flash {
 public:
  FakeFlash();

  // These throw PowerCut at a scheduled cut and while the power is off.
  FlashStatus read(uint32_t address, std::span<uint8_t> out) override;
  FlashStatus program_words(uint32_t address, std::span<const uint32_t> words) override;
  FlashStatus erase_sector(unsigned sector) override;
  const uint8_t* mapped(uint32_t address, uint32_t size) override;

  // Power cut at the `step`-th program/erase step from now (1 = the very next one).
  void schedule_cut(uint64_t steps_from_now, CutKind kind, uint64_t seed);
  void cancel_cut() { cut_at_ = 0; }
  bool powered() const { return !dead_; }
  bool cut_happened() const { return cut_happened_; }
  void power_on() { dead_ = false; }

  uint64_t steps() const { return steps_; }
  uint64_t read_calls() const { return read_calls_; }
  uint64_t read_bytes() const { return read_bytes_; }
  void reset_counters() { read_calls_ = read_bytes_ = 0; }
  void set_mapped_enabled(bool enabled) { mapped_enabled_ = enabled; }

  // Test backdoors (no steps, no rules): build a state or damage flash "by radiation".
  void poke(uint32_t address, std::span<const uint8_t> bytes);
  uint8_t* raw(uint32_t address) { return &mem_[address - flash_map::kFlashBase]; }
  // Copies `other`'s contents (only the sectors either one has touched) and resets counters.
  void restore_from(const FakeFlash& other);

 private:
  bool in_range(uint32_t address, uint64_t size) const;
  void touch(uint32_t address, uint32_t size);
  bool cut_now(uint64_t& rng);  // advances the step counter; true when this step is cut

  std::vector<uint8_t> mem_;
  std::array<uint32_t, flash_map::kSectorCount> dirty_end_{};  // bytes from sector start
  uint64_t steps_ = 0;
  uint64_t cut_at_ = 0;
  CutKind cut_kind_ = CutKind::kClean;
  uint64_t rng_ = 0;
  bool dead_ = false;
  bool cut_happened_ = false;
  bool mapped_enabled_ = true;
  uint64_t read_calls_ = 0;
  uint64_t read_bytes_ = 0;
};

// Forwards to another Flash but has no memory-mapped view: how the host sees the target through
// the ROM bootloader.
class UnmappedFlash final : public Flash {
 public:
  explicit UnmappedFlash(Flash& inner) : inner_(inner) {}
  FlashStatus read(uint32_t a, std::span<uint8_t> out) override { return inner_.read(a, out); }
  FlashStatus program_words(uint32_t a, std::span<const uint32_t> w) override {
    return inner_.program_words(a, w);
  }
  FlashStatus erase_sector(unsigned s) override { return inner_.erase_sector(s); }

 private:
  Flash& inner_;
};

}  // namespace fota::bootcore::test
