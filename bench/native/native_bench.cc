// SPDX-License-Identifier: Apache-2.0
// The native path against the ROM path on vstm32::Machine with the real binaries, in simulated
// time (wire time at the line rate, DS8626 typical erase/program times, one instruction per cycle
// at 168 MHz): a 384 KB image (the demo padded to a full slot) installed into slot B
//  - natively at 115200, 921600 and 2,000,000 baud (pin reset + sync, baud switch, transfer,
//    verification, TRIAL appended by the bootloader, until the new image's first instruction);
//  - through ST's ROM bootloader with the an3155 driver at 115200 8E1 (BOOT0 + reset, extended
//    erase of the three sectors, pipelined 256-byte writes: the calls `fota flash` makes, without
//    its read-back and log append);
//  - natively at 2 Mbaud after a power cut at 50 % of the transfer (resume), by the host driver
//    and by the update engine over NativeTarget (resume point from the bootloader's QUERY).
// Prints each time, the physical floor max(wire time, 3 x 1 s erase + words x 16 us) and ratios.
//   build/<dir>/bench/native/native_bench [--short | --baud N]   (--short: 921600 only, the ctest
//   smoke; --baud: the native run at N only). FOTA_BENCH_TRACE=1: each native run's device events
//   (flash erases and programs with their times) on stderr, to see where the time goes.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "an3155/an3155.h"
#include "device.h"
#include "machine_link.h"
#include "native/frame.h"
#include "native/host.h"
#include "native/target.h"
#include "update/engine.h"

