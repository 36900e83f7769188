// SPDX-License-Identifier: Apache-2.0
#include "qemu_run.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <vector>

namespace vstm32_test {

QemuResult run_qemu_until(const std::string& qemu, const std::filesystem::path& image,
                          std::string_view until, int deadline_ms) {
  QemuResult result;
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return result;
  std::vector<std::string> args = {qemu,
                                   "-M",
                                   "netduinoplus2",
                                   "-nographic",
                                   "-monitor",
                                   "none",
                                   "-serial",
                                   "stdio",
                                   "-device",
                                   "loader,file=" + image.string() + ",addr=0x08000000"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(out[0]);
    ::close(out[1]);
    return result;
  }
  if (pid == 0) {
    // Child: stdin from /dev/null, stdout and stderr into the pipe.
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd < 0 || ::dup2(null_fd, 0) < 0 || ::dup2(out[1], 1) < 0 || ::dup2(out[1], 2) < 0) {
      ::_exit(127);
    }
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(out[1]);
  result.started = true;
  std::string text;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(deadline_ms);
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{out[0], POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;
    char buf[4096];
    const ssize_t n = ::read(out[0], buf, sizeof buf);
    if (n <= 0) break;  // QEMU exited
    for (ssize_t i = 0; i < n; ++i) {
      if (buf[i] != '\r') text.push_back(buf[i]);
    }
    const size_t at = text.find(until);
    if (at != std::string::npos) {
      result.found = true;
      result.serial = text.substr(0, at + until.size());
      result.rest = text.substr(at + until.size());
      break;
    }
  }
  if (!result.found) result.rest = text;
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(out[0]);
  return result;
}

}  // namespace vstm32_test
