// SPDX-License-Identifier: Apache-2.0
// The native update path over I2C with the real binaries on vstm32::Machine: the bootloader's
// update mode as an I2C1 slave (native/i2c.h) and the portable host driver over the I2C byte link
// (native/i2c_link.h) on the machine's bus at 400 kHz (fast mode), simulated time.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "demo_device_test.h"
#include "device.h"
#include "machine_i2c.h"
#include "machine_link.h"
#include "native/frame.h"
#include "native/host.h"
#include "native/i2c_link.h"

namespace fota::native {
namespace {

using boot_test::Device;
using flash_map::Slot;
using native_test::flash_region;
using native_test::MachineI2cBus;
using native_test::MachineLink;

class NativeI2c : public native_test::DemoDeviceTest {
 protected:
  Device& start(uint8_t address = kI2cAddress) {
    device_ = std::make_unique<Device>(layout_);
    pins_ = std::make_unique<MachineLink>(device_->machine());  // NRST, BOOT0 and the clock
    bus_ = std::make_unique<MachineI2cBus>(device_->machine(), 400'000);
    I2cLinkOptions options;
    options.address = address;
    link_ = std::make_unique<I2cLink>(*bus_, *pins_, options);
    device_->power_on();
    return *device_;
  }

  std::unique_ptr<MachineLink> pins_;
  std::unique_ptr<MachineI2cBus> bus_;
  std::unique_ptr<I2cLink> link_;
};

TEST_F(NativeI2c, PinResetSyncOverI2cInstallsV2AndItConfirms) {
  Device& d = start();
  const auto before = expect_v1_running(d);
  HostSession host(*link_, *pins_);
  auto hello = host.wake(*pins_);
  ASSERT_TRUE(hello.ok()) << to_string(hello.error()) << " / " << to_string(link_->last_error())
                          << "\n"
                          << d.recent_events();
  EXPECT_EQ(hello->reason, EntryReason::kPinSync);
  EXPECT_EQ(hello->install_slot, 1);
  EXPECT_EQ(hello->slots[0].state, SlotState::kConfirmed);
  EXPECT_EQ(d.leds() & boot_test::kLedBlue, boot_test::kLedBlue);  // update mode
  bus_->reset_stats();
  const double t0 = d.now_ms();
  ASSERT_EQ(host.install(v2_, 1, false), HostError::kOk)
      << to_string(host.last_status()) << " / " << to_string(link_->last_error()) << " after "
      << bus_->stats().transfers << " transactions\n"
      << d.recent_events();
  const double took = d.now_ms() - t0;
  const auto& s = bus_->stats();
  expect_v2_confirmed(d, before);
  // The image's bytes on a 400 kHz bus, 9 clocks a byte: the wire time.
  const double wire_ms = static_cast<double>(v2_.size()) * 9 / 400'000 * 1000;
  std::printf(
      "native install over I2C at 400 kHz, %zu-byte image: %.1f ms simulated; wire time of the "
      "image %.1f ms (x%.2f); bus busy %.1f ms (unstretched %.1f ms) in %llu transactions, "
      "%llu bytes written, %llu read; %u frames, %u resent, %u busy\n",
      v2_.size(), took, wire_ms, took / wire_ms, static_cast<double>(s.bus_ns) / 1e6,
      static_cast<double>(s.unstretched_ns) / 1e6, static_cast<unsigned long long>(s.transfers),
      static_cast<unsigned long long>(s.bytes_written),
      static_cast<unsigned long long>(s.bytes_read), host.stats().frames_sent,
      host.stats().frames_resent, host.stats().busy);
}

// A full slot (384 KB, four times the bootloader's 96 KB receive ring, three sector erases): the
// host must take the device's acks while it writes, or its 512-byte reply queue fills and the
// transfer stalls (before the fix: "too many retransmissions" beyond ~90 KB).
TEST_F(NativeI2c, AFullSlotImageCompletesAtFullSpeedAndConfirms) {
  std::vector<uint8_t> payload = boot_test::read_artifact("demo-v2-B.bin");
  std::mt19937 rng(7);
  while (payload.size() < flash_map::kMaxPayloadSize)
    payload.push_back(static_cast<uint8_t>(rng()));
  const std::vector<uint8_t> image = boot_test::make_image(payload, Slot::kB, {2, 0, 0, 0});
  ASSERT_EQ(image.size(), flash_map::kSlotSize);
  Device& d = start();
  const auto before = expect_v1_running(d);
  HostSession host(*link_, *pins_);
  ASSERT_TRUE(host.wake(*pins_).ok()) << to_string(link_->last_error());
  const double t0 = d.now_ms();
  ASSERT_EQ(host.install(image, 1, false), HostError::kOk)
      << to_string(host.last_status()) << " / " << to_string(link_->last_error()) << "\n"
      << d.recent_events();
  const double took = d.now_ms() - t0;
  EXPECT_EQ(host.stats().frames_resent, 0u);
  EXPECT_EQ(host.stats().timeouts, 0u);
  // Within 1.2 x the image's wire time at 400 kHz (9 clocks a byte).
  const double wire_ms = static_cast<double>(image.size()) * 9 / 400'000 * 1000;
  EXPECT_LT(took, 1.2 * wire_ms);
  std::printf("384 KB over I2C at 400 kHz: %.1f ms simulated, wire time %.1f ms (x%.3f)\n", took,
              wire_ms, took / wire_ms);
  const auto after = expect_v2_confirmed(d, before);
  EXPECT_EQ(flash_region(after, 0x0808'0000, 0x080E'0000), image);
}

TEST_F(NativeI2c, AWrongAddressIsAClearErrorAndTheDeviceBootsOn) {
  start(kI2cAddress + 1);
  expect({"confirmed\n"});
  HostSession host(*link_, *pins_);
  auto hello = host.wake(*pins_);
  ASSERT_FALSE(hello.ok());
  EXPECT_EQ(hello.error(), HostError::kLink);
  EXPECT_EQ(link_->last_error(), I2cLinkError::kNoAcknowledge);
  EXPECT_STREQ(to_string(link_->last_error()), "no device acknowledges the address");
  EXPECT_GT(link_->stats().address_nacks, 0u);
  // The listening window passed without a sync: the application runs as before.
  expect({"boot: slot=A version=1.0.0 decision=confirmed", "demo 1.0.0 slot A\n"});
}

TEST_F(NativeI2c, AHostThatVanishesMidTransferLeavesTheOldImageRunning) {
  Device& d = start();
  expect({"confirmed\n"});
  HostSession host(*link_, *pins_);
  ASSERT_TRUE(host.wake(*pins_).ok());
  std::vector<uint8_t> frame = begin_v2_frame();
  ASSERT_EQ(host.exchange_raw(frame, 2'000), HostError::kOk);
  ASSERT_EQ(host.last_status(), Status::kOk);
  std::vector<uint8_t> p(4 + kMaxData);
  std::copy(v2_.begin() + 512, v2_.begin() + 512 + kMaxData, p.begin() + 4);
  frame.resize(kMaxFrameSize);
  frame.resize(encode_frame(Type::kData, 0, p, frame));
  ASSERT_EQ(link_->write(frame), an3155::PortStatus::kOk);
  bus_->disconnect();  // the host is gone; its acknowledgements stay unread
  d.mark();
  expect({"boot: slot=A version=1.0.0 decision=confirmed", "demo 1.0.0 slot A\n"}, 13'000);
}

}  // namespace
}  // namespace fota::native
