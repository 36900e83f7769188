// SPDX-License-Identifier: Apache-2.0
// An update::Source over HTTP(S) (ports::HttpClient, libcurl): Range requests into a bounded
// read-ahead window (no full-image buffer), the ETag pinned with If-Match (a changed object is
// kChanged, never mixed bytes), retries with exponential backoff + jitter after cuts, 5xx and
// stalls, and a stop flag for SIGTERM. The object's size is checked against the release
// (Content-Length vs manifest vs slot) at the first answer. Errors name the URL and the HTTP
// status. Also the HEAD + If-None-Match check of a manifest pointer and a small GET.
#pragma once

#include <atomic>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "ports_linux/http_client.h"
#include "status/expected.h"
#include "update/source.h"

namespace fota::gateway {

struct HttpOptions {
  double connect_timeout_s = 10;
  double stall_timeout_s = 30;  // no byte for this long: the transfer is aborted and retried
  unsigned retries = 8;         // per read, after the first attempt
  double backoff_initial_s = 0.5;
  double backoff_max_s = 30;
  std::string ca_file;  // "" = the system's CA store
  // Read-ahead per Range request: a read that continues the previous window doubles the next one
  // from first_window_bytes up to window_bytes; any other read (the header, the tail read back
  // on resume) starts again at first_window_bytes. What a killed agent or a seek throws away is
  // at most one window.
  size_t first_window_bytes = 4 * 1024;
  size_t window_bytes = 16 * 1024;
  const std::atomic<bool>* stop = nullptr;  // set: give up at once (kIoError)
  uint64_t expected_size = 0;               // 0 = unknown (seed 000)
  uint32_t max_size = 384 * 1024;           // the slot size
};

class HttpSource final : public update::Source {
 public:
  HttpSource(std::string url, HttpOptions options);
  ~HttpSource();
  HttpSource(const HttpSource&) = delete;
  HttpSource& operator=(const HttpSource&) = delete;

  update::SourceStatus read(uint32_t offset, std::span<uint8_t> out, size_t& got) override;
  const char* etag() const override { return etag_.c_str(); }
  const char* last_error() const override { return error_.c_str(); }

  uint64_t size() const { return size_; }
  uint64_t bytes_downloaded() const { return downloaded_; }  // body bytes, all attempts
  unsigned retries_used() const { return retries_used_; }
  int last_http_status() const { return last_status_; }

 private:
  // kPartial: some bytes arrived, then the transfer failed (cut, stall).
  enum class Fetch { kOk, kPartial, kEnd, kChanged, kRetry, kFatal };
  Fetch fetch_window(uint64_t offset);
  bool backoff(unsigned attempt);
  bool check_size();

  std::string url_;
  HttpOptions options_;
  ports::HttpClient http_;  // keeps the connection alive between Range requests
  std::string etag_;
  std::string error_;
  uint64_t size_ = 0;
  bool size_known_ = false;
  bool size_checked_ = false;
  std::vector<uint8_t> window_;
  uint64_t window_offset_ = 0;
  size_t fetch_bytes_ = 0;  // the size of the current Range request
  uint64_t downloaded_ = 0;
  unsigned retries_used_ = 0;
  int last_status_ = 0;
  std::mt19937_64 random_;
};

struct PointerCheck {
  bool changed = false;  // false: 304 Not Modified (same ETag)
  std::string etag;
  std::string body;  // the manifest when changed
};

// HEAD `url` with If-None-Match: known_etag; when it changed, GET the body (at most max_bytes).
Expected<PointerCheck> check_pointer(const std::string& url, const std::string& known_etag,
                                     const HttpOptions& options, size_t max_bytes);

}  // namespace fota::gateway
