// SPDX-License-Identifier: Apache-2.0
// In-process wire between the host driver and the bootloader's session over a RAM flash: bytes
// take their wire time at the configured rates, flash operations their DS8626 typical time, and
// either direction can get bit errors. A rate mismatch garbles every byte, as on a real line.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <random>
#include <vector>

#include "an3155/port.h"
#include "bootcore/meta_log.h"
#include "fake_flash.h"
#include "native/device.h"

namespace fota::native::test {

class Loopback final : public an3155::ByteLink, public an3155::Clock, public DevicePort {
 public:
  explicit Loopback(bootcore::test::FakeFlash& flash, uint32_t ring_bytes = 96 * 1024)
      : flash_(flash), ring_mem_(ring_bytes) {}

  // Starts the bootloader's update mode (a reset: RAM and the session are new).
  void boot(DeviceConfig config = {}) {
    config_ = config;
    ring_ = RxRing{};
    ring_.data = ring_mem_.data();
    ring_.size = static_cast<uint32_t>(ring_mem_.size());
    to_device_.clear();
    device_baud_ = kDefaultBaud;
    log_ = std::make_unique<bootcore::MetaLog>(flash_);
    (void)log_->load();
    session_ = std::make_unique<DeviceSession>(*this, flash_, *log_, ring_, config_);
    action_ = DeviceAction::kContinue;
  }
  DeviceAction action() const { return action_; }
  bool running() const { return session_ != nullptr; }
  DeviceSession* session() { return session_.get(); }
  void set_ber(double ber, uint32_t seed) {
    ber_ = ber;
    rng_.seed(seed);
  }
  uint64_t wire_bytes_to_device() const { return wire_bytes_; }
  // The next `count` frames of `type` on their way to the host (to_host) or to the device are
  // lost whole (`damage` false) or arrive with one payload bit flipped (their CRC then fails).
  void spoil_next(uint8_t type, bool to_host, bool damage, unsigned count = 1) {
    spoil_ = {type, to_host, damage, count};
  }
  bool spoiled() const { return spoil_.left == 0; }
  uint32_t flipped_bits() const { return flipped_; }
  // Stops the device after `us` more microseconds of its own time (a host that vanished is
  // modelled by not calling the link at all; this is for power cuts).
  void run_device_for_us(uint64_t us) {
    const uint64_t until = now_us_ + us;
    while (now_us_ < until && session_) {
      if (session_->idle() && to_device_.empty()) now_us_ = std::min(until, now_us_ + 1'000);
      device_step();
    }
    if (!session_) now_us_ = until;
  }

  // ---- an3155::ByteLink (host side) ----
  an3155::PortStatus write(std::span<const uint8_t> bytes) override {
    std::vector<uint8_t> frame(bytes.begin(), bytes.end());
    if (!spoil(frame, false)) return an3155::PortStatus::kOk;
    bytes = frame;
    uint64_t t = std::max(line_free_us_x100_, now_us_ * 100);
    const uint64_t byte_x100 = 100ull * 10'000'000 / host_baud_;  // 10 bits, in 1/100 us
    for (uint8_t b : bytes) {
      t += byte_x100;
      to_device_.push_back({corrupt(b, host_baud_ != device_baud_), t});
      ++wire_bytes_;
    }
    line_free_us_x100_ = t;
    return an3155::PortStatus::kOk;
  }
  an3155::PortStatus read(std::span<uint8_t> out, uint32_t timeout_ms, size_t& got) override {
    got = 0;
    const uint64_t deadline = now_us_ + uint64_t{timeout_ms} * 1000;
    while (got < out.size()) {
      if (!to_host_.empty()) {
        out[got++] = to_host_.front();
        to_host_.pop_front();
        continue;
      }
      if (now_us_ >= deadline) return an3155::PortStatus::kTimeout;
      if (session_) {
        if (session_->idle()) {  // skip ahead to the next byte (or 1 ms: the session's clock)
          uint64_t next = std::min(deadline, now_us_ + 1'000);
          if (!to_device_.empty()) next = std::min(next, to_device_.front().at_x100 / 100 + 1);
          if (next > now_us_ + 5) now_us_ = next - 5;
        }
        device_step();
      } else {
        now_us_ += 10;
      }
    }
    return an3155::PortStatus::kOk;
  }
  an3155::PortStatus flush_input() override {
    to_host_.clear();
    return an3155::PortStatus::kOk;
  }
  an3155::PortStatus configure(uint32_t baud, an3155::Parity) override {
    host_baud_ = baud;
    return an3155::PortStatus::kOk;
  }

  // ---- an3155::Clock ----
  uint64_t now_us() override { return now_us_; }
  void delay_ms(uint32_t ms) override { run_device_for_us(uint64_t{ms} * 1000); }

  // ---- DevicePort ----
  void send(std::span<const uint8_t> bytes) override {
    std::vector<uint8_t> frame(bytes.begin(), bytes.end());
    if (!spoil(frame, true)) return;
    for (uint8_t b : frame) to_host_.push_back(corrupt(b, host_baud_ != device_baud_));
  }
  uint32_t now_ms() override { return static_cast<uint32_t>(now_us_ / 1000); }
  void set_baud(uint32_t baud) override { device_baud_ = baud; }
  bootcore::FlashStatus erase_sector(unsigned sector) override {
    const auto st = flash_.erase_sector(sector);
    advance(flash_map::kSectors[sector].size >= 128 * 1024 ? 1'000'000 : 250'000);
    return st;
  }
  bootcore::FlashStatus program_word(uint32_t address, uint32_t word) override {
    const auto st = flash_.program_words(address, std::span<const uint32_t>(&word, 1));
    advance(16);
    return st;
  }
  void pump() override {
    while (!to_device_.empty() && to_device_.front().at_x100 <= now_us_ * 100) {
      ring_.push(to_device_.front().byte);
      to_device_.pop_front();
    }
  }

 private:
  struct InFlight {
    uint8_t byte;
    uint64_t at_x100;
  };
  struct Spoil {
    uint8_t type = 0;
    bool to_host = false;
    bool damage = false;
    unsigned left = 0;
  };
  // Applies spoil_next() to a whole frame written at once; false: the frame is lost.
  bool spoil(std::vector<uint8_t>& frame, bool to_host) {
    if (spoil_.left == 0 || spoil_.to_host != to_host || frame.size() < kFrameOverhead ||
        frame[0] != kSync0 || frame[1] != kSync1 || frame[2] != spoil_.type) {
      return true;
    }
    --spoil_.left;
    if (!spoil_.damage) return false;
    frame[frame.size() - 5] ^= 0x10;  // the last payload byte (or the header check)
    return true;
  }
  uint8_t corrupt(uint8_t b, bool garble) {
    if (garble) return static_cast<uint8_t>(b ^ 0x5A ^ (b << 1));
    if (ber_ <= 0) return b;
    for (int bit = 0; bit < 8; ++bit) {
      if (std::uniform_real_distribution<double>(0, 1)(rng_) < ber_) {
        b ^= static_cast<uint8_t>(1u << bit);
        ++flipped_;
      }
    }
    return b;
  }
  void advance(uint64_t us) {
    now_us_ += us;
    pump();
  }
  void device_step() {
    if (!flash_.powered()) {  // a power cut: the device is dead until the test boots it
      session_.reset();
      return;
    }
    advance(5);
    try {
      action_ = session_->poll();
    } catch (const bootcore::test::PowerCut&) {  // the cut stopped the device mid-operation
      session_.reset();
      return;
    }
    if (action_ != DeviceAction::kContinue) session_.reset();  // it resets
  }

  bootcore::test::FakeFlash& flash_;
  std::vector<uint8_t> ring_mem_;
  RxRing ring_;
  DeviceConfig config_;
  std::unique_ptr<bootcore::MetaLog> log_;
  std::unique_ptr<DeviceSession> session_;
  DeviceAction action_ = DeviceAction::kContinue;
  std::deque<InFlight> to_device_;
  std::deque<uint8_t> to_host_;
  uint64_t now_us_ = 0;
  uint64_t line_free_us_x100_ = 0;
  uint32_t host_baud_ = kDefaultBaud;
  uint32_t device_baud_ = kDefaultBaud;
  double ber_ = 0;
  std::mt19937 rng_{1};
  uint32_t flipped_ = 0;
  uint64_t wire_bytes_ = 0;
  Spoil spoil_;
};

}  // namespace fota::native::test
