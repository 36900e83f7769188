// SPDX-License-Identifier: Apache-2.0
#include "runner.h"

#include <poll.h>
#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "vstm32/control.h"
#include "vstm32/serial.h"

namespace vstm32::cli {
namespace {

// Simulated time one runner step may cover before it polls its file descriptors again.
constexpr uint64_t kMaxStepNs = 2'000'000;

// How long the device waits for an I2C master's next attempt after it refused the address.
constexpr int kI2cHoldMs = 20;

// The Discovery's user button: `button press` holds PA0 high this long.
constexpr uint64_t kButtonPressNs = 100'000'000;

const char* const kUartNames[] = {"", "USART1", "USART2", "USART3", "UART4", "UART5", "USART6"};

// A receiver sampling at a rate more than 4 % off the sender's misreads every byte (the stop
// bit lands in the wrong place): what such a line delivers is not the byte that was sent.
uint8_t garble(uint8_t byte) {
  return static_cast<uint8_t>((byte * 0x9Du) ^ 0xA5u);
}

bool rates_mismatch(uint32_t host_baud, uint32_t firmware_baud) {
  if (host_baud == 0 || firmware_baud == 0) return false;
  const double ratio = static_cast<double>(host_baud) / firmware_baud;
  return ratio < 0.96 || ratio > 1.04;
}

volatile sig_atomic_t g_stop = 0;
void on_signal(int) {
  g_stop = 1;
}

class Runner : public ControlTarget {
 public:
  Runner(Device& device, const RunOptions& options) : device_(device), options_(options) {}

