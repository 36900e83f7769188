// SPDX-License-Identifier: Apache-2.0
// The control socket: line parsing, and a real Unix socket served in a thread.
#include "vstm32/control.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "test_dir.h"

namespace vstm32 {
namespace {

using Kind = ControlCommand::Kind;

ControlCommand parse_ok(std::string_view line) {
  const auto r = parse_control_line(line);
  if (!r) {
    ADD_FAILURE() << "'" << line << "' -> error " << r.error();
    return {};
  }
  return *r;
}

std::string parse_error(std::string_view line) {
  const auto r = parse_control_line(line);
  if (r) {
    ADD_FAILURE() << "'" << line << "' parsed but should not";
    return {};
  }
  return r.error();
}

TEST(ControlParse, EveryCommand) {
  EXPECT_EQ(parse_ok("boot0 1").kind, Kind::kBoot0);
  EXPECT_TRUE(parse_ok("boot0 1").flag);
  EXPECT_FALSE(parse_ok("boot0 0").flag);
  EXPECT_TRUE(parse_ok("nrst low").flag);
  EXPECT_FALSE(parse_ok("nrst high").flag);
  EXPECT_EQ(parse_ok("reset").kind, Kind::kReset);
  EXPECT_TRUE(parse_ok("power on").flag);
  EXPECT_FALSE(parse_ok("power off").flag);
  EXPECT_EQ(parse_ok("status").kind, Kind::kStatus);
  EXPECT_EQ(parse_ok("events\r").kind, Kind::kEvents);
  EXPECT_EQ(parse_ok("quit").kind, Kind::kQuit);
  ControlCommand c = parse_ok("cut instructions 123456789012");
  EXPECT_EQ(c.kind, Kind::kCutInstructions);
  EXPECT_EQ(c.count, 123456789012u);
  c = parse_ok("cut flash-step 7");
  EXPECT_EQ(c.kind, Kind::kCutFlashStep);
  EXPECT_EQ(c.count, 7u);
  EXPECT_DOUBLE_EQ(c.fraction, 0.5);
  c = parse_ok("  cut   flash-step 3 0.25 ");
  EXPECT_EQ(c.count, 3u);
  EXPECT_DOUBLE_EQ(c.fraction, 0.25);
  c = parse_ok("cut random 0x2a");
  EXPECT_EQ(c.kind, Kind::kCutRandom);
  EXPECT_EQ(c.seed, 42u);
  EXPECT_EQ(c.window_ms, 1000u);  // defaults
  EXPECT_EQ(c.flash_ops, 4096u);
  c = parse_ok("cut random 7 3000 2700");
  EXPECT_EQ(c.kind, Kind::kCutRandom);
  EXPECT_EQ(c.seed, 7u);
  EXPECT_EQ(c.window_ms, 3000u);
  EXPECT_EQ(c.flash_ops, 2700u);
  c = parse_ok("cut random 7 50");
  EXPECT_EQ(c.window_ms, 50u);
  EXPECT_EQ(c.flash_ops, 4096u);
  EXPECT_EQ(parse_ok("cut cancel").kind, Kind::kCutCancel);
  c = parse_ok("ber 1e-4");
  EXPECT_EQ(c.kind, Kind::kBer);
  EXPECT_DOUBLE_EQ(c.rate, 1e-4);
  c = parse_ok("ber 0.5 99");
  EXPECT_EQ(c.seed, 99u);
}

TEST(ControlParse, ErrorsNameWhatIsWrong) {
  EXPECT_NE(parse_error("").find("empty"), std::string::npos);
  EXPECT_NE(parse_error("boot0 2").find("'2'"), std::string::npos);
  EXPECT_NE(parse_error("boot0").find("usage"), std::string::npos);
  EXPECT_NE(parse_error("nrst up").find("low or high"), std::string::npos);
  EXPECT_NE(parse_error("power maybe").find("on or off"), std::string::npos);
  EXPECT_NE(parse_error("reset now").find("no argument"), std::string::npos);
  EXPECT_NE(parse_error("ber 2").find("0 to 1"), std::string::npos);
  EXPECT_NE(parse_error("ber x").find("'x'"), std::string::npos);
  EXPECT_NE(parse_error("ber nan").find("'nan'"), std::string::npos);
  EXPECT_NE(parse_error("cut instructions -1").find("'-1'"), std::string::npos);
  EXPECT_NE(parse_error("cut flash-step 1 1.5").find("0 to 1"), std::string::npos);
  EXPECT_NE(parse_error("cut sometime 1").find("'sometime'"), std::string::npos);
  EXPECT_NE(parse_error("cut random 1 0").find("WINDOW_MS"), std::string::npos);
  EXPECT_NE(parse_error("cut random 1 9999999999").find("WINDOW_MS"), std::string::npos);
  EXPECT_NE(parse_error("cut random 1 10 x").find("FLASH_OPS"), std::string::npos);
  EXPECT_NE(parse_error("cut cancel now").find("| cut cancel"), std::string::npos);
  EXPECT_NE(parse_error("fly").find("unknown command 'fly'"), std::string::npos);
}

class RecordingTarget : public ControlTarget {
 public:
  std::vector<std::string> execute(const ControlCommand& command) override {
    kinds.push_back(command.kind);
    if (command.kind == Kind::kEvents) return {"reset cause=por", "led green on", "ok"};
    if (command.kind == Kind::kStatus) return {"ok power=on"};
    return {"ok"};
  }
  std::vector<Kind> kinds;
};

class ControlServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::fresh_test_dir("vstm32-ctl-");
    path_ = dir_ / "ctl";
  }
  void TearDown() override {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    server_.reset();
    std::filesystem::remove_all(dir_);
  }
  void start() {
    auto server = ControlServer::open(path_, target_);
    ASSERT_TRUE(server.ok()) << server.error();
    server_ = std::move(server).value();
    thread_ = std::thread([this] {
      while (!stop_ && !server_->quit_requested()) {
        std::vector<pollfd> fds;
        for (int fd : server_->fds()) fds.push_back({fd, POLLIN, 0});
        ::poll(fds.data(), fds.size(), 20);
        server_->service();
      }
    });
  }
  std::vector<std::string> request(std::string_view command) {
    auto r = control_request(path_, command, 5000);
    if (!r) {
      ADD_FAILURE() << r.error();
      return {};
    }
    return std::move(r).value();
  }

