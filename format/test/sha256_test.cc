// SPDX-License-Identifier: Apache-2.0
#include "format/sha256.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "format/hex.h"

namespace fota {
namespace {

std::span<const uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// FIPS 180-4 examples (NIST CSRC "SHA256.pdf", "SHA2_Additional.pdf").
TEST(Sha256, NistEmpty) {
  EXPECT_EQ(to_hex(sha256({})), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256, NistAbc) {
  EXPECT_EQ(to_hex(sha256(as_bytes("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, Nist448Bit) {
  EXPECT_EQ(to_hex(sha256(as_bytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256, NistMillionA) {
  const std::string a(1'000'000, 'a');
  EXPECT_EQ(to_hex(sha256(as_bytes(a))),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  // The same streamed in odd-sized pieces.
  Sha256 s;
  for (size_t off = 0; off < a.size(); off += 997) {
    s.update(as_bytes(std::string_view(a).substr(off, 997)));
  }
  EXPECT_EQ(to_hex(s.finish()), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, StreamingSplitAtEveryOffset) {
  // 200 bytes crosses three block boundaries and both padding cases (55/56 bytes in the last
  // block).
  std::vector<uint8_t> data(200);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 13 + 5);
  for (size_t len : {size_t{55}, size_t{56}, size_t{63}, size_t{64}, size_t{65}, size_t{119},
                     size_t{120}, size_t{200}}) {
    const std::span<const uint8_t> msg(data.data(), len);
    const Sha256Digest whole = sha256(msg);
    for (size_t cut = 0; cut <= len; ++cut) {
      Sha256 s;
      s.update(msg.first(cut));
      s.update(msg.subspan(cut));
      ASSERT_EQ(s.finish(), whole) << "len " << len << " cut " << cut;
      // Three pieces, the middle one possibly empty.
      for (size_t cut2 = cut; cut2 <= len; cut2 += 7) {
        Sha256 t;
        t.update(msg.first(cut));
        t.update(msg.subspan(cut, cut2 - cut));
        t.update(msg.subspan(cut2));
        ASSERT_EQ(t.finish(), whole) << "len " << len << " cuts " << cut << "," << cut2;
      }
    }
  }
}

TEST(Sha256, ResetAllowsReuse) {
  Sha256 s;
  s.update(as_bytes("garbage"));
  (void)s.finish();
  s.reset();
  s.update(as_bytes("abc"));
  EXPECT_EQ(to_hex(s.finish()), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, MatchesLibsodiumOnRandomData) {
  ASSERT_GE(sodium_init(), 0);
  std::mt19937 rng(20261123);
  std::vector<size_t> sizes;
  for (size_t n = 0; n <= 300; ++n) sizes.push_back(n);
  for (size_t n : {511u, 512u, 513u, 1023u, 4096u, 65'535u, 65'536u, 393'216u}) sizes.push_back(n);
  for (int i = 0; i < 40; ++i) sizes.push_back(rng() % 100'000);
  for (size_t n : sizes) {
    std::vector<uint8_t> data(n);
    for (auto& b : data) b = static_cast<uint8_t>(rng());
    Sha256Digest expected;
    crypto_hash_sha256(expected.data(), data.data(), data.size());
    ASSERT_EQ(sha256(data), expected) << "size " << n;
    // And streamed at a random split.
    const size_t cut = n == 0 ? 0 : rng() % n;
    Sha256 s;
    s.update(std::span<const uint8_t>(data).first(cut));
    s.update(std::span<const uint8_t>(data).subspan(cut));
    ASSERT_EQ(s.finish(), expected) << "size " << n << " cut " << cut;
  }
}

}  // namespace
}  // namespace fota
