// SPDX-License-Identifier: Apache-2.0
#include "crypto/ed25519.h"

#include "crypto/sha512.h"
#include "field25519.h"

namespace fota::crypto {

namespace {

using field::Fe;

// Curve constants (little-endian encodings); crypto/test/ed25519_test.cc checks each against its
// definition: d = -121665/121666, sqrt(-1)^2 = -1, B on the curve with y = 4/5 and x even.
constexpr uint8_t kD[32] = {0xa3, 0x78, 0x59, 0x13, 0xca, 0x4d, 0xeb, 0x75, 0xab, 0xd8, 0x41,
                            0x41, 0x4d, 0x0a, 0x70, 0x00, 0x98, 0xe8, 0x79, 0x77, 0x79, 0x40,
                            0xc7, 0x8c, 0x73, 0xfe, 0x6f, 0x2b, 0xee, 0x6c, 0x03, 0x52};
constexpr uint8_t kSqrtM1[32] = {0xb0, 0xa0, 0x0e, 0x4a, 0x27, 0x1b, 0xee, 0xc4, 0x78, 0xe4, 0x2f,
                                 0xad, 0x06, 0x18, 0x43, 0x2f, 0xa7, 0xd7, 0xfb, 0x3d, 0x99, 0x00,
                                 0x4d, 0x2b, 0x0b, 0xdf, 0xc1, 0x4f, 0x80, 0x24, 0x83, 0x2b};
constexpr uint8_t kBaseX[32] = {0x1a, 0xd5, 0x25, 0x8f, 0x60, 0x2d, 0x56, 0xc9, 0xb2, 0xa7, 0x25,
                                0x95, 0x60, 0xc7, 0x2c, 0x69, 0x5c, 0xdc, 0xd6, 0xfd, 0x31, 0xe2,
                                0xa4, 0xc0, 0xfe, 0x53, 0x6e, 0xcd, 0xd3, 0x36, 0x69, 0x21};
constexpr uint8_t kBaseY[32] = {0x58, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
                                0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
                                0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66};
// L = 2^252 + 27742317777372353535851937790883648493, the order of B, as 32-bit words (LE).
constexpr uint32_t kL[8] = {0x5cf5d3ed, 0x5812631a, 0xa2f79cd6, 0x14def9de,
                            0x00000000, 0x00000000, 0x00000000, 0x10000000};

uint32_t load_le32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

// ---- Scalars (mod L): only comparison and reduction are needed to verify. ----

// a >= L for a 256-bit value in words.
bool at_least_l(const uint32_t a[8]) {
  for (int i = 7; i >= 0; --i) {
    if (a[i] != kL[i]) return a[i] > kL[i];
  }
  return true;
}

void subtract_l(uint32_t a[8]) {
  uint64_t borrow = 0;
  for (unsigned i = 0; i < 8; ++i) {
    const uint64_t d = static_cast<uint64_t>(a[i]) - kL[i] - borrow;
    a[i] = static_cast<uint32_t>(d);
    borrow = (d >> 32) & 1;
  }
}

// The 512-bit little-endian `in` mod L, by shift-and-subtract from the top bit: 512 steps, each
// keeping r < L (so 2r + 1 < 2^254 fits). Slow next to Barrett, but a few tens of thousands of
// cycles against millions for the point arithmetic.
void reduce_512(uint32_t out[8], const uint8_t in[64]) {
  uint32_t r[8] = {};
  for (int bit = 511; bit >= 0; --bit) {
    for (unsigned i = 7; i > 0; --i) r[i] = (r[i] << 1) | (r[i - 1] >> 31);
    r[0] = (r[0] << 1) | ((in[bit / 8] >> (bit % 8)) & 1u);
    if (at_least_l(r)) subtract_l(r);
  }
  for (unsigned i = 0; i < 8; ++i) out[i] = r[i];
}

// Width-4 non-adjacent form of a scalar < 2^253: digits in {0, +-1, +-3, +-5, +-7}, at most one
// non-zero digit in any 4 consecutive positions.
constexpr unsigned kNafDigits = 256;
void naf4(int8_t naf[kNafDigits], const uint32_t scalar[8]) {
  uint32_t k[9];
  for (unsigned i = 0; i < 8; ++i) k[i] = scalar[i];
  k[8] = 0;
  for (unsigned pos = 0; pos < kNafDigits; ++pos) {
    int digit = 0;
    if ((k[0] & 1) != 0) {
      digit = static_cast<int>(k[0] & 15);
      if (digit >= 8) digit -= 16;
      if (digit > 0) {
        k[0] -= static_cast<uint32_t>(digit);  // the low bits are the digit: no borrow
      } else {
        uint64_t c = static_cast<uint32_t>(-digit);
        for (unsigned i = 0; i < 9 && c != 0; ++i) {
          c += k[i];
          k[i] = static_cast<uint32_t>(c);
          c >>= 32;
        }
      }
    }
    naf[pos] = static_cast<int8_t>(digit);
    for (unsigned i = 0; i < 8; ++i) k[i] = (k[i] >> 1) | (k[i + 1] << 31);
    k[8] >>= 1;
  }
}

// ---- Points: extended twisted Edwards coordinates, -x^2 + y^2 = 1 + d x^2 y^2. ----

struct Point {
  Fe x, y, z, t;  // x/z, y/z, and t/z = xy/z^2
};

struct Curve {
  Fe d;
  Fe d2;  // 2d
  Fe sqrt_m1;
  Point base;
};

Curve load_curve() {
  Curve c;
  c.d = field::from_bytes(kD);
  c.d2 = field::add(c.d, c.d);
  c.sqrt_m1 = field::from_bytes(kSqrtM1);
  c.base.x = field::from_bytes(kBaseX);
  c.base.y = field::from_bytes(kBaseY);
  c.base.z = field::kOne;
  c.base.t = field::mul(c.base.x, c.base.y);
  return c;
}

Point identity() {
  return Point{field::kZero, field::kOne, field::kOne, field::kZero};
}

Point negate(const Point& p) {
  return Point{field::neg(p.x), p.y, p.z, field::neg(p.t)};
}

// Hisil-Wong-Carter-Dawson addition for a = -1 (9 multiplications); complete on this curve since
// d is not a square, so it also handles doubling and the identity.
Point add(const Point& p, const Point& q, const Curve& c) {
  using namespace field;
  const Fe a = mul(sub(p.y, p.x), sub(q.y, q.x));
  const Fe b = mul(add(p.y, p.x), add(q.y, q.x));
  const Fe cc = mul(mul(p.t, c.d2), q.t);
  const Fe zz = mul(p.z, q.z);
  const Fe d = add(zz, zz);
  const Fe e = sub(b, a);
  const Fe f = sub(d, cc);
  const Fe g = add(d, cc);
  const Fe h = add(b, a);
  return Point{mul(e, f), mul(g, h), mul(f, g), mul(e, h)};
}

// Doubling for a = -1 (4 squarings, 4 multiplications).
Point dbl(const Point& p) {
  using namespace field;
  const Fe a = sq(p.x);
  const Fe b = sq(p.y);
  const Fe zz = sq(p.z);
  const Fe c = add(zz, zz);
  const Fe e = sub(sub(sq(add(p.x, p.y)), a), b);
  const Fe g = sub(b, a);  // -a + b
  const Fe f = sub(g, c);
  const Fe h = neg(add(a, b));  // -a - b
  return Point{mul(e, f), mul(g, h), mul(f, g), mul(e, h)};
}

// RFC 8032 section 5.1.3 point decoding of a canonical encoding (the caller checked y < p).
bool decode(Point& out, const uint8_t in[32], const Curve& c) {
  using namespace field;
  const Fe y = from_bytes(in);
  const bool sign = (in[31] & 0x80) != 0;
  const Fe y2 = sq(y);
  const Fe u = sub(y2, kOne);
  const Fe v = add(mul(c.d, y2), kOne);
  const Fe v3 = mul(sq(v), v);
  const Fe v7 = mul(sq(v3), v);
  Fe x = mul(mul(u, v3), pow_p58(mul(u, v7)));
  const Fe vx2 = mul(v, sq(x));
  if (!equal(vx2, u)) {
    if (!equal(vx2, neg(u))) return false;
    x = mul(x, c.sqrt_m1);
  }
  if (is_zero(x) && sign) return false;
  if (is_negative(x) != sign) x = neg(x);
  out = Point{x, y, kOne, mul(x, y)};
  return true;
}

void encode(uint8_t out[32], const Point& p) {
  using namespace field;
  const Fe zi = invert(p.z);
  const Fe x = mul(p.x, zi);
  const Fe y = mul(p.y, zi);
  to_bytes(out, y);
  if (is_negative(x)) out[31] |= 0x80;
}

// y (bit 255 ignored) >= p: the bytes are 0xed..0xff, 0xff x 30, 0x7f (with the sign bit masked).
bool non_canonical_y(const uint8_t in[32]) {
  if (in[0] < 0xed) return false;
  for (unsigned i = 1; i < 31; ++i) {
    if (in[i] != 0xff) return false;
  }
  return (in[31] & 0x7f) == 0x7f;
}

// Whether the y coordinate encoded in `in` (mod p, sign bit ignored) is that of a point of small
// order. The torsion points have y = 1 (order 1), y = -1 (order 2), y = 0 (order 4), and for order
// 8 the roots of d y^4 + 2 y^2 - 1 = 0 (doubling gives y' = (x^2 + y^2) / (2 + x^2 - y^2), which
// is 0 for the order-4 points; substituting x^2 = (y^2 - 1) / (d y^2 + 1)). A y that solves the
// quartic without being on the curve cannot verify anyway (A fails to decode; R is compared with a
// curve point), so the verdict matches a list of the order-8 encodings.
bool small_order_y(const uint8_t in[32], const Curve& c) {
  using namespace field;
  const Fe y = from_bytes(in);
  if (is_zero(y) || equal(y, kOne) || equal(y, neg(kOne))) return true;
  const Fe y2 = sq(y);
  const Fe quartic = sub(add(mul(c.d, sq(y2)), add(y2, y2)), kOne);
  return is_zero(quartic);
}

// [a]P + [b]Q by interleaved width-4 NAF (odd multiples 1, 3, 5, 7 of each point).
Point double_scalar_mul(const uint32_t a[8], const Point& p, const uint32_t b[8], const Point& q,
                        const Curve& c) {
  int8_t naf_a[kNafDigits];
  int8_t naf_b[kNafDigits];
  naf4(naf_a, a);
  naf4(naf_b, b);
  Point table_p[4];
  Point table_q[4];
  table_p[0] = p;
  table_q[0] = q;
  const Point p2 = dbl(p);
  const Point q2 = dbl(q);
  for (unsigned i = 1; i < 4; ++i) {
    table_p[i] = add(table_p[i - 1], p2, c);
    table_q[i] = add(table_q[i - 1], q2, c);
  }
  int top = static_cast<int>(kNafDigits) - 1;
  while (top >= 0 && naf_a[top] == 0 && naf_b[top] == 0) --top;
  Point r = identity();
  for (int i = top; i >= 0; --i) {
    r = dbl(r);
    if (naf_a[i] > 0) r = add(r, table_p[naf_a[i] / 2], c);
    if (naf_a[i] < 0) r = add(r, negate(table_p[-naf_a[i] / 2]), c);
    if (naf_b[i] > 0) r = add(r, table_q[naf_b[i] / 2], c);
    if (naf_b[i] < 0) r = add(r, negate(table_q[-naf_b[i] / 2]), c);
  }
  return r;
}

}  // namespace

const char* to_string(VerifyStatus status) {
  switch (status) {
    case VerifyStatus::kOk: return "ok";
    case VerifyStatus::kNonCanonicalS: return "signature S is not reduced (S >= L)";
    case VerifyStatus::kSmallOrderR: return "signature R is a small-order point";
    case VerifyStatus::kNonCanonicalKey: return "public key is not canonically encoded";
    case VerifyStatus::kSmallOrderKey: return "public key is a small-order point";
    case VerifyStatus::kInvalidKey: return "public key is not a curve point";
    case VerifyStatus::kBadSignature: return "signature does not match";
  }
  return "unknown verify status";
}

VerifyStatus ed25519_verify(std::span<const uint8_t, kEd25519SignatureSize> signature,
                            std::span<const uint8_t> message,
                            std::span<const uint8_t, kEd25519PublicKeySize> public_key) {
  const uint8_t* r_bytes = signature.data();
  const uint8_t* s_bytes = signature.data() + 32;
  const uint8_t* a_bytes = public_key.data();

  uint32_t s[8];
  for (unsigned i = 0; i < 8; ++i) s[i] = load_le32(s_bytes + 4 * i);
  if (at_least_l(s)) return VerifyStatus::kNonCanonicalS;

  const Curve curve = load_curve();
  if (small_order_y(r_bytes, curve)) return VerifyStatus::kSmallOrderR;
  if (non_canonical_y(a_bytes)) return VerifyStatus::kNonCanonicalKey;
  if (small_order_y(a_bytes, curve)) return VerifyStatus::kSmallOrderKey;
  Point a;
  if (!decode(a, a_bytes, curve)) return VerifyStatus::kInvalidKey;

  // k = SHA-512(R || A || M) mod L.
  Sha512 hash;
  hash.update(std::span<const uint8_t>(r_bytes, 32));
  hash.update(std::span<const uint8_t>(a_bytes, 32));
  hash.update(message);
  const Sha512Digest digest = hash.finish();
  uint32_t k[8];
  reduce_512(k, digest.data());

  // R' = [S]B - [k]A must encode to exactly the bytes of R.
  const Point check = double_scalar_mul(s, curve.base, k, negate(a), curve);
  uint8_t encoded[32];
  encode(encoded, check);
  uint8_t diff = 0;
  for (unsigned i = 0; i < 32; ++i) diff |= static_cast<uint8_t>(encoded[i] ^ r_bytes[i]);
  return diff == 0 ? VerifyStatus::kOk : VerifyStatus::kBadSignature;
}

}  // namespace fota::crypto
