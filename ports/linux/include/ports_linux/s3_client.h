// SPDX-License-Identifier: Apache-2.0
// A small S3 client (AWS S3, MinIO, any S3 API) over HttpClient: PUT with SigV4 signing and an
// ETag check, GET (with Range), HEAD (with If-None-Match), DELETE, and SigV4-presigned GET URLs.
// Path-style (`endpoint/bucket/key`) or virtual-hosted style (`bucket.endpoint-host/key`).
#pragma once

#include <cstdint>
#include <ctime>
#include <span>
#include <string>

#include "ports_linux/http_client.h"
#include "status/expected.h"

namespace fota::ports {

struct S3Config {
  std::string endpoint;  // "https://s3.eu-west-1.amazonaws.com", "http://127.0.0.1:9000"
  std::string region = "us-east-1";
  std::string bucket;
  bool path_style = true;  // false: virtual-hosted style (bucket as a host name label)
  AwsCredentials credentials;
  std::string ca_file;
  long connect_timeout_ms = 5000;
  long timeout_ms = 120000;
};

struct S3PutResult {
  std::string etag;  // as the server sent it (with quotes)
  double seconds = 0;
};

class S3Client {
 public:
  explicit S3Client(S3Config config);

  const S3Config& config() const { return config_; }
  // The object's URL (unsigned): where a GET/HEAD for `key` goes.
  std::string object_url(const std::string& key) const;

  // PUT `body` as `key`. Fails unless the server answered 2xx; when the ETag looks like an MD5
  // (32 hex digits in quotes) it must be the body's MD5. Errors read
  // "PUT <key>: 403 SignatureDoesNotMatch" or "PUT <key>: <transport error>".
  Expected<S3PutResult> put_object(
      const std::string& key, std::span<const uint8_t> body,
      const std::string& content_type = "application/octet-stream",
      std::function<void(uint64_t done, uint64_t total)> on_progress = {});
  // Signed GET; the response is returned whatever its status (404 → status 404).
  Expected<HttpResponse> get_object(const std::string& key, const std::string& range = "");
  // Signed HEAD; with `if_none_match` an unchanged object answers 304.
  Expected<HttpResponse> head_object(const std::string& key, const std::string& if_none_match = "");
  Expected<HttpResponse> delete_object(const std::string& key);

  // A SigV4 query-signed GET URL valid for `expires_s` seconds (1..604800) from `now`. It
  // authorises GET only (the method is signed): a HEAD with it is refused by S3.
  std::string presign_get(const std::string& key, uint32_t expires_s,
                          std::time_t now = std::time(nullptr)) const;

 private:
  Expected<HttpResponse> send(HttpRequest request);
  S3Config config_;
  SigV4 sigv4_;
  HttpClient http_;
};

}  // namespace fota::ports
