// SPDX-License-Identifier: Apache-2.0
// fota verify: checks a release (a directory, or a URL of a release directory or manifest.json)
// against a public key: the manifest signature and key id, every image header signature, the
// sizes and checksums, slot link addresses, product and version consistency.
#include <cstdio>
#include <memory>
#include <string>

#include "command.h"
#include "ports_linux/http_client.h"
#include "release/image.h"
#include "release/manifest.h"
#include "release/verify.h"
#include "signing/signing.h"

namespace fota::cli {
namespace {

struct VerifyOptions {
  std::string key;
  std::string source;
  std::string product;
  std::string ca_file;
};

bool is_url(const std::string& s) {
  return s.rfind("http://", 0) == 0 || s.rfind("https://", 0) == 0;
}

Expected<std::vector<uint8_t>> fetch(ports::HttpClient& http, const std::string& url,
                                     const std::string& ca_file, size_t max_size) {
  ports::HttpRequest r;
  r.url = url;
  r.ca_file = ca_file;
  r.timeout_ms = 60000;
  auto response = http.perform(r);
  if (!response) return response.failure();
  if (response->status != 200) return fail("GET " + url + ": " + response->describe());
  if (response->body.size() > max_size) {
    return fail("GET " + url + ": larger than " + std::to_string(max_size) + " bytes");
  }
  return std::move(response->body);
}

bool ends_with_json(const std::string& s) {
  return s.size() >= 5 && s.compare(s.size() - 5, 5, ".json") == 0;
}

// A release fetched over HTTP (or a manifest file, e.g. an MQTT message saved by a subscriber):
// the manifest, then each image from its URL in the manifest (or next to the manifest when the
// manifest has no URLs).
Expected<release::Release> fetch_release(const std::string& source, const std::string& ca_file) {
  std::string manifest_url = source;
  if (!ends_with_json(manifest_url)) {
    if (manifest_url.back() != '/') manifest_url += '/';
    manifest_url += "manifest.json";
  }
  const std::string base = manifest_url.substr(0, manifest_url.rfind('/') + 1);
  ports::HttpClient http;
  std::string manifest_text;
  if (is_url(manifest_url)) {
    auto text = fetch(http, manifest_url, ca_file, 1024 * 1024);
    if (!text) return text.failure();
    manifest_text.assign(text->begin(), text->end());
  } else {
    auto bytes = release::read_file(manifest_url, 1024 * 1024);
    if (!bytes) return bytes.failure();
    manifest_text.assign(bytes->begin(), bytes->end());
  }
  auto parsed = release::parse_manifest(manifest_text);
  if (!parsed) return fail(manifest_url + ": " + parsed.error());
  std::vector<uint8_t> images[2];
  const release::ManifestSlot* slots[2] = {&parsed->slot_a, &parsed->slot_b};
  for (int i = 0; i < 2; ++i) {
    const std::string url = slots[i]->url.empty() ? base + slots[i]->file : slots[i]->url;
    if (is_url(url)) {
      auto image = fetch(http, url, ca_file, release::kMaxImageFileSize);
      if (!image) return image.failure();
      images[i] = std::move(*image);
    } else {
      auto image = release::read_file(url, release::kMaxImageFileSize);
      if (!image) return image.failure();
      images[i] = std::move(*image);
    }
  }
  return release::check_release(manifest_text, std::move(images[0]), std::move(images[1]), base);
}

int run_verify(const VerifyOptions& o) {
  auto report = [](const std::string& message) {
    std::fprintf(stderr, "fota verify: error: %s\n", message.c_str());
    return 1;
  };
  auto key = signing::read_public_key(o.key);
  if (!key) return report(key.error());
  release::Release rel;
  std::string where;
  if (is_url(o.source) || ends_with_json(o.source)) {
    auto fetched = fetch_release(o.source, o.ca_file);
    if (!fetched) return report(fetched.error());
    rel = std::move(*fetched);
    where = o.source.substr(0, o.source.rfind('/') + 1);
    if (o.source.back() != '/' && o.source.find(".json") == std::string::npos)
      where = o.source + "/";
  } else {
    auto read = release::read_release(o.source);
    if (!read) return report(read.error());
    rel = std::move(*read);
    where = o.source.back() == '/' ? o.source : o.source + "/";
  }
  if (!o.product.empty() && rel.manifest.product != o.product) {
    return report(where + "manifest.json: release for product \"" + rel.manifest.product +
                  "\", expected \"" + o.product + "\"");
  }
  auto verified = release::verify_release_signatures(rel, *key, where);
  if (!verified) return report(verified.error());
  std::printf(
      "OK %s %s build %u (%s), key id %s: manifest and both image headers signed, "
      "sizes and checksums match\n",
      rel.manifest.product.c_str(), release::version_string(rel.manifest.version).c_str(),
      rel.manifest.version.build, rel.manifest.channel.c_str(), rel.manifest.key_id.c_str());
  return 0;
}

void setup(CLI::App& app, int& exit_code) {
  auto [cmd, o] = add_command<VerifyOptions>(
      app, "verify", "Check a release's signatures and checksums", exit_code, run_verify);
  cmd->add_option("--key", o->key, "Public key file (NAME.pub from fota keygen)")->required();
  cmd->add_option("source", o->source,
                  "Release directory, URL of a release or manifest.json, or a manifest file "
                  "(images fetched from its URLs)")
      ->required();
  cmd->add_option("--product", o->product, "Refuse a release for another product");
  cmd->add_option("--ca-file", o->ca_file, "CA bundle for https URLs");
}

const Registration kRegistration("verify", setup);

}  // namespace
}  // namespace fota::cli
