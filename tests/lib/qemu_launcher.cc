// SPDX-License-Identifier: Apache-2.0
#include "qemu_launcher.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

extern char** environ;

namespace fota::test_support {

namespace {

// Where the last of `expected` ends when they all appear in order in `text`; npos otherwise.
size_t end_of_all_in_order(const std::string& text, const std::vector<std::string>& expected) {
  size_t at = 0;
  for (const auto& e : expected) {
    const size_t found = text.find(e, at);
    if (found == std::string::npos) return std::string::npos;
    at = found + e.size();
  }
  return at;
}

}  // namespace

QemuRun run_qemu(const std::string& qemu, const std::filesystem::path& image,
                 const std::vector<std::string>& expected, int deadline_ms, int settle_ms) {
  QemuRun run;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return run;
  const std::string loader = "loader,file=" + image.string() + ",addr=0x08000000";
  std::vector<std::string> args = {qemu,   "-M",      "netduinoplus2", "-nographic", "-monitor",
                                   "none", "-serial", "stdio",         "-device",    loader};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    return run;
  }
  run.started = true;

  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(deadline_ms);
  bool settling = false;
  char buf[4096];
  while (!run.complete || settling) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0) break;  // the deadline, or the end of the settle time
    pollfd p{fds[0], POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    const ssize_t n = read(fds[0], buf, sizeof buf);
    if (n <= 0) break;  // qemu exited
    for (ssize_t i = 0; i < n; ++i) {
      if (buf[i] != '\r') run.output.push_back(buf[i]);
    }
    if (run.complete) continue;
    if (const size_t end = end_of_all_in_order(run.output, expected); end != std::string::npos) {
      run.complete = true;
      if (settle_ms > 0) {
        settling = true;
        deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(settle_ms);
      } else {
        run.output.resize(end);
      }
    }
  }
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  close(fds[0]);
  return run;
}

}  // namespace fota::test_support
