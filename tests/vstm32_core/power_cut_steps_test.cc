// SPDX-License-Identifier: Apache-2.0
// Power cut at EVERY flash step of the exerciser (testfw-flash, kRewrite: erase sector 1, program
// 1024 words at x32), each on a fresh machine: after the cut the sector must hold only what
// silicon can leave, and powering on again must let the program finish with the right contents.
//
// What silicon can leave (RM0090 / DS8626 physics): an erase only turns bits 0 -> 1 and a program
// only 1 -> 0, so an interrupted erase leaves every word w with (w & old) == old, and an
// interrupted program leaves the word being programmed with (w & new) == new, w a subset of the
// erased word's ones; words programmed before it hold their values, words after it stay erased.
// What vstm32 models on top (docs/vstm32.md): an interrupted erase has erased a prefix of the
// sector (whole words up to `fraction`), the rest untouched; a torn word has a random subset of
// its 1 -> 0 bits done. Both are checked: the silicon rule for every word, the model's shape.
//
// Environment: FOTA_VSTM32_CUT_STRIDE=N checks every Nth program step only (default 1: every
// step); FOTA_VSTM32_CUT_ROUNDS=R repeats the campaign R times with other fractions and torn
// patterns (default 1; the long mode, docs/vstm32.md).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "harness.h"

namespace {

using vstm32_test::flash_word;
using vstm32_test::machine_with;
using vstm32_test::run_until_text;

uint32_t old_word(uint32_t i) {
  return 0x0F1E'2D3Cu ^ (i * 0x9E37'79B9u);  // what sector 1 held before the rewrite
}

std::unique_ptr<vstm32::Machine> fresh(uint64_t seed) {
  vstm32::MachineConfig config;
  config.seed = seed;
  auto m = machine_with("testfw-flash.bin", config);
  if (!m) return nullptr;
  std::vector<uint8_t> old(testfw::kTargetSize);
  for (uint32_t i = 0; i < testfw::kTargetSize / 4; ++i) {
    const uint32_t w = old_word(i);
    for (int b = 0; b < 4; ++b) old[4 * i + b] = static_cast<uint8_t>(w >> (8 * b));
  }
  m->load_flash(testfw::kTargetAddress, old);
  return m;
}

// Everything outside sector 1 must be exactly as before the run.
void expect_rest_unchanged(const vstm32::Machine& cut, const vstm32::Machine& reference) {
  const auto a = cut.flash();
  const auto b = reference.flash();
  const uint32_t begin = testfw::kTargetAddress - vstm32::kFlashBase;
  const uint32_t end = begin + testfw::kTargetSize;
  EXPECT_EQ(std::memcmp(a.data(), b.data(), begin), 0) << "flash below sector 1 changed";
  EXPECT_EQ(std::memcmp(a.data() + end, b.data() + end, vstm32::kFlashSize - end), 0)
      << "flash above sector 1 changed";
}

uint64_t env_count(const char* name) {
  const char* s = std::getenv(name);
  return s == nullptr ? 1 : std::max<uint64_t>(1, std::strtoull(s, nullptr, 10));
}

