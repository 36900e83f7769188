// SPDX-License-Identifier: Apache-2.0
#include "pack.h"

#include <filesystem>
#include <optional>
#include <system_error>

#include "format/crc32.h"
#include "format/sha256.h"
#include "release/image.h"
#include "release/loader.h"
#include "release/manifest.h"
#include "release/verify.h"
#include "signing/signing.h"

namespace fota::cli {
namespace {

namespace fs = std::filesystem;
using fota::flash_map::Slot;

// Names that end up in file names, URLs and MQTT topics: keep them plain.
bool is_plain_name(const std::string& s) {
  if (s.empty() || s.size() > 31 || s[0] == '.' || s[0] == '-') return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

bool same_file(const std::string& a, const std::string& b) {
  std::error_code ec;
  return fs::equivalent(a, b, ec) && !ec;
}

}  // namespace

void add_pack_inputs(CLI::App& cmd, PackInputs& in, bool required) {
  auto* a = cmd.add_option("--app-a", in.app_a, "Application linked for slot A (ELF or .bin)");
  auto* b = cmd.add_option("--app-b", in.app_b, "Application linked for slot B (ELF or .bin)");
  auto* v = cmd.add_option("--version", in.version, "Release version X.Y.Z");
  if (required) {
    a->required();
    b->required();
    v->required();
  }
  cmd.add_option("--build", in.build, "CI build number");
  cmd.add_option("--name", in.name, "File name prefix (default: product)");
  cmd.add_option("--min-bootloader", in.min_bootloader, "Minimum bootloader version X.Y.Z");
}

Expected<Packed> pack_release(const PackInputs& o, const std::string& out_dir) {
  const auto version = release::parse_version(o.version);
  if (!version) {
    return fota::fail("--version \"" + o.version +
                      "\" is not a version X.Y.Z (decimal, X and Y <= 255, Z <= 65535)");
  }
  if (!release::parse_version(o.min_bootloader)) {
    return fota::fail("--min-bootloader \"" + o.min_bootloader + "\" is not a version X.Y.Z");
  }
  if (!is_plain_name(o.product)) {
    return fota::fail("--product \"" + o.product + "\" must be 1-31 characters of [A-Za-z0-9._-]");
  }
  const std::string name = o.name.empty() ? o.product : o.name;
  if (!is_plain_name(name)) {
    return fota::fail("--name \"" + name + "\" must be 1-31 characters of [A-Za-z0-9._-]");
  }
  if (!is_plain_name(o.channel)) {
    return fota::fail("--channel \"" + o.channel + "\" must be 1-31 characters of [A-Za-z0-9._-]");
  }
  if (same_file(o.app_a, o.app_b)) {
    return fota::fail(
        "--app-a and --app-b are the same file (" + o.app_a +
        "): build the application once per slot (linked at 0x08020200 and 0x08080200)");
  }

  std::optional<signing::SecretKey> key;
  if (!o.sign_key.empty()) {
    auto loaded = signing::read_secret_key(o.sign_key);
    if (!loaded) return fota::fail(loaded.error());
    key = *loaded;
  }

  release::Manifest manifest;
  manifest.product = o.product;
  manifest.channel = o.channel;
  manifest.version = *version;
  manifest.version.build = o.build;
  manifest.created = release::now_iso8601_utc();
  manifest.min_bootloader_version = o.min_bootloader;

  struct Output {
    Slot slot;
    std::string input;
    std::vector<uint8_t> image;
    std::string file;
  };
  Output outputs[2] = {{Slot::kA, o.app_a, {}, {}}, {Slot::kB, o.app_b, {}, {}}};
  for (Output& out : outputs) {
    auto loaded = release::load_app_file(out.input, out.slot);
    if (!loaded) return fota::fail(loaded.error());
    const std::string file_name = fs::path(out.input).filename().string();
    if (auto fits = release::check_app_for_slot(*loaded, out.slot, file_name); !fits) {
      return fota::fail(fits.error());
    }
    const ImageHeader header = release::make_header(
        loaded->payload, flash_map::slot_vector_address(out.slot), manifest.version, o.product);
    out.image = release::build_image(header, loaded->payload);
    out.file = name + "-" + o.version + "-" + flash_map::slot_name(out.slot) + ".img";
    // Self-check: what we wrote must parse back exactly (the bootloader runs the same code).
    const auto back = release::parse_image(out.image, out.file);
    if (!back) return fota::fail("internal: packed image does not verify: " + back.error());
    release::ManifestSlot& ms = out.slot == Slot::kA ? manifest.slot_a : manifest.slot_b;
    ms.file = out.file;
    ms.url =
        o.url_base.empty() ? "" : o.url_base + (o.url_base.back() == '/' ? "" : "/") + out.file;
    ms.size = static_cast<uint32_t>(out.image.size());
    ms.crc32 = crc32(out.image);
    ms.sha256 = sha256(out.image);
  }

  std::string json = release::manifest_to_json(manifest);
  if (key) {
    auto signed_json = release::sign_release(manifest, outputs[0].image, outputs[1].image, *key);
    if (!signed_json) return fota::fail(signed_json.error());
    json = *signed_json;
  }

  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) return fota::fail("--out " + out_dir + ": cannot create directory: " + ec.message());
  for (const Output& out : outputs) {
    if (auto written = release::write_file(fs::path(out_dir) / out.file, out.image); !written) {
      return fota::fail(written.error());
    }
  }
  // The manifest must satisfy our own strict parser.
  const auto check = release::parse_manifest(json);
  if (!check) return fota::fail("internal: generated manifest does not validate: " + check.error());
  const std::span<const uint8_t> json_bytes(reinterpret_cast<const uint8_t*>(json.data()),
                                            json.size());
  if (auto written = release::write_file(fs::path(out_dir) / "manifest.json", json_bytes);
      !written) {
    return fota::fail(written.error());
  }
  Packed packed;
  for (const Output& out : outputs) {
    const auto& ms = out.slot == Slot::kA ? manifest.slot_a : manifest.slot_b;
    packed.images.push_back({(fs::path(out_dir) / out.file).string(), ms.size, ms.crc32});
  }
  packed.manifest_path = (fs::path(out_dir) / "manifest.json").string();
  return packed;
}

}  // namespace fota::cli
