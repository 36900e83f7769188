// SPDX-License-Identifier: Apache-2.0
#include "agent/status_message.h"

#include "format/decimal.h"

namespace fota::agent {
namespace {

// Appends to a fixed buffer; remembers an overflow instead of failing at each call.
class Writer {
 public:
  explicit Writer(std::span<char> out) : out_(out) {}
  void raw(std::string_view text) {
    for (char c : text) put(c);
  }
  // At most max_length bytes between the quotes: a long or hostile text is cut, not refused.
  void string(std::string_view text, size_t max_length = kMaxErrorLength) {
    static constexpr char kHex[] = "0123456789abcdef";
    put('"');
    size_t n = 0;
    for (char c : text) {
      const auto u = static_cast<unsigned char>(c);
      const size_t width = (c == '"' || c == '\\') ? 2 : u < 0x20 ? 6 : 1;
      if (n + width > max_length) break;
      n += width;
      if (width == 2) {
        put('\\');
        put(c);
      } else if (width == 6) {
        raw("\\u00");
        put(kHex[u >> 4]);
        put(kHex[u & 0xF]);
      } else {
        put(c);
      }
    }
    put('"');
  }
  void number(uint64_t value) {
    char digits[kMaxDecimalDigits];
    raw({digits, write_decimal(value, digits)});
  }
  // "version":"M.m.p","build":N
  void version_and_build(const Version& v) {
    key("version");
    version(v);
    key("build");
    number(v.build);
  }
  // "name":{"version":"M.m.p","build":N[,"slot":"X"]}, or "name":null when not known.
  void image(const char* name, bool known, const Version& v, const char* slot = nullptr) {
    key(name);
    if (!known) {
      raw("null");
      return;
    }
    open();
    version_and_build(v);
    if (slot != nullptr) {
      key("slot");
      string({slot, 1});
    }
    close();
  }
  void version(const Version& v) {
    put('"');
    number(v.major);
    put('.');
    number(v.minor);
    put('.');
    number(v.patch);
    put('"');
  }
  void key(std::string_view name) {
    if (need_comma_) put(',');
    need_comma_ = true;
    string(name);
    put(':');
  }
  // "name":value
  void field(std::string_view name, uint64_t value) {
    key(name);
    number(value);
  }
  void field(std::string_view name, std::string_view text, size_t max_length = kMaxErrorLength) {
    key(name);
    string(text, max_length);
  }
  void open() {
    put('{');
    need_comma_ = false;
  }
  void close() {
    put('}');
    need_comma_ = true;
  }
  bool overflow() const { return overflow_; }
  size_t size() const { return size_; }

 private:
  void put(char c) {
    if (size_ < out_.size()) {
      out_[size_++] = c;
    } else {
      overflow_ = true;
    }
  }
  std::span<char> out_;
  size_t size_ = 0;
  bool overflow_ = false;
  bool need_comma_ = false;
};

}  // namespace

bool state_from_string(std::string_view name, State& state) {
  for (size_t i = 0; i < kStateCount; ++i) {
    if (name == update::to_string(static_cast<State>(i))) {
      state = static_cast<State>(i);
      return true;
    }
  }
  return false;
}

const char* to_string(StatusError error) {
  switch (error) {
    case StatusError::kOk: return "ok";
    case StatusError::kBufferTooSmall: return "status message does not fit the buffer";
  }
  return "unknown status error";
}

uint8_t progress_percent(uint64_t bytes_done, uint64_t bytes_total) {
  if (bytes_total == 0) return 0;
  if (bytes_done >= bytes_total) return 100;
  // Not done yet: at most 99 (the coarse division for huge totals could round up to 100).
  const uint64_t percent = bytes_total > UINT64_MAX / 100 ? bytes_done / (bytes_total / 100)
                                                          : bytes_done * 100 / bytes_total;
  return static_cast<uint8_t>(percent > 99 ? 99 : percent);
}

Result<size_t, StatusError> encode_status(const StatusReport& r, std::span<char> out) {
  Writer w(out);
  w.open();
  w.field("uid", r.uid, 64);
  w.field("state", update::to_string(r.state));
  w.field("reason", r.reason, 64);
  w.field("progress", progress_percent(r.bytes_done, r.bytes_total));
  w.field("bytes", r.bytes_done);
  w.field("total", r.bytes_total);
  w.field("rate_bps", r.rate_bps);
  const char slot = r.running_slot == 'A' || r.running_slot == 'B' ? r.running_slot : '-';
  w.image("running", r.running_known, r.running, &slot);
  w.image("target", r.target_known, r.target);
  w.field("error", r.error);
  w.field("time", r.time_unix_s);
  w.field("since", r.state_since_unix_s);
  w.close();
  if (w.overflow()) return Error{StatusError::kBufferTooSmall};
  return w.size();
}

Result<size_t, StatusError> encode_offline(std::string_view uid, std::span<char> out) {
  Writer w(out);
  w.open();
  w.field("uid", uid, 64);
  w.field("state", kOfflineState);
  w.close();
  if (w.overflow()) return Error{StatusError::kBufferTooSmall};
  return w.size();
}

namespace {

// Appends to a NUL-terminated text in `out`, cutting what does not fit.
void append(std::span<char> out, size_t& at, std::string_view text) {
  for (const char c : text) {
    if (at + 1 >= out.size()) break;
    out[at++] = c;
  }
  if (!out.empty()) out[at < out.size() ? at : out.size() - 1] = '\0';
}

}  // namespace

void write_reverted_reason(std::string_view refusal, std::span<char> reason,
                           std::span<char> error) {
  size_t r = 0;
  size_t e = 0;
  if (refusal.empty()) {
    append(reason, r, "not-confirmed");
    append(error, e,
           "the new image did not confirm itself; the bootloader went back to the previous one");
    return;
  }
  append(reason, r, "refused-");
  append(reason, r, refusal);
  append(error, e, "the device's secure boot refused the new image (");
  append(error, e, refusal);
  append(error, e, "); the previous one runs");
}

void write_failure_text(const update::Failure& failure, std::string_view target_error,
                        std::string_view source_error, std::string_view keys_setting,
                        std::span<char> out) {
  size_t at = 0;
  if (!out.empty()) out[0] = '\0';
  append(out, at, update::to_string(failure.reason));
  if (update::device_side(failure.reason)) {
    append(out, at, ": ");
    append(out, at, update::to_string(failure.target));
    if (!target_error.empty()) {
      append(out, at, " (");
      append(out, at, target_error);
      append(out, at, ")");
    }
    return;
  }
  switch (failure.reason) {
    case update::FailReason::kSourceFailed:
    case update::FailReason::kTruncated:
    case update::FailReason::kReleaseChanged:
      if (!source_error.empty()) {
        append(out, at, ": ");
        append(out, at, source_error);
      }
      break;
    case update::FailReason::kUnknownKey:
      append(out, at, ": the image header is signed by a key that is not among ");
      append(out, at, keys_setting);
      break;
    case update::FailReason::kBadSignature:
      append(out, at,
             ": the image header's ed25519 signature does not verify (header or signature "
             "altered)");
      break;
    case update::FailReason::kUnsigned:
      append(out, at,
             ": the image header carries no signature and unsigned releases are not allowed");
      break;
    case update::FailReason::kBadHeader:
    case update::FailReason::kPayloadMismatch:
      append(out, at, ": ");
      append(out, at, to_string(failure.header));
      break;
    default: break;
  }
}

}  // namespace fota::agent
