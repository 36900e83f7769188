// SPDX-License-Identifier: Apache-2.0
// The engine's Linux ports: the progress file (atomic, torn and foreign files refused, missing
// = empty), file and memory sources, and the libsodium verifier against real ed25519 keys.
#include <gtest/gtest.h>
#include <sodium.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "ports_linux/file_progress_store.h"
#include "ports_linux/sodium_verifier.h"
#include "ports_linux/update_source.h"

namespace fota::ports {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/update_ports_XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path_); }
  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

update::Progress sample() {
  update::Progress p;
  p.release[0] = 0xAB;
  p.etag[0] = 'x';
  p.slot = flash_map::Slot::kB;
  p.phase = update::ProgressPhase::kWriting;
  p.image_size = 4096;
  p.bytes_written = 512 + 256 * 4;
  p.sha256.length_bytes = 256 * 4;
  return p;
}

TEST(FileProgressStore, SavesLoadsAndClears) {
  TempDir dir;
  FileProgressStore store(dir / "progress.bin");
  update::Progress p;
  EXPECT_EQ(store.load(p), update::StoreStatus::kEmpty);
  ASSERT_EQ(store.save(sample()), update::StoreStatus::kOk);
  EXPECT_FALSE(fs::exists(dir / "progress.bin.tmp"));
  ASSERT_EQ(store.load(p), update::StoreStatus::kOk);
  EXPECT_EQ(p.bytes_written, sample().bytes_written);
  EXPECT_EQ(p.release[0], 0xAB);
  EXPECT_EQ(store.clear(), update::StoreStatus::kOk);
  EXPECT_EQ(store.load(p), update::StoreStatus::kEmpty);
  EXPECT_EQ(store.clear(), update::StoreStatus::kOk);  // nothing to clear is fine
}

TEST(FileProgressStore, TornOrForeignFilesAreCorruptNotFatal) {
  TempDir dir;
  FileProgressStore store(dir / "progress.bin");
  ASSERT_EQ(store.save(sample()), update::StoreStatus::kOk);
  fs::resize_file(dir / "progress.bin", 100);
  update::Progress p;
  EXPECT_EQ(store.load(p), update::StoreStatus::kCorrupt);
  EXPECT_NE(store.last_error().find("100 bytes"), std::string::npos) << store.last_error();
  {
    std::ofstream out(dir / "progress.bin", std::ios::binary | std::ios::trunc);
    out << std::string(update::kProgressSize, 'z');
  }
  EXPECT_EQ(store.load(p), update::StoreStatus::kCorrupt);
  EXPECT_NE(store.last_error().find("not a progress record"), std::string::npos);
  // A save replaces it.
  ASSERT_EQ(store.save(sample()), update::StoreStatus::kOk);
  EXPECT_EQ(store.load(p), update::StoreStatus::kOk);
}

TEST(FileProgressStore, ReportsAnUnwritableDirectory) {
  FileProgressStore store("/nonexistent-dir/progress.bin");
  EXPECT_EQ(store.save(sample()), update::StoreStatus::kIoError);
  EXPECT_NE(store.last_error().find("/nonexistent-dir/progress.bin"), std::string::npos);
}

TEST(FileSource, ReadsAtOffsetsAndReportsTheEnd) {
  TempDir dir;
  {
    std::ofstream out(dir / "image.bin", std::ios::binary);
    for (int i = 0; i < 1000; ++i) out.put(static_cast<char>(i));
  }
  auto source = FileSource::open(dir / "image.bin");
  ASSERT_TRUE(source.ok()) << source.error();
  uint8_t buf[16];
  size_t got = 0;
  EXPECT_EQ((*source)->read(256, buf, got), update::SourceStatus::kOk);
  EXPECT_EQ(got, 16u);
  EXPECT_EQ(buf[0], 0);  // 256 % 256
  EXPECT_EQ((*source)->read(990, buf, got), update::SourceStatus::kEnd);
  EXPECT_EQ(got, 10u);
  EXPECT_EQ((*source)->read(1000, buf, got), update::SourceStatus::kEnd);
  EXPECT_EQ(got, 0u);
  EXPECT_NE(std::string((*source)->etag()).find("1000-"), std::string::npos);
  EXPECT_FALSE(FileSource::open(dir / "missing.bin").ok());
  const auto directory = FileSource::open(dir / ".");
  ASSERT_FALSE(directory.ok());
  EXPECT_NE(directory.error().find("is a directory"), std::string::npos);
}

TEST(MemorySource, ReadsAndEnds) {
  const std::vector<uint8_t> bytes = {1, 2, 3, 4, 5};
  MemorySource source(bytes, "tag");
  uint8_t buf[4];
  size_t got = 0;
  EXPECT_EQ(source.read(0, buf, got), update::SourceStatus::kOk);
  EXPECT_EQ(source.read(3, buf, got), update::SourceStatus::kEnd);
  EXPECT_EQ(got, 2u);
  EXPECT_STREQ(source.etag(), "tag");
}

TEST(SodiumVerifier, VerifiesByKeyId) {
  ASSERT_GE(sodium_init(), 0);
  std::array<uint8_t, crypto_sign_PUBLICKEYBYTES> pk{};
  std::array<uint8_t, crypto_sign_SECRETKEYBYTES> sk{};
  crypto_sign_keypair(pk.data(), sk.data());
  std::array<uint8_t, kSignedSize> message{};
  for (size_t i = 0; i < message.size(); ++i) message[i] = static_cast<uint8_t>(i);
  std::array<uint8_t, kSignatureSize> sig{};
  crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(), sk.data());

  SodiumVerifier verifier;
  const auto id = update::key_id_of(pk);
  EXPECT_EQ(verifier.verify(id, message, sig), update::SignatureStatus::kUnknownKey);
  verifier.add_key(pk);
  EXPECT_EQ(verifier.verify(id, message, sig), update::SignatureStatus::kOk);
  message[3] ^= 1;
  EXPECT_EQ(verifier.verify(id, message, sig), update::SignatureStatus::kBadSignature);
}

TEST(SodiumVerifier, ReadsKeyFiles) {
  TempDir dir;
  {
    std::ofstream out(dir / "k.pub");
    out << "fota-ed25519-public " << std::string(64, 'a') << " 0011223344556677\n";
  }
  {
    std::ofstream out(dir / "bad.pub");
    out << "fota-ed25519-public zz" << std::string(62, 'a') << "\n";
  }
  SodiumVerifier verifier;
  EXPECT_TRUE(verifier.add_key_file(dir / "k.pub").ok());
  EXPECT_EQ(verifier.key_count(), 1u);
  const auto bad = verifier.add_key_file(dir / "bad.pub");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().find("non-hex"), std::string::npos);
  EXPECT_FALSE(verifier.add_key_file(dir / "none.pub").ok());
}

}  // namespace
}  // namespace fota::ports
