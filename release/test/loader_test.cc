// SPDX-License-Identifier: Apache-2.0
#include "release/loader.h"

#include <gtest/gtest.h>

#include "elf_fixture.h"
#include "format/crc32.h"
#include "format/sha256.h"
#include "release/image.h"

namespace fota::release {
namespace {

using flash_map::Slot;
using testing::app_elf;
using testing::app_payload;
using testing::FixtureSegment;
using testing::make_elf;

constexpr uint32_t kVecA = 0x0802'0200;
constexpr uint32_t kVecB = 0x0808'0200;

// The message check_app_for_slot gives, "" when the app fits.
std::string problem_of(const LoadedApp& app, Slot slot, const std::string& name) {
  const auto fits = check_app_for_slot(app, slot, name);
  return fits ? "" : fits.error();
}

TEST(LoadElf, FlattensSegmentsFromTheVectorTable) {
  const auto elf = app_elf(kVecB, 1000);
  auto r = load_elf(elf, "app-B.elf");
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r.value().vector_address, kVecB);
  ASSERT_EQ(r.value().payload.size(), 1000u + 8 + 16);
  EXPECT_EQ(std::vector<uint8_t>(r.value().payload.begin(), r.value().payload.begin() + 1000),
            app_payload(kVecB, 1000));
  for (size_t i = 1000; i < 1008; ++i)
    EXPECT_EQ(r.value().payload[i], 0xFF) << "gap is erased flash";
  for (size_t i = 1008; i < 1024; ++i) EXPECT_EQ(r.value().payload[i], 0xA5);
  EXPECT_EQ(problem_of(r.value(), Slot::kB, "app-B.elf"), "");
}

TEST(LoadElf, WrongSlotNamesBothAddresses) {
  auto r = load_elf(app_elf(kVecA, 256), "app-B.elf");
  ASSERT_TRUE(r);
  EXPECT_EQ(problem_of(r.value(), Slot::kB, "app-B.elf"),
            "app-B.elf: vector table at 0x08020200, expected 0x08080200 for slot B (linked for "
            "slot A)");
}

// GNU ld without --nmagic puts the ELF and program headers in the first segment, below the
// vector table: the image is what objcopy -O binary would give, from the vector table on.
TEST(LoadElf, TakesOrdinaryGnuLdLayoutFromTheVectorTable) {
  for (Slot slot : {Slot::kA, Slot::kB}) {
    const uint32_t vec = flash_map::slot_vector_address(slot);
    auto r = load_elf(testing::ld_style_elf(vec, 1000), "app.elf");
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(r->vector_address, vec);
    ASSERT_EQ(r->payload.size(), 1000u + 24) << "text, then .data's initial values";
    EXPECT_EQ(std::vector<uint8_t>(r->payload.begin(), r->payload.begin() + 1000),
              app_payload(vec, 1000));
    for (size_t i = 1000; i < 1024; ++i) EXPECT_EQ(r->payload[i], 0x5A);
    EXPECT_EQ(problem_of(*r, slot, "app.elf"), "");
  }
}

TEST(LoadElf, BothLayoutsGiveTheSameImage) {
  // The same sections, with the headers mapped below the vector table and without (--nmagic).
  const auto with_headers = load_elf(testing::ld_style_elf(kVecA, 700, 3), "a.elf");
  const auto nmagic = load_elf(testing::ld_style_elf(kVecA, 700, 3, 0), "a.elf");
  ASSERT_TRUE(with_headers) << with_headers.error();
  ASSERT_TRUE(nmagic) << nmagic.error();
  EXPECT_EQ(with_headers->payload, nmagic->payload);
  EXPECT_EQ(with_headers->vector_address, nmagic->vector_address);
}

TEST(LoadElf, NamesWhereTheVectorTableReallyIs) {
  // Linked at the slot's start: no room for the image header.
  auto at_slot = load_elf(testing::ld_style_elf(0x0802'0000, 600), "app-A.elf");
  ASSERT_TRUE(at_slot) << at_slot.error();
  EXPECT_EQ(problem_of(*at_slot, Slot::kA, "app-A.elf"),
            "app-A.elf: vector table at 0x08020000, expected 0x08020200 for slot A (the slot's "
            "first 512 bytes hold the image header: link the application at ORIGIN = "
            "0x08020200)");
  auto elsewhere = load_elf(testing::ld_style_elf(0x0800'4000, 600), "app-A.elf");
  ASSERT_TRUE(elsewhere) << elsewhere.error();
  EXPECT_EQ(problem_of(*elsewhere, Slot::kA, "app-A.elf"),
            "app-A.elf: vector table at 0x08004000, expected 0x08020200 for slot A");
}

struct BadElf {
  const char* what;
  std::vector<uint8_t> bytes;
  const char* expected;
};

TEST(LoadElf, RejectsEveryMalformedHeader) {
  const auto good = app_elf(kVecA, 64);
  std::vector<BadElf> cases;
  // A good one-segment ELF with one field of its headers changed by `edit`.
  const auto with = [](const auto& edit) {
    testing::ElfOptions o;
    edit(o);
    return make_elf({{1, kVecA, app_payload(kVecA, 64)}}, o);
  };
  cases.push_back({"64-bit", with([](auto& o) { o.elf_class = 2; }), "32-bit"});
  cases.push_back({"big endian", with([](auto& o) { o.data_encoding = 2; }), "little-endian"});
  cases.push_back({"object file", with([](auto& o) { o.type = 1; }), "executable"});
  cases.push_back({"x86-64", with([](auto& o) { o.machine = 62; }), "not an ARM"});
  cases.push_back({"no phdrs", with([](auto& o) { o.phnum_override = 0; }), "no program headers"});
  cases.push_back(
      {"phnum too big", with([](auto& o) { o.phnum_override = 2000; }), "outside the file"});
  cases.push_back(
      {"phoff huge", with([](auto& o) { o.phoff_override = 0xFFFF'FFF0; }), "outside the file"});
  cases.push_back({"phentsize", with([](auto& o) { o.phentsize = 8; }), "too small"});
  {
    auto e = good;
    bytes::store_le32(&e[52 + 16], 0x7FFF'FFFF);  // filesz of segment 0
    cases.push_back({"segment past eof", e, "outside the file"});
  }
  {
    auto e = good;
    bytes::store_le32(&e[52 + 4], 0xFFFF'FF00);  // offset of segment 0
    cases.push_back({"segment offset huge", e, "outside the file"});
  }
  cases.push_back(
      {"segment in RAM", make_elf({{1, 0x2000'0000, app_payload(kVecA, 64)}}), "not in flash"});
  cases.push_back({"segment past flash end", make_elf({{1, 0x080F'FFF0, app_payload(kVecA, 64)}}),
                   "not in flash"});
  cases.push_back({"overlap",
                   make_elf({{1, kVecA, app_payload(kVecA, 64)}, {1, kVecA + 32, {1, 2, 3, 4}}}),
                   "overlap"});
  cases.push_back({"only bss", make_elf({{1, 0x2000'0000, {}, 64}}), "no loadable data"});
  cases.push_back({"no PT_LOAD", make_elf({{4, kVecA, {1, 2, 3, 4}}}), "no loadable data"});
  cases.push_back(
      {"truncated", std::vector<uint8_t>(good.begin(), good.begin() + 40), "truncated"});
  cases.push_back({"bad magic", std::vector<uint8_t>{0x7F, 'E', 'L', 'G', 0, 0}, "bad magic"});
  for (const auto& c : cases) {
    auto r = load_elf(c.bytes, "x.elf");
    ASSERT_FALSE(r) << c.what;
    EXPECT_NE(r.error().find(c.expected), std::string::npos) << c.what << ": " << r.error();
    EXPECT_EQ(r.error().rfind("x.elf", 0), 0u) << c.what << ": error names the file";
  }
}

TEST(CheckApp, RejectsBadVectorTablesAndSizes) {
  LoadedApp app;
  app.vector_address = kVecA;
  app.payload = app_payload(kVecA, 64);
  EXPECT_EQ(problem_of(app, Slot::kA, "a.bin"), "");

  auto bad_sp = app;
  bytes::store_le32(bad_sp.payload.data(), 0x0800'0000);
  EXPECT_NE(problem_of(bad_sp, Slot::kA, "a.bin").find("stack pointer"), std::string::npos);

  auto arm_mode = app;
  bytes::store_le32(arm_mode.payload.data() + 4, kVecA + 8);
  EXPECT_NE(problem_of(arm_mode, Slot::kA, "a.bin").find("reset vector"), std::string::npos);

  // A raw binary linked for A given for slot B: the reset vector points into slot A.
  auto bin_for_b = app;
  bin_for_b.vector_address = kVecB;
  const std::string msg = problem_of(bin_for_b, Slot::kB, "a.bin");
  EXPECT_NE(msg.find("looks linked for slot A"), std::string::npos) << msg;

  LoadedApp tiny{{1, 2, 3}, kVecA, false};
  EXPECT_NE(problem_of(tiny, Slot::kA, "t.bin").find("too short"), std::string::npos);

  LoadedApp empty{{}, kVecA, false};
  EXPECT_NE(problem_of(empty, Slot::kA, "e.bin").find("empty"), std::string::npos);

  LoadedApp fits{app_payload(kVecA, flash_map::kMaxPayloadSize), kVecA, false};
  EXPECT_EQ(problem_of(fits, Slot::kA, "f.bin"), "");
  LoadedApp big{app_payload(kVecA, flash_map::kMaxPayloadSize + 1), kVecA, false};
  EXPECT_NE(problem_of(big, Slot::kA, "big.bin").find("do not fit slot A"), std::string::npos);
}

TEST(Image, BuildAndParseRoundTrip) {
  const auto payload = app_payload(kVecB, 3001);
  const auto header = make_header(payload, kVecB, Version{1, 2, 3, 44}, "widget");
  const auto image = build_image(header, payload);
  ASSERT_EQ(image.size(), 512u + 3001);
  auto r = parse_image(image, "w.img");
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->payload, payload);
  EXPECT_EQ(r->header.payload_crc32, crc32(payload));
  EXPECT_EQ(r->header.payload_sha256, sha256(payload));
  EXPECT_EQ(r->header.version, (Version{1, 2, 3, 44}));
  EXPECT_STREQ(r->header.product.data(), "widget");

  auto flipped = image;
  flipped[600] ^= 1;
  auto bad = parse_image(flipped, "w.img");
  EXPECT_FALSE(bad);
  EXPECT_EQ(bad.error(), "w.img: image payload CRC-32 mismatch");
  auto cut = image;
  cut.pop_back();
  EXPECT_EQ(parse_image(cut, "w.img").error(),
            "w.img: image payload length differs from the header");
}

TEST(Image, ProductNameIsTruncatedToKeepANul) {
  const auto payload = app_payload(kVecA, 64);
  const auto h = make_header(payload, kVecA, Version{}, std::string(40, 'x'));
  EXPECT_EQ(h.product[30], 'x');
  EXPECT_EQ(h.product[31], '\0');
}

}  // namespace
}  // namespace fota::release
