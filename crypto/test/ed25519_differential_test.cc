// SPDX-License-Identifier: Apache-2.0
// Differential test: our ed25519_verify against libsodium's crypto_sign_verify_detached on random
// (key, message, signature) triples, valid and mutated. The two verdicts (accept / refuse) must be
// equal in every case. FOTA_ED25519_DIFF_CASES sets the number of cases (default 6,500; the long
// run in docs/security.md uses 200,000); FOTA_ED25519_DIFF_SEED the seed (default 1).
#include <gtest/gtest.h>
#include <sodium.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "crypto/ed25519.h"
#include "test_hex.h"

namespace fota::crypto {
namespace {

using testing::unhex;
using Key = std::array<uint8_t, 32>;
using Sig = std::array<uint8_t, 64>;

// Points of order 1, 2, 4, 8 (see ed25519_test.cc, which checks the list), plus the non-canonical
// encodings p and p + 1 of y = 0 and y = 1.
const char* const kSmallOrder[] = {
    "0100000000000000000000000000000000000000000000000000000000000000",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000080",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
};
constexpr unsigned kTorsionCount = 8;  // the first 8 entries are canonical curve points

enum Mutation : unsigned {
  kValid,
  kFlipMessage,
  kFlipSignature,
  kFlipKey,
  kSPlusL,
  kRandomS,
  kSmallOrderR,
  kSmallOrderKey,
  kNonCanonicalKey,
  kNonCanonicalR,
  kMixedOrderKey,  // A + torsion, signed for that key with the real secret scalar
  kMixedOrderR,    // R + torsion
  kRandomKey,
  kMutationCount,
};

const char* const kMutationNames[kMutationCount] = {
    "valid",         "flip-message",  "flip-signature", "flip-key",        "S+L",
    "random-S",      "small-order-R", "small-order-A",  "non-canonical-A", "non-canonical-R",
    "mixed-order-A", "mixed-order-R", "random-A"};

struct Counts {
  unsigned cases = 0;
  unsigned accepted = 0;
};

unsigned long env_or(const char* name, unsigned long fallback) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::strtoul(v, nullptr, 10) : fallback;
}

// y = p + k (k < 19), with a random sign bit.
Key non_canonical(uint8_t k, bool sign) {
  Key b;
  b.fill(0xff);
  b[0] = static_cast<uint8_t>(0xed + k);
  b[31] = sign ? 0xff : 0x7f;
  return b;
}

void add_l(uint8_t s[32]) {
  static const auto l = unhex("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
  unsigned carry = 0;
  for (size_t i = 0; i < 32; ++i) {
    const unsigned sum = s[i] + l[i] + carry;
    s[i] = static_cast<uint8_t>(sum);
    carry = sum >> 8;
  }
}

// Signs `msg` for public key `a_bytes` whose secret scalar is `a` (mod L), as RFC 8032 does but
// with a random nonce: S = r + H(R || A || M) a.
Sig sign_with_scalar(const uint8_t a[32], const Key& a_bytes, const std::vector<uint8_t>& msg) {
  uint8_t wide[64];
  randombytes_buf(wide, sizeof wide);
  uint8_t r[32];
  crypto_core_ed25519_scalar_reduce(r, wide);
  Sig sig;
  if (crypto_scalarmult_ed25519_base_noclamp(sig.data(), r) != 0) return sig;
  crypto_hash_sha512_state st;
  crypto_hash_sha512_init(&st);
  crypto_hash_sha512_update(&st, sig.data(), 32);
  crypto_hash_sha512_update(&st, a_bytes.data(), 32);
  crypto_hash_sha512_update(&st, msg.data(), msg.size());
  crypto_hash_sha512_final(&st, wide);
  uint8_t k[32];
  crypto_core_ed25519_scalar_reduce(k, wide);
  uint8_t ka[32];
  crypto_core_ed25519_scalar_mul(ka, k, a);
  crypto_core_ed25519_scalar_add(sig.data() + 32, r, ka);
  return sig;
}

TEST(Ed25519Differential, SameVerdictAsLibsodium) {
  ASSERT_GE(sodium_init(), 0);
  const unsigned long cases = env_or("FOTA_ED25519_DIFF_CASES", 6'500);
  const unsigned long seed = env_or("FOTA_ED25519_DIFF_SEED", 1);
  std::mt19937_64 rng(seed);
  Counts counts[kMutationCount];
  unsigned long mismatches = 0;

  for (unsigned long n = 0; n < cases; ++n) {
    // Key from a seed drawn from our RNG, so a run is reproducible from FOTA_ED25519_DIFF_SEED
    // (except kMixedOrder*, whose nonces come from libsodium's RNG).
    uint8_t key_seed[32];
    for (auto& b : key_seed) b = static_cast<uint8_t>(rng());
    Key pk;
    uint8_t sk[64];
    crypto_sign_seed_keypair(pk.data(), sk, key_seed);
    std::vector<uint8_t> msg(rng() % 300);
    for (auto& b : msg) b = static_cast<uint8_t>(rng());
    Sig sig;
    crypto_sign_detached(sig.data(), nullptr, msg.data(), msg.size(), sk);

    const auto mutation = static_cast<Mutation>(n % kMutationCount);
    switch (mutation) {
      case kValid: break;
      case kFlipMessage:
        if (msg.empty()) msg.push_back(0);
        msg[rng() % msg.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
        break;
      case kFlipSignature: {
        const unsigned bit = static_cast<unsigned>(rng() % 512);
        sig[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
        break;
      }
      case kFlipKey: {
        const unsigned bit = static_cast<unsigned>(rng() % 256);
        pk[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
        break;
      }
      case kSPlusL: add_l(sig.data() + 32); break;
      case kRandomS:
        for (int i = 32; i < 64; ++i) sig[i] = static_cast<uint8_t>(rng());
        if (rng() % 2) sig[63] &= 0x1f;  // half of them below 2^253, around L
        break;
      case kSmallOrderR: {
        const auto t = unhex(kSmallOrder[rng() % std::size(kSmallOrder)]);
        std::copy(t.begin(), t.end(), sig.begin());
        if (rng() % 2) sig[31] ^= 0x80;
        break;
      }
      case kSmallOrderKey: {
        const auto t = unhex(kSmallOrder[rng() % std::size(kSmallOrder)]);
        std::copy(t.begin(), t.end(), pk.begin());
        if (rng() % 2) pk[31] ^= 0x80;
        break;
      }
      case kNonCanonicalKey: pk = non_canonical(rng() % 19, rng() % 2); break;
      case kNonCanonicalR: {
        const Key r = non_canonical(rng() % 19, rng() % 2);
        std::copy(r.begin(), r.end(), sig.begin());
        break;
      }
      case kMixedOrderKey: {
        // a = clamped SHA-512(seed)[0..32], A' = aB + T, signed with a for A'.
        uint8_t h[64];
        crypto_hash_sha512(h, key_seed, 32);
        h[0] &= 248;
        h[31] &= 127;
        h[31] |= 64;
        uint8_t wide[64] = {};
        std::copy(h, h + 32, wide);
        uint8_t a[32];
        crypto_core_ed25519_scalar_reduce(a, wide);
        const auto t = unhex(kSmallOrder[1 + rng() % (kTorsionCount - 1)]);
        Key mixed;
        if (crypto_core_ed25519_add(mixed.data(), pk.data(), t.data()) != 0) {
          ADD_FAILURE() << "libsodium refused to add a torsion point";
          break;
        }
        pk = mixed;
        sig = sign_with_scalar(a, pk, msg);
        break;
      }
      case kMixedOrderR: {
        const auto t = unhex(kSmallOrder[1 + rng() % (kTorsionCount - 1)]);
        Key r;
        if (crypto_core_ed25519_add(r.data(), sig.data(), t.data()) != 0) {
          ADD_FAILURE() << "libsodium refused to add a torsion point";
          break;
        }
        std::copy(r.begin(), r.end(), sig.begin());
        break;
      }
      case kRandomKey:
        for (auto& b : pk) b = static_cast<uint8_t>(rng());
        break;
      case kMutationCount: break;
    }

    const bool theirs =
        crypto_sign_verify_detached(sig.data(), msg.data(), msg.size(), pk.data()) == 0;
    const VerifyStatus ours = ed25519_verify(sig, msg, pk);
    counts[mutation].cases++;
    if (theirs) counts[mutation].accepted++;
    if (theirs != (ours == VerifyStatus::kOk)) {
      ++mismatches;
      if (mismatches <= 10) {
        ADD_FAILURE() << "case " << n << " (" << kMutationNames[mutation] << "): libsodium "
                      << (theirs ? "accepts" : "refuses") << ", ours says " << to_string(ours);
      }
    }
  }
  EXPECT_EQ(mismatches, 0u);
  for (unsigned m = 0; m < kMutationCount; ++m) {
    std::printf("  %-16s %7u cases, %7u accepted by both\n", kMutationNames[m], counts[m].cases,
                counts[m].accepted);
  }
  // The mutations must actually exercise both verdicts: valid ones accepted, the cofactorless
  // rule seen accepting some mixed-order keys (1 in 8) when there are enough cases.
  EXPECT_EQ(counts[kValid].accepted, counts[kValid].cases);
  EXPECT_EQ(counts[kFlipSignature].accepted, 0u);
  if (counts[kMixedOrderKey].cases >= 200) {
    EXPECT_GT(counts[kMixedOrderKey].accepted, 0u);
    EXPECT_LT(counts[kMixedOrderKey].accepted, counts[kMixedOrderKey].cases);
  }
}

}  // namespace
}  // namespace fota::crypto
