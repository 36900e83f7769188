// SPDX-License-Identifier: Apache-2.0
#include "release/manifest.h"

#include <cstring>
#include <ctime>
#include <nlohmann/json.hpp>
#include <set>

#include "format/crc32.h"
#include "release/image.h"

namespace fota::release {
namespace {

using nlohmann::json;

// Thrown inside parse_manifest only and turned into its Failure at its edge.
struct FieldError {
  std::string message;
};

[[noreturn]] void field_error(const std::string& field, const std::string& what) {
  throw FieldError{field + ": " + what};
}

const char* type_name(const json& j) {
  return j.type_name();
}

void check_keys(const json& object, const std::string& where,
                const std::set<std::string>& allowed) {
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (!allowed.contains(it.key())) {
      field_error(where.empty() ? it.key() : where + "." + it.key(), "unknown key");
    }
  }
  for (const auto& key : allowed) {
    if (!object.contains(key)) field_error(where.empty() ? key : where + "." + key, "missing");
  }
}

const json& member(const json& object, const std::string& key, const std::string& field,
                   json::value_t type) {
  const json& v = object.at(key);
  const bool ok =
      type == json::value_t::number_unsigned ? v.is_number_unsigned() : v.type() == type;
  if (!ok) {
    if (type == json::value_t::number_unsigned && v.is_number_integer()) {
      field_error(field, "must not be negative");
    }
    field_error(field, std::string("expected ") +
                           (type == json::value_t::string   ? "a string"
                            : type == json::value_t::object ? "an object"
                                                            : "a non-negative integer") +
                           ", got " + type_name(v));
  }
  return v;
}

std::string get_string(const json& o, const std::string& key, const std::string& field,
                       bool allow_empty) {
  std::string s = member(o, key, field, json::value_t::string).get<std::string>();
  if (!allow_empty && s.empty()) field_error(field, "must not be empty");
  return s;
}

Version get_version(const json& o, const std::string& key, const std::string& field) {
  const std::string s = get_string(o, key, field, false);
  auto v = parse_version(s);
  if (!v) field_error(field, v.error());
  return *v;
}

bool is_hex_digit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

bool is_lower_hex(const std::string& s, size_t digits) {
  if (s.size() != digits) return false;
  for (char c : s) {
    if (!is_hex_digit(c)) return false;
  }
  return true;
}

ManifestSlot get_slot(const json& slots, const char* name) {
  const std::string where = std::string("slots.") + name;
  if (!slots.contains(name)) field_error(where, "missing");
  const json& s = member(slots, name, where, json::value_t::object);
  check_keys(s, where, {"file", "url", "size", "crc32", "sha256"});
  ManifestSlot slot;
  slot.file = get_string(s, "file", where + ".file", false);
  if (slot.file.find('/') != std::string::npos || slot.file == "." || slot.file == "..") {
    field_error(where + ".file", "must be a plain file name next to the manifest");
  }
  slot.url = get_string(s, "url", where + ".url", true);
  const json& size = member(s, "size", where + ".size", json::value_t::number_unsigned);
  const uint64_t n = size.get<uint64_t>();
  if (n <= kImageHeaderSize)
    field_error(where + ".size", "too small for an image (header + payload)");
  if (n > kMaxImageFileSize) {
    field_error(where + ".size", std::to_string(n) + " is larger than a slot (" +
                                     std::to_string(kMaxImageFileSize) + ")");
  }
  slot.size = static_cast<uint32_t>(n);
  const std::string crc = get_string(s, "crc32", where + ".crc32", false);
  bool crc_ok = crc.size() == 10 && crc[0] == '0' && crc[1] == 'x';
  for (size_t i = 2; crc_ok && i < crc.size(); ++i) crc_ok = is_hex_digit(crc[i]);
  if (!crc_ok)
    field_error(where + ".crc32", "\"" + crc + "\" is not \"0x\" + 8 lowercase hex digits");
  slot.crc32 = static_cast<uint32_t>(std::stoul(crc.substr(2), nullptr, 16));
  const std::string sha = get_string(s, "sha256", where + ".sha256", false);
  bool sha_ok = sha.size() == 64;
  for (size_t i = 0; sha_ok && i < sha.size(); ++i) sha_ok = is_hex_digit(sha[i]);
  if (!sha_ok) field_error(where + ".sha256", "expected 64 lowercase hex digits");
  for (size_t i = 0; i < 32; ++i) {
    slot.sha256[i] = static_cast<uint8_t>(std::stoul(sha.substr(2 * i, 2), nullptr, 16));
  }
  return slot;
}

json slot_json(const ManifestSlot& s) {
  json j = json::object();
  j["file"] = s.file;
  j["url"] = s.url;
  j["size"] = s.size;
  j["crc32"] = crc_hex(s.crc32);
  j["sha256"] = to_hex(s.sha256);
  return j;
}

bool parse_decimal(const std::string& s, size_t& pos, uint32_t max, uint32_t& out) {
  const size_t start = pos;
  uint64_t v = 0;
  while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
    v = v * 10 + static_cast<uint64_t>(s[pos] - '0');
    if (v > max) return false;
    ++pos;
  }
  if (pos == start) return false;
  if (pos - start > 1 && s[start] == '0') return false;  // no leading zeros
  out = static_cast<uint32_t>(v);
  return true;
}

}  // namespace

