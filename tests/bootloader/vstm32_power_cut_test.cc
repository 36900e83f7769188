// Random power cuts across the boot flows, with the real binaries on vstm32::Machine: first boot
// of a factory image, update to B, a never-confirming update, a hard-faulting update (watchdog), a
// corrupted update, a second update back into A, and an update that makes the log compact (sector
// erase). Cuts land at random instructions (anywhere, in the bootloader, in the application's
// confirm), inside one of the flash program/erase steps (torn word, partly erased sector:
// Machine::cut_at_flash_step) and at Machine::cut_random's choice (a random time or flash step).
// After the cut(s) the device is powered again and must reach a valid application that confirms
// within the boot budget; anything else is a bricked device. Every application that runs must be
// one the flow allows (an invalid or rejected image never runs), and once an application said
// "confirmed" (its record was durable) no other image may run in that flow (none of the flows
// installs a newer one).
//
// Short mode (ctest): FOTA_BOOT_POWER_CUTS cuts, 100 by default.
// Long mode:  FOTA_BOOT_POWER_CUTS=1000 build/<dir>/tests/bootloader/bootloader_power_cut_test
//             (FOTA_BOOT_POWER_CUT_SEED=<n> picks another random sequence; the seed is printed;
//             FOTA_BOOT_POWER_CUT_FLOWS=<name,name> runs only these flows).
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>

#include "bootcore/meta_log.h"
#include "device.h"
#include "flash_layout.h"

