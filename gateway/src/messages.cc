// SPDX-License-Identifier: Apache-2.0
#include "gateway/messages.h"

#include <nlohmann/json.hpp>

#include "signing/signing.h"

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

}  // namespace

Expected<ReleaseNotice> parse_release_notice(std::string_view payload) {
  constexpr const char* kWhat = "release notification";
  if (payload.size() > kMaxNotificationSize) {
    return fail(std::string(kWhat) + ": " + std::to_string(payload.size()) +
                " bytes is larger than the limit of " + std::to_string(kMaxNotificationSize));
  }
  std::string bytes(payload);
  auto parsed = release::parse_manifest(bytes);
  if (!parsed.ok) return fail(std::string(kWhat) + ": " + parsed.error);
  ReleaseNotice notice;
  notice.manifest = std::move(parsed.manifest);
  notice.manifest_bytes = std::move(bytes);
  return notice;
}

Expected<void> verify_notice(const ReleaseNotice& notice,
                             const std::vector<std::array<uint8_t, 32>>& trusted_keys) {
  if (notice.legacy || notice.manifest.signature.empty()) return fail("unsigned release");
  for (const auto& key : trusted_keys) {
    if (signing::to_hex(signing::key_id(key)) != notice.manifest.key_id) continue;
    auto verified = signing::verify_manifest(notice.manifest_bytes, key);
    if (!verified) return fail("manifest signature: " + verified.error());
    return {};
  }
  return fail("manifest is signed by key " + notice.manifest.key_id +
              ", which is not among the trusted public keys");
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
  if (payload == agent::kOfflineState) {
    view.offline = true;
    return view;
  }
  auto j = parse_object(payload, kWhat);
  if (!j) return j.failure();
  auto uid = string_field(*j, kWhat, "uid");
  if (!uid) return uid.failure();
  view.uid = *uid;
  auto state = string_field(*j, kWhat, "state");
  if (!state) return state.failure();
  view.offline = *state == agent::kOfflineState;
  if (!view.offline && !agent::state_from_string(*state, view.state)) {
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
            {"state", s.offline ? agent::kOfflineState : update::to_string(s.state)},
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
