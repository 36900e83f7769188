// SPDX-License-Identifier: Apache-2.0
// Exhaustive power-cut campaign over the boot core (the MCUboot simulator idea, with torn
// operations): every scenario is run once without a cut to count its flash steps, then again with
// a power cut at every single program/erase step (clean and torn: half-programmed word, half-erased
// sector), and again with a second cut during the recovery that follows. After each cut the
// device reboots (the bootloader decides again), the interrupted host operation is retried, the
// scenario runs to completion, and these invariants are checked at every boot:
//   I1 a valid image always boots (no "no image" while an intact image exists);
//   I2 an invalid image never runs (the booted slot holds exactly a valid image linked for it);
//   I3 a confirmed image is never lost before a newer one is confirmed: while the last confirmed
//      image is intact, every boot runs it (CONFIRMED) or a newly installed image on TRIAL;
//      nothing the application never confirmed boots as CONFIRMED;
//   I4 the scenario ends in its expected state (the expected image, CONFIRMED);
//   I5 anti-rollback (the bootloader's policy has it on): the log's security floor never goes
//      down, is at least the level of every image whose confirm() completed and at most the
//      highest level ever confirmed, and no image below it boots (I1 counts only images at or
//      above the floor as bootable).
// Long mode (every second cut, not a sample):
//   BOOTCORE_POWER_CUT_SECOND_CUTS=all ./bootcore_power_cut_test
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "bootcore/boot.h"
#include "test_support.h"

namespace fota::bootcore::test {
namespace {

using flash_map::Slot;

enum class Behavior { kGood, kCrashFirstAttempt, kNeverConfirms };

struct CatalogueEntry {
  TestImage image;
  bool valid = true;  // false: built damaged (payload or header), never acceptable to run
  Behavior behavior = Behavior::kGood;
  const char* name = "";
};

enum class Op { kFactory, kInstall, kBoot, kDamage };  // kDamage: bit rot, no flash step

struct TestAction {
  Op op;
  int image = -1;  // catalogue index (kFactory, kInstall)
  Slot slot = Slot::kA;
};

struct Oracle {
  int last_confirmed = -1;
  std::set<int> ever_confirmed;   // confirm() was at least called for these
  std::set<int> trial_requested;  // request_trial() was at least called for these
  uint16_t floor_seen = 0;        // highest floor a boot has read (it must never go down)
  uint16_t floor_confirmed = 0;   // highest level whose confirm() completed
  uint16_t floor_attempted = 0;   // highest level confirm() was called for
};

struct Cut {
  uint64_t step;  // 1-based, counted from power-on (start of the run, or the previous reboot)
  CutKind kind;
};

class Campaign {
 public:
  std::vector<CatalogueEntry> catalogue;

  int add(CatalogueEntry e) {
    catalogue.push_back(std::move(e));
    return static_cast<int>(catalogue.size()) - 1;
  }

  // Builds the starting state by running `setup` without cuts.
  void set_base(const std::vector<TestAction>& setup,
                void (*extra)(FakeFlash&, Campaign&) = nullptr) {
    FakeFlash& f = base_flash_;
    Oracle o;
    std::string err;
    for (const TestAction& a : setup) {
      if (!exec(f, o, a, err)) ADD_FAILURE() << "setup step lost power";
      if (!err.empty()) ADD_FAILURE() << "setup: " << err;
    }
    if (extra != nullptr) extra(f, *this);
    base_oracle_ = o;
  }

