// SPDX-License-Identifier: Apache-2.0
#include "rom_session.h"

#include <unistd.h>

#include <chrono>
#include <cmath>

#include "format/flash_map.h"

namespace fota::cli {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string hex32(uint32_t value) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08X", value);
  return buf;
}

std::string json_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

std::string DeviceIdentity::uid_hex() const {
  std::string out;
  char buf[4];
  for (uint8_t b : uid) {
    std::snprintf(buf, sizeof buf, "%02X", b);
    out += buf;
  }
  return out;
}

bool RomConnection::open(const ConnectionOptions& options, std::string& error) {
  if (!port_.open(options.port, error)) return false;
  if (options.pins != "none") {
    pins_ = ports::make_pins(options.pins, &port_, error);
    if (!pins_) return false;
  }
  an3155::Options rom_options;
  rom_options.baud = options.baud;
  rom_options.retries = options.retries;
  rom_options.pipeline = options.pipeline;
  if (ports::baud_to_speed(options.baud) == 0) {
    error = "unsupported baud rate " + std::to_string(options.baud);
    return false;
  }
  rom_.emplace(port_, pins_.get(), clock_, rom_options);
  return true;
}

std::string RomConnection::describe_failure(an3155::Status status) const {
  std::string text = an3155::to_string(status);
  if (status == an3155::Status::kLinkError && !port_.last_error().empty()) {
    text += ": " + port_.last_error();
  }
  if (status == an3155::Status::kPinError && pins_ && !pins_->last_error().empty()) {
    text += ": " + pins_->last_error();
  }
  if (status != an3155::Status::kLinkError && status != an3155::Status::kPinError &&
      status != an3155::Status::kNoSync) {
    text += std::string(" (command: ") + an3155::to_string(rom_->last_opcode()) + ")";
  }
  return text;
}

an3155::Status RomConnection::enter_and_identify(DeviceIdentity& id, std::string& error) {
  an3155::Status status = pins_ ? rom_->enter() : rom_->sync();
  if (status != an3155::Status::kOk) {
    error = "cannot reach the ROM bootloader on " + port_.path() + ": " + describe_failure(status);
    return status;
  }
  status = rom_->identify(id.info);
  if (status == an3155::Status::kWrongDevice) {
    char buf[160];
    std::snprintf(buf, sizeof buf,
                  "wrong device: product ID 0x%03X, expected 0x413 (STM32F40x/41x); refusing to "
                  "touch it",
                  id.info.pid);
    error = buf;
    return status;
  }
  if (status != an3155::Status::kOk) {
    error = "identification failed: " + describe_failure(status);
    return status;
  }
  status = an3155::read_checked(*rom_, flash_map::kUniqueIdAddress, id.uid, true);
  if (status == an3155::Status::kOk) {
    uint8_t size[2];
    status = an3155::read_checked(*rom_, flash_map::kFlashSizeAddress, size, true);
    id.flash_kb = static_cast<uint16_t>(size[0] | size[1] << 8);
  }
  if (status != an3155::Status::kOk) {
    error = "cannot read the unique ID / flash size: " + describe_failure(status);
  }
  return status;
}

an3155::Status RomConnection::leave(std::string& error) {
  if (!pins_) {
    error = "pins 'none': reset the target yourself with BOOT0 low";
    return an3155::Status::kOk;
  }
  const an3155::Status status = rom_->leave();
  if (status != an3155::Status::kOk) error = "cannot leave the ROM: " + describe_failure(status);
  return status;
}

// ---- progress ----

Progress::Progress(bool json, bool quiet)
    : json_(json), quiet_(quiet), tty_(isatty(STDERR_FILENO) != 0) {}

void Progress::phase(const std::string& name, uint64_t total_bytes) {
  done();
  phase_ = name;
  total_ = total_bytes;
  done_ = 0;
  start_s_ = now_seconds();
  last_draw_s_ = 0;
  last_decile_ = -1;
  draw(false);
}

void Progress::advance(uint64_t bytes) {
  done_ += bytes;
  draw(false);
}

void Progress::done() {
  if (phase_.empty()) return;
  draw(true);
  phase_.clear();
}

void Progress::draw(bool final_line) {
  if (quiet_ || phase_.empty()) return;
  const double now = now_seconds();
  const double elapsed = now - start_s_;
  const double rate = elapsed > 0 ? static_cast<double>(done_) / elapsed : 0;
  const int percent = total_ ? static_cast<int>(100 * done_ / total_) : (final_line ? 100 : 0);
  const double eta = rate > 0 && total_ > done_ ? static_cast<double>(total_ - done_) / rate : 0;
  if (json_) {
    const int decile = percent / 10;
    if (!final_line && decile == last_decile_ && now - last_draw_s_ < 1.0) return;
    last_decile_ = decile;
    last_draw_s_ = now;
    std::printf(
        "{\"event\":\"progress\",\"phase\":\"%s\",\"done\":%llu,\"total\":%llu,\"percent\":%d,"
        "\"bytes_per_s\":%.0f,\"eta_s\":%.1f,\"elapsed_s\":%.3f%s}\n",
        phase_.c_str(), static_cast<unsigned long long>(done_),
        static_cast<unsigned long long>(total_), percent, rate, eta, elapsed,
        final_line ? ",\"final\":true" : "");
    std::fflush(stdout);
    return;
  }
  if (tty_) {
    if (!final_line && now - last_draw_s_ < 0.1) return;
    last_draw_s_ = now;
    constexpr int kWidth = 30;
    const int filled = percent * kWidth / 100;
    std::fprintf(stderr, "\r%-8s [%.*s%*s] %3d%% %7.1f KB/s ETA %4.0fs ", phase_.c_str(), filled,
                 "##############################", kWidth - filled, "", percent, rate / 1024, eta);
    if (final_line) std::fprintf(stderr, "(%.2fs)\n", elapsed);
    std::fflush(stderr);
    return;
  }
  const int decile = percent / 10;
  if (!final_line && (decile == last_decile_ || total_ == 0)) return;
  last_decile_ = decile;
  if (final_line) {
    std::fprintf(stderr, "%s: done, %llu bytes in %.2f s\n", phase_.c_str(),
                 static_cast<unsigned long long>(done_), elapsed);
  } else {
    std::fprintf(stderr, "%s: %d%% (%llu/%llu bytes, %.1f KB/s, ETA %.0f s)\n", phase_.c_str(),
                 percent, static_cast<unsigned long long>(done_),
                 static_cast<unsigned long long>(total_), rate / 1024, eta);
  }
}

void Progress::message(const std::string& text) {
  if (json_) {
    std::printf("{\"event\":\"message\",\"text\":\"%s\"}\n", json_escape(text).c_str());
    std::fflush(stdout);
  } else if (!quiet_) {
    std::fprintf(stderr, "%s\n", text.c_str());
  }
}

void Progress::event(const std::string& fields) {
  if (!json_) return;
  std::printf("{%s}\n", fields.c_str());
  std::fflush(stdout);
}

}  // namespace fota::cli
