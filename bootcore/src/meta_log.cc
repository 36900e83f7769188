// SPDX-License-Identifier: Apache-2.0
#include "bootcore/meta_log.h"

#include <span>

#include "format/erased.h"

namespace fota::bootcore {

namespace {

using flash_map::all_erased;

bool valid_record_fields(const MetaRecord& r) {
  const auto slot = static_cast<unsigned>(r.slot);
  return slot < flash_map::kSlotCount &&
         (r.state == RecordState::kTrial || r.state == RecordState::kConfirmed ||
          r.state == RecordState::kRejected);
}

}  // namespace

const char* to_string(LogStatus status) {
  switch (status) {
    case LogStatus::kOk: return "ok";
    case LogStatus::kFlashError: return "metadata log flash access failed";
    case LogStatus::kVerifyFailed: return "metadata record did not read back intact";
    case LogStatus::kNotLoaded: return "metadata log not loaded";
    case LogStatus::kBadRecord: return "metadata record to append is invalid";
  }
  return "unknown log status";
}

MetaLog::MetaLog(Flash& flash, const LogArea& main_area, const LogArea& small_area,
                 uint32_t window_slots)
    : flash_(flash), areas_{main_area, small_area}, window_(window_slots) {}

LogStatus MetaLog::fail(FlashStatus status) {
  flash_status_ = status;
  loaded_ = false;
  return LogStatus::kFlashError;
}

LogStatus MetaLog::slot_erased(unsigned area, uint32_t index, bool& erased) {
  uint8_t buf[kRecordSize];
  const FlashStatus st = flash_.read(record_address(area, index), buf);
  if (st != FlashStatus::kOk) return fail(st);
  erased = all_erased(buf);
  return LogStatus::kOk;
}

LogStatus MetaLog::scan_area(unsigned area) {
  AreaScan scan;
  // Binary search for the first erased record slot: the written slots are a prefix.
  uint32_t lo = 0;
  uint32_t hi = areas_[area].slot_count();
  while (lo < hi) {
    const uint32_t mid = lo + (hi - lo) / 2;
    bool erased = false;
    FOTA_TRY(slot_erased(area, mid, erased));
    if (erased) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  scan.end = lo;

  // Walk back through the window, newest first, until both image slots are seen.
  const uint32_t limit = scan.end > window_ ? scan.end - window_ : 0;
  uint32_t pos = scan.end;
  uint8_t chunk[kLogChunkSlots * kRecordSize];
  while (pos > limit && !(scan.has[0] && scan.has[1])) {
    const uint32_t first = pos - limit > kLogChunkSlots ? pos - kLogChunkSlots : limit;
    const uint32_t count = pos - first;
    const FlashStatus st =
        flash_.read(record_address(area, first), std::span<uint8_t>(chunk, count * kRecordSize));
    if (st != FlashStatus::kOk) return fail(st);
    for (uint32_t i = count; i-- > 0;) {
      const auto parsed =
          parse_record(std::span<const uint8_t>(chunk + i * kRecordSize, kRecordSize));
      if (!parsed) continue;  // torn, damaged or (in a half-erased area) garbage
      const MetaRecord& r = parsed.value();
      const auto s = static_cast<unsigned>(r.slot);
      if (r.sequence > scan.max_sequence) scan.max_sequence = r.sequence;
      if (r.security_floor > scan.security_floor) scan.security_floor = r.security_floor;
      if (!scan.has[s] || r.sequence > scan.sequence[s]) {
        scan.has[s] = true;
        scan.sequence[s] = r.sequence;
        scan.position[s] = first + i;
        scan.record[s] = r;
      }
    }
    pos = first;
  }
  scan_[area] = scan;
  return LogStatus::kOk;
}

void MetaLog::compute_holder() {
  holder_ = -1;
  if (state_.empty()) return;
  bool holds[kLogAreaCount] = {true, true};
  for (unsigned a = 0; a < kLogAreaCount; ++a) {
    for (unsigned s = 0; s < flash_map::kSlotCount; ++s) {
      if (!state_.newest[s].present) continue;
      if (!scan_[a].has[s] || scan_[a].sequence[s] != state_.newest[s].record.sequence) {
        holds[a] = false;
      }
    }
  }
  if (holds[0] && holds[1]) {
    // Not reachable through our writers (the newest record exists in one area only); prefer the
    // area with more room.
    holder_ = scan_[1].end < scan_[0].end ? 1 : 0;
  } else if (holds[0]) {
    holder_ = 0;
  } else if (holds[1]) {
    holder_ = 1;
  }
}

LogStatus MetaLog::load() {
  loaded_ = false;
  flash_status_ = FlashStatus::kOk;
  for (unsigned a = 0; a < kLogAreaCount; ++a) FOTA_TRY(scan_area(a));
  state_ = LogState{};
  for (unsigned a = 0; a < kLogAreaCount; ++a) {
    for (unsigned s = 0; s < flash_map::kSlotCount; ++s) {
      if (!scan_[a].has[s]) continue;
      SlotRecord& n = state_.newest[s];
      if (!n.present || scan_[a].sequence[s] > n.record.sequence) {
        n.present = true;
        n.record = scan_[a].record[s];
      }
    }
    if (scan_[a].max_sequence > state_.max_sequence) state_.max_sequence = scan_[a].max_sequence;
    if (scan_[a].security_floor > state_.security_floor) {
      state_.security_floor = scan_[a].security_floor;
    }
  }
  compute_holder();
  loaded_ = true;
  return LogStatus::kOk;
}

bool MetaLog::needs_compaction(unsigned area) const {
  const AreaScan& scan = scan_[area];
  if (scan.end >= areas_[area].slot_count()) return true;
  // After this append (end + 1 slots used) every state record must still be inside the window,
  // even the one this append supersedes (the append may be torn by a power cut).
  for (unsigned s = 0; s < flash_map::kSlotCount; ++s) {
    if (state_.newest[s].present && scan.end + 1 - scan.position[s] > window_) return true;
  }
  return false;
}

LogStatus MetaLog::prepare_empty() {
  // No valid record anywhere: a fresh device, or a destroyed log. Both areas must be clean before
  // the first record, or stale/garbage slots could later be taken for the prefix end.
  for (unsigned a = 0; a < kLogAreaCount; ++a) {
    const LogArea& area = areas_[a];
    const uint8_t* view = flash_.mapped(area.address, area.size);
    const bool blank = view != nullptr && all_erased(std::span<const uint8_t>(view, area.size));
    if (!blank) {
      const FlashStatus st = flash_.erase_sector(area.sector);
      if (st != FlashStatus::kOk) return fail(st);
    }
    scan_[a] = AreaScan{};
  }
  return LogStatus::kOk;
}

LogStatus MetaLog::write_record(unsigned area, const MetaRecord& record) {
  AreaScan& scan = scan_[area];
  const uint32_t index = scan.end;
  const uint32_t address = record_address(area, index);
  const auto words = encode_record_words(record);
  ++scan.end;  // the slot counts as used whatever happens next
  FlashStatus st = flash_.program_words(address, words);
  if (st != FlashStatus::kOk) return fail(st);
  uint8_t back[kRecordSize];
  st = flash_.read(address, back);
  if (st != FlashStatus::kOk) return fail(st);
  const auto expected = encode_record(record);
  for (size_t i = 0; i < kRecordSize; ++i) {
    if (back[i] != expected[i]) {
      loaded_ = false;
      return LogStatus::kVerifyFailed;
    }
  }
  const auto s = static_cast<unsigned>(record.slot);
  scan.has[s] = true;
  scan.sequence[s] = record.sequence;
  scan.position[s] = index;
  scan.record[s] = record;
  if (record.sequence > scan.max_sequence) scan.max_sequence = record.sequence;
  if (record.security_floor > scan.security_floor) scan.security_floor = record.security_floor;
  return LogStatus::kOk;
}

LogStatus MetaLog::compact(unsigned from) {
  const unsigned to = 1 - from;
  const FlashStatus st = flash_.erase_sector(areas_[to].sector);
  if (st != FlashStatus::kOk) return fail(st);
  scan_[to] = AreaScan{};
  ++compactions_;

  // Copy the state oldest first with the original sequence numbers, so that any prefix of the
  // copy keeps the order of the records; the newest gets max+1 so that, once the copy is
  // complete, the new area holds the only record with the highest sequence.
  unsigned order[flash_map::kSlotCount];
  unsigned count = 0;
  for (unsigned s = 0; s < flash_map::kSlotCount; ++s) {
    if (state_.newest[s].present) order[count++] = s;
  }
  if (count == 2 &&
      state_.newest[order[0]].record.sequence > state_.newest[order[1]].record.sequence) {
    const unsigned t = order[0];
    order[0] = order[1];
    order[1] = t;
  }
  for (unsigned i = 0; i < count; ++i) {
    MetaRecord copy = state_.newest[order[i]].record;
    copy.security_floor = state_.security_floor;  // every copy carries the floor over
    if (i + 1 == count) {
      copy.sequence = state_.max_sequence + 1;
      copy.reason = RecordReason::kCompaction;
    }
    FOTA_TRY(write_record(to, copy));
    state_.newest[order[i]].record = copy;
  }
  if (count > 0) state_.max_sequence = state_.newest[order[count - 1]].record.sequence;
  holder_ = static_cast<int>(to);
  return LogStatus::kOk;
}

LogStatus MetaLog::append(const MetaRecord& record) {
  if (!loaded_) return LogStatus::kNotLoaded;
  if (!valid_record_fields(record)) return LogStatus::kBadRecord;
  unsigned target = 0;
  bool force_compaction = false;
  if (state_.empty()) {
    FOTA_TRY(prepare_empty());
    holder_ = 0;
  } else if (holder_ < 0) {
    // No single area holds the state (our writers never leave the log like this): first copy the
    // missing records (original sequence numbers) into the area with the newest record, which
    // erases nothing; only if it has no room, compact (the union is in RAM, but a cut during that
    // compaction's erase could lose the records only the erased area had).
    target = scan_[1].max_sequence > scan_[0].max_sequence ? 1 : 0;
    for (unsigned s = 0; s < flash_map::kSlotCount; ++s) {
      const SlotRecord& n = state_.newest[s];
      if (!n.present || (scan_[target].has[s] && scan_[target].sequence[s] == n.record.sequence)) {
        continue;
      }
      if (scan_[target].end >= areas_[target].slot_count()) break;
      MetaRecord copy = n.record;
      copy.security_floor = state_.security_floor;
      FOTA_TRY(write_record(target, copy));
    }
    compute_holder();
    force_compaction = holder_ != static_cast<int>(target);
  } else {
    target = static_cast<unsigned>(holder_);
  }
  if (force_compaction || needs_compaction(target)) {
    FOTA_TRY(compact(target));
    target = 1 - target;
  }
  MetaRecord r = record;
  r.sequence = state_.max_sequence + 1;
  if (r.security_floor < state_.security_floor) r.security_floor = state_.security_floor;
  FOTA_TRY(write_record(target, r));
  SlotRecord& n = state_.newest[static_cast<unsigned>(r.slot)];
  n.present = true;
  n.record = r;
  state_.max_sequence = r.sequence;
  state_.security_floor = r.security_floor;
  holder_ = static_cast<int>(target);
  return LogStatus::kOk;
}

}  // namespace fota::bootcore
