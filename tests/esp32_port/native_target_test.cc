// SPDX-License-Identifier: Apache-2.0
// The ESP32 port's native wiring (StmTarget on the native path: the core's NativeTarget with the
// port's options, over the same link/pins/clock interfaces the ESP32 adapters implement) driven by
// the update engine against the real binaries on vstm32::Machine: our bootloader's update mode
// entered by an NRST pulse and sync (no BOOT0: the 3-wire option), the image streamed at the
// port's kNativeBaud (8N1), and the new demo's own verdict read from its console. An ESP32 runs the
// same code over UartLink/GpioPins/EspClock; this is not a run on an ESP32.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "../../update/test/fakes.h"
#include "demo_device_test.h"
#include "device.h"
#include "fota_esp32/stm_target.h"
#include "machine_link.h"
#include "update/engine.h"
#include "vstm32/machine.h"

namespace fota::esp32 {
namespace {

using flash_map::Slot;

class LinkClock final : public update::Clock {
 public:
  explicit LinkClock(native_test::MachineLink& link) : link_(link) {}
  uint64_t now_ms() override { return link_.now_us() / 1000; }

 private:
  native_test::MachineLink& link_;
};

// The chip's USART1 rate while the image is written (what the bootloader switched to).
class BaudProbe final : public update::Reporter {
 public:
  explicit BaudProbe(vstm32::Machine& machine) : machine_(machine) {}
  void on_state(update::State, const update::Failure&) override {}
  void on_progress(update::Step step, uint32_t, uint32_t) override {
    if (step == update::Step::kWrite) baud = std::max(baud, machine_.uart_baud());
  }
  uint32_t baud = 0;

 private:
  vstm32::Machine& machine_;
};

class Esp32NativeWiring : public native_test::DemoDeviceTest {
 protected:
  void SetUp() override {
    DemoDeviceTest::SetUp();
    if (HasFatalFailure()) return;
    device_ = std::make_unique<boot_test::Device>(layout_);
    link_ = std::make_unique<native_test::MachineLink>(device_->machine());
    device_->power_on();
    ASSERT_TRUE(reaches({"demo 1.0.0 slot A\n", "confirmed\n"}));
  }

  update::Outcome install(StmTarget& target, const std::vector<uint8_t>& image_b,
                          update::Reporter* reporter = nullptr) {
    LinkClock clock(*link_);
    update::Policy policy;
    policy.require_signature = false;
    policy.outcome_timeout_ms = 10'000;
    policy.confirm_timeout_ms = 5'000;
    update::Engine engine(target, clock, reporter != nullptr ? *reporter : reporter_, nullptr,
                          nullptr);
    update::test::MemorySource b(image_b);
    return engine.run(update::Release{{nullptr, &b}}, policy);
  }

  std::unique_ptr<native_test::MachineLink> link_;
  update::test::RecordingReporter reporter_;
};

TEST_F(Esp32NativeWiring, InstallsV2OverThreeWiresAtTheNativeBaudAndItConfirms) {
  StmTarget target(*link_, *link_, *link_, Transport::kNative);
  EXPECT_EQ(target.kind(), update::TargetKind::kStreaming);
  BaudProbe probe(device_->machine());
  const update::Outcome out = install(target, v2_, &probe);
  ASSERT_EQ(out.state, update::State::kConfirmed)
      << update::to_string(out.failure.reason) << ": " << target.last_error() << "\n"
      << device_->output();
  EXPECT_EQ(out.slot, Slot::kB);
  EXPECT_EQ(out.version.major, 2);
  // Streamed at the port's native rate: the bootloader switched USART1 to kNativeBaud.
  EXPECT_EQ(probe.baud, kNativeBaud);
  // Slot B holds the image byte for byte, and the new demo said so on its console.
  const std::vector<uint8_t> flash = device_->flash_copy();
  const size_t at = flash_map::slot_address(Slot::kB) - flash_map::kFlashBase;
  EXPECT_TRUE(std::equal(v2_.begin(), v2_.end(), flash.begin() + static_cast<std::ptrdiff_t>(at)));
  EXPECT_NE(device_->output().find("demo 2.0.0 slot B"), std::string::npos) << device_->output();
}

TEST_F(Esp32NativeWiring, AnImageLinkedForTheRunningSlotIsRefusedAndV1KeepsRunning) {
  StmTarget target(*link_, *link_, *link_, Transport::kNative);
  const update::Outcome out = install(target, boot_test::demo_image("demo-v2", Slot::kA));
  EXPECT_EQ(out.state, update::State::kFailed);
  EXPECT_EQ(out.failure.reason, update::FailReason::kWrongSlot)
      << update::to_string(out.failure.reason);
  // The device is left in (or returns to) the confirmed v1 once the host lets go.
  (void)target.reboot();
  EXPECT_TRUE(device_->run_until({"demo 1.0.0 slot A\n"}, 12'000)) << device_->output();
}

TEST_F(Esp32NativeWiring, TheDefaultTransportFollowsTheConfigurationAndCanBeSwitched) {
  StmTarget target(*link_, *link_, *link_);
  EXPECT_EQ(target.transport(), kTransportNative ? Transport::kNative : Transport::kRom);
  target.use(Transport::kRom);
  EXPECT_EQ(target.kind(), update::TargetKind::kRaw);
  target.use(Transport::kNative);
  EXPECT_EQ(target.kind(), update::TargetKind::kStreaming);
}

}  // namespace
}  // namespace fota::esp32
