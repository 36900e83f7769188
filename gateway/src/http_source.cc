// SPDX-License-Identifier: Apache-2.0
#include "gateway/http_source.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <thread>

#include "agent/device_loop.h"
#include "agent/policy.h"

namespace fota::gateway {
namespace {

// "bytes A-B/TOTAL" -> TOTAL; "bytes */TOTAL" (416) too.
bool parse_total(const std::string& content_range, uint64_t& total) {
  const size_t slash = content_range.rfind('/');
  if (slash == std::string::npos || slash + 1 >= content_range.size()) return false;
  const std::string digits = content_range.substr(slash + 1);
  if (digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 15) {
    return false;
  }
  total = std::stoull(digits);
  return true;
}

// 408, 425, 429 and 5xx are worth retrying; other 4xx are answers.
bool retryable(long status) {
  return status == 408 || status == 425 || status == 429 || status >= 500;
}

ports::HttpRequest base_request(const std::string& method, const std::string& url,
                                const HttpOptions& o) {
  ports::HttpRequest request;
  request.method = method;
  request.url = url;
  request.connect_timeout_ms = static_cast<long>(o.connect_timeout_s * 1000);
  request.timeout_ms = 30L * 60 * 1000;  // stalls are caught by low_speed_time_s, not this
  request.low_speed_time_s = std::max(1L, std::lround(o.stall_timeout_s));
  request.ca_file = o.ca_file;
  return request;
}

}  // namespace

HttpSource::HttpSource(std::string url, HttpOptions options)
    : url_(std::move(url)), options_(std::move(options)), random_(std::random_device{}()) {}

HttpSource::~HttpSource() = default;

bool HttpSource::backoff(unsigned attempt) {
  // Jitter: uniformly in [base/2, base], base doubling up to the maximum.
  const double base = std::min(options_.backoff_max_s,
                               options_.backoff_initial_s * std::pow(2.0, std::min(attempt, 30u)));
  std::uniform_real_distribution<double> pick(base / 2, base);
  const auto until =
      std::chrono::steady_clock::now() + std::chrono::duration<double>(pick(random_));
  while (std::chrono::steady_clock::now() < until) {
    if (options_.stop != nullptr && options_.stop->load()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

HttpSource::Fetch HttpSource::fetch_window(uint64_t offset) {
  const bool continues = !window_.empty() && offset == window_offset_ + window_.size();
  const size_t first =
      std::max<size_t>(1, std::min(options_.first_window_bytes, options_.window_bytes));
  fetch_bytes_ = continues ? std::min(fetch_bytes_ * 2, options_.window_bytes) : first;
  window_.clear();
  window_offset_ = offset;
  ports::HttpRequest request = base_request("GET", url_, options_);
  request.range = std::to_string(offset) + "-" + std::to_string(offset + fetch_bytes_ - 1);
  if (!etag_.empty()) request.headers.push_back("If-Match: " + etag_);
  const std::atomic<bool>* stop = options_.stop;
  request.on_body = [this, stop](std::span<const uint8_t> piece) {
    downloaded_ += piece.size();
    const size_t take =
        std::min(piece.size(), fetch_bytes_ - std::min(fetch_bytes_, window_.size()));
    window_.insert(window_.end(), piece.begin(), piece.begin() + static_cast<long>(take));
    return !(stop != nullptr && stop->load());
  };
  auto response = http_.perform(request);
  if (options_.stop != nullptr && options_.stop->load()) {
    error_ = "GET " + url_ + ": stopped (the agent is shutting down)";
    return Fetch::kFatal;
  }
  if (!response) {
    // A cut or a stall: keep what arrived; the next read continues after it.
    error_ = response.error();
    return window_.empty() ? Fetch::kRetry : Fetch::kPartial;
  }
  const long status = response->status;
  last_status_ = static_cast<int>(status);
  const std::string etag = response->etag();
  if (status == 412 || (!etag_.empty() && !etag.empty() && etag != etag_)) {
    error_ = "GET " + url_ + ": the object changed during the download (ETag " + etag_ + " -> " +
             (etag.empty() ? "?" : etag) + ")";
    window_.clear();
    return Fetch::kChanged;
  }
  if (status == 416) {
    uint64_t total = 0;
    window_.clear();
    if (parse_total(response->header("content-range"), total)) {
      size_ = total;
      size_known_ = true;
      if (!check_size()) return Fetch::kFatal;
    }
    return Fetch::kEnd;
  }
  if (status != 200 && status != 206) {
    error_ = "GET " + url_ + ": HTTP " + response->describe();
    window_.clear();
    return retryable(status) ? Fetch::kRetry : Fetch::kFatal;
  }
  if (etag_.empty()) etag_ = etag;
  uint64_t total = 0;
  const std::string content_range = response->header("content-range");
  if (status == 206 && parse_total(content_range, total)) {
    // The answer must start where we asked: anything else would put bytes at the wrong offset.
    if (content_range.rfind("bytes " + std::to_string(offset) + "-", 0) != 0) {
      error_ = "GET " + url_ + ": asked for bytes " + request.range + ", got " + content_range;
      window_.clear();
      return Fetch::kFatal;
    }
    size_ = total;
  } else if (status == 200 && offset == 0) {
    // The server ignored Range: the body is the whole object (cut to the window).
    const std::string length = response->header("content-length");
    if (length.empty() || length.find_first_not_of("0123456789") != std::string::npos ||
        length.size() > 15) {
      error_ = "GET " + url_ + ": no usable Content-Length";
      return Fetch::kFatal;
    }
    size_ = std::stoull(length);
  } else {
    error_ = "GET " + url_ +
             (status == 200 ? ": the server ignores Range requests"
                            : ": 206 without a usable Content-Range");
    window_.clear();
    return Fetch::kFatal;
  }
  size_known_ = true;
  return check_size() ? Fetch::kOk : Fetch::kFatal;
}

// The object's size against the release, as soon as the server said it: Content-Length vs the
// manifest's size vs the slot.
bool HttpSource::check_size() {
  if (size_checked_) return true;
  size_checked_ = true;
  const auto verdict = agent::check_content_length(
      size_, static_cast<uint32_t>(options_.expected_size), options_.max_size);
  if (verdict == agent::PolicyError::kOk) return true;
  error_ = "GET " + url_ + ": " + agent::to_string(verdict) + " (" + std::to_string(size_) +
           " bytes; the release says " +
           (options_.expected_size ? std::to_string(options_.expected_size) : "nothing") +
           ", a slot holds " + std::to_string(options_.max_size) + ")";
  window_.clear();
  return false;
}

update::SourceStatus HttpSource::read(uint32_t offset, std::span<uint8_t> out, size_t& got) {
  got = 0;
  unsigned attempt = 0;
  while (got < out.size()) {
    const uint64_t at = uint64_t{offset} + got;
    if (size_known_ && at >= size_) return update::SourceStatus::kEnd;
    if (at >= window_offset_ && at < window_offset_ + window_.size()) {
      const size_t from = static_cast<size_t>(at - window_offset_);
      const size_t n = std::min(out.size() - got, window_.size() - from);
      std::memcpy(out.data() + got, window_.data() + from, n);
      got += n;
      continue;
    }
    // Keep the part of the window that is still ahead: a cut mid-window re-fetches only the
    // missing bytes.
    const Fetch f = fetch_window(at);
    if (f == Fetch::kOk) continue;
    if (f == Fetch::kEnd) return update::SourceStatus::kEnd;
    if (f == Fetch::kChanged) return update::SourceStatus::kChanged;
    // A cut or stall after some bytes counts as a failed attempt too (a server that drips a few
    // bytes per connection must not hold the update forever), but needs no backoff: the data
    // flowed.
    if (f == Fetch::kPartial && attempt < options_.retries) {
      ++attempt;
      ++retries_used_;
      continue;
    }
    if (f != Fetch::kRetry || attempt >= options_.retries || !backoff(attempt)) {
      return update::SourceStatus::kIoError;
    }
    ++attempt;
    ++retries_used_;
  }
  return update::SourceStatus::kOk;
}

Expected<PointerCheck> check_pointer(const std::string& url, const std::string& known_etag,
                                     const HttpOptions& options, size_t max_bytes) {
  ports::HttpClient http;
  PointerCheck result;
  ports::HttpRequest head = base_request("HEAD", url, options);
  head.if_none_match = known_etag;
  auto answer = http.perform(head);
  if (!answer) return fail("HEAD " + url + ": " + answer.error());
  switch (agent::pointer_status(static_cast<int>(answer->status), answer->etag(), known_etag)) {
    case agent::PollStatus::kUnchanged: result.etag = known_etag; return result;
    case agent::PollStatus::kFailed: return fail("HEAD " + url + ": HTTP " + answer->describe());
    case agent::PollStatus::kChanged: break;
  }
  ports::HttpRequest get = base_request("GET", url, options);
  size_t received = 0;
  get.on_body = [&](std::span<const uint8_t> piece) {
    received += piece.size();
    if (received > max_bytes) return false;
    result.body.append(reinterpret_cast<const char*>(piece.data()), piece.size());
    return true;
  };
  answer = http.perform(get);
  if (received > max_bytes) {
    return fail("GET " + url + ": larger than " + std::to_string(max_bytes) + " bytes");
  }
  if (!answer) return fail("GET " + url + ": " + answer.error());
  if (answer->status != 200) return fail("GET " + url + ": HTTP " + answer->describe());
  result.changed = true;
  result.etag = answer->etag();
  return result;
}

}  // namespace fota::gateway
