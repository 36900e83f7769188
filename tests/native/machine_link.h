// SPDX-License-Identifier: Apache-2.0
// The host side's ports (an3155/port.h: byte link, pins, clock) wired to a vstm32::Machine in
// simulated time: bytes take their wire time at the host's rate (8N1 10 bits, 8E1 11 bits), the
// chip's answers arrive when their stop bit ends, a host rate more than 3 % away from the rate the
// firmware's BRR gives garbles every byte (as on a real line), and bit errors can be injected.
// The host driver runs unchanged over it; time only passes while the host waits.
#pragma once

#include <cstdint>
#include <deque>
#include <random>
#include <vector>

#include "an3155/port.h"
#include "format/flash_map.h"
#include "vstm32/machine.h"

namespace fota::native_test {

class MachineLink final : public an3155::ByteLink, public an3155::Clock, public an3155::TargetPins {
 public:
  explicit MachineLink(vstm32::Machine& machine) : m_(machine) {}

  an3155::PortStatus write(std::span<const uint8_t> bytes) override;
  an3155::PortStatus read(std::span<uint8_t> out, uint32_t timeout_ms, size_t& got) override;
  an3155::PortStatus flush_input() override;
  an3155::PortStatus configure(uint32_t baud, an3155::Parity parity) override;
  uint64_t now_us() override { return m_.now_ns() / 1000; }
  void delay_ms(uint32_t ms) override { run_until_ns(m_.now_ns() + uint64_t{ms} * 1'000'000); }
  an3155::PortStatus set_boot0(bool high) override;
  an3155::PortStatus set_reset(bool asserted) override;

  // Runs the machine (delivering the bytes in flight) up to `t_ns`.
  void run_until_ns(uint64_t t_ns);
  void set_ber(double ber, uint32_t seed) {
    ber_ = ber;
    rng_.seed(seed);
  }
  uint64_t flipped_bits() const { return flipped_; }
  uint64_t garbled_bytes() const { return garbled_; }
  // Forget bytes still on the wire (the host process died).
  void drop_in_flight() { to_chip_.clear(); }

 private:
  struct Timed {
    uint8_t byte;
    uint64_t at_ns;
  };
  bool mismatch() const;
  uint8_t on_wire(uint8_t byte);
  void collect();

  vstm32::Machine& m_;
  uint32_t baud_ = 115'200;
  unsigned bits_ = 10;
  std::deque<Timed> to_chip_;
  std::deque<Timed> to_host_;
  uint64_t line_free_ns_ = 0;
  double ber_ = 0;
  std::mt19937 rng_{1};
  uint64_t flipped_ = 0;
  uint64_t garbled_ = 0;
};

// The bytes of a flash snapshot (as Machine::flash() gives it) from address `from` up to `to`.
inline std::vector<uint8_t> flash_region(const std::vector<uint8_t>& flash, uint32_t from,
                                         uint32_t to) {
  return std::vector<uint8_t>(flash.begin() + (from - flash_map::kFlashBase),
                              flash.begin() + (to - flash_map::kFlashBase));
}

}  // namespace fota::native_test
