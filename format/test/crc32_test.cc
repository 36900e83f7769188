// SPDX-License-Identifier: Apache-2.0
#include "format/crc32.h"

#include <gtest/gtest.h>

#include <string_view>
#include <vector>

namespace fota {
namespace {

std::span<const uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

TEST(Crc32, CheckValue) {
  EXPECT_EQ(crc32(as_bytes("123456789")), Crc32::kCheckValue);
}

TEST(Crc32, HardwareUnitVectorsFromFactsSheet) {
  EXPECT_EQ(stm32_crc_unit_update(0xFFFF'FFFF, 0x1234'5678), 0xDF8A'8A2Bu);
  EXPECT_EQ(stm32_crc_unit_update(0xFFFF'FFFF, 0), 0xC704'DD7Bu);
}

TEST(Crc32, UnitAdapterMatchesTableForEveryTailLength) {
  const std::string_view text = "The quick brown fox jumps over the lazy dog.";
  for (size_t n = 0; n <= text.size(); ++n) {
    auto data = as_bytes(text.substr(0, n));
    const uint32_t via_unit = crc32_with_unit(data, [dr = 0xFFFF'FFFFu](uint32_t w) mutable {
      dr = stm32_crc_unit_update(dr, w);
      return dr;
    });
    EXPECT_EQ(via_unit, crc32(data)) << "length " << n;
  }
}

}  // namespace
}  // namespace fota

namespace fota {
namespace {

TEST(Crc32, KnownValues) {
  EXPECT_EQ(crc32({}), 0u);
  EXPECT_EQ(crc32(as_bytes("a")), 0xE8B7'BE43u);
  EXPECT_EQ(crc32(as_bytes("The quick brown fox jumps over the lazy dog")), 0x414F'A339u);
  const std::vector<uint8_t> zeros(32, 0);
  EXPECT_EQ(crc32(zeros), 0x190A'55ADu);
  const std::vector<uint8_t> ones(32, 0xFF);
  EXPECT_EQ(crc32(ones), 0xFF6C'AB0Bu);
}

TEST(Crc32, StreamingSplitAtEveryOffset) {
  const std::string_view text = "123456789 and some more text to make the split interesting";
  const uint32_t whole = crc32(as_bytes(text));
  for (size_t cut = 0; cut <= text.size(); ++cut) {
    Crc32 c;
    c.update(as_bytes(text.substr(0, cut)));
    c.update(as_bytes(text.substr(cut)));
    EXPECT_EQ(c.value(), whole) << cut;
    // Resuming from the raw register gives the same.
    Crc32 d = Crc32::from_state(c.state());
    EXPECT_EQ(d.value(), whole);
  }
}

TEST(Crc32, Rbit) {
  EXPECT_EQ(rbit32(0x0000'0001u), 0x8000'0000u);
  EXPECT_EQ(rbit32(0x1234'5678u), 0x1E6A'2C48u);
  for (uint32_t v : {0u, 0xFFFF'FFFFu, 0xDEAD'BEEFu}) EXPECT_EQ(rbit32(rbit32(v)), v);
}

TEST(Crc32, UnitAdapterOnLargeData) {
  std::vector<uint8_t> data(4099);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 17 + i / 256);
  const uint32_t via_unit = crc32_with_unit(data, [dr = 0xFFFF'FFFFu](uint32_t w) mutable {
    dr = stm32_crc_unit_update(dr, w);
    return dr;
  });
  EXPECT_EQ(via_unit, crc32(data));
}

}  // namespace
}  // namespace fota
