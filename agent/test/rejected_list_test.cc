// SPDX-License-Identifier: Apache-2.0
// The reverted-release list a port stores across restarts: its blob round trip, the oldest
// dropped when full, and every blob that is not this device's list loaded as an empty list.
#include "agent/rejected_list.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace fota::agent {
namespace {

constexpr std::string_view kUid = "0123456789ABCDEF01234567";

ReleaseKey key_of(int n) {
  return release_key("demo " + std::to_string(n) + ".0.0+0 https://h/A.img https://h/B.img");
}

std::vector<uint8_t> bytes(std::span<const uint8_t> blob) {
  return {blob.begin(), blob.end()};
}

TEST(RejectedList, EmptyListIsTheHeaderAlone) {
  RejectedList list(kUid);
  EXPECT_EQ(list.size(), 0u);
  const auto blob = bytes(list.blob());
  ASSERT_EQ(blob.size(), kRejectedHeaderBytes);
  EXPECT_EQ(std::string(blob.begin(), blob.begin() + 4), "FRJ1");
  EXPECT_EQ(std::string(blob.begin() + 4, blob.end()), kUid);
  RejectedList again(kUid);
  EXPECT_EQ(again.load(blob), RejectedLoad::kLoaded);
  EXPECT_EQ(again.size(), 0u);
}

TEST(RejectedList, KeysSurviveTheBlobInOrder) {
  RejectedList list(kUid);
  EXPECT_TRUE(list.add(key_of(1)));
  EXPECT_TRUE(list.add(key_of(2)));
  EXPECT_TRUE(list.add(key_of(3)));
  EXPECT_FALSE(list.add(key_of(2)));  // already there
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list.blob().size(), kRejectedHeaderBytes + 3 * 32);

  RejectedList loaded(kUid);
  ASSERT_EQ(loaded.load(list.blob()), RejectedLoad::kLoaded);
  ASSERT_EQ(loaded.size(), 3u);
  EXPECT_EQ(loaded.key(0), key_of(1));
  EXPECT_EQ(loaded.key(1), key_of(2));
  EXPECT_EQ(loaded.key(2), key_of(3));
  EXPECT_EQ(loaded.key(3), ReleaseKey{});  // past the end
  EXPECT_EQ(bytes(loaded.blob()), bytes(list.blob()));
}

TEST(RejectedList, AFullListDropsTheOldest) {
  RejectedList list(kUid);
  for (int n = 0; n <= static_cast<int>(DeviceLoop::kMaxRejected); ++n) list.add(key_of(n));
  ASSERT_EQ(list.size(), DeviceLoop::kMaxRejected);
  EXPECT_EQ(list.key(0), key_of(1));
  EXPECT_EQ(list.key(DeviceLoop::kMaxRejected - 1), key_of(DeviceLoop::kMaxRejected));
  EXPECT_EQ(list.blob().size(), kRejectedBlobMaxBytes);
  RejectedList loaded(kUid);
  EXPECT_EQ(loaded.load(list.blob()), RejectedLoad::kLoaded);
  EXPECT_EQ(loaded.size(), DeviceLoop::kMaxRejected);
}

TEST(RejectedList, AnotherDevicesListIsNotLoaded) {
  RejectedList theirs("FFFFFFFFFFFFFFFFFFFFFFFF");
  theirs.add(key_of(1));
  RejectedList mine(kUid);
  mine.add(key_of(7));
  EXPECT_EQ(mine.load(theirs.blob()), RejectedLoad::kOtherDevice);
  EXPECT_EQ(mine.size(), 0u);
  // Stored again, the list carries this device's UID.
  EXPECT_EQ(std::string(mine.blob().begin() + 4, mine.blob().end()), kUid);
}

TEST(RejectedList, CorruptBlobsLoadAsAnEmptyList) {
  RejectedList full(kUid);
  full.add(key_of(1));
  full.add(key_of(2));
  const auto good = bytes(full.blob());

  std::vector<std::vector<uint8_t>> bad;
  bad.push_back({});                                 // nothing
  bad.push_back({good.begin(), good.begin() + 27});  // header cut
  bad.push_back({good.begin(), good.end() - 1});     // a key cut
  bad.push_back(good);
  bad.back().push_back(0);  // a byte too many
  bad.push_back(good);
  bad.back()[0] = 'X';                                        // magic
  std::vector<uint8_t> too_long(kRejectedBlobMaxBytes + 32);  // 17 keys
  std::copy(good.begin(), good.begin() + kRejectedHeaderBytes, too_long.begin());
  bad.push_back(too_long);

  for (size_t i = 0; i < bad.size(); ++i) {
    RejectedList list(kUid);
    list.add(key_of(9));
    EXPECT_EQ(list.load(bad[i]), RejectedLoad::kCorrupt) << "case " << i;
    EXPECT_EQ(list.size(), 0u) << "case " << i;
    EXPECT_EQ(list.blob().size(), kRejectedHeaderBytes) << "case " << i;
  }
}

TEST(RejectedList, ADefaultListHasAnEmptyUid) {
  RejectedList list;  // a port's member before the device is identified
  EXPECT_EQ(list.blob().size(), kRejectedHeaderBytes);
  EXPECT_EQ(list.blob()[4], 0u);
  EXPECT_TRUE(list.add(key_of(1)));
}

TEST(RejectedList, UidIsCutOrPaddedToItsField) {
  RejectedList long_uid("0123456789ABCDEF01234567-and-more");
  RejectedList exact(kUid);
  EXPECT_EQ(bytes(long_uid.blob()), bytes(exact.blob()));
  RejectedList short_uid("ABC");
  EXPECT_EQ(short_uid.blob()[4 + 3], 0u);
  EXPECT_EQ(exact.load(short_uid.blob()), RejectedLoad::kOtherDevice);
}

}  // namespace
}  // namespace fota::agent
