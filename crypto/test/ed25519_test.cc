// SPDX-License-Identifier: Apache-2.0
// RFC 8032 section 7.1 test vectors (typed in from the RFC; libsodium re-derives each public key
// and signature from the secret key, so a typo cannot pass), plus the rules we share with
// libsodium on hand-made edge cases.
#include "crypto/ed25519.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <array>
#include <vector>

#include "test_hex.h"

namespace fota::crypto {
namespace {

using testing::unhex;

struct Vector {
  const char* name;
  const char* secret;
  const char* public_key;
  const char* message;
  const char* signature;
};

constexpr Vector kRfc8032[] = {
    {"TEST 1", "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46"
     "bd25bf5f0595bbe24655141438e7a100b"},
    {"TEST 2", "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8"
     "c387b2eaeb4302aeeb00d291612bb0c00"},
    {"TEST 3", "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc65"
     "94a7c15e9716ed28dc027beceea1ec40a"},
    {"TEST SHA(abc)", "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
     "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
     "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feeb"
     "bd454d4423643ce80e2a9ac94fa54ca49f",
     "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e03"
     "03dca179c138ac17ad9bef1177331a704"},
};

VerifyStatus verify(const std::vector<uint8_t>& sig, const std::vector<uint8_t>& msg,
                    const std::vector<uint8_t>& pk) {
  return ed25519_verify(std::span<const uint8_t, 64>(sig.data(), 64), msg,
                        std::span<const uint8_t, 32>(pk.data(), 32));
}

class Ed25519 : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_GE(sodium_init(), 0); }
};

TEST_F(Ed25519, Rfc8032Section71Vectors) {
  for (const Vector& v : kRfc8032) {
    SCOPED_TRACE(v.name);
    const auto seed = unhex(v.secret);
    const auto pk = unhex(v.public_key);
    const auto msg = unhex(v.message);
    const auto sig = unhex(v.signature);
    ASSERT_EQ(seed.size(), 32u);
    ASSERT_EQ(pk.size(), 32u);
    ASSERT_EQ(sig.size(), 64u);
    // The typed vector is what libsodium derives from the secret key.
    std::array<uint8_t, 32> derived_pk;
    std::array<uint8_t, 64> sk;
    ASSERT_EQ(crypto_sign_seed_keypair(derived_pk.data(), sk.data(), seed.data()), 0);
    ASSERT_TRUE(std::equal(pk.begin(), pk.end(), derived_pk.begin()));
    std::array<uint8_t, 64> derived_sig;
    ASSERT_EQ(crypto_sign_detached(derived_sig.data(), nullptr, msg.data(), msg.size(), sk.data()),
              0);
    ASSERT_TRUE(std::equal(sig.begin(), sig.end(), derived_sig.begin()));

    EXPECT_EQ(verify(sig, msg, pk), VerifyStatus::kOk);
    // Any single bit flipped in signature, key or message fails.
    for (size_t bit = 0; bit < 512; bit += 7) {
      auto bad = sig;
      bad[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
      EXPECT_NE(verify(bad, msg, pk), VerifyStatus::kOk) << "signature bit " << bit;
    }
    for (size_t bit = 0; bit < 256; bit += 5) {
      auto bad = pk;
      bad[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
      EXPECT_NE(verify(sig, msg, bad), VerifyStatus::kOk) << "key bit " << bit;
    }
    auto longer = msg;
    longer.push_back(0);
    EXPECT_EQ(verify(sig, longer, pk), VerifyStatus::kBadSignature);
  }
}

TEST_F(Ed25519, RejectsNonCanonicalS) {
  const Vector& v = kRfc8032[0];
  auto sig = unhex(v.signature);
  const auto pk = unhex(v.public_key);
  // S + L (still < 2^256 here since S < 2^253): the same value mod L, refused as libsodium does.
  const auto l = unhex("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
  unsigned carry = 0;
  for (size_t i = 0; i < 32; ++i) {
    const unsigned sum = sig[32 + i] + l[i] + carry;
    sig[32 + i] = static_cast<uint8_t>(sum);
    carry = sum >> 8;
  }
  ASSERT_EQ(carry, 0u);
  EXPECT_EQ(verify(sig, {}, pk), VerifyStatus::kNonCanonicalS);
  EXPECT_NE(crypto_sign_verify_detached(sig.data(), nullptr, 0, pk.data()), 0);
}

// The eight points of order 1, 2, 4 and 8 (canonical encodings, both signs where x != 0).
const char* const kTorsion[] = {
    "0100000000000000000000000000000000000000000000000000000000000000",  // identity
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  // order 2
    "0000000000000000000000000000000000000000000000000000000000000000",  // order 4
    "0000000000000000000000000000000000000000000000000000000000000080",  // order 4
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",  // order 8
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",  // order 8
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",  // order 8
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",  // order 8
};

TEST_F(Ed25519, TorsionListIsRight) {
  // Each listed point times 8 is the identity (libsodium's point addition as the referee).
  const auto id = unhex(kTorsion[0]);
  for (const char* t : kTorsion) {
    const auto p = unhex(t);
    std::array<uint8_t, 32> acc;
    std::copy(p.begin(), p.end(), acc.begin());
    for (int i = 0; i < 3; ++i) ASSERT_EQ(crypto_core_ed25519_add(acc.data(), acc.data(), acc.data()), 0) << t;
    EXPECT_TRUE(std::equal(id.begin(), id.end(), acc.begin())) << t;
  }
}

TEST_F(Ed25519, RejectsSmallOrderKeysAndR) {
  const Vector& v = kRfc8032[1];
  const auto sig = unhex(v.signature);
  const auto msg = unhex(v.message);
  for (const char* t : kTorsion) {
    auto pk = unhex(t);
    EXPECT_EQ(verify(sig, msg, pk), VerifyStatus::kSmallOrderKey) << t;
    auto r = sig;
    const auto point = unhex(t);
    std::copy(point.begin(), point.end(), r.begin());
    EXPECT_EQ(verify(r, msg, unhex(v.public_key)), VerifyStatus::kSmallOrderR) << t;
  }
  // Non-canonical encodings of 0 (p) and 1 (p + 1): refused as keys (not canonical) and as R
  // (small order), as libsodium does.
  auto p = unhex("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
  auto r = sig;
  for (uint8_t low : {uint8_t{0xed}, uint8_t{0xee}}) {
    p[0] = low;
    EXPECT_EQ(verify(sig, msg, p), VerifyStatus::kNonCanonicalKey);
    std::copy(p.begin(), p.end(), r.begin());
    EXPECT_EQ(verify(r, msg, unhex(v.public_key)), VerifyStatus::kSmallOrderR);
    EXPECT_NE(crypto_sign_verify_detached(r.data(), msg.data(), msg.size(),
                                          unhex(v.public_key).data()),
              0);
  }
  p[0] = 0xef;  // p + 2: not canonical, not small order
  EXPECT_EQ(verify(sig, msg, p), VerifyStatus::kNonCanonicalKey);
}

}  // namespace
}  // namespace fota::crypto
