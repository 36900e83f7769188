// SPDX-License-Identifier: Apache-2.0
#include "ports_linux/http_client.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "format/hex.h"

namespace fota::ports {
namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(const std::string& s) {
  size_t a = 0, b = s.size();
  while (a < b && std::isspace(static_cast<unsigned char>(s[a]))) ++a;
  while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1]))) --b;
  return s.substr(a, b - a);
}

struct CurlGlobal {
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
  ~CurlGlobal() { curl_global_cleanup(); }
};

void ensure_curl_global() {
  static CurlGlobal global;
}

struct Transfer {
  const HttpRequest* request = nullptr;
  HttpResponse* response = nullptr;
  CURL* curl = nullptr;
  bool aborted_by_sink = false;
};

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  std::string line(data, n);
  if (line.rfind("HTTP/", 0) == 0) {
    t->response->headers.clear();  // a new response (after 100 Continue or a redirect)
    return n;
  }
  const size_t colon = line.find(':');
  if (colon != std::string::npos) {
    t->response->headers.emplace_back(lower(trim(line.substr(0, colon))),
                                      trim(line.substr(colon + 1)));
  }
  return n;
}

size_t on_write(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  long status = 0;
  curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
  const auto* bytes = reinterpret_cast<const uint8_t*>(data);
  if (t->request->on_body && status >= 200 && status < 300) {
    if (!t->request->on_body(std::span<const uint8_t>(bytes, n))) {
      t->aborted_by_sink = true;
      return 0;  // curl aborts with CURLE_WRITE_ERROR
    }
    return n;
  }
  t->response->body.insert(t->response->body.end(), bytes, bytes + n);
  return n;
}

int on_progress(void* user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                curl_off_t ulnow) {
  auto* t = static_cast<Transfer*>(user);
  if (t->request->on_progress) {
    if (ultotal > 0) {
      t->request->on_progress(static_cast<uint64_t>(ulnow), static_cast<uint64_t>(ultotal));
    } else if (dlnow > 0) {
      t->request->on_progress(static_cast<uint64_t>(dlnow), static_cast<uint64_t>(dltotal));
    }
  }
  return 0;
}

}  // namespace

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return "";
}

std::string HttpResponse::s3_error_code() const {
  const std::string text = body_text();
  const size_t a = text.find("<Code>");
  if (a == std::string::npos) return "";
  const size_t b = text.find("</Code>", a);
  if (b == std::string::npos) return "";
  return text.substr(a + 6, b - a - 6);
}

std::string HttpResponse::describe() const {
  const std::string code = s3_error_code();
  return std::to_string(status) + (code.empty() ? "" : " " + code);
}

struct HttpClient::Impl {
  CURL* curl = nullptr;
};

HttpClient::HttpClient() : impl_(std::make_unique<Impl>()) {
  ensure_curl_global();
  impl_->curl = curl_easy_init();
}

HttpClient::~HttpClient() {
  if (impl_->curl) curl_easy_cleanup(impl_->curl);
}

