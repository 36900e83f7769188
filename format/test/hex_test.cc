// SPDX-License-Identifier: Apache-2.0
#include "format/hex.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <cstdio>

namespace fota {
namespace {

TEST(Hex, BytesAreTwoLowercaseDigitsEach) {
  const std::array<uint8_t, 4> bytes = {0x00, 0x0f, 0xa5, 0xff};
  EXPECT_EQ(to_hex(bytes), "000fa5ff");
  EXPECT_EQ(to_hex({}), "");
}

TEST(Hex, AddressesAreTenCharactersAsPrintfWritesThem) {
  for (const uint32_t value : {0u, 0x0802'0200u, 0x1FFF'7A10u, 0xDEAD'BEEFu, 0xFFFF'FFFFu, 1u}) {
    char expected[16];
    std::snprintf(expected, sizeof expected, "0x%08X", value);
    EXPECT_EQ(hex32(value), expected);
  }
}

}  // namespace
}  // namespace fota
