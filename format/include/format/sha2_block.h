// SPDX-License-Identifier: Apache-2.0
// What SHA-256 (format/sha256.h) and SHA-512 (crypto/sha512.h) share (FIPS 180-4): gathering the
// message into blocks of 16 words, the padding, and the end of every round (the working
// variables a..h move down one place; e and a take the new values). W is the word: uint32_t or
// uint64_t. Freestanding, no heap.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace fota::sha2 {

// The working variables v = {a, b, c, d, e, f, g, h} after a round with temporaries t1, t2.
template <typename W>
inline void next_round(W (&v)[8], W t1, W t2) {
  v[7] = v[6];
  v[6] = v[5];
  v[5] = v[4];
  v[4] = v[3] + t1;
  v[3] = v[2];
  v[2] = v[1];
  v[1] = v[0];
  v[0] = t1 + t2;
}

// The end of a block: the working variables are added into the hash state.
// (Written out like next_round, so that the compiler keeps a..h in registers.)
template <typename W>
inline void add_into(W (&state)[8], const W (&v)[8]) {
  state[0] += v[0];
  state[1] += v[1];
  state[2] += v[2];
  state[3] += v[3];
  state[4] += v[4];
  state[5] += v[5];
  state[6] += v[6];
  state[7] += v[7];
}

// The message bytes not yet compressed (less than a block).
template <typename W>
struct Block {
  static constexpr size_t kSize = 16 * sizeof(W);
  uint8_t bytes[kSize];
  size_t used;

  // Takes `data`, calling compress(block) for every full block (straight from `data` when no
  // bytes are waiting).
  template <typename Compress>
  void absorb(std::span<const uint8_t> data, Compress compress) {
    const uint8_t* p = data.data();
    size_t n = data.size();
    if (n == 0) return;  // (an empty span's data() may be null: not for memcpy)
    if (used > 0) {
      const size_t take = n < kSize - used ? n : kSize - used;
      std::memcpy(bytes + used, p, take);
      used += take;
      p += take;
      n -= take;
      if (used < kSize) return;
      compress(bytes);
      used = 0;
    }
    for (; n >= kSize; p += kSize, n -= kSize) compress(p);
    if (n > 0) std::memcpy(bytes, p, n);
    used = n;
  }

  // The padding: 0x80, then zeros up to the message length field (the last 2 words of a block,
  // big-endian), compressing a block on the way when the length does not fit. Returns where the
  // length goes; the caller writes it and compresses `bytes`.
  template <typename Compress>
  uint8_t* pad(Compress compress) {
    constexpr size_t kLengthAt = kSize - 2 * sizeof(W);
    bytes[used++] = 0x80;
    if (used > kLengthAt) {
      std::memset(bytes + used, 0, kSize - used);
      compress(bytes);
      used = 0;
    }
    std::memset(bytes + used, 0, kLengthAt - used);
    used = 0;
    return bytes + kLengthAt;
  }
};

}  // namespace fota::sha2
