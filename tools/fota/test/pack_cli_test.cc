// SPDX-License-Identifier: Apache-2.0
// Runs the real `fota` binary on generated ELF/bin fixtures: the happy path with an independent
// check of the header's CRC-32/SHA-256 (python3 zlib + sha256sum), and every wrong-input case
// with its own message and a non-zero exit.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "elf_fixture.h"
#include "format/bytes.h"
#include "format/image_header.h"
#include "release/image.h"
#include "release/manifest.h"

namespace fota::release {
namespace {

namespace fs = std::filesystem;
using testing::app_elf;
using testing::app_payload;
using testing::write_bytes;

constexpr uint32_t kVecA = 0x0802'0200;
constexpr uint32_t kVecB = 0x0808'0200;

struct RunResult {
  int exit_code;
  std::string output;  // stdout + stderr
};

RunResult run(const std::string& command) {
  RunResult r{-1, ""};
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) r.output.append(buf.data(), n);
  const int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string quote(const fs::path& p) {
  return "'" + p.string() + "'";
}

class PackCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("fota-pack-test-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path file(const std::string& name, const std::vector<uint8_t>& data) {
    write_bytes(dir_ / name, data);
    return dir_ / name;
  }
  RunResult pack(const std::string& args) { return run(std::string(FOTA_CLI) + " pack " + args); }
  RunResult pack_ab(const fs::path& a, const fs::path& b,
                    const std::string& extra = "--version 1.2.3") {
    return pack("--app-a " + quote(a) + " --app-b " + quote(b) + " " + extra + " --out " +
                quote(dir_ / "out"));
  }

