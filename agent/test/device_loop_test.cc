// SPDX-License-Identifier: Apache-2.0
// The agent's per-device decision loop against a scripted port: what it installs, refuses,
// retries and reports for each event.
#include "agent/device_loop.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <deque>
#include <string>
#include <vector>

#include "agent/rejected_list.h"

namespace fota::agent {
namespace {

// Notification payloads are "<product> <major>.<minor>.<patch> [unsigned|badsig]" here: the port
// parses them, the loop never looks inside.
class FakePort final : public DevicePort {
 public:
  uint64_t now = 1000;
  Running runs{true, Version{1, 0, 0, 0}};
  std::deque<update::Outcome> outcomes;  // next install results (default: confirmed)
  std::vector<std::string> installed;    // "<version> <any|newer>"
  std::vector<std::string> statuses;     // "refuse <reason>: <error>", "error ...", "publish"
  std::vector<std::string> remembered;
  std::vector<std::string> polled;  // ETags asked with
  PollResult next_poll;
  int restarts = 0;
  int reidentified = 0;
  bool stop = false;

  uint64_t now_ms() override { return now; }
  bool read_notice(std::string_view payload, bool legacy, Notice& out,
                   std::span<char> error) override {
    out = Notice{};
    out.legacy = legacy;
    if (legacy) {
      set_text(out.url[0], "https://h/fw/legacy.img");
      out.crc = 0x1234;
      return true;
    }
    const std::string text(payload);
    unsigned major = 0, minor = 0, patch = 0;
    char product[32] = {};
    char flag[16] = {};
    const int n =
        std::sscanf(text.c_str(), "%31s %u.%u.%u %15s", product, &major, &minor, &patch, flag);
    if (n < 4) {
      set_text(error, "release notification: not a manifest");
      return false;
    }
    set_text(out.product, product);
    out.version = Version{static_cast<uint8_t>(major), static_cast<uint8_t>(minor),
                          static_cast<uint16_t>(patch), 0};
    const std::string base = "https://h/fw/" + std::to_string(major) + "." + std::to_string(minor) +
                             "." + std::to_string(patch);
    set_text(out.url[0], base + "-A.img");
    set_text(out.url[1], base + "-B.img");
    out.size = {1000, 1000};
    const std::string f = flag;
    out.has_signature = f != "unsigned";
    out.signature_verified = f.empty();
    if (f == "badsig") set_text(out.signature_error, "signature does not verify");
    return true;
  }
  PollResult poll(std::string_view etag) override {
    polled.emplace_back(etag);
    return next_poll;
  }
  Running running() override { return runs; }
  update::Outcome install(const Notice& notice, update::VersionPolicy version) override {
    std::array<char, 32> v{};
    write_version(notice.version, false, v);
    installed.push_back(std::string(v.data()) +
                        (version == update::VersionPolicy::kAny ? " any" : " newer"));
    update::Outcome outcome;
    outcome.state = update::State::kConfirmed;
    if (!outcomes.empty()) {
      outcome = outcomes.front();
      outcomes.pop_front();
    }
    if (outcome.state == update::State::kConfirmed) runs = {true, notice.version};
    return outcome;
  }
  void restart_device() override { ++restarts; }
  void reidentify() override { ++reidentified; }
  void remember_rejected(const Notice& notice) override {
    std::array<char, 3000> key{};
    write_release_key(notice, key);
    remembered.emplace_back(key.data());
  }
  void refuse(std::string_view reason, std::string_view error) override {
    statuses.push_back("refuse " + std::string(reason) + ": " + std::string(error));
  }
  void set_error(std::string_view reason, std::string_view error) override {
    statuses.push_back("error " + std::string(reason) + ": " + std::string(error));
  }
  void publish_status() override { statuses.emplace_back("publish"); }
  bool stopping() const override { return stop; }
};

update::Outcome failed(update::FailReason reason) {
  update::Outcome outcome;
  outcome.state = update::State::kFailed;
  outcome.failure.reason = reason;
  return outcome;
}

update::Outcome reverted() {
  update::Outcome outcome;
  outcome.state = update::State::kReverted;
  return outcome;
}

constexpr std::string_view kPrefixes[] = {"https://h/fw"};

LoopConfig config(bool allow_downgrade = false) {
  LoopConfig c;
  c.policy = Policy{"demo", kPrefixes, false, allow_downgrade, 384 * 1024};
  c.retry_first_ms = 1000;
  c.retry_max_ms = 8000;
  return c;
}

// A loop on the default configuration over a fake port, its session begun.
class DeviceLoopTest : public ::testing::Test {
 protected:
  void SetUp() override { loop.begin_session(); }

