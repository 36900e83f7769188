// SPDX-License-Identifier: Apache-2.0
#include "dma.h"

namespace vstm32 {

namespace {
namespace cr {
constexpr uint32_t kEn = 1u << 0, kDmeie = 1u << 1, kTeie = 1u << 2, kHtie = 1u << 3,
                   kTcie = 1u << 4, kCirc = 1u << 8, kPinc = 1u << 9, kMinc = 1u << 10,
                   kDbm = 1u << 18, kCt = 1u << 19;
constexpr unsigned kDirShift = 6, kPsizeShift = 11, kMsizeShift = 13, kChselShift = 25;
constexpr uint32_t kWritable = 0x0FEF'FFFFu;  // bit 20 is reserved
}  // namespace cr
constexpr uint32_t kFeif = 1u << 0, kDmeif = 1u << 2, kTeif = 1u << 3, kHtif = 1u << 4,
                   kTcif = 1u << 5;
constexpr uint32_t kFcrFeie = 1u << 7;
// Flag positions of streams 0..3 in LISR (4..7 in HISR): RM0090 10.5.1.
constexpr unsigned kFlagShift[4] = {0, 6, 16, 22};
// DMA1 streams 0..6 are IRQs 11..17, stream 7 is 47; DMA2 streams 0..4 are 56..60, 5..7 68..70.
constexpr uint8_t kIrqs[2][8] = {{11, 12, 13, 14, 15, 16, 17, 47},
                                 {56, 57, 58, 59, 60, 68, 69, 70}};

constexpr uint32_t kStreamBase = 0x10, kStreamSize = 0x18;

std::array<IrqLine, 8> lines_of(unsigned number) {
  const uint8_t* irq = kIrqs[number - 1];
  return {IrqLine(irq[0]), IrqLine(irq[1]), IrqLine(irq[2]), IrqLine(irq[3]),
          IrqLine(irq[4]), IrqLine(irq[5]), IrqLine(irq[6]), IrqLine(irq[7])};
}
}  // namespace

Dma::Dma(DeviceHost& host, unsigned number)
    : BusDevice(number == 1 ? "DMA1" : "DMA2", number == 1 ? 0x4002'6000 : 0x4002'6400, 0x400,
                ClockGate{ClockGate::kAhb1, static_cast<uint8_t>(number == 1 ? 21 : 22)}),
      host_(host),
      irq_lines_(lines_of(number)) {
  for (unsigned s = 0; s < 8; ++s) irq_numbers_[s] = kIrqs[number - 1][s];
}

void Dma::reset() {
  for (unsigned s = 0; s < 8; ++s) {
    streams_[s] = Stream{};
    irq_lines_[s].set(host_, false);
  }
}

void Dma::connect(unsigned stream, unsigned channel, Requester requester) {
  requesters_[stream][channel] = std::move(requester);
}

uint32_t Dma::isr(unsigned first_stream) const {
  uint32_t v = 0;
  for (unsigned i = 0; i < 4; ++i) v |= streams_[first_stream + i].flags << kFlagShift[i];
  return v;
}

void Dma::clear_flags(unsigned first_stream, uint32_t bits) {
  for (unsigned i = 0; i < 4; ++i) {
    streams_[first_stream + i].flags &= ~((bits >> kFlagShift[i]) & 0x3Du);
    update_irq(first_stream + i);
  }
}

void Dma::update_irq(unsigned s) {
  const Stream& st = streams_[s];
  const bool level =
      ((st.flags & kTcif) && (st.cr & cr::kTcie)) || ((st.flags & kHtif) && (st.cr & cr::kHtie)) ||
      ((st.flags & kTeif) && (st.cr & cr::kTeie)) ||
      ((st.flags & kDmeif) && (st.cr & cr::kDmeie)) || ((st.flags & kFeif) && (st.fcr & kFcrFeie));
  irq_lines_[s].set(host_, level);
}

uint32_t Dma::read(uint32_t offset) {
  if (!host_.clock_enabled(gate())) return 0;
  if (offset == 0x00) return isr(0);
  if (offset == 0x04) return isr(4);
  if (offset < kStreamBase || offset >= kStreamBase + 8 * kStreamSize) return 0;
  const Stream& st = streams_[(offset - kStreamBase) / kStreamSize];
  switch ((offset - kStreamBase) % kStreamSize) {
    case 0x00: return st.cr;
    case 0x04: return st.ndtr;
    case 0x08: return st.par;
    case 0x0C: return st.m0ar;
    case 0x10: return st.m1ar;
    default: {
      // FS: the FIFO is empty (transfers move whole items at once); direct mode reads 100 too.
      return (st.fcr & 0xA7u) | (4u << 3);
    }
  }
}

void Dma::write(const RegWrite& w) {
  if (!host_.clock_enabled(gate())) return;
  if (w.offset == 0x08 || w.offset == 0x0C) {
    clear_flags(w.offset == 0x08 ? 0 : 4, w.merge(0));
    return;
  }
  if (w.offset < kStreamBase || w.offset >= kStreamBase + 8 * kStreamSize) return;
  const unsigned s = (w.offset - kStreamBase) / kStreamSize;
  Stream& st = streams_[s];
  const bool enabled = (st.cr & cr::kEn) != 0;
  switch ((w.offset - kStreamBase) % kStreamSize) {
    case 0x00: {
      const uint32_t v = w.merge(st.cr) & cr::kWritable;
      if (enabled) {
        // While enabled only EN (to stop) and CT (double buffer) may change (RM0090 10.5.5).
        st.cr = (st.cr & ~(cr::kEn | cr::kCt)) | (v & (cr::kEn | cr::kCt));
      } else {
        st.cr = v;
        if (v & cr::kEn) enable(s);
      }
      update_irq(s);
      break;
    }
    // The others are read-only while the stream is enabled.
    case 0x04:
      if (!enabled) st.ndtr = w.merge(st.ndtr) & 0xFFFFu;
      break;
    case 0x08:
      if (!enabled) st.par = w.merge(st.par);
      break;
    case 0x0C:
      if (!enabled || (st.cr & cr::kDbm)) st.m0ar = w.merge(st.m0ar);
      break;
    case 0x10:
      if (!enabled || (st.cr & cr::kDbm)) st.m1ar = w.merge(st.m1ar);
      break;
    default:
      if (!enabled) st.fcr = w.merge(st.fcr) & 0xA7u;
      update_irq(s);
      break;
  }
}

void Dma::enable(unsigned s) {
  Stream& st = streams_[s];
  const unsigned dir = (st.cr >> cr::kDirShift) & 3u;
  // Enabling with a transfer-complete or error flag still set, or NDTR 0, does not start.
  if (st.ndtr == 0 || (st.flags & (kTcif | kTeif)) || dir == 3 ||
      (dir == 2 && base() != 0x4002'6400)) {
    st.cr &= ~cr::kEn;
    if (dir == 3 || dir == 2) {
      host_.event(MachineEvent::Kind::kInfo,
                  std::string("warning: ") + name() + " stream " + std::to_string(s) +
                      (dir == 3 ? ": DIR 11 is reserved" : ": memory-to-memory needs DMA2"));
    }
    return;
  }
  st.length = st.ndtr;
  st.done = 0;
  if (dir == 2) {  // memory-to-memory: no request, the stream runs to its end
    while ((st.cr & cr::kEn) && transfer_one(s)) {
    }
    return;
  }
  serve();
}

bool Dma::transfer_one(unsigned s) {
  Stream& st = streams_[s];
  const unsigned dir = (st.cr >> cr::kDirShift) & 3u;
  const unsigned psize = 1u << ((st.cr >> cr::kPsizeShift) & 3u);
  // Direct mode (no FIFO) transfers memory items of the peripheral size.
  const bool direct = (st.fcr & (1u << 2)) == 0 && dir != 2;
  const unsigned msize = direct ? psize : 1u << ((st.cr >> cr::kMsizeShift) & 3u);
  const uint32_t maddr = (st.cr & cr::kCt) ? st.m1ar : st.m0ar;
  const uint32_t p = st.par + ((st.cr & cr::kPinc) ? st.done * psize : 0);
  const uint32_t m = maddr + ((st.cr & cr::kMinc) ? st.done * msize : 0);
  // One item of PSIZE; a differing MSIZE (FIFO mode) moves the same bytes in other units.
  uint8_t data[4] = {};
  bool ok = true;
  if (dir == 1) {  // memory to peripheral
    ok = host_.dma_transfer(m, data, psize, false) && host_.dma_transfer(p, data, psize, true);
  } else {  // peripheral (or, memory-to-memory, the PAR memory) to memory
    ok = host_.dma_transfer(p, data, psize, false) && host_.dma_transfer(m, data, psize, true);
  }
  if (!ok) {
    st.flags |= kTeif;
    st.cr &= ~cr::kEn;
    update_irq(s);
    return false;
  }
  ++st.done;
  st.ndtr = (st.ndtr - 1) & 0xFFFFu;
  if (st.done == (st.length + 1) / 2 && st.ndtr != 0) {
    st.flags |= kHtif;
    update_irq(s);
  }
  if (st.ndtr == 0) {
    finish_round(s);
    return (st.cr & cr::kEn) != 0 && (st.cr & (cr::kCirc | cr::kDbm)) != 0 && dir != 2;
  }
  return true;
}

void Dma::finish_round(unsigned s) {
  Stream& st = streams_[s];
  st.flags |= kTcif;
  if (st.length == 1) st.flags |= kHtif;
  if (st.cr & (cr::kCirc | cr::kDbm)) {
    st.ndtr = st.length;  // circular: reload and go on
    st.done = 0;
    if (st.cr & cr::kDbm) st.cr ^= cr::kCt;  // double buffer: the other memory next
  } else {
    st.cr &= ~cr::kEn;
  }
  update_irq(s);
}

void Dma::serve() {
  if (serving_) return;  // a transfer's own register access raised a request: the loop sees it
  serving_ = true;
  // Bounded: a request that a transfer does not lower (DR of a disabled transmitter) must not
  // hang the machine in a circular stream.
  unsigned budget = 1u << 16;
  bool progress = true;
  while (progress && budget != 0) {
    progress = false;
    for (unsigned s = 0; s < 8; ++s) {
      Stream& st = streams_[s];
      if (!(st.cr & cr::kEn) || ((st.cr >> cr::kDirShift) & 3u) == 2) continue;
      const Requester& r = requesters_[s][(st.cr >> cr::kChselShift) & 7u];
      // One item per request; the peripheral lowers its request by the access (DR read/write).
      if (r.active && r.active() && budget != 0) {
        --budget;
        transfer_one(s);
        progress = true;
      }
    }
  }
  serving_ = false;
}

}  // namespace vstm32
