// SPDX-License-Identifier: Apache-2.0
#include "bootcore/meta_log.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <initializer_list>

#include "fake_flash.h"

namespace fota::bootcore::test {
namespace {

using flash_map::Slot;

MetaRecord rec(Slot slot, RecordState state, uint32_t crc, uint8_t attempts = 0) {
  MetaRecord r;
  r.slot = slot;
  r.state = state;
  r.image_crc32 = crc;
  r.attempts = attempts;
  r.version = 0x0100'0000;
  return r;
}

// A log on `f`, loaded, with `records` appended in order.
void append_all(FakeFlash& f, std::initializer_list<MetaRecord> records) {
  MetaLog log(f);
  ASSERT_EQ(log.load(), LogStatus::kOk);
  for (const MetaRecord& r : records) ASSERT_EQ(log.append(r), LogStatus::kOk);
}

TEST(BootcoreMetaLog, EmptyLogLoadsEmptyAndFirstAppendGoesToSector11) {
  FakeFlash f;
  MetaLog log(f);
  ASSERT_EQ(log.load(), LogStatus::kOk);
  EXPECT_TRUE(log.state().empty());
  EXPECT_EQ(log.state().max_sequence, 0u);
  ASSERT_EQ(log.append(rec(Slot::kA, RecordState::kConfirmed, 0xAAAA)), LogStatus::kOk);
  EXPECT_EQ(f.steps(), 8u);  // fresh flash: blank-checked via the mapped view, no erase
  const auto parsed = parse_record(std::span<const uint8_t>(f.raw(0x080E'0000), 32));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->sequence, 1u);

  MetaLog again(f);
  ASSERT_EQ(again.load(), LogStatus::kOk);
  ASSERT_TRUE(again.state().of(Slot::kA).present);
  EXPECT_EQ(again.state().of(Slot::kA).record.image_crc32, 0xAAAAu);
  EXPECT_FALSE(again.state().of(Slot::kB).present);
  EXPECT_EQ(again.area(0).end, 1u);
  EXPECT_EQ(again.holder(), 0);
}

TEST(BootcoreMetaLog, KeepsNewestRecordPerSlot) {
  FakeFlash f;
  ASSERT_NO_FATAL_FAILURE(append_all(
      f, {rec(Slot::kA, RecordState::kConfirmed, 1), rec(Slot::kB, RecordState::kTrial, 2),
          rec(Slot::kB, RecordState::kTrial, 2, 1)}));
  MetaLog l2(f);
  ASSERT_EQ(l2.load(), LogStatus::kOk);
  EXPECT_EQ(l2.state().max_sequence, 3u);
  EXPECT_EQ(l2.state().of(Slot::kA).record.state, RecordState::kConfirmed);
  EXPECT_EQ(l2.state().of(Slot::kB).record.attempts, 1);
  EXPECT_EQ(l2.state().of(Slot::kB).record.sequence, 3u);
}

TEST(BootcoreMetaLog, TornAppendIsIgnoredAndTheNextAppendSkipsIt) {
  for (uint64_t word = 1; word <= 8; ++word) {
    for (CutKind kind : {CutKind::kClean, CutKind::kTorn}) {
      FakeFlash f;
      MetaLog log(f);
      ASSERT_EQ(log.load(), LogStatus::kOk);
      ASSERT_EQ(log.append(rec(Slot::kA, RecordState::kConfirmed, 1)), LogStatus::kOk);
      f.schedule_cut(word, kind, word * 7);
      EXPECT_THROW((void)log.append(rec(Slot::kB, RecordState::kTrial, 2)), PowerCut);
      f.power_on();
      MetaLog l2(f);
      ASSERT_EQ(l2.load(), LogStatus::kOk);
      EXPECT_FALSE(l2.state().of(Slot::kB).present);
      EXPECT_EQ(l2.state().of(Slot::kA).record.state, RecordState::kConfirmed);
      ASSERT_EQ(l2.append(rec(Slot::kB, RecordState::kTrial, 2)), LogStatus::kOk);
      MetaLog l3(f);
      ASSERT_EQ(l3.load(), LogStatus::kOk);
      EXPECT_TRUE(l3.state().of(Slot::kB).present);
      EXPECT_EQ(l3.state().of(Slot::kB).record.sequence, 2u);
    }
  }
}

// Fills the log by appends, alternating the two slots so that the window rule never triggers.
void fill(MetaLog& log, uint32_t count) {
  for (uint32_t i = 0; i < count; ++i) {
    const Slot s = i % 2 == 0 ? Slot::kA : Slot::kB;
    ASSERT_EQ(log.append(rec(s, RecordState::kConfirmed, 100 + (i % 2))), LogStatus::kOk);
  }
}

TEST(BootcoreMetaLog, LoadOfAFull128KLogReadsLogarithmicallyFew) {
  FakeFlash f;
  MetaLog log(f);
  ASSERT_EQ(log.load(), LogStatus::kOk);
  fill(log, kMainLogArea.slot_count());
  EXPECT_EQ(log.compactions(), 0u);
  f.reset_counters();
  MetaLog l2(f);
  ASSERT_EQ(l2.load(), LogStatus::kOk);
  EXPECT_EQ(l2.area(0).end, 4096u);
  EXPECT_EQ(l2.state().max_sequence, 4096u);
  std::printf("load of a full 128 KB log (4096 records): %llu reads, %llu bytes\n",
              static_cast<unsigned long long>(f.read_calls()),
              static_cast<unsigned long long>(f.read_bytes()));
  // Binary searches: ceil(log2(4097)) + ceil(log2(513)) = 13 + 10 probes, plus one chunk.
  EXPECT_LE(f.read_calls(), 25u);
  EXPECT_LE(f.read_bytes(), 25u * 32 + 256);
}

TEST(BootcoreMetaLog, CompactionMainToSmallAndBackKeepsEverySlotsState) {
  FakeFlash f;
  MetaLog log(f);
  ASSERT_EQ(log.load(), LogStatus::kOk);
  ASSERT_EQ(log.append(rec(Slot::kA, RecordState::kConfirmed, 0xA)), LogStatus::kOk);
  // B on trial, its attempts ticking, A's CONFIRMED far behind: window compactions then the
  // area-full compaction must all carry A's record along.
  uint32_t appended = 1;
  for (int round = 0; round < 2; ++round) {
    const unsigned start_holder = static_cast<unsigned>(log.holder());
    while (static_cast<unsigned>(log.holder()) == start_holder) {
      ASSERT_EQ(log.append(rec(Slot::kB, RecordState::kTrial, 0xB, appended % 200)),
                LogStatus::kOk);
      ++appended;
      ASSERT_LT(appended, 20000u);
    }
    MetaLog l2(f);
    ASSERT_EQ(l2.load(), LogStatus::kOk);
    EXPECT_EQ(l2.holder(), 1 - static_cast<int>(start_holder));
    ASSERT_TRUE(l2.state().of(Slot::kA).present);
    EXPECT_EQ(l2.state().of(Slot::kA).record.state, RecordState::kConfirmed);
    EXPECT_EQ(l2.state().of(Slot::kB).record.image_crc32, 0xBu);
    EXPECT_EQ(l2.state().max_sequence, log.state().max_sequence);
  }
  EXPECT_GE(log.compactions(), 2u);
}

TEST(BootcoreMetaLog, FullAreaCompactsIntoTheOtherArea) {
  FakeFlash f;
  MetaLog log(f);
  ASSERT_EQ(log.load(), LogStatus::kOk);
  fill(log, kMainLogArea.slot_count());
  EXPECT_EQ(log.holder(), 0);
  ASSERT_EQ(log.append(rec(Slot::kB, RecordState::kTrial, 0xB)), LogStatus::kOk);
  EXPECT_EQ(log.holder(), 1);
  EXPECT_EQ(log.compactions(), 1u);
  MetaLog l2(f);
  ASSERT_EQ(l2.load(), LogStatus::kOk);
  EXPECT_EQ(l2.holder(), 1);
  EXPECT_EQ(l2.area(1).end, 3u);  // A's and B's state, then the new record
  EXPECT_EQ(l2.state().of(Slot::kA).record.image_crc32, 100u);
  EXPECT_EQ(l2.state().of(Slot::kB).record.image_crc32, 0xBu);
  EXPECT_EQ(l2.state().max_sequence, 4096u + 2);
  // And the small area fills and compacts back into sector 11.
  fill(l2, kSmallLogArea.slot_count() - 3);
  EXPECT_EQ(l2.holder(), 1);
  ASSERT_EQ(l2.append(rec(Slot::kB, RecordState::kRejected, 101)), LogStatus::kOk);
  EXPECT_EQ(l2.holder(), 0);
  MetaLog l3(f);
  ASSERT_EQ(l3.load(), LogStatus::kOk);
  EXPECT_EQ(l3.holder(), 0);
  EXPECT_EQ(l3.area(0).end, 3u);
  EXPECT_EQ(l3.state().of(Slot::kB).record.state, RecordState::kRejected);
}

TEST(BootcoreMetaLog, DestroyedLogReadsEmptyAndIsErasedBeforeReuse) {
  FakeFlash f;
  std::vector<uint8_t> junk(16 * 1024);
  uint32_t x = 12345;
  for (auto& b : junk) b = static_cast<uint8_t>((x = x * 1103515245u + 12345u) >> 16);
  for (uint32_t off = 0; off < 128 * 1024; off += 16 * 1024) f.poke(0x080E'0000 + off, junk);
  f.poke(0x0800'C000, junk);
  MetaLog log(f);
  ASSERT_EQ(log.load(), LogStatus::kOk);
  EXPECT_TRUE(log.state().empty());
  ASSERT_EQ(log.append(rec(Slot::kA, RecordState::kTrial, 7)), LogStatus::kOk);
  EXPECT_EQ(f.steps(), 2u + 8u);  // both areas erased, then the record
  MetaLog l2(f);
  ASSERT_EQ(l2.load(), LogStatus::kOk);
  EXPECT_EQ(l2.state().of(Slot::kA).record.image_crc32, 7u);
}

TEST(BootcoreMetaLog, HostWithoutMappedViewErasesBeforeTheFirstRecord) {
  FakeFlash f;
  UnmappedFlash host(f);
  MetaLog log(host);
  ASSERT_EQ(log.load(), LogStatus::kOk);
  ASSERT_EQ(log.append(rec(Slot::kB, RecordState::kTrial, 7)), LogStatus::kOk);
  EXPECT_EQ(f.steps(), 2u + 8u);
}

// Small areas (sectors 1 and 2, 512 records each) and an 8-record window, so that window and
// area-full compactions come often; a power cut (clean and torn) at every step of every append.
TEST(BootcoreMetaLog, PowerCutAtEveryStepOfAppendsAcrossCompactions) {
  constexpr LogArea kA1{0x0800'4000, 16 * 1024, 1};
  constexpr LogArea kA2{0x0800'8000, 16 * 1024, 2};
  constexpr uint32_t kWindow = 8;
  FakeFlash f;
  {
    MetaLog log(f, kA1, kA2, kWindow);
    ASSERT_EQ(log.load(), LogStatus::kOk);
    ASSERT_EQ(log.append(rec(Slot::kA, RecordState::kConfirmed, 0xA)), LogStatus::kOk);
  }
  uint64_t cuts = 0;
  uint32_t compactions = 0;
  FakeFlash dry;  // reused: allocating 1 MB per run would dominate the test's time
  FakeFlash cut;
  for (uint32_t i = 0; i < 1200; ++i) {
    const MetaRecord next = rec(Slot::kB, RecordState::kTrial, 0xB, static_cast<uint8_t>(i));
    // Dry run on a copy to count this append's steps.
    dry.restore_from(f);
    MetaLog dry_log(dry, kA1, kA2, kWindow);
    ASSERT_EQ(dry_log.load(), LogStatus::kOk);
    const uint32_t before_seq = dry_log.state().max_sequence;
    ASSERT_EQ(dry_log.append(next), LogStatus::kOk);
    compactions += dry_log.compactions();
    const uint64_t steps = dry.steps();
    for (uint64_t k = 1; k <= steps; ++k) {
      for (CutKind kind : {CutKind::kClean, CutKind::kTorn}) {
        cut.restore_from(f);
        MetaLog log(cut, kA1, kA2, kWindow);
        ASSERT_EQ(log.load(), LogStatus::kOk);
        cut.schedule_cut(k, kind, i * 1000 + k);
        ASSERT_THROW((void)log.append(next), PowerCut);
        ++cuts;
        cut.power_on();
        MetaLog after(cut, kA1, kA2, kWindow);
        ASSERT_EQ(after.load(), LogStatus::kOk) << i << "/" << k;
        ASSERT_GE(after.holder(), 0) << i << "/" << k;
        const auto& a = after.state().of(Slot::kA);
        ASSERT_TRUE(a.present && a.record.state == RecordState::kConfirmed) << i << "/" << k;
        const auto& b = after.state().of(Slot::kB);
        if (i > 0) {
          ASSERT_TRUE(b.present) << i << "/" << k;
          ASSERT_TRUE(b.record.attempts == static_cast<uint8_t>(i - 1) ||
                      b.record.attempts == static_cast<uint8_t>(i))
              << i << "/" << k;
        }
        ASSERT_GE(after.state().max_sequence, before_seq) << i << "/" << k;
        // Retrying the append after the reboot must work and land.
        ASSERT_EQ(after.append(next), LogStatus::kOk) << i << "/" << k;
        MetaLog again(cut, kA1, kA2, kWindow);
        ASSERT_EQ(again.load(), LogStatus::kOk);
        ASSERT_EQ(again.state().of(Slot::kB).record.attempts, static_cast<uint8_t>(i));
        ASSERT_EQ(again.state().of(Slot::kA).record.state, RecordState::kConfirmed);
      }
    }
    MetaLog log(f, kA1, kA2, kWindow);
    ASSERT_EQ(log.load(), LogStatus::kOk);
    ASSERT_EQ(log.append(next), LogStatus::kOk);
  }
  std::printf("meta log: %llu power cuts over 1200 appends, %u compactions\n",
              static_cast<unsigned long long>(cuts), compactions);
  EXPECT_GT(compactions, 100u);
}

bool same_content(const MetaRecord& x, const MetaRecord& y) {
  return x.slot == y.slot && x.state == y.state && x.attempts == y.attempts &&
         x.image_crc32 == y.image_crc32;
}

// Random appends to both slots against a model, with random cuts (clean or torn) at random steps
// and the append retried after each reboot; small areas and window as above.
TEST(BootcoreMetaLog, RandomAppendsAndCutsMatchTheModel) {
  constexpr LogArea kA1{0x0800'4000, 16 * 1024, 1};
  constexpr LogArea kA2{0x0800'8000, 16 * 1024, 2};
  constexpr uint32_t kWindow = 8;
  FakeFlash f, dry;
  uint64_t rng = 42;
  auto next = [&rng] {
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<uint32_t>(rng >> 33);
  };
  std::array<SlotRecord, 2> model{};
  uint64_t cuts = 0;
  for (uint32_t i = 0; i < 4000; ++i) {
    const Slot slot = next() % 2 ? Slot::kB : Slot::kA;
    const RecordState states[] = {RecordState::kTrial, RecordState::kConfirmed,
                                  RecordState::kRejected};
    const MetaRecord r = rec(slot, states[next() % 3], next() % 4, static_cast<uint8_t>(next()));
    if (next() % 3 == 0) {
      dry.restore_from(f);
      MetaLog d(dry, kA1, kA2, kWindow);
      ASSERT_EQ(d.load(), LogStatus::kOk);
      ASSERT_EQ(d.append(r), LogStatus::kOk);
      MetaLog log(f, kA1, kA2, kWindow);
      ASSERT_EQ(log.load(), LogStatus::kOk);
      f.schedule_cut(1 + next() % dry.steps(), next() % 2 ? CutKind::kTorn : CutKind::kClean, i);
      ASSERT_THROW((void)log.append(r), PowerCut);
      ++cuts;
      f.power_on();
      MetaLog after(f, kA1, kA2, kWindow);
      ASSERT_EQ(after.load(), LogStatus::kOk);
      for (unsigned s = 0; s < 2; ++s) {
        const SlotRecord& got = after.state().newest[s];
        ASSERT_EQ(got.present, model[s].present || (s == static_cast<unsigned>(slot) &&
                                                    got.present && same_content(got.record, r)))
            << i;
        if (!got.present) continue;
        const bool old_ok = model[s].present && same_content(got.record, model[s].record);
        const bool new_ok = s == static_cast<unsigned>(slot) && same_content(got.record, r);
        ASSERT_TRUE(old_ok || new_ok) << i << " slot " << s;
      }
    }
    MetaLog log(f, kA1, kA2, kWindow);
    ASSERT_EQ(log.load(), LogStatus::kOk);
    ASSERT_EQ(log.append(r), LogStatus::kOk) << i;
    model[static_cast<unsigned>(slot)] = {true, r};
    MetaLog check(f, kA1, kA2, kWindow);
    ASSERT_EQ(check.load(), LogStatus::kOk);
    for (unsigned s = 0; s < 2; ++s) {
      ASSERT_EQ(check.state().newest[s].present, model[s].present) << i;
      if (model[s].present) {
        ASSERT_TRUE(same_content(check.state().newest[s].record, model[s].record)) << i;
      }
    }
    ASSERT_GE(check.holder(), 0) << i;
  }
  std::printf("meta log model test: 4000 appends, %llu random power cuts\n",
              static_cast<unsigned long long>(cuts));
}

TEST(BootcoreMetaLog, LongRunOfTornAppendsNeverHidesTheState) {
  FakeFlash f;
  ASSERT_NO_FATAL_FAILURE(append_all(
      f, {rec(Slot::kA, RecordState::kConfirmed, 0xA), rec(Slot::kB, RecordState::kTrial, 0xB)}));
  for (uint32_t i = 0; i < 3 * kLogWindowSlots; ++i) {
    MetaLog log(f);
    ASSERT_EQ(log.load(), LogStatus::kOk);
    ASSERT_EQ(log.state().of(Slot::kA).record.state, RecordState::kConfirmed) << i;
    ASSERT_EQ(log.state().of(Slot::kB).record.state, RecordState::kTrial) << i;
    f.schedule_cut(1, CutKind::kTorn, i + 1);  // the first step of every append is torn
    ASSERT_THROW((void)log.append(rec(Slot::kB, RecordState::kRejected, 0xB)), PowerCut);
    f.power_on();
  }
}

TEST(BootcoreMetaLog, StateSplitAcrossAreasIsMergedWithoutErasing) {
  // Not produced by our writers (e.g. a foreign tool wrote the small area): A's newest record only
  // in sector 11, B's only in sector 3. The union is the state; the first append copies A's record
  // next to B's instead of erasing anything.
  FakeFlash f;
  MetaRecord a = rec(Slot::kA, RecordState::kConfirmed, 0xA);
  a.sequence = 5;
  MetaRecord b = rec(Slot::kB, RecordState::kTrial, 0xB);
  b.sequence = 9;
  f.poke(0x080E'0000, encode_record(a));
  f.poke(0x0800'C000, encode_record(b));
  MetaLog log(f);
  ASSERT_EQ(log.load(), LogStatus::kOk);
  EXPECT_EQ(log.holder(), -1);
  EXPECT_EQ(log.state().of(Slot::kA).record.sequence, 5u);
  EXPECT_EQ(log.state().of(Slot::kB).record.sequence, 9u);
  ASSERT_EQ(log.append(rec(Slot::kB, RecordState::kTrial, 0xB, 1)), LogStatus::kOk);
  EXPECT_EQ(f.steps(), 16u);  // the copy of A's record, then the new one: no erase
  MetaLog l2(f);
  ASSERT_EQ(l2.load(), LogStatus::kOk);
  EXPECT_EQ(l2.holder(), 1);
  EXPECT_EQ(l2.state().of(Slot::kA).record.state, RecordState::kConfirmed);
  EXPECT_EQ(l2.state().of(Slot::kB).record.attempts, 1);
  EXPECT_EQ(l2.state().max_sequence, 10u);
}

TEST(BootcoreMetaLog, RejectsInvalidRecordsAndAppendBeforeLoad) {
  FakeFlash f;
  MetaLog log(f);
  EXPECT_EQ(log.append(rec(Slot::kA, RecordState::kTrial, 1)), LogStatus::kNotLoaded);
  ASSERT_EQ(log.load(), LogStatus::kOk);
  MetaRecord bad = rec(Slot::kA, RecordState::kTrial, 1);
  bad.state = static_cast<RecordState>(0xFF);
  EXPECT_EQ(log.append(bad), LogStatus::kBadRecord);
  EXPECT_EQ(f.steps(), 0u);
}

}  // namespace
}  // namespace fota::bootcore::test