namespace fota::boot_test {
namespace {

using flash_map::Slot;

constexpr double kBudgetMs = 12'000;  // after the last cut: boot(s) + self-test + confirm
constexpr double kWatchdogMs = 8'192;

struct Flow {
  std::string name;
  std::function<void(FlashLayout&)> setup;
  std::set<std::string> allowed;  // "demo <version> slot <X>" banners allowed to run at the end
  std::set<std::string> may_run;  // banners allowed to appear before the end (besides `allowed`)
  bool resets_on_no_confirm = false;
  double budget_ms = kBudgetMs;  // after the last cut
};

void fill_log(FlashLayout& layout, unsigned records) {
  // Repeats A's CONFIRMED record until the main area is nearly full: the next appends compact.
  bootcore::MetaLog log(layout.flash());
  ASSERT_EQ(log.load(), bootcore::LogStatus::kOk);
  const auto state = log.state().of(Slot::kA);
  ASSERT_TRUE(state.present);
  for (unsigned i = 0; i < records; ++i)
    ASSERT_EQ(log.append(state.record), bootcore::LogStatus::kOk);
}

void confirmed_a_trial_b(FlashLayout& l, const std::string& b) {
  l.put_demo(Slot::kA, "demo-v1");
  ASSERT_TRUE(l.append_confirmed(Slot::kA));
  l.put_demo(Slot::kB, b);
  ASSERT_TRUE(l.append_trial(Slot::kB));
}

std::vector<Flow> flows() {
  std::vector<Flow> f;
  f.push_back({"first-boot",
               [](FlashLayout& l) { l.put_demo(Slot::kA, "demo-v1"); },
               {"demo 1.0.0 slot A"},
               {}});
  f.push_back({"update-B",
               [](FlashLayout& l) { confirmed_a_trial_b(l, "demo-v2"); },
               {"demo 1.0.0 slot A", "demo 2.0.0 slot B"},
               {}});
  f.push_back({"no-confirm",
               [](FlashLayout& l) { confirmed_a_trial_b(l, "demo-noconfirm"); },
               {"demo 1.0.0 slot A"},
               {"demo 2.1.0 slot B"},
               true});
  // Three watchdog periods (8.2 s each) before the revert.
  f.push_back({"hardfault-B",
               [](FlashLayout& l) { confirmed_a_trial_b(l, "demo-hardfault"); },
               {"demo 1.0.0 slot A"},
               {"demo 2.2.0 slot B"},
               false,
               4 * kWatchdogMs + kBudgetMs});
  // The corrupted v2 must never run, not even once.
  f.push_back({"corrupt-B",
               [](FlashLayout& l) {
                 confirmed_a_trial_b(l, "demo-v2");
                 l.corrupt_payload(Slot::kB);
               },
               {"demo 1.0.0 slot A"},
               {}});
  f.push_back({"update-A",
               [](FlashLayout& l) {
                 l.put_demo(Slot::kA, "demo-v1");
                 ASSERT_TRUE(l.append_confirmed(Slot::kA));
                 l.put_demo(Slot::kB, "demo-v2");
                 ASSERT_TRUE(l.append_confirmed(Slot::kB));
                 l.put_demo(Slot::kA, "demo-v3");
                 ASSERT_TRUE(l.append_trial(Slot::kA));
               },
               {"demo 2.0.0 slot B", "demo 3.0.0 slot A"},
               {}});
  f.push_back({"compaction",
               [](FlashLayout& l) {
                 l.put_demo(Slot::kA, "demo-v1");
                 ASSERT_TRUE(l.append_confirmed(Slot::kA));
                 // 1 + (4096 - 2) + 1 records: sector 11 is full, the bootloader's attempt record
                 // compacts.
                 fill_log(l, bootcore::kMainLogArea.slot_count() - 2);
                 l.put_demo(Slot::kB, "demo-v2");
                 ASSERT_TRUE(l.append_trial(Slot::kB));
               },
               {"demo 1.0.0 slot A", "demo 2.0.0 slot B"},
               {}});
  return f;
}

// True when `out` holds a whole line starting with `prefix`.
bool has_line(const std::string& out, const std::string& prefix) {
  for (size_t at = out.find(prefix); at != std::string::npos; at = out.find(prefix, at + 1)) {
    if ((at == 0 || out[at - 1] == '\n') && out.find('\n', at) != std::string::npos) return true;
  }
  return false;
}

// The banner of the application that runs last in `out`, "" when none.
std::string last_banner(const std::string& out) {
  const size_t at = out.rfind("demo ");
  if (at == std::string::npos) return "";
  const size_t end = out.find('\n', at);
  return end == std::string::npos ? "" : out.substr(at, end - at);
}

// Checks the whole output of a run: every banner is allowed (`may_run` or `allowed`), and after
// an application printed "confirmed" no other application ran. Returns the first violation as
// text ("" when none); `lost` tells which of the two it was.
std::string check_history(const std::string& out, const Flow& flow, bool& lost) {
  std::string confirmed;  // banner of the application that last printed "confirmed"
  std::string banner;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("demo ", 0) == 0) {
      banner = line;
      if (!flow.allowed.count(line) && !flow.may_run.count(line)) {
        lost = false;
        return "not allowed to run: \"" + line + "\"";
      }
      if (!confirmed.empty() && line != confirmed) {
        lost = true;
        return "\"" + confirmed + "\" confirmed, then \"" + line + "\" ran";
      }
    }
    if (line == "confirmed") confirmed = banner;
  }
  return "";
}

// Drives the device (already powered) until an application confirmed itself: resets a
// never-confirming trial like a user would. Returns the banner of the confirmed application, ""
// when none confirmed within `budget_ms` or the power went off (a scheduled cut). The output is
// appended to `log` and forgotten by the device.
std::string drive_to_confirmed(Device& d, const Flow& flow, double budget_ms, std::string* log) {
  const double until = d.now_ms() + budget_ms;
  for (int resets = 0; resets < 6 && d.now_ms() < until; ++resets) {
    const bool done = d.run_until(
        [](const std::string& out) {
          return has_line(out, "confirmed\n") || has_line(out, "not confirming");
        },
        until - d.now_ms());
    const std::string out = d.output();
    *log += out;
    d.mark();
    if (!done) return "";
    if (has_line(out, "not confirming") && flow.resets_on_no_confirm) {
      d.reset_pin();
      continue;
    }
    if (!has_line(out, "confirmed\n")) return "";
    return last_banner(out);
  }
  return "";
}

uint64_t env_or(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::strtoull(v, nullptr, 10) : fallback;
}

