// SPDX-License-Identifier: Apache-2.0
#include "crypto/sha512.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <random>
#include <string>
#include <vector>

#include "format/hex.h"

namespace fota::crypto {
namespace {

std::string hash_hex(const std::string& text) {
  return to_hex(
      sha512(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size())));
}

// FIPS 180-4 examples (NIST CSRC "SHA512.pdf") and the NIST one-million-'a' vector.
TEST(Sha512, NistVectors) {
  EXPECT_EQ(hash_hex("abc"),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
            "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
  EXPECT_EQ(hash_hex(""),
            "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
            "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e");
  EXPECT_EQ(hash_hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
                     "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"),
            "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018"
            "501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909");
  EXPECT_EQ(hash_hex(std::string(1'000'000, 'a')),
            "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973eb"
            "de0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b");
}

// Every length around the 112- and 128-byte padding edges, fed in random pieces, against
// libsodium.
TEST(Sha512, MatchesLibsodiumForEveryLengthAndSplit) {
  ASSERT_GE(sodium_init(), 0);
  std::mt19937 rng(7);
  std::vector<uint8_t> data(600);
  for (auto& b : data) b = static_cast<uint8_t>(rng());
  for (size_t length = 0; length <= data.size(); ++length) {
    uint8_t expected[64];
    crypto_hash_sha512(expected, data.data(), length);
    Sha512 h;
    size_t done = 0;
    while (done < length) {
      const size_t piece = std::min<size_t>(length - done, rng() % 200);
      h.update(std::span<const uint8_t>(data.data() + done, piece));
      done += piece;
    }
    const Sha512Digest got = h.finish();
    ASSERT_EQ(to_hex(got), to_hex(expected)) << "length " << length;
  }
}

TEST(Sha512, ResetAllowsReuse) {
  Sha512 h;
  const uint8_t x[3] = {'a', 'b', 'c'};
  h.update(x);
  const auto first = h.finish();
  h.reset();
  h.update(x);
  EXPECT_EQ(h.finish(), first);
}

}  // namespace
}  // namespace fota::crypto
