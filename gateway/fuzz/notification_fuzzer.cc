// SPDX-License-Identifier: Apache-2.0
// libFuzzer: release notifications, seed-000 messages and commands on arbitrary bytes. Nothing
// may crash or throw; whatever is accepted must be consistent (a signed envelope has a 64-byte
// signature, a seed-000 notice has a URL).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "gateway/messages.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  if (auto n = fota::gateway::parse_release_notice(in); n.ok()) {
    if (!n->signature.empty() && n->signature.size() != 64) std::abort();
    if (n->manifest.product.empty() || n->manifest_bytes.empty()) std::abort();
  } else if (n.error().empty()) {
    std::abort();
  }
  if (auto n = fota::gateway::parse_legacy_notice(in); n.ok()) {
    if (!n->legacy || n->url.empty()) std::abort();
  }
  if (auto c = fota::gateway::parse_command(in); !c.ok() && c.error().empty()) std::abort();
  return 0;
}
