// SPDX-License-Identifier: Apache-2.0
#include "usart.h"

#include <algorithm>

namespace vstm32 {

namespace {
namespace sr {
constexpr uint32_t kPe = 1u << 0, kFe = 1u << 1, kNf = 1u << 2, kOre = 1u << 3, kIdle = 1u << 4,
                   kRxne = 1u << 5, kTc = 1u << 6, kTxe = 1u << 7;
}
namespace cr1 {
constexpr uint32_t kRe = 1u << 2, kTe = 1u << 3, kIdleie = 1u << 4, kRxneie = 1u << 5,
                   kTcie = 1u << 6, kTxeie = 1u << 7, kPeie = 1u << 8, kPce = 1u << 10,
                   kM = 1u << 12, kUe = 1u << 13, kOver8 = 1u << 15;
}
constexpr uint32_t kCr3Eie = 1u << 0, kCr3Dmar = 1u << 6, kCr3Dmat = 1u << 7;
}  // namespace

Usart::Usart(DeviceHost& host, unsigned port, const char* name, uint32_t base, ClockGate gate,
             bool apb2, unsigned irq)
    : BusDevice(name, base, 0x400, gate),
      host_(host),
      port_(port),
      apb2_(apb2),
      irq_number_(static_cast<uint8_t>(irq)),
      irq_(irq) {}

void Usart::reset() {
  sr_ = sr::kTc | sr::kTxe;
  brr_ = cr1_ = cr2_ = cr3_ = gtpr_ = 0;
  rx_dr_ = 0;
  tx_start_ps_ = tx_end_ps_ = 0;
  tc_armed_ = false;
  idle_at_ps_ = kNever;
  updated_ps_ = 0;
  irq_.set(host_, false);
}

unsigned Usart::frame_bits() const {
  const unsigned data = (cr1_ & cr1::kM) ? 9 : 8;  // M: 9 bits including parity when PCE
  const unsigned stop = ((cr2_ >> 12) & 3u) == 2 ? 2 : 1;
  return 1 + data + stop;
}

uint32_t Usart::baud() const {
  if (brr_ == 0) return 0;
  const bool over8 = (cr1_ & cr1::kOver8) != 0;
  // RM0090 30.3.4: baud = f_PCLK / (8 x (2 - OVER8) x USARTDIV); with OVER8 the BRR fraction
  // has 3 bits, so the divisor is 8 x mantissa + fraction.
  const uint32_t div = over8 ? ((brr_ >> 4) << 3) | (brr_ & 7u) : brr_;
  return (apb2_ ? host_.pclk2_hz() : host_.pclk1_hz()) / std::max<uint32_t>(div, 1);
}

uint64_t Usart::frame_ps() const {
  return uint64_t{frame_bits()} * kPsPerSecond / std::max<uint32_t>(baud(), 1);
}

bool Usart::receiver_on() const {
  return clocked() && (cr1_ & cr1::kUe) && (cr1_ & cr1::kRe);
}

bool Usart::dma_tx_request() const {
  return clocked() && (cr3_ & kCr3Dmat) && (cr1_ & cr1::kUe) && (cr1_ & cr1::kTe) && brr_ != 0 &&
         (status(host_.now_ps()) & sr::kTxe);
}

bool Usart::dma_rx_request() const {
  return clocked() && (cr3_ & kCr3Dmar) && (sr_ & sr::kRxne);
}

void Usart::set_rom_configuration() {
  brr_ = 16'000'000 / 115'200;
  cr1_ = cr1::kUe | cr1::kM | cr1::kPce | cr1::kTe | cr1::kRe;
}

uint32_t Usart::status(uint64_t now) const {
  uint32_t s = sr_ & ~(sr::kTxe | sr::kTc);
  if (now >= tx_start_ps_) s |= sr::kTxe;  // DR moved to the shift register
  if ((sr_ & sr::kTc) && (!tc_armed_ || now >= tx_end_ps_)) s |= sr::kTc;
  return s;
}

void Usart::update_irq() {
  const uint64_t now = host_.now_ps();
  updated_ps_ = now;
  const uint32_t s = status(now);
  const bool level =
      ((cr1_ & cr1::kTxeie) && (s & sr::kTxe)) || ((cr1_ & cr1::kTcie) && (s & sr::kTc)) ||
      ((cr1_ & cr1::kRxneie) && (s & (sr::kRxne | sr::kOre))) ||
      ((cr1_ & cr1::kIdleie) && (s & sr::kIdle)) || ((cr1_ & cr1::kPeie) && (s & sr::kPe)) ||
      ((cr3_ & kCr3Eie) && (s & (sr::kFe | sr::kNf | sr::kOre)) &&
       (cr3_ & kCr3Dmar));  // EIE counts with DMAR only
  irq_.set(host_, level && (cr1_ & cr1::kUe));
  if (cr3_ & (kCr3Dmat | kCr3Dmar)) host_.dma_requests_changed();
}

// TXE and TC change with time: the IRQ line must be re-evaluated at the first of them that the
// last evaluation did not see yet.
uint64_t Usart::next_event_ps() const {
  uint64_t t = idle_at_ps_;
  if ((cr1_ & cr1::kTxeie || cr3_ & kCr3Dmat) && updated_ps_ < tx_start_ps_) {
    t = std::min(t, tx_start_ps_);  // TXE rises: an interrupt or the next DMA request
  }
  if ((cr1_ & cr1::kTcie) && tc_armed_ && updated_ps_ < tx_end_ps_) t = std::min(t, tx_end_ps_);
  return t;
}

void Usart::advance(uint64_t now_ps) {
  if (now_ps >= idle_at_ps_) {
    idle_at_ps_ = kNever;
    sr_ |= sr::kIdle;
  }
  update_irq();
}

void Usart::receive(uint8_t byte) {
  if (!receiver_on()) return;
  const uint64_t now = host_.now_ps();
  if (sr_ & sr::kRxne) {
    sr_ |= sr::kOre;  // the previous byte was not read; this one is lost
  } else {
    rx_dr_ = byte;
    sr_ |= sr::kRxne;
  }
  // IDLE: a whole frame of idle line after this byte (RM0090 30.6.1).
  idle_at_ps_ = now + frame_ps();
  host_.reschedule(idle_at_ps_);
  update_irq();
}

uint32_t Usart::read(uint32_t offset) {
  if (!clocked()) return 0;  // registers read 0 while the peripheral clock is off
  switch (offset) {
    case 0x00: return status(host_.now_ps());
    case 0x04: {
      const uint16_t dr = rx_dr_;
      // SR-then-DR read sequence clears the error flags and IDLE; the DR read clears RXNE.
      sr_ &= ~(sr::kRxne | sr::kOre | sr::kIdle | sr::kPe | sr::kFe | sr::kNf);
      update_irq();
      return dr;
    }
    case 0x08: return brr_;
    case 0x0C: return cr1_;
    case 0x10: return cr2_;
    case 0x14: return cr3_;
    case 0x18: return gtpr_;
    default: return 0;
  }
}

void Usart::write(const RegWrite& w) {
  if (!clocked()) return;
  switch (w.offset) {
    case 0x00: {
      // RXNE and TC are rc_w0 (write 0 clears); the others are read-only here.
      const uint32_t v = w.merge(0xFFFF'FFFFu);
      const uint32_t now_sr = status(host_.now_ps());
      if ((v & sr::kTc) == 0 && (now_sr & sr::kTc)) sr_ &= ~sr::kTc;
      if ((v & sr::kRxne) == 0) sr_ &= ~sr::kRxne;
      break;
    }
    case 0x04: {
      if (!(cr1_ & cr1::kUe) || !(cr1_ & cr1::kTe) || brr_ == 0) return;
      const uint64_t now = host_.now_ps();
      const uint64_t start = std::max(now, tx_end_ps_);
      tx_start_ps_ = start;
      tx_end_ps_ = start + frame_ps();
      sr_ |= sr::kTc;
      tc_armed_ = true;
      const uint8_t byte = static_cast<uint8_t>(w.value >> ((w.mask & 0xFFu) ? 0 : 8));
      if (sink_) sink_(byte, start / 1000);
      if ((cr1_ & (cr1::kTxeie | cr1::kTcie)) || (cr3_ & kCr3Dmat)) host_.reschedule(start);
      break;
    }
    case 0x08: brr_ = w.merge(brr_) & 0xFFFFu; break;
    case 0x0C: {
      cr1_ = w.merge(cr1_) & 0xBFFFu;
      if (cr1_ & (cr1::kTxeie | cr1::kTcie)) host_.reschedule(host_.now_ps());
      break;
    }
    case 0x10: cr2_ = w.merge(cr2_) & 0x7F7Fu; break;
    case 0x14: cr3_ = w.merge(cr3_) & 0x0FFFu; break;
    case 0x18: gtpr_ = w.merge(gtpr_) & 0xFFFFu; break;
    default: break;
  }
  update_irq();
}

}  // namespace vstm32
