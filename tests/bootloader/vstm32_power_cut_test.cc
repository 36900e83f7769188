// SPDX-License-Identifier: Apache-2.0
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
// The secure-* flows run `bootloader-secure` with signed images (a signed update, a refused
// downgrade, a refused tampered update, a compaction) and also check the anti-rollback floor read
// back from the chip's log after every cut: it never goes down, and at the end it is at least the
// level of the confirmed application.
//
// One gtest (and ctest) per flow; FOTA_BOOT_POWER_CUTS is the total over the flows run.
// Short mode (ctest): 60 cuts by default.
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
#include <string_view>

#include "bootcore/meta_log.h"
#include "device.h"
#include "flash_layout.h"
#include "signing.h"

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
  // A line after which the driver resets the device, like a host whose trial supervision gives up
  // on an image that does not confirm (each reset during a trial costs one attempt).
  std::string reset_on;
  double budget_ms = kBudgetMs;  // after the last cut
  std::string bootloader = "bootloader.bin";
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
  ASSERT_TRUE(l.put_trial_b_over_v1(b));
}

const TestKey& release_key() {
  static const TestKey key(0x11);
  return key;
}

// bootloader-secure + key block, signed demo-v<a> confirmed in A, then `b` (already signed or not)
// committed in B.
void secure_confirmed_a_trial_b(FlashLayout& l, const std::string& a,
                                const std::vector<uint8_t>& b) {
  put_key_block(l, {&release_key()});
  l.put_image(Slot::kA, signed_demo(a, Slot::kA, release_key()));
  ASSERT_TRUE(l.append_confirmed(Slot::kA));
  l.put_image(Slot::kB, b);
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
               "demo 2.1.0 slot B"});
  // Three watchdog periods (8.2 s each) before the revert.
  f.push_back({"hardfault-B",
               [](FlashLayout& l) { confirmed_a_trial_b(l, "demo-hardfault"); },
               {"demo 1.0.0 slot A"},
               {"demo 2.2.0 slot B"},
               "",
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
                 ASSERT_TRUE(l.put_confirmed_v1());
                 l.put_demo(Slot::kB, "demo-v2");
                 ASSERT_TRUE(l.append_confirmed(Slot::kB));
                 l.put_demo(Slot::kA, "demo-v3");
                 ASSERT_TRUE(l.append_trial(Slot::kA));
               },
               {"demo 2.0.0 slot B", "demo 3.0.0 slot A"},
               {}});
  f.push_back({"compaction",
               [](FlashLayout& l) {
                 ASSERT_TRUE(l.put_confirmed_v1());
                 // 1 + (4096 - 2) + 1 records: sector 11 is full, the bootloader's attempt record
                 // compacts.
                 fill_log(l, bootcore::kMainLogArea.slot_count() - 2);
                 l.put_demo(Slot::kB, "demo-v2");
                 ASSERT_TRUE(l.append_trial(Slot::kB));
               },
               {"demo 1.0.0 slot A", "demo 2.0.0 slot B"},
               {}});
  const std::string secure = "bootloader-secure.bin";
  f.push_back({"secure-update-B",
               [](FlashLayout& l) {
                 secure_confirmed_a_trial_b(l, "demo-v1",
                                            signed_demo("demo-v2", Slot::kB, release_key()));
               },
               {"demo 1.0.0 slot A", "demo 2.0.0 slot B"},
               {},
               "",
               kBudgetMs,
               secure});
  // A validly signed older version must never run, not even once.
  f.push_back({"secure-downgrade-B",
               [](FlashLayout& l) {
                 secure_confirmed_a_trial_b(l, "demo-v2",
                                            signed_demo("demo-v1", Slot::kB, release_key()));
               },
               {"demo 2.0.0 slot A"},
               {},
               "",
               kBudgetMs,
               secure});
  f.push_back({"secure-tampered-B",
               [](FlashLayout& l) {
                 std::vector<uint8_t> b = signed_demo("demo-v2", Slot::kB, release_key());
                 tamper_payload(b);
                 secure_confirmed_a_trial_b(l, "demo-v1", b);
               },
               {"demo 1.0.0 slot A"},
               {},
               "",
               kBudgetMs,
               secure});
  f.push_back({"secure-compaction",
               [](FlashLayout& l) {
                 put_key_block(l, {&release_key()});
                 l.put_image(Slot::kA, signed_demo("demo-v1", Slot::kA, release_key()));
                 ASSERT_TRUE(l.append_confirmed(Slot::kA));
                 fill_log(l, bootcore::kMainLogArea.slot_count() - 2);
                 l.put_image(Slot::kB, signed_demo("demo-v2", Slot::kB, release_key()));
                 ASSERT_TRUE(l.append_trial(Slot::kB));
               },
               {"demo 1.0.0 slot A", "demo 2.0.0 slot B"},
               {},
               "",
               kBudgetMs,
               secure});
  return f;
}