  // One run of `script` then the settle phase, with `cuts` applied in order. Returns "" or the
  // first invariant violation. `steps` gets the flash steps of the whole run.
  std::string run(const std::vector<TestAction>& script, int expected, const std::vector<Cut>& cuts,
                  uint64_t* steps, unsigned* cuts_done) {
    flash_.restore_from(base_flash_);
    Oracle o = base_oracle_;
    std::string err;
    size_t next_cut = 0;
    unsigned done = 0;
    if (next_cut < cuts.size()) {
      flash_.schedule_cut(cuts[next_cut].step, cuts[next_cut].kind, seed(cuts, next_cut));
      ++next_cut;
    }
    auto recover = [&](const TestAction& interrupted) {
      // Power is back: reboot (possibly cut again), then retry what the host was doing.
      for (int guard = 0; guard < 64; ++guard) {
        ++done;
        flash_.power_on();
        if (next_cut < cuts.size()) {
          flash_.schedule_cut(cuts[next_cut].step, cuts[next_cut].kind, seed(cuts, next_cut));
          ++next_cut;
        }
        if (!exec(flash_, o, TestAction{Op::kBoot}, err)) continue;
        if (!err.empty()) return;
        if (interrupted.op == Op::kBoot) return;
        if (exec(flash_, o, interrupted, err)) return;
      }
      err = "endless power loss";
    };
    for (const TestAction& a : script) {
      if (!exec(flash_, o, a, err)) recover(a);
      if (!err.empty()) break;
    }
    // Settle: boot until two confirmed boots of the same image in a row.
    BootOutcome prev;
    int confirmed_in_a_row = 0;
    for (int i = 0; i < 24 && err.empty() && confirmed_in_a_row < 2; ++i) {
      BootOutcome out;
      if (!exec(flash_, o, TestAction{Op::kBoot}, err, &out)) {
        recover(TestAction{Op::kBoot});
        continue;
      }
      confirmed_in_a_row =
          out.action == Action::kBootConfirmed && (confirmed_in_a_row == 0 || prev.slot == out.slot)
              ? confirmed_in_a_row + 1
              : 0;
      prev = out;
    }
    if (err.empty()) {
      if (confirmed_in_a_row < 2) {
        err = "I4: never settled on a confirmed image";
      } else if (const int got = identify(flash_, prev.slot);
                 got != expected &&
                 !(cuts.size() >= 2 &&
                   (base_oracle_.ever_confirmed.count(got) > 0 ||
                    (base_oracle_.last_confirmed < 0 && valid_in(got, prev.slot))))) {
        // With two or more cuts a trial may legitimately run out of attempts (each cut between
        // counting an attempt and the confirm costs one): then an image confirmed before the run
        // (or, on a device that had none, any valid image) is a right end state. With one cut the
        // scenario must end exactly as planned.
        err = std::string("I4: settled on ") + slot_label(flash_, prev.slot) + ", expected " +
              catalogue[expected].name;
      }
    }
    if (steps) *steps = flash_.steps();
    if (cuts_done) *cuts_done = done;
    return err;
  }

  uint64_t boots() const { return boots_; }
  bool trace_ = std::getenv("BOOTCORE_POWER_CUT_TRACE") != nullptr;

 private:
  static uint64_t seed(const std::vector<Cut>& cuts, size_t i) {
    return cuts[i].step * 0x9E37'79B9ull + i * 7919 + (cuts[i].kind == CutKind::kTorn ? 1 : 0);
  }

  int identify(FakeFlash& f, Slot slot) const {
    const uint8_t* at = f.raw(flash_map::slot_address(slot));
    for (size_t i = 0; i < catalogue.size(); ++i) {
      const auto& b = catalogue[i].image.bytes;
      if (std::memcmp(at, b.data(), b.size()) == 0) return static_cast<int>(i);
    }
    return -1;
  }
  bool valid_in(int id, Slot slot) const {
    return id >= 0 && catalogue[id].valid && catalogue[id].image.linked == slot;
  }
  std::string slot_label(FakeFlash& f, Slot slot) const {
    const int id = identify(f, slot);
    return std::string(1, flash_map::slot_name(slot)) + ":" +
           (id < 0 ? "unknown" : catalogue[id].name);
  }
  bool intact(FakeFlash& f, int id) const {
    if (id < 0) return false;
    const Slot s = catalogue[id].image.linked;
    return identify(f, s) == id && valid_in(id, s);
  }

