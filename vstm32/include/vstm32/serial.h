// SPDX-License-Identifier: Apache-2.0
// The host side of the virtual USART1: a pseudo-terminal with a stable symlink (what a normal
// serial program opens), an optional TCP port on 127.0.0.1, the wire model (byte time from the
// baud rate and frame size) and bit-error injection. Linux only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "status/expected.h"

namespace vstm32 {

// A pty master whose slave is reachable through `link` (a symlink we create and remove).
class PtyPort {
 public:
  // Fails when `link` exists and is not a stale link of ours (a dangling symlink into /dev/pts),
  // or when no pty can be allocated.
  static fota::Expected<std::unique_ptr<PtyPort>> open(const std::filesystem::path& link);
  ~PtyPort();
  PtyPort(const PtyPort&) = delete;
  PtyPort& operator=(const PtyPort&) = delete;

  int fd() const { return master_fd_; }  // poll for POLLIN
  const std::string& slave_name() const { return slave_name_; }
  const std::filesystem::path& link() const { return link_; }

  // Bytes the serial program wrote (non-blocking; empty when none).
  std::vector<uint8_t> read_available();
  // Bytes for the serial program; what does not fit in the pty buffer is dropped (a UART with
  // nobody listening). Returns the number of bytes dropped.
  size_t write(std::span<const uint8_t> bytes);
  // Baud rate the serial program set on its end (termios), 0 if unknown.
  uint32_t baud() const;

 private:
  PtyPort() = default;
  int master_fd_ = -1;
  int slave_fd_ = -1;  // kept open so the master never sees a hang-up between clients
  std::string slave_name_;
  std::filesystem::path link_;
};

// One TCP client at a time on 127.0.0.1:port; a new client replaces the previous one.
class TcpPort {
 public:
  // port 0 picks a free port (see port()).
  static fota::Expected<std::unique_ptr<TcpPort>> open(uint16_t port);
  ~TcpPort();
  TcpPort(const TcpPort&) = delete;
  TcpPort& operator=(const TcpPort&) = delete;

  uint16_t port() const { return port_; }
  int listen_fd() const { return listen_fd_; }
  int client_fd() const { return client_fd_; }  // -1 when nobody is connected
  void accept_client();
  std::vector<uint8_t> read_available();  // closes the client on EOF/error
  void write(std::span<const uint8_t> bytes);
  void drop_client();  // closes the connection (the client sees its end)

 private:
  TcpPort() = default;
  int listen_fd_ = -1;
  int client_fd_ = -1;
  uint16_t port_ = 0;
};

// Flips bits independently with probability `rate` per bit (the 8 data bits of each byte),
// reproducibly from `seed`. Rate 0 leaves every byte intact.
class BitErrorInjector {
 public:
  void configure(double rate, uint64_t seed);
  double rate() const { return rate_; }
  uint8_t apply(uint8_t byte);
  uint64_t bits_flipped() const { return bits_flipped_; }
  uint64_t bytes_corrupted() const { return bytes_corrupted_; }

 private:
  void draw_gap();
  double rate_ = 0.0;
  std::mt19937_64 rng_;
  uint64_t gap_ = 0;  // clean bits before the next flipped one
  uint64_t bits_flipped_ = 0;
  uint64_t bytes_corrupted_ = 0;
};

// Serialises bytes on one direction of the line: a byte starts when the previous one ended.
class WireLine {
 public:
  // Time one byte of `bits_per_byte` bits (start + data + parity + stop) takes at `baud`.
  static uint64_t byte_ns(uint32_t baud, unsigned bits_per_byte) {
    return baud == 0 ? 0 : (uint64_t{bits_per_byte} * 1'000'000'000ull + baud / 2) / baud;
  }
  // A byte ready to leave at `ready_ns`: returns the time its stop bit ends.
  uint64_t send(uint64_t ready_ns, uint32_t baud, unsigned bits_per_byte) {
    const uint64_t start = ready_ns > free_at_ns_ ? ready_ns : free_at_ns_;
    free_at_ns_ = start + byte_ns(baud, bits_per_byte);
    return free_at_ns_;
  }
  void reset(uint64_t now_ns) { free_at_ns_ = now_ns; }
  uint64_t free_at_ns() const { return free_at_ns_; }

 private:
  uint64_t free_at_ns_ = 0;
};

}  // namespace vstm32