// The anti-rollback floor in the chip's metadata log (0 when the log cannot be read).
uint16_t chip_floor(Device& d) {
  BufferFlash flash(d.machine().flash());
  bootcore::MetaLog meta(flash);
  return meta.load() == bootcore::LogStatus::kOk ? meta.state().security_floor : 0;
}

// major << 8 | minor of a banner "demo X.Y.Z slot S".
uint16_t banner_level(const std::string& banner) {
  unsigned major = 0, minor = 0, patch = 0;
  char slot = 0;
  if (std::sscanf(banner.c_str(), "demo %u.%u.%u slot %c", &major, &minor, &patch, &slot) != 4) {
    return 0;
  }
  return static_cast<uint16_t>(major << 8 | minor);
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

// Appended to a line the power cut interrupted.
constexpr std::string_view kLineCut = " [line cut]";

// Checks the whole output of a run: every banner is allowed (`may_run` or `allowed`), and after
// an application printed "confirmed" no other application ran. Returns the first violation as
// text ("" when none); `lost` tells which of the two it was.
std::string check_history(const std::string& out, const Flow& flow, bool& lost) {
  std::string confirmed;  // banner of the application that last printed "confirmed"
  std::string banner;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    if (line.ends_with(kLineCut)) {
      // Part of a banner: it must be the beginning of an allowed one (never of a forbidden image).
      line.resize(line.size() - kLineCut.size());
      if (line.rfind("demo ", 0) != 0) continue;
      bool prefix_of_allowed = false;
      for (const auto* set : {&flow.allowed, &flow.may_run}) {
        for (const std::string& b : *set)
          prefix_of_allowed = prefix_of_allowed || b.starts_with(line);
      }
      if (!prefix_of_allowed) {
        lost = false;
        return "not allowed to run: \"" + line + "\" (cut short)";
      }
      continue;
    }
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

// Drives the device (already powered) until an application confirmed itself: resets it after
// the flow's `reset_on` line. Returns the banner of the confirmed application, "" when none
// confirmed within `budget_ms` or the power went off (a scheduled cut). The output is appended to
// `log` and forgotten by the device. `self_test_at` (optional) receives the instruction count
// when the confirming application's "self-test ok" was seen (its confirm starts right after).
std::string drive_to_confirmed(Device& d, const Flow& flow, double budget_ms, std::string* log,
                               uint64_t* self_test_at = nullptr) {
  const double until = d.now_ms() + budget_ms;
  for (int resets = 0; resets < 6 && d.now_ms() < until; ++resets) {
    bool self_test_seen = false;
    const bool done = d.run_until(
        [&](const std::string& out) {
          if (self_test_at != nullptr && !self_test_seen && has_line(out, "self-test ok\n")) {
            self_test_seen = true;
            *self_test_at = d.instructions();
          }
          return has_line(out, "confirmed\n") ||
                 (!flow.reset_on.empty() && has_line(out, flow.reset_on));
        },
        until - d.now_ms());
    const std::string out = d.output();
    *log += out;
    d.mark();
    if (!done) return "";
    if (!flow.reset_on.empty() && has_line(out, flow.reset_on)) {
      if (!log->empty() && log->back() != '\n') *log += std::string(kLineCut) + "\n";
      *log += "<reset>\n";
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
  kConfirm,        // a random instruction from the application's "self-test ok" to its confirm
  kFlashStep,      // inside one of the flow's flash program/erase steps, at a random fraction
  kMachineRandom,  // Machine::cut_random: a random time in the flow or a random flash step
  kCutKinds
};
constexpr std::array<const char*, kCutKinds> kCutKindNames = {"anywhere", "bootloader", "confirm",
                                                              "flash-step", "cut_random"};

// Campaign figures summed over the flows (one gtest per flow), printed at the end.
struct Totals {
  uint64_t cuts = 0;
  uint64_t torn_cuts = 0;  // the power went off inside a flash program/erase step
  uint64_t runs = 0;
  uint64_t bricked = 0;
  uint64_t wrong_image = 0;
  uint64_t lost_confirmed = 0;  // another image ran after an image said "confirmed"
  uint64_t floor_errors = 0;    // secure flows: the anti-rollback floor went down or lagged
  std::array<uint64_t, kCutKinds> per_kind{};

  void add(const Totals& o) {
    cuts += o.cuts;
    torn_cuts += o.torn_cuts;
    runs += o.runs;
    bricked += o.bricked;
    wrong_image += o.wrong_image;
    lost_confirmed += o.lost_confirmed;
    floor_errors += o.floor_errors;
    for (unsigned k = 0; k < kCutKinds; ++k) per_kind[k] += o.per_kind[k];
  }
  void print(const char* what) const {
    std::printf(
        "[power-cut] %s: %llu cuts (%llu inside flash steps) in %llu runs, %llu bricked, %llu "
        "wrong "
        "image, %llu confirmed image lost, %llu floor errors; cuts aimed:",
        what, static_cast<unsigned long long>(cuts), static_cast<unsigned long long>(torn_cuts),
        static_cast<unsigned long long>(runs), static_cast<unsigned long long>(bricked),
        static_cast<unsigned long long>(wrong_image),
        static_cast<unsigned long long>(lost_confirmed),
        static_cast<unsigned long long>(floor_errors));
    for (unsigned k = 0; k < kCutKinds; ++k) {
      std::printf(" %s %llu", kCutKindNames[k], static_cast<unsigned long long>(per_kind[k]));
    }
    std::printf("\n");
  }
};
Totals g_totals;
unsigned g_flows_run = 0;

class PrintTotals : public testing::Environment {
 public:
  void TearDown() override {
    if (g_flows_run > 1) {
      const std::string what = "all " + std::to_string(g_flows_run) + " flows";
      g_totals.print(what.c_str());
    }
  }
};
[[maybe_unused]] testing::Environment* const g_print_totals =
    testing::AddGlobalTestEnvironment(new PrintTotals);

// FOTA_BOOT_POWER_CUT_FLOWS=<name,name> runs only these flows (default: all).
bool flow_selected(const std::string& name) {
  const char* only = std::getenv("FOTA_BOOT_POWER_CUT_FLOWS");
  return only == nullptr || *only == '\0' ||
         (std::string(",") + only + ",").find("," + name + ",") != std::string::npos;
}

unsigned flows_selected() {
  unsigned n = 0;
  for (const Flow& f : flows()) n += flow_selected(f.name) ? 1 : 0;
  return std::max(n, 1u);
}

class BootPowerCut : public testing::TestWithParam<std::string> {};

TEST_P(BootPowerCut, RandomCutsNeverBrickTheDevice) {
  std::vector<Flow> all = flows();
  const auto it =
      std::find_if(all.begin(), all.end(), [](const Flow& f) { return f.name == GetParam(); });
  ASSERT_NE(it, all.end());
  const Flow& flow = *it;
  if (!flow_selected(flow.name)) GTEST_SKIP() << flow.name << ": not in FOTA_BOOT_POWER_CUT_FLOWS";
  ++g_flows_run;

  // FOTA_BOOT_POWER_CUTS is the total over the flows run; each flow has its own random sequence.
  const uint64_t total_wanted = env_or("FOTA_BOOT_POWER_CUTS", 60);
  const uint64_t cuts_wanted = (total_wanted + flows_selected() - 1) / flows_selected();
  const uint64_t seed = env_or("FOTA_BOOT_POWER_CUT_SEED", 20261122);
  uint64_t flow_seed = seed;
  for (char ch : flow.name) flow_seed = flow_seed * 1099511628211ull + static_cast<uint8_t>(ch);
  std::mt19937_64 rng(flow_seed);

  // Calibration: the uncut flow's instruction count, simulated time and flash steps, where the
  // bootloader ends (the first banner) and where the application's confirm begins, to aim cuts.
  uint64_t total = 0;
  uint64_t boot_end = 0;
  uint64_t confirm_begin = 0;
  uint64_t flash_steps = 0;
  double flow_ms = 0;
  FlashLayout start;  // the flow's flash picture before its first power-on
  start.put_bootloader(flow.bootloader);
  flow.setup(start);
  ASSERT_FALSE(HasFatalFailure()) << flow.name;
  {
    FlashLayout layout;
    layout.assign(start.bytes());
    Device d(layout);
    d.power_on();
    ASSERT_TRUE(d.run_until({"demo "}, flow.budget_ms)) << flow.name << ":\n" << d.output();
    boot_end = d.instructions();
    std::string log;
    uint64_t self_test_at = 0;
    const std::string banner = drive_to_confirmed(d, flow, flow.budget_ms, &log, &self_test_at);
    // The application prints "self-test ok" just before its confirm (minus a margin for the
    // check interval).
    confirm_begin = self_test_at - std::min<uint64_t>(self_test_at, 20'000);
    ASSERT_TRUE(flow.allowed.count(banner)) << flow.name << " uncut: " << banner << "\n" << log;
    bool lost = false;
    ASSERT_EQ(check_history(log, flow, lost), "") << flow.name << " uncut:\n" << log;
    total = d.instructions();
    flash_steps = d.flash_steps();
    flow_ms = d.now_ms();
    if (flow.name.ends_with("compaction")) {  // the flow really moves the log to sector 3
      BufferFlash flash(d.machine().flash());
      bootcore::MetaLog meta(flash);
      ASSERT_EQ(meta.load(), bootcore::LogStatus::kOk);
      EXPECT_EQ(meta.holder(), 1) << "log not compacted into sector 3";
    }
    std::printf(
        "[power-cut] flow %s uncut: %llu instructions, %llu flash steps, %.1f ms; seed %llu\n",
        flow.name.c_str(), static_cast<unsigned long long>(total),
        static_cast<unsigned long long>(flash_steps), flow_ms,
        static_cast<unsigned long long>(seed));
  }

  Totals t;
  // The kinds of cut take turns (from a random one), so each gets a fifth of the cuts.
  uint64_t aims = rng() % kCutKinds;
  while (t.cuts < cuts_wanted) {
    FlashLayout layout;
    layout.assign(start.bytes());
    Device d(layout, rng());
    d.power_on();
    ++t.runs;
    std::string log;
    std::string plan;
    std::string banner;     // the application that confirmed at the end
    bool finished = false;  // the flow ended before a scheduled cut
    const bool secure = flow.bootloader != "bootloader.bin";
    uint16_t floor_seen = secure ? chip_floor(d) : 0;
    std::string floor_error;
    const unsigned cuts_this_run =
        static_cast<unsigned>(std::min<uint64_t>(1 + rng() % 3, cuts_wanted - t.cuts));
    for (unsigned k = 0; k < cuts_this_run; ++k) {
      const auto kind = static_cast<CutKind>(aims++ % kCutKinds);
      std::string what;
      if (kind == kFlashStep) {
        const uint64_t step = 1 + rng() % std::max<uint64_t>(1, flash_steps);
        const double fraction = static_cast<double>(rng() % 1001) / 1000.0;
        d.cut_at_flash_step(step, fraction);
        what = "flash step +" + std::to_string(step) + " fraction " + std::to_string(fraction);
      } else if (kind == kMachineRandom) {
        what = d.cut_random(rng(), flow_ms, flash_steps);
      } else {
        const uint64_t lo = kind == kConfirm ? confirm_begin : 0;
        const uint64_t hi = kind == kBootloader ? boot_end : total;
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
      ++t.cuts;
      ++t.per_kind[kind];
      const std::string& cause = d.last_cut();
      if (cause.rfind("during flash", 0) == 0) ++t.torn_cuts;
      plan += std::string("  cut ") + kCutKindNames[kind] + " (" + what + "): " + cause + "\n";
      // A line the cut interrupted is marked, so that it is not taken for a whole line.
      if (!log.empty() && log.back() != '\n') log += std::string(kLineCut) + "\n";
      log += "<power cut>\n";
      if (secure) {
        const uint16_t floor = chip_floor(d);
        if (floor < floor_seen && floor_error.empty()) {
          floor_error = "security floor went down from " + std::to_string(floor_seen) + " to " +
                        std::to_string(floor);
        }
        floor_seen = std::max(floor_seen, floor);
      }
      d.power_on();
    }
    if (!finished) banner = drive_to_confirmed(d, flow, flow.budget_ms, &log);
    const std::string where = "flow " + flow.name + ", seed " + std::to_string(seed) + ", run " +
                              std::to_string(t.runs) + "\n" + plan;
    bool lost = false;
    const std::string history = check_history(log, flow, lost);
    if (secure && floor_error.empty()) {
      const uint16_t floor = chip_floor(d);
      if (floor < floor_seen || (!banner.empty() && floor < banner_level(banner))) {
        floor_error = "security floor " + std::to_string(floor) + " at the end (seen " +
                      std::to_string(floor_seen) + ", confirmed \"" + banner + "\")";
      }
    }
    if (!floor_error.empty()) {
      ++t.floor_errors;
      ADD_FAILURE() << floor_error << ": " << where << log;
    }
    if (banner.empty()) {
      ++t.bricked;
      ADD_FAILURE() << "bricked (no application confirmed within " << flow.budget_ms
                    << " ms of the last power-on): " << where << log << "last machine events:\n"
                    << d.recent_events();
    } else if (!history.empty()) {
      ++(lost ? t.lost_confirmed : t.wrong_image);
      ADD_FAILURE() << history << ": " << where << log;
    } else if (!flow.allowed.count(banner)) {
      ++t.wrong_image;
      ADD_FAILURE() << "not allowed at the end: \"" << banner << "\": " << where << log;
    }
  }
  t.print(("flow " + flow.name).c_str());
  g_totals.add(t);
  EXPECT_EQ(t.bricked, 0u);
  EXPECT_EQ(t.wrong_image, 0u);
  EXPECT_EQ(t.lost_confirmed, 0u);
  EXPECT_EQ(t.floor_errors, 0u);
  // The campaign must really tear flash operations (about a third of the cuts land in one).
  if (cuts_wanted >= 10) EXPECT_GT(t.torn_cuts, 0u);
}

std::vector<std::string> flow_names() {
  std::vector<std::string> names;
  for (const Flow& f : flows()) names.push_back(f.name);
  return names;
}

INSTANTIATE_TEST_SUITE_P(Flows, BootPowerCut, testing::ValuesIn(flow_names()),
                         [](const testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

}  // namespace
}  // namespace fota::boot_test
