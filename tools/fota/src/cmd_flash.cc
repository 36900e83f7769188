// SPDX-License-Identifier: Apache-2.0
// `fota flash`: a safe A/B update through ST's ROM bootloader (AN3155), or a raw write for factory
// provisioning. Sequence and exit codes: docs/flashing.md.
#include <fmt/format.h>
#include <poll.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "an3155/rom_flash.h"
#include "bootcore/boot.h"
#include "command.h"
#include "exit_code.h"
#include "format/crc32.h"
#include "format/flash_map.h"
#include "format/sha256.h"
#include "progress.h"
#include "release/image.h"
#include "release/manifest.h"
#include "rom_connection.h"

namespace fota::cli {
namespace {

namespace fs = std::filesystem;
using an3155::Status;

std::string hex32(uint32_t value) {
  return fmt::format("0x{:08X}", value);
}

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
};

struct PreparedImage {
  flash_map::Slot slot;
  std::vector<uint8_t> file;  // header + payload, padded to a multiple of 4 with 0xFF
  ImageHeader header;
  std::string name;
};

class Flasher {
 public:
  explicit Flasher(const FlashOptions& options)
      : options_(options), out_(options.json, options.quiet) {}
  int run();

 private:
  int fail(int code, const std::string& message);
  bool load_release(std::array<PreparedImage, 2>& images, std::string& error);
  int write_region(uint32_t address, const std::vector<uint8_t>& data, bool header_last);
  int erase_for(uint32_t address, size_t size);
  int verify_readback(uint32_t address, const std::vector<uint8_t>& data);
  int wait_outcome(const PreparedImage& image);
  int run_raw();
  bool identify();  // into id_; reports the failure itself
  Status set_parallelism();

