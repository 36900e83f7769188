// SPDX-License-Identifier: Apache-2.0
// Exceptions and interrupts of the Cortex-M4 as vstm32::Machine takes them (ARMv7-M ARM B1.5):
// priorities from SHPR/IPR (4 bits implemented) split by AIRCR.PRIGROUP into group priority
// (preemption) and subpriority (order among pending), the execution priority from the active
// exceptions, BASEPRI, PRIMASK and FAULTMASK, pending while masked and taken once unmasked,
// nesting, tail-chaining, level-sensitive peripheral inputs that pend again while asserted,
// EXC_RETURN and the 8-word frame with its 8-byte realignment.
//
// Exceptions are taken between translated blocks. Anything that can make a pending exception
// takeable stops the run at the next block: an NVIC/SCB write, a peripheral raising its line, an
// exception return, and (while something is pending but masked) a block containing CPS or MSR
// (QEMU ends a block after those, so the stop comes right after the unmasking instruction).
#include <unicorn/unicorn.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "machine_impl.h"

namespace vstm32 {

namespace {
constexpr uint32_t kSvcall = 11, kPendsv = 14, kSystick = 15, kFirstIrq = 16;
constexpr uint32_t kSystemMask = (1u << kSvcall) | (1u << kPendsv) | (1u << kSystick);
constexpr int kLowest = 256;  // below every configurable priority

const int kFpRegs[17] = {
    UC_ARM_REG_S0,  UC_ARM_REG_S1,  UC_ARM_REG_S2,  UC_ARM_REG_S3,  UC_ARM_REG_S4,   UC_ARM_REG_S5,
    UC_ARM_REG_S6,  UC_ARM_REG_S7,  UC_ARM_REG_S8,  UC_ARM_REG_S9,  UC_ARM_REG_S10,  UC_ARM_REG_S11,
    UC_ARM_REG_S12, UC_ARM_REG_S13, UC_ARM_REG_S14, UC_ARM_REG_S15, UC_ARM_REG_FPSCR};
}  // namespace

int Machine::Impl::exception_priority(uint32_t number) const {
  if (number == 2) return -2;  // NMI
  if (number == 3) return -1;  // HardFault
  if (number >= 4 && number < kFirstIrq) {
    return static_cast<int>((scb.shpr[(number - 4) / 4] >> (8 * (number % 4))) & 0xFFu);
  }
  if (number >= kFirstIrq && number < kFirstIrq + kIrqCount) {
    return nvic.priority[number - kFirstIrq];
  }
  return kLowest;
}

int Machine::Impl::group_priority(int priority) const {
  if (priority < 0 || priority >= kLowest) return priority;
  const unsigned prigroup = (scb.aircr >> 8) & 7u;
  const int sub_mask = static_cast<int>((2u << prigroup) - 1);
  return priority & ~sub_mask;
}

bool Machine::Impl::exception_active(uint32_t number) const {
  if (number == 0) return false;
  if (current_exception == number) return true;
  for (const Preempted& p : exception_stack) {
    if (p.number == number) return true;
  }
  return false;
}

int Machine::Impl::execution_priority(bool with_primask) const {
  int prio = kLowest;
  auto consider_active = [&](uint32_t n) {
    if (n != 0) prio = std::min(prio, group_priority(exception_priority(n)));
  };
  consider_active(current_exception);
  for (const Preempted& p : exception_stack) consider_active(p.number);
  if (uc == nullptr) return prio;
  uint32_t basepri = 0, primask = 0, faultmask = 0;
  uc_reg_read(uc, UC_ARM_REG_BASEPRI, &basepri);
  uc_reg_read(uc, UC_ARM_REG_PRIMASK, &primask);
  uc_reg_read(uc, UC_ARM_REG_FAULTMASK, &faultmask);
  basepri &= 0xF0u;
  if (basepri != 0) prio = std::min(prio, group_priority(static_cast<int>(basepri)));
  if (with_primask && (primask & 1u)) prio = std::min(prio, 0);
  if (faultmask & 1u) prio = std::min(prio, -1);
  return prio;
}

std::optional<uint32_t> Machine::Impl::highest_pending() const {
  std::optional<uint32_t> best;
  int best_prio = kLowest + 1;
  auto consider = [&](uint32_t n) {
    const int p = exception_priority(n);
    if (p < best_prio) {  // ties: the lower exception number wins (visited first)
      best_prio = p;
      best = n;
    }
  };
  for (uint32_t bits = pending_exceptions & kSystemMask; bits != 0; bits &= bits - 1) {
    consider(static_cast<uint32_t>(__builtin_ctz(bits)));
  }
  for (unsigned w = 0; w < 3; ++w) {
    for (uint32_t bits = nvic.pending[w] & nvic.enabled[w]; bits != 0; bits &= bits - 1) {
      consider(kFirstIrq + w * 32 + static_cast<uint32_t>(__builtin_ctz(bits)));
    }
  }
  return best;
}

bool Machine::Impl::wake_pending() const {
  const std::optional<uint32_t> n = highest_pending();
  return n && group_priority(exception_priority(*n)) < execution_priority(false);
}

bool Machine::Impl::take_pending_exception() {
  unmask_watch = false;
  if (pending_exceptions == 0 && (nvic.pending[0] | nvic.pending[1] | nvic.pending[2]) == 0) {
    return false;
  }
  const std::optional<uint32_t> n = highest_pending();
  if (!n) return false;
  // SVC is synchronous: taken now (an SVC that cannot preempt would escalate to HardFault).
  const bool svc = (pending_exceptions & (1u << kSvcall)) != 0;
  const uint32_t number = svc ? kSvcall : *n;
  if (!svc && group_priority(exception_priority(number)) >= execution_priority(true)) {
    unmask_watch = true;  // pending while masked: taken once the mask drops
    return false;
  }
  if (number < kFirstIrq) {
    pending_exceptions &= ~(1u << number);
  } else {
    const unsigned irq = number - kFirstIrq;
    nvic.pending[irq / 32] &= ~(1u << (irq % 32));
  }
  wfi = false;
  if (!enter_exception(number, pc)) raise_fault("exception entry failed", number, true);
  return true;
}

// The core's view of the mode: IPSR (what MRS IPSR/xPSR reads in a handler), CONTROL and the two
// stack pointers. Unicorn banks SP by mode (handler mode and CONTROL.SPSEL pick MSP or PSP), so
// both are written again after the mode changed. In handler mode Unicorn turns the EXC_RETURN
// branch into an exception-exit interrupt, which interrupt_hook takes like the 0xFFFF'FFxx fetch.
void Machine::Impl::set_core_mode(uint32_t ipsr, uint32_t control, uint32_t msp, uint32_t psp) {
  // SPSEL is written in thread mode only: before the entry into a handler, after the return.
  uc_reg_write(uc, UC_ARM_REG_CONTROL, &control);
  uc_reg_write(uc, UC_ARM_REG_IPSR, &ipsr);
  uc_reg_write(uc, UC_ARM_REG_CONTROL, &control);
  uc_reg_write(uc, UC_ARM_REG_MSP, &msp);
  uc_reg_write(uc, UC_ARM_REG_PSP, &psp);
}

// Exception entry as the core does it: 8-word frame on the current stack, LR = EXC_RETURN,
// IPSR = number, PC = handler from the vector table at VTOR. False: the frame could not be
// pushed (the core would lock up).
bool Machine::Impl::enter_exception(uint32_t number, uint32_t return_pc) {
  uint32_t regs[8];
  const int ids[8] = {UC_ARM_REG_R0,  UC_ARM_REG_R1, UC_ARM_REG_R2, UC_ARM_REG_R3,
                      UC_ARM_REG_R12, UC_ARM_REG_LR, UC_ARM_REG_PC, UC_ARM_REG_XPSR};
  for (int i = 0; i < 8; ++i) uc_reg_read(uc, ids[i], &regs[i]);
  regs[6] = return_pc & ~1u;
  uint32_t control = 0;
  uc_reg_read(uc, UC_ARM_REG_CONTROL, &control);
  const bool on_psp = current_exception == 0 && (control & 2u) != 0;
  uint32_t msp = 0, psp = 0;
  uc_reg_read(uc, UC_ARM_REG_MSP, &msp);
  uc_reg_read(uc, UC_ARM_REG_PSP, &psp);
  uint32_t sp = on_psp ? psp : msp;
  const bool realign = (sp & 4u) != 0;
  sp = (sp - 32) & ~7u;
  regs[7] =
      (regs[7] & ~0x1FFu & ~(1u << 9)) | (realign ? 1u << 9 : 0u) | current_exception | (1u << 24);
  uint8_t* frame = host_pointer(sp, 32);
  if (frame == nullptr || sp < kSramBase) return false;
  // (No code_written here: code on the stack is not a use case, and dropping translated blocks
  // over the stack on every exception made every later store to that page take Unicorn's slow
  // self-modifying-code path: -13% guest speed in vstm32_bench.)
  std::memcpy(frame, regs, 32);
  (on_psp ? psp : msp) = sp;
  const uint32_t exc_return = current_exception != 0 ? 0xFFFF'FFF1u
                              : on_psp               ? 0xFFFF'FFFDu
                                                     : 0xFFFF'FFF9u;
  uc_reg_write(uc, UC_ARM_REG_LR, &exc_return);
  Preempted preempted;
  preempted.number = current_exception;
  if ((scb.cpacr & 0x00F0'0000u) != 0) {
    // The FPU is on: the caller-saved FP registers of the preempted code are kept aside (what
    // lazy stacking would save in the extended frame), so a handler using the FPU cannot
    // corrupt them.
    void* out[17];
    for (int i = 0; i < 17; ++i) out[i] = &preempted.fp[static_cast<size_t>(i)];
    uc_reg_read_batch(uc, const_cast<int*>(kFpRegs), out, 17);
    preempted.fp_saved = true;
  }
  exception_stack.push_back(preempted);
  current_exception = number;
  if (cycle_model) {
    icount += cycles::kException;  // stacking and the vector fetch (the cycle model)
    pending_refill = 0;
  }
  // The handler starts outside any IT block, in handler mode on MSP.
  uint32_t xpsr = 0;
  uc_reg_read(uc, UC_ARM_REG_XPSR, &xpsr);
  xpsr &= ~0x0600'FC00u;
  uc_reg_write(uc, UC_ARM_REG_XPSR, &xpsr);
  set_core_mode(number, control & ~2u, msp, psp);  // the handler runs on MSP: SPSEL 0
  uint32_t handler = 0;
  uint8_t bytes[4];
  if (!bus_read(scb.vtor + number * 4, bytes, 4)) return false;
  std::memcpy(&handler, bytes, 4);
  pc = handler;
  return (handler & 1u) != 0;
}

void Machine::Impl::exception_return(uint32_t exc_return) {
  const bool to_psp = (exc_return & 0xFu) == 0xDu;
  if (cycle_model) {
    icount += cycles::kException;  // unstacking (the cycle model; docs/vstm32.md)
    pending_refill = 0;
  }
  uint32_t msp = 0, psp = 0;
  uc_reg_read(uc, UC_ARM_REG_MSP, &msp);
  uc_reg_read(uc, UC_ARM_REG_PSP, &psp);
  uint32_t& sp = to_psp ? psp : msp;
  uint32_t regs[8] = {};
  const uint8_t* frame = host_pointer(sp, 32);
  if (frame == nullptr) {
    raise_fault("exception return with an invalid stack", sp, true);
    return;
  }
  std::memcpy(regs, frame, 32);
  sp += 32;
  if (regs[7] & (1u << 9)) sp += 4;
  const int ids[6] = {UC_ARM_REG_R0, UC_ARM_REG_R1,  UC_ARM_REG_R2,
                      UC_ARM_REG_R3, UC_ARM_REG_R12, UC_ARM_REG_LR};
  for (int i = 0; i < 6; ++i) uc_reg_write(uc, ids[i], &regs[i]);
  uint32_t xpsr = regs[7] & 0xF80F'FC00u;  // flags and IT/ICI bits; IPSR restored below
  const uint32_t finished = current_exception;
  Preempted back;
  if (!exception_stack.empty()) {
    back = exception_stack.back();
    exception_stack.pop_back();
  }
  current_exception = back.number;
  if (back.fp_saved) {
    const void* in[17];
    for (int i = 0; i < 17; ++i) in[i] = &back.fp[static_cast<size_t>(i)];
    uc_reg_write_batch(uc, const_cast<int*>(kFpRegs), const_cast<void* const*>(in), 17);
  }
  uc_reg_write(uc, UC_ARM_REG_XPSR, &xpsr);
  // Back to thread mode, CONTROL.SPSEL follows EXC_RETURN bit 2 (the stack returned to).
  uint32_t control = 0;
  uc_reg_read(uc, UC_ARM_REG_CONTROL, &control);
  if (back.number == 0) control = (control & ~2u) | (to_psp ? 2u : 0u);
  set_core_mode(back.number, control, msp, psp);
  pc = regs[6] | 1u;
  // A level-sensitive input still asserted pends its interrupt again.
  if (finished >= kFirstIrq && finished < kFirstIrq + kIrqCount &&
      nvic.level[finished - kFirstIrq] != 0) {
    const unsigned irq = finished - kFirstIrq;
    nvic.pending[irq / 32] |= 1u << (irq % 32);
  }
}

// ---- NVIC inputs and registers ----

void Machine::Impl::set_irq(unsigned irq, bool level) {
  if (irq >= kIrqCount) return;
  uint8_t& count = nvic.level[irq];
  if (level) {
    ++count;
    nvic_set_pending(irq);
  } else if (count > 0) {
    --count;
  }
}

void Machine::Impl::nvic_set_pending(unsigned irq) {
  if (irq >= kIrqCount) return;
  nvic.pending[irq / 32] |= 1u << (irq % 32);
  if (nvic.enabled[irq / 32] & (1u << (irq % 32))) {
    if (wfi && wake_pending()) wfi = false;
    request_stop(StopWhy::kException);
  }
}

void Machine::Impl::nvic_enable(unsigned word, uint32_t bits) {
  const uint32_t newly = bits & ~nvic.enabled[word];
  nvic.enabled[word] |= bits;
  for (uint32_t b = newly; b != 0; b &= b - 1) {
    const unsigned irq = word * 32 + static_cast<unsigned>(__builtin_ctz(b));
    if (irq >= kIrqCount || irq_has_source[irq] || irq_warned[irq]) continue;
    irq_warned[irq] = true;
    char text[128];
    std::snprintf(text, sizeof text,
                  "warning: firmware enables IRQ %u, whose source vstm32 does not model: it is "
                  "only delivered when pended by software (ISPR/STIR)",
                  irq);
    event(MachineEvent::Kind::kInfo, text);
  }
  if (newly & nvic.pending[word]) request_stop(StopWhy::kException);
}

void Machine::Impl::nvic_pend_word(unsigned word, uint32_t bits) {
  for (uint32_t b = bits; b != 0; b &= b - 1) {
    nvic_set_pending(word * 32 + static_cast<unsigned>(__builtin_ctz(b)));
  }
}

void Machine::Impl::nvic_unpend_word(unsigned word, uint32_t bits) {
  for (uint32_t b = bits; b != 0; b &= b - 1) {
    const unsigned bit = static_cast<unsigned>(__builtin_ctz(b));
    const unsigned irq = word * 32 + bit;
    // An input still asserted keeps its interrupt pending.
    if (irq < kIrqCount && nvic.level[irq] == 0) nvic.pending[word] &= ~(1u << bit);
  }
}

uint32_t Machine::Impl::nvic_active_word(unsigned word) const {
  uint32_t v = 0;
  auto mark = [&](uint32_t n) {
    if (n >= kFirstIrq && (n - kFirstIrq) / 32 == word) v |= 1u << ((n - kFirstIrq) % 32);
  };
  mark(current_exception);
  for (const Preempted& p : exception_stack) mark(p.number);
  return v;
}

uint32_t Machine::Impl::icsr() const {
  uint32_t v = current_exception & 0x1FFu;  // VECTACTIVE
  if (const std::optional<uint32_t> n = highest_pending()) {
    v |= (*n & 0x1FFu) << 12;  // VECTPENDING
  }
  if ((nvic.pending[0] | nvic.pending[1] | nvic.pending[2]) != 0) v |= 1u << 22;  // ISRPENDING
  if (pending_exceptions & (1u << kPendsv)) v |= 1u << 28;
  if (pending_exceptions & (1u << kSystick)) v |= 1u << 26;
  // RETTOBASE: returning from this exception goes back to thread mode.
  unsigned active = 0;
  if (current_exception != 0) ++active;
  for (const Preempted& p : exception_stack) active += p.number != 0 ? 1u : 0u;
  if (active == 1) v |= 1u << 11;
  return v;
}

void Machine::Impl::write_icsr(uint32_t v) {
  if (v & (1u << 28)) pending_exceptions |= 1u << kPendsv;
  if (v & (1u << 26)) pending_exceptions |= 1u << kSystick;
  if (v & (1u << 27)) pending_exceptions &= ~(1u << kPendsv);
  if (v & (1u << 25)) pending_exceptions &= ~(1u << kSystick);
  if (pending_exceptions != 0) {
    if (wfi && wake_pending()) wfi = false;
    request_stop(StopWhy::kException);
  }
}

uint32_t Machine::Impl::shcsr() const {
  uint32_t v = scb.shcsr & 0x0007'0000u;  // the fault handler enables
  if (exception_active(kSvcall)) v |= 1u << 7;
  if (exception_active(kPendsv)) v |= 1u << 10;
  if (exception_active(kSystick)) v |= 1u << 11;
  if (pending_exceptions & (1u << kSvcall)) v |= 1u << 15;
  return v;
}

void Machine::Impl::priorities_changed() {
  if (highest_pending()) request_stop(StopWhy::kException);
}

// Thumb: CPS (1011 0110 011x xxxx) and MSR to a special register (F38x 88xx).
bool Machine::Impl::block_changes_mask(uint32_t address, uint32_t size) {
  const uint8_t* p = host_pointer(address, size);
  if (p == nullptr) return true;
  for (uint32_t i = 0; i + 1 < size;) {
    const uint16_t h = static_cast<uint16_t>(p[i] | p[i + 1] << 8);
    if (h >= 0xE800u) {
      if (i + 3 < size) {
        const uint16_t h2 = static_cast<uint16_t>(p[i + 2] | p[i + 3] << 8);
        if ((h & 0xFFF0u) == 0xF380u && (h2 & 0xFF00u) == 0x8800u) return true;
      }
      i += 4;
    } else {
      if ((h & 0xFFE0u) == 0xB660u) return true;
      i += 2;
    }
  }
  return false;
}

}  // namespace vstm32
