// SPDX-License-Identifier: Apache-2.0
#include "gateway/messages.h"

#include <nlohmann/json.hpp>

#include "agent/messages.h"
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

// The core parser's error as a sentence naming the message and the key.
std::string describe(const char* what, agent::MessageError error,
                     const agent::MessageDetail& detail) {
  std::string text(256 + detail.key.size(), '\0');
  text.resize(agent::describe(what, error, detail, text));
  return text;
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
  if (!parsed) return fail(std::string(kWhat) + ": " + parsed.error());
  ReleaseNotice notice;
  notice.manifest = std::move(*parsed);
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
  std::string url(agent::kMaxMessageSize, '\0');
  agent::MessageDetail detail;
  const auto parsed = agent::parse_legacy_message(payload, url, &detail);
  if (!parsed) return fail(describe("firmware message", parsed.error(), detail));
  ReleaseNotice notice;
  notice.legacy = true;
  notice.url = std::string(parsed->url);
  notice.crc = parsed->crc;
  return notice;
}

Expected<Command> parse_command(std::string_view payload) {
  agent::MessageDetail detail;
  const auto parsed = agent::parse_command(payload, &detail);
  if (!parsed) return fail(describe("command", parsed.error(), detail));
  return *parsed;
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
