// SPDX-License-Identifier: Apache-2.0
// `fota flash`: a safe A/B update through ST's ROM bootloader (AN3155) or our bootloader's native
// update mode (--transport), or a raw write for factory provisioning. The update itself is the
// portable engine (update/, docs/update-engine.md) over a RomTarget or a native::NativeTarget;
// this file checks the release files, maps the engine's reports to the output and its outcome to
// exit codes. Sequence and exit codes: docs/flashing.md, docs/native-protocol.md.
#include <fmt/format.h>
#include <poll.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "an3155/rom_flash.h"
#include "bootcore/boot.h"
#include "command.h"
#include "exit_code.h"
#include "format/crc32.h"
#include "format/flash_map.h"
#include "format/hex.h"
#include "format/sha256.h"
#include "i2c_target.h"
#include "native/host.h"
#include "native/target.h"
#include "ports_linux/file_progress_store.h"
#include "ports_linux/sodium_verifier.h"
#include "ports_linux/update_clock.h"
#include "ports_linux/update_source.h"
#include "progress.h"
#include "release/image.h"
#include "release/manifest.h"
#include "rom_connection.h"
#include "rom_target.h"
#include "target_factory.h"
#include "update/engine.h"

namespace fota::cli {
namespace {

namespace fs = std::filesystem;
using an3155::Status;

struct FlashOptions {
  ConnectionOptions connection;
  std::string release_dir;
  std::vector<std::string> raw;  // ADDR FILE
  std::string verify = "bootloader";
  std::string parallelism = "x32";
  std::string slot = "auto";
  double outcome_timeout_s = 60;
  double confirm_timeout_s = 20;
  bool no_wait = false;
  bool json = false;
  bool quiet = false;
  bool console = false;
  std::string resume_file;  // progress file: resume an interrupted update of the same release
  std::vector<std::string> public_keys;
  bool require_signature = false;
  std::string product;
  std::string version_policy = "any";
  std::string i2c;                // SPEC[:ADDR]: the native path over I2C (i2c_target.h)
  std::string transport = "rom";  // rom | native | auto
  uint32_t native_baud = 921'600;
  std::string native_entry = "pin";  // pin (NRST + sync) | hello (already in update mode)
};

struct PreparedImage {
  flash_map::Slot slot;
  std::vector<uint8_t> file;  // header + payload, as the release holds it
  ImageHeader header;
  std::string name;
};

class FlashReporter;

class Flasher {
 public:
  explicit Flasher(const FlashOptions& options)
      : options_(options), out_(options.json, options.quiet) {}
  int run();

 private:
  int fail(int code, const std::string& message);
  Expected<std::array<PreparedImage, 2>> load_release() const;
  int write_region(uint32_t address, const std::vector<uint8_t>& data, bool header_last);
  int erase_for(uint32_t address, size_t size);
  int verify_readback(uint32_t address, const std::vector<uint8_t>& data);
  int run_raw();
  int run_release();
  bool identify();  // into id_; reports the failure itself
  Status set_parallelism();

  void report_pipeline();
  friend class FlashReporter;