  std::filesystem::path dir_, path_;
  RecordingTarget target_;
  std::unique_ptr<ControlServer> server_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
};

TEST_F(ControlServerTest, RepliesOneLineOrEventsThenOk) {
  start();
  EXPECT_EQ(request("boot0 1"), std::vector<std::string>{"ok"});
  EXPECT_EQ(request("status"), std::vector<std::string>{"ok power=on"});
  EXPECT_EQ(request("events"), (std::vector<std::string>{"reset cause=por", "led green on", "ok"}));
  const auto bad = request("boot0 7");
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_EQ(bad[0].rfind("error ", 0), 0u) << bad[0];
  EXPECT_EQ(request("quit"), std::vector<std::string>{"ok"});
  thread_.join();
  EXPECT_TRUE(server_->quit_requested());
  EXPECT_EQ(target_.kinds,
            (std::vector<Kind>{Kind::kBoot0, Kind::kStatus, Kind::kEvents, Kind::kQuit}));
}

TEST_F(ControlServerTest, RefusesAnExistingPathButReplacesAStaleSocket) {
  { std::ofstream(path_) << "not a socket"; }
  const auto refused = ControlServer::open(path_, target_);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().find(path_.string()), std::string::npos) << refused.error();
  EXPECT_NE(refused.error().find("already exists"), std::string::npos) << refused.error();
  std::filesystem::remove(path_);
  {
    const auto first = ControlServer::open(path_, target_);
    ASSERT_TRUE(first.ok()) << first.error();
    // While it listens, a second server must not take the path.
    EXPECT_FALSE(ControlServer::open(path_, target_).ok());
  }
  EXPECT_FALSE(std::filesystem::exists(path_)) << "the socket file is removed on close";
}

TEST_F(ControlServerTest, ClientReportsAMissingServer) {
  const auto r = control_request(path_, "status", 200);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("cannot connect"), std::string::npos) << r.error();
}

}  // namespace
}  // namespace vstm32
