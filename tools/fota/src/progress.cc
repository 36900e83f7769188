// SPDX-License-Identifier: Apache-2.0
#include "progress.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>

namespace fota::cli {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

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
    Json line = {{"event", "progress"},
                 {"phase", phase_},
                 {"done", done_},
                 {"total", total_},
                 {"percent", percent},
                 {"bytes_per_s", std::llround(rate)},
                 {"eta_s", std::round(eta * 10) / 10},
                 {"elapsed_s", std::round(elapsed * 1000) / 1000}};
    if (final_line) line["final"] = true;
    event(line);
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
    event({{"event", "message"}, {"text", text}});
  } else if (!quiet_) {
    std::fprintf(stderr, "%s\n", text.c_str());
  }
}

void Progress::event(const Json& object) {
  if (!json_) return;
  // Invalid UTF-8 from a noisy console line is replaced, never thrown.
  const std::string line = object.dump(-1, ' ', false, Json::error_handler_t::replace);
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

}  // namespace fota::cli
