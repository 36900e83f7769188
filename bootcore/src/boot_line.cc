// SPDX-License-Identifier: Apache-2.0
#include "bootcore/boot.h"
#include "format/decimal.h"

namespace fota::bootcore {

namespace {

class LineWriter {
 public:
  explicit LineWriter(std::span<char> out) : out_(out) {}
  void put(char c) {
    if (out_.size() > 0 && len_ + 1 < out_.size()) out_[len_++] = c;
  }
  void put(const char* s) {
    while (*s != '\0') put(*s++);
  }
  void put_uint(uint32_t v) {
    char digits[kMaxDecimalDigits];
    const size_t n = write_decimal(v, digits);
    for (size_t i = 0; i < n; ++i) put(digits[i]);
  }
  size_t finish() {
    if (out_.size() > 0) out_[len_] = '\0';
    return len_;
  }

 private:
  std::span<char> out_;
  size_t len_ = 0;
};

// The first `n` characters of `s` (all of it when shorter). std::string_view::substr would do,
// but it may throw std::out_of_range, which freestanding code must not reference.
constexpr std::string_view head(std::string_view s, size_t n) {
  return std::string_view(s.data(), n < s.size() ? n : s.size());
}

// string_view::starts_with is written with substr in libstdc++ 12: the bootloader is built with
// LTO, whose objects would then still name std::__throw_out_of_range_fmt.
constexpr bool has_prefix(std::string_view s, std::string_view prefix) {
  return head(s, prefix.size()) == prefix;
}

const char* rejection_token(RecordReason reason) {
  switch (reason) {
    case RecordReason::kAttemptsExhausted: return "attempts-exhausted";
    case RecordReason::kImageInvalid: return "image-invalid";
    case RecordReason::kUntrusted: return "untrusted";
    case RecordReason::kBelowFloor: return "below-floor";
    default: return "rejected";
  }
}

// Appends "<intro><slot><separator><token>" for the first slot that has a token and
// ",<slot><separator><token>" for the next; token_of(i) is nullptr for a slot without one.
// Returns whether anything was appended.
template <typename TokenOf>
bool put_slot_list(LineWriter& w, const char* intro, char separator, TokenOf token_of) {
  bool any = false;
  for (unsigned i = 0; i < flash_map::kSlotCount; ++i) {
    const char* token = token_of(i);
    if (token == nullptr) continue;
    w.put(any ? "," : intro);
    w.put(flash_map::slot_name(i == 0 ? flash_map::Slot::kA : flash_map::Slot::kB));
    w.put(separator);
    w.put(token);
    any = true;
  }
  return any;
}

}  // namespace

size_t format_boot_line(const BootOutcome& o, std::span<char> out) {
  LineWriter w(out);
  const bool boots = o.boots();
  w.put("boot: slot=");
  w.put(boots ? flash_map::slot_name(o.slot) : '-');
  w.put(" version=");
  if (boots) {
    w.put_uint(o.header.version.major);
    w.put('.');
    w.put_uint(o.header.version.minor);
    w.put('.');
    w.put_uint(o.header.version.patch);
  } else {
    w.put('-');
  }
  w.put(" decision=");
  w.put(to_string(o.action));
  w.put(" reason=");
  // A REJECTED written this boot explains a revert better than the row that booted.
  const bool reverted = put_slot_list(w, "reverted-", '-', [&o](unsigned i) -> const char* {
    return o.rejected[i] == RecordReason::kNone ? nullptr : rejection_token(o.rejected[i]);
  });
  if (!reverted) {
    switch (o.row) {
      case Row::kTrialBoot:
        w.put("attempt-");
        w.put_uint(o.attempt);
        w.put('/');
        w.put_uint(o.max_attempts);
        break;
      case Row::kConfirmedBoot: w.put("confirmed"); break;
      case Row::kUnknownBoot: w.put(o.log_empty ? "log-empty" : "no-record"); break;
      case Row::kLastResortBoot: w.put("only-rejected-images"); break;
      default: w.put("no-valid-image"); break;
    }
  }
  if (o.log_status != LogStatus::kOk) w.put(",log-write-failed");
  put_slot_list(w, " refused=", ':', [&o](unsigned i) -> const char* {
    return o.refused[i] == TrustStatus::kOk ? nullptr : token(o.refused[i]);
  });
  return w.finish();
}

std::string_view BootLine::refused_reason(char which) const {
  std::string_view rest = refused;
  while (!rest.empty()) {
    const size_t end = rest.find(',');
    std::string_view item = head(rest, end);
    if (item.size() > 2 && item[0] == which && item[1] == ':') {
      item.remove_prefix(2);
      return item;
    }
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
  }
  return {};
}

std::optional<BootLine> parse_boot_line(std::string_view line) {
  // Fields in the order the writer puts them: "boot: slot=X version=V decision=D reason=R".
  constexpr std::string_view kPrefix = "boot: ";
  if (!has_prefix(line, kPrefix)) return std::nullopt;
  line.remove_prefix(kPrefix.size());
  auto field = [&line](std::string_view key, std::string_view& value) {
    if (!has_prefix(line, key) || line.size() == key.size() || line[key.size()] != '=') {
      return false;
    }
    line.remove_prefix(key.size() + 1);
    const size_t end = line.find(' ');
    value = head(line, end);
    line.remove_prefix(end == std::string_view::npos ? line.size() : end + 1);
    return !value.empty();
  };
  BootLine out;
  std::string_view slot;
  if (!field("slot", slot) || !field("version", out.version) || !field("decision", out.decision) ||
      !field("reason", out.reason)) {
    return std::nullopt;
  }
  if (!line.empty() && (!field("refused", out.refused) || !line.empty())) return std::nullopt;
  if (slot != "A" && slot != "B" && slot != "-") return std::nullopt;
  out.slot = slot[0];
  return out;
}

}  // namespace fota::bootcore
