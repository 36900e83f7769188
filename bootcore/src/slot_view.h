// SPDX-License-Identifier: Apache-2.0
// A slot's header as the decision table sees it (boot flow, confirm, slot queries).
#pragma once

#include "bootcore/boot.h"

namespace fota::bootcore {

inline SlotView slot_view_of(const SlotHeader& h) {
  SlotView v;
  v.header_ok = h.verdict.ok();
  if (v.header_ok) {
    v.payload_crc32 = h.header.payload_crc32;
    v.version = h.header.version.packed();
    v.build = h.header.version.build;
  }
  return v;
}

}  // namespace fota::bootcore
