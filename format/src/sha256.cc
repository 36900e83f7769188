// SPDX-License-Identifier: Apache-2.0
#include "format/sha256.h"

#include <cstring>

#include "format/sha2_block.h"

namespace fota {
namespace {

constexpr uint32_t kRoundConstants[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

constexpr uint32_t rotr(uint32_t x, unsigned n) {
  return (x >> n) | (x << (32 - n));
}

}  // namespace

void Sha256::reset() {
  static constexpr uint32_t kInitial[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                           0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  std::memcpy(h_, kInitial, sizeof(h_));
  length_bytes_ = 0;
  block_.used = 0;
}

bool Sha256::midstate(Sha256Midstate& out) const {
  if (block_.used != 0) return false;
  for (size_t i = 0; i < 8; ++i) out.h[i] = h_[i];
  out.length_bytes = length_bytes_;
  return true;
}

Sha256 Sha256::from_midstate(const Sha256Midstate& state) {
  Sha256 s;
  for (size_t i = 0; i < 8; ++i) s.h_[i] = state.h[i];
  s.length_bytes_ = state.length_bytes;
  return s;
}

namespace {

// One round, the working variables passed in the roles they have in it (the caller rotates the
// names instead of moving eight values each round, so a..h stay in registers also at -Os, the
// bootloader's setting): d takes e's new value, h takes a's. `kw` = K[t] + W[t].
[[gnu::always_inline]] inline void sha256_round(uint32_t a, uint32_t b, uint32_t c, uint32_t& d,
                                                uint32_t e, uint32_t f, uint32_t g, uint32_t& h,
                                                uint32_t kw) {
  const uint32_t t1 = h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + kw;
  const uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
  d += t1;
  h = t1 + t2;
}

}  // namespace

void Sha256::compress(const uint8_t* block) {
  uint32_t w[64];  // the message schedule (FIPS 180-4 6.2.2 step 1), whole
  for (int i = 0; i < 16; ++i) {
    w[i] = static_cast<uint32_t>(block[4 * i]) << 24 |
           static_cast<uint32_t>(block[4 * i + 1]) << 16 |
           static_cast<uint32_t>(block[4 * i + 2]) << 8 | static_cast<uint32_t>(block[4 * i + 3]);
  }
  for (int i = 16; i < 64; ++i) {
    const uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
    const uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint32_t a = h_[0], b = h_[1], c = h_[2], d = h_[3], e = h_[4], f = h_[5], g = h_[6], h = h_[7];
  for (int i = 0; i < 64; i += 8) {
    const uint32_t* k = kRoundConstants + i;
    const uint32_t* x = w + i;
    sha256_round(a, b, c, d, e, f, g, h, k[0] + x[0]);
    sha256_round(h, a, b, c, d, e, f, g, k[1] + x[1]);
    sha256_round(g, h, a, b, c, d, e, f, k[2] + x[2]);
    sha256_round(f, g, h, a, b, c, d, e, k[3] + x[3]);
    sha256_round(e, f, g, h, a, b, c, d, k[4] + x[4]);
    sha256_round(d, e, f, g, h, a, b, c, k[5] + x[5]);
    sha256_round(c, d, e, f, g, h, a, b, k[6] + x[6]);
    sha256_round(b, c, d, e, f, g, h, a, k[7] + x[7]);
  }
  h_[0] += a;
  h_[1] += b;
  h_[2] += c;
  h_[3] += d;
  h_[4] += e;
  h_[5] += f;
  h_[6] += g;
  h_[7] += h;
}

void Sha256::update(std::span<const uint8_t> data) {
  length_bytes_ += data.size();
  block_.absorb(data, [this](const uint8_t* block) { compress(block); });
}

Sha256Digest Sha256::finish() {
  const uint64_t bit_length = length_bytes_ * 8;
  uint8_t* length = block_.pad([this](const uint8_t* block) { compress(block); });
  for (int i = 0; i < 8; ++i) length[i] = static_cast<uint8_t>(bit_length >> (56 - 8 * i));
  compress(block_.bytes);
  Sha256Digest out;
  for (int i = 0; i < 8; ++i) {
    out[4 * i] = static_cast<uint8_t>(h_[i] >> 24);
    out[4 * i + 1] = static_cast<uint8_t>(h_[i] >> 16);
    out[4 * i + 2] = static_cast<uint8_t>(h_[i] >> 8);
    out[4 * i + 3] = static_cast<uint8_t>(h_[i]);
  }
  return out;
}

Sha256Digest sha256(std::span<const uint8_t> data) {
  Sha256 s;
  s.update(data);
  return s.finish();
}

}  // namespace fota
