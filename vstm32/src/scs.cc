// SPDX-License-Identifier: Apache-2.0
#include "scs.h"

#include "machine_impl.h"

namespace vstm32 {

uint32_t Scs::read(uint32_t offset) {
  Machine::Impl& m = m_;
  switch (offset) {
    case 0x004: return 2;  // ICTR: 96 interrupt lines
    case 0x010: {
      const uint32_t v = m.systick.ctrl | (m.systick.countflag ? 1u << 16 : 0u);
      m.systick.countflag = false;
      return v;
    }
    case 0x014: return m.systick.load;
    case 0x018: return m.systick_val();
    case 0x01C: return 0x4000'0000u | (m.hclk_hz() / 8 / 1000 - 1);  // CALIB: 1 ms, SKEW
    case 0xD00: return 0x410F'C241u;                                 // CPUID: Cortex-M4 r0p1
    case 0xD04: return m.icsr();
    case 0xD08: return m.scb.vtor;
    case 0xD0C: return 0xFA05'0000u | (m.scb.aircr & 0x700u);
    case 0xD10: return m.scb.scr;
    case 0xD14: return m.scb.ccr;
    case 0xD18: return m.scb.shpr[0];
    case 0xD1C: return m.scb.shpr[1];
    case 0xD20: return m.scb.shpr[2];
    case 0xD24: return m.shcsr();
    case 0xD28: return m.scb.cfsr;
    case 0xD2C: return m.scb.hfsr;
    case 0xD34: return m.scb.mmfar;
    case 0xD38: return m.scb.bfar;
    case 0xD88: return m.scb.cpacr;
    case 0xDFC: return m.dwt.demcr;
    case 0xF34: return m.scb.fpccr;
    case 0xF38: return m.scb.fpcar;
    case 0xF3C: return m.scb.fpdscr;
    default: break;
  }
  const unsigned word = (offset & 0x7Fu) / 4;
  if (word < 3) {
    if (offset >= 0x100 && offset < 0x180) return m.nvic.enabled[word];
    if (offset >= 0x180 && offset < 0x200) return m.nvic.enabled[word];
    if (offset >= 0x200 && offset < 0x280) return m.nvic.pending[word];
    if (offset >= 0x280 && offset < 0x300) return m.nvic.pending[word];
    if (offset >= 0x300 && offset < 0x380) return m.nvic_active_word(word);
  }
  if (offset >= 0x400 && offset < 0x400 + m.nvic.priority.size()) {
    uint32_t v = 0;
    for (unsigned i = 0; i < 4 && offset - 0x400 + i < m.nvic.priority.size(); ++i) {
      v |= uint32_t{m.nvic.priority[offset - 0x400 + i]} << (8 * i);
    }
    return v;
  }
  return 0;
}

void Scs::write(const RegWrite& w) {
  Machine::Impl& m = m_;
  const uint32_t offset = w.offset;
  switch (offset) {
    case 0x010: {
      const uint32_t before = m.systick.ctrl;
      m.systick.ctrl = w.merge(m.systick.ctrl) & 7u;
      if ((before & 1u) == 0 && (m.systick.ctrl & 1u)) {
        m.systick.origin_ps = m.now_ps();
        m.systick.next_wrap_ps = UINT64_MAX;
      }
      m.systick_schedule();
      m.reschedule(m.systick.next_wrap_ps);
      return;
    }
    case 0x014: m.systick.load = w.merge(m.systick.load) & 0xFF'FFFFu; return;
    case 0x018:  // any write clears VAL and COUNTFLAG: the count restarts from LOAD
      m.systick.countflag = false;
      m.systick.origin_ps = m.now_ps();
      m.systick.next_wrap_ps = UINT64_MAX;
      m.systick_schedule();
      m.reschedule(m.systick.next_wrap_ps);
      return;
    case 0xD04: m.write_icsr(w.merge(0)); return;
    case 0xD08: m.scb.vtor = w.merge(m.scb.vtor) & 0xFFFF'FF80u; return;
    case 0xD0C: {
      const uint32_t v = w.merge(0);
      if ((v >> 16) != 0x05FAu) return;  // VECTKEY
      m.scb.aircr = v & 0x700u;
      if (v & 4u) {
        m.event(MachineEvent::Kind::kInfo, "aircr sysresetreq");
        m.request_reset(kCsrSft | kCsrPin);
      }
      m.priorities_changed();
      return;
    }
    case 0xD10: m.scb.scr = w.merge(m.scb.scr) & 0x16u; return;
    case 0xD14: m.scb.ccr = w.merge(m.scb.ccr) & 0x31Bu; return;
    case 0xD18:
    case 0xD1C:
    case 0xD20: {
      uint32_t& r = m.scb.shpr[(offset - 0xD18) / 4];
      r = w.merge(r) & 0xF0F0'F0F0u;  // 4 priority bits implemented
      m.priorities_changed();
      return;
    }
    case 0xD24: m.scb.shcsr = w.merge(m.scb.shcsr) & 0x0007'0000u; return;
    case 0xD28: m.scb.cfsr &= ~w.merge(0); return;  // write 1 to clear
    case 0xD2C: m.scb.hfsr &= ~w.merge(0); return;
    case 0xD88: m.scb.cpacr = w.merge(m.scb.cpacr) & 0x00F0'0000u; return;
    case 0xDFC: m.dwt_set(w.merge(m.dwt.demcr) & 0x010F'07F1u, m.dwt.ctrl); return;  // DEMCR
    case 0xF34: m.scb.fpccr = w.merge(m.scb.fpccr) & 0xC000'0000u; return;
    case 0xF3C: m.scb.fpdscr = w.merge(m.scb.fpdscr) & 0x07C0'0000u; return;
    case 0xF00: m.nvic_set_pending(w.merge(0) & 0x1FFu); return;  // STIR
    default: break;
  }
  const unsigned word = (offset & 0x7Fu) / 4;
  if (offset >= 0x100 && offset < 0x300 && word < 3) {
    const uint32_t v = w.merge(0);
    switch (offset >> 7) {
      case 2: m.nvic_enable(word, v); return;       // ISER
      case 3: m.nvic.enabled[word] &= ~v; return;   // ICER
      case 4: m.nvic_pend_word(word, v); return;    // ISPR
      case 5: m.nvic_unpend_word(word, v); return;  // ICPR
      default: return;
    }
  }
  if (offset >= 0x400 && offset < 0x400 + m.nvic.priority.size()) {
    for (unsigned i = 0; i < 4 && offset - 0x400 + i < m.nvic.priority.size(); ++i) {
      if ((w.mask >> (8 * i)) & 0xFFu) {
        m.nvic.priority[offset - 0x400 + i] = static_cast<uint8_t>((w.value >> (8 * i)) & 0xF0u);
      }
    }
    m.priorities_changed();
  }
}

uint32_t Dwt::read(uint32_t offset) {
  Machine::Impl& m = m_;
  switch (offset) {
    case 0x000: return m.dwt.ctrl;
    case 0x004: return m.dwt_cyccnt();
    case 0x01C: return m.debug_pc();  // PCSR: a sample of the PC
    case 0xFB4: return 0;             // LSR: no lock on the Cortex-M4
    default: break;
  }
  if (offset >= 0x020 && offset < 0x060) return comparators_[(offset - 0x020) / 4];
  if (offset >= 0x008 && offset < 0x01C && !warned_) {
    warned_ = true;
    m.event(MachineEvent::Kind::kInfo,
            "warning: DWT profiling counters (CPICNT, EXCCNT, SLEEPCNT, LSUCNT, FOLDCNT) are not "
            "modelled: "
            "they read 0");
  }
  return 0;
}

void Dwt::write(const RegWrite& w) {
  Machine::Impl& m = m_;
  switch (w.offset) {
    case 0x000: m.dwt_set(m.dwt.demcr, (w.merge(m.dwt.ctrl) & 0x1u) | 0x4000'0000u); return;
    case 0x004: m.dwt_write_cyccnt(w.merge(m.dwt_cyccnt())); return;
    case 0xFB0: return;  // LAR: accepted (the key unlocks nothing to model)
    default: break;
  }
  if (w.offset >= 0x020 && w.offset < 0x060) {
    uint32_t& r = comparators_[(w.offset - 0x020) / 4];
    r = w.merge(r);
  }
}

uint32_t DbgMcu::read(uint32_t offset) {
  if (offset == 0) return 0x1007'6413u;  // IDCODE: rev Z, DEV_ID 0x413
  return offset < 16 ? regs_[offset / 4] : 0;
}

void DbgMcu::write(const RegWrite& w) {
  if (w.offset != 0 && w.offset < 16) regs_[w.offset / 4] = w.merge(regs_[w.offset / 4]);
}

}  // namespace vstm32