  const FlashOptions& options_;
  Progress out_;
  RomConnection connection_;
  DeviceIdentity id_;
  // Read cache of the ROM session (log records, slot headers): see an3155::ReadCache.
  std::vector<uint8_t> cache_storage_ = std::vector<uint8_t>(16 * 1024);
  an3155::ReadCache cache_{cache_storage_};
};

// Says so when pipelined commands kept failing and the driver went on ACK by ACK (a noisy link,
// or a ROM that does not take a burst: worth knowing on new silicon).
void Flasher::report_pipeline() {
  const an3155::Bootloader& rom = connection_.rom();
  if (!options_.connection.pipeline || rom.stats().pipeline_failures == 0) return;
  out_.message(std::to_string(rom.stats().pipeline_failures) + " pipelined command(s) failed" +
               (rom.pipelining() ? "" : "; went on ACK by ACK") +
               " (line noise, or a ROM that drops bytes of a burst: try --no-pipeline)");
}

bool Flasher::identify() {
  auto id = connection_.enter_and_identify();
  if (!id) {
    fail(kExitNoDevice, id.error());
    return false;
  }
  id_ = *id;
  return true;
}

int Flasher::fail(int code, const std::string& message) {
  out_.done();
  out_.event({{"event", "result"}, {"ok", false}, {"exit_code", code}, {"error", message}});
  std::fprintf(stderr, "fota flash: error: %s\n", message.c_str());
  return code;
}

Expected<std::array<PreparedImage, 2>> Flasher::load_release() const {
  std::array<PreparedImage, 2> images;
  const fs::path dir(options_.release_dir);
  const auto text = release::read_file(dir / "manifest.json", 1024 * 1024);
  if (!text) return text.failure();
  const auto parsed = release::parse_manifest(std::string(text->begin(), text->end()));
  if (!parsed) return fota::fail((dir / "manifest.json").string() + ": " + parsed.error());
  for (unsigned s = 0; s < flash_map::kSlotCount; ++s) {
    const auto slot = static_cast<flash_map::Slot>(s);
    const release::ManifestSlot& entry = s == 0 ? parsed->slot_a : parsed->slot_b;
    const fs::path path = dir / entry.file;
    PreparedImage& image = images[s];
    image.slot = slot;
    image.name = path.string();
    auto file = release::read_file(path, flash_map::kSlotSize + 1);
    if (!file) return file.failure();
    image.file = std::move(*file);
    if (image.file.size() > flash_map::kSlotSize) {
      return fota::fail(image.name + ": " + std::to_string(image.file.size()) +
                        " bytes do not fit a slot (" + std::to_string(flash_map::kSlotSize) +
                        " bytes)");
    }
    if (image.file.size() != entry.size) {
      return fota::fail(image.name + ": size " + std::to_string(image.file.size()) +
                        " differs from the manifest's " + std::to_string(entry.size));
    }
    if (crc32(image.file) != entry.crc32) {
      return fota::fail(image.name + ": CRC-32 " + hex32(crc32(image.file)) +
                        " differs from the manifest's " + hex32(entry.crc32) +
                        " (corrupt release)");
    }
    if (sha256(image.file) != entry.sha256) {
      return fota::fail(image.name + ": SHA-256 differs from the manifest's (corrupt release)");
    }
    const auto checked = release::parse_image(image.file, image.name);
    if (!checked) return checked.failure();
    image.header = checked->header;
    if (linked_slot(image.header) != slot) {
      return fota::fail(image.name + ": image is linked for slot " +
                        flash_map::slot_name(linked_slot(image.header)) +
                        " but the manifest lists it for slot " + flash_map::slot_name(slot));
    }
  }
  return images;
}

Status Flasher::set_parallelism() {
  if (options_.parallelism == "x8") return Status::kOk;  // the ROM's default after reset
  const auto p =
      options_.parallelism == "x16" ? an3155::Parallelism::kX16 : an3155::Parallelism::kX32;
  return connection_.rom().set_parallelism(p);
}

int Flasher::erase_for(uint32_t address, size_t size) {
  std::vector<uint16_t> sectors;
  uint64_t bytes = 0;
  for (unsigned i = 0; i < flash_map::kSectorCount; ++i) {
    const auto& sector = flash_map::kSectors[i];
    if (sector.address < address + size && address < sector.address + sector.size) {
      sectors.push_back(static_cast<uint16_t>(i));
      bytes += sector.size;
    }
  }
  std::string list;
  for (uint16_t s : sectors) list += (list.empty() ? "" : ",") + std::to_string(s);
  out_.message("erasing sector(s) " + list);
  out_.phase("erase", bytes);
  // One sector per command: progress per sector, and a lost ack costs one sector's retry.
  for (uint16_t s : sectors) {
    const uint16_t one[1] = {s};
    const Status status = connection_.rom().extended_erase(one);
    if (status != Status::kOk) {
      return fail(kExitFlashFailed, "erasing sector " + std::to_string(s) +
                                        " failed: " + connection_.describe_failure(status));
    }
    out_.advance(flash_map::kSectors[s].size);
  }
  out_.done();
  return kExitOk;
}

int Flasher::write_region(uint32_t address, const std::vector<uint8_t>& data, bool header_last) {
  out_.phase("write", data.size());
  auto write_chunk = [&](size_t offset) -> int {
    const size_t n = std::min(an3155::kMaxBlock, data.size() - offset);
    const auto chunk = std::span<const uint8_t>(data).subspan(offset, n);
    // Erased flash already reads 0xFF: skip such chunks.
    if (std::all_of(chunk.begin(), chunk.end(), [](uint8_t b) { return b == 0xFF; })) {
      out_.advance(n);
      return kExitOk;
    }
    const Status status =
        connection_.rom().write_memory(address + static_cast<uint32_t>(offset), chunk);
    if (status != Status::kOk) {
      return fail(kExitFlashFailed, "writing " + hex32(address + static_cast<uint32_t>(offset)) +
                                        " failed: " + connection_.describe_failure(status));
    }
    out_.advance(n);
    return kExitOk;
  };
  // The header goes last: until the very end the slot holds no valid image header, so a cut
  // write can never look like an image.
  const size_t first = header_last ? flash_map::kHeaderSize : 0;
  for (size_t offset = first; offset < data.size(); offset += an3155::kMaxBlock) {
    if (int code = write_chunk(offset)) return code;
  }
  if (header_last) {
    for (size_t offset = 0; offset < first && offset < data.size(); offset += an3155::kMaxBlock) {
      if (int code = write_chunk(offset)) return code;
    }
  }
  out_.done();
  return kExitOk;
}

int Flasher::verify_readback(uint32_t address, const std::vector<uint8_t>& data) {
  out_.phase("verify", data.size());
  uint8_t buffer[an3155::kMaxBlock];
  for (size_t offset = 0; offset < data.size(); offset += an3155::kMaxBlock) {
    const size_t n = std::min(an3155::kMaxBlock, data.size() - offset);
    const uint32_t at = address + static_cast<uint32_t>(offset);
    // Read Memory data has no checksum: a bit error on the way back is not a flash error. A
    // block is good as soon as one read matches; it is bad when two reads agree on other data.
    bool same = false, confirmed_bad = false;
    uint8_t previous[an3155::kMaxBlock];
    for (int attempt = 0; attempt < 8 && !same && !confirmed_bad; ++attempt) {
      const Status status = connection_.rom().read_memory(at, {buffer, n});
      if (status != Status::kOk) {
        return fail(kExitFlashFailed, "reading back " + hex32(at) +
                                          " failed: " + connection_.describe_failure(status));
      }
      same = std::equal(buffer, buffer + n, data.begin() + static_cast<long>(offset));
      confirmed_bad = !same && attempt > 0 && std::equal(buffer, buffer + n, previous);
      std::copy(buffer, buffer + n, previous);
    }
    if (!same) {
      return fail(kExitVerifyFailed,
                  "read-back differs from the image in the block at " + hex32(at));
    }
    out_.advance(n);
  }
  out_.done();
  return kExitOk;
}

int Flasher::run_raw() {
  char* end = nullptr;
  const unsigned long address = std::strtoul(options_.raw[0].c_str(), &end, 0);
  if (end == options_.raw[0].c_str() || *end != '\0' || address % 4 != 0 ||
      address < flash_map::kFlashBase || address >= flash_map::kFlashEnd) {
    return fail(kExitUsage, "--raw address '" + options_.raw[0] +
                                "' must be a 4-aligned address in main flash (0x08000000..)");
  }
  auto read = release::read_file(options_.raw[1], flash_map::kFlashSize);
  if (!read) return fail(kExitBadRelease, read.error());
  std::vector<uint8_t> data = std::move(*read);
  if (data.empty() || data.size() > flash_map::kFlashEnd - address) {
    return fail(kExitBadRelease, options_.raw[1] + ": " + std::to_string(data.size()) +
                                     " bytes do not fit at " +
                                     hex32(static_cast<uint32_t>(address)));
  }
  while (data.size() % 4) data.push_back(0xFF);
  if (auto opened = connection_.open(options_.connection); !opened) {
    return fail(kExitNoDevice, opened.error());
  }
  if (!identify()) return kExitNoDevice;
  out_.message("device STM32F40x/41x, UID " + id_.uid_hex());
  if (const Status status = set_parallelism(); status != Status::kOk) {
    return fail(kExitFlashFailed, "selecting " + options_.parallelism + " parallelism failed: " +
                                      connection_.describe_failure(status));
  }
  const auto at = static_cast<uint32_t>(address);
  if (int code = erase_for(at, data.size())) return code;
  if (int code = write_region(at, data, false)) return code;
  if (options_.verify != "none") {
    if (int code = verify_readback(at, data)) return code;
  }
  report_pipeline();
  if (auto left = connection_.leave(); !left) return fail(kExitFlashFailed, left.error());
  out_.event({{"event", "result"},
              {"ok", true},
              {"exit_code", 0},
              {"address", hex32(at)},
              {"bytes", data.size()}});
  if (!options_.json && !options_.quiet) {
    std::fprintf(stderr, "fota flash: wrote %zu bytes at %s\n", data.size(), hex32(at).c_str());
  }
  return kExitOk;
}

// The engine's reports as `fota flash` output: the same phases, messages and JSON events as
// before the engine existed, plus a "state" event per engine state.
class FlashReporter final : public update::Reporter {
 public:
  FlashReporter(Flasher& flasher, const update::Target& target, bool native, double start_s)
      : flasher_(flasher),
        out_(flasher.out_),
        target_(target),
        native_(native),
        start_s_(start_s) {}

