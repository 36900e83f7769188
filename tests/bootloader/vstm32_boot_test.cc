// SPDX-License-Identifier: Apache-2.0
// The real bootloader and demo binaries on vstm32::Machine: first boot, update, confirm, revert
// after attempts, watchdog-caught hard fault and hang, corrupted update, second update, no image,
// a release image from `fota pack`. Every wait is bounded in simulated time (the budgets below);
// nothing sleeps.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>

#include "device_test.h"

namespace fota::boot_test {
namespace {

using bootcore::SlotState;
using flash_map::Slot;

// Waiting for the trial watchdog (period 8.19 s) to reset: its period and a quarter.
constexpr double kWatchdogMs = 8'192 * 1.25;

// The trial watchdog period the bootloader arms: PR 4 (/64), RLR 4095 at the nominal 32 kHz LSI.
constexpr double kWatchdogPeriodMs = 64.0 * 4096 / 32.0;

// For each watchdog start ("iwdg started"), the time until the reset that follows it, when that
// reset is a watchdog reset ("reset cause=iwdg"); other resets are skipped.
std::vector<double> watchdog_resets_ms(Device& d) {
  std::vector<double> periods;
  std::optional<uint64_t> started_ns;
  for (const vstm32::MachineEvent& e : d.events()) {
    if (e.text == "iwdg started") started_ns = e.at_ns;
    if (e.kind == vstm32::MachineEvent::Kind::kReset) {
      if (started_ns && e.text.rfind("reset cause=iwdg", 0) == 0) {
        periods.push_back(static_cast<double>(e.at_ns - *started_ns) / 1e6);
      }
      started_ns.reset();
    }
  }
  return periods;
}

// The boot line of attempt `attempt` (of 3) of the trial of `version` in slot B.
std::string trial_of_b(const std::string& version, int attempt) {
  return "boot: slot=B version=" + version + " decision=trial reason=attempt-" +
         std::to_string(attempt) + "/3\n";
}

size_t fault_events(Device& d, const std::string& needle) {
  size_t n = 0;
  for (const vstm32::MachineEvent& e : d.events()) {
    n += e.kind == vstm32::MachineEvent::Kind::kFault && e.text.find(needle) != std::string::npos;
  }
  return n;
}

class VirtualBoot : public DeviceTest {
 protected:
  void SetUp() override { layout_.put_bootloader(); }
};

TEST_F(VirtualBoot, FactoryImageWithoutRecordBootsOnTrialConfirmsAndThenBootsConfirmed) {
  layout_.put_demo(Slot::kA, "demo-v1");
  Device& d = start();
  expect({"boot: slot=A version=1.0.0 decision=trial reason=log-empty\n", "demo 1.0.0 slot A\n",
          "info: state=trial attempt=1/3 reset=power-on watchdog_ms=8192\n", "self-test ok\n",
          "confirmed\n"});
  EXPECT_EQ(d.slot_state(Slot::kA), SlotState::kConfirmed);
  d.reset_pin();
  expect({"boot: slot=A version=1.0.0 decision=confirmed reason=confirmed\n", "demo 1.0.0 slot A\n",
          "info: state=confirmed attempt=1/3 reset=pin watchdog_ms=0\n", "confirmed\n"});
}

TEST_F(VirtualBoot, UpdateToV2InSlotBBootsOnTrialAndConfirms) {
  ASSERT_TRUE(layout_.put_trial_b_over_v1("demo-v2"));
  Device& d = start();
  expect({"boot: slot=B version=2.0.0 decision=trial reason=attempt-1/3\n", "demo 2.0.0 slot B\n",
          "self-test ok\n", "confirmed\n"});
  EXPECT_EQ(d.slot_state(Slot::kB), SlotState::kConfirmed);
  // Bootloader LEDs: blue while it works, orange for a trial, all off after the hand-over.
  const std::vector<LedEvent>& leds = d.led_events();
  ASSERT_GE(leds.size(), 3u);
  EXPECT_EQ(leds[0].leds, kLedBlue);
  bool orange_trial = false;
  bool off_after_trial = false;
  for (const LedEvent& e : leds) {
    off_after_trial = off_after_trial || (orange_trial && e.leds == 0);
    orange_trial = orange_trial || e.leds == (kLedBlue | kLedOrange);
  }
  EXPECT_TRUE(orange_trial);
  EXPECT_TRUE(off_after_trial);
  EXPECT_EQ(d.slot_state(Slot::kA), SlotState::kConfirmed);  // kept until the next update
  d.reset_pin();
  expect(
      {"boot: slot=B version=2.0.0 decision=confirmed reason=confirmed\n", "demo 2.0.0 slot B\n"});
}

TEST_F(VirtualBoot, NeverConfirmingImageRevertsToAAfterItsAttempts) {
  ASSERT_TRUE(layout_.put_trial_b_over_v1("demo-noconfirm"));
  Device& d = start();
  for (int attempt = 1; attempt <= 3; ++attempt) {
    expect(
        {trial_of_b("2.1.0", attempt), "demo 2.1.0 slot B\n", "not confirming (test variant)\n"});
    d.reset_pin();
  }
  expect({"boot: slot=A version=1.0.0 decision=confirmed reason=reverted-B-attempts-exhausted\n",
          "demo 1.0.0 slot A\n", "confirmed\n"});
  EXPECT_EQ(d.slot_state(Slot::kB), SlotState::kRejected);
  d.reset_pin();  // stays reverted
  expect({"boot: slot=A version=1.0.0 decision=confirmed reason=confirmed\n"});
}

TEST_F(VirtualBoot, HardFaultingImageIsCaughtByTheWatchdogAndReverted) {
  ASSERT_TRUE(layout_.put_trial_b_over_v1("demo-hardfault"));
  Device& d = start();
  for (int attempt = 1; attempt <= 3; ++attempt) {
    expect({trial_of_b("2.2.0", attempt), "demo 2.2.0 slot B\n",
            "hardfault: executing an undefined instruction"},
           attempt == 1 ? kBootMs : kWatchdogMs + kBootMs);
    // No reset from us: only the watchdog brings the next boot.
  }
  expect({"boot: slot=A version=1.0.0 decision=confirmed reason=reverted-B-attempts-exhausted\n",
          "demo 1.0.0 slot A\n", "reset=iwdg", "confirmed\n"},
         kWatchdogMs + kBootMs);
  EXPECT_EQ(d.slot_state(Slot::kB), SlotState::kRejected);
  // Each attempt: the undefined instruction faults, the core spins in the default handler, the
  // IWDG the bootloader armed resets it one period after it started.
  EXPECT_EQ(fault_events(d, "undefined instruction"), 3u);
  const std::vector<double> periods = watchdog_resets_ms(d);
  ASSERT_EQ(periods.size(), 3u);
  for (double ms : periods) EXPECT_NEAR(ms, kWatchdogPeriodMs, 1.0);
}

TEST_F(VirtualBoot, HangingImageIsCaughtByTheWatchdogAndReverted) {
  ASSERT_TRUE(layout_.put_trial_b_over_v1("demo-hang"));
  Device& d = start();
  expect({"boot: slot=B version=2.3.0 decision=trial reason=attempt-1/3\n", "demo 2.3.0 slot B\n",
          "hang: spinning"});
  for (int attempt = 2; attempt <= 3; ++attempt) {
    expect({trial_of_b("2.3.0", attempt), "hang: spinning"}, kWatchdogMs + kBootMs);
  }
  expect({"boot: slot=A version=1.0.0 decision=confirmed reason=reverted-B-attempts-exhausted\n",
          "demo 1.0.0 slot A\n", "reset=iwdg", "confirmed\n"},
         kWatchdogMs + kBootMs);
  EXPECT_EQ(d.slot_state(Slot::kB), SlotState::kRejected);
  EXPECT_EQ(fault_events(d, ""), 0u);  // no fault: only the missing kicks reset it
  const std::vector<double> periods = watchdog_resets_ms(d);
  ASSERT_EQ(periods.size(), 3u);
  for (double ms : periods) EXPECT_NEAR(ms, kWatchdogPeriodMs, 1.0);
}

TEST_F(VirtualBoot, CorruptedUpdateIsNeverStartedAndAKeepsRunning) {
  ASSERT_TRUE(layout_.put_trial_b_over_v1("demo-v2"));
  layout_.corrupt_payload(Slot::kB);
  Device& d = start();
  expect({"boot: slot=A version=1.0.0 decision=confirmed reason=reverted-B-image-invalid\n",
          "demo 1.0.0 slot A\n", "confirmed\n"});
  EXPECT_EQ(d.slot_state(Slot::kB), SlotState::kRejected);
}

TEST_F(VirtualBoot, SecondUpdateGoesBackIntoSlotA) {
  ASSERT_TRUE(layout_.put_trial_b_over_v1("demo-v2"));
  Device& d = start();
  expect({"demo 2.0.0 slot B\n", "confirmed\n"});
  d.power_off();
  // The host writes v3 into the slot that is not running, then commits it.
  layout_.assign(d.flash_copy());
  layout_.put_demo(Slot::kA, "demo-v3");
  ASSERT_TRUE(layout_.append_trial(Slot::kA));
  Device& d2 = start();
  expect({"boot: slot=A version=3.0.0 decision=trial reason=attempt-1/3\n", "demo 3.0.0 slot A\n",
          "confirmed\n"});
  EXPECT_EQ(d2.slot_state(Slot::kA), SlotState::kConfirmed);
}

TEST_F(VirtualBoot, NoImageStaysInTheBootloaderBlinkingRed) {
  const std::vector<double> red_on = red_blinks_with_nothing_to_run(
      "boot: slot=- version=- decision=none reason=no-valid-image\n");
  // LED pattern "no image": red double flash per second (on at 0 and 250 ms, again at 1000 ms),
  // blue (bootloader busy) off. Ratios, not absolute times: the delay loops run at one
  // instruction per cycle on the machine (docs/vstm32.md "Time").
  ASSERT_GE(red_on.size(), 3u);
  const double period_ratio = (red_on[2] - red_on[0]) / (red_on[1] - red_on[0]);
  EXPECT_NEAR(period_ratio, 1000.0 / 250.0, 0.2);
  EXPECT_EQ(device_->leds() & (kLedGreen | kLedOrange | kLedBlue), 0);
}

}  // namespace
}  // namespace fota::boot_test

#ifdef FOTA_RELEASES_DIR
namespace fota::boot_test {
namespace {

// The release `fota pack` made in the host build (releases/demo-v2/) boots like our own images.
TEST_F(VirtualBoot, ReleaseImagePackedByFotaPackBootsAndConfirms) {
  const auto img = std::filesystem::path(FOTA_RELEASES_DIR) / "demo-v2" / "demo-v2-2.0.0-B.img";
  std::ifstream in(img, std::ios::binary);
  ASSERT_TRUE(in) << "missing " << img << " (target demo_releases)";
  const std::vector<uint8_t> image(std::istreambuf_iterator<char>(in), {});
  ASSERT_TRUE(layout_.put_trial_b_over_v1(image));
  Device& d = start();
  expect({"boot: slot=B version=2.0.0 decision=trial reason=attempt-1/3\n", "demo 2.0.0 slot B\n",
          "confirmed\n"});
  EXPECT_EQ(d.slot_state(Slot::kB), SlotState::kConfirmed);
}

}  // namespace
}  // namespace fota::boot_test
#endif
