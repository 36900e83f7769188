// SPDX-License-Identifier: Apache-2.0
// HTTP(S) client over libcurl for the host tools and the Linux agent: one request at a time,
// connections kept alive between requests of the same client, optional AWS SigV4 signing
// (CURLOPT_AWS_SIGV4), byte ranges, conditional requests, streaming bodies, timeouts.
//
// Convention: a request that reached the server returns an HttpResponse whatever its status
// (the caller decides what a 404 or 304 means); only transport failures (DNS, connect, TLS,
// timeout, aborted by the body sink) are Failures, with curl's reason and the URL.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "status/expected.h"

namespace fota::ports {

struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // optional (temporary credentials)
};

// Credentials as the AWS tools find them: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
// AWS_SESSION_TOKEN, else the shared credentials file (AWS_SHARED_CREDENTIALS_FILE or
// ~/.aws/credentials), section `profile` (empty: AWS_PROFILE, else "default").
Expected<AwsCredentials> load_aws_credentials(const std::string& profile = "");

// Signs a request with AWS Signature Version 4 (S3 and S3-compatible servers).
struct SigV4 {
  AwsCredentials credentials;
  std::string region = "us-east-1";
  std::string service = "s3";
};

struct HttpRequest {
  std::string method = "GET";  // GET, HEAD, PUT, POST, DELETE
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::span<const uint8_t> body;     // sent for PUT/POST (not copied: keep it alive)
  const SigV4* sigv4 = nullptr;  // when set: x-amz-content-sha256 is added and the request signed
  std::string range;             // CURLOPT_RANGE form: "0-511", "512-", "-100" ("" = whole)
  std::string if_none_match;     // an ETag (with its quotes): 304 when unchanged
  long connect_timeout_ms = 5000;
  long timeout_ms = 60000;    // whole request
  long low_speed_time_s = 0;  // > 0: abort when under 1 byte/s for this long
  std::string ca_file;        // extra CA bundle for https (empty: system store)
  // Streaming: each received piece of a 2xx body goes here instead of HttpResponse::body; return
  // false to abort the transfer (a Failure "aborted by the receiver").
  std::function<bool(std::span<const uint8_t>)> on_body;
  // Progress of the upload (PUT/POST) or download: bytes done, bytes total (0 when unknown).
  std::function<void(uint64_t done, uint64_t total)> on_progress;
};

struct HttpResponse {
  long status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names in lower case
  std::vector<uint8_t> body;  // the body (error bodies always; 2xx unless on_body was given)
  double seconds = 0;         // total time of the request

  // Value of a header ("" when absent); `name` in lower case.
  std::string header(std::string_view name) const;
  std::string etag() const { return header("etag"); }
  bool ok() const { return status >= 200 && status < 300; }
  // S3's <Code> from an XML error body ("" when none), e.g. "SignatureDoesNotMatch".
  std::string s3_error_code() const;
  // "403 SignatureDoesNotMatch", "404 NoSuchBucket", "500": the status and S3 code for errors.
  std::string describe() const;
  std::string body_text() const { return std::string(body.begin(), body.end()); }
};

class HttpClient {
 public:
  HttpClient();
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  Expected<HttpResponse> perform(const HttpRequest& request);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Lowercase hex SHA-256 of `data` (x-amz-content-sha256, SigV4).
std::string sha256_hex(std::span<const uint8_t> data);
// Base64 / hex MD5 of `data` (S3's single-part ETag is the hex MD5 in quotes).
std::string md5_hex(std::span<const uint8_t> data);
// RFC 3986 percent-encoding as SigV4 wants it; '/' kept when `keep_slash`.
std::string uri_encode(std::string_view text, bool keep_slash);

}  // namespace fota::ports