Expected<Version> parse_version(const std::string& text) {
  size_t pos = 0;
  uint32_t major = 0, minor = 0, patch = 0;
  if (!parse_decimal(text, pos, 255, major) || pos >= text.size() || text[pos++] != '.' ||
      !parse_decimal(text, pos, 255, minor) || pos >= text.size() || text[pos++] != '.' ||
      !parse_decimal(text, pos, 65535, patch) || pos != text.size()) {
    return fail("\"" + text + "\" is not a version X.Y.Z (X,Y <= 255, Z <= 65535)");
  }
  return Version{static_cast<uint8_t>(major), static_cast<uint8_t>(minor),
                 static_cast<uint16_t>(patch), 0};
}

std::string version_string(const Version& v) {
  return std::to_string(v.major) + "." + std::to_string(v.minor) + "." + std::to_string(v.patch);
}

bool is_iso8601_utc(const std::string& t) {
  // YYYY-MM-DDTHH:MM:SSZ
  static constexpr char kPattern[] = "dddd-dd-ddTdd:dd:ddZ";
  if (t.size() != sizeof(kPattern) - 1) return false;
  for (size_t i = 0; i < t.size(); ++i) {
    if (kPattern[i] == 'd' ? !(t[i] >= '0' && t[i] <= '9') : t[i] != kPattern[i]) return false;
  }
  auto num = [&](size_t at, size_t n) { return std::stoi(t.substr(at, n)); };
  const int month = num(5, 2), day = num(8, 2), hour = num(11, 2), minute = num(14, 2),
            second = num(17, 2);
  return month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour <= 23 && minute <= 59 &&
         second <= 60;
}

std::string now_iso8601_utc() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string manifest_to_json(const Manifest& m) {
  json j = json::object();
  j["product"] = m.product;
  j["channel"] = m.channel;
  j["version"] = version_string(m.version);
  j["build"] = m.version.build;
  j["created"] = m.created;
  j["slots"] = json{{"A", slot_json(m.slot_a)}, {"B", slot_json(m.slot_b)}};
  j["min_bootloader_version"] = m.min_bootloader_version;
  j["key_id"] = m.key_id;
  j["signature"] = m.signature;
  return j.dump(2) + "\n";
}

