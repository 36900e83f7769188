// SPDX-License-Identifier: Apache-2.0
// Arithmetic modulo p = 2^255 - 19 (internal to the crypto module; the tests use it too).
//
// An element is ten unsigned limbs in radix 2^25.5: limb i holds bits [ceil(25.5 i), ceil(25.5
// (i+1))), i.e. 26 bits for even i and 25 bits for odd i. Every operation returns "tight" limbs
// (at most 2^26 + 2^16), so products of two tight elements fit the 64-bit accumulators with a wide
// margin (see mul()). Values need not be fully reduced; to_bytes() gives the canonical encoding.
#pragma once

#include <cstdint>

namespace fota::crypto::field {

struct Fe {
  uint32_t v[10];
};

inline constexpr Fe kZero{{0, 0, 0, 0, 0, 0, 0, 0, 0, 0}};
inline constexpr Fe kOne{{1, 0, 0, 0, 0, 0, 0, 0, 0, 0}};

// Loads 255 bits (bit 255, the sign bit of point encodings, is ignored). The value may be >= p.
Fe from_bytes(const uint8_t in[32]);
// The canonical little-endian encoding (value mod p, < p).
void to_bytes(uint8_t out[32], const Fe& f);

Fe add(const Fe& f, const Fe& g);
Fe sub(const Fe& f, const Fe& g);
Fe neg(const Fe& f);
Fe mul(const Fe& f, const Fe& g);
Fe sq(const Fe& f);
Fe mul_small(const Fe& f, uint32_t k);  // k < 2^26
// f^(p-2) = 1/f (0 for 0).
Fe invert(const Fe& f);
// f^((p-5)/8), the core of the square root (RFC 8032 section 5.1.3).
Fe pow_p58(const Fe& f);

bool is_zero(const Fe& f);
// The low bit of the canonical encoding ("negative" in RFC 8032).
bool is_negative(const Fe& f);
bool equal(const Fe& f, const Fe& g);

}  // namespace fota::crypto::field
