// SPDX-License-Identifier: Apache-2.0
#include "fake_flash.h"

#include <algorithm>
#include <cstring>

namespace fota::bootcore::test {

namespace {
uint64_t next(uint64_t& s) {  // splitmix64
  uint64_t z = (s += 0x9E37'79B9'7F4A'7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58'476D'1CE4'E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D0'49BB'1331'11EBull;
  return z ^ (z >> 31);
}
}  // namespace

FakeFlash::FakeFlash() : mem_(flash_map::kFlashSize, flash_map::kErasedByte) {}

bool FakeFlash::in_range(uint32_t address, uint64_t size) const {
  return address >= flash_map::kFlashBase && address <= flash_map::kFlashEnd &&
         size <= flash_map::kFlashEnd - address;
}

void FakeFlash::touch(uint32_t address, uint32_t size) {
  for (uint32_t a = address; a < address + size;) {
    const int s = flash_map::sector_of(a);
    const auto& sec = flash_map::kSectors[s];
    const uint32_t end = std::min(address + size, sec.address + sec.size);
    dirty_end_[s] = std::max(dirty_end_[s], end - sec.address);
    a = end;
  }
}

void FakeFlash::schedule_cut(uint64_t steps_from_now, CutKind kind, uint64_t seed) {
  cut_at_ = steps_ + steps_from_now;
  cut_kind_ = kind;
  rng_ = seed;
  cut_happened_ = false;
}

bool FakeFlash::cut_now(uint64_t& rng) {
  ++steps_;
  if (cut_at_ == 0 || steps_ != cut_at_) return false;
  rng = rng_;
  cut_at_ = 0;
  dead_ = true;
  cut_happened_ = true;
  return true;
}

FlashStatus FakeFlash::read(uint32_t address, std::span<uint8_t> out) {
  if (dead_) throw PowerCut{};
  if (!in_range(address, out.size())) return FlashStatus::kOutOfRange;
  ++read_calls_;
  read_bytes_ += out.size();
  std::memcpy(out.data(), &mem_[address - flash_map::kFlashBase], out.size());
  return FlashStatus::kOk;
}

FlashStatus FakeFlash::program_words(uint32_t address, std::span<const uint32_t> words) {
  if (dead_) throw PowerCut{};
  if (address % 4 != 0) return FlashStatus::kMisaligned;
  if (!in_range(address, words.size() * 4ull)) return FlashStatus::kOutOfRange;
  touch(address, static_cast<uint32_t>(words.size() * 4));
  for (size_t i = 0; i < words.size(); ++i) {
    uint8_t* cell = &mem_[address + 4 * i - flash_map::kFlashBase];
    uint32_t old;
    std::memcpy(&old, cell, 4);
    uint32_t value = old & words[i];
    uint64_t rng = 0;
    if (cut_now(rng)) {
      if (cut_kind_ == CutKind::kClean) throw PowerCut{};
      // Torn: only some of the bits that should be cleared are cleared.
      const uint32_t to_clear = old & ~words[i];
      uint32_t cleared = to_clear & static_cast<uint32_t>(next(rng));
      if (cleared == to_clear && to_clear != 0) cleared &= cleared - 1;         // keep it partial
      if (cleared == 0 && to_clear != 0) cleared = to_clear & (~to_clear + 1);  // lowest bit
      if (cleared == to_clear) cleared = 0;  // single-bit word: leave untouched
      value = old & ~cleared;
      std::memcpy(cell, &value, 4);
      throw PowerCut{};
    }
    std::memcpy(cell, &value, 4);
  }
  return FlashStatus::kOk;
}

FlashStatus FakeFlash::erase_sector(unsigned sector) {
  if (dead_) throw PowerCut{};
  if (sector >= flash_map::kSectorCount) return FlashStatus::kOutOfRange;
  const auto& sec = flash_map::kSectors[sector];
  uint8_t* base = &mem_[sec.address - flash_map::kFlashBase];
  const uint32_t dirty = dirty_end_[sector];  // beyond this the sector is still erased
  uint64_t rng = 0;
  if (cut_now(rng)) {
    if (cut_kind_ == CutKind::kTorn && dirty > 0) {
      // Interrupted erase: a prefix erased, then a band of half-erased garbage (bits set at
      // random), the rest untouched. Band edges at random word offsets.
      uint32_t a = static_cast<uint32_t>(next(rng) % (dirty + 1)) & ~3u;
      uint32_t b = static_cast<uint32_t>(next(rng) % (dirty + 1)) & ~3u;
      if (a > b) std::swap(a, b);
      std::memset(base, 0xFF, a);
      for (uint32_t i = a; i < b; ++i) base[i] |= static_cast<uint8_t>(next(rng));
    }
    throw PowerCut{};
  }
  std::memset(base, 0xFF, dirty);
  dirty_end_[sector] = 0;
  return FlashStatus::kOk;
}

const uint8_t* FakeFlash::mapped(uint32_t address, uint32_t size) {
  if (dead_ || !mapped_enabled_ || !in_range(address, size)) return nullptr;
  return &mem_[address - flash_map::kFlashBase];
}

void FakeFlash::poke(uint32_t address, std::span<const uint8_t> bytes) {
  touch(address, static_cast<uint32_t>(bytes.size()));
  std::memcpy(&mem_[address - flash_map::kFlashBase], bytes.data(), bytes.size());
}

void FakeFlash::restore_from(const FakeFlash& other) {
  for (unsigned s = 0; s < flash_map::kSectorCount; ++s) {
    const uint32_t n = std::max(dirty_end_[s], other.dirty_end_[s]);
    const uint32_t off = flash_map::kSectors[s].address - flash_map::kFlashBase;
    std::memcpy(&mem_[off], &other.mem_[off], n);
    dirty_end_[s] = other.dirty_end_[s];
  }
  steps_ = 0;
  cut_at_ = 0;
  dead_ = false;
  cut_happened_ = false;
  mapped_enabled_ = other.mapped_enabled_;
  reset_counters();
}

}  // namespace fota::bootcore::test