// Where a cut is aimed.
enum CutKind : unsigned {
  kAnywhere,       // a random instruction of the whole flow
  kBootloader,     // a random instruction before the first application starts
  kApplication,    // a random instruction after it (the application's confirm)
  kFlashStep,      // inside one of the flow's flash program/erase steps, at a random fraction
  kMachineRandom,  // Machine::cut_random: a random time in the flow or a random flash step
  kCutKinds
};
constexpr std::array<const char*, kCutKinds> kCutKindNames = {
    "anywhere", "bootloader", "application", "flash-step", "cut_random"};

TEST(BootPowerCut, RandomCutsAcrossTheFlowsNeverBrickTheDevice) {
  const uint64_t cuts_wanted = env_or("FOTA_BOOT_POWER_CUTS", 100);
  const uint64_t seed = env_or("FOTA_BOOT_POWER_CUT_SEED", 20261122);
  std::mt19937_64 rng(seed);
  std::vector<Flow> all = flows();
  if (const char* only = std::getenv("FOTA_BOOT_POWER_CUT_FLOWS"); only != nullptr && *only) {
    const std::string wanted = std::string(",") + only + ",";
    std::erase_if(all,
                  [&](const Flow& f) { return wanted.find("," + f.name + ",") == wanted.npos; });
    ASSERT_FALSE(all.empty()) << "FOTA_BOOT_POWER_CUT_FLOWS names no flow";
  }

  // Calibration: the uncut flow's instruction count, simulated time and flash steps, and where the
  // bootloader ends (the first banner), to aim the cuts.
  struct Calibration {
    uint64_t total = 0;
    uint64_t boot_end = 0;
    uint64_t flash_steps = 0;
    double ms = 0;
  };
  std::vector<Calibration> cal(all.size());
  for (size_t i = 0; i < all.size(); ++i) {
    FlashLayout layout;
    layout.put_bootloader();
    all[i].setup(layout);
    ASSERT_FALSE(testing::Test::HasFatalFailure()) << all[i].name;
    Device d(layout);
    d.power_on();
    ASSERT_TRUE(d.run_until({"demo "}, kBudgetMs)) << all[i].name << ":\n" << d.output();
    cal[i].boot_end = d.instructions();
    std::string log;
    const std::string banner = drive_to_confirmed(d, all[i], all[i].budget_ms, &log);
    ASSERT_TRUE(all[i].allowed.count(banner)) << all[i].name << " uncut: " << banner << "\n" << log;
    bool lost = false;
    ASSERT_EQ(check_history(log, all[i], lost), "") << all[i].name << " uncut:\n" << log;
    cal[i].total = d.instructions();
    cal[i].flash_steps = d.flash_steps();
    cal[i].ms = d.now_ms();
    if (all[i].name == "compaction") {  // the flow really moves the log to sector 3
      BufferFlash flash(d.machine().flash());
      bootcore::MetaLog meta(flash);
      ASSERT_EQ(meta.load(), bootcore::LogStatus::kOk);
      EXPECT_EQ(meta.holder(), 1) << "log not compacted into sector 3";
    }
    std::printf("[power-cut] flow %-12s uncut: %llu instructions, %llu flash steps, %.1f ms\n",
                all[i].name.c_str(), static_cast<unsigned long long>(cal[i].total),
                static_cast<unsigned long long>(cal[i].flash_steps), cal[i].ms);
  }

  std::map<std::string, uint64_t> runs_per_flow;
  std::array<uint64_t, kCutKinds> cuts_per_kind{};
  uint64_t cuts = 0;
  uint64_t torn_cuts = 0;  // the power went off inside a flash program/erase step
  uint64_t runs = 0;
  uint64_t bricked = 0;
  uint64_t wrong_image = 0;
  uint64_t lost_confirmed = 0;  // another image ran after an image said "confirmed"
  while (cuts < cuts_wanted) {
    const size_t fi = rng() % all.size();
    const Flow& flow = all[fi];
    const Calibration& c = cal[fi];
    FlashLayout layout;
    layout.put_bootloader();
    flow.setup(layout);
    Device d(layout, rng());
    d.power_on();
    ++runs;
    std::string log;
    std::string plan;
    std::string banner;     // the application that confirmed at the end
    bool finished = false;  // the flow ended before a scheduled cut
    const unsigned cuts_this_run = 1 + (rng() % 4 == 0 ? 1 : 0) + (rng() % 16 == 0 ? 1 : 0);
    for (unsigned k = 0; k < cuts_this_run; ++k) {
      const auto kind = static_cast<CutKind>(rng() % kCutKinds);
      std::string what;
      if (kind == kFlashStep) {
        const uint64_t step = 1 + rng() % std::max<uint64_t>(1, c.flash_steps);
        const double fraction = static_cast<double>(rng() % 1001) / 1000.0;
        d.cut_at_flash_step(step, fraction);
        what = "flash step +" + std::to_string(step) + " fraction " + std::to_string(fraction);
      } else if (kind == kMachineRandom) {
        what = d.cut_random(rng(), c.ms, c.flash_steps);
      } else {
        const uint64_t lo = kind == kApplication ? c.boot_end : 0;
        const uint64_t hi = kind == kBootloader ? c.boot_end : c.total;
        const uint64_t n = 1 + lo + rng() % std::max<uint64_t>(1, hi - lo);
        d.cut_after_instructions(n);
        what = "after +" + std::to_string(n) + " instructions";
      }
      banner = drive_to_confirmed(d, flow, flow.budget_ms, &log);
      if (d.powered()) {  // the flow ended before the cut point: no more cuts in this run
        d.cancel_cut();
        finished = true;
        break;
      }
      ++cuts;
      ++cuts_per_kind[kind];
      const std::string& why = d.last_cut();
      if (why.rfind("during flash", 0) == 0) ++torn_cuts;
      plan += std::string("  cut ") + kCutKindNames[kind] + " (" + what + "): " + why + "\n";
      log += "<power cut>\n";
      d.power_on();
    }
    ++runs_per_flow[flow.name];
    if (!finished) banner = drive_to_confirmed(d, flow, flow.budget_ms, &log);
    const std::string where = "flow " + flow.name + ", seed " + std::to_string(seed) + ", run " +
                              std::to_string(runs) + "\n" + plan;
    bool lost = false;
    const std::string history = check_history(log, flow, lost);
    if (banner.empty()) {
      ++bricked;
      ADD_FAILURE() << "bricked (no application confirmed within " << flow.budget_ms
                    << " ms of the last power-on): " << where << log << "last machine events:\n"
                    << d.recent_events();
    } else if (!history.empty()) {
      ++(lost ? lost_confirmed : wrong_image);
      ADD_FAILURE() << history << ": " << where << log;
    } else if (!flow.allowed.count(banner)) {
      ++wrong_image;
      ADD_FAILURE() << "not allowed at the end: \"" << banner << "\": " << where << log;
    }
  }
  std::printf(
      "[power-cut] seed %llu: %llu cuts (%llu inside flash steps) in %llu runs, %llu bricked, %llu "
      "wrong image, %llu confirmed image lost\n",
      static_cast<unsigned long long>(seed), static_cast<unsigned long long>(cuts),
      static_cast<unsigned long long>(torn_cuts), static_cast<unsigned long long>(runs),
      static_cast<unsigned long long>(bricked), static_cast<unsigned long long>(wrong_image),
      static_cast<unsigned long long>(lost_confirmed));
  std::printf("[power-cut]   cuts aimed:");
  for (unsigned k = 0; k < kCutKinds; ++k) {
    std::printf(" %s %llu", kCutKindNames[k], static_cast<unsigned long long>(cuts_per_kind[k]));
  }
  std::printf("\n");
  for (const auto& [name, n] : runs_per_flow) {
    std::printf("[power-cut]   %-12s %llu runs\n", name.c_str(),
                static_cast<unsigned long long>(n));
  }
  EXPECT_EQ(bricked, 0u);
  EXPECT_EQ(wrong_image, 0u);
  EXPECT_EQ(lost_confirmed, 0u);
  // The campaign must really have cut inside flash operations.
  EXPECT_GT(torn_cuts, 0u);
}

}  // namespace
}  // namespace fota::boot_test
