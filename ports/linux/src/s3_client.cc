// SPDX-License-Identifier: Apache-2.0
#include "ports_linux/s3_client.h"

#include <sodium.h>

#include <cstdio>

#include "format/hex.h"

namespace fota::ports {
namespace {

struct UrlParts {
  std::string scheme;  // "http" / "https"
  std::string host;    // with ":port" when given
  std::string path;    // "" or "/base" (no trailing '/')
};

UrlParts split_endpoint(std::string endpoint) {
  UrlParts p;
  const size_t scheme_end = endpoint.find("://");
  if (scheme_end == std::string::npos) {
    p.scheme = "https";
  } else {
    p.scheme = endpoint.substr(0, scheme_end);
    endpoint = endpoint.substr(scheme_end + 3);
  }
  const size_t slash = endpoint.find('/');
  p.host = endpoint.substr(0, slash);
  if (slash != std::string::npos) p.path = endpoint.substr(slash);
  while (!p.path.empty() && p.path.back() == '/') p.path.pop_back();
  return p;
}

using Mac = std::array<uint8_t, crypto_auth_hmacsha256_BYTES>;

Mac hmac(std::span<const uint8_t> key, std::string_view message) {
  Mac out;
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, key.data(), key.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const uint8_t*>(message.data()),
                                message.size());
  crypto_auth_hmacsha256_final(&st, out.data());
  return out;
}

std::span<const uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

bool looks_like_md5_etag(const std::string& etag) {
  if (etag.size() != 34 || etag.front() != '"' || etag.back() != '"') return false;
  for (size_t i = 1; i < 33; ++i) {
    if (!std::isxdigit(static_cast<unsigned char>(etag[i]))) return false;
  }
  return true;
}

}  // namespace

S3Client::S3Client(S3Config config) : config_(std::move(config)) {
  sigv4_.credentials = config_.credentials;
  sigv4_.region = config_.region;
  sigv4_.service = "s3";
}

std::string S3Client::object_url(const std::string& key) const {
  const UrlParts p = split_endpoint(config_.endpoint);
  const std::string encoded_key = uri_encode(key, true);
  if (config_.path_style) {
    return p.scheme + "://" + p.host + p.path + "/" + config_.bucket + "/" + encoded_key;
  }
  return p.scheme + "://" + config_.bucket + "." + p.host + p.path + "/" + encoded_key;
}

Expected<HttpResponse> S3Client::send(HttpRequest request) {
  request.sigv4 = &sigv4_;
  request.ca_file = config_.ca_file;
  request.connect_timeout_ms = config_.connect_timeout_ms;
  request.timeout_ms = config_.timeout_ms;
  return http_.perform(request);
}

Expected<S3PutResult> S3Client::put_object(const std::string& key, std::span<const uint8_t> body,
                                           const std::string& content_type,
                                           std::function<void(uint64_t, uint64_t)> on_progress) {
  HttpRequest r;
  r.method = "PUT";
  r.url = object_url(key);
  r.body = body;
  r.headers.push_back("Content-Type: " + content_type);
  r.on_progress = std::move(on_progress);
  auto response = send(std::move(r));
  if (!response) return fail("PUT " + key + ": " + response.error());
  if (!response->ok()) return fail("PUT " + key + ": " + response->describe());
  S3PutResult result;
  result.etag = response->etag();
  result.seconds = response->seconds;
  if (looks_like_md5_etag(result.etag)) {
    const std::string md5 = md5_hex(body);
    std::string got = result.etag.substr(1, 32);
    for (char& c : got) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (got != md5) {
      return fail("PUT " + key + ": the server's ETag " + result.etag +
                  " is not the MD5 of what was sent (" + md5 + "): the object is damaged");
    }
  }
  return result;
}

Expected<HttpResponse> S3Client::get_object(const std::string& key, const std::string& range) {
  HttpRequest r;
  r.url = object_url(key);
  r.range = range;
  return send(std::move(r));
}

Expected<HttpResponse> S3Client::head_object(const std::string& key,
                                             const std::string& if_none_match) {
  HttpRequest r;
  r.method = "HEAD";
  r.url = object_url(key);
  r.if_none_match = if_none_match;
  return send(std::move(r));
}

Expected<HttpResponse> S3Client::delete_object(const std::string& key) {
  HttpRequest r;
  r.method = "DELETE";
  r.url = object_url(key);
  return send(std::move(r));
}

std::string S3Client::presign_get(const std::string& key, uint32_t expires_s,
                                  std::time_t now) const {
  static const bool sodium_ready = sodium_init() >= 0;
  (void)sodium_ready;
  const UrlParts p = split_endpoint(config_.endpoint);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char date[16], stamp[32];
  std::strftime(date, sizeof(date), "%Y%m%d", &tm);
  std::strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
  const std::string host = config_.path_style ? p.host : config_.bucket + "." + p.host;
  const std::string path = config_.path_style
                               ? p.path + "/" + config_.bucket + "/" + uri_encode(key, true)
                               : p.path + "/" + uri_encode(key, true);
  const std::string scope = std::string(date) + "/" + config_.region + "/s3/aws4_request";
  // Query parameters in byte order of their encoded names (SigV4's canonical query string).
  std::string query = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" +
                      uri_encode(config_.credentials.access_key_id + "/" + scope, false) +
                      "&X-Amz-Date=" + stamp + "&X-Amz-Expires=" + std::to_string(expires_s);
  if (!config_.credentials.session_token.empty()) {
    query += "&X-Amz-Security-Token=" + uri_encode(config_.credentials.session_token, false);
  }
  query += "&X-Amz-SignedHeaders=host";
  const std::string canonical_request =
      "GET\n" + path + "\n" + query + "\nhost:" + host + "\n\nhost\nUNSIGNED-PAYLOAD";
  const std::string string_to_sign = std::string("AWS4-HMAC-SHA256\n") + stamp + "\n" + scope +
                                     "\n" + sha256_hex(as_bytes(canonical_request));
  const std::string secret = "AWS4" + config_.credentials.secret_access_key;
  Mac k = hmac(as_bytes(secret), date);
  k = hmac(k, config_.region);
  k = hmac(k, "s3");
  k = hmac(k, "aws4_request");
  const Mac signature = hmac(k, string_to_sign);
  return p.scheme + "://" + host + path + "?" + query + "&X-Amz-Signature=" + to_hex(signature);
}

}  // namespace fota::ports
