// SPDX-License-Identifier: Apache-2.0
// The boot metadata log: append-only 32-byte records (format/meta_record.h) in two areas,
// sector 11 (main, 128 KB = 4096 record slots) and sector 3 (small, 16 KB = 512 slots), used
// ping-pong. docs/bootloader.md ("Boot metadata log") describes the layout and the recovery rules;
// in short:
//  - In each area the written record slots form a contiguous prefix (torn records count as
//    written). load() finds each prefix end by binary search (~12 + 9 reads of 32 bytes), then
//    reads back at most kLogWindowSlots slots from each end (256-byte chunks).
//  - The state is, per image slot, the valid record with the highest sequence number across both
//    areas (their union), so a half-written compaction snapshot never hides anything.
//  - The "holder" is the area whose window alone contains the whole state; appends go there.
//    When it is full, or an append would push a state record out of the window, compaction erases
//    the other area and copies the state there (oldest first, original sequence numbers; the
//    newest copy gets max+1 so the new area wins outright), then appends there.
#pragma once

#include <array>
#include <cstdint>

#include "bootcore/flash.h"
#include "format/flash_map.h"
#include "format/meta_record.h"

namespace fota::bootcore {

struct LogArea {
  uint32_t address;
  uint32_t size;
  unsigned sector;
  constexpr uint32_t slot_count() const { return size / kRecordSize; }
};

inline constexpr LogArea kMainLogArea{flash_map::kLogAreaMainAddress, flash_map::kLogAreaMainSize,
                                      flash_map::kLogAreaMainSector};
inline constexpr LogArea kSmallLogArea{
    flash_map::kLogAreaSmallAddress, flash_map::kLogAreaSmallSize, flash_map::kLogAreaSmallSector};
inline constexpr unsigned kLogAreaCount = 2;  // index 0 = main (sector 11), 1 = small (sector 3)

// How far back from an area's end load() looks (record slots). Appends keep every state record
// inside this window (compacting early if needed), so load() never scans 128 KB: at most 2 KB per
// area, read in 256-byte chunks (one AN3155 Read Memory command each).
inline constexpr uint32_t kLogWindowSlots = 64;
inline constexpr uint32_t kLogChunkSlots = 8;

enum class LogStatus : uint8_t {
  kOk = 0,
  kFlashError,    // a read/program/erase failed: see MetaLog::flash_status()
  kVerifyFailed,  // a programmed record did not read back intact (slot is burnt, retry appends)
  kNotLoaded,     // append() before a successful load()
  kBadRecord,     // the record to append names no valid slot/state
};

const char* to_string(LogStatus status);

// Newest record of one image slot (present = false: the log says nothing about that slot).
struct SlotRecord {
  bool present = false;
  MetaRecord record;
};

struct LogState {
  std::array<SlotRecord, flash_map::kSlotCount> newest{};
  uint32_t max_sequence = 0;  // 0 = no valid record anywhere (empty or destroyed log)
  // Anti-rollback floor: the highest MetaRecord::security_floor of the valid records read. Every
  // append carries it on (MetaLog::append never lowers it), so it survives compaction.
  uint16_t security_floor = 0;
  bool empty() const { return !newest[0].present && !newest[1].present; }
  const SlotRecord& of(flash_map::Slot slot) const { return newest[static_cast<unsigned>(slot)]; }
};

// What load() found in one area (exposed for tests, tools and docs).
struct AreaScan {
  uint32_t end = 0;           // record slots in use (the written prefix)
  uint32_t max_sequence = 0;  // highest valid sequence inside the window (0 = none)
  std::array<bool, flash_map::kSlotCount> has{};
  std::array<uint32_t, flash_map::kSlotCount> sequence{};  // newest per image slot in the window
  std::array<uint32_t, flash_map::kSlotCount> position{};  // its record-slot index
  std::array<MetaRecord, flash_map::kSlotCount> record{};
  uint16_t security_floor = 0;  // highest floor among the valid records read in the window
};

class MetaLog {
 public:
  explicit MetaLog(Flash& flash, const LogArea& main_area = kMainLogArea,
                   const LogArea& small_area = kSmallLogArea,
                   uint32_t window_slots = kLogWindowSlots);

  // Reads both areas and rebuilds state(). Only reads.
  [[nodiscard]] LogStatus load();
  bool loaded() const { return loaded_; }
  const LogState& state() const { return state_; }

  // Appends `record` (its sequence is assigned: max_sequence + 1) and updates state(). Compacts
  // first when needed. After any failure the caller must load() again before appending.
  [[nodiscard]] LogStatus append(const MetaRecord& record);

  FlashStatus flash_status() const { return flash_status_; }
  const AreaScan& area(unsigned index) const { return scan_[index]; }
  const LogArea& area_layout(unsigned index) const { return areas_[index]; }
  // Area whose window alone holds the whole state (-1: none; empty log).
  int holder() const { return holder_; }
  uint32_t compactions() const { return compactions_; }

 private:
  LogStatus fail(FlashStatus status);
  LogStatus slot_erased(unsigned area, uint32_t index, bool& erased);
  LogStatus scan_area(unsigned area);
  void compute_holder();
  bool needs_compaction(unsigned area) const;
  LogStatus prepare_empty();
  LogStatus compact(unsigned from);
  LogStatus write_record(unsigned area, const MetaRecord& record);
  uint32_t record_address(unsigned area, uint32_t index) const {
    return areas_[area].address + index * static_cast<uint32_t>(kRecordSize);
  }

  Flash& flash_;
  std::array<LogArea, kLogAreaCount> areas_;
  uint32_t window_;
  bool loaded_ = false;
  LogState state_{};
  std::array<AreaScan, kLogAreaCount> scan_{};
  int holder_ = -1;
  FlashStatus flash_status_ = FlashStatus::kOk;
  uint32_t compactions_ = 0;
};

}  // namespace fota::bootcore
