// SPDX-License-Identifier: Apache-2.0
#include "iwdg.h"

#include <algorithm>

namespace vstm32 {

void Iwdg::reset() {
  running_ = false;
  access_ = false;
  pr_ = 0;
  rlr_ = 0xFFF;
  deadline_ps_ = 0;
  busy_until_ps_ = 0;
}

void Iwdg::reload() {
  const uint64_t ticks = (4ull << std::min<uint32_t>(pr_, 6)) * (rlr_ + 1ull);
  deadline_ps_ = host_.now_ps() + ticks * kPsPerSecond / lsi_hz_;
  host_.reschedule(deadline_ps_);
}

void Iwdg::advance(uint64_t now_ps) {
  if (running_ && now_ps >= deadline_ps_) {
    host_.event(MachineEvent::Kind::kInfo, "iwdg timeout");
    on_timeout_();
  }
}

uint32_t Iwdg::read(uint32_t offset) {
  switch (offset) {
    case 0x04: return pr_;
    case 0x08: return rlr_;
    case 0x0C: return host_.now_ps() < busy_until_ps_ ? 3u : 0u;  // PVU | RVU
    default: return 0;
  }
}

void Iwdg::write(const RegWrite& w) {
  switch (w.offset) {
    case 0x00: {
      const uint32_t key = w.merge(0) & 0xFFFFu;
      if (key == 0xCCCCu) {
        if (!running_) {
          running_ = true;
          reload();
          host_.event(MachineEvent::Kind::kInfo, "iwdg started");
        }
      } else if (key == 0xAAAAu) {
        access_ = false;
        if (running_) reload();
      } else if (key == 0x5555u) {
        access_ = true;
      }
      break;
    }
    case 0x04:
      if (access_) {
        pr_ = w.merge(0) & 7u;
        busy_until_ps_ = host_.now_ps() + 5ull * kPsPerSecond / lsi_hz_;
      }
      break;
    case 0x08:
      if (access_) {
        rlr_ = w.merge(0) & 0xFFFu;
        busy_until_ps_ = host_.now_ps() + 5ull * kPsPerSecond / lsi_hz_;
      }
      break;
    default: break;
  }
}

}  // namespace vstm32
