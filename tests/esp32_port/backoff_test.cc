// SPDX-License-Identifier: Apache-2.0
// The ESP32 port's reconnect backoff (plain C++, shared by Wi-Fi, MQTT and HTTP retries).
#include "fota_esp32/backoff.h"

#include <gtest/gtest.h>

namespace fota::esp32 {
namespace {

TEST(Backoff, DoublesUpToTheCapAndStaysThere) {
  Backoff backoff(1000, 60000);
  const uint32_t expected[] = {1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000};
  for (uint32_t ms : expected) EXPECT_EQ(backoff.next_ms(), ms);
}

TEST(Backoff, ResetStartsOverAtTheFirstDelay) {
  Backoff backoff(500, 4000);
  EXPECT_EQ(backoff.next_ms(), 500u);
  EXPECT_EQ(backoff.next_ms(), 1000u);
  backoff.reset();
  EXPECT_EQ(backoff.next_ms(), 500u);
}

TEST(Backoff, CapBelowTheFirstDelayWins) {
  Backoff backoff(5000, 3000);
  EXPECT_EQ(backoff.next_ms(), 3000u);
  EXPECT_EQ(backoff.next_ms(), 3000u);
}

TEST(Backoff, NoOverflowNearTheTopOfTheRange) {
  Backoff backoff(0x9000'0000u, 0xF000'0000u);
  EXPECT_EQ(backoff.next_ms(), 0x9000'0000u);
  EXPECT_EQ(backoff.next_ms(), 0xF000'0000u);
}

TEST(Backoff, DueOnlyOnceTheScheduledDelayPassed) {
  Backoff backoff(1000, 8000);
  EXPECT_TRUE(backoff.due(0));
  backoff.schedule(10'000);  // next attempt at 11'000
  EXPECT_FALSE(backoff.due(10'999));
  EXPECT_TRUE(backoff.due(11'000));
  backoff.schedule(11'000);  // 2 s later
  EXPECT_FALSE(backoff.due(12'999));
  EXPECT_TRUE(backoff.due(13'000));
}

}  // namespace
}  // namespace fota::esp32
