// SPDX-License-Identifier: Apache-2.0
// The fixture the native tests on vstm32::Machine share: our bootloader with the demo v1 confirmed
// in slot A (the factory state) and the demo v2 linked for slot B.
#pragma once

#include <gtest/gtest.h>

#include <vector>

#include "device_test.h"
#include "machine_link.h"
#include "native/frame.h"
#include "native/protocol.h"

namespace fota::native_test {

class DemoDeviceTest : public boot_test::DeviceTest {
 protected:
  void SetUp() override {
    layout_.put_bootloader();
    ASSERT_TRUE(layout_.put_confirmed_v1());
    v2_ = boot_test::demo_image("demo-v2", flash_map::Slot::kB);
  }

  // The BEGIN frame (seq 7) a host writes for v2_ into slot B.
  std::vector<uint8_t> begin_v2_frame() const {
    native::Begin b;
    b.slot = 1;
    std::copy(v2_.begin(), v2_.begin() + kImageHeaderSize, b.header.begin());
    uint8_t payload[native::kBeginSize];
    encode(b, payload);
    std::vector<uint8_t> frame(native::kMaxFrameSize);
    frame.resize(native::encode_frame(native::Type::kBegin, 7, payload, frame));
    return frame;
  }

  // The factory device after power-on: demo 1.0.0 runs confirmed from slot A. Returns its flash.
  std::vector<uint8_t> expect_v1_running(boot_test::Device& d) {
    expect({"demo 1.0.0 slot A\n", "confirmed\n"});
    return d.flash_copy();
  }

  // After an install into slot B: 2.0.0 boots on trial and confirms itself, and nothing but slot B
  // and the log changed since `before` (bootloader, sector 3 untouched by a short log, the
  // application's data sector and slot A). Returns the flash then.
  std::vector<uint8_t> expect_v2_confirmed(boot_test::Device& d,
                                           const std::vector<uint8_t>& before) {
    d.mark();
    expect({"boot: slot=B version=2.0.0 decision=trial reason=attempt-1/3\n", "demo 2.0.0 slot B\n",
            "confirmed\n"});
    auto after = d.flash_copy();
    EXPECT_EQ(flash_region(before, 0x0800'0000, 0x0800'C000),
              flash_region(after, 0x0800'0000, 0x0800'C000));
    EXPECT_EQ(flash_region(before, 0x0801'0000, 0x0808'0000),
              flash_region(after, 0x0801'0000, 0x0808'0000));
    return after;
  }

  std::vector<uint8_t> v2_;
};

}  // namespace fota::native_test
