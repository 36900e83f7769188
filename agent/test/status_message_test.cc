// SPDX-License-Identifier: Apache-2.0
#include "agent/status_message.h"

#include <gtest/gtest.h>

#include <array>
#include <string>

namespace fota::agent {
namespace {

std::string encode(const StatusReport& report) {
  std::array<char, kMaxStatusSize> buffer{};
  auto n = encode_status(report, buffer);
  EXPECT_TRUE(n.ok());
  return n.ok() ? std::string(buffer.data(), *n) : std::string();
}

TEST(StatusMessage, EncodesEveryField) {
  StatusReport r;
  r.uid = "0123456789abcdef01234567";
  r.state = State::kDownloading;
  r.bytes_done = 1000;
  r.bytes_total = 4000;
  r.rate_bps = 11520;
  r.running_known = true;
  r.running = Version{1, 0, 0, 3};
  r.running_slot = 'A';
  r.target_known = true;
  r.target = Version{2, 1, 300, 4};
  r.time_unix_s = 1'800'000'000;
  r.state_since_unix_s = 1'799'999'990;
  EXPECT_EQ(encode(r),
            "{\"uid\":\"0123456789abcdef01234567\",\"state\":\"downloading\",\"reason\":\"\","
            "\"progress\":25,\"bytes\":1000,\"total\":4000,\"rate_bps\":11520,"
            "\"running\":{\"version\":\"1.0.0\",\"build\":3,\"slot\":\"A\"},"
            "\"target\":{\"version\":\"2.1.300\",\"build\":4},\"error\":\"\","
            "\"time\":1800000000,\"since\":1799999990}");
}

TEST(StatusMessage, UnknownVersionsAreNull) {
  StatusReport r;
  r.state = State::kFailed;
  r.reason = "signature";
  r.error = "say \"why\"\n\\";
  const std::string json = encode(r);
  EXPECT_NE(json.find("\"running\":null"), std::string::npos);
  EXPECT_NE(json.find("\"target\":null"), std::string::npos);
  EXPECT_NE(json.find("\"error\":\"say \\\"why\\\"\\u000a\\\\\""), std::string::npos) << json;
}

TEST(StatusMessage, LongErrorsAreCutNotRefused) {
  StatusReport r;
  const std::string long_error(5000, 'x');
  r.error = long_error;
  const std::string json = encode(r);
  EXPECT_LT(json.size(), kMaxStatusSize);
  EXPECT_NE(json.find(std::string(kMaxErrorLength, 'x') + "\""), std::string::npos);
}

TEST(StatusMessage, WorstCaseFitsTheDocumentedSize) {
  StatusReport r;
  const std::string evil(5000, '\x01');  // each escapes to 6 bytes
  r.error = evil;
  r.reason = evil;
  r.uid = evil;
  r.state = State::kDownloading;
  r.bytes_done = r.bytes_total = r.time_unix_s = r.state_since_unix_s = UINT64_MAX;
  r.rate_bps = UINT32_MAX;
  r.running_known = r.target_known = true;
  r.running = r.target = Version{255, 255, 65535, UINT32_MAX};
  std::array<char, kMaxStatusSize> buffer{};
  auto n = encode_status(r, buffer);
  ASSERT_TRUE(n.ok());
  EXPECT_LE(*n, kMaxStatusSize);
}

TEST(StatusMessage, ReportsABufferTooSmall) {
  StatusReport r;
  std::array<char, 20> small{};
  auto n = encode_status(r, small);
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.error(), StatusError::kBufferTooSmall);
}

TEST(StatusMessage, OfflineLastWill) {
  std::array<char, 128> buffer{};
  auto n = encode_offline("00ff", buffer);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(buffer.data(), *n), "{\"uid\":\"00ff\",\"state\":\"offline\"}");
}

TEST(StatusMessage, StateNamesRoundTrip) {
  for (size_t i = 0; i < kStateCount; ++i) {
    State s;
    ASSERT_TRUE(state_from_string(update::to_string(static_cast<State>(i)), s));
    EXPECT_EQ(static_cast<size_t>(s), i);
  }
  State s;
  EXPECT_FALSE(state_from_string("success", s));
  EXPECT_FALSE(state_from_string(kOfflineState, s));
}

TEST(StatusMessage, ProgressIsClampedAndSafe) {
  EXPECT_EQ(progress_percent(0, 0), 0);
  EXPECT_EQ(progress_percent(5, 0), 0);
  EXPECT_EQ(progress_percent(50, 100), 50);
  EXPECT_EQ(progress_percent(200, 100), 100);
  EXPECT_EQ(progress_percent(UINT64_MAX - 1, UINT64_MAX), 99);
}

TEST(RevertedReason, SaysWhetherTheImageDidNotConfirmOrWasRefused) {
  std::array<char, 32> reason{};
  std::array<char, kMaxErrorLength + 1> error{};
  write_reverted_reason("", reason, error);
  EXPECT_STREQ(reason.data(), "not-confirmed");
  EXPECT_STREQ(
      error.data(),
      "the new image did not confirm itself; the bootloader went back to the previous one");
  write_reverted_reason("bad-signature", reason, error);
  EXPECT_STREQ(reason.data(), "refused-bad-signature");
  EXPECT_STREQ(error.data(),
               "the device's secure boot refused the new image (bad-signature); the previous one "
               "runs");
  // Cut to fit, terminated.
  std::array<char, 10> small{};
  std::array<char, 12> small_error{};
  write_reverted_reason("below-floor", small, small_error);
  EXPECT_STREQ(small.data(), "refused-b");
  EXPECT_STREQ(small_error.data(), "the device'");
}

TEST(FailureText, NamesTheReasonAndWhatTheDeviceTheSourceOrTheCheckSaid) {
  std::array<char, kMaxErrorLength + 1> text{};
  update::Failure f;
  f.reason = update::FailReason::kWriteFailed;
  f.target = update::TargetError::kRefused;
  write_failure_text(f, "write at 0x08080000 refused", "", "release.public_keys", text);
  EXPECT_EQ(std::string(text.data()), std::string(update::to_string(f.reason)) + ": " +
                                          update::to_string(f.target) +
                                          " (write at 0x08080000 refused)");
  f = {};
  f.reason = update::FailReason::kSourceFailed;
  write_failure_text(f, "", "GET http://h/B.img: HTTP 404", "release.public_keys", text);
  EXPECT_STREQ(text.data(), "source-failed: GET http://h/B.img: HTTP 404");
  f.reason = update::FailReason::kUnknownKey;
  write_failure_text(f, "", "", "release.public_keys", text);
  EXPECT_STREQ(text.data(),
               "unknown-key: the image header is signed by a key that is not among "
               "release.public_keys");
  f.reason = update::FailReason::kBadHeader;
  f.header = HeaderError::kBadMagic;
  write_failure_text(f, "", "", "", text);
  EXPECT_EQ(std::string(text.data()), std::string("bad-header: ") + to_string(f.header));
  // Cut to fit, terminated.
  std::array<char, 8> small{};
  write_failure_text(f, "", "", "", small);
  EXPECT_STREQ(small.data(), "bad-hea");
}

}  // namespace
}  // namespace fota::agent
