// SPDX-License-Identifier: Apache-2.0
// fota release: uploads a packed, signed release to an S3 bucket (images first, then the
// versioned manifest, then the channel pointer) and announces it over MQTT (retained, QoS 1).
// fota promote: points another channel at an already uploaded release (same signed bytes).
// All or nothing: nothing is published unless every upload succeeded and was checked; a failure
// after the channel pointer moved puts the previous pointer back.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "broker_options.h"
#include "command.h"
#include "format/crc32.h"
#include "pack.h"
#include "ports_linux/http_client.h"
#include "ports_linux/mqtt_client.h"
#include "ports_linux/s3_client.h"
#include "release/manifest.h"
#include "release/verify.h"
#include "signing/signing.h"

namespace fota::cli {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// --- Options shared by release and promote ---------------------------------------------------

struct StoreOptions {
  std::string endpoint;
  std::string bucket;
  std::string region;
  std::string prefix;
  std::string profile;
  bool virtual_hosted = false;
  std::string ca_file;
};

void add_store_options(CLI::App* cmd, StoreOptions& s) {
  cmd->add_option("--endpoint", s.endpoint,
                  "S3 endpoint URL (AWS, MinIO, ...); default $FOTA_S3_ENDPOINT or "
                  "$AWS_ENDPOINT_URL");
  cmd->add_option("--bucket", s.bucket, "Bucket; default $FOTA_S3_BUCKET");
  cmd->add_option("--region", s.region, "Region for SigV4; default $AWS_REGION or us-east-1");
  cmd->add_option("--prefix", s.prefix, "Key prefix: <prefix>/<product>/<version>/<file>");
  cmd->add_option("--profile", s.profile, "Profile in the AWS shared credentials file");
  cmd->add_flag("--virtual-hosted", s.virtual_hosted,
                "Virtual-hosted style (bucket.host) instead of path style (host/bucket)");
  cmd->add_option("--s3-ca", s.ca_file, "CA bundle for an https endpoint");
}

// What release and promote both take: the bucket, the broker, --force and --json.
struct PublishOptions {
  bool force = false;
  bool json_output = false;
  StoreOptions store;
  BrokerOptions broker;
  std::string legacy_topic;  // seed 000's {"url","crc"} message, for devices not yet updated
  std::string legacy_slot = "A";
};

void add_publish_options(CLI::App* cmd, PublishOptions& o) {
  add_store_options(cmd, o.store);
  add_broker_options(*cmd, o.broker);
  cmd->add_option("--legacy-topic", o.legacy_topic,
                  "Also publish {\"url\",\"crc\"} (seed 000 devices) on this topic");
  cmd->add_option("--legacy-slot", o.legacy_slot, "Slot whose image the legacy message names")
      ->check(CLI::IsMember({"A", "B"}));
}

Expected<ports::S3Config> s3_config(StoreOptions s) {
  if (s.endpoint.empty()) s.endpoint = env_or("FOTA_S3_ENDPOINT", env_or("AWS_ENDPOINT_URL", ""));
  s.bucket = flag_or_env(s.bucket, "FOTA_S3_BUCKET");
  if (s.endpoint.empty()) return fail("no S3 endpoint: give --endpoint or set FOTA_S3_ENDPOINT");
  if (s.bucket.empty()) return fail("no bucket: give --bucket or set FOTA_S3_BUCKET");
  ports::S3Config c;
  c.endpoint = s.endpoint;
  c.bucket = s.bucket;
  c.region =
      s.region.empty() ? env_or("AWS_REGION", env_or("AWS_DEFAULT_REGION", "us-east-1")) : s.region;
  c.path_style = !s.virtual_hosted;
  c.ca_file = s.ca_file;
  auto credentials = ports::load_aws_credentials(s.profile);
  if (!credentials) return credentials.failure();
  c.credentials = *credentials;
  return c;
}

std::string key_base(const StoreOptions& s, const std::string& product) {
  std::string p = s.prefix;
  while (!p.empty() && p.back() == '/') p.pop_back();
  while (!p.empty() && p.front() == '/') p.erase(0, 1);
  return (p.empty() ? "" : p + "/") + product + "/";
}

// --- Output ----------------------------------------------------------------------------------

class Reporter {
 public:
  explicit Reporter(bool as_json) : json_(as_json), tty_(!as_json && ::isatty(2)) {}

