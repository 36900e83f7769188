// SPDX-License-Identifier: Apache-2.0
// `--json` output: one parseable JSON object per line, fields in the order they were added, any
// text (quotes, control characters, invalid UTF-8 from a noisy console) escaped.
#include "progress.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

namespace fota::cli {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(FotaCliProgress, JsonEventsAreOneObjectPerLineInOrder) {
  Progress out(/*json=*/true, /*quiet=*/false);
  ::testing::internal::CaptureStdout();
  out.event({{"event", "plan"}, {"uid", "ABC"}, {"slot", "B"}, {"bytes", 1024}});
  out.message("say \"hi\"\n\tand \x01 bye");
  out.event({{"event", "console"}, {"line", std::string("noise \xff\xfe here")}});
  const auto lines = lines_of(::testing::internal::GetCapturedStdout());
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], R"({"event":"plan","uid":"ABC","slot":"B","bytes":1024})");
  const Json message = Json::parse(lines[1]);
  EXPECT_EQ(message["event"], "message");
  EXPECT_EQ(message["text"], "say \"hi\"\n\tand \x01 bye");
  const Json console = Json::parse(lines[2]);
  EXPECT_EQ(console["event"], "console");
  EXPECT_NE(console["line"].get<std::string>().find("here"), std::string::npos);
}

TEST(FotaCliProgress, PhasesReportProgressAndAFinalLine) {
  Progress out(/*json=*/true, /*quiet=*/false);
  ::testing::internal::CaptureStdout();
  out.phase("write", 100);
  out.advance(50);
  out.advance(50);
  out.done();
  const auto lines = lines_of(::testing::internal::GetCapturedStdout());
  ASSERT_GE(lines.size(), 2u);
  for (const std::string& line : lines) {
    const Json j = Json::parse(line);
    EXPECT_EQ(j["event"], "progress");
    EXPECT_EQ(j["phase"], "write");
    EXPECT_EQ(j["total"], 100);
  }
  const Json last = Json::parse(lines.back());
  EXPECT_EQ(last["done"], 100);
  EXPECT_EQ(last["percent"], 100);
  EXPECT_EQ(last["final"], true);
}

// Without --json, stdout stays free for the command's own output: the text goes to stderr.
TEST(FotaCliProgress, WithoutJsonTextGoesToStderrOnly) {
  Progress out(/*json=*/false, /*quiet=*/false);
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  out.event({{"event", "plan"}});
  out.message("a message");
  out.phase("erase", 10);
  out.advance(10);
  out.done();
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(::testing::internal::GetCapturedStdout(), "");
  EXPECT_NE(err.find("a message\n"), std::string::npos) << err;
  EXPECT_NE(err.find("erase: done, 10 bytes"), std::string::npos) << err;
}

TEST(FotaCliProgress, QuietPrintsNothing) {
  Progress out(/*json=*/false, /*quiet=*/true);
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  out.message("quiet");
  out.phase("erase", 10);
  out.advance(10);
  out.done();
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
  EXPECT_EQ(::testing::internal::GetCapturedStdout(), "");
}

}  // namespace
}  // namespace fota::cli
