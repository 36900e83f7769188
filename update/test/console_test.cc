// SPDX-License-Identifier: Apache-2.0
#include "update/console.h"

#include <gtest/gtest.h>

#include "update/signature.h"
#include "update/target.h"

namespace fota::update {
namespace {

using flash_map::Slot;

TEST(ConsoleLine, ReadsTheBootloaderLine) {
  EXPECT_EQ(parse_console_line("boot: slot=B version=2.0.0 decision=trial reason=attempt-1/3",
                               Slot::kB, false),
            Observation::kBooted);
  EXPECT_EQ(parse_console_line("boot: slot=B version=2.0.0 decision=confirmed reason=confirmed",
                               Slot::kB, false),
            Observation::kConfirmed);
  EXPECT_EQ(
      parse_console_line(
          "boot: slot=A version=1.0.0 decision=confirmed reason=reverted-B-attempts-exhausted",
          Slot::kB, true),
      Observation::kReverted);
  EXPECT_EQ(parse_console_line("boot: slot=A version=1.0.0 decision=confirmed "
                               "reason=B-image-invalid",
                               Slot::kB, false),
            Observation::kImageInvalid);
  EXPECT_EQ(parse_console_line("boot: slot=- version=- decision=none reason=no-valid-image",
                               Slot::kB, false),
            Observation::kNothing);
  EXPECT_EQ(parse_console_line("boot: slot=", Slot::kB, false), Observation::kNothing);
  EXPECT_EQ(parse_console_line("boot: slot=B version=2.0.0", Slot::kB, false),
            Observation::kNothing);
}

TEST(ConsoleLine, ConfirmedCountsOnlyAfterTheNewSlotBooted) {
  EXPECT_EQ(parse_console_line("confirmed", Slot::kB, false), Observation::kNothing);
  EXPECT_EQ(parse_console_line("confirmed", Slot::kB, true), Observation::kConfirmed);
  EXPECT_EQ(parse_console_line("demo 2.0.0 slot B", Slot::kB, true), Observation::kNothing);
}

TEST(KeyId, IsTheFirstBytesOfTheKeysSha256) {
  std::array<uint8_t, kPublicKeySize> key{};
  // SHA-256 of 32 zero bytes starts 66 68 7a ad f8 62 bd 77.
  const auto id = key_id_of(key);
  const std::array<uint8_t, kKeyIdSize> expected = {0x66, 0x68, 0x7a, 0xad, 0xf8, 0x62, 0xbd, 0x77};
  EXPECT_EQ(id, expected);
}

}  // namespace
}  // namespace fota::update

// The UID as status topics, state files and messages print it (the one formatter they share).
TEST(UidText, TwentyFourUpperCaseHexDigits) {
  const std::array<uint8_t, 12> uid = {0x31, 0x00, 0x2B, 0x00, 0x0C, 0x51,
                                       0x33, 0x30, 0x37, 0x38, 0x35, 0xF9};
  EXPECT_STREQ(fota::update::uid_text(uid).data(), "31002B000C513330373835F9");
}
