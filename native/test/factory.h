// SPDX-License-Identifier: Apache-2.0
// The RAM flash the native tests start from and what the bootloader makes of it at a reset.
#pragma once

#include <gtest/gtest.h>

#include "bootcore/boot.h"
#include "bootcore/meta_log.h"
#include "fake_flash.h"
#include "test_support.h"

namespace fota::native::test {

// Slot A holds a confirmed v1 (the factory state).
inline void factory(bootcore::test::FakeFlash& flash) {
  const bootcore::test::TestImage v1 =
      bootcore::test::make_image(flash_map::Slot::kA, Version{1, 0, 0}, 20'000, 1);
  ASSERT_EQ(bootcore::test::write_image(flash, flash_map::Slot::kA, v1),
            bootcore::FlashStatus::kOk);
  bootcore::MetaLog log(flash);
  ASSERT_EQ(log.load(), bootcore::LogStatus::kOk);
  ASSERT_EQ(bootcore::request_trial(log, flash_map::Slot::kA, v1.header), bootcore::LogStatus::kOk);
  ASSERT_EQ(bootcore::confirm(flash, log, flash_map::Slot::kA),
            bootcore::ConfirmStatus::kConfirmed);
}

// Version 2.0.0 with `payload_size` bytes of payload (from `seed`), linked for slot B: the update.
inline bootcore::test::TestImage v2_for_b(uint32_t payload_size, uint32_t seed) {
  return bootcore::test::make_image(flash_map::Slot::kB, Version{2, 0, 0}, payload_size, seed);
}

// The bootloader's decision on `flash` at the next reset.
inline bootcore::BootOutcome boot(bootcore::test::FakeFlash& flash) {
  bootcore::MetaLog log(flash);
  bootcore::SoftwareCrc32Engine crc;
  return bootcore::run_boot(flash, log, crc);
}

}  // namespace fota::native::test
