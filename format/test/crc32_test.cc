#include "format/crc32.h"

#include <gtest/gtest.h>

#include <string_view>

namespace fota {
namespace {

std::span<const uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

TEST(Crc32, CheckValue) { EXPECT_EQ(crc32(as_bytes("123456789")), Crc32::kCheckValue); }

TEST(Crc32, HardwareUnitVectorsFromFactsSheet) {
  EXPECT_EQ(stm32_crc_unit_update(0xFFFF'FFFF, 0x1234'5678), 0xDF8A'8A2Bu);
  EXPECT_EQ(stm32_crc_unit_update(0xFFFF'FFFF, 0), 0xC704'DD7Bu);
}

TEST(Crc32, UnitAdapterMatchesTableForEveryTailLength) {
  const std::string_view text = "The quick brown fox jumps over the lazy dog.";
  for (size_t n = 0; n <= text.size(); ++n) {
    auto data = as_bytes(text.substr(0, n));
    const uint32_t via_unit =
        crc32_with_unit(data, [dr = 0xFFFF'FFFFu](uint32_t w) mutable {
          dr = stm32_crc_unit_update(dr, w);
          return dr;
        });
    EXPECT_EQ(via_unit, crc32(data)) << "length " << n;
  }
}

}  // namespace
}  // namespace fota
