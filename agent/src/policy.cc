// SPDX-License-Identifier: Apache-2.0
#include "agent/policy.h"

namespace fota::agent {
namespace {

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool contains_ignoring_case(std::string_view text, std::string_view part) {
  if (part.size() > text.size()) return false;
  for (size_t i = 0; i + part.size() <= text.size(); ++i) {
    size_t j = 0;
    while (j < part.size() && lower(text[i + j]) == lower(part[j])) ++j;
    if (j == part.size()) return true;
  }
  return false;
}

// Rejects what could make a prefix match mean something else once a client resolves the URL.
bool url_well_formed(std::string_view url) {
  if (url.empty() || url.size() > kMaxUrlLength) return false;
  for (char c : url) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7F || c == '\\') return false;
  }
  const size_t scheme = url.find("://");
  if (scheme == std::string_view::npos || scheme == 0) return false;
  // Views cut with remove_prefix and the (pointer, length) constructor on checked bounds:
  // string_view::substr may throw std::out_of_range, which freestanding code must not reference.
  std::string_view rest = url;
  rest.remove_prefix(scheme + 3);
  const size_t authority_end = rest.find_first_of("/?#");
  const std::string_view authority(
      rest.data(), authority_end == std::string_view::npos ? rest.size() : authority_end);
  if (authority.empty() || contains(authority, "@")) return false;
  std::string_view path = rest;
  path.remove_prefix(authority.size());
  if (contains(path, "/../") || contains(path, "/./") || path.ends_with("/..") ||
      path.ends_with("/.")) {
    return false;
  }
  return !contains_ignoring_case(url, "%2e") && !contains_ignoring_case(url, "%2f") &&
         !contains_ignoring_case(url, "%5c");
}

}  // namespace

const char* to_string(PolicyError error) {
  switch (error) {
    case PolicyError::kOk: return "ok";
    case PolicyError::kUnsigned: return "unsigned release (the configuration requires signatures)";
    case PolicyError::kWrongProduct: return "release is for another product";
    case PolicyError::kNotNewer: return "release is not newer than the running version";
    case PolicyError::kDowngradeForbidden:
      return "downgrade requested but the configuration forbids downgrades";
    case PolicyError::kUrlNotAllowed: return "download URL is outside the allowed prefixes";
    case PolicyError::kUrlMalformed: return "download URL is malformed";
    case PolicyError::kTooLarge: return "image is larger than a slot";
    case PolicyError::kEmpty: return "image size is too small for an image";
    case PolicyError::kSizeMismatch: return "server's Content-Length differs from the release";
  }
  return "unknown policy error";
}

PolicyError check_url(std::span<const std::string_view> prefixes, std::string_view url) {
  if (!url_well_formed(url)) return PolicyError::kUrlMalformed;
  for (std::string_view prefix : prefixes) {
    if (prefix.empty() || !url.starts_with(prefix)) continue;
    if (prefix.ends_with('/')) return PolicyError::kOk;
    // The prefix ends inside the authority or a path segment: the URL must go on at a boundary.
    const char next = url.size() > prefix.size() ? url[prefix.size()] : '/';
    if (next == '/' || next == '?') return PolicyError::kOk;
  }
  return PolicyError::kUrlNotAllowed;
}

PolicyError check_content_length(uint64_t content_length, uint32_t expected_size,
                                 uint32_t slot_size) {
  if (content_length > slot_size) return PolicyError::kTooLarge;
  if (expected_size != 0 && content_length != expected_size) return PolicyError::kSizeMismatch;
  if (content_length < kMinImageSize) return PolicyError::kEmpty;
  return PolicyError::kOk;
}

PolicyError check_offer(const Policy& policy, const Offer& offer, const Running& running) {
  if (!offer.signature_verified && !policy.allow_unsigned) return PolicyError::kUnsigned;
  if (!offer.product.empty() && offer.product != policy.product) return PolicyError::kWrongProduct;
  if (offer.has_version && running.known && !(running.version < offer.version)) {
    if (!offer.explicit_request) return PolicyError::kNotNewer;
    if (offer.version == running.version) return PolicyError::kNotNewer;
    if (!policy.allow_downgrade) return PolicyError::kDowngradeForbidden;
  }
  if (const PolicyError url = check_url(policy.url_prefixes, offer.url); url != PolicyError::kOk) {
    return url;
  }
  if (offer.size != 0) {
    if (offer.size > policy.slot_size) return PolicyError::kTooLarge;
    if (offer.size < kMinImageSize) return PolicyError::kEmpty;
  }
  return PolicyError::kOk;
}

}  // namespace fota::agent
