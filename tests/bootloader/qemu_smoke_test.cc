// SPDX-License-Identifier: Apache-2.0
// The real bootloader and demo binaries on QEMU's netduinoplus2 (an independent model of the same
// core and flash map). QEMU has no flash controller (flash is ROM), no RCC, CRC unit or IWDG: the
// binaries must not hang on any of them, must fall back to HSI and the software CRC, and report a
// log write they could not do. Each case boots a different flash picture.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "flash_layout.h"
#include "qemu_launcher.h"

namespace fota::boot_test {
namespace {

using flash_map::Slot;
using test_support::QemuRun;

class QemuSmoke : public ::testing::Test {
 protected:
  void SetUp() override {
    layout_.put_bootloader();
    file_ = std::filesystem::temp_directory_path() /
            ("fota-qemu-" + std::to_string(getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".bin");
  }
  void TearDown() override { std::filesystem::remove(file_); }

  // settle_ms: how long QEMU runs on after `expected`, for a test that checks what never follows.
  QemuRun boot(const std::vector<std::string>& expected, int settle_ms = 0) {
    EXPECT_TRUE(layout_.save(file_));
    QemuRun run = test_support::run_qemu(FOTA_QEMU_SYSTEM_ARM, file_, expected, 20'000, settle_ms);
    EXPECT_TRUE(run.started) << "could not start " << FOTA_QEMU_SYSTEM_ARM;
    return run;
  }

  FlashLayout layout_;
  std::filesystem::path file_;
};

TEST_F(QemuSmoke, ConfirmedV1InSlotABootsAndStaysConfirmed) {
  ASSERT_TRUE(layout_.put_confirmed_v1());
  const QemuRun run =
      boot({"boot: slot=A version=1.0.0 decision=confirmed reason=confirmed\n",
            "demo 1.0.0 slot A\n", "info: state=confirmed", "self-test ok\n", "confirmed\n"});
  EXPECT_TRUE(run.complete) << run.output;
}

TEST_F(QemuSmoke, TrialOfV2InSlotBStartsEvenThoughTheLogIsReadOnly) {
  ASSERT_TRUE(layout_.put_trial_b_over_v1("demo-v2"));
  // SHA-256 + CRC in software at 16 MHz, then the attempt record cannot be written (ROM).
  const QemuRun run =
      boot({"boot: slot=B version=2.0.0 decision=trial reason=attempt-1/3,log-write-failed\n",
            "demo 2.0.0 slot B\n", "self-test ok\n", "confirm failed: metadata log error\n"});
  EXPECT_TRUE(run.complete) << run.output;
}

TEST_F(QemuSmoke, CorruptedTrialImageIsNeverStartedAndAKeepsRunning) {
  ASSERT_TRUE(layout_.put_trial_b_over_v1("demo-v2"));
  layout_.corrupt_payload(Slot::kB);
  const QemuRun run =
      boot({"boot: slot=A version=1.0.0 decision=confirmed", "demo 1.0.0 slot A\n"}, 500);
  EXPECT_TRUE(run.complete) << run.output;
  EXPECT_EQ(run.output.find("slot B"), std::string::npos) << run.output;
}

TEST_F(QemuSmoke, EmptyLogBootsTheHighestValidVersionOnTrial) {
  layout_.put_demo(Slot::kA, "demo-v1");
  layout_.put_demo(Slot::kB, "demo-v3");
  const QemuRun run =
      boot({"boot: slot=B version=3.0.0 decision=trial reason=log-empty", "demo 3.0.0 slot B\n"});
  EXPECT_TRUE(run.complete) << run.output;
}

TEST_F(QemuSmoke, NoImageStaysInTheBootloader) {
  const QemuRun run = boot({"boot: slot=- version=- decision=none reason=no-valid-image\n"}, 500);
  EXPECT_TRUE(run.complete) << run.output;
  EXPECT_EQ(run.output.find("demo "), std::string::npos) << run.output;
}

}  // namespace
}  // namespace fota::boot_test