  // Executes one action. Returns false when power was lost (err stays empty unless an invariant
  // broke before that): the fake flash throws PowerCut at the cut, which unwinds the boot core
  // and the host's writer to here, as if the device (or the host's session) stopped there.
  bool exec(FakeFlash& f, Oracle& o, const TestAction& a, std::string& err,
            BootOutcome* out_copy = nullptr) {
    try {
      return exec_powered(f, o, a, err, out_copy);
    } catch (const PowerCut&) {
      return false;
    }
  }

  bool exec_powered(FakeFlash& f, Oracle& o, const TestAction& a, std::string& err,
                    BootOutcome* out_copy) {
    switch (a.op) {
      case Op::kFactory:
        return write_image(f, a.slot, catalogue[a.image].image) == FlashStatus::kOk;
      case Op::kInstall: {
        UnmappedFlash host(f);  // the host works through the ROM bootloader: no mapped view
        if (write_image(host, a.slot, catalogue[a.image].image) != FlashStatus::kOk) return false;
        MetaLog log(host);
        o.trial_requested.insert(a.image);
        const LogStatus st = request_trial(log, a.slot, catalogue[a.image].image.header);
        if (st != LogStatus::kOk) err = std::string("host append failed: ") + to_string(st);
        return true;
      }
      case Op::kBoot: return boot(f, o, err, out_copy);
      case Op::kDamage: {
        const uint32_t at = flash_map::slot_vector_address(a.slot) + 10;
        const uint8_t flipped[] = {static_cast<uint8_t>(*f.raw(at) ^ 0x04)};
        f.poke(at, flipped);
        return true;
      }
    }
    return true;
  }

  bool boot(FakeFlash& f, Oracle& o, std::string& err, BootOutcome* out_copy) {
    MetaLog log(f);
    SoftwareCrc32Engine crc;
    BootPolicy policy;
    policy.anti_rollback = true;
    const BootOutcome out = run_boot(f, log, crc, policy);
    if (trace_) {
      char line[128];
      format_boot_line(out, line);
      MetaLog l2(f);
      (void)l2.load();
      std::printf("  [step %llu] %s | holder=%d ends=%u/%u max=%u\n",
                  static_cast<unsigned long long>(f.steps()), line, l2.holder(), l2.area(0).end,
                  l2.area(1).end, l2.state().max_sequence);
    }
    ++boots_;
    if (out_copy) *out_copy = out;
    const uint16_t floor = out.security_floor;
    if (floor < o.floor_seen || floor < o.floor_confirmed || floor > o.floor_attempted) {
      err = "I5: security floor " + std::to_string(floor) + " (seen " +
            std::to_string(o.floor_seen) + ", confirmed " + std::to_string(o.floor_confirmed) +
            ", attempted " + std::to_string(o.floor_attempted) + ")";
      return true;
    }
    o.floor_seen = floor;
    auto level_of = [&](int id) {
      return security_level(catalogue[id].image.header.version.packed());
    };
    auto bootable = [&](int id, Slot s) { return valid_in(id, s) && level_of(id) >= floor; };
    const int lc = o.last_confirmed;
    const bool lc_intact = intact(f, lc) && level_of(lc) >= floor;
    bool any_valid = false;
    for (Slot s : {Slot::kA, Slot::kB}) any_valid = any_valid || bootable(identify(f, s), s);
    if (out.action == Action::kNoImage) {
      if (any_valid) err = "I1: no image booted although an intact image exists";
      return true;
    }
    const int id = identify(f, out.slot);
    if (!valid_in(id, out.slot)) {
      err = "I2: booted an invalid image: " + slot_label(f, out.slot);
      return true;
    }
    if (level_of(id) < floor) {
      err = "I5: booted an image below the security floor: " + slot_label(f, out.slot);
      return true;
    }
    if (out.action == Action::kBootConfirmed && !o.ever_confirmed.count(id)) {
      err = std::string("I3: booted as CONFIRMED an image never confirmed: ") + catalogue[id].name;
      return true;
    }
    if (lc_intact) {
      const bool ok = (out.action == Action::kBootConfirmed && id == lc) ||
                      (out.action == Action::kBootTrial && id != lc && o.trial_requested.count(id));
      if (!ok) {
        err = std::string("I3: confirmed ") + catalogue[lc].name + " intact but booted " +
              to_string(out.action) + " " + catalogue[id].name;
        return true;
      }
    }
    // The application runs.
    const Behavior b = catalogue[id].behavior;
    const bool confirms =
        out.action == Action::kBootConfirmed || out.action == Action::kBootLastResort ||
        (out.action == Action::kBootTrial &&
         (b == Behavior::kGood || (b == Behavior::kCrashFirstAttempt && out.attempt >= 2)));
    if (!confirms || b == Behavior::kNeverConfirms) return true;
    o.ever_confirmed.insert(id);
    if (level_of(id) > o.floor_attempted) o.floor_attempted = level_of(id);
    const ConfirmStatus cs = confirm(f, log, out.slot);
    if (cs == ConfirmStatus::kConfirmed || cs == ConfirmStatus::kAlreadyConfirmed) {
      o.last_confirmed = id;
      if (level_of(id) > o.floor_confirmed) {
        o.floor_confirmed = level_of(id);
      }
    } else {
      err = std::string("confirm failed: ") + to_string(cs);
    }
    return true;
  }

