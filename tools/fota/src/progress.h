// SPDX-License-Identifier: Apache-2.0
// What `fota flash` and `fota info` tell the user: phase/percent/rate/ETA as a bar on a terminal,
// plain lines otherwise, JSON lines with --json (on stdout; messages then go to stderr only).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace fota::cli {

// JSON output keeps the order fields were added in (readable, and stable for scripts).
using Json = nlohmann::ordered_json;

// Seconds on the steady clock.
double now_seconds();

class Progress {
 public:
  Progress(bool json, bool quiet);
  void phase(const std::string& name, uint64_t total_bytes);
  void advance(uint64_t bytes);
  void done();
  void message(const std::string& text);  // informational line
  void event(const Json& object);         // --json only: one line
  bool json() const { return json_; }

 private:
  void draw(bool final_line);
  bool json_, quiet_, tty_;
  std::string phase_;
  uint64_t total_ = 0, done_ = 0;
  double start_s_ = 0, last_draw_s_ = 0;
  int last_decile_ = -1;
};

}  // namespace fota::cli
