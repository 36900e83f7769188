// SPDX-License-Identifier: Apache-2.0
#include "an3155/rom_flash.h"

#include "format/flash_map.h"

namespace fota::an3155 {

Status read_checked(Bootloader& rom, uint32_t address, std::span<uint8_t> out, bool verify) {
  uint8_t check[kMaxBlock];
  for (size_t offset = 0; offset < out.size(); offset += kMaxBlock) {
    const size_t n = out.size() - offset < kMaxBlock ? out.size() - offset : kMaxBlock;
    std::span<uint8_t> chunk = out.subspan(offset, n);
    const uint32_t at = address + static_cast<uint32_t>(offset);
    FOTA_TRY(rom.read_memory(at, chunk));
    if (!verify) continue;
    bool agreed = false;
    for (int i = 0; i < 7 && !agreed; ++i) {
      FOTA_TRY(rom.read_memory(at, {check, n}));
      agreed = true;
      for (size_t k = 0; k < n; ++k) {
        if (check[k] != chunk[k]) agreed = false;
        chunk[k] = check[k];
      }
    }
    if (!agreed) return Status::kBadReply;
  }
  return Status::kOk;
}

bool ReadCache::lookup(uint32_t address, std::span<uint8_t> out) {
  for (size_t i = 0; i < count_; ++i) {
    const Entry& e = entries_[i];
    if (address < e.address || address - e.address > e.size ||
        out.size() > e.size - (address - e.address)) {
      continue;
    }
    const uint8_t* from = storage_.data() + e.offset + (address - e.address);
    for (size_t k = 0; k < out.size(); ++k) out[k] = from[k];
    ++hits_;
    return true;
  }
  return false;
}

void ReadCache::insert(uint32_t address, std::span<const uint8_t> data) {
  if (data.empty() || data.size() > storage_.size()) return;
  if (count_ == kMaxEntries || storage_.size() - used_ < data.size()) clear();
  Entry& e = entries_[count_++];
  e.address = address;
  e.offset = static_cast<uint32_t>(used_);
  e.size = static_cast<uint32_t>(data.size());
  for (size_t k = 0; k < data.size(); ++k) storage_[used_ + k] = data[k];
  used_ += data.size();
}

void ReadCache::on_change(uint32_t address, uint32_t size) {
  if (size == 0) {
    clear();
    return;
  }
  const uint64_t end = uint64_t{address} + size;
  size_t kept = 0;
  for (size_t i = 0; i < count_; ++i) {
    const Entry& e = entries_[i];
    const bool overlaps = e.address < end && address < uint64_t{e.address} + e.size;
    if (!overlaps) entries_[kept++] = e;
  }
  count_ = kept;
  if (count_ == 0) used_ = 0;
}

void ReadCache::clear() {
  count_ = 0;
  used_ = 0;
}

RomFlash::RomFlash(Bootloader& rom, bool verify_reads, ReadCache* cache)
    : rom_(rom), verify_reads_(verify_reads), cache_(cache) {
  if (cache_ != nullptr) rom_.set_change_observer(cache_);
}

RomFlash::~RomFlash() {
  if (cache_ != nullptr) rom_.set_change_observer(nullptr);
}

bootcore::FlashStatus RomFlash::map(Status status) {
  last_ = status;
  switch (status) {
    case Status::kOk: return bootcore::FlashStatus::kOk;
    case Status::kTimeout: return bootcore::FlashStatus::kTimeout;
    case Status::kProtected: return bootcore::FlashStatus::kWriteProtected;
    case Status::kBadArgument: return bootcore::FlashStatus::kOutOfRange;
    default: return bootcore::FlashStatus::kIoError;
  }
}

bootcore::FlashStatus RomFlash::read(uint32_t address, std::span<uint8_t> out) {
  if (address < flash_map::kFlashBase || address > flash_map::kFlashEnd ||
      out.size() > flash_map::kFlashEnd - address) {
    return bootcore::FlashStatus::kOutOfRange;
  }
  if (cache_ == nullptr) return map(read_checked(rom_, address, out, verify_reads_));
  for (size_t offset = 0; offset < out.size(); offset += kMaxBlock) {
    const size_t n = out.size() - offset < kMaxBlock ? out.size() - offset : kMaxBlock;
    const std::span<uint8_t> chunk = out.subspan(offset, n);
    const uint32_t at = address + static_cast<uint32_t>(offset);
    if (cache_->lookup(at, chunk)) continue;
    const Status status = read_checked(rom_, at, chunk, verify_reads_);
    if (status != Status::kOk) return map(status);
    cache_->insert(at, chunk);
  }
  return map(Status::kOk);
}

bootcore::FlashStatus RomFlash::program_words(uint32_t address, std::span<const uint32_t> words) {
  if (address % 4 != 0) return bootcore::FlashStatus::kMisaligned;
  if (address < flash_map::kFlashBase || address > flash_map::kFlashEnd ||
      words.size() * 4 > flash_map::kFlashEnd - address) {
    return bootcore::FlashStatus::kOutOfRange;
  }
  uint8_t block[kMaxBlock];
  constexpr size_t kWordsPerBlock = kMaxBlock / 4;
  for (size_t first = 0; first < words.size(); first += kWordsPerBlock) {
    const size_t count =
        words.size() - first < kWordsPerBlock ? words.size() - first : kWordsPerBlock;
    for (size_t i = 0; i < count; ++i) {
      const uint32_t w = words[first + i];
      block[4 * i] = static_cast<uint8_t>(w);
      block[4 * i + 1] = static_cast<uint8_t>(w >> 8);
      block[4 * i + 2] = static_cast<uint8_t>(w >> 16);
      block[4 * i + 3] = static_cast<uint8_t>(w >> 24);
    }
    const Status status =
        rom_.write_memory(address + static_cast<uint32_t>(first * 4), {block, count * 4});
    if (status == Status::kNack) {
      last_ = status;
      return bootcore::FlashStatus::kProgramError;
    }
    if (status != Status::kOk) return map(status);
  }
  last_ = Status::kOk;
  return bootcore::FlashStatus::kOk;
}

bootcore::FlashStatus RomFlash::erase_sector(unsigned sector) {
  if (sector >= flash_map::kSectorCount) return bootcore::FlashStatus::kOutOfRange;
  const uint16_t list[1] = {static_cast<uint16_t>(sector)};
  const Status status = rom_.extended_erase(list);
  if (status == Status::kNack) {
    last_ = status;
    return bootcore::FlashStatus::kEraseError;
  }
  return map(status);
}

}  // namespace fota::an3155