  FakeFlash base_flash_;
  Oracle base_oracle_;
  FakeFlash flash_;
  uint64_t boots_ = 0;
};

// Totals over all tests of this process (ctest runs one scenario per process; running the binary
// directly prints the whole campaign's figures at the end).
uint64_t g_total_runs = 0;
uint64_t g_total_cuts = 0;

class TotalsPrinter : public ::testing::Environment {
 public:
  void TearDown() override {
    std::printf("power-cut campaign total (this process): %llu runs, %llu power cuts executed\n",
                static_cast<unsigned long long>(g_total_runs),
                static_cast<unsigned long long>(g_total_cuts));
  }
};
[[maybe_unused]] const auto* const g_totals_printer =
    ::testing::AddGlobalTestEnvironment(new TotalsPrinter);

constexpr uint32_t kPayload = 256;

struct Images {
  int a1, b2, b2crash, b2never, b2badpayload, b2badheader, a_in_b, a3, a1old;
};

Images add_images(Campaign& c) {
  Images im;
  im.a1 = c.add(
      {make_image(Slot::kA, Version{1, 0, 0, 1}, kPayload, 1), true, Behavior::kGood, "A-1.0.0"});
  im.b2 = c.add({make_image(Slot::kB, Version{2, 0, 0, 2}, kPayload + 4, 2), true, Behavior::kGood,
                 "B-2.0.0"});
  im.b2crash = c.add({make_image(Slot::kB, Version{2, 0, 1, 3}, kPayload, 3), true,
                      Behavior::kCrashFirstAttempt, "B-2.0.1-crash-once"});
  im.b2never = c.add({make_image(Slot::kB, Version{2, 1, 0, 4}, kPayload, 4), true,
                      Behavior::kNeverConfirms, "B-2.1.0-noconfirm"});
  TestImage bad = make_image(Slot::kB, Version{2, 2, 0, 5}, kPayload, 5);
  bad.bytes[512 + 100] ^= 0x10;
  im.b2badpayload = c.add({bad, false, Behavior::kGood, "B-2.2.0-bad-payload"});
  TestImage badh = make_image(Slot::kB, Version{2, 3, 0, 6}, kPayload, 6);
  badh.bytes[20] ^= 0x01;  // version byte: header CRC no longer matches
  im.b2badheader = c.add({badh, false, Behavior::kGood, "B-2.3.0-bad-header"});
  im.a_in_b = c.add({make_image(Slot::kA, Version{2, 4, 0, 7}, kPayload, 7), true, Behavior::kGood,
                     "A-linked-2.4.0"});
  im.a3 = c.add({make_image(Slot::kA, Version{3, 0, 0, 8}, kPayload + 8, 8), true, Behavior::kGood,
                 "A-3.0.0"});
  // Older than B-2.0.0: refused once B-2.0.0 confirmed (anti-rollback), although intact.
  im.a1old = c.add({make_image(Slot::kA, Version{1, 5, 0, 9}, kPayload + 12, 9), true,
                    Behavior::kGood, "A-1.5.0-downgrade"});
  return im;
}

void pad_log(FakeFlash& f, uint32_t leave_free, bool to_small_area) {
  MetaLog log(f);
  ASSERT_EQ(log.load(), LogStatus::kOk);
  const MetaRecord keep = log.state().of(Slot::kA).record;
  if (to_small_area) {
    while (log.holder() != 1) ASSERT_EQ(log.append(keep), LogStatus::kOk);
  }
  const unsigned area = static_cast<unsigned>(log.holder());
  const uint32_t cap = log.area_layout(area).slot_count();
  while (log.area(area).end < cap - leave_free) ASSERT_EQ(log.append(keep), LogStatus::kOk);
}

void garbage_logs(FakeFlash& f) {
  std::vector<uint8_t> junk(16 * 1024);
  uint32_t x = 99;
  for (auto& b : junk) b = static_cast<uint8_t>((x = x * 1664525u + 1013904223u) >> 24);
  for (uint32_t off = 0; off < 128 * 1024; off += 16 * 1024) f.poke(0x080E'0000 + off, junk);
  f.poke(0x0800'C000, junk);
}

struct Scenario {
  const char* name;
  std::vector<TestAction> setup;
  void (*extra)(FakeFlash&, Campaign&);
  std::vector<TestAction> script;
  int expected;
};

std::vector<Scenario> scenarios(const Images& im) {
  const TestAction boot{Op::kBoot};
  auto factory = [](int img, Slot s) { return TestAction{Op::kFactory, img, s}; };
  auto install = [](int img, Slot s) { return TestAction{Op::kInstall, img, s}; };
  const std::vector<TestAction> a_confirmed = {factory(im.a1, Slot::kA), boot};
  const std::vector<TestAction> b_confirmed = {factory(im.a1, Slot::kA), boot,
                                               install(im.b2, Slot::kB), boot};
  return {
      {"first boot (factory image, empty log)",
       {},
       nullptr,
       {factory(im.a1, Slot::kA), boot},
       im.a1},
      {"update to B", a_confirmed, nullptr, {install(im.b2, Slot::kB), boot}, im.b2},
      {"confirm on the second attempt",
       a_confirmed,
       nullptr,
       {install(im.b2crash, Slot::kB), boot, boot},
       im.b2crash},
      {"second update back to A", b_confirmed, nullptr, {install(im.a3, Slot::kA), boot}, im.a3},
      {"revert after failed attempts",
       a_confirmed,
       nullptr,
       {install(im.b2never, Slot::kB), boot, boot, boot, boot},
       im.a1},
      {"corrupt payload", a_confirmed, nullptr, {install(im.b2badpayload, Slot::kB), boot}, im.a1},
      {"corrupt header", a_confirmed, nullptr, {install(im.b2badheader, Slot::kB), boot}, im.a1},
      {"wrong-slot link address",
       a_confirmed,
       nullptr,
       {install(im.a_in_b, Slot::kB), boot},
       im.a1},
      {"log full: host append compacts sector 11 -> 3",
       a_confirmed,
       [](FakeFlash& f, Campaign&) { pad_log(f, 0, false); },
       {install(im.b2, Slot::kB), boot},
       im.b2},
      {"log full: boot append compacts sector 11 -> 3",
       a_confirmed,
       [](FakeFlash& f, Campaign&) { pad_log(f, 1, false); },
       {install(im.b2, Slot::kB), boot},
       im.b2},
      {"log full: compaction sector 3 -> 11",
       a_confirmed,
       [](FakeFlash& f, Campaign&) { pad_log(f, 1, true); },
       {install(im.b2, Slot::kB), boot},
       im.b2},
      {"log full during a revert",
       a_confirmed,
       [](FakeFlash& f, Campaign&) { pad_log(f, 2, false); },
       {install(im.b2never, Slot::kB), boot, boot, boot, boot},
       im.a1},
      {"destroyed log: highest version on trial",
       {factory(im.a1, Slot::kA), factory(im.b2, Slot::kB)},
       [](FakeFlash& f, Campaign&) { garbage_logs(f); },
       {boot},
       im.b2},
      {"destroyed log: bad newest image reverts",
       {factory(im.a1, Slot::kA), factory(im.b2never, Slot::kB)},
       [](FakeFlash& f, Campaign&) { garbage_logs(f); },
       {boot, boot, boot, boot},
       im.a1},
      {"damaged confirmed image: fall back, then update it",
       b_confirmed,
       nullptr,
       {TestAction{Op::kDamage, -1, Slot::kB}, boot, install(im.b2crash, Slot::kB), boot, boot},
       im.b2crash},
      {"downgrade below the floor is refused",
       b_confirmed,
       nullptr,
       {install(im.a1old, Slot::kA), boot, boot},
       im.b2},
      {"new update replaces an unconfirmed trial",
       a_confirmed,
       nullptr,
       {install(im.b2never, Slot::kB), boot, install(im.b2, Slot::kB), boot},
       im.b2},
  };
}

constexpr size_t kScenarioCount = 17;

std::vector<uint64_t> second_cut_offsets(uint64_t recovery_steps) {
  const char* env = std::getenv("BOOTCORE_POWER_CUT_SECOND_CUTS");
  std::vector<uint64_t> out;
  if (env != nullptr && std::strcmp(env, "all") == 0) {
    for (uint64_t j = 1; j <= recovery_steps; ++j) out.push_back(j);
    return out;
  }
  // Smoke mode: the first steps of the recovery (the reboot's own appends and compactions are
  // the delicate part), then a geometric spread over the rest.
  for (uint64_t j = 1; j <= recovery_steps && j <= 3; ++j) out.push_back(j);
  for (uint64_t j = 8; j <= recovery_steps; j = j * 3) out.push_back(j);
  return out;
}

class BootcorePowerCut : public ::testing::TestWithParam<size_t> {};

// One ctest entry per scenario, so the campaign spreads over the CI's cores.
TEST_P(BootcorePowerCut, EveryStepOfTheScenario) {
  const auto start = std::chrono::steady_clock::now();
  Campaign c;
  const Images im = add_images(c);
  const auto all = scenarios(im);
  ASSERT_LT(GetParam(), all.size());
  const Scenario& sc = all[GetParam()];
  c.set_base(sc.setup, sc.extra);
  uint64_t steps = 0;
  std::string err = c.run(sc.script, sc.expected, {}, &steps, nullptr);
  ASSERT_EQ(err, "") << sc.name << " (no cut)";
  ASSERT_GT(steps, 0u) << sc.name;
  uint64_t runs = 1, cuts = 0, double_cut_runs = 0;
  for (uint64_t k = 1; k <= steps; ++k) {
    for (CutKind kind : {CutKind::kClean, CutKind::kTorn}) {
      uint64_t run_steps = 0;
      unsigned done = 0;
      err = c.run(sc.script, sc.expected, {{k, kind}}, &run_steps, &done);
      ++runs;
      cuts += done;
      ASSERT_EQ(err, "") << sc.name << ": cut at step " << k
                         << (kind == CutKind::kTorn ? " (torn)" : " (clean)");
      ASSERT_EQ(done, 1u) << sc.name << ": cut at step " << k << " did not happen";
      const uint64_t recovery = run_steps > k ? run_steps - k : 0;
      for (uint64_t j : second_cut_offsets(recovery)) {
        const CutKind kind2 = (j % 2 == 0) ? CutKind::kTorn : CutKind::kClean;
        err = c.run(sc.script, sc.expected, {{k, kind}, {j, kind2}}, nullptr, &done);
        ++runs;
        ++double_cut_runs;
        cuts += done;
        ASSERT_EQ(err, "") << sc.name << ": cut at step " << k
                           << (kind == CutKind::kTorn ? " (torn)" : " (clean)")
                           << " then at recovery step " << j
                           << (kind2 == CutKind::kTorn ? " (torn)" : " (clean)");
      }
    }
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "power-cut scenario \"%s\": %llu flash steps, %llu runs (%llu with two cuts), "
      "%llu power cuts executed, %llu boots, %.1f s\n",
      sc.name, static_cast<unsigned long long>(steps), static_cast<unsigned long long>(runs),
      static_cast<unsigned long long>(double_cut_runs), static_cast<unsigned long long>(cuts),
      static_cast<unsigned long long>(c.boots()), secs);
  RecordProperty("power_cuts", static_cast<int>(cuts));
  g_total_runs += runs;
  g_total_cuts += cuts;
  EXPECT_GE(cuts, 2 * steps);
}

class BootcorePowerCutRandom : public ::testing::TestWithParam<size_t> {};

// Random multi-cut runs (3 to 5 cuts each: the first anywhere in the scenario, the next ones
// early in each recovery). Smoke: 150 runs per scenario; long mode:
//   BOOTCORE_POWER_CUT_RANDOM_RUNS=100000 ./bootcore_power_cut_test --gtest_filter='*Random*'
TEST_P(BootcorePowerCutRandom, MultipleCutsPerRun) {
  Campaign c;
  const Images im = add_images(c);
  const auto all = scenarios(im);
  const Scenario& sc = all[GetParam()];
  c.set_base(sc.setup, sc.extra);
  uint64_t steps = 0;
  ASSERT_EQ(c.run(sc.script, sc.expected, {}, &steps, nullptr), "");
  const char* env = std::getenv("BOOTCORE_POWER_CUT_RANDOM_RUNS");
  const uint64_t runs = env != nullptr ? std::strtoull(env, nullptr, 10) : 150;
  uint64_t rng = 0x5EED'0000 + GetParam();
  auto next = [&rng] {
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return rng >> 33;
  };
  uint64_t cuts = 0;
  for (uint64_t r = 0; r < runs; ++r) {
    std::vector<Cut> plan;
    const unsigned n = 3 + static_cast<unsigned>(next() % 3);
    plan.push_back({1 + next() % steps, next() % 2 ? CutKind::kTorn : CutKind::kClean});
    for (unsigned i = 1; i < n; ++i) {
      plan.push_back({1 + next() % 60, next() % 2 ? CutKind::kTorn : CutKind::kClean});
    }
    unsigned done = 0;
    const std::string err = c.run(sc.script, sc.expected, plan, nullptr, &done);
    cuts += done;
    if (!err.empty()) {
      std::string where;
      for (const Cut& cut : plan) {
        where += " " + std::to_string(cut.step) + (cut.kind == CutKind::kTorn ? "t" : "c");
      }
      FAIL() << sc.name << ": run " << r << " cuts" << where << ": " << err;
    }
  }
  g_total_runs += runs;
  g_total_cuts += cuts;
  std::printf("random multi-cut \"%s\": %llu runs, %llu power cuts executed\n", sc.name,
              static_cast<unsigned long long>(runs), static_cast<unsigned long long>(cuts));
}

INSTANTIATE_TEST_SUITE_P(Scenarios, BootcorePowerCutRandom,
                         ::testing::Range<size_t>(0, kScenarioCount));

INSTANTIATE_TEST_SUITE_P(Scenarios, BootcorePowerCut, ::testing::Range<size_t>(0, kScenarioCount));

}  // namespace
}  // namespace fota::bootcore::test