namespace {

using fota::boot_test::Device;
using fota::boot_test::FlashLayout;
using fota::flash_map::Slot;
using fota::native_test::MachineLink;
namespace native = fota::native;

std::vector<uint8_t> big_image() {
  std::vector<uint8_t> payload = fota::boot_test::read_artifact("demo-v2-B.bin");
  std::mt19937 rng(2);
  while (payload.size() < fota::flash_map::kMaxPayloadSize) {
    payload.push_back(static_cast<uint8_t>(rng()));
  }
  return fota::boot_test::make_image(payload, Slot::kB, {2, 0, 0, 0});
}

// v1 confirmed in slot A.
void factory(FlashLayout& layout) {
  layout.put_bootloader();
  layout.put_demo(Slot::kA, "demo-v1");
  (void)layout.append_confirmed(Slot::kA);
}

struct Run {
  bool ok = false;
  double seconds = 0;
  native::HostStats stats{};
};

// From the NRST pulse to the new image's first instruction.
Run native_run(const std::vector<uint8_t>& image, uint32_t baud, bool cut_half) {
  FlashLayout layout;
  factory(layout);
  Run r;
  Device d(layout);
  MachineLink link(d.machine());
  d.power_on();
  if (!d.run_until({"demo 1.0.0 slot A\n"}, 3'000)) {  // the power-on boot is done
    std::fprintf(stderr, "v1 did not boot\n");
    return r;
  }
  uint32_t reset_handler = 0;
  std::memcpy(&reset_handler, &image[512 + 4], 4);
  d.machine().set_breakpoint(reset_handler);
  const double t0 = d.now_ms();
  if (cut_half) {
    native::HostSession host(link, link);
    if (!host.wake(link).ok() || host.set_baud(baud) != native::HostError::kOk) return r;
    // Cut when half the payload is programmed: at its flash step.
    d.cut_at_flash_step(1 + (image.size() - 512) / 2 / 4, 0.5);
    (void)host.install(image, 1, true);
    if (d.powered()) return r;
    d.power_on();
    // The power-on boot takes its reset flags first (an NRST pulse before that still reads as a
    // power-on reset, which opens no listening window, as on silicon).
    link.run_until_ns(d.machine().now_ns() + 50'000'000);
  }
  const double t1 = d.now_ms();
  native::HostSession host(link, link);
  if (!host.wake(link).ok()) {
    std::fprintf(stderr, "native %u: no update mode\n", baud);
    return r;
  }
  if (host.set_baud(baud) != native::HostError::kOk) {
    std::fprintf(stderr, "native %u: baud switch failed\n", baud);
    return r;
  }
  if (const auto e = host.install(image, 1, true); e != native::HostError::kOk) {
    std::fprintf(stderr, "native %u: %s (%s), %u frames, %u resent, %u NAKs, %u timeouts\n", baud,
                 native::to_string(e), native::to_string(host.last_status()),
                 host.stats().frames_sent, host.stats().frames_resent, host.stats().naks,
                 host.stats().timeouts);
    return r;
  }
  link.run_until_ns(d.machine().now_ns() + 600'000'000);  // reset, boot checks, hand-over
  if (!d.machine().breakpoint_hit_ns()) {
    std::fprintf(stderr, "native %u: the new image did not start\n%s\n", baud,
                 d.recent_events().c_str());
    return r;
  }
  if (std::getenv("FOTA_BENCH_TRACE")) std::fprintf(stderr, "%s\n", d.recent_events().c_str());
  r.ok = true;
  r.seconds =
      (static_cast<double>(*d.machine().breakpoint_hit_ns()) / 1e6 - (cut_half ? t1 : t0)) / 1e3;
  r.stats = host.stats();
  return r;
}

// ---- the update engine over NativeTarget ----

class CountingLink final : public fota::an3155::ByteLink {
 public:
  explicit CountingLink(MachineLink& link) : link_(link) {}
  fota::an3155::PortStatus write(std::span<const uint8_t> bytes) override {
    written += bytes.size();
    return link_.write(bytes);
  }
  fota::an3155::PortStatus read(std::span<uint8_t> out, uint32_t timeout_ms, size_t& got) override {
    return link_.read(out, timeout_ms, got);
  }
  fota::an3155::PortStatus flush_input() override { return link_.flush_input(); }
  fota::an3155::PortStatus configure(uint32_t baud, fota::an3155::Parity parity) override {
    return link_.configure(baud, parity);
  }
  uint64_t written = 0;

 private:
  MachineLink& link_;
};

class ImageSource final : public fota::update::Source {
 public:
  explicit ImageSource(const std::vector<uint8_t>& image) : image_(image) {}
  fota::update::SourceStatus read(uint32_t offset, std::span<uint8_t> out, size_t& got) override {
    got = 0;
    if (offset >= image_.size()) return fota::update::SourceStatus::kEnd;
    got = std::min(out.size(), image_.size() - offset);
    std::memcpy(out.data(), image_.data() + offset, got);
    return got == out.size() ? fota::update::SourceStatus::kOk : fota::update::SourceStatus::kEnd;
  }

 private:
  const std::vector<uint8_t>& image_;
};

class SimClock final : public fota::update::Clock {
 public:
  explicit SimClock(MachineLink& link) : link_(link) {}
  uint64_t now_ms() override { return link_.now_us() / 1000; }

 private:
  MachineLink& link_;
};

struct Quiet final : fota::update::Reporter {
  void on_state(fota::update::State, const fota::update::Failure&) override {}
};

struct EngineRun {
  bool ok = false;
  double seconds = 0;         // the rerun: NRST pulse .. the new image's first instruction
  uint64_t rerun_bytes = 0;   // bytes the host sent in the rerun
  uint32_t resumed_from = 0;  // image offset the engine resumed at
};

fota::update::Outcome engine_once(MachineLink& link, CountingLink& counted,
                                  const std::vector<uint8_t>& image, uint32_t baud) {
  std::vector<uint8_t> ring(64 * 1024);
  native::NativeTargetOptions options;
  options.baud = baud;
  native::NativeTarget target(counted, link, &link, ring, options);
  SimClock clock(link);
  Quiet reporter;
  fota::update::Engine engine(target, clock, reporter, nullptr, nullptr);
  ImageSource source(image);
  fota::update::Policy policy;
  policy.require_signature = false;
  policy.version = fota::update::VersionPolicy::kAny;
  policy.wait_outcome = false;
  return engine.run(fota::update::Release{{nullptr, &source}}, policy);
}

// A power cut when half the payload is programmed, then a rerun of the engine, which resumes
// from what the bootloader's QUERY reports.
EngineRun engine_resume_run(const std::vector<uint8_t>& image, uint32_t baud) {
  FlashLayout layout;
  factory(layout);
  EngineRun r;
  Device d(layout);
  MachineLink link(d.machine());
  d.power_on();
  if (!d.run_until({"demo 1.0.0 slot A\n"}, 3'000)) return r;
  uint32_t reset_handler = 0;
  std::memcpy(&reset_handler, &image[512 + 4], 4);
  d.machine().set_breakpoint(reset_handler);
  {
    CountingLink counted(link);
    d.cut_at_flash_step(1 + (image.size() - 512) / 2 / 4, 0.5);
    (void)engine_once(link, counted, image, baud);
    if (d.powered()) return r;
  }
  d.power_on();
  link.run_until_ns(d.machine().now_ns() + 50'000'000);  // the power-on boot into v1
  const double t1 = d.now_ms();
  CountingLink counted(link);
  const fota::update::Outcome outcome = engine_once(link, counted, image, baud);
  if (outcome.failure.reason != fota::update::FailReason::kNone) {
    std::fprintf(stderr, "engine resume: %s\n", fota::update::to_string(outcome.failure.reason));
    return r;
  }
  link.run_until_ns(d.machine().now_ns() + 600'000'000);
  if (!d.machine().breakpoint_hit_ns()) return r;
  r.ok = outcome.resumed;
  r.seconds = (static_cast<double>(*d.machine().breakpoint_hit_ns()) / 1e6 - t1) / 1e3;
  r.rerun_bytes = counted.written;
  r.resumed_from = outcome.resumed_from;
  return r;
}

Run rom_run(const std::vector<uint8_t>& image) {
  FlashLayout layout;
  factory(layout);
  Device d(layout);
  MachineLink link(d.machine());
  d.power_on();
  Run r;
  const double t0 = d.now_ms();
  fota::an3155::Bootloader rom(link, &link, link);
  if (rom.enter() != fota::an3155::Status::kOk) return r;
  const uint16_t sectors[] = {8, 9, 10};
  if (rom.set_parallelism(fota::an3155::Parallelism::kX32) != fota::an3155::Status::kOk) return r;
  if (rom.extended_erase(sectors) != fota::an3155::Status::kOk) return r;
  const uint32_t base = fota::flash_map::slot_address(Slot::kB);
  std::vector<uint8_t> padded = image;
  while (padded.size() % 4 != 0) padded.push_back(0xFF);
  for (size_t at = 0; at < padded.size(); at += 256) {
    const size_t n = padded.size() - at < 256 ? padded.size() - at : 256;
    if (rom.write_memory(base + static_cast<uint32_t>(at),
                         std::span<const uint8_t>(padded.data() + at, n)) !=
        fota::an3155::Status::kOk) {
      return r;
    }
  }
  if (std::getenv("FOTA_BENCH_TRACE")) std::fprintf(stderr, "%s\n", d.recent_events().c_str());
  r.ok = true;
  r.seconds = (d.now_ms() - t0) / 1e3;
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  // --short: 921600 only (the ctest smoke); --baud N: the native run at N only.
  const bool short_mode = argc > 1 && std::strcmp(argv[1], "--short") == 0;
  const uint32_t only_baud = argc > 2 && std::strcmp(argv[1], "--baud") == 0
                                 ? static_cast<uint32_t>(std::strtoul(argv[2], nullptr, 10))
                                 : (short_mode ? 921'600u : 0u);
  const std::vector<uint8_t> image = big_image();
  const double words = static_cast<double>((image.size() - 512 + 3) / 4);
  const double flash_floor = 3 * 1.0 + words * 16e-6;
  std::printf("native path vs ROM path, %zu-byte image (384 KB slot), vstm32 simulated time\n",
              image.size());
  std::printf("flash floor (3 x 1 s erase + %.0f words x 16 us, DS8626 typical x32): %.3f s\n",
              words, flash_floor);
  const uint32_t rates[] = {115'200, 921'600, 2'000'000};
  double fastest = 0;  // the fastest native run that completed, and its rate
  uint32_t fastest_baud = 0;
  int failures = 0;
  for (uint32_t baud : rates) {
    if (only_baud != 0 && baud != only_baud) continue;
    const double wire =
        static_cast<double>(image.size() +
                            (image.size() / native::kMaxData + 1) * native::kFrameOverhead + 4) *
        10 / baud;
    const double floor = wire > flash_floor ? wire : flash_floor;
    const Run r = native_run(image, baud, false);
    if (!r.ok) {
      std::printf("native %7u baud: FAILED\n", baud);
      ++failures;
      continue;
    }
    if (fastest == 0 || r.seconds < fastest) {
      fastest = r.seconds;
      fastest_baud = baud;
    }
    std::printf(
        "native %7u baud: %7.3f s  wire %.3f s  floor %.3f s  ratio to floor %.3f  to wire %.3f  "
        "(%u frames sent, %u resent)\n",
        baud, r.seconds, wire, floor, r.seconds / floor, r.seconds / wire, r.stats.frames_sent,
        r.stats.frames_resent);
  }
  if (only_baud == 0) {
    const Run rom = rom_run(image);
    if (rom.ok) {
      std::printf(
          "ROM path 115200 8E1 (erase + pipelined writes): %.3f s; native at %u baud is %.2f x "
          "faster\n",
          rom.seconds, fastest_baud, fastest > 0 ? rom.seconds / fastest : 0.0);
    } else {
      std::printf("ROM path: FAILED\n");
      ++failures;
    }
    const Run resume = native_run(image, fastest_baud, true);
    if (resume.ok && fastest > 0) {
      std::printf(
          "native %u baud resume after a cut at 50 %%: %.3f s = %.1f %% of a full transfer "
          "(resumed at payload offset %u)\n",
          fastest_baud, resume.seconds, 100 * resume.seconds / fastest, resume.stats.resumed_from);
    } else {
      std::printf("native resume: FAILED\n");
      ++failures;
    }
    const EngineRun er = engine_resume_run(image, fastest_baud);
    if (er.ok && fastest > 0) {
      // The cut came when half the payload was programmed; what the rerun sends of that half
      // again is the payload re-sent (the last 4 KB block before the cut may be torn).
      const uint32_t payload = static_cast<uint32_t>(image.size()) - 512;
      const uint32_t kept = er.resumed_from - 512;
      std::printf(
          "engine over NativeTarget, %u baud, cut at 50 %% programmed: rerun %.3f s = %.1f %% of a "
          "full transfer; resumed at payload offset %u (%.1f %% of the payload; %u payload bytes "
          "re-sent = %.1f %%); the rerun sent %llu bytes on the wire\n",
          fastest_baud, er.seconds, 100 * er.seconds / fastest, kept, 100.0 * kept / payload,
          payload / 2 - kept, 100.0 * (payload / 2 - kept) / payload,
          static_cast<unsigned long long>(er.rerun_bytes));
    } else {
      std::printf("engine resume: FAILED\n");
      ++failures;
    }
  }
  return failures == 0 ? 0 : 1;
}
