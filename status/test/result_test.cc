// SPDX-License-Identifier: Apache-2.0
#include "status/result.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace fota {
namespace {

enum class Err : uint8_t { kOk = 0, kBad, kWorse };

// No default constructor: Result must not need one.
struct Point {
  explicit Point(int x_in) : x(x_in) {}
  int x;
};

Result<Point, Err> make_point(int x) {
  if (x < 0) return Error{Err::kBad};
  return Point(x);
}

Result<std::unique_ptr<int>, Err> make_owned(int v) {
  if (v == 0) return Error{Err::kWorse};
  return std::make_unique<int>(v);
}

Result<int, Err> doubled(int x) {
  FOTA_TRY_ASSIGN(const Point p, make_point(x));
  return p.x * 2;
}

Err status_of(int x) {
  FOTA_TRY_ASSIGN(auto owned, make_owned(x));
  return *owned == x ? Err::kOk : Err::kWorse;
}

TEST(StatusResult, HoldsAValueWithoutADefaultConstructor) {
  auto r = make_point(3);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->x, 3);
  EXPECT_EQ(r.error(), Err::kOk);
  auto e = make_point(-1);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error(), Err::kBad);
}

TEST(StatusResult, MovesAMoveOnlyValue) {
  auto r = make_owned(7);
  ASSERT_TRUE(r);
  std::unique_ptr<int> owned = std::move(r).value();
  ASSERT_NE(owned, nullptr);
  EXPECT_EQ(*owned, 7);
  Result<std::unique_ptr<int>, Err> moved = make_owned(9);
  Result<std::unique_ptr<int>, Err> target = make_owned(0);
  EXPECT_FALSE(target);
  target = std::move(moved);
  ASSERT_TRUE(target);
  EXPECT_EQ(**target, 9);
}

TEST(StatusResult, CopiesAndAssignsBothStates) {
  Result<std::string, Err> a = std::string("text");
  Result<std::string, Err> b = Error{Err::kWorse};
  Result<std::string, Err> c = a;
  EXPECT_EQ(*c, "text");
  c = b;
  EXPECT_EQ(c.error(), Err::kWorse);
  b = a;
  EXPECT_EQ(*b, "text");
}

TEST(StatusResult, TryAssignPassesTheErrorOn) {
  EXPECT_EQ(*doubled(4), 8);
  EXPECT_EQ(doubled(-4).error(), Err::kBad);
  EXPECT_EQ(status_of(5), Err::kOk);
  EXPECT_EQ(status_of(0), Err::kWorse);
}

TEST(StatusResultDeathTest, ValueOfAnErrorStopsTheProgram) {
  const auto e = make_point(-1);
  EXPECT_DEATH((void)e.value(), "");
}

}  // namespace
}  // namespace fota
