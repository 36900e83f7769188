// SPDX-License-Identifier: Apache-2.0
#include "machine_link.h"

#include <algorithm>

namespace fota::native_test {

namespace {
constexpr uint64_t kIdleStepNs = 100'000;  // how far the machine runs while nothing is due
}

bool MachineLink::mismatch() const {
  if (m_.mode() == vstm32::Mode::kRom) return false;  // the ROM measures the host's rate
  const uint32_t chip = m_.uart_baud();
  if (chip == 0) return false;  // not configured: the byte is lost anyway
  const double ratio = static_cast<double>(baud_) / chip;
  return ratio < 0.97 || ratio > 1.03;
}

uint8_t MachineLink::on_wire(uint8_t byte) {
  if (mismatch()) {
    ++garbled_;
    return static_cast<uint8_t>((byte * 7u) ^ 0xA3u);
  }
  if (ber_ > 0) {
    for (int bit = 0; bit < 8; ++bit) {
      if (std::uniform_real_distribution<double>(0, 1)(rng_) < ber_) {
        byte ^= static_cast<uint8_t>(1u << bit);
        ++flipped_;
      }
    }
  }
  return byte;
}

an3155::PortStatus MachineLink::write(std::span<const uint8_t> bytes) {
  const uint64_t byte_ns = uint64_t{bits_} * 1'000'000'000 / baud_;
  uint64_t t = std::max(line_free_ns_, m_.now_ns());
  for (uint8_t b : bytes) {
    t += byte_ns;
    to_chip_.push_back({b, t});
  }
  line_free_ns_ = t;
  return an3155::PortStatus::kOk;
}

void MachineLink::collect() {
  for (const vstm32::UartByte& b : m_.take_uart_tx()) {
    const uint32_t chip = m_.mode() == vstm32::Mode::kRom || m_.uart_baud() == 0 ? baud_
                                                                                 : m_.uart_baud();
    const uint64_t end = b.at_ns + uint64_t{m_.uart_frame_bits()} * 1'000'000'000 / chip;
    to_host_.push_back({on_wire(b.byte), end});
  }
}

void MachineLink::run_until_ns(uint64_t t_ns) {
  while (m_.now_ns() < t_ns) {
    if (!to_chip_.empty() && to_chip_.front().at_ns <= t_ns) {
      const Timed b = to_chip_.front();
      to_chip_.pop_front();
      if (b.at_ns > m_.now_ns()) m_.advance_to(b.at_ns);
      m_.uart_receive(on_wire(b.byte));
      continue;
    }
    m_.advance_to(t_ns);
  }
  collect();
}

an3155::PortStatus MachineLink::read(std::span<uint8_t> out, uint32_t timeout_ms, size_t& got) {
  got = 0;
  const uint64_t deadline = m_.now_ns() + uint64_t{timeout_ms} * 1'000'000;
  for (;;) {
    collect();
    while (got < out.size() && !to_host_.empty() && to_host_.front().at_ns <= m_.now_ns()) {
      out[got++] = to_host_.front().byte;
      to_host_.pop_front();
    }
    if (got == out.size()) return an3155::PortStatus::kOk;
    const uint64_t now = m_.now_ns();
    if (now >= deadline) return an3155::PortStatus::kTimeout;
    uint64_t next = std::min(deadline, now + kIdleStepNs);
    if (!to_host_.empty()) next = std::min(next, std::max(to_host_.front().at_ns, now + 1));
    if (!to_chip_.empty()) next = std::min(next, std::max(to_chip_.front().at_ns, now + 1));
    run_until_ns(next);
  }
}

an3155::PortStatus MachineLink::flush_input() {
  collect();
  to_host_.clear();
  return an3155::PortStatus::kOk;
}

an3155::PortStatus MachineLink::configure(uint32_t baud, an3155::Parity parity) {
  if (baud == 0) return an3155::PortStatus::kUnsupported;
  baud_ = baud;
  bits_ = parity == an3155::Parity::kEven ? 11 : 10;
  return an3155::PortStatus::kOk;
}

an3155::PortStatus MachineLink::set_boot0(bool high) {
  m_.set_boot0(high);
  return an3155::PortStatus::kOk;
}

an3155::PortStatus MachineLink::set_reset(bool asserted) {
  m_.set_nrst(asserted);
  return an3155::PortStatus::kOk;
}

}  // namespace fota::native_test
