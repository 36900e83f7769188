// SPDX-License-Identifier: Apache-2.0
// The host's end of a simulated 115200 8E1 wire to vstm32's model of the ROM bootloader (over a
// FakeRomBus), in simulated time that moves only through bytes and waits: a byte the host sends
// reaches the model one byte time after the line is free, the model's answers leave one after
// another at a byte time each. Tests derive from it for what they add (pins, errors on the line).
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <span>
#include <utility>

#include "an3155/port.h"
#include "fake_rom_bus.h"
#include "vstm32/rom_bootloader.h"

namespace vstm32::testing {

class RomWire : public fota::an3155::ByteLink, public fota::an3155::Clock {
 public:
  static constexpr uint64_t kByteNs = 11ull * 1'000'000'000ull / 115200;  // one 8E1 byte

  RomWire(FakeRomBus& bus, RomBootloader& rom) : bus_(bus), rom_(rom) {}
  virtual ~RomWire() = default;

  fota::an3155::PortStatus read(std::span<uint8_t> out, uint32_t timeout_ms, size_t& got) override {
    got = 0;
    const uint64_t deadline = now_ + uint64_t{timeout_ms} * 1'000'000;
    collect();
    while (got < out.size() && !rx_.empty() && rx_.front().second <= deadline) {
      now_ = std::max(now_, rx_.front().second);
      out[got++] = rx_.front().first;
      rx_.pop_front();
    }
    if (got < out.size()) now_ = std::max(now_, deadline);
    return got == out.size() ? fota::an3155::PortStatus::kOk : fota::an3155::PortStatus::kTimeout;
  }
  fota::an3155::PortStatus flush_input() override {
    collect();
    while (!rx_.empty() && rx_.front().second <= now_) rx_.pop_front();
    return fota::an3155::PortStatus::kOk;
  }
  uint64_t now_us() override { return now_ / 1000; }
  void delay_ms(uint32_t ms) override { now_ += uint64_t{ms} * 1'000'000; }

 protected:
  // The host's next byte takes the line: the time it arrives at the chip.
  uint64_t next_arrival() {
    line_free_ = std::max(line_free_, now_) + kByteNs;
    collect();
    return line_free_;
  }
  // The model receives `byte` at `at_ns`.
  void deliver(uint8_t byte, uint64_t at_ns) {
    bus_.now = at_ns;
    rom_.on_rx_byte(byte, at_ns);
    collect();
  }
  // What the line does to a byte of the model's answers on its way to the host.
  virtual uint8_t on_the_line(uint8_t byte) { return byte; }
  // When the model's last answer byte has left it.
  uint64_t rom_tx_free() const { return rom_tx_free_; }

  FakeRomBus& bus_;
  RomBootloader& rom_;
  uint64_t now_ = 0;

 private:
  // The model's answers: each leaves the wire one byte time after the line is free.
  void collect() {
    for (const TxByte& b : bus_.tx) {
      const uint64_t start = std::max(b.at_ns, rom_tx_free_);
      rom_tx_free_ = start + kByteNs;
      rx_.push_back({on_the_line(b.byte), rom_tx_free_});
    }
    bus_.tx.clear();
  }

  std::deque<std::pair<uint8_t, uint64_t>> rx_;
  uint64_t line_free_ = 0;
  uint64_t rom_tx_free_ = 0;
};

}  // namespace vstm32::testing
