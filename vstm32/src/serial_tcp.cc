// SPDX-License-Identifier: Apache-2.0
// USART1 on a TCP port of 127.0.0.1 (never any other address).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "vstm32/serial.h"

namespace vstm32 {

fota::Expected<std::unique_ptr<TcpPort>> TcpPort::open(uint16_t port) {
  std::unique_ptr<TcpPort> tcp(new TcpPort());
  tcp->listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (tcp->listen_fd_ < 0) {
    return fota::fail(std::string("cannot create a TCP socket: ") + std::strerror(errno));
  }
  const int one = 1;
  setsockopt(tcp->listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(tcp->listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return fota::fail("cannot listen on 127.0.0.1:" + std::to_string(port) + ": " +
                      std::strerror(errno));
  }
  if (::listen(tcp->listen_fd_, 4) != 0) {
    return fota::fail(std::string("listen failed: ") + std::strerror(errno));
  }
  socklen_t len = sizeof addr;
  getsockname(tcp->listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  tcp->port_ = ntohs(addr.sin_port);
  return tcp;
}

TcpPort::~TcpPort() {
  drop_client();
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

void TcpPort::drop_client() {
  if (client_fd_ >= 0) ::close(client_fd_);
  client_fd_ = -1;
}

void TcpPort::accept_client() {
  const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0) return;
  drop_client();  // the newest client wins: a crashed tool must not lock the port
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  client_fd_ = fd;
}

std::vector<uint8_t> TcpPort::read_available() {
  std::vector<uint8_t> out;
  if (client_fd_ < 0) return out;
  uint8_t chunk[4096];
  for (;;) {
    const ssize_t n = ::recv(client_fd_, chunk, sizeof chunk, 0);
    if (n > 0) {
      out.insert(out.end(), chunk, chunk + n);
      continue;
    }
    if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) drop_client();
    break;
  }
  return out;
}

void TcpPort::write(std::span<const uint8_t> bytes) {
  size_t done = 0;
  while (client_fd_ >= 0 && done < bytes.size()) {
    const ssize_t n = ::send(client_fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n > 0) {
      done += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      // A client that does not read for a whole socket buffer is too slow for a UART: drop it.
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      drop_client();
    }
  }
}

}  // namespace vstm32