  void line(const std::string& text) {
    if (!json_) std::printf("%s\n", text.c_str());
    std::fflush(stdout);
  }
  void event(json j) {
    if (json_) std::printf("%s\n", j.dump().c_str());
    std::fflush(stdout);
  }
  std::function<void(uint64_t, uint64_t)> progress(const std::string& name) {
    if (!tty_) return {};
    return [name](uint64_t done, uint64_t total) {
      if (total == 0) return;
      std::fprintf(stderr, "\r  upload %s: %3u%%", name.c_str(),
                   static_cast<unsigned>(done * 100 / total));
      std::fflush(stderr);
    };
  }
  void end_progress() {
    if (tty_) std::fprintf(stderr, "\r\033[K");
  }
  bool json() const { return json_; }

 private:
  bool json_;
  bool tty_;
};

int report_failure(Reporter& out, const char* command, const std::string& step,
                   const std::string& message) {
  out.end_progress();
  std::fprintf(stderr, "fota %s: error: %s\n", command, message.c_str());
  out.event({{"event", "failed"}, {"step", step}, {"error", message}});
  return 1;
}

// --- Seed 000 compatibility ------------------------------------------------------------------

// CRC-32/MPEG-2 as the STM32 CRC unit computes it: polynomial 0x04C11DB7, initial value
// 0xFFFFFFFF, no reflection, no final XOR, fed 32-bit little-endian words (the file padded with
// 0xFF to a multiple of 4 bytes, as erased flash reads).
uint32_t crc32_mpeg2_words(std::span<const uint8_t> data) {
  uint32_t crc = 0xFFFF'FFFFu;
  for (size_t i = 0; i < data.size(); i += 4) {
    uint32_t word = 0;
    for (size_t k = 0; k < 4; ++k) {
      const uint32_t b = i + k < data.size() ? data[i + k] : 0xFFu;
      word |= b << (8 * k);
    }
    crc ^= word;
    for (int bit = 0; bit < 32; ++bit) {
      crc = (crc & 0x8000'0000u) ? (crc << 1) ^ 0x04C1'1DB7u : crc << 1;
    }
  }
  return crc;
}

std::string legacy_payload(const std::string& url, std::span<const uint8_t> image) {
  char crc[16];
  std::snprintf(crc, sizeof(crc), "0x%08X", crc32_mpeg2_words(image));
  return json{{"url", url}, {"crc", crc}}.dump();
}

// --- Version policy ----------------------------------------------------------------------------

int compare_versions(const Version& a, const Version& b) {
  auto t = [](const Version& v) { return std::tuple(v.major, v.minor, v.patch, v.build); };
  return t(a) < t(b) ? -1 : (t(a) == t(b) ? 0 : 1);
}

std::string version_text(const Version& v) {
  return release::version_string(v) + " build " + std::to_string(v.build);
}

struct Pointer {
  bool exists = false;
  std::vector<uint8_t> bytes;
  std::optional<release::Manifest> manifest;  // nullopt: unreadable
};

Expected<Pointer> read_pointer(ports::S3Client& s3, const std::string& key) {
  auto r = s3.get_object(key);
  if (!r) return fail("read " + key + ": " + r.error());
  Pointer p;
  if (r->status == 404 && r->s3_error_code() != "NoSuchBucket") return p;
  if (r->status == 404) {
    return fail("bucket \"" + s3.config().bucket + "\" does not exist (404 NoSuchBucket at " +
                s3.config().endpoint + ")");
  }
  if (r->status != 200) return fail("read " + key + ": " + r->describe());
  p.exists = true;
  p.bytes = r->body;
  auto parsed = release::parse_manifest(r->body_text());
  if (parsed) p.manifest = *parsed;
  return p;
}

// Refuses to move a channel backwards (or to other bytes at the same version) unless allowed.
Expected<void> check_channel_version(const Pointer& current, const release::Manifest& next,
                                     const std::string& channel, const std::string& next_text,
                                     bool allow_same, bool force) {
  if (!current.exists || force) return {};
  if (!current.manifest) {
    return fail("channel " + channel +
                " holds a manifest that does not parse; refusing to replace it (use --force)");
  }
  const int c = compare_versions(next.version, current.manifest->version);
  const std::string have = version_text(current.manifest->version);
  if (c < 0) {
    return fail("version " + version_text(next.version) + " is older than " + have +
                " which channel " + channel + " holds (use --force to go back)");
  }
  if (c == 0 && std::string(current.bytes.begin(), current.bytes.end()) != next_text) {
    const bool same_images = current.manifest->slot_a.sha256 == next.slot_a.sha256 &&
                             current.manifest->slot_b.sha256 == next.slot_b.sha256;
    if (!same_images && !allow_same) {
      return fail("version " + version_text(next.version) + " is not newer than " + have +
                  " which channel " + channel +
                  " holds, and its images differ (use --allow-same-version)");
    }
  }
  return {};
}

// --- Publishing ------------------------------------------------------------------------------

// No broker given (flag or $FOTA_MQTT_URL): no client, the release is uploaded but not announced.
Expected<std::unique_ptr<ports::MqttClient>> connect_broker(const BrokerOptions& b) {
  if (broker_url(b).empty()) return std::unique_ptr<ports::MqttClient>();
  auto options = mqtt_options(b);
  if (!options) return options.failure();
  auto client = ports::MqttClient::connect(*options);
  if (!client) return fail("connect to the broker: " + client.error());
  return std::move(*client);
}

struct Summary {
  json objects = json::array();
  uint64_t bytes = 0;
  json urls = json::object();
  json published = json::array();
  json timings_ms = json::object();
};

struct UploadItem {
  std::string key;
  std::span<const uint8_t> body;
  std::string content_type;
};

// Uploads unless the object already holds these bytes (same MD5 ETag): re-running is cheap.
Expected<void> upload(ports::S3Client& s3, Reporter& out, Summary& summary,
                      const UploadItem& item) {
  const auto start = Clock::now();
  const std::string md5 = "\"" + ports::md5_hex(item.body) + "\"";
  auto head = s3.head_object(item.key);
  if (!head) return fail("upload " + item.key + ": " + head.error());
  bool skipped = head->status == 200 && head->etag() == md5;
  std::string etag = md5;
  if (!skipped) {
    auto put = s3.put_object(item.key, item.body, item.content_type, out.progress(item.key));
    out.end_progress();
    if (!put) {
      const std::string e = put.error();
      const std::string prefix = "PUT " + item.key + ": ";
      return fail("upload " + item.key + ": " +
                  (e.rfind(prefix, 0) == 0 ? e.substr(prefix.size()) : e));
    }
    etag = put->etag;
  }
  const double ms = ms_since(start);
  summary.bytes += skipped ? 0 : item.body.size();
  summary.objects.push_back({{"key", item.key},
                             {"bytes", item.body.size()},
                             {"etag", etag},
                             {"unchanged", skipped},
                             {"ms", ms}});
  summary.timings_ms["upload " + item.key] = ms;
  char line[512];
  std::snprintf(line, sizeof(line), "%s %s: %zu bytes, ETag %s, %.1f ms",
                skipped ? "unchanged" : "uploaded", item.key.c_str(), item.body.size(),
                etag.c_str(), ms);
  out.line(line);
  out.event({{"event", "upload"},
             {"key", item.key},
             {"bytes", item.body.size()},
             {"etag", etag},
             {"unchanged", skipped},
             {"ms", ms}});
  return {};
}

Expected<void> publish(ports::MqttClient& mqtt, Reporter& out, Summary& summary,
                       const std::string& topic, const std::string& payload) {
  const auto start = Clock::now();
  auto mid = mqtt.publish({topic, payload, 1, true});
  if (!mid) return fail(mid.error());
  const double ms = ms_since(start);
  summary.published.push_back({{"topic", topic}, {"message_id", *mid}, {"bytes", payload.size()}});
  summary.timings_ms["publish " + topic] = ms;
  out.line("published " + topic + " (retained, QoS 1, message id " + std::to_string(*mid) + ", " +
           std::to_string(payload.size()) + " bytes)");
  out.event({{"event", "publish"}, {"topic", topic}, {"message_id", *mid}, {"ms", ms}});
  return {};
}

// Puts the channel pointer back as it was (after a failure that followed its upload).
void restore_pointer(ports::S3Client& s3, Reporter& out, const std::string& key,
                     const Pointer& previous) {
  if (previous.exists) {
    auto r = s3.put_object(key, previous.bytes, "application/json");
    out.line(r ? "restored " + key + " to the previous release"
               : "could not restore " + key + ": " + r.error());
  } else {
    auto r = s3.delete_object(key);
    out.line(r && r->ok() ? "removed " + key + " again" : "could not remove " + key);
  }
}

void print_summary(Reporter& out, const Summary& s, double total_ms) {
  if (out.json()) {
    out.event({{"event", "summary"},
               {"objects", s.objects},
               {"bytes", s.bytes},
               {"urls", s.urls},
               {"published", s.published},
               {"timings_ms", s.timings_ms},
               {"total_ms", total_ms}});
    return;
  }
  char head[128];
  std::snprintf(head, sizeof(head), "summary: %zu objects, %llu bytes uploaded, %.1f ms",
                s.objects.size(), static_cast<unsigned long long>(s.bytes), total_ms);
  out.line(head);
  for (auto it = s.urls.begin(); it != s.urls.end(); ++it) {
    out.line("  url " + it.key() + ": " + it.value().get<std::string>());
  }
  for (const auto& p : s.published) {
    out.line("  topic " + p["topic"].get<std::string>() + ": message id " +
             std::to_string(p["message_id"].get<int>()));
  }
}

// One run of `fota release` or `fota promote`: its output, what it did so far, since when.
struct Run {
  Run(const char* command, bool json) : command(command), out(json) {}
  // Reports that `step` failed; returns the exit code.
  int failed(const std::string& step, const std::string& message) {
    return report_failure(out, command, step, message);
  }
  void print_summary() { fota::cli::print_summary(out, summary, ms_since(start)); }

  const char* command;
  Clock::time_point start = Clock::now();
  Reporter out;
  Summary summary;
};

// --- fota release ----------------------------------------------------------------------------

struct ReleaseOptions : PublishOptions {
  std::string dir;
  PackInputs pack;  // --app-a/--app-b/--version: pack here instead of --dir
  std::string sign_key;
  std::string public_key;
  std::string product;
  std::string channel;
  std::string url_base;
  uint32_t presign_s = 0;
  bool allow_same = false;
};

// A directory of its own under $TMPDIR, removed with everything in it when the release ends.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "fota-release.XXXXXX").string();
    if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }  // "" when it could not be made