  int run() {
    if (!options_.uart_link.empty()) {
      auto pty = PtyPort::open(options_.uart_link);
      if (!pty) return fail(pty.error());
      pty_ = std::move(pty).value();
    }
    if (options_.tcp_port >= 0) {
      auto tcp = TcpPort::open(static_cast<uint16_t>(options_.tcp_port));
      if (!tcp) return fail(tcp.error());
      tcp_ = std::move(tcp).value();
    }
    if (!options_.control_socket.empty()) {
      auto control = ControlServer::open(options_.control_socket, *this);
      if (!control) return fail(control.error());
      control_ = std::move(control).value();
    }
    if (!options_.uart_log.empty()) {
      uart_log_ = std::fopen(options_.uart_log.c_str(), "ab");
      if (uart_log_ == nullptr) {
        return fail("cannot open the USART1 log " + options_.uart_log.string() + ": " +
                    std::strerror(errno));
      }
    }
    if (pty_) pty_open_baud_ = pty_->baud();
    for (unsigned n = 2; n < options_.uart_endpoints.size(); ++n) {
      const std::string& where = options_.uart_endpoints[n];
      if (where.empty()) continue;
      ExtraPort port;
      port.number = n;
      if (where.rfind("tcp:", 0) == 0) {
        char* end = nullptr;
        const unsigned long tcp = std::strtoul(where.c_str() + 4, &end, 10);
        if (end == where.c_str() + 4 || *end != '\0' || tcp > 65535) {
          return fail(std::string("--uart") + std::to_string(n) + " '" + where +
                      "' is neither a path nor tcp:PORT");
        }
        auto opened = TcpPort::open(static_cast<uint16_t>(tcp));
        if (!opened) return fail(opened.error());
        port.tcp = std::move(opened).value();
      } else {
        auto opened = PtyPort::open(where);
        if (!opened) return fail(opened.error());
        port.pty = std::move(opened).value();
        port.pty_open_baud = port.pty->baud();
      }
      ports_.push_back(std::move(port));
    }
    if (!options_.i2c1_endpoint.empty()) {
      const std::string& where = options_.i2c1_endpoint;
      char* end = nullptr;
      const unsigned long tcp =
          where.rfind("tcp:", 0) == 0 ? std::strtoul(where.c_str() + 4, &end, 10) : 65536;
      if (tcp > 65535 || end == where.c_str() + 4 || *end != '\0') {
        return fail("--i2c1 '" + where + "' is not tcp:PORT");
      }
      auto i2c_port = TcpPort::open(static_cast<uint16_t>(tcp));
      if (!i2c_port) return fail("--i2c1: " + i2c_port.error());
      i2c_tcp_ = std::move(i2c_port).value();
      device_.i2c_set_speed_hz(options_.i2c_speed_hz);
    }
    if (options_.gdb_port >= 0) {
      DebugTarget* target = device_.debug_target();
      if (target == nullptr) return fail("--gdb: this device cannot be debugged");
      auto port = TcpPort::open(static_cast<uint16_t>(options_.gdb_port));
      if (!port) return fail("--gdb: " + port.error());
      gdb_ = std::make_unique<GdbServer>(std::move(port).value(), *target);
      target->halt();  // at the reset vector until the debugger says continue
    }
    configure_ber(options_.ber, options_.ber_seed);
    std::printf("vstm32: running (timing %s)", options_.realistic ? "realistic" : "fast");
    if (pty_) std::printf(", uart %s -> %s", pty_->link().c_str(), pty_->slave_name().c_str());
    if (tcp_) std::printf(", tcp 127.0.0.1:%u", tcp_->port());
    for (const ExtraPort& p : ports_) {
      if (p.pty) {
        std::printf(", uart%u %s -> %s", p.number, p.pty->link().c_str(),
                    p.pty->slave_name().c_str());
      }
      if (p.tcp) std::printf(", uart%u tcp 127.0.0.1:%u", p.number, p.tcp->port());
    }
    if (i2c_tcp_) {
      std::printf(", i2c1 tcp 127.0.0.1:%u (%u Hz)", i2c_tcp_->port(), options_.i2c_speed_hz);
    }
    if (control_) std::printf(", control %s", options_.control_socket.c_str());
    if (gdb_) std::printf(", gdb 127.0.0.1:%u (halted until a debugger continues)", gdb_->port());
    std::printf("\n");
    std::fflush(stdout);

    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    signal(SIGPIPE, SIG_IGN);

    wall_start_ = std::chrono::steady_clock::now();
    sim_start_ = device_.now_ns();
    while (!g_stop && !quit_) {
      step();
    }
    if (uart_log_ != nullptr) std::fclose(uart_log_);
    if (auto saved = device_.save(); !saved) return fail(saved.error());
    std::printf("vstm32: stopped, flash saved\n");
    return 0;
  }

  std::vector<std::string> execute(const ControlCommand& c) override {
    catch_up(device_.now_ns() + kMaxStepNs);
    using K = ControlCommand::Kind;
    auto result = [](const fota::Expected<void>& done) {
      return std::vector<std::string>{done ? "ok" : "error " + done.error()};
    };
    std::vector<std::string> reply;
    switch (c.kind) {
      case K::kBoot0: device_.set_boot0(c.flag); break;
      case K::kNrst:
        device_.set_nrst(c.flag);
        nrst_held_ = c.flag;
        if (!c.flag) released_nrst();
        break;
      case K::kReset:
        device_.pulse_nrst();
        nrst_held_ = false;
        released_nrst();
        break;
      case K::kPower: device_.set_power(c.flag); break;
      case K::kStatus: {
        char ber[64];
        std::snprintf(
            ber, sizeof ber, " ber=%g ber_bits=%llu", ber_rx_.rate(),
            static_cast<unsigned long long>(ber_rx_.bits_flipped() + ber_tx_.bits_flipped()));
        return {"ok " + device_.status() +
                " timing=" + (options_.realistic ? "realistic" : "fast") + ber + " rx_bytes=" +
                std::to_string(rx_count_) + " rx_held=" + std::to_string(held_rx_.size()) +
                " tx_bytes=" + std::to_string(tx_count_) +
                " tx_dropped=" + std::to_string(tx_dropped_)};
      }
      case K::kEvents:
        reply = device_.take_events();
        reply.push_back("ok");
        return reply;
      case K::kCutInstructions: return result(device_.cut_after_instructions(c.count));
      case K::kCutFlashStep: return result(device_.cut_at_flash_step(c.count, c.fraction));
      case K::kCutRandom:
        return result(device_.cut_random(c.seed, c.window_ms * 1'000'000, c.flash_ops));
      case K::kCutCancel: device_.cancel_cut(); break;
      case K::kBer: configure_ber(c.rate, c.seed); break;
      case K::kQuit: quit_ = true; break;
      case K::kPin:
        if (!device_.set_pin(c.port, c.pin, c.flag)) return {"error no such pin"};
        break;
      case K::kButton:
        device_.set_pin(0, 0, c.count != 2);
        button_release_ns_.reset();
        if (c.count == 0) button_release_ns_ = device_.now_ns() + kButtonPressNs;
        break;
    }
    collect_tx();
    return {"ok"};
  }

