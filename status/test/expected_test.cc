// SPDX-License-Identifier: Apache-2.0
#include "status/expected.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace fota {
namespace {

Expected<int> parse_count(const std::string& text) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) {
    return fail("count \"" + text + "\" is not a decimal number");
  }
  return std::stoi(text);
}

Expected<void> check_count(const std::string& text) {
  FOTA_TRY_EXPECTED(parse_count(text));
  return {};
}

TEST(StatusExpected, ValueOrMessage) {
  const auto ok = parse_count("12");
  ASSERT_TRUE(ok) << ok.error();
  EXPECT_EQ(*ok, 12);
  const auto bad = parse_count("1x");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), "count \"1x\" is not a decimal number");
}

TEST(StatusExpected, TryPassesTheFailureOn) {
  EXPECT_TRUE(check_count("3"));
  const auto bad = check_count("");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().find("not a decimal"), std::string::npos);
}

TEST(StatusExpected, MoveOnlyValue) {
  Expected<std::unique_ptr<int>> owned = std::make_unique<int>(4);
  ASSERT_TRUE(owned);
  std::unique_ptr<int> taken = std::move(owned).value();
  EXPECT_EQ(*taken, 4);
}

}  // namespace
}  // namespace fota
