// SPDX-License-Identifier: Apache-2.0
// Arithmetic mod 2^255 - 19: algebraic identities on random and edge values, canonical encoding
// at the edges, and the curve constants of ed25519.cc against their definitions.
#include "field25519.h"

#include <gtest/gtest.h>

#include <array>
#include <random>

namespace fota::crypto::field {
namespace {

using Bytes = std::array<uint8_t, 32>;

Bytes enc(const Fe& f) {
  Bytes b;
  to_bytes(b.data(), f);
  return b;
}

Fe dec(const Bytes& b) {
  return from_bytes(b.data());
}

Bytes small(uint32_t v) {
  Bytes b{};
  for (int i = 0; i < 4; ++i) b[i] = static_cast<uint8_t>(v >> (8 * i));
  return b;
}

// p - k for small k, little-endian.
Bytes p_minus(uint8_t k) {
  Bytes b;
  b.fill(0xff);
  b[0] = static_cast<uint8_t>(0xed - k);
  b[31] = 0x7f;
  return b;
}

Fe random_fe(std::mt19937& rng) {
  Bytes b;
  for (auto& x : b) x = static_cast<uint8_t>(rng());
  return dec(b);  // any 255-bit value, also >= p
}

TEST(Field25519, CanonicalEncodingAtTheEdges) {
  EXPECT_EQ(enc(dec(p_minus(1))), p_minus(1));
  Bytes p = p_minus(0);
  EXPECT_EQ(enc(dec(p)), small(0));  // p = 0
  p[0] = 0xee;
  EXPECT_EQ(enc(dec(p)), small(1));  // p + 1 = 1
  Bytes top;
  top.fill(0xff);
  EXPECT_EQ(enc(dec(top)), small(18));  // 2^255 - 1 = p + 18 (bit 255 ignored)
  EXPECT_EQ(enc(neg(kOne)), p_minus(1));
  EXPECT_EQ(enc(neg(kZero)), small(0));
}

TEST(Field25519, SmallProductsAndEdgeProducts) {
  EXPECT_EQ(enc(mul(dec(small(123456)), dec(small(654321)))), [] {
    const uint64_t v = 123456ull * 654321ull;
    Bytes b{};
    for (int i = 0; i < 8; ++i) b[i] = static_cast<uint8_t>(v >> (8 * i));
    return b;
  }());
  EXPECT_EQ(enc(mul(dec(p_minus(1)), dec(p_minus(1)))), small(1));  // (-1)(-1)
  EXPECT_EQ(enc(mul_small(dec(p_minus(1)), 2)), p_minus(2));
  Bytes top;
  top.fill(0xff);
  EXPECT_EQ(enc(sq(dec(top))), small(18 * 18));
}

TEST(Field25519, RingIdentitiesOnRandomValues) {
  std::mt19937 rng(1);
  for (int i = 0; i < 2000; ++i) {
    const Fe a = random_fe(rng);
    const Fe b = random_fe(rng);
    const Fe c = random_fe(rng);
    ASSERT_EQ(enc(mul(mul(a, b), c)), enc(mul(a, mul(b, c))));
    ASSERT_EQ(enc(mul(a, add(b, c))), enc(add(mul(a, b), mul(a, c))));
    ASSERT_EQ(enc(sub(add(a, b), b)), enc(a));
    ASSERT_EQ(enc(add(a, neg(a))), small(0));
    ASSERT_EQ(enc(sq(a)), enc(mul(a, a)));
    // Chains of operations keep limbs within bounds (UBSan and the identities would notice).
    Fe x = a;
    for (int k = 0; k < 8; ++k) x = sub(sub(x, b), add(c, c));
    ASSERT_EQ(enc(add(x, add(mul_small(b, 8), mul_small(c, 16)))), enc(a));
  }
}

TEST(Field25519, InverseAndSquareRootChains) {
  std::mt19937 rng(2);
  for (int i = 0; i < 200; ++i) {
    const Fe a = random_fe(rng);
    if (is_zero(a)) continue;
    ASSERT_EQ(enc(mul(a, invert(a))), small(1));
    // pow_p58(a)^8 * a^5 = a^(p-5+5) = a^p = a... check via a^((p-5)/8 * 8) = a^(p-5) = a^-4.
    Fe t = pow_p58(a);
    t = sq(sq(sq(t)));
    ASSERT_EQ(enc(mul(t, sq(sq(a)))), small(1));
  }
  EXPECT_EQ(enc(invert(kZero)), small(0));
}

// The constants ed25519.cc uses, from their definitions.
TEST(Field25519, CurveConstants) {
  const Bytes d{0xa3, 0x78, 0x59, 0x13, 0xca, 0x4d, 0xeb, 0x75, 0xab, 0xd8, 0x41,
                0x41, 0x4d, 0x0a, 0x70, 0x00, 0x98, 0xe8, 0x79, 0x77, 0x79, 0x40,
                0xc7, 0x8c, 0x73, 0xfe, 0x6f, 0x2b, 0xee, 0x6c, 0x03, 0x52};
  const Bytes sqrt_m1{0xb0, 0xa0, 0x0e, 0x4a, 0x27, 0x1b, 0xee, 0xc4, 0x78, 0xe4, 0x2f,
                      0xad, 0x06, 0x18, 0x43, 0x2f, 0xa7, 0xd7, 0xfb, 0x3d, 0x99, 0x00,
                      0x4d, 0x2b, 0x0b, 0xdf, 0xc1, 0x4f, 0x80, 0x24, 0x83, 0x2b};
  const Bytes bx{0x1a, 0xd5, 0x25, 0x8f, 0x60, 0x2d, 0x56, 0xc9, 0xb2, 0xa7, 0x25,
                 0x95, 0x60, 0xc7, 0x2c, 0x69, 0x5c, 0xdc, 0xd6, 0xfd, 0x31, 0xe2,
                 0xa4, 0xc0, 0xfe, 0x53, 0x6e, 0xcd, 0xd3, 0x36, 0x69, 0x21};
  Bytes by;
  by.fill(0x66);
  by[0] = 0x58;
  // d * 121666 = -121665
  EXPECT_EQ(enc(add(mul_small(dec(d), 121666), dec(small(121665)))), small(0));
  // sqrt(-1)^2 = -1
  EXPECT_EQ(enc(sq(dec(sqrt_m1))), p_minus(1));
  // B: y = 4/5, x even, on -x^2 + y^2 = 1 + d x^2 y^2.
  EXPECT_EQ(enc(mul_small(dec(by), 5)), small(4));
  EXPECT_EQ(enc(dec(bx))[0] & 1, 0);
  const Fe x2 = sq(dec(bx));
  const Fe y2 = sq(dec(by));
  EXPECT_EQ(enc(sub(y2, x2)), enc(add(kOne, mul(dec(d), mul(x2, y2)))));
}

}  // namespace
}  // namespace fota::crypto::field
