// SPDX-License-Identifier: Apache-2.0
#include "gateway/messages.h"

#include <nlohmann/json.hpp>

namespace fota::gateway {
namespace {

using nlohmann::json;

Expected<json> parse_object(std::string_view payload, const char* what) {
  if (payload.size() > kMaxNotificationSize) {
    return fail(std::string(what) + ": " + std::to_string(payload.size()) +
                " bytes is larger than the limit of " + std::to_string(kMaxNotificationSize));
  }
  json j = json::parse(payload.begin(), payload.end(), nullptr, false);
  if (j.is_discarded()) return fail(std::string(what) + ": not valid JSON");
  if (!j.is_object()) return fail(std::string(what) + ": expected a JSON object");
  return j;
}

Expected<std::string> string_field(const json& j, const char* what, const char* key) {
  const auto it = j.find(key);
  if (it == j.end()) return fail(std::string(what) + ": \"" + key + "\" is missing");
  if (!it->is_string()) {
    return fail(std::string(what) + ": \"" + key + "\" must be a string, got " + it->type_name());
  }
  return it->get<std::string>();
}

Expected<void> only_keys(const json& j, const char* what, std::initializer_list<const char*> keys) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    bool known = false;
    for (const char* k : keys) known = known || it.key() == k;
    if (!known) return fail(std::string(what) + ": unknown key \"" + it.key() + "\"");
  }
  return {};
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Expected<std::vector<uint8_t>> decode_signature(const std::string& text, const char* what) {
  if (text.size() != 128) {
    return fail(std::string(what) + ": \"signature\" must be 128 hex digits (ed25519), got " +
                std::to_string(text.size()) + " characters");
  }
  std::vector<uint8_t> out(64);
  for (size_t i = 0; i < 64; ++i) {
    const int hi = hex_value(text[2 * i]), lo = hex_value(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return fail(std::string(what) + ": \"signature\" is not hex");
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return out;
}

Expected<ReleaseNotice> notice_from_manifest(std::string bytes, const char* what) {
  auto parsed = release::parse_manifest(bytes);
  if (!parsed.ok) return fail(std::string(what) + ": " + parsed.error);
  ReleaseNotice notice;
  notice.manifest = std::move(parsed.manifest);
  notice.manifest_bytes = std::move(bytes);
  return notice;
}

}  // namespace

Expected<ReleaseNotice> parse_release_notice(std::string_view payload) {
  constexpr const char* kWhat = "release notification";
  auto j = parse_object(payload, kWhat);
  if (!j) return j.failure();
  if (j->contains("manifest")) {
    if (auto keys = only_keys(*j, kWhat, {"manifest", "signature"}); !keys) return keys.failure();
    auto bytes = string_field(*j, kWhat, "manifest");
    if (!bytes) return bytes.failure();
    auto notice = notice_from_manifest(std::move(*bytes), kWhat);
    if (!notice) return notice;
    if (j->contains("signature")) {
      auto sig = string_field(*j, kWhat, "signature");
      if (!sig) return sig.failure();
      auto decoded = decode_signature(*sig, kWhat);
      if (!decoded) return decoded.failure();
      notice->signature = std::move(*decoded);
    }
    return notice;
  }
  // A bare manifest object: only the unsigned form is usable (no exact bytes were signed).
  return notice_from_manifest(std::string(payload), kWhat);
}

Expected<ReleaseNotice> parse_legacy_notice(std::string_view payload) {
  constexpr const char* kWhat = "firmware message";
  auto j = parse_object(payload, kWhat);
  if (!j) return j.failure();
  if (auto keys = only_keys(*j, kWhat, {"url", "crc"}); !keys) return keys.failure();
  auto url = string_field(*j, kWhat, "url");
  if (!url) return url.failure();
  if (url->empty()) return fail(std::string(kWhat) + ": \"url\" is empty");
  auto crc = string_field(*j, kWhat, "crc");
  if (!crc) return crc.failure();
  std::string_view digits = *crc;
  if (digits.starts_with("0x") || digits.starts_with("0X")) digits.remove_prefix(2);
  if (digits.empty() || digits.size() > 8) {
    return fail(std::string(kWhat) + ": \"crc\" \"" + *crc + "\" is not 1-8 hex digits");
  }
  uint32_t value = 0;
  for (char c : digits) {
    const int v = hex_value(c);
    if (v < 0) return fail(std::string(kWhat) + ": \"crc\" \"" + *crc + "\" is not hex");
    value = value << 4 | static_cast<uint32_t>(v);
  }
  ReleaseNotice notice;
  notice.legacy = true;
  notice.url = std::move(*url);
  notice.crc32 = value;
  return notice;
}

Expected<Command> parse_command(std::string_view payload) {
  constexpr const char* kWhat = "command";
  auto j = parse_object(payload, kWhat);
  if (!j) return j.failure();
  auto name = string_field(*j, kWhat, "command");
  if (!name) return name.failure();
  Command command;
  if (*name == "check" || *name == "report") {
    if (auto keys = only_keys(*j, kWhat, {"command"}); !keys) return keys.failure();
    command.kind = *name == "check" ? Command::Kind::kCheck : Command::Kind::kReport;
    return command;
  }
  if (*name == "update") {
    if (auto keys = only_keys(*j, kWhat, {"command", "version"}); !keys) return keys.failure();
    auto text = string_field(*j, kWhat, "version");
    if (!text) return text.failure();
    const auto version = release::parse_version(*text);
    if (!version) return fail(std::string(kWhat) + ": \"" + *text + "\" is not a version X.Y.Z");
    command.kind = Command::Kind::kUpdate;
    command.version = *version;
    return command;
  }
  return fail(std::string(kWhat) + ": unknown command \"" + *name +
              "\" (expected check, update or report)");
}

Expected<StatusView> parse_status(std::string_view payload) {
  constexpr const char* kWhat = "status";
  StatusView view;
  if (payload == "offline") {
    view.state = agent::State::kOffline;
    return view;
  }
  auto j = parse_object(payload, kWhat);
  if (!j) return j.failure();
  auto uid = string_field(*j, kWhat, "uid");
  if (!uid) return uid.failure();
  view.uid = *uid;
  auto state = string_field(*j, kWhat, "state");
  if (!state) return state.failure();
  if (!agent::state_from_string(*state, view.state)) {
    return fail(std::string(kWhat) + ": unknown state \"" + *state + "\"");
  }
  auto opt_string = [&](const char* key, std::string& out) -> Expected<void> {
    if (!j->contains(key)) return {};
    auto v = string_field(*j, kWhat, key);
    if (!v) return v.failure();
    out = std::move(*v);
    return {};
  };
  auto opt_number = [&](const char* key, uint64_t& out) -> Expected<void> {
    const auto it = j->find(key);
    if (it == j->end()) return {};
    if (!it->is_number_unsigned()) {
      return fail(std::string(kWhat) + ": \"" + key + "\" must be a non-negative integer");
    }
    out = it->get<uint64_t>();
    return {};
  };
  uint64_t progress = 0;
  for (auto r : {opt_string("reason", view.reason), opt_string("error", view.error),
                 opt_number("progress", progress), opt_number("bytes", view.bytes),
                 opt_number("total", view.total), opt_number("rate_bps", view.rate_bps),
                 opt_number("time", view.time_unix_s), opt_number("since", view.since_unix_s)}) {
    if (!r) return r.failure();
  }
  if (progress > 100) return fail(std::string(kWhat) + ": \"progress\" is larger than 100");
  view.progress = static_cast<unsigned>(progress);
  auto version_of = [&](const char* key, std::string& version,
                        std::string* slot) -> Expected<void> {
    const auto it = j->find(key);
    if (it == j->end() || it->is_null()) return {};
    if (!it->is_object()) return fail(std::string(kWhat) + ": \"" + key + "\" must be an object");
    auto v = string_field(*it, kWhat, "version");
    if (!v) return v.failure();
    if (!release::parse_version(*v)) {
      return fail(std::string(kWhat) + ": \"" + key + ".version\" is not a version X.Y.Z");
    }
    version = *v;
    if (slot != nullptr && it->contains("slot")) {
      auto s = string_field(*it, kWhat, "slot");
      if (!s) return s.failure();
      *slot = *s;
    }
    return {};
  };
  if (auto r = version_of("running", view.running_version, &view.running_slot); !r) {
    return r.failure();
  }
  if (auto r = version_of("target", view.target_version, nullptr); !r) return r.failure();
  return view;
}

std::string status_to_json(const StatusView& s) {
  json j = {{"uid", s.uid},
            {"state", agent::to_string(s.state)},
            {"reason", s.reason},
            {"progress", s.progress},
            {"bytes", s.bytes},
            {"total", s.total},
            {"rate_bps", s.rate_bps},
            {"running_version", s.running_version},
            {"running_slot", s.running_slot},
            {"target_version", s.target_version},
            {"error", s.error},
            {"time", s.time_unix_s},
            {"since", s.since_unix_s}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace fota::gateway
