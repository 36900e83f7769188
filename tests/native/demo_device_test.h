// SPDX-License-Identifier: Apache-2.0
// The fixture the native tests on vstm32::Machine share: our bootloader with the demo v1 confirmed
// in slot A (the factory state) and the demo v2 linked for slot B.
#pragma once

#include <gtest/gtest.h>

#include <vector>

#include "device_test.h"

namespace fota::native_test {

class DemoDeviceTest : public boot_test::DeviceTest {
 protected:
  void SetUp() override {
    layout_.put_bootloader();
    ASSERT_TRUE(layout_.put_confirmed_v1());
    v2_ = boot_test::demo_image("demo-v2", flash_map::Slot::kB);
  }

  std::vector<uint8_t> v2_;
};

}  // namespace fota::native_test
