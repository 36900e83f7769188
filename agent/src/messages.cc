// SPDX-License-Identifier: Apache-2.0
#include "agent/messages.h"

#include <array>

namespace fota::agent {
namespace {

// One key of a flat message: where its string value goes.
struct Field {
  std::string_view name;
  std::span<char> buffer;
  size_t size = 0;
  bool present = false;
};

// A reader for one flat JSON object whose values are strings (RFC 8259 syntax; strings are
// unescaped, \uXXXX to UTF-8). It stops at the first problem: what follows an unknown key or a
// value that is not a string is not looked at.
class FlatReader {
 public:
  FlatReader(std::string_view text, std::span<Field> fields, MessageDetail& detail)
      : text_(text), fields_(fields), detail_(detail) {}

  MessageError read() {
    skip_space();
    if (at_end()) return MessageError::kNotJson;
    if (peek() != '{') return MessageError::kNotObject;
    ++pos_;
    skip_space();
    if (take('}')) return finish();
    for (;;) {
      skip_space();
      const size_t key_start = pos_ + 1;
      std::array<char, 32> key_buffer{};
      size_t key_size = 0;
      bool key_fits = true;
      if (!string(key_buffer, key_size, key_fits)) return MessageError::kNotJson;
      // string() consumed the closing quote at pos_ - 1 >= key_start (no throwing substr here).
      const std::string_view raw_key(text_.data() + key_start, pos_ - 1 - key_start);
      skip_space();
      if (!take(':')) return MessageError::kNotJson;
      skip_space();
      Field* field = nullptr;
      for (Field& f : fields_) {
        if (key_fits && f.name == std::string_view(key_buffer.data(), key_size)) field = &f;
      }
      detail_.key = raw_key;
      if (field == nullptr) return MessageError::kUnknownKey;
      if (field->present) return MessageError::kDuplicateKey;
      if (at_end() || peek() != '"') return MessageError::kNotString;
      bool fits = true;
      if (!string(field->buffer, field->size, fits)) return MessageError::kNotJson;
      if (!fits) return MessageError::kTooLong;
      field->present = true;
      skip_space();
      if (take('}')) break;
      if (!take(',')) return MessageError::kNotJson;
    }
    detail_.key = {};
    return finish();
  }

