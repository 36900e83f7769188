// SPDX-License-Identifier: Apache-2.0
// fota pack: turns the application built for slot A and for slot B (ELF or raw .bin) into
// <name>-<version>-A.img, -B.img (512-byte header + payload) and manifest.json.
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <system_error>

#include "command.h"
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

struct PackOptions {
  std::string app_a;
  std::string app_b;
  std::string version;
  uint32_t build = 0;
  std::string product = "stm32f407";
  std::string name;
  std::string channel = "stable";
  std::string url_base;
  std::string min_bootloader = "1.0.0";
  std::string out;
  std::string sign_key;  // --sign NAME.key: sign the image headers and the manifest
};

int fail(const std::string& message) {
  std::fprintf(stderr, "fota pack: error: %s\n", message.c_str());
  return 2;
}

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

int run_pack(const PackOptions& o) {
  const auto version = release::parse_version(o.version);
  if (!version) {
    return fail("--version \"" + o.version +
                "\" is not a version X.Y.Z (decimal, X and Y <= 255, Z <= 65535)");
  }
  if (!release::parse_version(o.min_bootloader)) {
    return fail("--min-bootloader \"" + o.min_bootloader + "\" is not a version X.Y.Z");
  }
  if (!is_plain_name(o.product)) {
    return fail("--product \"" + o.product + "\" must be 1-31 characters of [A-Za-z0-9._-]");
  }
  const std::string name = o.name.empty() ? o.product : o.name;
  if (!is_plain_name(name)) {
    return fail("--name \"" + name + "\" must be 1-31 characters of [A-Za-z0-9._-]");
  }
  if (!is_plain_name(o.channel)) {
    return fail("--channel \"" + o.channel + "\" must be 1-31 characters of [A-Za-z0-9._-]");
  }
  if (same_file(o.app_a, o.app_b)) {
    return fail("--app-a and --app-b are the same file (" + o.app_a +
                "): build the application once per slot (linked at 0x08020200 and 0x08080200)");
  }

  std::optional<signing::SecretKey> key;
  if (!o.sign_key.empty()) {
    auto loaded = signing::read_secret_key(o.sign_key);
    if (!loaded) return fail(loaded.error());
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
    if (!loaded) return fail(loaded.error());
    const std::string file_name = fs::path(out.input).filename().string();
    if (auto fits = release::check_app_for_slot(*loaded, out.slot, file_name); !fits) {
      return fail(fits.error());
    }
    const ImageHeader header = release::make_header(
        loaded->payload, flash_map::slot_vector_address(out.slot), manifest.version, o.product);
    out.image = release::build_image(header, loaded->payload);
    out.file = name + "-" + o.version + "-" + flash_map::slot_name(out.slot) + ".img";
    // Self-check: what we wrote must parse back exactly (the bootloader runs the same code).
    const auto back = release::parse_image(out.image, out.file);
    if (!back) return fail("internal: packed image does not verify: " + back.error());
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
    if (!signed_json) return fail(signed_json.error());
    json = *signed_json;
  }

  std::error_code ec;
  fs::create_directories(o.out, ec);
  if (ec) return fail("--out " + o.out + ": cannot create directory: " + ec.message());
  for (const Output& out : outputs) {
    if (auto written = release::write_file(fs::path(o.out) / out.file, out.image); !written) {
      return fail(written.error());
    }
  }
  // The manifest must satisfy our own strict parser.
  const auto check = release::parse_manifest(json);
  if (!check) return fail("internal: generated manifest does not validate: " + check.error());
  const std::span<const uint8_t> json_bytes(reinterpret_cast<const uint8_t*>(json.data()),
                                            json.size());
  if (auto written = release::write_file(fs::path(o.out) / "manifest.json", json_bytes); !written) {
    return fail(written.error());
  }
  for (const Output& out : outputs) {
    const auto& ms = out.slot == Slot::kA ? manifest.slot_a : manifest.slot_b;
    std::printf("%s: %u bytes, crc32 %s\n", (fs::path(o.out) / out.file).string().c_str(), ms.size,
                release::crc_hex(ms.crc32).c_str());
  }
  std::printf("%s\n", (fs::path(o.out) / "manifest.json").string().c_str());
  return 0;
}

void setup(CLI::App& app, int& exit_code) {
  auto [cmd, o] = add_command<PackOptions>(
      app, "pack", "Pack the slot A and slot B builds into a release", exit_code, run_pack);
  cmd->add_option("--app-a", o->app_a, "Application linked for slot A (ELF or .bin)")->required();
  cmd->add_option("--app-b", o->app_b, "Application linked for slot B (ELF or .bin)")->required();
  cmd->add_option("--version", o->version, "Release version X.Y.Z")->required();
  cmd->add_option("--build", o->build, "CI build number");
  cmd->add_option("--product", o->product, "Product name (header and manifest)");
  cmd->add_option("--name", o->name, "File name prefix (default: product)");
  cmd->add_option("--channel", o->channel, "Release channel");
  cmd->add_option("--url-base", o->url_base, "URL prefix for the manifest's slot URLs");
  cmd->add_option("--min-bootloader", o->min_bootloader, "Minimum bootloader version X.Y.Z");
  cmd->add_option("--out", o->out, "Output directory")->required();
  cmd->add_option("--sign", o->sign_key,
                  "Sign the image headers and the manifest with this private key (fota keygen)");
}

const Registration kRegistration("pack", setup);

}  // namespace
}  // namespace fota::cli