TEST(Vstm32PowerCutStepsTest, EveryFlashStepOfTheExerciser) {
  // A clean run counts the steps (1 erase + one per programmed word).
  auto clean = fresh(1);
  ASSERT_NE(clean, nullptr);
  const uint64_t steps_before = clean->flash_steps();
  clean->power_on();
  ASSERT_TRUE(run_until_text(*clean, "done\n")) << clean->uart_text();
  const uint64_t steps = clean->flash_steps() - steps_before;
  ASSERT_EQ(steps, 1u + testfw::kRewriteWords);
  auto reference = fresh(1);  // untouched copy for the "rest of flash" comparison

  const uint64_t stride = env_count("FOTA_VSTM32_CUT_STRIDE");
  const uint64_t rounds = env_count("FOTA_VSTM32_CUT_ROUNDS");
  // Each case: (flash step, fraction through it, seed of the torn pattern). The erase is cut at
  // its edges and in between; program steps get fractions cycling through 0 .. 1; every extra
  // round uses other fractions and seeds.
  struct Case {
    uint64_t step;
    double fraction;
    uint64_t seed;
  };
  std::vector<Case> cases;
  for (uint64_t r = 0; r < rounds; ++r) {
    for (const double f : {0.0, 0.01, 0.37, 0.5, 0.999, 1.0}) {
      cases.push_back(
          {1, r == 0 ? f : std::fmod(f + 0.137 * static_cast<double>(r), 1.0), 1 + r * 1'000'003});
    }
    for (uint64_t n = 2; n <= steps; n += stride) {
      cases.push_back({n, static_cast<double>((n * 37 + r * 53) % 101) / 100.0, n + r * 1'000'003});
    }
  }
  uint64_t checked = 0, torn_words = 0, partial_erases = 0;
  for (const Case& c : cases) {
    const uint64_t n = c.step;
    const double fraction = c.fraction;
    SCOPED_TRACE("cut at flash step " + std::to_string(n) + " fraction " +
                 std::to_string(fraction) + " seed " + std::to_string(c.seed));
    auto m = fresh(c.seed);
    ASSERT_NE(m, nullptr);
    m->cut_at_flash_step(n, fraction);
    m->power_on();
    ASSERT_TRUE(m->run_until([&] { return !m->powered(); }, 2'000'000'000));
    ASSERT_EQ(m->power_cuts(), 1u);
    ASSERT_EQ(m->uart_text().find("done"), std::string::npos);
    expect_rest_unchanged(*m, *reference);

    if (n == 1) {
      // The erase was cut: bits only went 0 -> 1; the model erased a word-aligned prefix.
      uint32_t erased_prefix = 0;
      bool in_prefix = true;
      for (uint32_t i = 0; i < testfw::kTargetSize / 4; ++i) {
        const uint32_t w = flash_word(*m, testfw::kTargetAddress + 4 * i);
        ASSERT_EQ(w & old_word(i), old_word(i)) << "word " << i << " lost a 1 during an erase";
        if (in_prefix && w == 0xFFFF'FFFFu) {
          ++erased_prefix;
        } else {
          in_prefix = false;
          ASSERT_EQ(w, old_word(i)) << "word " << i << " after the erased prefix";
        }
      }
      const uint32_t want_prefix =
          static_cast<uint32_t>(testfw::kTargetSize * fraction) / 4;  // whole words
      EXPECT_EQ(erased_prefix, want_prefix);
      if (erased_prefix > 0 && erased_prefix < testfw::kTargetSize / 4) ++partial_erases;
    } else {
      // Program step k = n - 2 was cut: words before it programmed, it torn, the rest erased.
      const uint32_t k = static_cast<uint32_t>(n - 2);
      for (uint32_t i = 0; i < testfw::kTargetSize / 4; ++i) {
        const uint32_t w = flash_word(*m, testfw::kTargetAddress + 4 * i);
        if (i < k) {
          ASSERT_EQ(w, testfw::pattern(i)) << "word " << i;
        } else if (i == k) {
          ASSERT_EQ(w & testfw::pattern(i), testfw::pattern(i))
              << "torn word " << i << " has a bit at 0 that the pattern keeps at 1";
          if (w != testfw::pattern(i) && w != 0xFFFF'FFFFu) ++torn_words;
        } else {
          ASSERT_EQ(w, 0xFFFF'FFFFu) << "word " << i << " after the cut";
        }
      }
    }

    // Power back: the program starts over (erase, program) and finishes.
    m->clear_uart_text();
    m->power_on();
    ASSERT_TRUE(run_until_text(*m, "done\n")) << m->uart_text();
    ASSERT_NE(m->uart_text().find("flash: verify ok"), std::string::npos) << m->uart_text();
    ++checked;
  }
  EXPECT_EQ(checked, cases.size());
  // The campaign really produced torn states (not only clean cuts between steps).
  if (stride == 1) EXPECT_GT(torn_words, rounds * steps / 2);
  EXPECT_GE(partial_erases, 4 * rounds);
  std::printf(
      "power cuts: %llu cases checked (%llu rounds, stride %llu), %llu torn words, "
      "%llu partial erases\n",
      static_cast<unsigned long long>(checked), static_cast<unsigned long long>(rounds),
      static_cast<unsigned long long>(stride), static_cast<unsigned long long>(torn_words),
      static_cast<unsigned long long>(partial_erases));
}

}  // namespace
