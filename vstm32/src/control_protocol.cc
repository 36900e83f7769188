// SPDX-License-Identifier: Apache-2.0
// Parsing of the control socket's line protocol.
#include <cctype>
#include <charconv>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "vstm32/control.h"

namespace vstm32 {
namespace {

std::vector<std::string_view> split_words(std::string_view line) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    const size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') ++i;
    if (i > start) words.push_back(line.substr(start, i - start));
  }
  return words;
}

bool parse_u64(std::string_view text, uint64_t& out) {
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    text.remove_prefix(2);
    base = 16;
  }
  if (text.empty()) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out, base);
  return ec == std::errc() && end == text.data() + text.size();
}

bool parse_double(std::string_view text, double& out) {
  if (text.empty()) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && std::isfinite(out);
}

}  // namespace

fota::Expected<ControlCommand> parse_control_line(std::string_view line) {
  const std::vector<std::string_view> w = split_words(line);
  if (w.empty()) return fota::fail(std::string("empty command"));
  ControlCommand c;
  const std::string_view verb = w[0];
  const size_t args = w.size() - 1;
  auto want = [&](size_t min_args, size_t max_args,
                  const char* usage) -> std::optional<fota::Failure> {
    if (args < min_args || args > max_args) return fota::fail(std::string("usage: ") + usage);
    return std::nullopt;
  };
  // boot0, nrst, power: one argument, `first` or `second`; the word `set` sets the flag.
  auto switch_command = [&](ControlCommand::Kind kind, const char* usage, std::string_view first,
                            std::string_view second,
                            std::string_view set) -> fota::Expected<ControlCommand> {
    if (auto e = want(1, 1, usage)) return *e;
    if (w[1] != first && w[1] != second) {
      return fota::fail(std::string(verb) + " expects " + std::string(first) + " or " +
                        std::string(second) + ", got '" + std::string(w[1]) + "'");
    }
    c.kind = kind;
    c.flag = w[1] == set;
    return c;
  };
  if (verb == "boot0") {
    return switch_command(ControlCommand::Kind::kBoot0, "boot0 0|1", "0", "1", "1");
  }
  if (verb == "nrst") {
    return switch_command(ControlCommand::Kind::kNrst, "nrst low|high", "low", "high", "low");
  }
  if (verb == "power") {
    return switch_command(ControlCommand::Kind::kPower, "power off|on", "on", "off", "on");
  }
  if (verb == "reset" || verb == "status" || verb == "events" || verb == "quit") {
    if (args != 0) return fota::fail(std::string(verb) + " takes no argument");
    c.kind = verb == "reset"    ? ControlCommand::Kind::kReset
             : verb == "status" ? ControlCommand::Kind::kStatus
             : verb == "events" ? ControlCommand::Kind::kEvents
                                : ControlCommand::Kind::kQuit;
    return c;
  }
  if (verb == "ber") {
    if (auto e = want(1, 2, "ber RATE [SEED]  (RATE: probability per bit, 0 to 1)")) return *e;
    if (!parse_double(w[1], c.rate) || c.rate < 0.0 || c.rate > 1.0) {
      return fota::fail(std::string("ber rate must be a number from 0 to 1, got '") +
                        std::string(w[1]) + "'");
    }
    if (args == 2 && !parse_u64(w[2], c.seed)) {
      return fota::fail(std::string("ber seed must be an unsigned integer, got '") +
                        std::string(w[2]) + "'");
    }
    c.kind = ControlCommand::Kind::kBer;
    return c;
  }
  if (verb == "cut") {
    const char* usage =
        "cut instructions N | cut flash-step N [FRACTION] | cut random SEED [WINDOW_MS "
        "[FLASH_OPS]] | cut cancel";
    if (args == 1 && w[1] == "cancel") {
      c.kind = ControlCommand::Kind::kCutCancel;
      return c;
    }
    if (args < 2) return fota::fail(std::string("usage: ") + usage);
    const std::string_view what = w[1];
    if (what == "random" && (args == 3 || args == 4)) {
      if (!parse_u64(w[2], c.seed) || !parse_u64(w[3], c.window_ms) || c.window_ms == 0 ||
          c.window_ms > 1'000'000'000 ||
          (args == 4 && (!parse_u64(w[4], c.flash_ops) || c.flash_ops == 0))) {
        return fota::fail(
            std::string("cut random expects SEED WINDOW_MS [FLASH_OPS], positive integers"));
      }
      c.kind = ControlCommand::Kind::kCutRandom;
      return c;
    }
    if (what == "instructions" || what == "random") {
      if (args != 2) return fota::fail(std::string("usage: ") + usage);
      if (!parse_u64(w[2], c.count)) {
        return fota::fail(std::string("cut ") + std::string(what) +
                          " expects an unsigned integer, got '" + std::string(w[2]) + "'");
      }
      if (what == "instructions") {
        c.kind = ControlCommand::Kind::kCutInstructions;
      } else {
        c.kind = ControlCommand::Kind::kCutRandom;
        c.seed = c.count;
      }
      return c;
    }
    if (what == "flash-step") {
      if (args > 3) return fota::fail(std::string("usage: ") + usage);
      if (!parse_u64(w[2], c.count)) {
        return fota::fail(std::string("cut flash-step expects a step number, got '") +
                          std::string(w[2]) + "'");
      }
      if (args == 3 && (!parse_double(w[3], c.fraction) || c.fraction < 0.0 || c.fraction > 1.0)) {
        return fota::fail(std::string("cut flash-step fraction must be from 0 to 1, got '") +
                          std::string(w[3]) + "'");
      }
      c.kind = ControlCommand::Kind::kCutFlashStep;
      return c;
    }
    return fota::fail(std::string("unknown cut kind '") + std::string(what) + "'; " + usage);
  }
  if (verb == "pin") {
    if (auto e = want(2, 2, "pin P<port><pin> 0|1  (e.g. pin PA0 1)")) return *e;
    const std::string_view name = w[1];
    uint64_t pin = 0;
    if (name.size() < 3 || (name[0] != 'P' && name[0] != 'p') ||
        std::toupper(static_cast<unsigned char>(name[1])) < 'A' ||
        std::toupper(static_cast<unsigned char>(name[1])) > 'I' ||
        !parse_u64(name.substr(2), pin) || pin > 15) {
      return fota::fail(std::string("pin expects a pin name PA0..PI15, got '") + std::string(name) +
                        "'");
    }
    if (w[2] != "0" && w[2] != "1")
      return fota::fail(std::string("pin level must be 0 or 1, got '") + std::string(w[2]) + "'");
    c.kind = ControlCommand::Kind::kPin;
    c.port = static_cast<unsigned>(std::toupper(static_cast<unsigned char>(name[1])) - 'A');
    c.pin = static_cast<unsigned>(pin);
    c.flag = w[2] == "1";
    return c;
  }
  if (verb == "button") {
    if (auto e = want(1, 1, "button press|down|up")) return *e;
    if (w[1] != "press" && w[1] != "down" && w[1] != "up")
      return fota::fail(std::string("button expects press, down or up, got '") + std::string(w[1]) +
                        "'");
    c.kind = ControlCommand::Kind::kButton;
    c.count = w[1] == "press" ? 0 : w[1] == "down" ? 1 : 2;
    return c;
  }
  return fota::fail(std::string("unknown command '") + std::string(verb) +
                    "' (boot0, nrst, reset, power, status, events, cut, ber, pin, button, quit)");
}

}  // namespace vstm32
