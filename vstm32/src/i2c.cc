// SPDX-License-Identifier: Apache-2.0
#include "i2c.h"

namespace vstm32 {

const char* to_string(I2cStatus status) {
  switch (status) {
    case I2cStatus::kOk: return "ok";
    case I2cStatus::kAddressNack: return "address not acknowledged";
    case I2cStatus::kDataNack: return "data byte not acknowledged";
    case I2cStatus::kTimeout: return "the slave held SCL low longer than the master waits";
  }
  return "unknown";
}

namespace {
namespace cr1 {
constexpr uint32_t kPe = 1u << 0, kEngc = 1u << 6, kAck = 1u << 10, kSwrst = 1u << 15;
}
namespace cr2 {
constexpr uint32_t kFreqMask = 0x3Fu, kIterren = 1u << 8, kItevten = 1u << 9, kItbufen = 1u << 10;
}
namespace sr1 {
constexpr uint32_t kSb = 1u << 0, kAddr = 1u << 1, kBtf = 1u << 2, kAdd10 = 1u << 3,
                   kStopf = 1u << 4, kRxne = 1u << 6, kTxe = 1u << 7, kBerr = 1u << 8,
                   kArlo = 1u << 9, kAf = 1u << 10, kOvr = 1u << 11, kPecerr = 1u << 12,
                   kTimeout = 1u << 14, kSmbalert = 1u << 15;
constexpr uint32_t kRcw0 = kBerr | kArlo | kAf | kOvr | kPecerr | kTimeout | kSmbalert;
}  // namespace sr1
namespace sr2 {
constexpr uint32_t kBusy = 1u << 1, kTra = 1u << 2, kGencall = 1u << 4, kDualf = 1u << 7;
}
constexpr uint32_t kOar1AddMode = 1u << 15;
}  // namespace

I2c::I2c(DeviceHost& host, const char* name, uint32_t base, ClockGate gate, unsigned event_irq,
         unsigned error_irq)
    : BusDevice(name, base, 0x400, gate),
      host_(host),
      irq_numbers_{static_cast<uint8_t>(event_irq), static_cast<uint8_t>(error_irq)},
      event_irq_(event_irq),
      error_irq_(error_irq) {}

void I2c::reset() {
  cr1_ = cr2_ = oar1_ = oar2_ = ccr_ = fltr_ = 0;
  trise_ = 2;
  sr1_ = sr2_ = sr1_seen_ = 0;
  dr_rx_ = dr_tx_ = shift_ = 0;
  tx_full_ = false;
  // A transfer past its address: the slave lets go of the bus, the master reads 1s (NACK).
  if (state_ != State::kIdle && state_ != State::kAddress && state_ != State::kStop) {
    if (result_.status == I2cStatus::kOk && !transfer_.read) result_.status = I2cStatus::kDataNack;
    while (transfer_.read && result_.data.size() < transfer_.read_length) {
      result_.data.push_back(0xFF);
    }
    state_ = State::kStop;
    phase_end_ps_ = host_.now_ps() + bits_ps(1);
  }
  event_irq_.set(host_, false);
  error_irq_.set(host_, false);
}

bool I2c::listening() const {
  if (!clocked() || (cr1_ & cr1::kPe) == 0) return false;
  // RM0090 27.6.2: FREQ at least 2 MHz for standard mode, 4 MHz for fast mode.
  const uint32_t freq_mhz = cr2_ & cr2::kFreqMask;
  if (freq_mhz < (speed_hz_ > 100'000 ? 4u : 2u)) return false;
  return !pins_routed_ || pins_routed_();
}

uint64_t I2c::bits_ps(unsigned bits) const {
  return uint64_t{bits} * kPsPerSecond / speed_hz_;
}

bool I2c::address_matches(uint8_t address, bool read) {
  if ((cr1_ & cr1::kAck) == 0) return false;  // the address is acknowledged only with ACK set
  if ((oar1_ & kOar1AddMode) == 0 && address == ((oar1_ >> 1) & 0x7Fu)) return true;
  if ((oar2_ & 1u) != 0 && address == ((oar2_ >> 1) & 0x7Fu)) {
    sr2_ |= sr2::kDualf;
    return true;
  }
  if ((cr1_ & cr1::kEngc) != 0 && address == 0 && !read) {
    sr2_ |= sr2::kGencall;
    return true;
  }
  return false;
}

bool I2c::start(const I2cTransfer& transfer) {
  if (state_ != State::kIdle) return false;
  transfer_ = transfer;
  if (transfer_.read && transfer_.read_length == 0) transfer_.read_length = 1;
  result_ = I2cResult{};
  const uint64_t now = host_.now_ps();
  result_.start_ns = now / 1000;
  index_ = 0;
  addressed_ = false;
  // START, 8 address bits and the acknowledge.
  state_ = State::kAddress;
  phase_end_ps_ = now + bits_ps(10);
  host_.reschedule(phase_end_ps_);
  return true;
}

std::optional<I2cResult> I2c::take_result() {
  std::optional<I2cResult> r = std::move(done_);
  done_.reset();
  return r;
}

void I2c::abort(I2cStatus status) {
  if (state_ == State::kIdle) return;
  result_.status = status;
  finish(status, host_.now_ps());
}

uint64_t I2c::next_event_ps() const {
  return phase_end_ps_;
}

void I2c::advance(uint64_t now_ps) {
  while (phase_end_ps_ != kNever && phase_end_ps_ <= now_ps) step(phase_end_ps_);
  update_irq();
}

void I2c::step(uint64_t t) {
  phase_end_ps_ = kNever;
  switch (state_) {
    case State::kAddress:
      if (listening() && address_matches(transfer_.address, transfer_.read)) {
        addressed_ = true;
        sr1_ |= sr1::kAddr;
        sr2_ |= sr2::kBusy | (transfer_.read ? sr2::kTra : 0u);
        state_ = State::kAddrHeld;  // SCL low until SR1 and SR2 are read
      } else {
        result_.status = I2cStatus::kAddressNack;
        state_ = State::kStop;
        phase_end_ps_ = t + bits_ps(1);
      }
      break;
    case State::kRxByte: rx_byte_done(t); break;
    case State::kTxByte:
      result_.data.push_back(shift_);
      ++index_;
      if (index_ < transfer_.read_length) {
        tx_next(t);  // the master acknowledged: it wants another byte
      } else {
        sr1_ |= sr1::kAf;  // the master's NACK after its last byte
        state_ = State::kStop;
        phase_end_ps_ = t + bits_ps(1);
      }
      break;
    case State::kStop: finish_stop(t); break;
    default: break;
  }
  update_irq();
}

// A written byte is complete: into DR when DR is empty, else it waits in the shift register with
// BTF set and SCL stretched until DR is read.
void I2c::rx_byte_done(uint64_t t) {
  const uint8_t byte = transfer_.data[index_];
  if ((sr1_ & sr1::kRxne) != 0) {
    shift_ = byte;
    sr1_ |= sr1::kBtf;
    state_ = State::kRxHeld;
    return;
  }
  dr_rx_ = byte;
  sr1_ |= sr1::kRxne;
  if ((cr1_ & cr1::kAck) == 0) {
    result_.status = I2cStatus::kDataNack;
    state_ = State::kStop;
    phase_end_ps_ = t + bits_ps(1);
    return;
  }
  ++result_.bytes_acked;
  ++index_;
  if (index_ < transfer_.data.size()) {
    state_ = State::kRxByte;
    phase_end_ps_ = t + bits_ps(9);
  } else {
    state_ = State::kStop;
    phase_end_ps_ = t + bits_ps(1);
  }
}

// The transmitter needs its next byte: from DR when software wrote one, else TXE (and BTF after a
// byte) with SCL stretched until DR is written.
void I2c::tx_next(uint64_t t) {
  sr1_ |= sr1::kTxe;
  if (tx_full_) {
    shift_ = dr_tx_;
    tx_full_ = false;
    state_ = State::kTxByte;
    phase_end_ps_ = t + bits_ps(9);
    return;
  }
  if (index_ > 0) sr1_ |= sr1::kBtf;
  state_ = State::kTxWait;
}

void I2c::finish_stop(uint64_t t) {
  // STOPF in the receiver only: a transmitter ends with the master's NACK (AF), RM0090 fig. 241.
  if (addressed_ && !transfer_.read && listening()) sr1_ |= sr1::kStopf;
  finish(result_.status, t);
}

void I2c::finish(I2cStatus status, uint64_t t) {
  sr2_ &= ~(sr2::kBusy | sr2::kTra | sr2::kDualf | sr2::kGencall);
  sr1_ &= ~sr1::kTxe;  // cleared by a STOP
  result_.status = status;
  result_.end_ns = t / 1000;
  done_ = std::move(result_);
  result_ = I2cResult{};
  state_ = State::kIdle;
  phase_end_ps_ = kNever;
  update_irq();
}

void I2c::update_irq() {
  const bool on = clocked();
  const bool ev = (cr2_ & cr2::kItevten) != 0 &&
                  ((sr1_ & (sr1::kSb | sr1::kAddr | sr1::kBtf | sr1::kAdd10 | sr1::kStopf)) != 0 ||
                   ((cr2_ & cr2::kItbufen) != 0 && (sr1_ & (sr1::kRxne | sr1::kTxe)) != 0));
  const bool err = (cr2_ & cr2::kIterren) != 0 && (sr1_ & sr1::kRcw0) != 0;
  event_irq_.set(host_, on && ev);
  error_irq_.set(host_, on && err);
}

uint32_t I2c::read(uint32_t offset) {
  if (!clocked()) return 0;
  const uint64_t now = host_.now_ps();
  switch (offset) {
    case 0x00: return cr1_;
    case 0x04: return cr2_;
    case 0x08: return oar1_;
    case 0x0C: return oar2_;
    case 0x10: {
      const uint8_t v = dr_rx_;
      if (state_ == State::kRxHeld) {
        // SR1 (BTF) then DR: the held byte moves into DR and the master's clock runs again.
        sr1_ &= ~sr1::kBtf;
        sr1_ &= ~sr1::kRxne;
        rx_byte_done(now);
        if (phase_end_ps_ != kNever) host_.reschedule(phase_end_ps_);
      } else {
        sr1_ &= ~(sr1::kRxne | sr1::kBtf);
      }
      update_irq();
      return v;
    }
    case 0x14: sr1_seen_ = sr1_; return sr1_;
    case 0x18: {
      const uint32_t v = sr2_;
      if ((sr1_seen_ & sr1_ & sr1::kAddr) != 0) {
        sr1_ &= ~sr1::kAddr;
        sr1_seen_ &= ~sr1::kAddr;
        if (state_ == State::kAddrHeld) {
          if (transfer_.read) {
            tx_next(now);
          } else if (transfer_.data.empty()) {
            state_ = State::kStop;
            phase_end_ps_ = now + bits_ps(1);
          } else {
            state_ = State::kRxByte;
            phase_end_ps_ = now + bits_ps(9);
          }
          if (phase_end_ps_ != kNever) host_.reschedule(phase_end_ps_);
        }
        update_irq();
      }
      return v;
    }
    case 0x1C: return ccr_;
    case 0x20: return trise_;
    case 0x24: return fltr_;
    default: return 0;
  }
}

void I2c::write(const RegWrite& w) {
  if (!clocked()) return;
  const uint64_t now = host_.now_ps();
  switch (w.offset) {
    case 0x00: {
      cr1_ = w.merge(cr1_) & 0xBFFBu;
      if ((cr1_ & cr1::kSwrst) != 0) {
        const uint32_t keep = cr1_;
        reset();
        cr1_ = keep & cr1::kSwrst;
        break;
      }
      // SR1 read then a CR1 write clears STOPF.
      if ((sr1_seen_ & sr1_ & sr1::kStopf) != 0) {
        sr1_ &= ~sr1::kStopf;
        sr1_seen_ &= ~sr1::kStopf;
      }
      if ((cr1_ & cr1::kPe) == 0) {
        // PE=0 releases the lines and clears the status (RM0090 27.6.1).
        const bool was_holding = state_ == State::kAddrHeld || state_ == State::kRxHeld ||
                                 state_ == State::kTxWait || state_ == State::kRxByte ||
                                 state_ == State::kTxByte;
        sr1_ = 0;
        sr2_ = 0;
        tx_full_ = false;
        if (was_holding) {
          const uint32_t cr1 = cr1_;
          const uint32_t keep[] = {cr2_, oar1_, oar2_, ccr_, trise_, fltr_};
          reset();
          cr1_ = cr1;
          cr2_ = keep[0], oar1_ = keep[1], oar2_ = keep[2], ccr_ = keep[3], trise_ = keep[4];
          fltr_ = keep[5];
          host_.reschedule(phase_end_ps_);
        }
      }
      break;
    }
    case 0x04: cr2_ = w.merge(cr2_) & 0x1F3Fu; break;
    case 0x08: oar1_ = w.merge(oar1_) & 0xC3FFu; break;
    case 0x0C: oar2_ = w.merge(oar2_) & 0xFFu; break;
    case 0x10: {
      const uint8_t byte = static_cast<uint8_t>(w.merge(dr_tx_));
      if (state_ == State::kTxWait) {
        // The transmitter was waiting (SCL stretched): the byte goes straight to the wire.
        shift_ = byte;
        sr1_ &= ~sr1::kBtf;
        state_ = State::kTxByte;
        phase_end_ps_ = now + bits_ps(9);
        host_.reschedule(phase_end_ps_);
      } else {
        dr_tx_ = byte;
        tx_full_ = true;
        sr1_ &= ~(sr1::kTxe | sr1::kBtf);
      }
      break;
    }
    case 0x14: {
      const uint32_t v = w.merge(0xFFFFu);
      sr1_ &= v | ~sr1::kRcw0;  // the error flags are rc_w0
      break;
    }
    case 0x1C: ccr_ = w.merge(ccr_) & 0xCFFFu; break;
    case 0x20: trise_ = w.merge(trise_) & 0x3Fu; break;
    case 0x24: fltr_ = w.merge(fltr_) & 0x1Fu; break;
    default: break;
  }
  update_irq();
}

}  // namespace vstm32
