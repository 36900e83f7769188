// SPDX-License-Identifier: Apache-2.0
#include "gateway/http_source.h"

#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <mutex>
#include <thread>

#include "agent/policy.h"

namespace fota::gateway {
namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

CURL* handle(void* p) {
  return static_cast<CURL*>(p);
}

// Collects one response: body into `body` (after skipping `skip` bytes, up to `limit`), and the
// headers the source needs.
struct Response {
  std::vector<uint8_t>* body = nullptr;
  size_t limit = 0;
  uint64_t received = 0;
  std::string etag;
  std::string content_range;
  const std::atomic<bool>* stop = nullptr;
  bool overflow = false;
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* r = static_cast<Response*>(user);
  const size_t n = size * count;
  r->received += n;
  if (r->body == nullptr) return n;
  const size_t room = r->limit - std::min(r->limit, r->body->size());
  const size_t take = std::min(room, n);
  r->body->insert(r->body->end(), data, data + take);
  if (take < n) {
    r->overflow = true;
    return r->body->size() >= r->limit ? 0 : n;  // enough: stop the transfer
  }
  return n;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == '\n' || s.back() == ' ')) s.pop_back();
  size_t start = 0;
  while (start < s.size() && s[start] == ' ') ++start;
  return s.substr(start);
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* r = static_cast<Response*>(user);
  const size_t n = size * count;
  const std::string line(data, n);
  const size_t colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (name == "etag") r->etag = trim(line.substr(colon + 1));
    if (name == "content-range") r->content_range = trim(line.substr(colon + 1));
  } else if (line.rfind("HTTP/", 0) == 0) {
    r->etag.clear();  // a new response (after a redirect): forget the previous one's headers
    r->content_range.clear();
  }
  return n;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* r = static_cast<Response*>(user);
  return r->stop != nullptr && r->stop->load() ? 1 : 0;
}

void common_options(CURL* curl, const std::string& url, const HttpOptions& o, Response& r) {
  curl_easy_reset(curl);
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION,
                   0L);  // a redirect could leave the allowed prefixes
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(o.connect_timeout_s * 1000));
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME,
                   std::max(1L, static_cast<long>(std::lround(o.stall_timeout_s))));
  if (!o.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, o.ca_file.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &r);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &r);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &r);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "fota-agent/0.1");
}

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

}  // namespace

HttpSource::HttpSource(std::string url, HttpOptions options)
    : url_(std::move(url)), options_(std::move(options)), random_(std::random_device{}()) {
  global_init();
  curl_ = curl_easy_init();
}

HttpSource::~HttpSource() {
  if (curl_ != nullptr) curl_easy_cleanup(handle(curl_));
}

