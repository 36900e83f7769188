// SPDX-License-Identifier: Apache-2.0
#include "bootcore/boot.h"

#include "slot_view.h"

namespace fota::bootcore {

using flash_map::Slot;

LogStatus request_trial(MetaLog& log, Slot slot, const ImageHeader& header, uint8_t max_attempts,
                        RecordWriter writer) {
  FOTA_TRY(log.load());  // always fresh: the bootloader or the app may have appended meanwhile
  MetaRecord r;
  r.slot = slot;
  r.state = RecordState::kTrial;
  r.attempts = 0;
  r.max_attempts = max_attempts;
  r.image_crc32 = header.payload_crc32;
  r.version = header.version.packed();
  r.build = header.version.build;
  r.writer = writer;
  r.reason = RecordReason::kNewImage;
  return log.append(r);
}

SlotInfo slot_info(Flash& flash, const MetaLog& log, Slot slot) {
  SlotInfo info;
  info.slot = slot;
  const SlotHeader h = read_slot_header(flash, slot);
  info.header_verdict = h.verdict;
  info.header = h.header;
  SlotView v = slot_view_of(h);
  v.newest = log.state().of(slot);
  info.state = effective_state(v);
  if (info.state != SlotState::kNone) {
    info.attempts = v.newest.record.attempts;
    info.max_attempts = effective_max_attempts(v.newest.record);
    info.sequence = v.newest.record.sequence;
  }
  return info;
}

Slot install_slot(Flash& flash, const MetaLog& log) {
  SlotInfo info[flash_map::kSlotCount] = {slot_info(flash, log, Slot::kA),
                                          slot_info(flash, log, Slot::kB)};
  auto newest_in = [&](SlotState state) -> int {
    int best = -1;
    for (unsigned i = 0; i < flash_map::kSlotCount; ++i) {
      if (info[i].state != state) continue;
      if (best < 0 || info[i].sequence > info[best].sequence) best = static_cast<int>(i);
    }
    return best;
  };
  int keep = newest_in(SlotState::kConfirmed);
  if (keep < 0) keep = newest_in(SlotState::kTrial);
  if (keep >= 0) return keep == 0 ? Slot::kB : Slot::kA;
  if (!info[0].header_verdict.ok()) return Slot::kA;
  return Slot::kB;
}

}  // namespace fota::bootcore