 private:
  std::string path_;
};

// --app-a/--app-b/--version: packs into `scratch` as `fota pack` would, unsigned: run_release signs
// the headers and the manifest once, as it does for --dir (the images come out the same bytes).
Expected<void> pack_here(const ReleaseOptions& o, const ScratchDir& scratch) {
  if (!o.dir.empty()) return fail("give --dir DIR or --app-a/--app-b/--version, not both");
  if (o.pack.app_a.empty() || o.pack.app_b.empty() || o.pack.version.empty()) {
    return fail("--app-a, --app-b and --version go together");
  }
  if (o.sign_key.empty()) return fail("packing here signs the release: give --sign NAME.key");
  if (scratch.path().empty()) return fail("cannot make a temporary directory to pack into");
  PackInputs inputs = o.pack;  // unsigned: step 3 signs the headers and the manifest once
  if (!o.product.empty()) inputs.product = o.product;
  if (!o.channel.empty()) inputs.channel = o.channel;
  auto packed = pack_release(inputs, scratch.path());
  if (!packed) return packed.failure();
  return {};
}

int run_release(const ReleaseOptions& o) {
  Run run("release", o.json_output);

  // 0. Packing, when given the applications instead of a packed directory.
  std::optional<ScratchDir> scratch;
  const bool packing = !o.pack.app_a.empty() || !o.pack.app_b.empty() || !o.pack.version.empty();
  if (packing) {
    scratch.emplace();
    if (auto packed = pack_here(o, *scratch); !packed) {
      return run.failed("pack", "pack: " + packed.error());
    }
  } else if (o.dir.empty()) {
    return run.failed("read", "give --dir DIR (fota pack --out) or --app-a/--app-b/--version");
  }
  const std::string dir = packing ? scratch->path() : o.dir;

  // 1. The release, checked as read.
  auto read = release::read_release(dir);
  if (!read) return run.failed("read", read.error());
  release::Release rel = std::move(*read);
  release::Manifest& m = rel.manifest;
  if (!o.product.empty() && m.product != o.product) {
    return run.failed("read", dir + ": release for product \"" + m.product + "\", not \"" +
                                  o.product + "\" (--product)");
  }
  const std::string channel = o.channel.empty() ? m.channel : o.channel;
  if (release::parse_version(channel)) {
    return run.failed("read", "--channel \"" + channel + "\" looks like a version");
  }

  // 2. Keys and where things go.
  std::optional<signing::SecretKey> secret;
  signing::PublicKey public_key{};
  if (!o.sign_key.empty()) {
    auto k = signing::read_secret_key(o.sign_key);
    if (!k) return run.failed("sign", k.error());
    secret = *k;
    public_key = secret->public_key();
  } else if (!o.public_key.empty()) {
    auto k = signing::read_public_key(o.public_key);
    if (!k) return run.failed("sign", k.error());
    public_key = *k;
  } else {
    return run.failed("sign", "give --sign NAME.key (sign now) or --key NAME.pub (already signed)");
  }
  auto config = s3_config(o.store);
  if (!config) return run.failed("s3", config.error());
  ports::S3Client s3(*config);
  const std::string base = key_base(o.store, m.product);
  const std::string version_dir = base + release::version_string(m.version) + "/";
  const std::string pointer_key = base + channel + "/manifest.json";
  auto url_for = [&](const std::string& key) {
    if (!o.url_base.empty()) {
      std::string u = o.url_base;
      while (!u.empty() && u.back() == '/') u.pop_back();
      return u + "/" + key;
    }
    if (o.presign_s > 0) return s3.presign_get(key, o.presign_s);
    return s3.object_url(key);
  };

  // 3. The manifest as published: channel and download URLs, signed.
  release::Manifest next = m;
  next.channel = channel;
  next.slot_a.url = url_for(version_dir + m.slot_a.file);
  next.slot_b.url = url_for(version_dir + m.slot_b.file);
  const auto sign_start = Clock::now();
  std::string text = rel.manifest_text;
  if (secret) {
    auto signed_text = release::sign_release(next, rel.image_a, rel.image_b, *secret);
    if (!signed_text) return run.failed("sign", signed_text.error());
    text = *signed_text;
  } else {
    auto as_read = release::verify_release_signatures(rel, public_key, dir + "/");
    if (!as_read) return run.failed("verify", as_read.error());
    next.key_id = m.key_id;
    next.signature = m.signature;
    if (release::manifest_to_json(next) != rel.manifest_text) {
      return run.failed("sign",
                        dir + "/manifest.json must change (channel " + channel +
                            ", download URLs) and so be signed again: give --sign NAME.key");
    }
  }
  auto checked = release::check_release(text, rel.image_a, rel.image_b, "");
  if (!checked) return run.failed("sign", "internal: " + checked.error());
  auto verified = release::verify_release_signatures(*checked, public_key, "");
  if (!verified) return run.failed("verify", verified.error());
  run.summary.timings_ms["sign and verify"] = ms_since(sign_start);
  run.out.line("release " + m.product + " " + version_text(m.version) + " for channel " + channel +
               ", key id " + checked->manifest.key_id);

  // 4. The broker first: a refused password must stop us before anything is uploaded.
  const auto connect_start = Clock::now();
  auto mqtt = connect_broker(o.broker);
  if (!mqtt) return run.failed("mqtt", mqtt.error());
  if (*mqtt) run.summary.timings_ms["mqtt connect"] = ms_since(connect_start);

  // 5. What the channel holds now.
  auto current = read_pointer(s3, pointer_key);
  if (!current) return run.failed("check", current.error());
  auto allowed =
      check_channel_version(*current, checked->manifest, channel, text, o.allow_same, o.force);
  if (!allowed) return run.failed("check", allowed.error());

  // 6. Images, the versioned manifest, then the channel pointer.
  const std::span<const uint8_t> text_bytes(reinterpret_cast<const uint8_t*>(text.data()),
                                            text.size());
  const UploadItem items[] = {
      {version_dir + m.slot_a.file, rel.image_a, "application/octet-stream"},
      {version_dir + m.slot_b.file, rel.image_b, "application/octet-stream"},
      {version_dir + "manifest.json", text_bytes, "application/json"},
  };
  for (const UploadItem& item : items) {
    auto r = upload(s3, run.out, run.summary, item);
    if (!r) return run.failed("upload", r.error());
  }
  auto pointer = upload(s3, run.out, run.summary, {pointer_key, text_bytes, "application/json"});
  if (!pointer) return run.failed("upload", pointer.error());
  run.summary.urls["A"] = next.slot_a.url;
  run.summary.urls["B"] = next.slot_b.url;
  run.summary.urls["manifest"] = url_for(version_dir + "manifest.json");
  run.summary.urls["channel"] = s3.object_url(pointer_key);

  // 7. Announce.
  if (*mqtt) {
    const std::string topic = "fota/" + m.product + "/" + channel + "/release";
    auto p = publish(**mqtt, run.out, run.summary, topic, text);
    if (p && !o.legacy_topic.empty()) {
      const bool a = o.legacy_slot == "A";
      p = publish(
          **mqtt, run.out, run.summary, o.legacy_topic,
          legacy_payload(a ? next.slot_a.url : next.slot_b.url, a ? rel.image_a : rel.image_b));
    }
    if (!p) {
      restore_pointer(s3, run.out, pointer_key, *current);
      return run.failed("publish", p.error());
    }
    (void)(*mqtt)->disconnect();
  }
  run.print_summary();
  return 0;
}