bool HttpSource::backoff(unsigned attempt) {
  // Full jitter: uniformly in [base/2, base], base doubling up to the maximum.
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
  if (curl_ == nullptr) {
    error_ = "GET " + url_ + ": libcurl could not be initialised";
    return Fetch::kFatal;
  }
  CURL* curl = handle(curl_);
  window_.clear();
  window_offset_ = offset;
  Response r;
  r.body = &window_;
  r.limit = options_.window_bytes;
  r.stop = options_.stop;
  common_options(curl, url_, options_, r);
  const std::string range =
      std::to_string(offset) + "-" + std::to_string(offset + options_.window_bytes - 1);
  curl_easy_setopt(curl, CURLOPT_RANGE, range.c_str());
  curl_slist* headers = nullptr;
  if (!etag_.empty()) {
    const std::string if_match = "If-Match: " + etag_;
    headers = curl_slist_append(headers, if_match.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  }
  const CURLcode code = curl_easy_perform(curl);
  if (headers != nullptr) curl_slist_free_all(headers);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  last_status_ = static_cast<int>(status);
  downloaded_ += r.received;
  if (options_.stop != nullptr && options_.stop->load()) {
    error_ = "GET " + url_ + ": stopped (the agent is shutting down)";
    return Fetch::kFatal;
  }
  const bool stopped_on_purpose = code == CURLE_WRITE_ERROR && r.overflow;
  if (code != CURLE_OK && !stopped_on_purpose) {
    // A cut or a stall: keep what arrived; the next attempt continues after it.
    error_ = "GET " + url_ + " (bytes " + range + "): " + curl_easy_strerror(code);
    return window_.empty() ? Fetch::kRetry : Fetch::kOk;
  }
  if (status == 412 || (!etag_.empty() && !r.etag.empty() && r.etag != etag_)) {
    error_ = "GET " + url_ + ": the object changed during the download (ETag " + etag_ + " -> " +
             (r.etag.empty() ? "?" : r.etag) + ")";
    return Fetch::kChanged;
  }
  if (status == 416) {
    uint64_t total = 0;
    if (parse_total(r.content_range, total)) {
      size_ = total;
      size_known_ = true;
    }
    return Fetch::kEnd;
  }
  if (status != 200 && status != 206) {
    error_ = "GET " + url_ + ": HTTP " + std::to_string(status);
    window_.clear();
    return retryable(status) ? Fetch::kRetry : Fetch::kFatal;
  }
  if (etag_.empty()) etag_ = r.etag;
  uint64_t total = 0;
  if (status == 206 && parse_total(r.content_range, total)) {
    size_ = total;
  } else if (status == 200) {
    // The server ignored Range: the body is the whole object from byte 0.
    double length = -1;
    curl_easy_getinfo(curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD, &length);
    if (length >= 0) size_ = static_cast<uint64_t>(length);
    if (offset > 0) {
      error_ = "GET " + url_ + ": the server ignores Range requests";
      return Fetch::kFatal;
    }
  } else {
    error_ = "GET " + url_ + ": 206 without a usable Content-Range";
    return Fetch::kFatal;
  }
  size_known_ = true;
  return Fetch::kOk;
}

Expected<void> HttpSource::open() {
  unsigned attempt = 0;
  for (;;) {
    const Fetch f = fetch_window(0);
    if (f == Fetch::kOk || f == Fetch::kEnd) break;
    if (f == Fetch::kFatal || f == Fetch::kChanged || attempt >= options_.retries ||
        !backoff(attempt)) {
      return fail(error_);
    }
    ++attempt;
    ++retries_used_;
  }
  if (!size_known_) return fail("GET " + url_ + ": the server did not say the object's size");
  const auto verdict = agent::check_content_length(
      size_, static_cast<uint32_t>(options_.expected_size), options_.max_size);
  if (verdict != agent::PolicyError::kOk) {
    error_ = "GET " + url_ + ": " + agent::to_string(verdict) + " (" + std::to_string(size_) +
             " bytes; release says " +
             (options_.expected_size ? std::to_string(options_.expected_size) : "nothing") +
             ", slot holds " + std::to_string(options_.max_size) + ")";
    return fail(error_);
  }
  return {};
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
      attempt = 0;
      continue;
    }
    // Keep the part of the window that is still ahead: a cut mid-window re-fetches only the
    // missing bytes.
    const Fetch f = fetch_window(at);
    if (f == Fetch::kOk) continue;
    if (f == Fetch::kEnd) return update::SourceStatus::kEnd;
    if (f == Fetch::kChanged) return update::SourceStatus::kChanged;
    if (f == Fetch::kFatal || attempt >= options_.retries || !backoff(attempt)) {
      return update::SourceStatus::kIoError;
    }
    ++attempt;
    ++retries_used_;
  }
  return update::SourceStatus::kOk;
}

Expected<PointerCheck> check_pointer(const std::string& url, const std::string& known_etag,
                                     const HttpOptions& options, size_t max_bytes) {
  global_init();
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return fail("HEAD " + url + ": libcurl could not be initialised");
  PointerCheck result;
  auto perform = [&](bool head, std::vector<uint8_t>* body) -> Expected<long> {
    Response r;
    r.body = body;
    r.limit = max_bytes + 1;
    r.stop = options.stop;
    common_options(curl, url, options, r);
    if (head) curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    curl_slist* headers = nullptr;
    if (!known_etag.empty()) {
      const std::string h = "If-None-Match: " + known_etag;
      headers = curl_slist_append(headers, h.c_str());
      curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    }
    const CURLcode code = curl_easy_perform(curl);
    if (headers != nullptr) curl_slist_free_all(headers);
    const char* method = head ? "HEAD " : "GET ";
    if (code != CURLE_OK && !(code == CURLE_WRITE_ERROR && r.overflow)) {
      return fail(method + url + ": " + curl_easy_strerror(code));
    }
    if (r.overflow) {
      return fail(method + url + ": larger than " + std::to_string(max_bytes) + " bytes");
    }
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    result.etag = r.etag;
    if (status != 200 && status != 304)
      return fail(method + url + ": HTTP " + std::to_string(status));
    return status;
  };
  auto head = perform(true, nullptr);
  if (!head) {
    curl_easy_cleanup(curl);
    return head.failure();
  }
  if (*head == 304 || (!known_etag.empty() && result.etag == known_etag)) {
    curl_easy_cleanup(curl);
    result.etag = known_etag;
    return result;
  }
  std::vector<uint8_t> body;
  auto get = perform(false, &body);
  curl_easy_cleanup(curl);
  if (!get) return get.failure();
  if (*get == 304) {
    result.etag = known_etag;
    return result;
  }
  result.changed = true;
  result.body.assign(body.begin(), body.end());
  return result;
}

}  // namespace fota::gateway