  fs::path dir_;
};

TEST_F(PackCli, PacksElfPairAndHeaderMatchesIndependentTools) {
  const auto a = file("app-A.elf", app_elf(kVecA, 5000, 1));
  const auto b = file("app-B.elf", app_elf(kVecB, 5000, 1));
  auto r = pack("--app-a " + quote(a) + " --app-b " + quote(b) +
                " --version 2.1.7 --build 42 --product widget --name demo --channel beta"
                " --url-base http://127.0.0.1:8080/rel --out " +
                quote(dir_ / "out"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* slot : {"A", "B"}) {
    const fs::path img = dir_ / "out" / (std::string("demo-2.1.7-") + slot + ".img");
    ASSERT_TRUE(fs::exists(img)) << img;
    const auto read = read_file(img, 1 << 20);
    ASSERT_TRUE(read) << read.error();
    const std::vector<uint8_t>& bytes = *read;
    ASSERT_GT(bytes.size(), kImageHeaderSize);
    const std::vector<uint8_t> payload(bytes.begin() + kImageHeaderSize, bytes.end());
    const fs::path payload_file = dir_ / (std::string("payload-") + slot + ".bin");
    write_bytes(payload_file, payload);
    // Independent CRC-32 (zlib) and SHA-256 of the payload.
    auto crc =
        run("python3 -c 'import sys,zlib; print(\"%08x\" % "
            "zlib.crc32(open(sys.argv[1],\"rb\").read()))' " +
            quote(payload_file));
    ASSERT_EQ(crc.exit_code, 0) << crc.output;
    auto sha = run("sha256sum " + quote(payload_file) + " | cut -d' ' -f1");
    ASSERT_EQ(sha.exit_code, 0) << sha.output;
    const uint32_t header_crc = bytes::load_le32(&bytes[28]);
    EXPECT_EQ(crc_hex(header_crc), "0x" + crc.output.substr(0, 8)) << slot;
    EXPECT_EQ(hex(std::span<const uint8_t>(&bytes[32], 32)), sha.output.substr(0, 64)) << slot;
    auto parsed = parse_image_header(bytes);
    ASSERT_TRUE(parsed.ok()) << to_string(parsed.error());
    EXPECT_EQ(parsed->vector_address, slot[0] == 'A' ? kVecA : kVecB);
    EXPECT_EQ(parsed->version, (Version{2, 1, 7, 42}));
    EXPECT_STREQ(parsed->product.data(), "widget");
  }
  std::ifstream in(dir_ / "out" / "manifest.json");
  std::stringstream text;
  text << in.rdbuf();
  auto m = parse_manifest(text.str());
  ASSERT_TRUE(m) << m.error();
  EXPECT_EQ(m->product, "widget");
  EXPECT_EQ(m->channel, "beta");
  EXPECT_EQ(m->slot_b.file, "demo-2.1.7-B.img");
  EXPECT_EQ(m->slot_b.url, "http://127.0.0.1:8080/rel/demo-2.1.7-B.img");
  EXPECT_EQ(m->slot_a.size, fs::file_size(dir_ / "out" / "demo-2.1.7-A.img"));
  // The manifest's checksums cover the whole image file.
  auto sha_file = run("sha256sum " + quote(dir_ / "out" / "demo-2.1.7-A.img") + " | cut -d' ' -f1");
  EXPECT_EQ(hex(m->slot_a.sha256), sha_file.output.substr(0, 64));
}

// An application linked by an ordinary GNU ld script (FLASH ORIGIN = slot + 0x200, no --nmagic):
// ld maps the ELF headers below the vector table; the release holds the image from the vector
// table on.
TEST_F(PackCli, PacksElfsLinkedByOrdinaryGnuLd) {
  const auto a = file("app-A.elf", testing::ld_style_elf(kVecA, 3000, 2));
  const auto b = file("app-B.elf", testing::ld_style_elf(kVecB, 3000, 2));
  auto r = pack_ab(a, b);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const auto& [slot, vec] : {std::pair{"A", kVecA}, std::pair{"B", kVecB}}) {
    auto img = read_image_file(dir_ / "out" / (std::string("stm32f407-1.2.3-") + slot + ".img"));
    ASSERT_TRUE(img) << img.error();
    EXPECT_EQ(img->header.vector_address, vec);
    ASSERT_EQ(img->payload.size(), 3000u + 24);
    EXPECT_EQ(std::vector<uint8_t>(img->payload.begin(), img->payload.begin() + 3000),
              app_payload(vec, 3000, 2));
  }
  // Linked at the slot's start (no room for the header): refused, naming both addresses.
  const auto at_start = file("app-start-A.elf", testing::ld_style_elf(0x0802'0000, 3000, 2));
  auto bad = pack_ab(at_start, b);
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.output.find("app-start-A.elf: vector table at 0x08020000, expected 0x08020200"),
            std::string::npos)
      << bad.output;
}

TEST_F(PackCli, ReadReleaseVerifiesEveryFile) {
  const auto a = file("app-A.elf", app_elf(kVecA, 4000, 3));
  const auto b = file("app-B.elf", app_elf(kVecB, 4000, 3));
  ASSERT_EQ(pack_ab(a, b, "--version 3.0.0 --build 5 --name r").exit_code, 0);
  const fs::path out = dir_ / "out";
  auto ok = read_release(out);
  ASSERT_TRUE(ok) << ok.error();
  EXPECT_EQ(ok->manifest.version, (Version{3, 0, 0, 5}));
  EXPECT_EQ(ok->image_b.size(), fs::file_size(out / "r-3.0.0-B.img"));

  // One flipped payload byte in B: the manifest's CRC catches it and the error names the file.
  const auto read_b = read_file(out / "r-3.0.0-B.img", 1 << 20);
  ASSERT_TRUE(read_b);
  const std::vector<uint8_t>& img = *read_b;
  auto flipped = img;
  flipped[1000] ^= 1;
  write_bytes(out / "r-3.0.0-B.img", flipped);
  auto bad = read_release(out);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().find("r-3.0.0-B.img: CRC-32 differs from the manifest's"),
            std::string::npos)
      << bad.error();

  // Swapped files (A's image where B's is listed, manifest fixed up): linked for the wrong slot.
  write_bytes(out / "r-3.0.0-B.img", img);
  const auto a_img = read_file(out / "r-3.0.0-A.img", 1 << 20);
  ASSERT_TRUE(a_img);
  write_bytes(out / "r-3.0.0-B.img", *a_img);
  std::ifstream in(out / "manifest.json");
  std::stringstream text;
  text << in.rdbuf();
  auto j = nlohmann::json::parse(text.str());
  j["slots"]["B"] = j["slots"]["A"];
  j["slots"]["B"]["file"] = "r-3.0.0-B.img";
  const std::string dumped = j.dump();
  write_bytes(out / "manifest.json", std::vector<uint8_t>(dumped.begin(), dumped.end()));
  auto swapped = read_release(out);
  ASSERT_FALSE(swapped);
  EXPECT_NE(swapped.error().find("listed for slot B but linked for slot A"), std::string::npos)
      << swapped.error();

  fs::remove(out / "r-3.0.0-A.img");
  const auto missing = read_release(out);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().find("r-3.0.0-A.img: no such file"), std::string::npos);
}

TEST_F(PackCli, PacksRawBinaries) {
  const auto a = file("app-A.bin", app_payload(kVecA, 3000));
  const auto b = file("app-B.bin", app_payload(kVecB, 3000));
  auto r = pack_ab(a, b);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto img = read_image_file(dir_ / "out" / "stm32f407-1.2.3-B.img");
  ASSERT_TRUE(img) << img.error();
  EXPECT_EQ(img->payload, app_payload(kVecB, 3000));
}

struct BadCase {
  const char* name;
  std::string expected;  // substring of the error
};