Expected<HttpResponse> HttpClient::perform(const HttpRequest& request) {
  CURL* curl = impl_->curl;
  if (!curl) return fail(request.method + " " + request.url + ": cannot initialise libcurl");
  curl_easy_reset(curl);  // keeps the connection cache
  HttpResponse response;
  Transfer t{&request, &response, curl};
  char error_text[CURL_ERROR_SIZE] = {};
  curl_slist* headers = nullptr;
  std::string userpwd, sigv4_param;

  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_text);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, request.connect_timeout_ms);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, request.timeout_ms);
  if (request.low_speed_time_s > 0) {
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, request.low_speed_time_s);
  }
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &t);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, request.on_progress ? 0L : 1L);
  if (!request.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, request.ca_file.c_str());

  if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (request.method == "PUT" || request.method == "POST") {
    // The body as POSTFIELDS (curl sends no "Expect: 100-continue" under 1 MB; an emptied
    // "Expect:" header would end up in the SigV4 signed headers and break the signature).
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
    curl_easy_setopt(
        curl, CURLOPT_POSTFIELDS,
        request.body.empty() ? "" : reinterpret_cast<const char*>(request.body.data()));
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  } else if (request.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  for (const auto& h : request.headers) headers = curl_slist_append(headers, h.c_str());
  if (!request.range.empty()) curl_easy_setopt(curl, CURLOPT_RANGE, request.range.c_str());
  if (!request.if_none_match.empty()) {
    headers = curl_slist_append(headers, ("If-None-Match: " + request.if_none_match).c_str());
  }
  if (request.sigv4) {
    const SigV4& s = *request.sigv4;
    // S3 (and the test server) require the payload hash header on signed requests.
    headers =
        curl_slist_append(headers, ("x-amz-content-sha256: " + sha256_hex(request.body)).c_str());
    if (!s.credentials.session_token.empty()) {
      headers = curl_slist_append(headers,
                                  ("x-amz-security-token: " + s.credentials.session_token).c_str());
    }
    sigv4_param = "aws:amz:" + s.region + ":" + s.service;
    userpwd = s.credentials.access_key_id + ":" + s.credentials.secret_access_key;
    curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, sigv4_param.c_str());
    curl_easy_setopt(curl, CURLOPT_USERPWD, userpwd.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);

  const CURLcode rc = curl_easy_perform(curl);
  curl_slist_free_all(headers);
  if (!userpwd.empty()) sodium_memzero(userpwd.data(), userpwd.size());
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  curl_easy_getinfo(curl, CURLINFO_TOTAL_TIME, &response.seconds);
  if (rc != CURLE_OK) {
    if (t.aborted_by_sink)
      return fail(request.method + " " + request.url + ": aborted by the receiver");
    std::string why = error_text[0] ? error_text : curl_easy_strerror(rc);
    return fail(request.method + " " + request.url + ": " + why);
  }
  return response;
}

std::string sha256_hex(std::span<const uint8_t> data) {
  static const bool sodium_ready = sodium_init() >= 0;
  (void)sodium_ready;
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, data.data(), data.size());
  return to_hex(digest);
}

std::string md5_hex(std::span<const uint8_t> data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_md5(), nullptr);
  return to_hex(std::span<const uint8_t>(digest, len));
}

std::string uri_encode(std::string_view text, bool keep_slash) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
        (keep_slash && c == '/')) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kDigits[c >> 4]);
      out.push_back(kDigits[c & 15]);
    }
  }
  return out;
}

Expected<AwsCredentials> load_aws_credentials(const std::string& profile_in) {
  AwsCredentials c;
  const char* id = std::getenv("AWS_ACCESS_KEY_ID");
  const char* secret = std::getenv("AWS_SECRET_ACCESS_KEY");
  if (id && *id && secret && *secret && profile_in.empty()) {
    c.access_key_id = id;
    c.secret_access_key = secret;
    if (const char* token = std::getenv("AWS_SESSION_TOKEN")) c.session_token = token;
    return c;
  }
  std::string profile = profile_in;
  if (profile.empty()) {
    const char* env = std::getenv("AWS_PROFILE");
    profile = env && *env ? env : "default";
  }
  std::string path;
  if (const char* f = std::getenv("AWS_SHARED_CREDENTIALS_FILE"); f && *f) {
    path = f;
  } else if (const char* home = std::getenv("HOME"); home && *home) {
    path = std::string(home) + "/.aws/credentials";
  }
  std::ifstream in(path);
  if (path.empty() || !in) {
    return fail("no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or write " +
                (path.empty() ? std::string("~/.aws/credentials") : path) + " (profile " + profile +
                ")");
  }
  std::string line, section;
  bool found = false;
  while (std::getline(in, line)) {
    line = trim(line);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      section = trim(line.substr(1, line.size() - 2));
      if (section.rfind("profile ", 0) == 0) section = trim(section.substr(8));
      found = found || section == profile;
      continue;
    }
    if (section != profile) continue;
    const size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = lower(trim(line.substr(0, eq)));
    const std::string value = trim(line.substr(eq + 1));
    if (key == "aws_access_key_id") c.access_key_id = value;
    if (key == "aws_secret_access_key") c.secret_access_key = value;
    if (key == "aws_session_token") c.session_token = value;
  }
  if (!found) return fail(path + ": no profile [" + profile + "]");
  if (c.access_key_id.empty() || c.secret_access_key.empty()) {
    return fail(path + ": profile [" + profile +
                "] lacks aws_access_key_id or aws_secret_access_key");
  }
  return c;
}

}  // namespace fota::ports
