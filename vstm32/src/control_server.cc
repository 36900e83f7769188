// SPDX-License-Identifier: Apache-2.0
// The control socket server and a small blocking client.
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "free_path.h"
#include "vstm32/control.h"

namespace vstm32 {
namespace {

constexpr size_t kMaxLine = 1024;

fota::Expected<> make_address(const std::filesystem::path& path, sockaddr_un& addr) {
  addr = {};
  addr.sun_family = AF_UNIX;
  const std::string text = path.string();
  if (text.empty() || text.size() >= sizeof addr.sun_path) {
    return fota::fail("control socket path '" + text + "' is empty or longer than " +
                      std::to_string(sizeof addr.sun_path - 1) + " characters");
  }
  std::memcpy(addr.sun_path, text.c_str(), text.size() + 1);
  return {};
}

// A socket file nobody accepts on (left by a vstm32 that was killed).
bool stale_socket(const std::filesystem::path& path) {
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode)) return false;
  sockaddr_un addr;
  if (!make_address(path, addr).ok()) return false;
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const bool refused =
      ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno == ECONNREFUSED;
  ::close(fd);
  return refused;
}

}  // namespace

fota::Expected<std::unique_ptr<ControlServer>> ControlServer::open(
    const std::filesystem::path& path, ControlTarget& target) {
  sockaddr_un addr;
  FOTA_TRY_EXPECTED(make_address(path, addr));
  FOTA_TRY_EXPECTED(free_path(
      path, stale_socket,
      "control socket path " + path.string() +
          " already exists (another vstm32 running, or not a socket); choose another path"));
  std::unique_ptr<ControlServer> server(new ControlServer(target));
  server->listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (server->listen_fd_ < 0 ||
      ::bind(server->listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(server->listen_fd_, 8) != 0) {
    return fota::fail("cannot listen on control socket " + path.string() + ": " +
                      std::strerror(errno));
  }
  server->path_ = path;
  return server;
}

ControlServer::~ControlServer() {
  for (Client& c : clients_) ::close(c.fd);
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
}

std::vector<int> ControlServer::fds() const {
  std::vector<int> out = {listen_fd_};
  for (const Client& c : clients_) out.push_back(c.fd);
  return out;
}

bool ControlServer::send_all(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::send(fd, text.data() + done, text.size() - done, MSG_NOSIGNAL);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, 1000) <= 0) return false;  // a client that never reads is dropped
      continue;
    }
    return false;
  }
  return true;
}

void ControlServer::serve_line(Client& client, std::string_view line) {
  std::vector<std::string> reply;
  const fota::Expected<ControlCommand> parsed = parse_control_line(line);
  if (!parsed) {
    reply.push_back("error " + parsed.error());
  } else {
    const ControlCommand& command = *parsed;
    reply = target_.execute(command);
    if (reply.empty()) reply.push_back("error internal: no reply");
    if (command.kind == ControlCommand::Kind::kQuit) quit_ = true;
  }
  std::string text;
  for (const std::string& r : reply) text += r + "\n";
  if (!send_all(client.fd, text)) {
    ::close(client.fd);
    client.fd = -1;
  }
}

void ControlServer::service() {
  for (;;) {
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) break;
    clients_.push_back({fd, {}});
  }
  for (Client& client : clients_) {
    char chunk[512];
    for (;;) {
      if (client.fd < 0) break;
      const ssize_t n = ::recv(client.fd, chunk, sizeof chunk, 0);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        ::close(client.fd);
        client.fd = -1;
        break;
      }
      if (n < 0) break;
      client.pending.append(chunk, static_cast<size_t>(n));
      size_t newline;
      while (client.fd >= 0 && (newline = client.pending.find('\n')) != std::string::npos) {
        const std::string line = client.pending.substr(0, newline);
        client.pending.erase(0, newline + 1);
        serve_line(client, line);
      }
      if (client.fd >= 0 && client.pending.size() > kMaxLine) {
        send_all(client.fd, "error line longer than 1024 characters\n");
        client.pending.clear();
      }
    }
  }
  std::erase_if(clients_, [](const Client& c) { return c.fd < 0; });
}

fota::Expected<std::vector<std::string>> control_request(const std::filesystem::path& path,
                                                         std::string_view command, int timeout_ms) {
  sockaddr_un addr;
  FOTA_TRY_EXPECTED(make_address(path, addr));
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fota::fail(std::string("socket: ") + std::strerror(errno));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    fota::Failure failure = fota::fail("cannot connect to control socket " + path.string() + ": " +
                                       std::strerror(errno));
    ::close(fd);
    return failure;
  }
  std::string text(command);
  text += "\n";
  if (::send(fd, text.data(), text.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(text.size())) {
    ::close(fd);
    return fota::fail("cannot send to control socket " + path.string());
  }
  std::vector<std::string> lines;
  std::string pending;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    size_t newline;
    while ((newline = pending.find('\n')) != std::string::npos) {
      std::string line = pending.substr(0, newline);
      pending.erase(0, newline + 1);
      const bool last = line == "ok" || line.rfind("ok ", 0) == 0 || line.rfind("error", 0) == 0;
      lines.push_back(std::move(line));
      if (last) {
        ::close(fd);
        return lines;
      }
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    char chunk[512];
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) {
      ::close(fd);
      return fota::fail("control socket " + path.string() + " closed before the reply ended");
    }
    pending.append(chunk, static_cast<size_t>(n));
  }
  ::close(fd);
  return fota::fail("no reply from control socket " + path.string() + " within " +
                    std::to_string(timeout_ms) + " ms");
}

}  // namespace vstm32