 private:
  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return text_[pos_]; }
  bool take(char c) {
    if (at_end() || peek() != c) return false;
    ++pos_;
    return true;
  }
  void skip_space() {
    while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')) {
      ++pos_;
    }
  }
  MessageError finish() {
    skip_space();
    return at_end() ? MessageError::kOk : MessageError::kNotJson;
  }
  static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }
  bool hex4(uint32_t& out) {
    out = 0;
    for (int i = 0; i < 4; ++i) {
      if (at_end()) return false;
      const int v = hex_value(text_[pos_++]);
      if (v < 0) return false;
      out = out << 4 | static_cast<uint32_t>(v);
    }
    return true;
  }
  static void put(std::span<char> out, size_t& size, bool& fits, char c) {
    if (size < out.size()) {
      out[size++] = c;
    } else {
      fits = false;
    }
  }
  static void put_utf8(std::span<char> out, size_t& size, bool& fits, uint32_t cp) {
    if (cp < 0x80) {
      put(out, size, fits, static_cast<char>(cp));
    } else if (cp < 0x800) {
      put(out, size, fits, static_cast<char>(0xC0 | cp >> 6));
      put(out, size, fits, static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      put(out, size, fits, static_cast<char>(0xE0 | cp >> 12));
      put(out, size, fits, static_cast<char>(0x80 | (cp >> 6 & 0x3F)));
      put(out, size, fits, static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      put(out, size, fits, static_cast<char>(0xF0 | cp >> 18));
      put(out, size, fits, static_cast<char>(0x80 | (cp >> 12 & 0x3F)));
      put(out, size, fits, static_cast<char>(0x80 | (cp >> 6 & 0x3F)));
      put(out, size, fits, static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }
  // A string at pos_, unescaped into `out` (`fits` false when it was cut); false if malformed.
  bool string(std::span<char> out, size_t& size, bool& fits) {
    size = 0;
    if (!take('"')) return false;
    while (!at_end()) {
      const char c = text_[pos_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return false;
      if (c != '\\') {
        put(out, size, fits, c);
        continue;
      }
      if (at_end()) return false;
      const char e = text_[pos_++];
      switch (e) {
        case '"':
        case '\\':
        case '/': put(out, size, fits, e); break;
        case 'b': put(out, size, fits, '\b'); break;
        case 'f': put(out, size, fits, '\f'); break;
        case 'n': put(out, size, fits, '\n'); break;
        case 'r': put(out, size, fits, '\r'); break;
        case 't': put(out, size, fits, '\t'); break;
        case 'u': {
          uint32_t cp = 0;
          if (!hex4(cp)) return false;
          if (cp >= 0xD800 && cp < 0xDC00) {  // a high surrogate needs its low half
            uint32_t low = 0;
            if (!take('\\') || !take('u') || !hex4(low) || low < 0xDC00 || low >= 0xE000) {
              return false;
            }
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          } else if (cp >= 0xDC00 && cp < 0xE000) {
            return false;
          }
          put_utf8(out, size, fits, cp);
          break;
        }
        default: return false;
      }
    }
    return false;
  }
  std::string_view text_;
  std::span<Field> fields_;
  MessageDetail& detail_;
  size_t pos_ = 0;
};

MessageError read_fields(std::string_view payload, std::span<Field> fields, MessageDetail& detail) {
  detail = {};
  if (payload.size() > kMaxMessageSize) return MessageError::kTooLarge;
  const MessageError error = FlatReader(payload, fields, detail).read();
  if (error == MessageError::kNotJson) detail = {};  // the syntax, not a key, is wrong
  return error;
}

// "X.Y.Z": X, Y <= 255, Z <= 65535, no leading zeros.
bool parse_version(std::string_view text, Version& out) {
  uint32_t part[3] = {0, 0, 0};
  size_t pos = 0;
  for (int i = 0; i < 3; ++i) {
    const uint32_t max = i < 2 ? 255 : 65535;
    const size_t start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      part[i] = part[i] * 10 + static_cast<uint32_t>(text[pos] - '0');
      if (part[i] > max) return false;
      ++pos;
    }
    if (pos == start || (pos - start > 1 && text[start] == '0')) return false;
    if (i < 2 && (pos >= text.size() || text[pos++] != '.')) return false;
  }
  if (pos != text.size()) return false;
  out = Version{static_cast<uint8_t>(part[0]), static_cast<uint8_t>(part[1]),
                static_cast<uint16_t>(part[2]), 0};
  return true;
}

class TopicWriter {
 public:
  explicit TopicWriter(std::span<char> out) : out_(out) {}
  TopicWriter& operator<<(std::string_view text) {
    for (char c : text) {
      if (size_ < out_.size()) {
        out_[size_++] = c;
      } else {
        fits_ = false;
      }
    }
    return *this;
  }
  Result<size_t, TopicError> result() const {
    if (!fits_) return Error{TopicError::kTooLong};
    return size_;
  }

 private:
  std::span<char> out_;
  size_t size_ = 0;
  bool fits_ = true;
};

}  // namespace

const char* to_string(MessageError error) {
  switch (error) {
    case MessageError::kOk: return "ok";
    case MessageError::kTooLarge: return "larger than the limit of 4096 bytes";
    case MessageError::kNotJson: return "not valid JSON";
    case MessageError::kNotObject: return "expected a JSON object";
    case MessageError::kUnknownKey: return "is not a key of this message";
    case MessageError::kDuplicateKey: return "is given twice";
    case MessageError::kNotString: return "must be a string";
    case MessageError::kTooLong: return "is too long";
    case MessageError::kMissingKey: return "is missing";
    case MessageError::kEmptyUrl: return "is empty";
    case MessageError::kBadCrc: return "is not 1-8 hex digits (with an optional 0x)";
    case MessageError::kUnknownCommand: return "is not check, update or report";
    case MessageError::kBadVersion: return "is not a version X.Y.Z (X,Y <= 255, Z <= 65535)";
  }
  return "unknown message error";
}

size_t describe(std::string_view what, MessageError error, const MessageDetail& detail,
                std::span<char> out) {
  if (out.empty()) return 0;
  TopicWriter text(out.first(out.size() - 1));
  text << what << ": ";
  if (!detail.key.empty()) text << "\"" << detail.key << "\" ";
  text << to_string(error);
  const auto written = text.result();
  const size_t n = written.ok() ? *written : out.size() - 1;
  out[n] = '\0';
  return n;
}

Result<LegacyMessage, MessageError> parse_legacy_message(std::string_view payload,
                                                         std::span<char> url_buffer,
                                                         MessageDetail* detail) {
  MessageDetail local;
  MessageDetail& d = detail != nullptr ? *detail : local;
  std::array<char, 16> crc_buffer{};
  std::array<Field, 2> fields = {Field{"url", url_buffer}, Field{"crc", crc_buffer}};
  if (const MessageError error = read_fields(payload, fields, d); error != MessageError::kOk) {
    return Error{error};
  }
  for (const Field& f : fields) {
    if (!f.present) {
      d.key = f.name;
      return Error{MessageError::kMissingKey};
    }
  }
  LegacyMessage message;
  message.url = std::string_view(url_buffer.data(), fields[0].size);
  if (message.url.empty()) {
    d.key = "url";
    return Error{MessageError::kEmptyUrl};
  }
  std::string_view digits(crc_buffer.data(), fields[1].size);
  if (digits.starts_with("0x") || digits.starts_with("0X")) digits.remove_prefix(2);
  d.key = "crc";
  if (digits.empty() || digits.size() > 8) return Error{MessageError::kBadCrc};
  for (char c : digits) {
    const int v = c >= '0' && c <= '9'   ? c - '0'
                  : c >= 'a' && c <= 'f' ? c - 'a' + 10
                  : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                         : -1;
    if (v < 0) return Error{MessageError::kBadCrc};
    message.crc = message.crc << 4 | static_cast<uint32_t>(v);
  }
  d.key = {};
  return message;
}

Result<Command, MessageError> parse_command(std::string_view payload, MessageDetail* detail) {
  MessageDetail local;
  MessageDetail& d = detail != nullptr ? *detail : local;
  std::array<char, 16> name_buffer{};
  std::array<char, 16> version_buffer{};
  std::array<Field, 2> fields = {Field{"command", name_buffer}, Field{"version", version_buffer}};
  MessageError error = read_fields(payload, fields, d);
  if (error == MessageError::kTooLong)
    error = d.key == "command" ? MessageError::kUnknownCommand : MessageError::kBadVersion;
  if (error != MessageError::kOk) return Error{error};
  if (!fields[0].present) {
    d.key = "command";
    return Error{MessageError::kMissingKey};
  }
  const std::string_view name(name_buffer.data(), fields[0].size);
  Command command;
  if (name == "check" || name == "report") {
    if (fields[1].present) {
      d.key = "version";
      return Error{MessageError::kUnknownKey};
    }
    command.kind = name == "check" ? CommandKind::kCheck : CommandKind::kReport;
    return command;
  }
  if (name != "update") {
    d.key = "command";
    return Error{MessageError::kUnknownCommand};
  }
  d.key = "version";
  if (!fields[1].present) return Error{MessageError::kMissingKey};
  if (!parse_version(std::string_view(version_buffer.data(), fields[1].size), command.version)) {
    return Error{MessageError::kBadVersion};
  }
  d.key = {};
  command.kind = CommandKind::kUpdate;
  return command;
}

CommandAction command_action(const Command& command, const KnownRelease& latest) {
  switch (command.kind) {
    case CommandKind::kReport: return CommandAction::kPublishStatus;
    case CommandKind::kCheck: return CommandAction::kCheck;
    case CommandKind::kUpdate:
      if (!latest.known || latest.legacy || latest.version.packed() != command.version.packed()) {
        return CommandAction::kUnknownVersion;
      }
      return CommandAction::kInstall;
  }
  return CommandAction::kUnknownVersion;
}

const char* to_string(TopicError error) {
  switch (error) {
    case TopicError::kOk: return "ok";
    case TopicError::kTooLong: return "topic longer than the buffer";
  }
  return "unknown topic error";
}

Result<size_t, TopicError> release_topic(std::string_view product, std::string_view channel,
                                         std::span<char> out) {
  TopicWriter topic(out);
  topic << "fota/" << product << "/" << channel << "/release";
  return topic.result();
}

Result<size_t, TopicError> status_topic(std::string_view product, std::string_view uid,
                                        std::span<char> out) {
  TopicWriter topic(out);
  topic << "fota/" << product << "/device/" << uid << "/status";
  return topic.result();
}

Result<size_t, TopicError> command_topic(std::string_view product, std::string_view uid,
                                         std::span<char> out) {
  TopicWriter topic(out);
  topic << "fota/" << product << "/device/" << uid << "/cmd";
  return topic.result();
}

}  // namespace fota::agent