Expected<Manifest> parse_manifest(const std::string& text) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {  // parse_error, and out_of_range for number overflow
    return fail(std::string("manifest: not valid JSON: ") + e.what());
  }
  Manifest m;
  try {
    if (!j.is_object())
      field_error("manifest", std::string("expected an object, got ") + type_name(j));
    // "key_id" came with signing: a manifest without it is an unsigned one.
    json checked = j;
    if (!checked.contains("key_id")) checked["key_id"] = "";
    check_keys(checked, "",
               {"product", "channel", "version", "build", "created", "slots",
                "min_bootloader_version", "key_id", "signature"});
    m.product = get_string(j, "product", "product", false);
    m.channel = get_string(j, "channel", "channel", false);
    m.version = get_version(j, "version", "version");
    const json& build = member(j, "build", "build", json::value_t::number_unsigned);
    if (build.get<uint64_t>() > 0xFFFF'FFFFu) field_error("build", "larger than 32 bits");
    m.version.build = static_cast<uint32_t>(build.get<uint64_t>());
    m.created = get_string(j, "created", "created", false);
    if (!is_iso8601_utc(m.created)) {
      field_error("created", "\"" + m.created + "\" is not ISO-8601 UTC (YYYY-MM-DDTHH:MM:SSZ)");
    }
    const json& slots = member(j, "slots", "slots", json::value_t::object);
    for (auto it = slots.begin(); it != slots.end(); ++it) {
      if (it.key() != "A" && it.key() != "B") field_error("slots." + it.key(), "unknown slot");
    }
    m.slot_a = get_slot(slots, "A");
    m.slot_b = get_slot(slots, "B");
    const Version boot = get_version(j, "min_bootloader_version", "min_bootloader_version");
    m.min_bootloader_version = version_string(boot);
    m.key_id = j.contains("key_id") ? get_string(j, "key_id", "key_id", true) : "";
    if (!m.key_id.empty() && !is_lower_hex(m.key_id, 16)) {
      field_error("key_id", "\"" + m.key_id + "\" is not 16 lowercase hex digits");
    }
    const json& sig = j.at("signature");
    if (sig.is_null()) {
      m.signature.clear();
    } else if (sig.is_string()) {
      m.signature = sig.get<std::string>();
      if (!m.signature.empty() && !is_lower_hex(m.signature, 128)) {
        field_error("signature", "expected 128 lowercase hex digits (or \"\" when unsigned)");
      }
    } else {
      field_error("signature", std::string("expected a string or null, got ") + type_name(sig));
    }
    if (m.signature.empty() != m.key_id.empty()) {
      field_error(
          m.key_id.empty() ? "key_id" : "signature",
          "must be set together with " + std::string(m.key_id.empty() ? "signature" : "key_id"));
    }
  } catch (const FieldError& e) {
    return fail("manifest: " + e.message);
  }
  return m;
}

}  // namespace fota::release

namespace fota::release {

Expected<Release> check_release(const std::string& manifest_text, std::vector<uint8_t> image_a,
                                std::vector<uint8_t> image_b, const std::string& where) {
  auto parsed = parse_manifest(manifest_text);
  if (!parsed) return fail(where + "manifest.json: " + parsed.error());
  Release r;
  r.manifest = *parsed;
  r.manifest_text = manifest_text;
  r.image_a = std::move(image_a);
  r.image_b = std::move(image_b);
  for (flash_map::Slot slot : {flash_map::Slot::kA, flash_map::Slot::kB}) {
    const ManifestSlot& ms = slot == flash_map::Slot::kA ? parsed->slot_a : parsed->slot_b;
    const std::vector<uint8_t>& image = slot == flash_map::Slot::kA ? r.image_a : r.image_b;
    const std::string name = where + ms.file;
    const std::string at = name + ": ";
    if (image.size() != ms.size) {
      return fail(at + "size " + std::to_string(image.size()) + " differs from the manifest's " +
                  std::to_string(ms.size));
    }
    if (crc32(image) != ms.crc32) {
      return fail(at + "CRC-32 differs from the manifest's " + crc_hex(ms.crc32));
    }
    if (sha256(image) != ms.sha256) return fail(at + "SHA-256 differs from the manifest's");
    auto img = parse_image(image, name);
    if (!img) return img.failure();
    if (check_header_slot(img->header, slot) != HeaderError::kOk) {
      return fail(at + "listed for slot " + flash_map::slot_name(slot) + " but linked for slot " +
                  flash_map::slot_name(linked_slot(img->header)));
    }
    if (!(img->header.version == parsed->version)) {
      return fail(at + "header version " + version_string(img->header.version) + " build " +
                  std::to_string(img->header.version.build) + " differs from the manifest's");
    }
    const std::string product(img->header.product.data(),
                              strnlen(img->header.product.data(), kProductNameSize));
    if (product != parsed->product) {
      return fail(at + "built for product \"" + product + "\", the manifest is for \"" +
                  parsed->product + "\"");
    }
  }
  return r;
}

Expected<Release> read_release(const std::filesystem::path& dir) {
  auto text = read_file(dir / "manifest.json", 1024 * 1024);
  if (!text) return text.failure();
  const std::string manifest_text(text->begin(), text->end());
  auto parsed = parse_manifest(manifest_text);
  if (!parsed) return fail((dir / "manifest.json").string() + ": " + parsed.error());
  std::vector<uint8_t> images[2];
  const ManifestSlot* slots[2] = {&parsed->slot_a, &parsed->slot_b};
  for (int i = 0; i < 2; ++i) {
    auto read = read_file(dir / slots[i]->file, kMaxImageFileSize);
    if (!read) return read.failure();
    images[i] = std::move(*read);
  }
  std::string where = dir.string();
  if (!where.empty() && where.back() != '/') where += '/';
  return check_release(manifest_text, std::move(images[0]), std::move(images[1]), where);
}

}  // namespace fota::release
