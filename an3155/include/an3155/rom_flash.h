// SPDX-License-Identifier: Apache-2.0
// bootcore's Flash interface over the ROM bootloader: the host appends the TRIAL record with
// bootcore's own MetaLog (the same code the bootloader runs), reading and programming the log
// sectors through AN3155 commands.
#pragma once

#include <array>

#include "an3155/an3155.h"
#include "bootcore/flash.h"

namespace fota::an3155 {

// What RomFlash read in this ROM session, in caller-owned storage (no heap). bootcore reads the
// same log records and slot headers more than once (install_slot(), slot_info(), the fresh load()
// of request_trial()), and every read costs two Read Memory commands on the wire. Entries are
// dropped when the driver writes or erases over them, and all of them when the target may have
// run code (enter, leave, Go, a sync from scratch): see ChangeObserver. Nothing else changes flash
// while the ROM bootloader runs.
class ReadCache final : public ChangeObserver {
 public:
  static constexpr size_t kMaxEntries = 64;
  explicit ReadCache(std::span<uint8_t> storage) : storage_(storage) {}
  // True (and `out` filled) when one entry holds all of [address, address + out.size()).
  bool lookup(uint32_t address, std::span<uint8_t> out);
  // Remembers `data` (at most kMaxBlock bytes); when full, starts over.
  void insert(uint32_t address, std::span<const uint8_t> data);
  void on_change(uint32_t address, uint32_t size) override;
  void clear();
  uint32_t hits() const { return hits_; }
  size_t entries() const { return count_; }

 private:
  struct Entry {
    uint32_t address;
    uint32_t offset;  // into storage_
    uint32_t size;
  };
  std::span<uint8_t> storage_;
  std::array<Entry, kMaxEntries> entries_{};
  size_t count_ = 0;
  size_t used_ = 0;  // storage bytes handed out since the last clear()
  uint32_t hits_ = 0;
};

class RomFlash final : public bootcore::Flash {
 public:
  // verify_reads: Read Memory data carries no checksum, so a bit error on the line would go
  // unnoticed; with it on every chunk is read until two reads agree (bounded).
  // cache (optional): serves repeated reads; RomFlash registers it as the driver's change
  // observer for its own lifetime.
  explicit RomFlash(Bootloader& rom, bool verify_reads = true, ReadCache* cache = nullptr);
  ~RomFlash();
  RomFlash(const RomFlash&) = delete;
  RomFlash& operator=(const RomFlash&) = delete;

  bootcore::FlashStatus read(uint32_t address, std::span<uint8_t> out) override;
  bootcore::FlashStatus program_words(uint32_t address, std::span<const uint32_t> words) override;
  bootcore::FlashStatus erase_sector(unsigned sector) override;

  Status last_status() const { return last_; }

 private:
  bootcore::FlashStatus map(Status status);
  Bootloader& rom_;
  bool verify_reads_;
  ReadCache* cache_;
  Status last_ = Status::kOk;
};

// Reads `out` with Read Memory in 256-byte commands; when verify is set each chunk is read until
// two consecutive reads agree (at most 8 reads: at a bit-error rate of 1e-4 one 256-byte read in
// five is damaged), else kBadReply.
[[nodiscard]] Status read_checked(Bootloader& rom, uint32_t address, std::span<uint8_t> out,
                                  bool verify);

}  // namespace fota::an3155
