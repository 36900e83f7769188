// SPDX-License-Identifier: Apache-2.0
// Secure boot with the real `bootloader-secure` and demo binaries on vstm32::Machine: an unsigned
// image, one signed by another key, one with a flipped bit in header or payload, and a validly
// signed older version each never run while the previous firmware keeps running and the boot line
// says why; key rotation and retirement; a device without keys. Images are signed with libsodium
// as `fota pack --sign` does; the key block is what `fota provision` writes to sector 2.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "device_test.h"
#include "signing.h"

namespace fota::boot_test {
namespace {

using bootcore::SlotState;
using flash_map::Slot;

class SecureBoot : public DeviceTest {
 protected:
  void SetUp() override {
    layout_.put_bootloader("bootloader-secure.bin");
    put_key_block(layout_, {&current_});
  }

  // Signed demo-v2 confirmed in A (floor 2.0), then `update` installed in B as the host does.
  void confirmed_v2_then(const std::vector<uint8_t>& update) {
    layout_.put_image(Slot::kA, signed_demo("demo-v2", Slot::kA, current_));
    ASSERT_TRUE(layout_.append_confirmed(Slot::kA));
    layout_.put_image(Slot::kB, update);
    ASSERT_TRUE(layout_.append_trial(Slot::kB));
  }

  // The update in B never runs; A keeps running; the boot line gives `reason`.
  void expect_refused(const std::string& rejected, const std::string& refused) {
    Device& d = start();
    expect({"boot: slot=A version=2.0.0 decision=confirmed reason=reverted-B-" + rejected +
                " refused=B:" + refused + "\n",
            "demo 2.0.0 slot A\n", "confirmed\n"});
    EXPECT_EQ(d.slot_state(Slot::kB), SlotState::kRejected);
    // Red LED on with green (confirmed) while the bootloader hands over: something was refused.
    bool red_with_green = false;
    for (const LedEvent& e : d.led_events()) {
      red_with_green = red_with_green || (e.leds & (kLedRed | kLedGreen)) == (kLedRed | kLedGreen);
    }
    EXPECT_TRUE(red_with_green);
    d.reset_pin();
    // Read the output before reaches() forgets it: A boots, and B is not started later either.
    ASSERT_TRUE(d.run_until(
        {"boot: slot=A version=2.0.0 decision=confirmed reason=confirmed\n", "demo 2.0.0 slot A\n"},
        kBootMs))
        << d.output();
    d.run_for_ms(500);
    EXPECT_EQ(d.output().find("slot B"), std::string::npos) << d.output();
  }

  TestKey current_{0x11};
  TestKey next_{0x22};
  TestKey stranger_{0x33};
};

TEST_F(SecureBoot, SignedUpdateBootsOnTrialAndConfirms) {
  confirmed_v2_then(signed_demo("demo-v3", Slot::kB, current_));
  Device& d = start();
  expect({"boot: slot=B version=3.0.0 decision=trial reason=attempt-1/3\n", "demo 3.0.0 slot B\n",
          "confirmed\n"});
  EXPECT_EQ(d.slot_state(Slot::kB), SlotState::kConfirmed);
  d.reset_pin();
  expect({"boot: slot=B version=3.0.0 decision=confirmed reason=confirmed\n"});
}

TEST_F(SecureBoot, UnsignedImageNeverRuns) {
  confirmed_v2_then(demo_image("demo-v3", Slot::kB));
  expect_refused("untrusted", "unsigned");
}

TEST_F(SecureBoot, ImageSignedByAnotherKeyNeverRuns) {
  confirmed_v2_then(signed_demo("demo-v3", Slot::kB, stranger_));
  expect_refused("untrusted", "unknown-key");
}

TEST_F(SecureBoot, FlippedHeaderBitNeverRuns) {
  std::vector<uint8_t> image = signed_demo("demo-v3", Slot::kB, current_);
  ImageHeader h = header_of(image);
  h.version.build ^= 0x100;  // one bit inside the signed bytes (header CRC repaired)
  put_header(image, h);
  confirmed_v2_then(image);
  expect_refused("untrusted", "bad-signature");
}

TEST_F(SecureBoot, FlippedPayloadBitNeverRuns) {
  std::vector<uint8_t> image = signed_demo("demo-v3", Slot::kB, current_);
  tamper_payload(image);  // CRC-32 and SHA-256 repaired: only the signature catches it
  confirmed_v2_then(image);
  expect_refused("untrusted", "bad-signature");
}

TEST_F(SecureBoot, ValidlySignedOlderVersionNeverRuns) {
  confirmed_v2_then(signed_demo("demo-v1", Slot::kB, current_));
  expect_refused("below-floor", "below-floor");
}

TEST_F(SecureBoot, KeyRotationThenRetirement) {
  // Rotation: provisioned with current + next; an image signed by next boots.
  put_key_block(layout_, {&current_, &next_});
  confirmed_v2_then(signed_demo("demo-v3", Slot::kB, next_));
  Device& d = start();
  expect({"boot: slot=B version=3.0.0 decision=trial reason=attempt-1/3\n", "confirmed\n"});
  d.power_off();
  // Retirement: the key block is rewritten with next alone (docs/security.md); an image signed
  // by the retired key no longer boots, B keeps running.
  layout_.assign(d.flash_copy());
  put_key_block(layout_, {&next_});
  std::vector<uint8_t> old_key = demo_image("demo-v3", Slot::kA);
  ImageHeader h = header_of(old_key);
  h.version.patch = 1;  // 3.0.1: not a downgrade, only the key is wrong
  put_header(old_key, h);
  sign_image(old_key, current_);
  layout_.put_image(Slot::kA, old_key);
  ASSERT_TRUE(layout_.append_trial(Slot::kA));
  Device& d2 = start();
  expect(
      {"boot: slot=B version=3.0.0 decision=confirmed reason=reverted-A-untrusted "
       "refused=A:unknown-key\n",
       "demo 3.0.0 slot B\n"});
  EXPECT_EQ(d2.slot_state(Slot::kA), SlotState::kRejected);
}

TEST_F(SecureBoot, DeviceWithoutKeysRunsNothingNewAndBlinksTheRefusal) {
  (void)layout_.flash().erase_sector(bootcore::kKeyBlockSector);
  layout_.put_image(Slot::kA, signed_demo("demo-v1", Slot::kA, current_));
  // Triple red flash per second (the plain "no image" pattern is a double flash).
  const std::vector<double> red_on = red_blinks_with_nothing_to_run(
      "boot: slot=- version=- decision=none reason=no-valid-image refused=A:no-keys\n");
  ASSERT_GE(red_on.size(), 4u);
  // Flashes at 0, 250, 500 ms, the next group at 1000 ms: gaps 1 : 1 : 2.
  EXPECT_NEAR((red_on[3] - red_on[2]) / (red_on[1] - red_on[0]), 500.0 / 250.0, 0.2);
}

}  // namespace
}  // namespace fota::boot_test
