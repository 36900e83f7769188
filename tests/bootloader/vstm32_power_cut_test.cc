// Random power cuts at random instructions across the boot flows, with the real binaries on
// the virtual target: first boot of a factory image, update to B, a never-confirming update, a
// hard-faulting update (watchdog), a corrupted update, a second update back into A, and an update
// that makes the log compact (sector erase).
// After the cut(s) the device is powered again and must reach a valid application that confirms
// within the boot budget; anything else is a bricked device. The running image must also be one
// the flow allows (an invalid or rejected image never runs).
//
// Short mode (ctest): FOTA_BOOT_POWER_CUTS cuts, 100 by default.
// Long mode:  FOTA_BOOT_POWER_CUTS=1000 build/<dir>/tests/bootloader/bootloader_power_cut_test
//             (FOTA_BOOT_POWER_CUT_SEED=<n> picks another random sequence; the seed is printed).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <string>

#include "bootcore/meta_log.h"
#include "device.h"
#include "flash_layout.h"

namespace fota::boot_test {
namespace {

using flash_map::Slot;

constexpr double kBudgetMs = 12'000;  // after the last cut: boot(s) + self-test + confirm

struct Flow {
  std::string name;
  std::function<void(FlashLayout&)> setup;
  std::set<std::string> allowed;  // "demo <version> slot <X>" banners allowed to run at the end
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

std::vector<Flow> flows() {
  std::vector<Flow> f;
  f.push_back({"first-boot",
               [](FlashLayout& l) { l.put_demo(Slot::kA, "demo-v1"); },
               {"demo 1.0.0 slot A"}});
  f.push_back({"update-B",
               [](FlashLayout& l) {
                 l.put_demo(Slot::kA, "demo-v1");
                 (void)l.append_confirmed(Slot::kA);
                 l.put_demo(Slot::kB, "demo-v2");
                 (void)l.append_trial(Slot::kB);
               },
               {"demo 1.0.0 slot A", "demo 2.0.0 slot B"}});
  f.push_back({"no-confirm",
               [](FlashLayout& l) {
                 l.put_demo(Slot::kA, "demo-v1");
                 (void)l.append_confirmed(Slot::kA);
                 l.put_demo(Slot::kB, "demo-noconfirm");
                 (void)l.append_trial(Slot::kB);
               },
               {"demo 1.0.0 slot A"},
               true});
  // Three watchdog periods (8.2 s each) before the revert.
  f.push_back({"hardfault-B",
               [](FlashLayout& l) {
                 l.put_demo(Slot::kA, "demo-v1");
                 (void)l.append_confirmed(Slot::kA);
                 l.put_demo(Slot::kB, "demo-hardfault");
                 (void)l.append_trial(Slot::kB);
               },
               {"demo 1.0.0 slot A"},
               false,
               4 * 8'192 + kBudgetMs});
  f.push_back({"corrupt-B",
               [](FlashLayout& l) {
                 l.put_demo(Slot::kA, "demo-v1");
                 (void)l.append_confirmed(Slot::kA);
                 l.put_demo(Slot::kB, "demo-v2");
                 (void)l.append_trial(Slot::kB);
                 l.corrupt_payload(Slot::kB);
               },
               {"demo 1.0.0 slot A"}});
  f.push_back({"update-A",
               [](FlashLayout& l) {
                 l.put_demo(Slot::kA, "demo-v1");
                 (void)l.append_confirmed(Slot::kA);
                 l.put_demo(Slot::kB, "demo-v2");
                 (void)l.append_confirmed(Slot::kB);
                 l.put_demo(Slot::kA, "demo-v3");
                 (void)l.append_trial(Slot::kA);
               },
               {"demo 2.0.0 slot B", "demo 3.0.0 slot A"}});
  f.push_back({"compaction",
               [](FlashLayout& l) {
                 l.put_demo(Slot::kA, "demo-v1");
                 (void)l.append_confirmed(Slot::kA);
                 // 1 + (4096 - 2) + 1 records: sector 11 is full, the bootloader's attempt record
                 // compacts.
                 fill_log(l, bootcore::kMainLogArea.slot_count() - 2);
                 l.put_demo(Slot::kB, "demo-v2");
                 (void)l.append_trial(Slot::kB);
               },
               {"demo 1.0.0 slot A", "demo 2.0.0 slot B"}});
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

// The banner of the application that last printed "confirmed" (its CONFIRMED record was durable
// before it said so), "" when none did.
std::string last_confirmed(const std::string& out) {
  std::string banner;
  std::string confirmed;
  size_t at = 0;
  while (at < out.size()) {
    const size_t end = out.find('\n', at);
    if (end == std::string::npos) break;
    const std::string line = out.substr(at, end - at);
    if (line.rfind("demo ", 0) == 0) banner = line;
    if (line == "confirmed") confirmed = banner;
    at = end + 1;
  }
  return confirmed;
}

// Drives the device (already powered) until an application confirmed itself: resets a
// never-confirming trial like a user would. Returns the banner of the confirmed application.
std::string drive_to_confirmed(Device& d, const Flow& flow, double budget_ms, std::string* log) {
  const double until = d.now_ms() + budget_ms;
  for (int resets = 0; resets < 6 && d.now_ms() < until; ++resets) {
    const bool done = d.run_until(
        [](const std::string& out) {
          return has_line(out, "confirmed\n") || has_line(out, "not confirming");
        },
        until - d.now_ms());
    *log += d.output();
    if (!done) return "";
    const std::string& out = d.output();
    if (has_line(out, "not confirming") && flow.resets_on_no_confirm) {
      d.mark();
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

TEST(BootPowerCut, RandomCutsAcrossTheFlowsNeverBrickTheDevice) {
  const uint64_t cuts_wanted = env_or("FOTA_BOOT_POWER_CUTS", 100);
  const uint64_t seed = env_or("FOTA_BOOT_POWER_CUT_SEED", 20261122);
  std::mt19937_64 rng(seed);
  const std::vector<Flow> all = flows();

  // Calibration: the uncut flow's instruction count, and where its phases are (bootloader until
  // the first banner; the confirm), to aim a share of the cuts at the flash writes.
  struct Calibration {
    uint64_t total = 0;
    uint64_t boot_end = 0;
    uint64_t flash_steps = 0;
  };
  std::vector<Calibration> cal(all.size());
  for (size_t i = 0; i < all.size(); ++i) {
    FlashLayout layout;
    layout.put_bootloader();
    all[i].setup(layout);
    Device d(layout);
    d.power_on();
    ASSERT_TRUE(d.run_until({"demo "}, kBudgetMs)) << all[i].name << ":\n" << d.output();
    cal[i].boot_end = d.instructions();
    std::string log;
    const std::string banner = drive_to_confirmed(d, all[i], all[i].budget_ms, &log);
    ASSERT_TRUE(all[i].allowed.count(banner)) << all[i].name << " uncut: " << banner << "\n" << log;
    cal[i].total = d.instructions();
    cal[i].flash_steps = d.flash_steps();
    if (all[i].name == "compaction") {  // the flow really moves the log to sector 3
      BufferFlash flash(d.target().flash());
      bootcore::MetaLog meta(flash);
      ASSERT_EQ(meta.load(), bootcore::LogStatus::kOk);
      EXPECT_EQ(meta.holder(), 1) << "log not compacted into sector 3";
    }
  }

  std::map<std::string, uint64_t> cuts_per_flow;
  uint64_t cuts = 0;
  uint64_t torn_cuts = 0;  // cuts inside a program/erase step of the firmware
  uint64_t runs = 0;
  uint64_t bricked = 0;
  uint64_t wrong_image = 0;
  uint64_t lost_confirmed = 0;  // a confirmed image replaced without a newer confirmation
  while (cuts < cuts_wanted) {
    const size_t fi = rng() % all.size();
    const Flow& flow = all[fi];
    FlashLayout layout;
    layout.put_bootloader();
    flow.setup(layout);
    Device d(layout);
    d.power_on();
    ++runs;
    std::string log;
    const unsigned cuts_this_run = 1 + (rng() % 4 == 0 ? 1 : 0) + (rng() % 16 == 0 ? 1 : 0);
    for (unsigned c = 0; c < cuts_this_run; ++c) {
      // A quarter each: anywhere in the flow, in the bootloader, after it (the app's confirm),
      // inside one of the firmware's own flash program/erase steps (torn word / partial erase).
      const uint64_t kind = rng() % 4;
      if (kind == 3) {
        const uint64_t step = 1 + rng() % std::max<uint64_t>(1, cal[fi].flash_steps);
        d.cut_at_flash_step(step, static_cast<double>(rng() % 1000) / 1000.0, rng());
      } else {
        const uint64_t lo = kind == 2 ? cal[fi].boot_end : 0;
        const uint64_t hi = kind == 1 ? cal[fi].boot_end : cal[fi].total;
        d.cut_after_instructions(1 + lo + rng() % std::max<uint64_t>(1, hi - lo));
      }
      drive_to_confirmed(d, flow, flow.budget_ms, &log);
      if (!d.powered()) {
        ++cuts;
        if (kind == 3) ++torn_cuts;
        d.mark();
        d.power_on();
      } else {
        d.cancel_cut();  // the flow finished before the cut point
      }
    }
    ++cuts_per_flow[flow.name];
    const std::string banner = drive_to_confirmed(d, flow, flow.budget_ms, &log);
    if (banner.empty()) {
      ++bricked;
      ADD_FAILURE() << "bricked: flow " << flow.name << ", seed " << seed << ", run " << runs
                    << "\n"
                    << log;
    } else if (const std::string c = last_confirmed(log); !c.empty() && c != banner) {
      ++lost_confirmed;
      ADD_FAILURE() << "\"" << c << "\" confirmed, but \"" << banner << "\" runs at the end; flow "
                    << flow.name << ", seed " << seed << ", run " << runs << "\n"
                    << log;
    } else if (!flow.allowed.count(banner)) {
      ++wrong_image;
      ADD_FAILURE() << "not allowed to run: \"" << banner << "\" in flow " << flow.name << ", seed "
                    << seed << ", run " << runs << "\n"
                    << log;
    }
  }
  std::printf(
      "[power-cut] seed %llu: %llu cuts (%llu inside flash steps) in %llu runs, %llu bricked, %llu "
      "wrong image, %llu confirmed image lost\n",
      static_cast<unsigned long long>(seed), static_cast<unsigned long long>(cuts),
      static_cast<unsigned long long>(torn_cuts), static_cast<unsigned long long>(runs),
      static_cast<unsigned long long>(bricked), static_cast<unsigned long long>(wrong_image),
      static_cast<unsigned long long>(lost_confirmed));
  for (const auto& [name, n] : cuts_per_flow) {
    std::printf("[power-cut]   %-12s %llu runs\n", name.c_str(),
                static_cast<unsigned long long>(n));
  }
  EXPECT_EQ(bricked, 0u);
  EXPECT_EQ(wrong_image, 0u);
  EXPECT_EQ(lost_confirmed, 0u);
}

}  // namespace
}  // namespace fota::boot_test
