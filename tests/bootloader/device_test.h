// SPDX-License-Identifier: Apache-2.0
// The fixture the scenario tests on vstm32::Machine share: a flash picture, the Device booted from
// it, and expectations on its USART1 text bounded in simulated time (with what it said when they
// fail); the LED timings the bootloader's blink patterns are checked by.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "device.h"
#include "flash_layout.h"

namespace fota::boot_test {

// The times (ms) the red LED came on, in order.
inline std::vector<double> red_on_ms(Device& d) {
  std::vector<double> on;
  uint8_t last = 0;
  for (const LedEvent& e : d.led_events()) {
    if ((e.leds & kLedRed) && !(last & kLedRed)) on.push_back(e.time_ms);
    last = e.leds;
  }
  return on;
}

class DeviceTest : public ::testing::Test {
 protected:
  // One boot: bootloader (SHA-256 of a new image included) + demo start + self-test + confirm is
  // ~1 s of simulated time.
  static constexpr double kBootMs = 3'000;

  Device& start() {
    device_ = std::make_unique<Device>(layout_);
    device_->power_on();
    return *device_;
  }
  // Runs device_ until `texts` appeared on USART1 (in order) within `budget_ms`, then forgets the
  // output.
  ::testing::AssertionResult reaches(const std::vector<std::string>& texts,
                                     double budget_ms = kBootMs) {
    ::testing::AssertionResult result = ::testing::AssertionSuccess();
    if (!device_->run_until(texts, budget_ms)) {
      result = ::testing::AssertionFailure() << "expected \"" << texts.back() << "\" within "
                                             << budget_ms << " ms; USART1 said:\n"
                                             << device_->output() << "\n"
                                             << device_->recent_events();
    }
    device_->mark();
    return result;
  }
  void expect(const std::vector<std::string>& texts, double budget_ms = kBootMs) {
    EXPECT_TRUE(reaches(texts, budget_ms));
  }

  // Boots into the bootloader's "nothing to run" state (`boot_line`), watches it for 1.3 s in
  // which no application starts, and gives the times the red LED came on.
  std::vector<double> red_blinks_with_nothing_to_run(const std::string& boot_line) {
    Device& d = start();
    expect({boot_line});
    d.run_for_ms(1'300);
    EXPECT_EQ(d.output().find("demo "), std::string::npos);
    return red_on_ms(d);
  }

  FlashLayout layout_;
  std::unique_ptr<Device> device_;
};

}  // namespace fota::boot_test