TEST_F(PackCli, RejectsEachWrongInputWithItsOwnMessage) {
  const auto a = file("app-A.elf", app_elf(kVecA, 2000));
  const auto b = file("app-B.elf", app_elf(kVecB, 2000));
  const auto b_linked_a = file("app-B-wrong.elf", app_elf(kVecA, 2000));
  const auto a_bin = file("app-A.bin", app_payload(kVecA, 2000));
  const auto b_bin_linked_a = file("app-B.bin", app_payload(kVecA, 2000));
  const auto empty = file("empty.elf", {});
  const auto empty_bin = file("empty.bin", {});
  const auto text = file("notes.txt", {'h', 'e', 'l', 'l', 'o'});
  const auto too_big_a = file("big-A.elf", app_elf(kVecA, flash_map::kMaxPayloadSize));
  const auto too_big_bin = file("big-A.bin", app_payload(kVecA, flash_map::kMaxPayloadSize + 1));
  auto x86 = app_elf(kVecB, 100);
  bytes::store_le16(&x86[18], 62);
  const auto x86_elf = file("x86.elf", x86);
  auto trunc = app_elf(kVecB, 100);
  trunc.resize(60);
  const auto trunc_elf = file("trunc.elf", trunc);
  const auto bad_sp = [&] {
    auto p = app_payload(kVecB, 100);
    bytes::store_le32(p.data(), 0xFFFF'FFFF);
    return file("badsp-B.bin", p);
  }();
  const auto out = " --out " + quote(dir_ / "out");
  const std::string ab = "--app-a " + quote(a) + " --app-b " + quote(b);
  // Both inputs with an otherwise valid command line.
  const auto apps = [&out](const fs::path& app_a, const fs::path& app_b) {
    return "--app-a " + quote(app_a) + " --app-b " + quote(app_b) + " --version 1.0.0" + out;
  };

  struct Case {
    const char* name;
    std::string args;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"B linked for A", apps(a, b_linked_a),
       "app-B-wrong.elf: vector table at 0x08020200, expected 0x08080200 for slot B"},
      {"A linked for B", apps(b, b_linked_a),
       "app-B.elf: vector table at 0x08080200, expected 0x08020200 for slot A"},
      {"same file for both", apps(a, a), "--app-a and --app-b are the same file"},
      {"bin for B linked for A", apps(a_bin, b_bin_linked_a),
       "app-B.bin: reset vector 0x08020209 does not point into slot B"},
      {"missing file", apps(dir_ / "nope.elf", b), "nope.elf: no such file"},
      {"directory as input", apps(dir_, b), "not a regular file"},
      {"empty elf", apps(empty, b), "empty.elf: file is empty"},
      {"empty bin", apps(a, empty_bin), "empty.bin: file is empty"},
      {"not elf nor bin", apps(text, b), "notes.txt: not an ELF file, and not a raw binary"},
      {"x86 elf", apps(a, x86_elf), "x86.elf: not an ARM ELF"},
      {"truncated elf", apps(a, trunc_elf), "trunc.elf: ELF program headers lie outside the file"},
      {"too large elf", apps(too_big_a, b), "big-A.elf: 392728 bytes do not fit slot A"},
      {"too large bin", apps(too_big_bin, b), "big-A.bin: 392705 bytes do not fit slot A"},
      {"bad stack pointer", apps(a, bad_sp),
       "badsp-B.bin: initial stack pointer 0xffffffff is not in RAM"},
      {"version two parts", ab + " --version 1.2" + out,
       "--version \"1.2\" is not a version X.Y.Z"},
      {"version suffix", ab + " --version 1.2.3-rc1" + out,
       "--version \"1.2.3-rc1\" is not a version"},
      {"version too big", ab + " --version 256.0.0" + out,
       "--version \"256.0.0\" is not a version"},
      {"bad product", ab + " --version 1.0.0 --product 'a b'" + out, "--product \"a b\" must be"},
      {"bad name", ab + " --version 1.0.0 --name ../x" + out, "--name \"../x\" must be"},
      {"bad channel", ab + " --version 1.0.0 --channel ''" + out, "--channel \"\" must be"},
      {"bad min bootloader", ab + " --version 1.0.0 --min-bootloader x" + out,
       "--min-bootloader \"x\" is not a version"},
      {"out is a file", ab + " --version 1.0.0 --out " + quote(a),
       "--out " + a.string() + ": cannot create directory"},
      {"missing --version", ab + out, "--version is required"},
      {"negative build", ab + " --version 1.0.0 --build -1" + out, "--build = -1"},
      {"missing --app-b", "--app-a " + quote(a) + " --version 1.0.0" + out, "--app-b is required"},
  };
  std::vector<std::string> first_lines;
  for (const auto& c : cases) {
    fs::remove_all(dir_ / "out");
    auto r = pack(c.args);
    EXPECT_NE(r.exit_code, 0) << c.name << ": " << r.output;
    EXPECT_NE(r.output.find(c.expected), std::string::npos)
        << c.name << ": expected \"" << c.expected << "\" in: " << r.output;
    EXPECT_FALSE(fs::exists(dir_ / "out" / "manifest.json")) << c.name << ": no partial release";
    const std::string first = r.output.substr(0, r.output.find('\n'));
    for (const auto& f : first_lines) EXPECT_NE(f, first) << c.name << ": message not distinct";
    first_lines.push_back(first);
  }
}

}  // namespace
}  // namespace fota::release
