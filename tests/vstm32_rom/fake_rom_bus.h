// SPDX-License-Identifier: Apache-2.0
// A RomBus over plain arrays with the F407's flash rules (AND programming, erase to 0xFF,
// write protection, datasheet durations), recording everything the ROM model does.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <vector>

#include "vstm32/rom_bus.h"

namespace vstm32::testing {

struct TxByte {
  uint8_t byte;
  uint64_t at_ns;
};

class FakeRomBus : public RomBus {
 public:
  static constexpr uint32_t kFlashBase = 0x0800'0000;
  static constexpr uint32_t kFlashSize = 1024 * 1024;
  static constexpr uint32_t kSramBase = 0x2000'0000;
  static constexpr uint32_t kSramSize = 128 * 1024;
  static constexpr uint32_t kSysBase = 0x1FFF'0000;  // system memory .. flash size register
  static constexpr uint32_t kSysSize = 0x7A24;
  static constexpr uint32_t kOptBase = 0x1FFF'C000;
  // DS8626 typical times, as the machine is expected to report them.
  static constexpr uint64_t kProgramOpNs = 16'000;

  FakeRomBus() {
    flash.fill(0xFF);
    sram.fill(0);
    sys.fill(0xA5);
    for (unsigned i = 0; i < 12; ++i) sys[0x7A10 + i] = static_cast<uint8_t>(0x10 + i);
    sys[0x7A22] = 0x00;  // 1024 KB
    sys[0x7A23] = 0x04;
  }

  static uint32_t sector_size(unsigned sector) {
    return sector < 4 ? 16 * 1024 : sector == 4 ? 64 * 1024 : 128 * 1024;
  }
  static uint32_t sector_address(unsigned sector) {
    uint32_t a = kFlashBase;
    for (unsigned i = 0; i < sector; ++i) a += sector_size(i);
    return a;
  }
  static int sector_of(uint32_t address) {
    for (unsigned i = 0; i < 12; ++i) {
      if (address >= sector_address(i) && address < sector_address(i) + sector_size(i)) {
        return static_cast<int>(i);
      }
    }
    return -1;
  }
  // Typical erase time in ms: DS8626 table (x8 / x16 / x32; x64 like x32).
  static uint64_t erase_ns(unsigned sector, unsigned psize) {
    static constexpr uint64_t k16[] = {400, 300, 250, 250};
    static constexpr uint64_t k64[] = {1200, 700, 550, 550};
    static constexpr uint64_t k128[] = {2000, 1300, 1000, 1000};
    const uint32_t size = sector_size(sector);
    const uint64_t ms = size == 16 * 1024   ? k16[psize]
                        : size == 64 * 1024 ? k64[psize]
                                            : k128[psize];
    return ms * 1'000'000;
  }

  uint64_t now_ns() const override { return now; }
  void uart_transmit(uint8_t byte, uint64_t at_ns) override { tx.push_back({byte, at_ns}); }