// --- fota promote ----------------------------------------------------------------------------

struct PromoteOptions : PublishOptions {
  std::string product;
  std::string from;
  std::string to;
  std::string version;
  std::string public_key;
};

int run_promote(const PromoteOptions& o) {
  Run run("promote", o.json_output);
  const auto version = release::parse_version(o.version);
  if (!version) return run.failed("check", "\"" + o.version + "\" is not a version X.Y.Z");
  auto key = signing::read_public_key(o.public_key);
  if (!key) return run.failed("verify", key.error());
  auto config = s3_config(o.store);
  if (!config) return run.failed("s3", config.error());
  ports::S3Client s3(*config);
  const std::string base = key_base(o.store, o.product);
  const std::string version_dir = base + o.version + "/";

  // The uploaded release, checked and verified as a device would.
  auto manifest = s3.get_object(version_dir + "manifest.json");
  if (!manifest) return run.failed("check", manifest.error());
  if (manifest->status != 200) {
    return run.failed("check", version_dir + "manifest.json: " + manifest->describe() + " (was " +
                                   o.product + " " + o.version + " released?)");
  }
  const std::string text = manifest->body_text();
  auto parsed = release::parse_manifest(text);
  if (!parsed) return run.failed("check", version_dir + "manifest.json: " + parsed.error());
  std::vector<uint8_t> images[2];
  const release::ManifestSlot* slots[2] = {&parsed->slot_a, &parsed->slot_b};
  for (int i = 0; i < 2; ++i) {
    auto image = s3.get_object(version_dir + slots[i]->file);
    if (!image) return run.failed("check", image.error());
    if (image->status != 200) {
      return run.failed("check", version_dir + slots[i]->file + ": " + image->describe());
    }
    images[i] = std::move(image->body);
  }
  auto checked =
      release::check_release(text, std::move(images[0]), std::move(images[1]), version_dir);
  if (!checked) return run.failed("check", checked.error());
  if (checked->manifest.product != o.product) {
    return run.failed("check", version_dir + "manifest.json is for product \"" +
                                   checked->manifest.product + "\"");
  }
  auto verified = release::verify_release_signatures(*checked, *key, version_dir);
  if (!verified) return run.failed("verify", verified.error());

  auto from = read_pointer(s3, base + o.from + "/manifest.json");
  if (!from) return run.failed("check", from.error());
  if (!from->exists || std::string(from->bytes.begin(), from->bytes.end()) != text) {
    if (!o.force) {
      return run.failed("check", "channel " + o.from + " does not hold " + o.product + " " +
                                     o.version + " (use --force to promote it anyway)");
    }
  }
  auto mqtt = connect_broker(o.broker);
  if (!mqtt) return run.failed("mqtt", mqtt.error());
  const std::string pointer_key = base + o.to + "/manifest.json";
  auto current = read_pointer(s3, pointer_key);
  if (!current) return run.failed("check", current.error());
  auto allowed = check_channel_version(*current, checked->manifest, o.to, text, false, o.force);
  if (!allowed) return run.failed("check", allowed.error());
  const std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(text.data()), text.size());
  auto up = upload(s3, run.out, run.summary, {pointer_key, bytes, "application/json"});
  if (!up) return run.failed("upload", up.error());
  run.summary.urls["channel"] = s3.object_url(pointer_key);
  if (*mqtt) {
    auto p =
        publish(**mqtt, run.out, run.summary, "fota/" + o.product + "/" + o.to + "/release", text);
    if (!p) {
      restore_pointer(s3, run.out, pointer_key, *current);
      return run.failed("publish", p.error());
    }
    (void)(*mqtt)->disconnect();
  }
  run.out.line("promoted " + o.product + " " + o.version + " from " + o.from + " to " + o.to);
  run.print_summary();
  return 0;
}