  FakePort port;
  DeviceLoop loop{config(), port};
};

TEST_F(DeviceLoopTest, NotificationInstallsTheNewerRelease) {
  loop.on_notification("demo 2.0.0", false);
  ASSERT_EQ(port.installed, std::vector<std::string>{"2.0.0 newer"});
  EXPECT_EQ(port.statuses.back(), "publish");
  EXPECT_FALSE(loop.retry_pending());
  // The same release again (a retained message after a reconnect): already handled.
  loop.on_notification("demo 2.0.0", false);
  EXPECT_EQ(port.installed.size(), 1u);
  EXPECT_EQ(loop.next_due_ms(), DeviceLoop::kNever);
}

TEST(DeviceLoop, NotNewerIsIgnoredWithoutInstallAndNotTriedAgain) {
  FakePort port;
  port.runs = {true, Version{2, 0, 0, 0}};
  DeviceLoop loop(config(), port);
  loop.begin_session();
  loop.on_notification("demo 1.5.0", false);
  EXPECT_TRUE(port.installed.empty());
  EXPECT_TRUE(port.statuses.empty());  // nothing to do is not a failure
  EXPECT_FALSE(loop.retry_pending());
  port.now += 3'600'000;
  loop.on_tick();
  loop.on_notification("demo 1.5.0", false);
  EXPECT_TRUE(port.installed.empty());
}

TEST_F(DeviceLoopTest, PolicyRefusalHasAReasonAndIsNotRetried) {
  loop.on_notification("other 2.0.0", false);
  ASSERT_EQ(port.statuses.size(), 1u);
  EXPECT_EQ(port.statuses[0], "refuse policy-refused: release is for another product");
  loop.on_notification("demo 2.0.0 unsigned", false);
  EXPECT_EQ(port.statuses[1].rfind("refuse policy-unsigned: ", 0), 0u) << port.statuses[1];
  ASSERT_EQ(port.statuses.size(), 2u);
  loop.on_notification("demo 2.0.1 badsig", false);
  ASSERT_EQ(port.statuses.size(), 3u);
  EXPECT_EQ(port.statuses[2], "refuse bad-signature: signature does not verify");
  loop.on_notification("demo 2.0.1 badsig", false);
  EXPECT_EQ(port.statuses.size(), 3u);  // tried once, not again
  EXPECT_TRUE(port.installed.empty());
  EXPECT_FALSE(loop.retry_pending());
}

TEST_F(DeviceLoopTest, MalformedNotificationKeepsTheLastRelease) {
  loop.on_notification("demo 2.0.0", false);
  loop.on_notification("garbage", false);
  EXPECT_EQ(port.statuses.back(), "error bad-notification: release notification: not a manifest");
  ASSERT_NE(loop.latest(), nullptr);
  EXPECT_EQ(loop.latest()->version, (Version{2, 0, 0, 0}));
}

TEST_F(DeviceLoopTest, LegacyMessageNeedsUnsignedReleases) {
  loop.on_notification(R"({"url":"x","crc":"1234"})", true);
  EXPECT_EQ(port.statuses.back(),
            "error unsigned: seed-000 message ignored: the configuration requires signed releases");
  EXPECT_EQ(loop.latest(), nullptr);
  LoopConfig c = config();
  c.policy.allow_unsigned = true;
  DeviceLoop open_loop(c, port);
  open_loop.begin_session();
  open_loop.on_notification(R"({"url":"x","crc":"1234"})", true);
  ASSERT_EQ(port.installed.size(), 1u);  // the image header names the version later
}

TEST_F(DeviceLoopTest, DeviceSideFailureRetriesWithBackoffDoublingToTheCap) {
  for (int i = 0; i < 6; ++i) port.outcomes.push_back(failed(update::FailReason::kWriteFailed));
  loop.on_notification("demo 2.0.0", false);
  EXPECT_EQ(port.restarts, 1);  // out of the bootloader after a failure before the reboot
  std::vector<uint32_t> delays;
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(loop.retry_pending());
    delays.push_back(loop.retry_delay_ms());
    ASSERT_EQ(loop.next_due_ms(), port.now + loop.retry_delay_ms());
    port.now += loop.retry_delay_ms() - 1;
    loop.on_tick();  // not due yet
    EXPECT_EQ(port.installed.size(), static_cast<size_t>(i + 1));
    port.now += 1;
    loop.on_tick();
  }
  EXPECT_EQ(delays, (std::vector<uint32_t>{1000, 2000, 4000, 8000, 8000, 8000}));
  // The 7th attempt succeeded: no retry, and the backoff starts again from the first delay.
  EXPECT_EQ(port.installed.size(), 7u);
  EXPECT_FALSE(loop.retry_pending());
  port.outcomes.push_back(failed(update::FailReason::kNoDevice));
  loop.on_notification("demo 3.0.0", false);
  EXPECT_EQ(loop.retry_delay_ms(), 1000u);
}

TEST_F(DeviceLoopTest, ReleaseFailureIsNotRetried) {
  port.outcomes.push_back(failed(update::FailReason::kPayloadMismatch));
  loop.on_notification("demo 2.0.0", false);
  EXPECT_FALSE(loop.retry_pending());
  loop.on_notification("demo 2.0.0", false);
  EXPECT_EQ(port.installed.size(), 1u);
  // A check command tries it again.
  loop.on_command(R"({"command":"check"})");
  EXPECT_EQ(port.installed.size(), 2u);
}

TEST_F(DeviceLoopTest, NoRetryWhileStopping) {
  port.stop = true;
  port.outcomes.push_back(failed(update::FailReason::kNoDevice));
  loop.on_notification("demo 2.0.0", false);
  EXPECT_EQ(port.installed.size(), 1u);  // it was tried and failed...
  EXPECT_FALSE(loop.retry_pending());    // ...and is not tried again while stopping
  EXPECT_EQ(loop.next_due_ms(), DeviceLoop::kNever);
}

TEST_F(DeviceLoopTest, CancelledUpdateIsTakenUpByTheSameNotification) {
  port.outcomes.push_back(failed(update::FailReason::kCancelled));
  loop.on_notification("demo 2.0.0", false);
  loop.on_notification("demo 2.0.0", false);
  EXPECT_EQ(port.installed.size(), 2u);
}

TEST_F(DeviceLoopTest, RevertedReleaseIsNotRetriedUntilANewOne) {
  port.outcomes.push_back(reverted());
  loop.on_notification("demo 2.0.0", false);
  ASSERT_EQ(port.remembered, std::vector<std::string>{
                                 "demo 2.0.0+0 https://h/fw/2.0.0-A.img https://h/fw/2.0.0-B.img"});
  loop.on_notification("demo 2.0.0", false);
  loop.on_command(R"({"command":"check"})");
  EXPECT_EQ(port.installed.size(), 1u);
  // A new session (agent restarted) with the persisted key: still not retried.
  DeviceLoop restarted(config(), port);
  restarted.begin_session();
  restarted.add_rejected(port.remembered[0]);
  restarted.on_notification("demo 2.0.0", false);
  EXPECT_EQ(port.installed.size(), 1u);
  // An explicit update command installs it.
  restarted.on_command(R"({"command":"update","version":"2.0.0"})");
  EXPECT_EQ(port.installed.size(), 2u);
  // A new release is installed.
  loop.on_notification("demo 2.0.1", false);
  EXPECT_EQ(port.installed.back(), "2.0.1 newer");
}

TEST(PointerStatus, ReadsTheAnswerToAConditionalRequest) {
  EXPECT_EQ(pointer_status(304, "", "\"e1\""), PollStatus::kUnchanged);
  EXPECT_EQ(pointer_status(304, "", ""), PollStatus::kUnchanged);
  // A server that ignores If-None-Match: the same ETag is no change.
  EXPECT_EQ(pointer_status(200, "\"e1\"", "\"e1\""), PollStatus::kUnchanged);
  EXPECT_EQ(pointer_status(200, "\"e2\"", "\"e1\""), PollStatus::kChanged);
  EXPECT_EQ(pointer_status(200, "\"e1\"", ""), PollStatus::kChanged);  // first poll
  EXPECT_EQ(pointer_status(200, "", ""), PollStatus::kChanged);        // no ETag: always read
  for (const int status : {0, 204, 206, 301, 403, 404, 412, 500, 503}) {
    EXPECT_EQ(pointer_status(status, "\"e1\"", "\"e1\""), PollStatus::kFailed) << status;
  }
}

// A port that keeps keys only (the ESP32's NVS blob): the reverted release, stored as its key in
// a RejectedList blob and fed to the next session's loop, is not retried either.
TEST_F(DeviceLoopTest, RevertedReleaseKeptAsAKeyIsNotRetriedAfterARestart) {
  port.outcomes.push_back(reverted());
  loop.on_notification("demo 2.0.0", false);
  ASSERT_EQ(port.remembered.size(), 1u);
  RejectedList stored("0123456789ABCDEF01234567");
  ASSERT_TRUE(stored.add(release_key(port.remembered[0])));

  RejectedList loaded("0123456789ABCDEF01234567");
  ASSERT_EQ(loaded.load(stored.blob()), RejectedLoad::kLoaded);
  DeviceLoop restarted(config(), port);
  restarted.begin_session();
  loaded.feed(restarted);
  restarted.on_notification("demo 2.0.0", false);
  EXPECT_EQ(port.installed.size(), 1u);
  // Without the list, the same notification is installed again.
  DeviceLoop forgetful(config(), port);
  forgetful.begin_session();
  forgetful.on_notification("demo 2.0.0", false);
  EXPECT_EQ(port.installed.size(), 2u);
}

TEST(DeviceLoop, UpdateCommandFollowsTheDowngradeRules) {
  FakePort port;
  port.runs = {true, Version{3, 0, 0, 0}};
  DeviceLoop strict(config(false), port);
  strict.begin_session();
  strict.on_notification("demo 2.0.0", false);  // older: nothing to do
  EXPECT_TRUE(port.installed.empty());
  strict.on_command(R"({"command":"update","version":"2.0.0"})");
  EXPECT_TRUE(port.installed.empty());
  EXPECT_EQ(port.statuses.back(),
            "refuse policy-refused: downgrade requested but the configuration forbids downgrades")
      << port.statuses.back();
  // Another version than the channel offers.
  strict.on_command(R"({"command":"update","version":"2.5.0"})");
  EXPECT_EQ(port.statuses.back(),
            "error unknown-version: update to 2.5.0: not the release the channel offers (2.0.0+0)");

  DeviceLoop lenient(config(true), port);
  lenient.begin_session();
  lenient.on_command(R"({"command":"update","version":"2.0.0"})");
  EXPECT_EQ(port.statuses.back(),
            "error unknown-version: update to 2.0.0: not the release the channel offers (none "
            "known)");
  lenient.on_notification("demo 2.0.0", false);
  EXPECT_TRUE(port.installed.empty());
  lenient.on_command(R"({"command":"update","version":"2.0.0"})");
  EXPECT_EQ(port.installed, std::vector<std::string>{"2.0.0 any"});
}

TEST_F(DeviceLoopTest, CommandsReportAndRefuseMalformedOnes) {
  loop.on_command(R"({"command":"report"})");
  EXPECT_EQ(port.statuses, std::vector<std::string>{"publish"});
  loop.on_command(R"({"command":"reboot"})");
  EXPECT_EQ(port.statuses.back().rfind("error bad-command: command: ", 0), 0u)
      << port.statuses.back();
}

TEST(DeviceLoop, PollingUsesTheEtagAndDoesNothingWhenUnchanged) {
  FakePort port;
  LoopConfig c = config();
  c.poll = true;
  c.poll_interval_ms = 60'000;
  c.poll_jitter_ms = 5'000;
  DeviceLoop loop(c, port);
  loop.begin_session();
  EXPECT_EQ(loop.next_due_ms(), port.now);  // at once
  port.next_poll = {PollStatus::kChanged, "\"e1\"", "demo 2.0.0", ""};
  port.outcomes.push_back(failed(update::FailReason::kSourceFailed));  // not retried by itself
  loop.on_tick();
  EXPECT_EQ(port.polled, std::vector<std::string>{""});
  EXPECT_EQ(port.installed.size(), 1u);
  const uint64_t due = loop.next_due_ms();
  EXPECT_GE(due, port.now + 60'000);
  EXPECT_LT(due, port.now + 65'000);
  port.now = due;
  port.next_poll = {PollStatus::kUnchanged, "", "", ""};
  const size_t statuses = port.statuses.size();
  loop.on_tick();
  EXPECT_EQ(port.polled.back(), "\"e1\"");
  EXPECT_EQ(port.installed.size(), 1u);
  EXPECT_EQ(port.statuses.size(), statuses);  // nothing reported
  // A failed poll is reported; a check command polls without the ETag and retries the release.
  port.now = loop.next_due_ms();
  port.next_poll = {PollStatus::kFailed, "", "", "GET http://h/ptr: HTTP 500"};
  loop.on_tick();
  EXPECT_EQ(port.statuses.back(), "error poll: GET http://h/ptr: HTTP 500");
  port.next_poll = {PollStatus::kChanged, "\"e1\"", "demo 2.0.0", ""};
  loop.on_command(R"({"command":"check"})");
  EXPECT_EQ(port.polled.back(), "");
  EXPECT_EQ(port.installed.size(), 2u);  // forced: tried again although handled
}

TEST_F(DeviceLoopTest, NotNewerFromTheEngineReidentifies) {
  port.outcomes.push_back(failed(update::FailReason::kNotNewer));
  loop.on_notification("demo 2.0.0", false);
  EXPECT_EQ(port.reidentified, 1);
  EXPECT_FALSE(loop.retry_pending());
}

TEST(DeviceLoop, ReleaseKeyText) {
  Notice n;
  n.legacy = true;
  set_text(n.url[0], "http://h/a.bin");
  n.crc = 0xDEADBEEF;
  std::array<char, 64> text{};
  const size_t size = write_release_key(n, text);
  EXPECT_EQ(std::string(text.data(), size), "legacy http://h/a.bin 3735928559");
  EXPECT_EQ(release_key(n), release_key(std::string_view(text.data(), size)));
  std::array<char, 8> small{};
  EXPECT_EQ(write_release_key(n, small), 7u);  // cut to fit, NUL-terminated
  EXPECT_EQ(std::string(small.data()), "legacy ");
}

}  // namespace
}  // namespace fota::agent