  void on_state(update::State state, const update::Failure& failure) override {
    Json event = {{"event", "state"}, {"state", update::to_string(state)}};
    if (failure.reason != update::FailReason::kNone) {
      event["reason"] = update::to_string(failure.reason);
    }
    out_.event(event);
    if (state == update::State::kRebooting && !native_) flasher_.report_pipeline();
    if (state == update::State::kTrial && failure.reason == update::FailReason::kNone &&
        !committed_) {
      committed_ = true;
      flashed_s_ = now_seconds() - start_s_;
      out_.message("image written and committed as TRIAL in " +
                   std::to_string(flashed_s_).substr(0, 5) +
                   " s; the bootloader checks CRC-32 + SHA-256 before the first jump");
    }
  }
  void on_device(const update::DeviceId& id) override {
    uid_ = update::uid_text(id.uid).data();
    if (native_) {
      out_.message("device in our bootloader's update mode (native protocol), UID " + uid_);
    } else {
      out_.message("device STM32F40x/41x (PID 0x" + fmt::format("{:03X}", id.pid) + "), UID " +
                   uid_ + ", " + std::to_string(id.flash_kb) + " KB flash");
    }
  }
  void on_plan(const update::Plan& plan) override {
    const std::string version = release::version_string(plan.image.version);
    const char running = flash_map::slot_name(plan.running_slot);
    const char slot = flash_map::slot_name(plan.target_slot);
    out_.message(std::string("running slot ") + running + " (" +
                 bootcore::to_string(plan.running.state) + "); installing " + version +
                 " into slot " + slot + " (" + std::to_string(plan.image_bytes) + " bytes)");
    Json event = {{"event", "plan"},
                  {"uid", uid_},
                  {"slot", std::string(1, slot)},
                  {"version", version},
                  {"bytes", plan.image_bytes}};
    if (plan.resuming) {
      event["resume_offset"] = plan.resume_offset;
      out_.message("resuming the interrupted update of this release at byte " +
                   std::to_string(plan.resume_offset) + " of " + std::to_string(plan.image_bytes) +
                   (native_ ? " (the slot's prefix, by the bootloader's CRC-32)"
                            : " (the written tail checked)"));
    }
    out_.event(event);
    plan_ = plan;
  }
  void on_step(update::Step step, uint32_t total) override {
    done_ = 0;
    if (step == update::Step::kErase) {
      std::string list;
      for (unsigned i = 0; i < plan_.sector_count; ++i) {
        list += (list.empty() ? "" : ",") + std::to_string(plan_.first_sector + i);
      }
      out_.message("erasing sector(s) " + list);
    }
    out_.phase(update::to_string(step), total);
  }
  void on_progress(update::Step, uint32_t done, uint32_t) override {
    if (done > done_) out_.advance(done - done_);
    done_ = done;
  }
  void on_step_done(update::Step) override { out_.done(); }
  void on_note(update::Note note, flash_map::Slot slot) override {
    const char name = flash_map::slot_name(slot);
    switch (note) {
      case update::Note::kTrialReset:
        out_.message(std::string("slot ") + name + " did not confirm within " +
                     std::to_string(static_cast<int>(flasher_.options_.confirm_timeout_s)) +
                     " s: resetting it (each reset uses one trial attempt)");
        out_.event({{"event", "trial_reset"}, {"slot", std::string(1, name)}});
        break;
      case update::Note::kImageInvalid:
        out_.message(std::string("the bootloader refused the image in slot ") + name +
                     " (CRC-32/SHA-256 mismatch: corrupted on the way, e.g. line noise); "
                     "the previous firmware runs. Rerun, or use --verify=readback on a noisy "
                     "link");
        break;
      case update::Note::kRevertSeen:
        if (target_.refusal()[0] != '\0') {
          out_.message(std::string("the bootloader refused the image in slot ") + name + ": " +
                       target_.refusal() + " (secure boot); the previous firmware runs");
        }
        out_.message("the bootloader fell back to the other slot; reading the log");
        break;
      case update::Note::kNoVerdictYet:
        out_.message(native_ ? "no verdict on the console; asking the bootloader (native HELLO)"
                             : "no verdict on the console; reading the log through the ROM "
                               "bootloader");
        break;
      case update::Note::kResumeRejected:
        out_.message(
            "the saved resume point does not match this release, device or slot "
            "contents: starting over");
        break;
      case update::Note::kProgressSaveFailed:
        out_.message("cannot save the resume point; going on without it");
        break;
      case update::Note::kCommittedAlready:
        out_.message(std::string("slot ") + name +
                     " holds this image committed and never booted (an earlier run stopped "
                     "before the reboot): rebooting into it");
        break;
    }
  }
  double flashed_s() const { return flashed_s_; }