void setup_release(CLI::App& app, int& exit_code) {
  auto [cmd, o] = add_command<ReleaseOptions>(
      app, "release", "Upload a release to S3 and announce it over MQTT (all or nothing)",
      exit_code, run_release);
  cmd->add_option("--dir", o->dir, "Packed release directory (fota pack --out)");
  add_pack_inputs(*cmd, o->pack, /*required=*/false);  // or pack here (with --sign)
  cmd->add_option("--sign", o->sign_key, "Private key: sign (again) the headers and manifest");
  cmd->add_option("--key", o->public_key, "Public key of an already signed release");
  cmd->add_option("--product", o->product,
                  "Refuse a release for another product (with --app-a: the product packed)");
  cmd->add_option("--channel", o->channel, "Channel (default: the manifest's)");
  cmd->add_option("--url-base", o->url_base,
                  "Public base URL of the bucket (CDN, nginx): download URLs = BASE/<key>");
  cmd->add_option("--presign", o->presign_s,
                  "Download URLs presigned (SigV4) for this many seconds (GET only)")
      ->check(CLI::Range(1, 604800));
  cmd->add_flag("--allow-same-version", o->allow_same,
                "Replace a release of the same version with other bytes");
  cmd->add_flag("--force", o->force, "Also move the channel to an older version");
  cmd->add_flag("--json", o->json_output, "JSON lines on stdout (events and a summary)");
  add_publish_options(cmd, *o);
}

void setup_promote(CLI::App& app, int& exit_code) {
  auto [cmd, o] = add_command<PromoteOptions>(
      app, "promote", "Point another channel at an uploaded release (same signed bytes)", exit_code,
      run_promote);
  cmd->add_option("--product", o->product, "Product")->required();
  cmd->add_option("--from", o->from, "Channel that holds the release now")->required();
  cmd->add_option("--to", o->to, "Channel to point at it")->required();
  cmd->add_option("version", o->version, "Release version X.Y.Z")->required();
  cmd->add_option("--key", o->public_key, "Public key the release must verify with")->required();
  cmd->add_flag("--force", o->force, "Promote even if --from does not hold it, or backwards");
  cmd->add_flag("--json", o->json_output, "JSON lines on stdout");
  add_publish_options(cmd, *o);
}

const Registration kRelease("release", setup_release);
const Registration kPromote("promote", setup_promote);

}  // namespace
}  // namespace fota::cli
