// SPDX-License-Identifier: Apache-2.0
#include "field25519.h"

namespace fota::crypto::field {

namespace {

constexpr unsigned width(unsigned i) {
  return (i & 1) != 0 ? 25 : 26;
}
constexpr uint32_t mask(unsigned i) {
  return (uint32_t{1} << width(i)) - 1;
}

// Carries every limb into the next; the carry out of limb 9 (weight 2^255) re-enters limb 0 times
// 19 because 2^255 = 19 (mod p). Output tight. For 32-bit limbs (add, sub) the input limbs are
// < 2^32 / 19; for mul's 64-bit accumulators the carry out of limb 9 is < 2^37.
template <typename Limb>
void carry(Limb h[10]) {
  for (unsigned i = 0; i < 10; ++i) {
    const Limb c = h[i] >> width(i);
    h[i] &= mask(i);
    if (i < 9) {
      h[i + 1] += c;
    } else {
      h[0] += 19 * c;
    }
  }
  const Limb c = h[0] >> 26;
  h[0] &= mask(0);
  h[1] += c;
}

// Limbs of 4p: added before a subtraction so that no limb goes below zero (tight g < 4p limb-wise).
constexpr uint32_t kFourP[10] = {
    4 * ((uint32_t{1} << 26) - 19), 4 * ((uint32_t{1} << 25) - 1), 4 * ((uint32_t{1} << 26) - 1),
    4 * ((uint32_t{1} << 25) - 1),  4 * ((uint32_t{1} << 26) - 1), 4 * ((uint32_t{1} << 25) - 1),
    4 * ((uint32_t{1} << 26) - 1),  4 * ((uint32_t{1} << 25) - 1), 4 * ((uint32_t{1} << 26) - 1),
    4 * ((uint32_t{1} << 25) - 1),
};

// x^(2^n) by n squarings.
Fe sq_times(Fe x, unsigned n) {
  for (unsigned i = 0; i < n; ++i) x = sq(x);
  return x;
}

// Shared addition chain of invert() and pow_p58(): returns z^(2^250 - 1) and z^11.
void pow_2_250_1(const Fe& z, Fe& z_250_1, Fe& z11) {
  const Fe z2 = sq(z);                                // 2
  const Fe z9 = mul(sq_times(z2, 2), z);              // 9
  z11 = mul(z9, z2);                                  // 11
  const Fe z_5 = mul(sq(z11), z9);                    // 2^5 - 1
  const Fe z_10 = mul(sq_times(z_5, 5), z_5);         // 2^10 - 1
  const Fe z_20 = mul(sq_times(z_10, 10), z_10);      // 2^20 - 1
  const Fe z_40 = mul(sq_times(z_20, 20), z_20);      // 2^40 - 1
  const Fe z_50 = mul(sq_times(z_40, 10), z_10);      // 2^50 - 1
  const Fe z_100 = mul(sq_times(z_50, 50), z_50);     // 2^100 - 1
  const Fe z_200 = mul(sq_times(z_100, 100), z_100);  // 2^200 - 1
  z_250_1 = mul(sq_times(z_200, 50), z_50);           // 2^250 - 1
}

}  // namespace

Fe from_bytes(const uint8_t in[32]) {
  Fe h;
  uint64_t acc = 0;
  unsigned bits = 0;
  unsigned next = 0;
  for (unsigned i = 0; i < 10; ++i) {
    while (bits < width(i)) {
      const uint8_t byte = next == 31 ? static_cast<uint8_t>(in[31] & 0x7f) : in[next];
      acc |= static_cast<uint64_t>(byte) << bits;
      ++next;
      bits += 8;
    }
    h.v[i] = static_cast<uint32_t>(acc) & mask(i);
    acc >>= width(i);
    bits -= width(i);
  }
  return h;
}

void to_bytes(uint8_t out[32], const Fe& f) {
  uint32_t h[10];
  for (unsigned i = 0; i < 10; ++i) h[i] = f.v[i];
  carry(h);
  // Now 0 <= h < 2p. q = 1 exactly when h >= p, i.e. when h + 19 reaches 2^255.
  uint32_t q = (h[0] + 19) >> 26;
  for (unsigned i = 1; i < 10; ++i) q = (h[i] + q) >> width(i);
  h[0] += 19 * q;  // h - q*p = h + 19q - q*2^255: the 2^255 carry is dropped below
  for (unsigned i = 0; i < 9; ++i) {
    h[i + 1] += h[i] >> width(i);
    h[i] &= mask(i);
  }
  h[9] &= mask(9);

  uint64_t acc = 0;
  unsigned bits = 0;
  unsigned next = 0;
  for (unsigned i = 0; i < 10; ++i) {
    acc |= static_cast<uint64_t>(h[i]) << bits;
    bits += width(i);
    while (bits >= 8) {
      out[next++] = static_cast<uint8_t>(acc);
      acc >>= 8;
      bits -= 8;
    }
  }
  out[31] = static_cast<uint8_t>(acc);  // the last 7 bits
}

Fe add(const Fe& f, const Fe& g) {
  Fe h;
  for (unsigned i = 0; i < 10; ++i) h.v[i] = f.v[i] + g.v[i];
  carry(h.v);
  return h;
}

Fe sub(const Fe& f, const Fe& g) {
  Fe h;
  for (unsigned i = 0; i < 10; ++i) h.v[i] = f.v[i] + kFourP[i] - g.v[i];
  carry(h.v);
  return h;
}

Fe neg(const Fe& f) {
  return sub(kZero, f);
}

Fe mul(const Fe& f, const Fe& g) {
  // Limb i times limb j lands at weight 2^(off(i) + off(j)), which is 2^off(i+j) -- or twice that
  // when both i and j are odd (25.5-bit radix) -- and wraps to limb i+j-10 times 19 past limb 9.
  // Bounds: f_i <= 2^27.1 (doubled), 19 g_j < 2^30.4, so each product < 2^57.5 and the ten
  // products per accumulator < 2^61.
  uint32_t g19[10];
  for (unsigned j = 0; j < 10; ++j) g19[j] = 19 * g.v[j];
  uint64_t t[10] = {};
  for (unsigned i = 0; i < 10; ++i) {
    const uint64_t fi = f.v[i];
    const uint64_t fi_odd = (i & 1) != 0 ? 2 * fi : fi;  // for odd j
    for (unsigned j = 0; j < 10; ++j) {
      const uint64_t a = (j & 1) != 0 ? fi_odd : fi;
      if (i + j < 10) {
        t[i + j] += a * g.v[j];
      } else {
        t[i + j - 10] += a * g19[j];
      }
    }
  }
  carry(t);
  Fe h;
  for (unsigned i = 0; i < 10; ++i) h.v[i] = static_cast<uint32_t>(t[i]);
  return h;
}

Fe sq(const Fe& f) {
  return mul(f, f);
}

Fe mul_small(const Fe& f, uint32_t k) {
  Fe g = kZero;
  g.v[0] = k;  // one tight limb
  return mul(f, g);
}

Fe invert(const Fe& f) {
  Fe z_250_1, z11;
  pow_2_250_1(f, z_250_1, z11);
  return mul(sq_times(z_250_1, 5), z11);  // 2^255 - 32 + 11 = p - 2
}

Fe pow_p58(const Fe& f) {
  Fe z_250_1, z11;
  pow_2_250_1(f, z_250_1, z11);
  return mul(sq_times(z_250_1, 2), f);  // 2^252 - 4 + 1 = (p - 5) / 8
}

bool is_zero(const Fe& f) {
  uint8_t b[32];
  to_bytes(b, f);
  uint8_t any = 0;
  for (unsigned i = 0; i < 32; ++i) any |= b[i];
  return any == 0;
}

bool is_negative(const Fe& f) {
  uint8_t b[32];
  to_bytes(b, f);
  return (b[0] & 1) != 0;
}

bool equal(const Fe& f, const Fe& g) {
  return is_zero(sub(f, g));
}

}  // namespace fota::crypto::field