 private:
  Flasher& flasher_;
  Progress& out_;
  const update::Target& target_;
  bool native_;
  std::string uid_;
  double start_s_;
  double flashed_s_ = 0;
  bool committed_ = false;
  uint32_t done_ = 0;
  update::Plan plan_;
};

std::string key_id_hex(const std::array<uint8_t, kKeyIdSize>& id) {
  std::string out;
  for (uint8_t b : id) out += fmt::format("{:02x}", b);
  return out;
}

// The engine's failure as the sentence and exit code `fota flash` reports.
std::pair<int, std::string> describe(const update::Outcome& outcome, const PreparedImage& image,
                                     const update::Target& target, const FlashOptions& options) {
  using update::FailReason;
  const update::Failure& f = outcome.failure;
  const std::string& name = image.name;
  const std::string device_error = target.last_error();
  switch (f.reason) {
    case FailReason::kNone: break;
    case FailReason::kNoImageForSlot:
      return {kExitBadRelease, "the release has no image for the slot to be written"};
    case FailReason::kSourceFailed:
    case FailReason::kTruncated:
    case FailReason::kSourceTooLarge:
    case FailReason::kReleaseChanged:
      return {kExitBadRelease, name + ": " + update::to_string(f.reason) + " (" +
                                   update::to_string(f.source) + ") while reading the image"};
    case FailReason::kBadHeader: return {kExitBadRelease, name + ": " + to_string(f.header)};
    case FailReason::kWrongSlot:
      return {kExitBadRelease,
              name + ": image is not linked for slot " + flash_map::slot_name(outcome.slot)};
    case FailReason::kWrongProduct:
      return {kExitBadRelease,
              name + ": product '" + std::string(image.header.product.data()) +
                  "' is not the device's ('" +
                  (options.product.empty() ? std::string("the running image's") : options.product) +
                  "')"};
    case FailReason::kNotNewer:
      return {kExitBadRelease, name + ": version " + release::version_string(image.header.version) +
                                   " is refused by --version-policy " + options.version_policy +
                                   " (not newer than the running image)"};
    case FailReason::kBelowFloor:
      return {kExitBadRelease,
              name + ": version " + release::version_string(image.header.version) +
                  " is below the device's anti-rollback floor (its secure bootloader would "
                  "refuse it): nothing was downloaded or erased"};
    case FailReason::kUnsigned:
      return {kExitBadRelease, name + ": the image is not signed (--require-signature)"};
    case FailReason::kUnknownKey:
      return {kExitBadRelease, name + ": signed with key id " + key_id_hex(image.header.key_id) +
                                   ", which no --public-key matches"};
    case FailReason::kBadSignature:
      return {kExitBadRelease, name + ": the header signature does not verify with key " +
                                   key_id_hex(image.header.key_id) +
                                   " (tampered header or wrong key)"};
    case FailReason::kNoVerifier:
      return {kExitBadRelease,
              name + ": signed image, but no --public-key given to check it (--require-signature)"};
    case FailReason::kNoDevice: return {kExitNoDevice, device_error};
    case FailReason::kBootLog:
    case FailReason::kPrepareFailed:
    case FailReason::kEraseFailed:
    case FailReason::kWriteFailed:
    case FailReason::kReadFailed:
    case FailReason::kCommitFailed:
    case FailReason::kRebootFailed: return {kExitFlashFailed, device_error};
    case FailReason::kCancelled: return {kExitFlashFailed, "interrupted; rerun to resume"};
    case FailReason::kPayloadMismatch:
      return {kExitBadRelease, name + ": the payload does not match its header (" +
                                   to_string(f.header) + "); nothing committed"};
    case FailReason::kReadbackMismatch:
      return {kExitVerifyFailed, fmt::format("read-back differs from the image in the block at "
                                             "0x{:08X}",
                                             f.address)};
    case FailReason::kObserveFailed: return {kExitNoOutcome, device_error};
    case FailReason::kNoVerdict:
      return {kExitNoOutcome,
              std::string("slot ") + flash_map::slot_name(outcome.slot) +
                  " is still on trial (attempts " + std::to_string(f.attempts) + ") after " +
                  std::to_string(static_cast<int>(options.outcome_timeout_s)) + " s"};
    case FailReason::kLogLost: return {kExitNoOutcome, "the log no longer names the new image"};
    case FailReason::kOutcomeUnreadable:
      return {kExitNoOutcome, "cannot read the outcome: " + device_error};
  }
  return {kExitFlashFailed, update::to_string(f.reason)};
}

update::Policy make_policy(const FlashOptions& options) {
  update::Policy policy;
  std::strncpy(policy.product.data(), options.product.c_str(), kProductNameSize - 1);
  // `fota flash` is also the factory and recovery tool: by default it installs whatever the
  // release holds; the checks below are opt-in.
  policy.match_running_product = false;
  policy.version = options.version_policy == "newer"       ? update::VersionPolicy::kNewer
                   : options.version_policy == "not-older" ? update::VersionPolicy::kNotOlder
                                                           : update::VersionPolicy::kAny;
  policy.require_signature = options.require_signature;
  policy.slot = options.slot == "A"   ? update::SlotChoice::kA
                : options.slot == "B" ? update::SlotChoice::kB
                                      : update::SlotChoice::kAuto;
  policy.readback = options.verify == "readback";
  policy.wait_outcome = !options.no_wait;
  policy.outcome_timeout_ms = static_cast<uint32_t>(options.outcome_timeout_s * 1000);
  policy.confirm_timeout_ms = static_cast<uint32_t>(options.confirm_timeout_s * 1000);
  return policy;
}

int Flasher::run() {
  if (!options_.raw.empty()) {
    if (options_.transport != "rom") {
      return fail(kExitUsage, "--raw writes through the ROM bootloader only (--transport rom)");
    }
    return run_raw();
  }
  if (options_.release_dir.empty())
    return fail(kExitUsage, "give --release DIR or --raw ADDR FILE");
  return run_release();
}

int Flasher::run_release() {
  const double start = now_seconds();
  // 1. Everything about the release files is checked before the device is touched.
  const auto loaded = load_release();
  if (!loaded) return fail(kExitBadRelease, loaded.error());
  const std::array<PreparedImage, 2>& images = *loaded;
  ports::SodiumVerifier verifier;
  for (const std::string& key : options_.public_keys) {
    if (auto added = verifier.add_key_file(key); !added) return fail(kExitUsage, added.error());
  }
  // The release identity for resuming: the image bytes themselves (the header's SHA-256 and a
  // hash of the file), not the file's mtime.
  auto identity = [](const std::vector<uint8_t>& file) {
    const Sha256Digest digest = sha256(file);
    return release::hex(std::span(digest).first(16));
  };
  std::array<ports::MemorySource, 2> sources = {
      ports::MemorySource(images[0].file, identity(images[0].file)),
      ports::MemorySource(images[1].file, identity(images[1].file))};
  // 2. Device and the update, by the engine.
  auto on_console = [this](const std::string& line) {
    if (options_.console) out_.message("console: " + line);
    out_.event({{"event", "console"}, {"line", line}});
  };
  // --i2c: the native target over an I2C link (no ROM path on I2C), else over --port.
  std::unique_ptr<I2cTarget> i2c;
  if (!options_.i2c.empty()) {
    native::NativeTargetOptions native_options;
    native_options.entry =
        options_.native_entry == "hello" ? native::Entry::kHello : native::Entry::kPinReset;
    auto opened = I2cTarget::open(options_.i2c, options_.connection.pins, native_options);
    if (!opened) return fail(kExitNoDevice, opened.error());
    i2c = std::move(*opened);
  } else if (auto opened = connection_.open(options_.connection); !opened) {
    return fail(kExitNoDevice, opened.error());
  }
  // The transport: --i2c is always native over I2C; else rom, native, or auto (our bootloader if
  // it answers, else the ROM), built by the shared target factory.
  std::unique_ptr<DeviceTarget> device;
  std::string transport = "native";
  if (i2c) {
    // Nothing of the application reaches the I2C bus: the outcome comes from the bootloader's
    // log (pin reset + HELLO) after --outcome-timeout, which needs NRST.
    if (!i2c->has_pins() && !options_.no_wait) {
      out_.message(
          "I2C without --pins: the new image's outcome cannot be read (no console on "
          "I2C, no reset to ask the bootloader); not waiting for it");
    }
  } else {
    if (options_.transport == "native" && connection_.pins() == nullptr &&
        options_.native_entry != "hello") {
      return fail(kExitUsage,
                  "--transport native with --pins none needs --native-entry hello (the device "
                  "already in update mode: the application's request, or no valid image)");
    }
    TransportOptions transport_options;
    transport_options.transport = options_.transport;
    transport_options.native_baud = options_.native_baud;
    transport_options.native_hello = options_.native_entry == "hello";
    transport_options.parallelism = options_.parallelism;
    transport_options.on_console = on_console;
    device = DeviceTarget::make(connection_, transport_options);
    transport = device->transport();
    if (!device->probe_note().empty()) {
      out_.message(device->probe_note());
      out_.event({{"event", "transport"}, {"transport", transport}});
    }
  }
  const bool use_native = i2c != nullptr || device->native();
  if (use_native && options_.verify == "readback") {
    out_.message(
        "native: no read-back; the bootloader reads the whole image back and checks its "
        "CRC-32 and SHA-256 before it commits");
  }
  native::NativeTarget* native = i2c ? &i2c->target() : device->native_target();
  update::Target& target = i2c ? static_cast<update::Target&>(i2c->target()) : device->target();
  ports::UpdateClock clock;
  FlashReporter reporter(*this, target, use_native, start);
  std::optional<ports::FileProgressStore> store;
  if (!options_.resume_file.empty()) store.emplace(options_.resume_file);
  update::Engine engine(target, clock, reporter, options_.public_keys.empty() ? nullptr : &verifier,
                        store ? &*store : nullptr);
  const update::Release release{{&sources[0], &sources[1]}};
  update::Policy policy = make_policy(options_);
  if (i2c && !i2c->has_pins()) policy.wait_outcome = false;
  const update::Outcome outcome = engine.run(release, policy);
  const PreparedImage& image = images[static_cast<unsigned>(outcome.slot)];
  if (outcome.failure.reason != update::FailReason::kNone) {
    auto [code, message] = describe(outcome, image, target, options_);
    if (i2c) {
      message += " on " + i2c->where();
      if (const std::string detail = i2c->link_detail(); !detail.empty()) message += ": " + detail;
      if (!i2c->has_pins() && code == kExitNoDevice) {
        message += " (without --pins the bootloader must already be in update mode)";
      }
    }
    return fail(code, message);
  }
  // 3. The verdict.
  const bool committed_only = outcome.state == update::State::kTrial;
  const int code = outcome.state == update::State::kReverted ? kExitReverted : kExitOk;
  const char slot = flash_map::slot_name(outcome.slot);
  const std::string version = release::version_string(image.header.version);
  const std::string refusal = target.refusal();
  const std::string verdict =
      committed_only ? "committed (not waiting for the outcome)"
      : code == kExitOk
          ? std::string("confirmed: slot ") + slot + " runs " + version
          : std::string("reverted: ") + version +
                (refusal.empty() ? " did not confirm"
                                 : " was refused by the device's secure boot (" + refusal + ")") +
                "; slot " + flash_map::slot_name(flash_map::other_slot(outcome.slot)) +
                " runs the previous firmware";
  Json result = {{"event", "result"},
                 {"ok", code == kExitOk},
                 {"exit_code", code},
                 {"outcome", committed_only    ? "committed"
                             : code == kExitOk ? "confirmed"
                                               : "reverted"},
                 {"slot", std::string(1, slot)},
                 {"transport", transport},
                 {"flash_s", reporter.flashed_s()}};
  if (native != nullptr) {
    const native::HostSession& session = native->session();
    const native::HostStats& stats = session.stats();
    if (i2c) {
      result["link"] = "i2c";
      result["i2c"] = i2c->where();
    } else {
      result["link"] = "uart";
      result["baud"] = session.baud();
    }
    result["frames_sent"] = stats.frames_sent;
    result["frames_resent"] = stats.frames_resent;
    result["naks"] = stats.naks;
    result["timeouts"] = stats.timeouts;
    result["resumed_payload"] = stats.resumed_from;
  } else {
    const an3155::Stats& stats = connection_.rom().stats();
    result["retries"] = stats.retries;
    result["pipelined"] = stats.pipelined;
    result["pipeline_failures"] = stats.pipeline_failures;
  }
  if (outcome.resumed) result["resumed_from"] = outcome.resumed_from;
  if (!refusal.empty()) result["refused"] = refusal;
  out_.event(result);
  if (!options_.json && !options_.quiet) {
    std::fprintf(stderr, "fota flash: %s\n", verdict.c_str());
  }
  return code;
}

// Checks the combination of --i2c, --port, --transport, --release and --raw, then flashes.
int run_flash(FlashOptions& options, const CLI::App& cmd) {
  if (!options.i2c.empty()) {
    // I2C carries only our bootloader's protocol: ST's ROM bootloader is not reached on it.
    const char* problem =
        cmd.count("--transport") != 0 && options.transport != "native"
            ? "--i2c carries only the native protocol (our bootloader's update mode); drop "
              "--transport or give --transport native"
        : !options.raw.empty() ? "--raw writes through the ROM bootloader only (not over --i2c)"
        : !options.connection.port.empty() ? "give either --port or --i2c, not both"
        : options.release_dir.empty()      ? "--i2c needs --release DIR"
                                           : nullptr;
    if (problem != nullptr) {
      std::fprintf(stderr, "fota flash: error: %s\n", problem);
      return kExitUsage;
    }
    options.transport = "native";
  } else if (options.connection.port.empty()) {
    std::fprintf(stderr, "fota flash: error: --port is required (or --i2c for I2C)\n");
    return kExitUsage;
  }
  if (options.raw.empty() == options.release_dir.empty()) {
    std::fprintf(stderr, "fota flash: error: give exactly one of --release DIR, --raw ADDR FILE\n");
    return kExitUsage;
  }
  Flasher flasher(options);
  return flasher.run();
}

void setup(CLI::App& app, int& exit_code) {
  auto [cmd, options] = add_device_command<FlashOptions>(
      app, "flash",
      "Install a release into the inactive slot through the ROM bootloader (AN3155) or our "
      "bootloader's native update mode",
      exit_code, run_flash);
  cmd->add_option("--retries", options->connection.retries, "retries per command")
      ->capture_default_str();
  cmd->add_option("--release", options->release_dir, "release directory (manifest.json + images)");
  cmd->add_option("--raw", options->raw,
                  "ADDR FILE: write FILE at ADDR as is (factory provisioning)")
      ->expected(2);
  cmd->add_option("--verify", options->verify,
                  "bootloader: the bootloader checks CRC-32 + SHA-256 before the first jump; "
                  "readback: also read every byte back")
      ->check(CLI::IsMember({"bootloader", "readback", "none"}))
      ->capture_default_str();
  cmd->add_option("--parallelism", options->parallelism,
                  "ROM program/erase width: x32 for 2.7-3.6 V boards (Discovery), x16, x8 (1.8 V)")
      ->check(CLI::IsMember({"x8", "x16", "x32"}))
      ->capture_default_str();
  cmd->add_option("--slot", options->slot, "auto (the slot not holding the confirmed image), A, B")
      ->check(CLI::IsMember({"auto", "A", "B"}))
      ->capture_default_str();
  cmd->add_option("--outcome-timeout", options->outcome_timeout_s,
                  "seconds to wait for confirmed/reverted before reading the log (again after "
                  "each trial reset)")
      ->capture_default_str();
  cmd->add_option("--confirm-timeout", options->confirm_timeout_s,
                  "seconds a new image may run on trial without confirming before fota resets "
                  "it (each reset uses one attempt; 0: never reset)")
      ->capture_default_str();
  cmd->add_flag("--pipeline,!--no-pipeline", options->connection.pipeline,
                "Write/Read Memory as one burst without waiting for the intermediate ACKs (the "
                "default; falls back to ACK by ACK when bursts fail; checked on vstm32, not yet on "
                "silicon). --no-pipeline: always ACK by ACK");
  cmd->add_flag("--no-wait", options->no_wait, "do not wait for the outcome");
  cmd->add_option("--resume", options->resume_file,
                  "progress file: saves the resume point while writing, and continues an "
                  "interrupted update of the same release to the same device from there");
  cmd->add_option("--public-key", options->public_keys,
                  "trusted ed25519 public key file (fota keygen's NAME.pub; repeatable): signed "
                  "images are verified before anything is erased");
  cmd->add_flag("--require-signature", options->require_signature,
                "refuse images that are not signed by one of the --public-key keys");
  cmd->add_option("--product", options->product,
                  "refuse images whose header names another product");
  cmd->add_option("--version-policy", options->version_policy,
                  "any (default), newer (than the running image), not-older")
      ->check(CLI::IsMember({"any", "newer", "not-older"}))
      ->capture_default_str();
  cmd->add_option(
         "--transport", options->transport,
         "rom: ST's ROM bootloader (BOOT0 + reset, 8E1 at --baud); native: our "
         "bootloader's update mode (reset + sync, or --native-entry hello), up to 2 Mbaud; "
         "auto: native when our bootloader answers, else rom")
      ->check(CLI::IsMember({"rom", "native", "auto"}))
      ->capture_default_str();
  cmd->add_option("--native-baud", options->native_baud,
                  "native: the rate negotiated after HELLO (115200, 230400, 460800, 921600, "
                  "1000000, 2000000; falls back to 115200 if not confirmed)")
      ->check(CLI::IsMember({115200u, 230400u, 460800u, 921600u, 1000000u, 2000000u}))
      ->capture_default_str();
  add_native_entry_option(*cmd, options->native_entry);
  cmd->add_flag("--console", options->console, "show the target's console lines while waiting");
  cmd->add_flag("--json", options->json, "JSON lines on stdout (progress, plan, result)");
  cmd->add_flag("--quiet", options->quiet, "errors only");
  cmd->add_option("--i2c", options->i2c,
                  "the native path over I2C instead of a serial port: /dev/i2c-N[:ADDR] or "
                  "tcp:PORT[:ADDR] (vstm32 --i2c1); ADDR defaults to 0x42; implies --transport "
                  "native; --pins for NRST (else --native-entry hello is implied)");
  cmd->get_option("--port")->required(false);
}

const Registration registration("flash", setup);

}  // namespace
}  // namespace fota::cli