  BusStatus read(uint32_t address, std::span<uint8_t> out) override {
    ++reads;
    const uint8_t* base = map(address, out.size());
    if (base == nullptr) return BusStatus::kUnmapped;
    std::memcpy(out.data(), base, out.size());
    return BusStatus::kOk;
  }
  BusStatus program_flash(uint32_t address, std::span<const uint8_t> data, unsigned psize,
                          uint64_t& duration_ns) override {
    last_psize = psize;
    duration_ns = 0;
    if (address < kFlashBase || address + data.size() > kFlashBase + kFlashSize) {
      return BusStatus::kUnmapped;
    }
    for (size_t i = 0; i < data.size(); ++i) {
      if ((nwrp & (1u << sector_of(static_cast<uint32_t>(address + i)))) == 0) {
        return BusStatus::kProtected;
      }
    }
    for (size_t i = 0; i < data.size(); ++i) flash[address - kFlashBase + i] &= data[i];
    const size_t access = size_t{1} << psize;
    duration_ns = (data.size() + access - 1) / access * kProgramOpNs;
    programmed_bytes += data.size();
    return BusStatus::kOk;
  }
  BusStatus erase_sector(unsigned sector, unsigned psize, uint64_t& duration_ns) override {
    last_psize = psize;
    duration_ns = 0;
    if (sector >= 12) return BusStatus::kProgramError;
    if ((nwrp & (1u << sector)) == 0) return BusStatus::kProtected;
    std::memset(&flash[sector_address(sector) - kFlashBase], 0xFF, sector_size(sector));
    duration_ns = erase_ns(sector, psize);
    erased.push_back(sector);
    return BusStatus::kOk;
  }
  BusStatus mass_erase(unsigned psize, uint64_t& duration_ns) override {
    static constexpr uint64_t kMassMs[] = {16000, 11000, 8000, 8000};
    last_psize = psize;
    if (nwrp != 0x0FFF) {
      duration_ns = 0;
      return BusStatus::kProtected;
    }
    flash.fill(0xFF);
    duration_ns = kMassMs[psize] * 1'000'000;
    ++mass_erases;
    return BusStatus::kOk;
  }
  BusStatus write_memory(uint32_t address, std::span<const uint8_t> data) override {
    if (address >= kSramBase && address + data.size() <= kSramBase + kSramSize) {
      std::memcpy(&sram[address - kSramBase], data.data(), data.size());
      return BusStatus::kOk;
    }
    if (address >= 0x1FFF'7800 && address + data.size() <= 0x1FFF'7A10) {
      for (size_t i = 0; i < data.size(); ++i) sys[address - kSysBase + i] &= data[i];
      return BusStatus::kOk;
    }
    return BusStatus::kUnmapped;
  }
  uint8_t rdp_level_byte() const override { return rdp; }
  uint16_t nwrp_bits() const override { return nwrp; }
  void set_option_bytes(uint8_t new_rdp, uint16_t new_nwrp) override {
    rdp = new_rdp;
    nwrp = new_nwrp;
    ++option_writes;
  }
  void go(uint32_t address, uint64_t at_ns) override { go_call = {address, at_ns}; }
  void system_reset(uint64_t at_ns) override { reset_at = at_ns; }

  // Bytes transmitted since the last call.
  std::vector<uint8_t> take_tx() {
    std::vector<uint8_t> out;
    for (const TxByte& b : tx) out.push_back(b.byte);
    tx.clear();
    return out;
  }

  uint64_t now = 0;
  std::vector<TxByte> tx;
  std::array<uint8_t, kFlashSize> flash{};
  std::array<uint8_t, kSramSize> sram{};
  std::array<uint8_t, kSysSize> sys{};
  uint8_t rdp = 0xAA;
  uint16_t nwrp = 0x0FFF;
  unsigned last_psize = 99;
  unsigned reads = 0;
  unsigned mass_erases = 0;
  unsigned option_writes = 0;
  size_t programmed_bytes = 0;
  std::vector<unsigned> erased;
  std::optional<std::pair<uint32_t, uint64_t>> go_call;
  std::optional<uint64_t> reset_at;

 private:
  uint8_t* map(uint32_t address, size_t size) {
    const uint64_t end = uint64_t{address} + size;
    if (address >= kFlashBase && end <= kFlashBase + kFlashSize)
      return &flash[address - kFlashBase];
    if (address >= kSramBase && end <= kSramBase + kSramSize) return &sram[address - kSramBase];
    if (address >= kSysBase && end <= kSysBase + kSysSize) return &sys[address - kSysBase];
    if (address >= kOptBase && end <= kOptBase + 16) {
      opt = {0xEC,
             rdp,
             0x13,
             static_cast<uint8_t>(~rdp),
             0xFF,
             0xFF,
             0xFF,
             0xFF,
             static_cast<uint8_t>(nwrp),
             static_cast<uint8_t>(nwrp >> 8),
             0,
             0,
             0xFF,
             0xFF,
             0xFF,
             0xFF};
      return &opt[address - kOptBase];
    }
    return nullptr;
  }
  std::array<uint8_t, 16> opt{};
};

}  // namespace vstm32::testing
