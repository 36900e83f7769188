// SPDX-License-Identifier: Apache-2.0
// HttpSource's read-ahead against a real nginx (tests/lib/with_servers.sh --nginx): a sequential
// read downloads each byte once while its Range windows grow, and a read elsewhere (the header,
// the tail read back on resume) costs one small window, not a full one.
#include "gateway/http_source.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace fota::gateway {
namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

class HttpSourceWindow : public ::testing::Test {
 protected:
  void SetUp() override {
    if (env("NGINX_URL").empty() || env("NGINX_ROOT").empty()) {
      GTEST_FAIL() << "run through tests/lib/with_servers.sh --nginx (NGINX_URL/NGINX_ROOT unset)";
    }
    image_.resize(kImageBytes);
    for (size_t i = 0; i < image_.size(); ++i) image_[i] = static_cast<uint8_t>(i * 7 + i / 251);
    std::ofstream(env("NGINX_ROOT") + "/image.img", std::ios::binary)
        .write(reinterpret_cast<const char*>(image_.data()), static_cast<long>(image_.size()));
    options_.max_size = kImageBytes;
    options_.retries = 0;
  }

  // Reads [offset, offset + n) in 256-byte pieces (the ROM path's write size) and checks them.
  void read_range(HttpSource& source, uint32_t offset, size_t n) {
    std::vector<uint8_t> piece(256);
    for (size_t done = 0; done < n; done += piece.size()) {
      size_t got = 0;
      ASSERT_EQ(source.read(offset + done, piece, got), update::SourceStatus::kOk)
          << source.last_error();
      ASSERT_EQ(got, piece.size());
      ASSERT_TRUE(std::equal(piece.begin(), piece.end(), image_.begin() + offset + done))
          << "at " << offset + done;
    }
  }

  static constexpr size_t kImageBytes = 100 * 1024;
  std::vector<uint8_t> image_;
  HttpOptions options_;
};

TEST_F(HttpSourceWindow, SequentialReadDownloadsEachByteOnce) {
  HttpSource source(env("NGINX_URL") + "/image.img", options_);
  read_range(source, 0, kImageBytes);
  EXPECT_EQ(source.bytes_downloaded(), kImageBytes);
  EXPECT_EQ(source.size(), kImageBytes);
}

TEST_F(HttpSourceWindow, AReadElsewhereCostsOneFirstWindow) {
  HttpSource source(env("NGINX_URL") + "/image.img", options_);
  // A resume: the header, then the tail before the resume point, then on to the end.
  read_range(source, 0, 512);
  EXPECT_EQ(source.bytes_downloaded(), options_.first_window_bytes);
  const uint32_t tail = 60 * 1024;
  read_range(source, tail, 256);
  EXPECT_EQ(source.bytes_downloaded(), 2 * options_.first_window_bytes);
  read_range(source, tail + 256, kImageBytes - tail - 256);
  EXPECT_EQ(source.bytes_downloaded(), options_.first_window_bytes + (kImageBytes - tail));
}

TEST_F(HttpSourceWindow, WindowsGrowUpToTheirLimit) {
  // Windows of 4, 8, 16, 16, ... KB: after 4 + 8 + 16 KB have been read, what was downloaded
  // beyond the read bytes is never more than one full window.
  HttpSource source(env("NGINX_URL") + "/image.img", options_);
  size_t read = 0;
  for (const size_t step : {size_t{4096}, size_t{8192}, size_t{16384}, size_t{16384}}) {
    read_range(source, static_cast<uint32_t>(read), 256);
    EXPECT_EQ(source.bytes_downloaded(), read + step) << "window at " << read;
    read_range(source, static_cast<uint32_t>(read + 256), step - 256);
    read += step;
  }
}

}  // namespace
}  // namespace fota::gateway