 private:
  int fail(const std::string& error) {
    std::fprintf(stderr, "vstm32: error: %s\n", error.c_str());
    return 1;
  }

  void configure_ber(double rate, uint64_t seed) {
    ber_rx_.configure(rate, seed);
    ber_tx_.configure(rate, seed ^ 0x9E37'79B9'7F4A'7C15ull);
  }

  uint64_t wall_sim_ns() const {
    const auto elapsed = std::chrono::steady_clock::now() - wall_start_;
    return sim_start_ + static_cast<uint64_t>(
                            std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count());
  }

  // Realistic timing: simulated time follows the wall clock even when nothing is due: all the
  // way for an idle device, at most up to `busy_limit` for a busy one (a slice at a time).
  void catch_up(uint64_t busy_limit) {
    if (!options_.realistic) return;
    const uint64_t target =
        device_.next_event_ns() ? std::min(wall_sim_ns(), busy_limit) : wall_sim_ns();
    if (target > device_.now_ns()) device_.advance_to(target);
  }

  uint32_t baud() const {
    const uint32_t b = pty_ ? pty_->baud() : 0;
    return b != 0 ? b : options_.default_baud;
  }

  struct ExtraPort {
    unsigned number = 0;
    std::unique_ptr<PtyPort> pty;
    std::unique_ptr<TcpPort> tcp;
    uint32_t pty_open_baud = 0;
    WireLine rx_line, tx_line;
    std::deque<TimedByte> rx_queue, tx_queue;
    bool warned = false;
  };

  // The host side's rate when the host chose one: a pty client that set a rate different from
  // the pty's initial one, a TCP client at --baud. 0: not known (taken to match the firmware).
  static uint32_t host_baud(const PtyPort* pty, uint32_t pty_open_baud, bool tcp,
                            const RunOptions& options) {
    if (pty != nullptr) {
      const uint32_t b = pty->baud();
      if (b != 0 && b != pty_open_baud) return b;
    }
    if (tcp && options.baud_given) return options.default_baud;
    return 0;
  }

  // firmware: the rate the byte was sent with (0: the port's current rate).
  bool port_garbled(unsigned port, uint32_t host, bool& warned, uint32_t firmware = 0) {
    if (firmware == 0) firmware = device_.firmware_baud(port);
    if (!rates_mismatch(host, firmware)) return false;
    if (!warned) {
      warned = true;
      std::fprintf(stderr,
                   "vstm32: warning: %s runs at %u baud, its host side at %u: every byte is "
                   "garbled, as on a real line\n",
                   kUartNames[port], firmware, host);
    }
    return true;
  }

  bool usart1_garbled() {
    return port_garbled(1, host_baud(pty_.get(), pty_open_baud_, tcp_ != nullptr, options_),
                        usart1_warned_);
  }

  void collect_tx() {
    for (const TimedByte& b : device_.take_tx()) {
      const uint64_t done = tx_line_.send(b.at_ns, baud(), device_.bits_per_byte());
      tx_queue_.push_back({ber_tx_.apply(b.byte), done});
      // Judged at the rate the firmware sent it with: a reply sent just before a reset must not
      // be garbled by the rate after it.
      tx_garbled_.push_back(
          port_garbled(1, host_baud(pty_.get(), pty_open_baud_, tcp_ != nullptr, options_),
                       usart1_warned_, b.baud));
    }
    for (ExtraPort& p : ports_) {
      const uint32_t fw = device_.firmware_baud(p.number);
      for (const TimedByte& b : device_.take_tx(p.number)) {
        const uint64_t done = p.tx_line.send(b.at_ns, fw != 0 ? fw : options_.default_baud,
                                             device_.bits_per_byte(p.number));
        p.tx_queue.push_back({b.byte, done});
      }
    }
  }

  std::optional<uint64_t> next_time() const {
    std::optional<uint64_t> t = device_.next_event_ns();
    auto consider = [&](uint64_t v) { t = t ? std::min(*t, v) : v; };
    if (!rx_queue_.empty()) consider(rx_queue_.front().at_ns);
    if (!tx_queue_.empty()) consider(tx_queue_.front().at_ns);
    for (const ExtraPort& p : ports_) {
      if (!p.rx_queue.empty()) consider(p.rx_queue.front().at_ns);
      if (!p.tx_queue.empty()) consider(p.tx_queue.front().at_ns);
    }
    if (button_release_ns_) consider(*button_release_ns_);
    return t;
  }

  // `garbled`: the rates differed when the firmware sent the byte (a byte sent just before a
  // reset or a rate change left the chip at the rate of its time).
  void deliver(uint8_t byte, bool garbled) {
    ++tx_count_;
    if (uart_log_ != nullptr) {
      std::fputc(byte, uart_log_);
      if (byte == '\n') std::fflush(uart_log_);
    }
    if (garbled) byte = garble(byte);
    if (pty_) tx_dropped_ += pty_->write({&byte, 1});
    if (tcp_) tcp_->write({&byte, 1});
  }

  void deliver(ExtraPort& p, uint8_t byte) {
    if (port_garbled(p.number, host_baud(p.pty.get(), p.pty_open_baud, p.tcp != nullptr, options_),
                     p.warned)) {
      byte = garble(byte);
    }
    if (p.pty) p.pty->write({&byte, 1});
    if (p.tcp) p.tcp->write({&byte, 1});
  }

  void host_bytes(ExtraPort& p, const std::vector<uint8_t>& bytes) {
    const uint64_t base =
        options_.realistic ? std::max(wall_sim_ns(), device_.now_ns()) : device_.now_ns();
    const uint32_t fw = device_.firmware_baud(p.number);
    const bool garbled = port_garbled(
        p.number, host_baud(p.pty.get(), p.pty_open_baud, p.tcp != nullptr, options_), p.warned);
    for (uint8_t b : bytes) {
      const uint64_t arrival = p.rx_line.send(base, fw != 0 ? fw : options_.default_baud,
                                              device_.bits_per_byte(p.number));
      p.rx_queue.push_back({garbled ? garble(b) : b, arrival});
    }
  }

  // The earliest due item of the extra ports at or before `t`: runs it and returns true.
  bool run_extra_port_item(uint64_t t) {
    for (ExtraPort& p : ports_) {
      if (!p.tx_queue.empty() && p.tx_queue.front().at_ns <= t) {
        device_.advance_to(std::max(t, device_.now_ns()));
        deliver(p, p.tx_queue.front().byte);
        p.tx_queue.pop_front();
        return true;
      }
      if (!p.rx_queue.empty() && p.rx_queue.front().at_ns <= t) {
        const TimedByte b = p.rx_queue.front();
        p.rx_queue.pop_front();
        device_.rx_byte(p.number, b.byte, std::max(t, device_.now_ns()));
        return true;
      }
    }
    return false;
  }

  // After NRST went high (a release or a pulse): the I2C master waits for the firmware, and the
  // USART1 bytes held meanwhile go on the line.
  void released_nrst() {
    hold_for_i2c_master();
    host_bytes(std::exchange(held_rx_, {}));
  }

  void host_bytes(const std::vector<uint8_t>& bytes) {
    // Fast timing has no wire clock shared with the host: bytes it writes while it holds NRST
    // low (a native wake-up queues its sync bytes before the release) go on the line when NRST
    // is released, whenever the two channels are read. Realistic timing loses them, as silicon.
    if (nrst_held_ && !options_.realistic) {
      held_rx_.insert(held_rx_.end(), bytes.begin(), bytes.end());
      return;
    }
    const uint64_t base =
        options_.realistic ? std::max(wall_sim_ns(), device_.now_ns()) : device_.now_ns();
    for (uint8_t b : bytes) {
      ++rx_count_;
      const uint64_t arrival = rx_line_.send(base, baud(), device_.bits_per_byte());
      const uint8_t sent = ber_rx_.apply(b);
      rx_queue_.push_back({usart1_garbled() ? garble(sent) : sent, arrival});
    }
  }

  // Runs everything due up to the wall clock (realistic) or without waiting (fast), but at most
  // kMaxStepNs of simulated time per call, so that a running CPU cannot starve the pty and the
  // control socket.
  void process_due() {
    if (device_.halted()) return;  // a debugger holds the core: time stands still
    const uint64_t step_end = device_.now_ns() + kMaxStepNs;
    for (bool first = true; !device_.halted(); first = false) {
      const uint64_t limit = options_.realistic ? std::min(wall_sim_ns(), step_end) : step_end;
      const std::optional<uint64_t> t = next_time();
      // Fast timing never waits: the first due thing is taken however far away it is.
      if (!t || (*t > limit && (options_.realistic || !first))) break;
      const uint64_t when = std::max(*t, device_.now_ns());
      if (!tx_queue_.empty() && tx_queue_.front().at_ns <= *t) {
        device_.advance_to(when);
        deliver(tx_queue_.front().byte, tx_garbled_.front());
        tx_queue_.pop_front();
        tx_garbled_.pop_front();
      } else if (!rx_queue_.empty() && rx_queue_.front().at_ns <= *t) {
        const TimedByte b = rx_queue_.front();
        rx_queue_.pop_front();
        device_.rx_byte(b.byte, when);
      } else if (run_extra_port_item(*t)) {
      } else if (button_release_ns_ && *button_release_ns_ <= *t) {
        device_.advance_to(when);
        device_.set_pin(0, 0, false);
        button_release_ns_.reset();
      } else {
        device_.advance_to(when);
      }
      collect_tx();
    }
    if (!device_.halted()) catch_up(step_end);
    collect_tx();
  }

  void step() {
    std::vector<pollfd> fds;
    if (pty_) fds.push_back({pty_->fd(), POLLIN, 0});
    if (tcp_) {
      fds.push_back({tcp_->listen_fd(), POLLIN, 0});
      if (tcp_->client_fd() >= 0) fds.push_back({tcp_->client_fd(), POLLIN, 0});
    }
    if (control_) {
      for (int fd : control_->fds()) fds.push_back({fd, POLLIN, 0});
    }
    if (i2c_tcp_) {
      fds.push_back({i2c_tcp_->listen_fd(), POLLIN, 0});
      if (i2c_tcp_->client_fd() >= 0) fds.push_back({i2c_tcp_->client_fd(), POLLIN, 0});
    }
    if (gdb_) {
      for (int fd : gdb_->fds()) fds.push_back({fd, POLLIN, 0});
    }
    for (const ExtraPort& p : ports_) {
      if (p.pty) fds.push_back({p.pty->fd(), POLLIN, 0});
      if (p.tcp) {
        fds.push_back({p.tcp->listen_fd(), POLLIN, 0});
        if (p.tcp->client_fd() >= 0) fds.push_back({p.tcp->client_fd(), POLLIN, 0});
      }
    }
    // Wait for input or until the next thing is due, to the microsecond (a whole-millisecond
    // poll() would deliver every ROM answer up to 1 ms late); 200 ms at most, which also bounds
    // how late a signal is noticed.
    uint64_t wait_ns = i2c_hold_until_ ? 1'000'000 : 200'000'000;
    const bool halted = device_.halted();
    if (const auto t = next_time(); t && !i2c_hold_until_ && !halted) {
      if (!options_.realistic) {
        wait_ns = 0;
      } else {
        const uint64_t now = wall_sim_ns();
        wait_ns = *t <= now ? 0 : std::min<uint64_t>(wait_ns, *t - now);
      }
    }
    const timespec timeout{static_cast<time_t>(wait_ns / 1'000'000'000),
                           static_cast<long>(wait_ns % 1'000'000'000)};
    ::ppoll(fds.data(), fds.size(), &timeout, nullptr);
    if (pty_) host_bytes(pty_->read_available());
    if (tcp_) {
      tcp_->accept_client();
      host_bytes(tcp_->read_available());
    }
    for (ExtraPort& p : ports_) {
      if (p.pty) host_bytes(p, p.pty->read_available());
      if (p.tcp) {
        p.tcp->accept_client();
        host_bytes(p, p.tcp->read_available());
      }
    }
    if (control_) {
      control_->service();
      if (control_->quit_requested()) quit_ = true;
    }
    if (i2c_tcp_) i2c_requests();
    if (gdb_) gdb_->service();
    if (halted && !device_.halted()) {
      // Resumed by the debugger: realistic timing paces from here (the halt took no time).
      wall_start_ = std::chrono::steady_clock::now();
      sim_start_ = device_.now_ns();
    }
    // A master retrying a refused address is held in step with the device (see i2c_requests).
    if (i2c_hold_until_ && std::chrono::steady_clock::now() < *i2c_hold_until_) return;
    i2c_hold_until_.reset();
    process_due();
    if (gdb_) gdb_->service();  // a breakpoint hit in this step: the stop reply goes now
  }

  // Out of reset with an I2C master connected: the device waits for the master's first attempt
  // (it may be aiming at the listening window right after the reset).
  void hold_for_i2c_master() {
    if (i2c_tcp_ && i2c_tcp_->client_fd() >= 0) {
      i2c_hold_until_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(kI2cHoldMs);
    }
  }

  // I2C1 master transactions from the TCP client (vstm32/i2c_bus.h framing), each run on the
  // device at once (realistic timing: from the wall clock on) and answered when it ended.
  void i2c_requests() {
    i2c_tcp_->accept_client();
    if (i2c_tcp_->client_fd() != i2c_client_fd_) {  // a new client (or none) starts afresh
      drop_incomplete_i2c_request();
      i2c_client_fd_ = i2c_tcp_->client_fd();
    }
    const std::vector<uint8_t> bytes = i2c_tcp_->read_available();
    i2c_in_.insert(i2c_in_.end(), bytes.begin(), bytes.end());
    while (i2c_in_.size() >= 4) {
      const uint8_t kind = i2c_in_[0];
      const uint32_t length = i2c_in_[2] | (uint32_t{i2c_in_[3]} << 8);
      if (kind != kI2cWireWrite && kind != kI2cWireRead) {
        // Where the next request starts is lost: what follows cannot be trusted either.
        std::fprintf(stderr,
                     "vstm32: i2c1 client sent 0x%02X where a request starts ('W' or 'R'): "
                     "%zu bytes dropped, connection closed\n",
                     kind, i2c_in_.size());
        i2c_in_.clear();
        i2c_tcp_->drop_client();
        i2c_client_fd_ = -1;
        return;
      }
      const size_t need = 4 + (kind == kI2cWireWrite ? length : 0);
      if (i2c_in_.size() < need) break;
      I2cTransfer t;
      t.address = i2c_in_[1] & 0x7Fu;
      t.read = kind == kI2cWireRead;
      t.read_length = t.read ? std::max<uint32_t>(length, 1) : 0;
      if (!t.read) t.data.assign(i2c_in_.begin() + 4, i2c_in_.begin() + 4 + length);
      i2c_in_.erase(i2c_in_.begin(), i2c_in_.begin() + static_cast<std::ptrdiff_t>(need));
      if (!i2c_hold_until_) catch_up(device_.now_ns() + kMaxStepNs);
      const I2cResult r = device_.i2c_transfer(t);
      // After a refused address the device does not run on until the master's next attempt (or
      // kI2cHoldMs): on silicon a master retries within microseconds, a TCP round trip takes
      // longer, and a short listening window would pass between two attempts.
      i2c_hold_until_.reset();
      if (r.status == I2cStatus::kAddressNack) {
        i2c_hold_until_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(kI2cHoldMs);
      }
      collect_tx();
      const uint32_t count = t.read ? static_cast<uint32_t>(r.data.size()) : r.bytes_acked;
      std::vector<uint8_t> reply = {static_cast<uint8_t>(r.status), static_cast<uint8_t>(count),
                                    static_cast<uint8_t>(count >> 8)};
      reply.insert(reply.end(), r.data.begin(), r.data.end());
      i2c_tcp_->write(reply);
    }
    if (i2c_tcp_->client_fd() < 0) drop_incomplete_i2c_request();  // it went away mid-request
  }

  void drop_incomplete_i2c_request() {
    if (i2c_in_.empty()) return;
    if (i2c_in_.size() < 4) {
      std::fprintf(stderr,
                   "vstm32: i2c1 client left after %zu bytes of a request header (4): dropped\n",
                   i2c_in_.size());
    } else {
      const uint32_t length = i2c_in_[2] | (uint32_t{i2c_in_[3]} << 8);
      std::fprintf(stderr,
                   "vstm32: i2c1 client left in the middle of a write request (%zu of %u bytes): "
                   "dropped, nothing sent on the bus\n",
                   i2c_in_.size(), 4 + length);
    }
    i2c_in_.clear();
  }

  Device& device_;
  RunOptions options_;
  std::unique_ptr<PtyPort> pty_;
  std::unique_ptr<TcpPort> tcp_;
  std::unique_ptr<ControlServer> control_;
  std::unique_ptr<TcpPort> i2c_tcp_;
  std::vector<uint8_t> i2c_in_;
  int i2c_client_fd_ = -1;
  std::optional<std::chrono::steady_clock::time_point> i2c_hold_until_;
  std::unique_ptr<GdbServer> gdb_;
  BitErrorInjector ber_rx_, ber_tx_;
  WireLine rx_line_, tx_line_;
  std::deque<TimedByte> rx_queue_, tx_queue_;
  bool nrst_held_ = false;        // NRST held low through the control socket
  std::vector<uint8_t> held_rx_;  // USART1 bytes written meanwhile (fast timing)
  std::deque<bool> tx_garbled_;   // beside tx_queue_: the rates differed when the byte was sent
  std::chrono::steady_clock::time_point wall_start_;
  uint64_t sim_start_ = 0;
  uint64_t rx_count_ = 0, tx_count_ = 0, tx_dropped_ = 0;
  bool quit_ = false;
  std::FILE* uart_log_ = nullptr;
  std::vector<ExtraPort> ports_;
  uint32_t pty_open_baud_ = 0;
  bool usart1_warned_ = false;
  std::optional<uint64_t> button_release_ns_;
};

}  // namespace

int run_device(Device& device, const RunOptions& options) {
  Runner runner(device, options);
  return runner.run();
}

}  // namespace vstm32::cli