  void report_pipeline();

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

bool Flasher::load_release(std::array<PreparedImage, 2>& images, std::string& error) {
  const fs::path dir(options_.release_dir);
  std::vector<uint8_t> text;
  if (!release::read_file(dir / "manifest.json", 1024 * 1024, text, error)) return false;
  const auto parsed = release::parse_manifest(std::string(text.begin(), text.end()));
  if (!parsed.ok) {
    error = (dir / "manifest.json").string() + ": " + parsed.error;
    return false;
  }
  for (unsigned s = 0; s < flash_map::kSlotCount; ++s) {
    const auto slot = static_cast<flash_map::Slot>(s);
    const release::ManifestSlot& entry = s == 0 ? parsed.manifest.slot_a : parsed.manifest.slot_b;
    const fs::path path = dir / entry.file;
    PreparedImage& image = images[s];
    image.slot = slot;
    image.name = path.string();
    if (!release::read_file(path, flash_map::kSlotSize + 1, image.file, error)) return false;
    if (image.file.size() > flash_map::kSlotSize) {
      error = image.name + ": " + std::to_string(image.file.size()) + " bytes do not fit a slot (" +
              std::to_string(flash_map::kSlotSize) + " bytes)";
      return false;
    }
    if (image.file.size() != entry.size) {
      error = image.name + ": size " + std::to_string(image.file.size()) +
              " differs from the manifest's " + std::to_string(entry.size);
      return false;
    }
    if (crc32(image.file) != entry.crc32) {
      error = image.name + ": CRC-32 " + hex32(crc32(image.file)) +
              " differs from the manifest's " + hex32(entry.crc32) + " (corrupt release)";
      return false;
    }
    if (sha256(image.file) != entry.sha256) {
      error = image.name + ": SHA-256 differs from the manifest's (corrupt release)";
      return false;
    }
    const auto checked = release::parse_image(image.file, image.name);
    if (!checked.ok) {
      error = checked.error;
      return false;
    }
    image.header = checked.image.header;
    if (linked_slot(image.header) != slot) {
      error = image.name + ": image is linked for slot " +
              flash_map::slot_name(linked_slot(image.header)) +
              " but the manifest lists it for slot " + flash_map::slot_name(slot);
      return false;
    }
    while (image.file.size() % 4) image.file.push_back(flash_map::kErasedByte);
  }
  return true;
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

// Watches the target's console (USART1, 8N1) for the bootloader's and the application's lines;
// without a verdict before the deadline, reads the log back through the ROM bootloader.
int Flasher::wait_outcome(const PreparedImage& image) {
  const char target = flash_map::slot_name(image.slot);
  auto& port = connection_.port();
  (void)port.configure(115200, an3155::Parity::kNone);
  out_.phase("outcome", 0);
  const double deadline = now_seconds() + options_.outcome_timeout_s;
  std::string line;
  bool target_booted = false;
  double booted_at = 0;
  int verdict = -1;
  while (verdict < 0 && now_seconds() < deadline) {
    // Trial supervision: an image that booted but does not confirm within --confirm-timeout is
    // reset, which costs it one of its attempts; the bootloader reverts once they are used up.
    if (target_booted && options_.confirm_timeout_s > 0 && connection_.pins() != nullptr &&
        now_seconds() - booted_at > options_.confirm_timeout_s) {
      out_.message(std::string("slot ") + target + " did not confirm within " +
                   std::to_string(static_cast<int>(options_.confirm_timeout_s)) +
                   " s: resetting it (each reset uses one trial attempt)");
      out_.event({{"event", "trial_reset"}, {"slot", std::string(1, target)}});
      if (auto left = connection_.leave(); !left) return fail(kExitNoOutcome, left.error());
      target_booted = false;
    }
    uint8_t byte;
    size_t got = 0;
    const auto status = port.read({&byte, 1}, 100, got);
    if (status == an3155::PortStatus::kIoError) {
      return fail(kExitNoOutcome,
                  "serial port lost while waiting for the outcome: " + port.last_error());
    }
    if (got == 0) continue;
    if (byte != '\n' && byte != '\r') {
      if (line.size() < 256) line += static_cast<char>(byte);
      continue;
    }
    if (line.empty()) continue;
    if (options_.console) out_.message("console: " + line);
    out_.event({{"event", "console"}, {"line", line}});
    if (const auto boot = bootcore::parse_boot_line(line)) {
      if (boot->slot == target && boot->decision == "confirmed") {
        verdict = kExitOk;  // it confirmed silently before a supervision reset
      } else if (boot->slot == target) {
        target_booted = true;
        booted_at = now_seconds();
      } else if (boot->boots()) {
        verdict = kExitReverted;
        if (boot->image_invalid()) {
          out_.message(std::string("the bootloader refused the image in slot ") + target +
                       " (CRC-32/SHA-256 mismatch: corrupted on the way, e.g. line noise); "
                       "the previous firmware runs. Rerun, or use --verify=readback on a noisy "
                       "link");
        }
      }
    } else if (target_booted && line.find("confirmed") != std::string::npos) {
      verdict = kExitOk;
    }
    line.clear();
  }
  out_.done();
  if (verdict == kExitOk) return kExitOk;
  // Ask the log (also confirms a revert seen on the console).
  out_.message(verdict == kExitReverted
                   ? "the bootloader fell back to the other slot; reading the log"
                   : "no verdict on the console; reading the log through the ROM bootloader");
  if (auto id = connection_.enter_and_identify(); !id) {
    return fail(kExitNoOutcome, "cannot read the outcome: " + id.error());
  }
  an3155::RomFlash flash(connection_.rom());
  bootcore::MetaLog log(flash);
  if (log.load() != bootcore::LogStatus::kOk) {
    return fail(kExitNoOutcome, "cannot read the boot log back");
  }
  const bootcore::SlotInfo info = bootcore::slot_info(flash, log, image.slot);
  (void)connection_.leave();  // the log is read: a failed reset does not change the verdict
  switch (info.state) {
    case bootcore::SlotState::kConfirmed: return kExitOk;
    case bootcore::SlotState::kRejected: return kExitReverted;
    case bootcore::SlotState::kTrial:
      return fail(kExitNoOutcome, std::string("slot ") + target + " is still on trial (attempts " +
                                      std::to_string(info.attempts) + ") after " +
                                      std::to_string(static_cast<int>(options_.outcome_timeout_s)) +
                                      " s");
    default: return fail(kExitNoOutcome, "the log no longer names the new image");
  }
}

int Flasher::run_raw() {
  char* end = nullptr;
  const unsigned long address = std::strtoul(options_.raw[0].c_str(), &end, 0);
  if (end == options_.raw[0].c_str() || *end != '\0' || address % 4 != 0 ||
      address < flash_map::kFlashBase || address >= flash_map::kFlashEnd) {
    return fail(kExitUsage, "--raw address '" + options_.raw[0] +
                                "' must be a 4-aligned address in main flash (0x08000000..)");
  }
  std::vector<uint8_t> data;
  std::string error;
  if (!release::read_file(options_.raw[1], flash_map::kFlashSize, data, error)) {
    return fail(kExitBadRelease, error);
  }
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

int Flasher::run() {
  if (!options_.raw.empty()) return run_raw();
  if (options_.release_dir.empty())
    return fail(kExitUsage, "give --release DIR or --raw ADDR FILE");
  const double start = now_seconds();
  // 1. Everything about the release is checked before the device is touched.
  std::array<PreparedImage, 2> images;
  std::string error;
  if (!load_release(images, error)) return fail(kExitBadRelease, error);
  // 2. Device: ROM, identity, log.
  if (auto opened = connection_.open(options_.connection); !opened) {
    return fail(kExitNoDevice, opened.error());
  }
  out_.phase("connect", 0);
  if (!identify()) return kExitNoDevice;
  out_.done();
  out_.message("device STM32F40x/41x (PID 0x413), UID " + id_.uid_hex() + ", " +
               std::to_string(id_.flash_kb) + " KB flash");
  an3155::RomFlash flash(connection_.rom(), true, &cache_);
  bootcore::MetaLog log(flash);
  if (const auto status = log.load(); status != bootcore::LogStatus::kOk) {
    return fail(kExitFlashFailed, std::string("cannot read the boot log: ") +
                                      bootcore::to_string(status) + " (" +
                                      bootcore::to_string(log.flash_status()) + ")");
  }
  flash_map::Slot target = bootcore::install_slot(flash, log);
  if (options_.slot == "A" || options_.slot == "B") {
    target = options_.slot == "A" ? flash_map::Slot::kA : flash_map::Slot::kB;
  }
  const PreparedImage& image = images[static_cast<unsigned>(target)];
  const bootcore::SlotInfo running = bootcore::slot_info(flash, log, flash_map::other_slot(target));
  const std::string version = release::version_string(image.header.version);
  out_.message(std::string("running slot ") + flash_map::slot_name(flash_map::other_slot(target)) +
               " (" + bootcore::to_string(running.state) + "); installing " + version +
               " into slot " + flash_map::slot_name(target) + " (" +
               std::to_string(image.file.size()) + " bytes)");
  out_.event({{"event", "plan"},
              {"uid", id_.uid_hex()},
              {"slot", std::string(1, flash_map::slot_name(target))},
              {"version", version},
              {"bytes", image.file.size()}});
  // 3. Program.
  if (const Status status = set_parallelism(); status != Status::kOk) {
    return fail(kExitFlashFailed, "selecting " + options_.parallelism + " parallelism failed: " +
                                      connection_.describe_failure(status));
  }
  const uint32_t slot_address = flash_map::slot_address(target);
  if (int code = erase_for(slot_address, image.file.size())) return code;
  if (int code = write_region(slot_address, image.file, true)) return code;
  if (options_.verify == "readback") {
    if (int code = verify_readback(slot_address, image.file)) return code;
  }
  // 4. Commit with bootcore's own log code, then boot.
  out_.phase("commit", 0);
  if (const auto status = bootcore::request_trial(log, target, image.header);
      status != bootcore::LogStatus::kOk) {
    return fail(kExitFlashFailed, std::string("appending the TRIAL record failed: ") +
                                      bootcore::to_string(status) + " (" +
                                      bootcore::to_string(log.flash_status()) + ")");
  }
  out_.done();
  report_pipeline();
  if (auto left = connection_.leave(); !left) return fail(kExitFlashFailed, left.error());
  const double flashed_s = now_seconds() - start;
  out_.message("image written and committed as TRIAL in " + std::to_string(flashed_s).substr(0, 5) +
               " s; the bootloader checks CRC-32 + SHA-256 before the first jump");
  int code = kExitOk;
  if (!options_.no_wait) code = wait_outcome(image);
  if (code == kExitOk || code == kExitReverted) {
    const std::string verdict =
        options_.no_wait ? "committed (not waiting for the outcome)"
        : code == kExitOk
            ? std::string("confirmed: slot ") + flash_map::slot_name(target) + " runs " + version
            : std::string("reverted: ") + version + " did not confirm; slot " +
                  flash_map::slot_name(flash_map::other_slot(target)) +
                  " runs the previous firmware";
    const an3155::Stats& stats = connection_.rom().stats();
    out_.event({{"event", "result"},
                {"ok", code == kExitOk},
                {"exit_code", code},
                {"outcome", options_.no_wait  ? "committed"
                            : code == kExitOk ? "confirmed"
                                              : "reverted"},
                {"slot", std::string(1, flash_map::slot_name(target))},
                {"flash_s", flashed_s},
                {"retries", stats.retries},
                {"pipelined", stats.pipelined},
                {"pipeline_failures", stats.pipeline_failures}});
    if (!options_.json && !options_.quiet) {
      std::fprintf(stderr, "fota flash: %s\n", verdict.c_str());
    }
  }
  return code;
}

void setup(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<FlashOptions>();
  CLI::App* cmd = app.add_subcommand(
      "flash", "Install a release into the inactive slot through the ROM bootloader (AN3155)");
  cmd->add_option("--port", options->connection.port, "serial port (e.g. /dev/ttyUSB0, a pty)")
      ->required();
  cmd->add_option("--pins", options->connection.pins,
                  "BOOT0/NRST backend: vstm32:SOCK | gpiod:CHIP,boot0=N,nrst=M[,boot0-active-low]"
                  "[,nrst-active-high] | serial-dtr-rts[:boot0=[!]rts,nrst=[!]dtr] | none")
      ->capture_default_str();
  cmd->add_option("--baud", options->connection.baud, "baud rate (8E1)")->capture_default_str();
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
                  "seconds to wait for confirmed/reverted before reading the log")
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
  cmd->add_flag("--console", options->console, "show the target's console lines while waiting");
  cmd->add_flag("--json", options->json, "JSON lines on stdout (progress, plan, result)");
  cmd->add_flag("--quiet", options->quiet, "errors only");
  cmd->callback([options, &exit_code] {
    if (options->raw.empty() == options->release_dir.empty()) {
      std::fprintf(stderr,
                   "fota flash: error: give exactly one of --release DIR, --raw ADDR FILE\n");
      exit_code = kExitUsage;
      return;
    }
    Flasher flasher(*options);
    exit_code = flasher.run();
  });
}

const Registration registration("flash", setup);

}  // namespace
}  // namespace fota::cli
