// SPDX-License-Identifier: Apache-2.0
// Random power cuts during native updates on vstm32::Machine (real bootloader and demo): inside
// sector erases, word programs, the header write, the TRIAL append, the baud switch, or at a random
// time. After each cut the device must boot an allowed image (v1, or v2 once its TRIAL landed) and
// a rerun of the update (resuming what the slot holds) must complete with v2 confirmed.
// Short mode in ctest; FOTA_NATIVE_POWER_CUTS=500 for the long campaign (docs/native-protocol.md).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "device.h"
#include "machine_link.h"
#include "native/host.h"

namespace fota::native {
namespace {

using boot_test::Device;
using boot_test::FlashLayout;
using flash_map::Slot;
using native_test::MachineLink;

unsigned env_count(const char* name, unsigned fallback) {
  const char* v = std::getenv(name);
  return v != nullptr ? static_cast<unsigned>(std::strtoul(v, nullptr, 10)) : fallback;
}

bool booted(const std::string& out, const char* version) {
  return out.find(std::string("demo ") + version + " slot") != std::string::npos;
}

TEST(NativePowerCut, RandomCutsNeverBrickAndARerunCompletes) {
  const unsigned cuts_wanted = env_count("FOTA_NATIVE_POWER_CUTS", 8);
  const uint64_t seed0 = env_count("FOTA_NATIVE_POWER_CUT_SEED", 20261202);
  // The factory state once: v1 confirmed in A.
  FlashLayout base;
  base.put_bootloader();
  ASSERT_TRUE(base.put_confirmed_v1());
  const auto v2 = boot_test::demo_image("demo-v2", Slot::kB);

  unsigned cuts = 0, in_flash = 0, resumed = 0, v2_before_rerun = 0, runs = 0;
  unsigned bricked = 0, wrong = 0, rerun_failed = 0;
  for (uint64_t run = 0; cuts < cuts_wanted && run < 4ull * cuts_wanted + 8; ++run) {
    ++runs;
    FlashLayout layout;
    layout.assign(base.bytes());
    Device d(layout, seed0 + run);
    MachineLink link(d.machine());
    d.power_on();
    // Let the power-on boot take its reset flags (an NRST pulse before that still reads as a
    // power-on reset, which opens no listening window, as on silicon).
    if (!d.run_until({"demo 1.0.0 slot A\n"}, 3'000)) {
      ADD_FAILURE() << "run " << run << ": v1 did not boot\n" << d.output();
      continue;
    }
    const uint64_t seed = seed0 * 7919 + run;
    // Half the runs at 2 Mbaud, half at 115200 (different timing of cuts against frames).
    const uint32_t baud = run % 2 == 0 ? 2'000'000 : 115'200;
    {
      HostSession host(link, link);
      if (!host.wake(link).ok()) {
        ADD_FAILURE() << "run " << run << ": no update mode";
        continue;
      }
      // Window: the whole update (erase ~1 s, programs, header, TRIAL) at this rate.
      const std::string plan = d.cut_random(seed, baud == 2'000'000 ? 1'300 : 2'400, 3'000);
      (void)host.set_baud(baud);
      (void)host.install(v2, 1, true);
      if (d.powered()) {
        d.cancel_cut();  // the cut was planned after the update: not counted
        continue;
      }
      ++cuts;
      in_flash += d.last_cut().find("flash") != std::string::npos;
      (void)plan;
    }
    // After the cut: the device boots an allowed image by itself.
    d.mark();
    d.power_on();
    const bool up = d.run_until(
        [](const std::string& out) { return booted(out, "1.0.0") || booted(out, "2.0.0"); }, 4'000);
    if (!up) {
      ++bricked;
      ADD_FAILURE() << "run " << run << ": nothing booted after the cut (" << d.last_cut() << ")\n"
                    << d.output() << d.recent_events();
      continue;
    }
    if (booted(d.output(), "2.0.0")) {
      // The TRIAL record landed before the cut: v2 runs on trial and confirms; nothing to redo.
      ++v2_before_rerun;
      if (!d.run_until({"confirmed\n"}, 4'000)) {
        ++wrong;
        ADD_FAILURE() << "run " << run << ": v2 booted but did not confirm\n" << d.output();
      }
      continue;
    }
    // v1 runs: rerun the update, resuming what slot B holds.
    HostSession host(link, link);
    if (!host.wake(link).ok()) {
      ++rerun_failed;
      ADD_FAILURE() << "run " << run << ": no update mode for the rerun";
      continue;
    }
    (void)host.set_baud(baud);
    const HostError e = host.install(v2, 1, true);
    if (host.stats().resumed_from != 0) ++resumed;
    if (e != HostError::kOk) {
      ++rerun_failed;
      ADD_FAILURE() << "run " << run << ": rerun failed: " << to_string(e) << " / "
                    << to_string(host.last_status());
      continue;
    }
    d.mark();
    if (!d.run_until({"demo 2.0.0 slot B\n", "confirmed\n"}, 4'000)) {
      ++wrong;
      ADD_FAILURE() << "run " << run << ": v2 did not confirm after the rerun\n" << d.output();
    }
  }
  std::printf(
      "native power cuts: %u cuts (%u inside flash steps) in %u runs; %u booted v2 before the "
      "rerun, %u reruns resumed; %u bricked, %u wrong image, %u reruns failed\n",
      cuts, in_flash, runs, v2_before_rerun, resumed, bricked, wrong, rerun_failed);
  // The campaign proves something only if the cuts happened, some of them inside flash work.
  EXPECT_EQ(cuts, cuts_wanted);
  EXPECT_GT(in_flash, 0u);
  EXPECT_EQ(bricked, 0u);
  EXPECT_EQ(wrong, 0u);
  EXPECT_EQ(rerun_failed, 0u);
}

}  // namespace
}  // namespace fota::native
